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
3. classify every piece (:mod:`pipeline.read.kinds`): title, subtitle, byline,
   heading, paragraph, caption, footnote or image, from its shape and its
   neighbours (photo credits, figure captions, short picture names, two-phrase
   heads, numbered or bold heads, footnote markers); what Markdown syntax says is kept;
4. drop blocks, or runs of blocks, that repeat earlier ones (a truncated copy too;
   :mod:`pipeline.read.duplicates`);
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
from collections.abc import Sequence
from pathlib import Path

import regex

from pipeline.core.model import ATOMIC_MARKS, Document, Mark
from pipeline.read.blocks import build_document
from pipeline.read.duplicates import NEVER_DROPPED, drop_duplicates
from pipeline.read.formats import ReadOptions
from pipeline.read.kinds import CITATION_LINE, QUOTATION, classify, is_caption_text, is_picture_name_text
from pipeline.read.pieces import Piece, is_unfinished, joiner, text_pieces
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
    apart = [p.kind == "image" or is_caption_text(p.simple) for p in lines]
    changed = True
    while changed:
        changed = False
        for i, piece in enumerate(lines):
            if not apart[i] and is_picture_name_text(piece.simple) and any(
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
