"""Block kinds: every piece of the layout repair gets its kind (title, subtitle,
byline, heading, paragraph, caption, footnote or image) from its shape and its
neighbours; what the Markdown says is kept. The rules read the Simplified form
(``Piece.simple``), so they hold for Traditional sources too."""

from __future__ import annotations

import regex

from pipeline.read.pieces import CONTINUING_MARKS, FINAL_MARKS, Piece, in_front_matter, is_unfinished
from pipeline.read.sentences import NOTE_MARKER

#: Lines longer than this are never headings, bylines or picture names.
MAX_HEADING_CHARS = 30
MAX_PICTURE_NAME_CHARS = 15
MAX_CAPTION_CHARS = 80
MAX_SUBTITLE_CHARS = 80

_CREDIT = regex.compile(
    r"""(?x)
    (?:^|[\s(（》”])(?:[\p{Han}]{0,8}记者\s*)?[\p{Han}·]{2,5}(?:\s+[\p{Han}·]{2,4})*\s*摄\s*[)）]?$
    | 供图\s*[)）]?$
    | (?:效果图|示意图|资料图|资料图片|航拍图|规划图|设计图|鸟瞰图)\s*[)）]?$
    | ^[(（]?(?:摄影|图片来源|图源|图|图片)\s*[:：/／]
    | ^图为
    | ^[(（]?[\p{Han}]{1,6}社发\s*[)）]?$
    | ^(?:左起|右起|从左至右|从左到右|前排左起|后排左起)\s*[:：]
    | ^(?:图|表|圖|Figure|Fig\.|Table)\s*(?:\d+|[一二三四五六七八九十]+)(?:[-–.．]\d+)*(?:\s|[:：.．、]|$)
    """
)
#: A credit line that names a picture's source only next to a picture or caption.
_SOURCE_CREDIT = regex.compile(r"^[(（]?(?:来源|图片提供|供稿)\s*[:：]")
_LABEL = regex.compile(r"^[\p{Han}\p{L}\p{N}\s·“”‘’「」《》\"'+\-]+$")
_BYLINE = regex.compile(
    r"^(?:(?:本报|本刊|特约)?(?:记者|通讯员|作者|文|撰文|编辑)\s*[:：/／]?\s*)?"
    r"[\p{Han}·]{1,4}(?:[\s、，,]+[\p{Han}·]{1,4}){0,4}$"
)
#: A byline that says what it is, anywhere in the text: 本报记者 张三, 实习记者 李四, 文/图 王五.
_ROLE_BYLINE = regex.compile(
    r"^[(（]?(?:(?:本报|本刊|本台|特约|实习|见习|新华社|中新社)*(?:记者|通讯员|撰文|摄影记者|责任编辑|编辑|作者)"
    r"(?:\s+|\s*[:：｜|]\s*)|(?:文|图|文图|图文|文/图|图/文)\s*[:：/／｜|]\s*)"
    r"[\p{Han}·]{1,4}(?:[\s、，,]+[\p{Han}·]{1,4}){0,5}(?:\s*[/／｜|]\s*[\p{Han}]{1,6}(?:报道|报导|电|讯))?\s*[)）]?$"
)
_SUBTITLE = regex.compile(r"^(?:——|──|—|--)\s*\S")
#: A heading numbered as Chinese documents number them: 一、  （二）  第三章.
_NUMBERED_HEADING = regex.compile(
    r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|第[一二三四五六七八九十百\d]+[章节部分篇])\s*\S"
)
#: A footnote marker at the start of a block: ① … ⑳, [1], ¹, [注1], and 注1：, 注：, 注释：.
_NOTE_START = regex.compile(
    r"^(?P<marker>" + NOTE_MARKER.pattern
    + r"|注\s*[\d\N{CIRCLED DIGIT ONE}-\N{CIRCLED NUMBER TWENTY}]*\s*[:：]|注释\s*[:：])\s*\S"
)
#: What a reference or a note usually holds: a book title, a publisher, a page, "see".
_CITATION_CUE = regex.compile(
    r"《[^》]+》|出版社|第\s*\d+\s*[页卷期版]|年第\s*\d+\s*期|参见|同上|转引自|引自|载于|\[[JMCDNR]\]|https?://|\bpp?\.\s*\d"
)
#: A heading that opens the notes at the end of a text.
_NOTES_HEADING = regex.compile(r"^(?:注释|注|附注|尾注|脚注|参考文献|参考资料|Notes|References)\s*[:：]?$", regex.I)
#: A quotation's source on its own line: ——《人民日报》, （摘自……）, 来源：……
CITATION_LINE = regex.compile(r"^(?:——|—|──)\s*\S|^[(（]?(?:摘自|选自|引自|转自|出处|来源)\s*[:：《]?")
QUOTATION = regex.compile(r"^[“「『].*[”」』][。！？!?]?$", regex.S)
#: Image references a converter leaves in text: Markdown or HTML images, [图片].
_IMAGE_REFERENCE = regex.compile(
    r"^(?:!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>|<!--\s*image\s*-->|[\[【](?:图片|图像|插图|image|img|picture)[^\]】]{0,40}[\]】])$",
    regex.I,
)


def classify(pieces: list[Piece]) -> list[Piece]:
    """Give every piece its kind from its shape and its neighbours; a kind the
    Markdown gives stays (a first level-1 heading becomes the title)."""
    free = [not p.fixed for p in pieces]
    for piece, is_free in zip(pieces, free):
        if not is_free:
            continue
        if _IMAGE_REFERENCE.match(piece.simple):
            piece.kind = "image"
        elif is_caption_text(piece.simple):
            piece.kind = "caption"
        elif _is_bold_heading(piece):
            piece.kind = "heading"
    for i, piece in enumerate(pieces):
        if free[i] and piece.kind == "paragraph" and _SOURCE_CREDIT.match(piece.simple) \
                and len(piece.text) <= MAX_CAPTION_CHARS and _next_to_picture(pieces, i):
            piece.kind = "caption"
    _classify_head(pieces, free)
    for i, piece in enumerate(pieces):
        if free[i] and piece.kind == "paragraph" and _ROLE_BYLINE.match(piece.simple):
            piece.kind = "byline"

    labels = [
        i for i, p in enumerate(pieces)
        if free[i] and p.kind == "paragraph" and _is_label(p.simple)
    ]
    for i in labels:
        pieces[i].kind = "heading" if _is_two_phrase_heading(pieces[i].simple) else "label"
    # A short label next to a caption or picture, at the very end, or standing
    # between the halves of a broken paragraph names a picture; a label next to a
    # picture name is one too, so a chain of picture names next to one credit is found.
    inside = _inside_broken_paragraphs(pieces)
    pending = [
        i for i in labels
        if _is_picture_name(pieces[i]) and (_next_to_picture(pieces, i) or i == len(pieces) - 1 or inside[i])
    ]
    while pending:
        i = pending.pop()
        if pieces[i].kind != "label":
            continue
        pieces[i].kind = "caption"
        pending.extend(j for j in (i - 1, i + 1) if 0 <= j < len(pieces) and _is_picture_name(pieces[j]))
    for i, piece in enumerate(pieces):
        if piece.kind == "label":
            piece.kind = "heading"
        elif free[i] and piece.kind == "paragraph" and _is_numbered_heading(piece.simple):
            piece.kind = "heading"
    _classify_notes(pieces, free)
    return pieces


def _classify_head(pieces: list[Piece], free: list[bool]) -> None:
    """The title (the first block, if it looks like one, or a first level-1
    Markdown heading), then right after it a subtitle (——……) and a byline."""
    first = next((i for i, p in enumerate(pieces)
                  if p.kind not in ("front_matter", "image") and not in_front_matter(p)), None)
    if first is None:
        return
    title = pieces[first]
    if title.fixed and title.kind == "heading" and title.level == 1:
        title.kind = "title"
    elif free[first] and title.kind not in ("caption", "heading") and _looks_like_title(title.simple):
        title.kind = "title"
    elif free[first] and title.kind == "heading" and not title.marks and _looks_like_title(title.simple):
        title.kind = "title"
    else:
        return
    for i in range(first + 1, min(first + 4, len(pieces))):
        piece = pieces[i]
        if not free[i] or piece.kind not in ("paragraph", "heading"):
            break
        if _SUBTITLE.match(piece.simple) and len(piece.text) <= MAX_SUBTITLE_CHARS:
            piece.kind = "subtitle"
        elif piece.kind == "paragraph" and _BYLINE.match(piece.simple) and len(piece.text) <= 20:
            piece.kind = "byline"
            break
        else:
            break


def _classify_notes(pieces: list[Piece], free: list[bool]) -> None:
    """A block that starts with a footnote marker is a footnote when the marker
    was used in the text before it, when it reads like a reference (a book title,
    a publisher, a page), or when it follows a notes heading (注释, 参考文献);
    otherwise it is an enumeration (①坚持……) and stays a paragraph. 注：…… is a
    note wherever it stands."""
    seen_markers: set[str] = set()
    in_notes = False
    for i, piece in enumerate(pieces):
        if piece.kind == "heading":
            in_notes = bool(_NOTES_HEADING.match(piece.simple))
        start = _NOTE_START.match(piece.simple) if free[i] and piece.kind == "paragraph" else None
        if start is not None:
            marker = _marker_key(start.group("marker"))
            explicit = piece.simple.startswith(("注", "[注", "［注", "〔注"))
            if explicit or in_notes or marker in seen_markers or _CITATION_CUE.search(piece.simple):
                piece.kind = "footnote"
                continue
        if piece.kind not in ("footnote", "code", "front_matter", "image"):
            seen_markers.update(_marker_key(m) for m in NOTE_MARKER.findall(piece.simple))


def _marker_key(marker: str) -> str:
    """A footnote marker without its brackets and spaces: [1], ［1］ and 〔1〕 are one."""
    return regex.sub(r"[\s\[\]［］〔〕注:：]", "", marker)[:3]


def is_caption_text(simple: str) -> bool:
    return len(simple) <= MAX_CAPTION_CHARS and bool(_CREDIT.search(simple))


def is_picture_name_text(simple: str) -> bool:
    return len(simple) <= MAX_PICTURE_NAME_CHARS and _is_label(simple)


def _is_bold_heading(piece: Piece) -> bool:
    """A Markdown paragraph that is all bold and short, not a sentence: **一、坚持问题导向**."""
    text = piece.text
    return (
        bool(text) and len(text) <= MAX_HEADING_CHARS + 10 and text[-1] not in FINAL_MARKS
        and any(m.kind == "strong" and m.start == 0 and m.end == len(text) for m in piece.marks)
    )


def _is_numbered_heading(simple: str) -> bool:
    return len(simple) <= MAX_HEADING_CHARS and simple[-1] not in FINAL_MARKS + "；;，," and bool(
        _NUMBERED_HEADING.match(simple))


def _looks_like_title(text: str) -> bool:
    return len(text) <= 50 and not text.endswith("。") and text[-1:] not in CONTINUING_MARKS


def _is_label(text: str) -> bool:
    """Short, no sentence punctuation: a heading or a picture name."""
    return (
        len(text) <= MAX_HEADING_CHARS
        and bool(_LABEL.match(text))
        and all(text.count(a) == text.count(b) for a, b in ("“”", "‘’", "《》", "「」"))
    )


def _is_two_phrase_heading(text: str) -> bool:
    parts = text.split()
    return len(parts) >= 2 and all(len(p) >= 3 for p in parts) and len(text) >= 8


def _is_picture_name(piece: Piece) -> bool:
    return piece.kind == "label" and len(piece.text) <= MAX_PICTURE_NAME_CHARS


def _next_to_picture(pieces: list[Piece], i: int) -> bool:
    """A caption or an image stands right before or after piece ``i``."""
    return any(0 <= j < len(pieces) and pieces[j].kind in ("caption", "image") for j in (i - 1, i + 1))


#: Kinds that stand between the halves of a broken paragraph without ending it.
_ASIDE_KINDS = frozenset({"caption", "label", "image", "footnote"})


def _inside_broken_paragraphs(pieces: list[Piece]) -> list[bool]:
    """For every piece: the nearest body piece before it (captions, pictures and
    notes skipped) is an unfinished paragraph and the nearest one after it a paragraph."""
    body = [p.kind not in _ASIDE_KINDS for p in pieces]
    before: list[Piece | None] = []
    last = None
    for piece, is_body in zip(pieces, body):
        before.append(last)
        if is_body:
            last = piece
    inside = [False] * len(pieces)
    after = None
    for i in range(len(pieces) - 1, -1, -1):
        previous = before[i]
        inside[i] = (
            previous is not None and previous.kind == "paragraph" and is_unfinished(previous.text)
            and after is not None and after.kind == "paragraph"
        )
        if body[i]:
            after = pieces[i]
    return inside

