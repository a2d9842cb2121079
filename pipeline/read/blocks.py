"""Blocks: repaired pieces become the :class:`~pipeline.core.model.Document`'s
blocks, each cut into sentences with the inline marks on it and flagged for the
damage and repairs a reviewer should see."""

from __future__ import annotations

from collections.abc import Sequence

import regex

from pipeline.core.model import ATOMIC_MARKS, VERBATIM_KINDS, Block, Document, Dropped, Flag, Mark, Sentence
from pipeline.read.pieces import Piece, Table
from pipeline.read.sentences import NOTE_MARKER, split_sentences
from pipeline.read.source import SourceText, to_simplified

_STRAY_LATIN = regex.compile(r"(?<=[\p{Han}\p{P}]\s*)\b[a-z]{2,}\b(?=\s*[\p{Han}\p{N}])")
_SPACE = regex.compile(r"\s+")


def build_document(source: SourceText, pieces: list[Piece], dropped, removed: Sequence[tuple[Piece, str]] = (),
                   start: int = 1) -> Document:
    """The document of the repaired ``pieces``: a block each, cut into sentences and
    flagged. ``dropped`` are ``(duplicate, kept copy)`` pairs of the repair,
    ``removed`` the ``(piece, reason)`` a reader left out (boilerplate, page
    furniture): both are listed in ``Document.dropped``. Blocks are numbered
    from ``start`` (a part of a long document goes on from the part before)."""
    blocks: list[Block] = []
    block_of_line: dict[int, str] = {}
    for number, piece in enumerate(pieces, start=start):
        block_id = f"p{number}"
        simplified = to_simplified(piece.text, source.script)
        block = Block(block_id, piece.kind, piece.text, simplified, piece.lines,
                      level=piece.level, anchor=piece.anchor, spans=piece.spans, address=piece.address,
                      prefix=_continuation(source.text, piece) if source.format == "markdown" else "")
        if piece.table is not None:
            block.sentences, block.table = _table_sentences(piece.table, source.script)
            block.cell_spans = [[cell.spans for cell in row] for row in piece.table.rows]
        elif block.translatable:
            block.sentences = sentences_of(piece.text, piece.marks, source.script)
        block.flags = block_flags(piece)
        blocks.append(block)
        for line in piece.lines:
            block_of_line[line] = block_id
    block_by_id = {block.id: block for block in blocks}
    report = []
    for piece, original in dropped:
        kept = block_by_id[block_of_line[original.lines[0]]]
        # Judge against the block as finally kept: a copy of one half of a
        # paragraph that was joined later is a truncated copy of that paragraph.
        same = piece.key == _SPACE.sub("", kept.text)
        report.append(Dropped(piece.text, piece.lines, kept.id, "duplicate" if same else "truncated duplicate",
                              piece.spans, piece.address))
    report += [Dropped(piece.text, piece.lines, None, reason, piece.spans, piece.address) for piece, reason in removed]
    document = Document(str(source.path), source.encoding, source.script, blocks, report, format=source.format)
    if source.format == "markdown":
        document.markdown = source.text
    return document


_LIST_MARKER = regex.compile(r"[-*+]|\d{1,9}[.)]")


def _continuation(text: str, piece: Piece) -> str:
    """What continues a Markdown block's containers on a line of its own: the
    part of its first line before its text, with list markers as spaces (``> - ``
    → ``>   ``) and a heading's or an admonition's marker left out."""
    if not piece.spans:
        return ""
    start = piece.spans[0][0]
    before = text[text.rfind("\n", 0, start) + 1 : start]
    before = regex.sub(r"(?:#{1,6}|:{3,}\s*\S+)\s*$", "", before)
    return _LIST_MARKER.sub(lambda m: " " * len(m.group(0)), before)


def sentences_of(text: str, marks: list[Mark], script: str) -> list[Sentence]:
    """The sentences of a block's (or a cell's) text, each with the marks on it.

    Footnote markers and URLs in the text become marks kept as written (also in a
    text source). A sentence never ends inside such a mark; a paired mark that
    spans sentences is cut at their ends; a mark between two sentences (an empty
    one, say an image's) goes with the sentence before it."""
    marks = _found_marks(text, marks)
    spans: list[list[int]] = []
    at = 0
    for sentence in split_sentences(text):
        start = text.find(sentence, at)
        at = start + len(sentence)
        inside = any(m.kind in ATOMIC_MARKS and m.start < spans[-1][1] and m.end > start for m in marks) if spans \
            else False
        if spans and (inside or any(m.kind == "note" and m.start == start for m in marks)):
            spans[-1][1] = at  # never cut inside a mark kept as written, nor before a footnote marker
        else:
            spans.append([start, at])
    out = []
    for i, (start, end) in enumerate(spans):
        following = spans[i + 1][0] if i + 1 < len(spans) else len(text) + 1
        own = []
        for mark in marks:
            begins_here = (i == 0 or mark.start >= start) and mark.start < following
            if mark.kind in ATOMIC_MARKS and not begins_here:
                continue
            if mark.kind not in ATOMIC_MARKS and not (mark.start < end and mark.end > start) and not begins_here:
                continue
            clipped = Mark(mark.kind, min(max(mark.start, start), end) - start, min(max(mark.end, start), end) - start,
                           mark.markup, mark.close, mark.href)
            if clipped.end > clipped.start or mark.start == mark.end:
                own.append(clipped)
        sentence = text[start:end]
        out.append(Sentence(sentence, to_simplified(sentence, script), marks=own))
    return out


#: A URL in running text: kept as written, never given to the engine.
_URL = regex.compile(r"https?://[^\s<>\"'“”‘’（）【】《》，。、；：！？]+")


def _found_marks(text: str, marks: list[Mark]) -> list[Mark]:
    """``marks`` and the footnote markers and URLs of ``text`` outside them, in order."""
    taken = [(m.start, m.end) for m in marks]
    found = list(marks)
    for pattern, kind in ((_URL, "url"), (NOTE_MARKER, "note")):
        for match in pattern.finditer(text):
            start, end = match.span()
            if not any(a < end and start < b for a, b in taken):
                found.append(Mark(kind, start, end, href=match.group(0) if kind == "url" else ""))
                taken.append((start, end))
    return sorted(found, key=lambda m: (m.start, -m.end))


def _table_sentences(table: Table, script: str) -> tuple[list[Sentence], dict]:
    """A table's cells as translation units (a long cell is cut like any text),
    and its shape with each cell's sentence numbers."""
    sentences: list[Sentence] = []
    rows = []
    for row in table.rows:
        cells = []
        for cell in row:
            first = len(sentences) + 1
            sentences += sentences_of(cell.text, cell.marks, script)
            cells.append(list(range(first, len(sentences) + 1)))
        rows.append(cells)
    return sentences, {"header": table.header, "align": table.align, "rows": rows}


def block_flags(piece: Piece) -> list[Flag]:
    """Damage a reviewer should see: lost characters, stray Latin words, repairs.
    Code, front matter and images are what they are."""
    flags = list(piece.flags)
    if "\ufffd" in piece.text:
        flags.append(Flag(
            "replacement-char",
            "contains U+FFFD (a character was lost before this file was made); check the original",
        ))
    if piece.kind in VERBATIM_KINDS:
        return flags
    texts = [(c.text, c.marks) for row in piece.table.rows for c in row] if piece.table else [(piece.text, piece.marks)]
    # Words the source marks up (code, a link, bold) are meant as written.
    stray = [
        m.group(0) for text, marks in texts for m in _STRAY_LATIN.finditer(text)
        if not any(mark.start <= m.start() < mark.end for mark in marks)
    ]
    if stray:
        flags.append(Flag(
            "stray-latin",
            "Latin word(s) inside Chinese text, probably damage: " + ", ".join(dict.fromkeys(stray)),
        ))
    if "joined" in piece.repairs:
        flags.append(Flag(
            "joined",
            "joined from lines " + ", ".join(map(str, piece.lines)) + " (broken across a page or column)",
            severity="info",
        ))
    if "spacing" in piece.repairs:
        flags.append(Flag(
            "spacing",
            "spaces closed up in or around numbers (1976 年 → 1976年), as a PDF extractor leaves them",
            severity="info",
        ))
    return flags
