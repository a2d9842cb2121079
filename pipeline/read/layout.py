"""Layout repair: a decoded source → a :class:`~pipeline.core.model.Document` of blocks.

Real sources are text pulled out of newspaper pages, PDFs and web CMSs, and web
pages saved as Markdown. Both give the same kind of block stream (*pieces*),
and the same rules repair it. The steps, in order:

1. cut the source into pieces, each remembering its exact source lines: a text
   source's non-blank lines; a Markdown source's blocks, read by
   :mod:`pipeline.read.markdown` (a paragraph's lines each a piece, a heading,
   list item, quote, table, footnote, code block or front matter as written);
2. put a Markdown paragraph's lines back together, except a picture, its caption
   and its credit, which stand apart (:func:`merge_lines`);
3. classify every piece: title, subtitle, byline, heading, paragraph, caption,
   footnote or image, from its shape and its neighbours (photo credits, figure
   captions, short picture names, two-phrase heads, numbered or bold heads,
   footnote markers); what Markdown syntax says is kept;
4. drop blocks, or runs of blocks, that repeat earlier ones (a truncated copy too);
5. join body paragraphs broken across a page or column: a paragraph that ends
   without sentence-final punctuation continues in the next body paragraph, even
   with photo captions, images or spliced footnotes (quotations and their
   sources) between the halves, which move after it;
6. drop duplicates again (a copy broken at different places only shows now);
7. close up the spaces a PDF extractor leaves in and around numbers (1976 年),
   when the rest of the text does not space numbers that way;
8. cut every block into sentences and flag damage (U+FFFD, stray Latin words)
   and repairs.

The rules read the Simplified form of the text, so they hold for Traditional
sources too. Nothing is lost: every non-whitespace character of a text source
ends up in a block or in ``Document.dropped``, and each block lists the source
lines it was built from.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Sequence
from pathlib import Path

import regex

from pipeline.core.errors import PARSE_FAILURES, SourceError, failure_reason
from pipeline.core.model import ATOMIC_MARKS, VERBATIM_KINDS, Document, Mark
from pipeline.read.blocks import build_document
from pipeline.read.pieces import Piece, joiner, text_pieces
from pipeline.read.sentences import NOTE_MARKER
from pipeline.read.source import SourceText, read_source, to_simplified

#: Sentence-final marks, full-width and the ASCII forms used in Chinese text.
FINAL_MARKS = "。！？!?…"
#: Closing quotes and brackets that may follow a final mark.
CLOSERS = "”’」』）)》〉】]\"'"
#: A body paragraph ending on one of these continues in the next one.
CONTINUING_MARKS = "，,、：:；;“‘「『（(《〈【—-"
#: A paragraph ending on one of these introduces what follows it (a quotation,
#: a picture), so it is not joined across pictures or spliced notes.
INTRODUCING_MARKS = "：:“‘「『"

#: Lines longer than this are never headings, bylines or picture names.
MAX_HEADING_CHARS = 30
MAX_PICTURE_NAME_CHARS = 15
MAX_CAPTION_CHARS = 80
MAX_SUBTITLE_CHARS = 80
#: A repeated block this long is a duplicate on its own; shorter ones only in a run.
MIN_DUPLICATE_CHARS = 20
MIN_TRUNCATED_CHARS = 6
#: Kinds never dropped as duplicates (code and tables may repeat on purpose).
NEVER_DROPPED = VERBATIM_KINDS | {"table"}

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
_CITATION_LINE = regex.compile(r"^(?:——|—|──)\s*\S|^[(（]?(?:摘自|选自|引自|转自|出处|来源)\s*[:：《]?")
_QUOTATION = regex.compile(r"^[“「『].*[”」』][。！？!?]?$", regex.S)
#: Image references a converter leaves in text: Markdown or HTML images, [图片].
_IMAGE_REFERENCE = regex.compile(
    r"^(?:!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>|<!--\s*image\s*-->|[\[【](?:图片|图像|插图|image|img|picture)[^\]】]{0,40}[\]】])$",
    regex.I,
)
_SPACE = regex.compile(r"\s+")
#: Spaces a PDF extractor leaves around numbers: 1976 年, 于 2023, 1 9 7 6.
_NUMBER_SPACE = regex.compile(r"(?<=\p{Han}) +(?=\d)|(?<=\d) +(?=\p{Han})")
_NUMBER_TIGHT = regex.compile(r"(?<=\p{Han})(?=\d)|(?<=\d)(?=\p{Han})")
#: Digits spaced apart one by one: 1 9 7 6.
_SPACED_DIGITS = regex.compile(r"(?<=\p{Han} ?)\d(?: \d)+(?![\d])|(?<![\d ])\d(?: \d)+(?= ?\p{Han})")


def load_document(path: str | Path, front_matter: Sequence[str] = ()) -> Document:
    """Read ``path`` and cut it into blocks and sentences (nothing translated yet);
    the values of a Markdown source's ``front_matter`` keys are translated too.
    Here rather than in :mod:`pipeline.run`, so ``duizhao segment`` imports no more
    than reading needs.

    This is where a source's bytes from outside become a document, so any failure
    of reading it (a Markdown structure nested past what the parser's recursion
    takes, text too large to hold, ...) is the one line of :class:`SourceError`."""
    try:
        return segment(read_source(path), front_matter)
    except SourceError:
        raise
    except PARSE_FAILURES as exc:
        raise SourceError(path, f"cannot be read: {failure_reason(exc)}",
                          "check that it is a text or Markdown document") from exc


def segment(source: SourceText, front_matter: Sequence[str] = ()) -> Document:
    """Repair the layout of ``source`` and cut it into blocks and sentences; for a
    Markdown source, the values of the ``front_matter`` keys are translated too."""
    if source.format == "markdown":
        from pipeline.read.markdown import markdown_pieces

        pieces = markdown_pieces(source.text, front_matter)
    else:
        pieces = text_pieces(source.text)
    for piece in pieces:
        piece.simple = to_simplified(piece.text, source.script)
    pieces = classify(merge_lines(pieces))
    pieces, dropped = drop_duplicates(pieces)
    pieces = join_broken_paragraphs(pieces)
    pieces, dropped_joined = drop_duplicates(pieces)
    close_number_spacing(pieces)
    return build_document(source, pieces, dropped + dropped_joined)


def merge_lines(pieces: list[Piece]) -> list[Piece]:
    """Put the lines of each Markdown paragraph back together, except an image,
    a caption or credit line, and a short picture name next to one of them,
    which become pieces of their own."""
    out: list[Piece] = []
    group: list[Piece] = []
    for piece in [*pieces, None]:
        if piece is not None and piece.continues:
            group.append(piece)
            continue
        if group:
            out.extend(_merge_group(group))
        group = [piece] if piece is not None else []
    return out


def _merge_group(lines: list[Piece]) -> list[Piece]:
    if len(lines) == 1:
        return [] if not lines[0].text.strip() else lines
    apart = [p.kind == "image" or _is_caption_text(p.simple) for p in lines]
    changed = True
    while changed:
        changed = False
        for i, piece in enumerate(lines):
            if not apart[i] and _is_picture_name_text(piece.simple) and any(
                0 <= j < len(lines) and apart[j] for j in (i - 1, i + 1)
            ):
                apart[i] = changed = True
    out: list[Piece] = []
    run: list[Piece] = []
    for piece, alone in [*zip(lines, apart), (None, True)]:
        if alone and run:
            while run and not run[-1].text.strip():
                run.pop()
            while run and not run[0].text.strip():
                run.pop(0)
            if run:
                out.append(_joined_lines(run))
            run = []
        if piece is None:
            break
        if alone:
            piece.continues = False
            out.append(piece)
        else:
            run.append(piece)
    return out


def _joined_lines(run: list[Piece]) -> Piece:
    """Lines of one paragraph as one piece (a soft line break in Chinese text is no space)."""
    first = run[0]
    merged = _concatenate(run)
    merged.kind, merged.fixed, merged.container = first.kind, first.fixed, first.container
    merged.level, merged.anchor = first.level, first.anchor
    spans = [s for p in run for s in p.spans]
    merged.spans = [(spans[0][0], spans[-1][1])] if spans else []
    return merged


def _concatenate(pieces: list[Piece]) -> Piece:
    """The pieces' texts joined as :func:`joiner` joins them, marks moved along."""
    parts: list[str] = []
    simple: list[str] = []
    marks: list[Mark] = []
    lines: list[int] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for piece in pieces:
        if parts and piece.hard_break and piece.continues:
            marks.append(Mark("break", length, length, piece.hard_break))
        if parts:
            glue = joiner(parts[-1], piece.text)
            parts.append(glue)
            simple.append(glue)
            length += len(glue)
        marks += [Mark(m.kind, m.start + length, m.end + length, m.markup, m.close, m.href) for m in piece.marks]
        parts.append(piece.text)
        simple.append(piece.simple)
        length += len(piece.text)
        lines += piece.lines
        spans += piece.spans
    return Piece("".join(parts), lines, marks=marks, spans=spans, simple="".join(simple))


def is_unfinished(text: str) -> bool:
    """True when a body paragraph ends mid-sentence: on a comma, 、, colon, an open
    quotation or bracket, or in the middle of a word. A closing quotation or a
    sentence-final mark ends it."""
    text = text.rstrip()
    if not text:
        return False
    last = text[-1]
    return last in CONTINUING_MARKS or last.isalnum()


def classify(pieces: list[Piece]) -> list[Piece]:
    """Give every piece its kind from its shape and its neighbours; a kind the
    Markdown gives stays (a first level-1 heading becomes the title)."""
    free = [not p.fixed for p in pieces]
    for piece, is_free in zip(pieces, free):
        if not is_free:
            continue
        if _IMAGE_REFERENCE.match(piece.simple):
            piece.kind = "image"
        elif _is_caption_text(piece.simple):
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
                  if p.kind not in ("front_matter", "image") and not _in_front_matter(p)), None)
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


def _in_front_matter(piece: Piece) -> bool:
    """A value of the front matter (its title often repeats the first heading)."""
    return piece.container[:1] == ("front_matter",)


def _is_caption_text(simple: str) -> bool:
    return len(simple) <= MAX_CAPTION_CHARS and bool(_CREDIT.search(simple))


def _is_picture_name_text(simple: str) -> bool:
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


def join_broken_paragraphs(pieces: list[Piece]) -> list[Piece]:
    """Join a paragraph that ends mid-sentence with the next body paragraph,
    skipping what stands between them (:func:`_aside_end`), which is put right
    after the joined one."""
    out: list[Piece] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        i += 1
        if piece.kind != "paragraph":
            out.append(piece)
            continue
        group, between = [piece], []
        while is_unfinished(group[-1].text):
            j = _aside_end(pieces, i, introduces=group[-1].text.rstrip()[-1] in INTRODUCING_MARKS)
            if j == len(pieces) or pieces[j].kind != "paragraph" or pieces[j].container != piece.container:
                break
            for aside in pieces[i:j]:
                if aside.kind == "paragraph":
                    aside.kind = "footnote"  # a quotation or its source, spliced into the body
            between.extend(pieces[i:j])
            group.append(pieces[j])
            i = j + 1
        if len(group) > 1:
            piece = _concatenate(group)
            piece.container, piece.repairs = group[0].container, ["joined"]
        out.append(piece)
        out.extend(between)
    return out


def _aside_end(pieces: list[Piece], i: int, introduces: bool) -> int:
    """Where the continuation of a broken paragraph may start: after the captions
    at ``i`` and, unless the paragraph introduces what follows (它说：), after the
    images, footnotes and spliced sidebar text (quotations and their sources).
    Quotations alone are the text's own (the
    paragraph goes on into them); with a source line or a note they are spliced."""
    j = i
    sidebar: list[int] = []
    spliced = False
    while j < len(pieces):
        piece = pieces[j]
        if piece.kind == "caption" or (not introduces and piece.kind in ("image", "footnote")):
            spliced |= piece.kind == "footnote"
        elif not introduces and piece.kind == "paragraph" and not piece.fixed and (
            _QUOTATION.match(piece.simple) or _CITATION_LINE.match(piece.simple)
        ):
            sidebar.append(j)
            spliced |= not _QUOTATION.match(piece.simple)
        else:
            break
        j += 1
    return sidebar[0] if sidebar and not spliced else j


_RUNNING_KINDS = frozenset({"paragraph", "list_item", "quote", "footnote"})


def close_number_spacing(pieces: list[Piece]) -> None:
    """Close up digits spaced one by one (1 9 7 6), and the spaces between numbers
    and Chinese (1976 年, 于 2023) when the text mostly writes them closed up: then
    they are an extractor's damage, not the text's style."""
    text = [p for p in pieces if p.kind not in NEVER_DROPPED]
    # Running text only: a caption's or heading's number may stand apart (图 2 分布).
    body = [p for p in text if p.kind in _RUNNING_KINDS]
    spaced = sum(len(_NUMBER_SPACE.findall(p.text)) for p in body)
    tight = sum(len(_NUMBER_TIGHT.findall(p.text)) for p in body)
    for piece in text:
        spaces = [i for m in _SPACED_DIGITS.finditer(piece.text) for i in range(m.start(), m.end()) if piece.text[i] == " "]
        if spaced and spaced < tight and piece.kind in _RUNNING_KINDS:
            spaces += [i for m in _NUMBER_SPACE.finditer(piece.text) for i in range(m.start(), m.end())]
        kept = [(m.start, m.end) for m in piece.marks if m.kind in ATOMIC_MARKS]
        spaces = sorted({i for i in spaces if not any(start <= i < end for start, end in kept)})
        if spaces:
            _remove_characters(piece, spaces)
            piece.repairs.append("spacing")


def _remove_characters(piece: Piece, positions: list[int]) -> None:
    """Take the characters at ``positions`` (sorted) out of the piece's text; marks move."""
    def moved(at: int) -> int:
        return at - bisect.bisect_left(positions, at)

    removed = set(positions)
    piece.text = "".join(c for i, c in enumerate(piece.text) if i not in removed)
    piece.marks = [Mark(m.kind, moved(m.start), moved(m.end), m.markup, m.close, m.href) for m in piece.marks]


def drop_duplicates(pieces: list[Piece]) -> tuple[list[Piece], list[tuple[Piece, Piece]]]:
    """Keep the first copy of a repeated block or run of blocks.

    A piece repeats an earlier one when its text (whitespace ignored) is the same,
    or is the beginning or end of it (a truncated copy). Long pieces are dropped on
    their own; short ones (a one-line lead such as 激发创新活力。 may recur on
    purpose) only as part of a run that repeats consecutive earlier pieces.
    Returns the kept pieces and ``(dropped, original)`` pairs.

    Near-linear: exact copies are found by hashing, truncated ones in sorted
    indexes of the keys and of the reversed keys (:class:`_AffixIndex`), and runs
    are measured in one pass.
    """
    match = _earlier_copies(pieces)  # index of the earlier piece each one repeats
    run_chars = _run_chars(pieces, match)
    kept: list[Piece] = []
    dropped: list[tuple[Piece, Piece]] = []
    kept_copy: list[int | None] = [None] * len(pieces)  # for a dropped piece: the copy kept
    for i, piece in enumerate(pieces):
        j = match[i]
        if j is not None and (len(piece.key) >= MIN_DUPLICATE_CHARS or run_chars[i] >= MIN_DUPLICATE_CHARS):
            j = kept_copy[j] if kept_copy[j] is not None else j
            kept_copy[i] = j
            dropped.append((piece, pieces[j]))
        else:
            kept.append(piece)
    return kept, dropped


def _earlier_copies(pieces: list[Piece]) -> list[int | None]:
    """For every piece, the first earlier piece it copies: the same key, or (same
    kind, at least :data:`MIN_TRUNCATED_CHARS`) the start or end of a longer key."""
    keys = [p.key for p in pieces]
    starts = _AffixIndex(keys, pieces)
    ends = _AffixIndex([k[::-1] for k in keys], pieces)
    first_seen: dict[str, int] = {}
    match: list[int | None] = []
    for i, key in enumerate(keys):
        if pieces[i].kind in NEVER_DROPPED or _in_front_matter(pieces[i]):
            match.append(None)
            continue
        if key in first_seen:
            match.append(first_seen[key])
            continue
        first_seen[key] = i
        if len(key) < MIN_TRUNCATED_CHARS:
            match.append(None)
            continue
        found = [j for j in (starts.first_extending(i), ends.first_extending(i)) if j is not None]
        match.append(min(found) if found else None)
    return match


class _AffixIndex:
    """Which earlier piece of the same kind has a key that extends a given piece's key.

    The keys of each kind are sorted once; the keys that start with ``k`` and are
    longer form one range of that order, and a sparse table gives the smallest
    piece index in any range in constant time.
    """

    def __init__(self, keys: list[str], pieces: list[Piece]):
        self.keys = keys
        self.kinds = [p.kind for p in pieces]
        self.sorted: dict[str, list[str]] = {}
        self.table: dict[str, list[list[int]]] = {}
        by_kind: dict[str, list[int]] = {}
        for i, kind in enumerate(self.kinds):
            by_kind.setdefault(kind, []).append(i)
        for kind, indices in by_kind.items():
            indices.sort(key=keys.__getitem__)
            self.sorted[kind] = [keys[i] for i in indices]
            levels = [indices]
            while 2 ** len(levels) <= len(indices):
                previous, step = levels[-1], 2 ** (len(levels) - 1)
                levels.append(list(map(min, previous, previous[step:])))
            self.table[kind] = levels

    def first_extending(self, i: int) -> int | None:
        """The smallest ``j < i`` whose key starts with ``keys[i]`` and is longer."""
        key, kind = self.keys[i], self.kinds[i]
        order = self.sorted[kind]
        low = bisect.bisect_right(order, key)  # equal keys sort first: skip them
        following = _successor(key)
        high = len(order) if following is None else bisect.bisect_left(order, following, low)
        if low >= high:
            return None
        levels = self.table[kind]
        level = (high - low).bit_length() - 1
        j = min(levels[level][low], levels[level][high - 2 ** level])
        return j if j < i else None


def _successor(key: str) -> str | None:
    """The least string greater than every string that starts with ``key``."""
    key = key.rstrip(chr(sys.maxunicode))
    return key[:-1] + chr(ord(key[-1]) + 1) if key else None


def _run_chars(pieces: list[Piece], match: list[int | None]) -> list[int]:
    """For every piece, the characters of the run of two or more consecutive pieces
    it belongs to that repeat consecutive earlier pieces (0 outside such a run)."""
    chars = [0] * len(pieces)
    start = 0
    for end in range(1, len(pieces) + 1):
        if end < len(pieces) and match[end] is not None and match[end - 1] is not None \
                and match[end] == match[end - 1] + 1:
            continue
        if end - start >= 2:
            total = sum(len(pieces[k].key) for k in range(start, end))
            chars[start:end] = [total] * (end - start)
        start = end
    return chars
