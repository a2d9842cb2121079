"""Layout repair: a decoded source → a :class:`~pipeline.core.model.Document` of blocks.

Real sources are text pulled out of newspaper pages, PDFs and web CMSs, and web
pages saved as Markdown. Both give the same kind of block stream (*pieces*),
and the same rules repair it. The steps, in order:

1. cut the source into pieces, each remembering its exact source lines: a text
   source's non-blank lines; a Markdown source's blocks, read by
   :mod:`pipeline.read.markdown` (a paragraph's lines each a piece, a heading,
   list item, quote, table, footnote, code block or front matter as written; the
   text of a ``<figcaption>`` a caption);
2. a text source: leave out a PDF page's furniture (page numbers, running heads,
   a journal's masthead) and put lines wrapped at the page's width back together
   (:mod:`pipeline.read.pages`); a table lined up with spaces becomes a table and
   pasted data (JSON, ``key: value``) code (:mod:`pipeline.read.structure`);
3. put a Markdown paragraph's lines back together, except a picture, its caption
   and its credit, which stand apart, and lines that are units: items, lines set
   apart with hard breaks after a sentence or a lead-in, a transcript's subtitle
   lines (:func:`merge_lines`);
4. leave out a web or WeChat page's boilerplate (:mod:`pipeline.read.boilerplate`),
   unless asked to keep it;
5. classify every piece (:mod:`pipeline.read.kinds`): title, subtitle, byline,
   heading, paragraph, list item, caption, footnote or image, from its shape and
   its neighbours (photo credits, caption marks under pictures, short picture
   names, two-phrase heads, numbered or bold heads, enumerations, footnote
   markers); what Markdown syntax says is kept;
6. drop blocks, or runs of blocks, that repeat earlier ones (a truncated copy too;
   :mod:`pipeline.read.duplicates`);
7. join body paragraphs broken across a page or column, on strong evidence only
   (:func:`_continues`: a clause mark, a line run on at the page's width, a cut
   mid-word in a text whose paragraphs rarely end so; never into an item, nor
   across a Markdown blank line after a colon), even with photo captions, images
   or spliced footnotes (quotations and their sources) between the halves, which
   move after it;
8. drop duplicates again (a copy broken at different places only shows now);
9. close up the spaces a PDF extractor leaves in and around numbers (1976 年),
   when the rest of the text does not space numbers that way;
10. cut every block into sentences and flag damage (U+FFFD, stray Latin words)
    and repairs.

The rules read the Simplified form of the text, so they hold for Traditional
sources too. Nothing is lost: every non-whitespace character of a text source
ends up in a block or in ``Document.dropped`` (with its reason: a duplicate,
boilerplate, page furniture), and each block lists the source lines it was built
from.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from pathlib import Path

import regex

from pipeline.core.model import ATOMIC_MARKS, Document, Mark
from pipeline.read.blocks import build_document
from pipeline.read.duplicates import NEVER_DROPPED, drop_duplicates
from pipeline.read.formats import ReadOptions
from pipeline.read.kinds import (
    ADOPTION_NOTE,
    CITATION_LINE,
    IMAGE_REFERENCE,
    NOTES_HEADING,
    QUOTATION,
    classify,
    is_byline_text,
    is_caption_text,
    is_picture_name_text,
)
from pipeline.read.boilerplate import boilerplate_flags
from pipeline.read.sentences import NOTE_MARKER
from pipeline.read.pages import join_spaced_letters, page_furniture, wrapped_lines
from pipeline.read.pieces import (
    CLOSERS,
    FINAL_MARKS,
    Piece,
    concatenate,
    in_front_matter,
    is_unfinished,
    text_pieces,
)
from pipeline.read.structure import is_json, is_key_value, is_structured_data, is_table_row, starts_item, table_piece
from pipeline.read.source import SourceText, read_source, to_simplified

#: A paragraph ending on one of these introduces what follows it (a quotation,
#: a picture), so it is not joined across pictures or spliced notes.
INTRODUCING_MARKS = "：:“‘「『"

#: Spaces a PDF extractor leaves around numbers: 1976 年, 于 2023, 1 9 7 6.
_NUMBER_SPACE = regex.compile(r"(?<=\p{Han}) +(?=\d)|(?<=\d) +(?=\p{Han})")
_NUMBER_TIGHT = regex.compile(r"(?<=\p{Han})(?=\d)|(?<=\d)(?=\p{Han})")
#: Digits spaced apart one by one: 1 9 7 6.
_SPACED_DIGITS = regex.compile(r"(?<=\p{Han} ?)\d(?: \d)+(?![\d])|(?<![\d ])\d(?: \d)+(?= ?\p{Han})")


def read_text(path: Path, options: ReadOptions) -> Document:
    """The reader of text and Markdown sources (:mod:`pipeline.read.formats`)."""
    return segment(read_source(path), options.front_matter, keep_boilerplate=options.keep_boilerplate)


def segment(source: SourceText, front_matter: Sequence[str] = (), *, keep_boilerplate: bool = False) -> Document:
    """Repair the layout of ``source`` and cut it into blocks and sentences; for a
    Markdown source, the values of the ``front_matter`` keys are translated too.
    With ``keep_boilerplate``, what a web page's boilerplate rules would drop stays."""
    markdown = source.format == "markdown"
    if markdown:
        from pipeline.read.markdown import markdown_pieces

        pieces = markdown_pieces(source.text, front_matter)
    else:
        pieces = text_pieces(source.text)
    for piece in pieces:
        piece.simple = to_simplified(piece.text, source.script)
    removed: list[tuple[Piece, str]] = []
    wrapped: set[int] = set()
    if not markdown:
        furniture = page_furniture(pieces, source.text)
        removed += [(p, "page-furniture") for p, out in zip(pieces, furniture) if out]
        pieces = [p for p, out in zip(pieces, furniture) if not out]
        wrapped = wrapped_lines(pieces)
        pieces = join_wrapped_lines(group_text_lines(join_spaced_letters(pieces)), wrapped)
    pieces = merge_lines(pieces)
    cut_words = _cuts_words_rarely(pieces, wrapped)
    pieces, boilerplate = _without_boilerplate(pieces, keep_boilerplate, cut_words)
    removed += [(p, "boilerplate") for p in boilerplate]
    pieces = classify(pieces, cut_words=cut_words)
    pieces, dropped = drop_duplicates(pieces)
    pieces = join_broken_paragraphs(pieces, wrapped=wrapped, markdown=markdown, cut_words=cut_words)
    pieces, dropped_joined = drop_duplicates(pieces)
    close_number_spacing(pieces)
    removed.sort(key=lambda item: item[0].lines[0])
    return build_document(source, pieces, dropped + dropped_joined, removed)


def repair(pieces: list[Piece], script: str, head: bool = True) -> tuple[list[Piece], list[tuple[Piece, Piece]]]:
    """The repair steps a structured reader's pieces still need (the reader has read
    its lines into blocks and left its page furniture out, as a PDF's geometry
    tells): classify, drop duplicates, join broken paragraphs (as the pieces'
    :attr:`~pipeline.read.pieces.Piece.open_end` says, else their text), drop
    duplicates again, close up number spacing. Returns the pieces and the
    ``(duplicate, kept copy)`` pairs. Without ``head``, the pieces are a later
    part of a document (:func:`pipeline.read.kinds.classify`)."""
    for piece in pieces:
        piece.simple = to_simplified(piece.text, script)
    cut_words = _cuts_words_rarely(pieces, set())
    pieces = classify(pieces, cut_words=cut_words, head=head)
    pieces, dropped = drop_duplicates(pieces)
    pieces = join_broken_paragraphs(pieces, cut_words=cut_words)
    pieces, dropped_joined = drop_duplicates(pieces)
    close_number_spacing(pieces)
    return pieces, dropped + dropped_joined


def _without_boilerplate(pieces: list[Piece], keep: bool, cut_words: bool) -> tuple[list[Piece], list[Piece]]:
    """The pieces that are not a web page's boilerplate, and those that are
    (:mod:`pipeline.read.boilerplate`); with ``keep``, all of them and none.
    The rules see every piece's kind as the classification gives it; the pieces
    kept are classified again without the boilerplate around them."""
    given = [p.kind for p in pieces]
    classify(pieces, cut_words=cut_words)
    # A heading the layout repair found (a short line), or a picture's name it found
    # by its neighbours, is only a label to these rules.
    kinds = ["label" if not p.fixed and (p.kind == "heading" or (p.kind == "caption" and is_picture_name_text(p.simple)))
             else p.kind for p in pieces]
    title = next((i for i, kind in enumerate(kinds) if kind == "title"), -1)
    start = next((i for i, p in enumerate(pieces) if p.kind != "front_matter" and not in_front_matter(p)), 0)
    rule = next((i for i, p in enumerate(pieces[:MAX_HEAD_BLOCKS]) if p.after_rule and i > start), None)
    flags = boilerplate_flags([p.simple for p in pieces], kinds, body_start=max(title + 1, start), rule=rule)
    for piece, kind in zip(pieces, given):
        piece.kind = kind
    if keep or not any(flags):
        return pieces, []
    return [p for p, out in zip(pieces, flags) if not out], [p for p, out in zip(pieces, flags) if out]


def join_wrapped_lines(pieces: list[Piece], wrapped: set[int]) -> list[Piece]:
    """A text source's lines that run on at the page's width (``wrapped``) joined
    with the line after them, as a PDF's paragraph is one (not flagged: a line's
    wrap is no damage). An item, a picture or a caption starts a block of its own.
    A note's marker left alone on its line ([1], ∗) goes with the note under it,
    and an author's affiliation in brackets with the name above it."""
    out: list[Piece] = []
    for piece in pieces:
        previous = out[-1] if out else None
        if previous is None or piece.fixed or (previous.fixed and previous.kind != "byline"):
            out.append(piece)
        elif previous.fixed:  # an author's byline: another affiliation or an e-mail address under it
            if _AFFILIATION.match(piece.text):
                out[-1] = concatenate([previous, piece])
                out[-1].kind, out[-1].fixed = "byline", True
            else:
                out.append(piece)
        elif previous.lines[-1] in wrapped and not starts_item(piece.simple) \
                and not is_caption_text(piece.simple) and not IMAGE_REFERENCE.match(piece.simple):
            out[-1] = concatenate([previous, piece])
        elif _BARE_MARKER.match(previous.text) and len(piece.text) >= MIN_NOTE_CHARS:
            out[-1] = concatenate([previous, piece])
        elif _AFFILIATION.match(piece.text) and (_AUTHOR.match(previous.text) or _AFFILIATION.search(previous.text)):
            out[-1] = concatenate([previous, piece])
            out[-1].kind, out[-1].fixed = "byline", True
        else:
            out.append(piece)
    return out


#: A note's marker alone on a line: [1], ①, ∗, †.
_BARE_MARKER = regex.compile(r"^(?:" + NOTE_MARKER.pattern + r"|[∗*†‡§])$")
MIN_NOTE_CHARS = 8
#: An author's name on a line of its own (何 穗, LIU Huanbin) and an affiliation in
#: brackets under it: a university, an institute, a postcode, an e-mail address.
_AUTHOR = regex.compile(r"^(?:[\p{Han}·](?:\s?[\p{Han}·]){1,3}|[A-Z][A-Za-z-]+(?:\s+[A-Z][A-Za-z-]+){1,2})$")
_AFFILIATION = regex.compile(
    r"^[(（].{0,80}(?:大学|学院|研究所|研究院|研究中心|实验室|University|Institute|College|Academy|Department|School"
    r"|Laboratory|\b\d{6}\b|[Ee]-?mail).{0,80}[)）]$"
)


#: How far down a thematic break can close a repost's note.
MAX_HEAD_BLOCKS = 10


def group_text_lines(pieces: list[Piece]) -> list[Piece]:
    """A text source's lines, with the rows of a table lined up with spaces as one
    table, and lines of pasted data (JSON, ``key: value``) as one code block."""
    out: list[Piece] = []
    i = 0
    while i < len(pieces):
        j = i
        while j < len(pieces) and is_table_row(pieces[j].text):
            j += 1
        if j - i >= 2:
            out.append(table_piece(pieces[i:j]))
            i = j
            continue
        data = _data_end(pieces, i)
        if data > i:
            out.append(_code_piece(pieces[i:data]))
            i = data
            continue
        out.append(pieces[i])
        i += 1
    return out


def _data_end(pieces: list[Piece], i: int) -> int:
    """The end of a run of lines from ``i`` that is structured data (a JSON value
    whose lines open with a bracket, or two or more ``key: value`` lines), else ``i``."""
    if pieces[i].text[:1] in "{[":
        for j in range(i + 1, min(i + 500, len(pieces)) + 1):
            if pieces[j - 1].text[-1:] in "}]" and is_json("\n".join(p.text for p in pieces[i:j])):
                return j
    j = i
    while j < len(pieces) and is_key_value(pieces[j].text):
        j += 1
    return j if j - i >= 2 and is_structured_data("\n".join(p.text for p in pieces[i:j])) else i


def _code_piece(run: list[Piece]) -> Piece:
    text = "\n".join(p.text for p in run)
    piece = Piece(text, [n for p in run for n in p.lines], "code", fixed=True, simple=text)
    return piece


def merge_lines(pieces: list[Piece]) -> list[Piece]:
    """Put the lines of each Markdown paragraph back together, except an image,
    a caption or credit line, and a short picture name next to one of them,
    which become pieces of their own; and cut it where its lines are items (an
    enumeration marker starts one) or lines set apart with hard breaks after a
    sentence or a lead-in. A paragraph of ``key: value`` lines is kept as code."""
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
    if lines[0].kind == "paragraph" and is_structured_data("\n".join(p.text for p in lines)):
        code = _code_piece([p for p in lines if p.text.strip()])
        code.spans = [s for p in lines for s in p.spans]
        code.spans = [(code.spans[0][0], code.spans[-1][1])] if code.spans else []
        return [code]
    if lines[0].kind == "paragraph" and _is_utterances(lines):
        for line in lines:
            line.continues, line.unit = False, True
        return [line for line in lines if line.text.strip()]
    apart = [p.kind in ("image", "caption") or is_caption_text(p.simple) for p in lines]
    changed = True
    while changed:
        changed = False
        for i, piece in enumerate(lines):
            if not apart[i] and is_picture_name_text(piece.simple) and any(
                0 <= j < len(lines) and apart[j] for j in (i - 1, i + 1)
            ):
                apart[i] = changed = True
    # Hard-broken lines most of which start alike (李卓人：……, 蔡耀昌：……) are a list.
    hard = [p for p in lines[1:] if p.hard_break and p.text.strip()]
    listed = len(hard) >= 2 and len(hard) == len([p for p in lines[1:] if p.text.strip()]) \
        and sum(1 for p in hard if _LABELLED_LINE.match(p.simple)) * 2 > len(hard)
    out: list[Piece] = []
    run: list[Piece] = []
    previous: Piece | None = None
    notes = False
    for piece, alone in [*zip(lines, apart), (None, True)]:
        if run and (alone or _starts_unit(previous, piece) or (piece is not None and piece.text.strip() and (
                notes or (listed and piece.hard_break)))):
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
        if piece.text.strip():
            previous = piece
            notes |= bool(NOTES_HEADING.match(piece.simple))  # each line under 参考资料： is a reference
    return out


#: A line that starts with a short label and a colon: 李卓人：…… (an entry of a list).
_LABELLED_LINE = regex.compile(r"^[\p{Han}A-Za-z·]{1,8}[：:]\s*\S")


#: A transcript's paragraph: this many lines or more, most of them short and unpunctuated.
MIN_UTTERANCE_LINES = 8
MAX_UTTERANCE_CHARS = 40
MIN_UNPUNCTUATED_SHARE = 0.7


def _is_utterances(lines: list[Piece]) -> bool:
    """Whether a Markdown paragraph's lines are a transcript's subtitle lines, one
    utterance each (no punctuation at their ends, lengths all over the place),
    rather than prose wrapped at one width: then each line is a unit."""
    texts = [p.text.strip() for p in lines if p.text.strip()]
    if len(texts) < MIN_UTTERANCE_LINES or any(p.hard_break for p in lines):
        return False
    lengths = sorted(len(text) for text in texts)
    unpunctuated = sum(1 for text in texts if text[-1].isalnum())
    at_width = sum(1 for n in lengths if n >= lengths[-1] - 2)
    return (lengths[len(lengths) // 2] <= MAX_UTTERANCE_CHARS and unpunctuated >= MIN_UNPUNCTUATED_SHARE * len(texts)
            and at_width * 2 <= len(texts))


def _starts_unit(previous: Piece | None, line: Piece | None) -> bool:
    """Whether a line of a Markdown paragraph starts a block of its own: an item
    (an enumeration marker after a line that ends a clause, or after a hard
    break), or any line after a hard break that follows a sentence or a lead-in."""
    if previous is None or line is None or not line.text.strip():
        return False
    end = previous.text.rstrip()[-1:]
    if starts_item(line.simple):
        return bool(line.hard_break) or end in FINAL_MARKS + CLOSERS + "：:；;，,、"
    return bool(line.hard_break) and end in FINAL_MARKS + CLOSERS + "：:；;"


def _joined_lines(run: list[Piece]) -> Piece:
    """Lines of one paragraph as one piece (a soft line break in Chinese text is no space)."""
    first = run[0]
    merged = concatenate(run)
    merged.kind, merged.fixed, merged.container = first.kind, first.fixed, first.container
    merged.level, merged.anchor = first.level, first.anchor
    spans = [s for p in run for s in p.spans]
    merged.spans = [(spans[0][0], spans[-1][1])] if spans else []
    return merged


def join_broken_paragraphs(pieces: list[Piece], *, wrapped: set[int] = frozenset(), markdown: bool = False,
                           cut_words: bool = True) -> list[Piece]:
    """Join a paragraph (or a list item) that ends mid-sentence with the next body
    paragraph, skipping what stands between them (:func:`_aside_end`), which is
    put right after the joined one, when the evidence is strong
    (:func:`_continues`). ``wrapped`` are the lines of a text source that run on
    at the page's width; in Markdown every join crosses a blank line;
    ``cut_words``: a paragraph that ends mid-word is cut (:func:`_cuts_words_rarely`)."""
    out: list[Piece] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        i += 1
        if piece.kind == "subtitle" and ADOPTION_NOTE.match(piece.simple):
            group = [piece]
            while i < len(pieces) and pieces[i].kind == "subtitle" and ADOPTION_NOTE.match(pieces[i].simple):
                group.append(pieces[i])  # a law's adoption note, one event a paragraph: one note
                i += 1
            out.append(_joined(group) if len(group) > 1 else piece)
            continue
        if piece.kind == "footnote" and not piece.fixed:
            group = [piece]  # a note broken across a page: its rest follows right under it
            while i < len(pieces) and pieces[i].kind == "paragraph" and goes_on(group[-1]) \
                    and _continues(group[-1], pieces[i], wrapped, markdown, cut_words):
                group.append(pieces[i])
                i += 1
            out.append(_joined(group) if len(group) > 1 else piece)
            continue
        if piece.kind not in ("paragraph", "list_item") or (piece.kind == "list_item" and piece.fixed):
            out.append(piece)
            continue
        group, between = [piece], []
        while goes_on(group[-1]):
            j = _aside_end(pieces, i, introduces=group[-1].text.rstrip()[-1:] in tuple(INTRODUCING_MARKS))
            if j == len(pieces) or pieces[j].kind != "paragraph" or pieces[j].container != piece.container \
                    or not _continues(group[-1], pieces[j], wrapped, markdown, cut_words):
                break
            for aside in pieces[i:j]:
                if aside.kind == "paragraph":
                    aside.kind = "footnote"  # a quotation or its source, spliced into the body
            between.extend(pieces[i:j])
            group.append(pieces[j])
            i = j + 1
        out.append(_joined(group) if len(group) > 1 else piece)
        out.extend(between)
    return out


def goes_on(piece: Piece) -> bool:
    """A body piece continues in the next one: as the page's geometry says
    (:attr:`Piece.open_end`), else when its text is unfinished."""
    return piece.open_end if piece.open_end is not None else is_unfinished(piece.text)


def _joined(group: list[Piece]) -> Piece:
    """The pieces of one broken block as one, of the first one's kind, flagged."""
    piece = concatenate(group)
    piece.kind, piece.container, piece.repairs = group[0].kind, group[0].container, ["joined"]
    return piece


#: A clause never ends on these: the sentence goes on in the next block.
_CLAUSE_MARKS = "，,、；;“‘「『（(《〈【—-"
_OPENING_QUOTES = "“‘「『\""
#: Body paragraphs this long, or with a clause in them (not a heading), tell how a text
#: ends its paragraphs.
MIN_STYLE_CHARS = 15
_CLAUSE = regex.compile(r"[，,、；;：:。！？!?]")
#: At most this share of them may end mid-word for a mid-word end to be damage.
MAX_CUT_SHARE = 0.34


def _cuts_words_rarely(pieces: list[Piece], wrapped: set[int]) -> bool:
    """Whether the text's long body paragraphs end on punctuation, all but a few:
    then one that ends mid-word was cut (at a page or column break). A text whose
    lines often end without punctuation (comments, subtitles) writes them so.
    Lines that run on at the page's width say nothing of it."""
    ends = [p.text.rstrip()[-1] for p in pieces
            if p.kind == "paragraph" and (len(p.text) >= MIN_STYLE_CHARS or _CLAUSE.search(p.text.rstrip()[:-1]))
            and not p.fixed
            and p.lines[-1] not in wrapped and not starts_item(p.simple)
            and not is_caption_text(p.simple) and not is_byline_text(p.simple)]
    ends = [end for end in ends if not (end.isascii() and end.isalnum())]  # Latin lines wrap as Latin does
    cut = sum(1 for end in ends if end.isalnum())
    return cut <= max(1, MAX_CUT_SHARE * len(ends))


def _continues(piece: Piece, following: Piece, wrapped: set[int], markdown: bool, cut_words: bool) -> bool:
    """Whether ``piece`` (which ends unfinished) runs on into ``following``: never
    into an item (an enumeration marker is a boundary); always after a line that
    runs on at the page's width, or a clause mark (，、；); after a colon only into
    a quotation, and not across a Markdown block's blank line; after a word only
    where the text's paragraphs rarely end so, and into a word."""
    if starts_item(following.simple) or piece.unit or following.unit:
        return False
    if piece.open_end is not None:  # the page's geometry: a last line that runs to the column's end
        return piece.open_end
    last = piece.text.rstrip()[-1]
    first = following.text.lstrip()[:1]
    if piece.lines[-1] in wrapped:
        return True
    if last in "：:":
        # Into a quotation (他说：“……”), or a number (a reference's pages: 161(2): / 307–320).
        return not markdown and (first in _OPENING_QUOTES or first.isdigit())
    if last in _CLAUSE_MARKS:
        return True
    if not markdown and _LATIN_WRAP.match(last + first):
        return True  # English prose wrapped in a text source: ... for recurrent / event data, ...
    # A short line (a poem's, a list's) that ends without punctuation is a line, not a
    # cut paragraph: unless a clause or an open quotation in it says otherwise.
    sentence_like = len(piece.text) >= MIN_STYLE_CHARS or bool(_CLAUSE.search(piece.text)) or any(
        piece.text.count(a) > piece.text.count(b) for a, b in ("“”", "「」", "（）", "()", "《》"))
    return cut_words and sentence_like and last.isalnum() and not last.isascii() \
        and first.isalnum() and not first.isascii()


_LATIN_WRAP = regex.compile(r"[a-z,][a-z]")


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
            QUOTATION.match(piece.simple) or CITATION_LINE.match(piece.simple)
        ):
            sidebar.append(j)
            spliced |= not QUOTATION.match(piece.simple)
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
