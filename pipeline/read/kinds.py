"""Block kinds: every piece of the layout repair gets its kind (title, subtitle,
byline, heading, paragraph, caption, footnote or image) from its shape and its
neighbours; what the Markdown says is kept. The rules read the Simplified form
(``Piece.simple``), so they hold for Traditional sources too."""

from __future__ import annotations

import regex

from pipeline.read.pieces import CONTINUING_MARKS, FINAL_MARKS, Piece, in_front_matter, is_unfinished
from pipeline.read.sentences import NOTE_MARKER
from pipeline.read.structure import enumeration, is_section_heading, item_kind

#: Lines longer than this are never headings, bylines or picture names.
MAX_HEADING_CHARS = 30
MAX_PICTURE_NAME_CHARS = 15
MAX_CAPTION_CHARS = 80
MAX_SUBTITLE_CHARS = 80

_CREDIT = regex.compile(
    r"""(?x)
    (?:^|[\s(（》”。，；！？])(?:[\p{Han}]{0,8}记者\s*)?[\p{Han}·]{2,5}(?:\s+[\p{Han}·]{2,4})*\s*摄\s*[)）]?$
    | 供图\s*[)）]?$
    | (?:效果图|示意图|资料图|资料图片|航拍图|规划图|设计图|鸟瞰图)\s*[)）]?$
    | ^[(（]?(?:摄影|图片来源|图源|图|图片|视频截图)\s*[:：/／]
    | (?:^|[\s。，；！？(（])(?:视频截图|图片来源于网络|图片来自网络|资料照片|网络图片|网上图片)\s*[)）]?$
    | (?:^|\s)[\p{Han}A-Za-z]{2,8}\s*[|｜]\s*图$
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
    r"(?:\s+|\s*\\?[:：｜|丨]\s*)|(?:文|图|文图|图文|文/图|图/文)\s*\\?[:：/／｜|丨]\s*)"
    r"[\p{Han}·]{1,4}(?:[\s、，,]+[\p{Han}·]{1,4}){0,5}(?:\s*[/／｜|]\s*[\p{Han}]{1,6}(?:报道|报导|电|讯))?"
    r"(?:\s+来源\s*\\?[:：｜|丨]\s*\S{1,16})?\s*[)）]?$"
)
_SUBTITLE = regex.compile(r"^(?:——|──|—|--)\s*\S")
#: Who wrote it, with the role said: 作者：…, 新京报记者 庞礡 实习生 郑洁, 记者/ 韩谦 January 27, 2020.
_PERSONS = r"[\p{Han}·]{2,4}(?:[\s、，,]+[\p{Han}·]{2,4}){0,5}"
_ROLE_WORD = r"[\p{Han}]{0,8}?(?:记者|通讯员|撰文|撰稿人?|摄影|摄像|实习生|主持人|编译|口述|整理|采写)"
_DATE = r"(?:[A-Z][a-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{4}\s*[-年./]\s*\d{1,2}\s*[-月./]\s*\d{1,2}\s*日?)"
_CREDITED_BYLINE = regex.compile(
    rf"^[(（]?(?:作者\s*[:：/／｜|丨]\s*)?(?:{_ROLE_WORD}\s*[:：/／｜|丨]?\s*)?{_PERSONS}"
    rf"(?:\s*{_ROLE_WORD}\s*[:：/／｜|丨]?\s*{_PERSONS})*(?:\s+{_DATE})?\s*[)）]?$"
)
_HAS_ROLE = regex.compile(rf"^[(（]?作者|{_ROLE_WORD}")
#: A dateline on its own line: 中青在线北京4月25日电, 新华社北京3月5日电（记者 张三）.
_DATELINE = regex.compile(r"^[\p{Han}]{2,12}\d{1,2}月\d{1,2}日(?:电|讯)(?:\s*[(（][^()（）]{0,30}[)）])?$")
#: An author's line in brackets, at the end of an opinion piece: （沈度，自由撰稿人）, （作者系……）.
_AUTHOR_NOTE = regex.compile(
    r"^[(（](?:作者(?:系|为|是|[:：])[^()（）]{2,40}|(?:本文作者|作者)?[\p{Han}·]{2,4}[，,、：:\s][^()（）]{0,24}"
    r"(?:撰稿人|记者|教授|研究员|学者|作家|评论员|律师|博士|研究生|主任|编辑|作者|专栏作家|观察员|分析师)[^()（）]{0,10})[)）]$"
)
#: The adoption note under a law's or a regulation's title: （2024年12月25日……通过）.
ADOPTION_NOTE = regex.compile(r"^[(（]?\d{4}\s*年.{0,400}(?:通过|公布|发布|修正|修订|施行)")
#: A speaker's turn or a notes label alone on its line: 问：, 答, 注：, 参考资料：.
_LABEL_HEADING = regex.compile(
    r"^(?:问|答|注|注释|附注|说明|附|附件|附录|参考资料|参考文献|参考文献和资料来源|资料来源|目录|目\s*录)\s*[:：]?$"
)
#: What opens a picture's caption: ▲ ↑ △ ·, 图：, 上图：.
_CAPTION_MARK = regex.compile(r"^(?:[▲△↑▼▽↓]|[·•]\s*\S|(?:上|下|左|右|本)?图\s*[:：为])")
#: Whole-block notes in brackets: an editor's note (（根据受访者要求，……）).
_BRACKETED = regex.compile(r"^[(（][^()（）]{6,}[)）][。.]?$")
#: A table of contents' heading: the numbered headings right under it are its entries.
_CONTENTS = regex.compile(r"^(?:目\s*录|目\s*次|Contents)$", regex.I)
#: A link to nowhere written out as text (a page's interface): the account's name under a WeChat title.
_INTERFACE_LINK = regex.compile(
    r"^(?:原创\s+)?(?:[^\[\]\s]{1,16}\s+)?\[\s*([^\]]+?)\s*\]\(javascript:(?:[^()]|\([^)]*\))*\)$")
#: A footnote marker at the start of a block: ① … ⑳, [1], ¹, [注1], and 注1：, 注：, 注释：.
_NOTE_START = regex.compile(
    r"^(?P<marker>" + NOTE_MARKER.pattern
    + r"|注\s*[\d\N{CIRCLED DIGIT ONE}-\N{CIRCLED NUMBER TWENTY}]*\s*[:：]|注释\s*[:：])\s*\S"
)
#: A paper's notes on its first page: when it was received, who funded it.
_PAPER_NOTE = regex.compile(
    r"^(?:[∗*†‡§]\s*)?(?:本文.{0,30}收到|收稿日期|收到日期|基金项目|资助项目)|^[∗*†‡§]\s*\S.{0,200}(?:基金|资助)")
#: What a reference or a note usually holds: a book title, a publisher, a page, "see".
_CITATION_CUE = regex.compile(
    r"《[^》]+》|出版社|第\s*\d+\s*[页卷期版]|年第\s*\d+\s*期|参见|同上|转引自|引自|载于|\[[JMCDNR]\]|https?://|\bpp?\.\s*\d"
)
#: A heading that opens the notes at the end of a text.
NOTES_HEADING = regex.compile(
    r"^(?:注释|注|附注|尾注|脚注|参考文献|参考资料|参考文献和资料来源|资料来源|Notes|References)\s*[:：]?$", regex.I)
#: A quotation's source on its own line: ——《人民日报》, （摘自……）, 来源：……
CITATION_LINE = regex.compile(r"^(?:——|—|──)\s*\S|^[(（]?(?:摘自|选自|引自|转自|出处|来源)\s*[:：《]?")
QUOTATION = regex.compile(r"^[“「『].*[”」』][。！？!?]?$", regex.S)
#: Image references a converter leaves in text: Markdown or HTML images, [图片].
IMAGE_REFERENCE = regex.compile(
    r"^(?:!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>|<!--\s*image\s*-->"
    r"|[\[【](?:图片|图像|插图|视频|音频|image|img|picture|video)[^\]】]{0,40}[\]】])$",
    regex.I,
)


def classify(pieces: list[Piece], *, cut_words: bool = True, head: bool = True) -> list[Piece]:
    """Give every piece its kind from its shape and its neighbours; a kind the
    Markdown gives stays (a first level-1 heading becomes the title). With
    ``cut_words``, a paragraph ending mid-word is taken to be cut (a short label
    after it, before its continuation, names a picture). Without ``head`` the
    pieces are not the document's start (a later part of a long PDF): no title,
    subtitle or byline is looked for at their top."""
    free = [not p.fixed for p in pieces]
    for i, piece in enumerate(pieces):
        if not free[i]:
            continue
        if IMAGE_REFERENCE.match(piece.simple):
            piece.kind = "image"
        elif is_caption_text(piece.simple) or (len(piece.text) <= MAX_NOTE_CHARS and (
                piece.simple[:1] in "▲△" or (i and pieces[i - 1].kind == "image" and _CAPTION_MARK.match(piece.simple)))):
            piece.kind = "caption"  # what opens like a caption (right under a picture: ·, 图：) is one
        elif _is_bold_heading(piece) or _LABEL_HEADING.match(piece.simple):
            piece.kind = "heading"
    for i, piece in enumerate(pieces):
        if free[i] and piece.kind == "paragraph" and _SOURCE_CREDIT.match(piece.simple) \
                and len(piece.text) <= MAX_CAPTION_CHARS and _next_to_picture(pieces, i):
            piece.kind = "caption"
    if head:
        _classify_head(pieces, free)
    for i, piece in enumerate(pieces):
        if free[i] and piece.kind == "paragraph" and is_byline_text(piece.simple):
            piece.kind = "byline"
    _classify_enumerations(pieces, free)

    # A short line after a clause mark (，；) goes on with the sentence: not a label.
    # In a text whose lines end without punctuation by style (comments, one a line),
    # a short line is a label only where it stands apart (a blank line by it).
    labels = [
        i for i, p in enumerate(pieces)
        if free[i] and p.kind == "paragraph" and _is_label(p.simple) and not p.unit
        and not (i and pieces[i - 1].kind == "paragraph" and pieces[i - 1].text.rstrip()[-1:] in "，,、；;")
        and (cut_words or _stands_apart(pieces, i))
    ]
    labels = _without_label_runs(pieces, labels)
    for i in labels:
        pieces[i].kind = "heading" if _is_two_phrase_heading(pieces[i].simple) else "label"
    # A short label next to a caption or picture, at the very end, or standing
    # between the halves of a broken paragraph names a picture; a label next to a
    # picture name is one too, so a chain of picture names next to one credit is found.
    inside = _inside_broken_paragraphs(pieces, cut_words)
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
    for piece in pieces:
        if piece.kind == "label":
            piece.kind = "heading"
    _classify_contents(pieces, free)
    _classify_notes(pieces, free)
    return pieces


#: Longest caption opened by a caption mark (▲, ·), or editor's note in brackets.
MAX_NOTE_CHARS = 200


def is_byline_text(simple: str) -> bool:
    """A byline that says what it is, wherever it stands: 本报记者 张三, 文/图 王五,
    作者：南方周末记者 崔慧莹, a dateline (中青在线北京4月25日电), （沈度，自由撰稿人）."""
    return len(simple) <= MAX_BYLINE_CHARS and bool(
        _ROLE_BYLINE.match(simple) or (_HAS_ROLE.search(simple) and _CREDITED_BYLINE.match(simple))
        or _DATELINE.match(simple) or _AUTHOR_NOTE.match(simple)
    )


#: Longer blocks are never bylines.
MAX_BYLINE_CHARS = 60


def _classify_enumerations(pieces: list[Piece], free: list[bool]) -> None:
    """A block that starts with an enumeration marker is a list item, or a numbered
    heading when short and unpunctuated (一、总则), or a law's article (a paragraph);
    a short item under a lead-in (……如下：) or after an item of its family is an
    item too. ``1 引言`` is a section heading."""
    for i, piece in enumerate(pieces):
        if not free[i] or piece.kind != "paragraph":
            continue
        kind = item_kind(piece.simple, MAX_HEADING_CHARS)
        family = enumeration(piece.simple)
        following = pieces[i + 1] if i + 1 < len(pieces) else None
        previous = pieces[i - 1] if i else None
        in_list = following is not None and enumeration(following.simple) == family
        after_item = previous is not None and previous.kind == "list_item" and enumeration(previous.simple) == family
        if kind == "list_item" and _is_section_title(piece.simple) and not in_list and not after_item:
            kind = "heading"  # 一、关于沈阳调入南京大学文学院的经过。 over its paragraphs
        elif kind == "heading" and (after_item or (in_list and previous is not None
                                                   and previous.text.rstrip()[-1:] in "：:")):
            kind = "list_item"  # a short item of a list (（一）提出申请), not a section's title
        if kind is not None:
            piece.kind = kind
        elif is_section_heading(piece.simple, MAX_HEADING_CHARS):
            piece.kind = "heading"


#: A section's numbered title, full stop and all: 一、关于……的经过。 （二）总体要求。
_SECTION_TITLE = regex.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十]{1,3}[)）])[^，,；;：:。！？!?]{2,28}[。.]?$")


def _is_section_title(simple: str) -> bool:
    return bool(_SECTION_TITLE.match(simple.strip()))


def _classify_contents(pieces: list[Piece], free: list[bool]) -> None:
    """The numbered headings right under a 目录 heading, on consecutive lines, are
    the entries of a table of contents (list items), up to the first that repeats
    the first entry (the text itself begins)."""
    for i, piece in enumerate(pieces):
        if piece.kind != "heading" or not _CONTENTS.match(piece.simple):
            continue
        first = None
        for j in range(i + 1, len(pieces)):
            entry = pieces[j]
            if not free[j] or entry.kind not in ("heading", "list_item") or enumeration(entry.simple) is None \
                    or entry.lines[0] > pieces[j - 1].lines[-1] + 1 or entry.key == first:
                break
            first = first or entry.key
            entry.kind = "list_item"


def _classify_head(pieces: list[Piece], free: list[bool]) -> None:
    """The title (the first block, if it looks like one, or a first level-1
    Markdown heading), then right after it a subtitle (——……, a law's adoption
    note), a second title and the bylines (a WeChat account's name too)."""
    first = next((i for i, p in enumerate(pieces)
                  if p.kind not in ("front_matter", "image") and not in_front_matter(p)), None)
    if first is None:
        return
    title = pieces[first]
    # A title with a comma or a full stop in it stands apart (a blank line under it).
    alone = first + 1 == len(pieces) or pieces[first + 1].lines[0] > title.lines[-1] + 1 \
        or not regex.search(r"[，,。；;]", title.simple)
    if title.fixed and title.kind == "heading" and title.level == 1:
        title.kind = "title"
    elif free[first] and title.kind not in ("caption", "heading") and _looks_like_title(title.simple) and alone \
            and not is_byline_text(title.simple):
        title.kind = "title"
    elif free[first] and title.kind == "heading" and not title.marks and _looks_like_title(title.simple):
        title.kind = "title"
    else:
        return
    for i in range(first + 1, min(first + 6, len(pieces))):
        piece = pieces[i]
        if not free[i] or piece.kind not in ("paragraph", "heading"):
            break
        if _SUBTITLE.match(piece.simple) and len(piece.text) <= MAX_SUBTITLE_CHARS:
            piece.kind = "subtitle"
        elif piece.kind == "paragraph" and ADOPTION_NOTE.match(piece.simple) and not _SENTENCE_INSIDE.search(
                piece.simple):
            piece.kind = "subtitle"
        elif piece.kind == "paragraph" and _BRACKETED.match(piece.simple) and not is_byline_text(piece.simple) \
                and len(piece.text) <= MAX_SUBTITLE_CHARS:
            piece.kind = "subtitle"  # （中华人民共和国主席令第 31 号）
        elif piece.kind == "paragraph" and (_INTERFACE_LINK.match(piece.simple) or _POSITION_BYLINE.match(piece.simple)
                                            or is_byline_text(piece.simple)):
            piece.kind = "byline"
        elif piece.kind == "paragraph" and _BYLINE.match(piece.simple) and len(piece.text) <= 20:
            piece.kind = "byline"
            break
        elif piece.kind == "heading" and i == first + 1 and not piece.marks and _is_label(piece.simple):
            continue  # a second title (政府工作报告 under the file's name): a subtitle may follow
        else:
            break
    for i in range(first + 1, len(pieces)):
        piece = pieces[i]
        if free[i] and piece.kind == "paragraph" and pieces[i - 1].kind in ("heading", "title") \
                and ADOPTION_NOTE.match(piece.simple) and _BRACKETED.match(piece.simple):
            piece.kind = "subtitle"  # an appendix's adoption note under its heading


#: A sentence ending inside a block (not a note under a title).
_SENTENCE_INSIDE = regex.compile(r"[。！？!?].")
#: A speaker's position and name under a speech's title: 国务院总理 温家宝.
_POSITION_BYLINE = regex.compile(
    r"^[\p{Han}]{0,12}(?:总理|主席|部长|书记|市长|省长|县长|区长|校长|院长|委员长|局长|主任|董事长|总裁|总经理|秘书长)"
    r"\s+[\p{Han}·]{2,4}$"
)


def _classify_notes(pieces: list[Piece], free: list[bool]) -> None:
    """A block that starts with a footnote marker is a footnote when the marker
    was used in the text before it, when it reads like a reference (a book title,
    a publisher, a page), or when it follows a notes heading (注释, 参考文献; there
    a numbered item is a note too); otherwise it is an enumeration (①坚持……), a
    list item. 注：…… is a note wherever it stands, and so is a whole block in
    brackets after the text has begun (an editor's note)."""
    seen_markers: set[str] = set()
    in_notes = False
    body_seen = False
    for i, piece in enumerate(pieces):
        if piece.kind == "heading":
            in_notes = bool(NOTES_HEADING.match(piece.simple))
        candidate = free[i] and piece.kind in ("paragraph", "list_item")
        start = _NOTE_START.match(piece.simple) if candidate else None
        if start is not None:
            marker = _marker_key(start.group("marker"))
            explicit = piece.simple.startswith(("注", "[注", "［注", "〔注"))
            if explicit or in_notes or marker in seen_markers or _CITATION_CUE.search(piece.simple):
                piece.kind = "footnote"
                continue
        if candidate and (in_notes and enumeration(piece.simple) is not None or _PAPER_NOTE.match(piece.simple)):
            piece.kind = "footnote"
            continue
        if candidate and body_seen and _BRACKETED.match(piece.simple) and len(piece.text) <= MAX_NOTE_CHARS:
            piece.kind = "footnote"
            continue
        body_seen |= piece.kind in ("paragraph", "list_item", "quote")
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
    """A Markdown paragraph that is all bold and short, not a sentence: **一、坚持问题导向**
    (or its asterisks left as text by a converter that nested them: ``** **标题****``)."""
    text = piece.text
    literal = _LITERAL_BOLD.match(text)
    if literal:
        text = literal.group(1)
    return (
        bool(text) and len(text) <= MAX_HEADING_CHARS + 10 and text[-1] not in FINAL_MARKS
        and (literal is not None or any(m.kind == "strong" and m.start == 0 and m.end == len(text) for m in piece.marks))
    )


_LITERAL_BOLD = regex.compile(r"^\*{2,}[\s*]*(\S(?:.*?\S)?)[\s*]*\*{2,}$")


def _looks_like_title(text: str) -> bool:
    return len(text) <= 50 and not text.endswith("。") and text[-1:] not in CONTINUING_MARKS + _MODAL_PARTICLES


def _is_label(text: str) -> bool:
    """Short, no sentence punctuation: a heading or a picture name (not a remark
    that ends on a modal particle, 太拖沓了, 好看吧; nor an attribution, ——《…》)."""
    return (
        len(text) <= MAX_HEADING_CHARS
        and bool(_LABEL.match(text)) and text[-1] not in _MODAL_PARTICLES and not text.startswith(("-", "—"))
        and all(text.count(a) == text.count(b) for a, b in ("“”", "‘’", "《》", "「」"))
    )


#: Sentence-final particles of speech: a line ending on one is a remark, not a heading.
_MODAL_PARTICLES = "了吧啊呢吗呀哦嘛啦哈呗咯哇嘞"


def _is_two_phrase_heading(text: str) -> bool:
    """加速项目集聚 推动经济稳健发展: two or three phrases of like length."""
    parts = text.split()
    return 2 <= len(parts) <= 3 and all(len(p) >= 3 for p in parts) and len(text) >= 8 \
        and max(map(len, parts)) <= 2 * min(map(len, parts))


def _is_picture_name(piece: Piece) -> bool:
    return piece.kind == "label" and len(piece.text) <= MAX_PICTURE_NAME_CHARS


#: This many short lines in a row are a poem's or a list's lines, not headings.
MIN_LABEL_RUN = 3


def _without_label_runs(pieces: list[Piece], labels: list[int]) -> list[int]:
    """``labels`` less those in a run of :data:`MIN_LABEL_RUN` or more consecutive
    ones (a heading stands over body text, not over another heading-like line),
    unless the run stands next to a picture (a chain of picture names)."""
    kept: list[int] = []
    run: list[int] = []
    for i in [*labels, None]:
        if i is not None and run and i == run[-1] + 1:
            run.append(i)
            continue
        if len(run) < MIN_LABEL_RUN or any(_next_to_picture(pieces, j) for j in (run[0], run[-1])):
            kept += run
        run = [i] if i is not None else []
    return kept


def _stands_apart(pieces: list[Piece], i: int) -> bool:
    """A blank line (or the text's start or end) before or after piece ``i``."""
    before = i == 0 or pieces[i].lines[0] > pieces[i - 1].lines[-1] + 1
    after = i + 1 == len(pieces) or pieces[i + 1].lines[0] > pieces[i].lines[-1] + 1
    return before or after


def _next_to_picture(pieces: list[Piece], i: int) -> bool:
    """A caption or an image stands right before or after piece ``i``."""
    return any(0 <= j < len(pieces) and pieces[j].kind in ("caption", "image") for j in (i - 1, i + 1))


#: Kinds that stand between the halves of a broken paragraph without ending it.
_ASIDE_KINDS = frozenset({"caption", "label", "image", "footnote"})


def _inside_broken_paragraphs(pieces: list[Piece], cut_words: bool) -> list[bool]:
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
            and (cut_words or not previous.text.rstrip()[-1].isalnum())
            and after is not None and after.kind == "paragraph"
        )
        if body[i]:
            after = pieces[i]
    return inside

