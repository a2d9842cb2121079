"""Pieces: runs of source text on their way to becoming blocks, as every reader
gives them to the layout repair (:mod:`pipeline.read.layout`), each remembering its
exact source lines and, for Markdown, its source offsets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import regex

from pipeline.core.model import Flag, Mark

_SPACE = regex.compile(r"\s+")

#: Sentence-final marks, full-width and the ASCII forms used in Chinese text.
FINAL_MARKS = "。！？!?…"
#: Closing quotes and brackets that may follow a final mark.
CLOSERS = "”’」』）)》〉】]\"'"
#: A body paragraph ending on one of these continues in the next one.
CONTINUING_MARKS = "，,、：:；;“‘「『（(《〈【—-"


@dataclass
class Cell:
    """A table cell: its text, the marks on it and its source span (Markdown)."""

    text: str
    marks: list[Mark]
    spans: list[tuple[int, int]]


@dataclass
class Table:
    header: int  # rows in the table's head
    align: list[str]  # per column: "left", "center", "right" or ""
    rows: list[list[Cell]]


@dataclass
class Piece:
    """A run of source text on its way to becoming a block."""

    text: str
    lines: list[int]
    kind: str = "paragraph"
    marks: list[Mark] = field(default_factory=list)
    #: Source offsets of the text's parts (Markdown): where the English goes.
    spans: list[tuple[int, int]] = field(default_factory=list)
    level: int | None = None
    anchor: str | None = None
    #: The kind is what the source's Markdown says; classification keeps it.
    fixed: bool = False
    #: The next line of the previous piece's Markdown paragraph.
    continues: bool = False
    #: The hard line break before it in its Markdown paragraph, as written (kept when the lines are joined).
    hard_break: str = ""
    #: The Markdown containers it is in (blockquote, list_item, admonition, ...).
    container: tuple[str, ...] = ()
    table: Table | None = None
    #: The Simplified form the rules read.
    simple: str = ""
    #: Repairs made to it, for its flags: "joined", "spacing".
    repairs: list[str] = field(default_factory=list)
    #: Its place in a structured source (becomes :attr:`~pipeline.core.model.Block.address`).
    address: dict[str, Any] | None = None
    #: What the page's geometry says of its end: ``True`` the text goes on in the next
    #: body piece (a full last line, the next one not indented), ``False`` it ends here
    #: (a short last line); ``None`` (text and Markdown): the text's punctuation decides.
    open_end: bool | None = None
    #: Flags a reader raises on its text (an OCR line read with low confidence).
    flags: list[Flag] = field(default_factory=list)
    #: A line that is a unit of its own (a transcript's subtitle line): never joined to another.
    unit: bool = False
    #: The first piece under a Markdown thematic break (``---``).
    after_rule: bool = False

    @property
    def key(self) -> str:
        return _SPACE.sub("", self.text)


def text_pieces(text: str) -> list[Piece]:
    """Non-blank lines, stripped, with their 1-based line numbers."""
    return [
        Piece(line.strip(), [number])
        for number, line in enumerate(text.split("\n"), start=1)
        if line.strip()
    ]


def joined_address(addresses: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """The address of pieces joined into one: the first one's, with every part's
    places in ``parts`` when they came from more than one (a paragraph broken
    across PDF pages keeps each page and box)."""
    known = [a for a in addresses if a is not None]
    if len(known) <= 1:
        return known[0] if known else None
    return {**known[0], "parts": [{k: v for k, v in a.items() if k != "parts"} for a in known]}


def joiner(left: str, right: str) -> str:
    """Chinese joins with nothing; two Latin words or numbers need a space."""
    return " " if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum() else ""


def in_front_matter(piece: Piece) -> bool:
    """A value of the front matter (its title often repeats the first heading)."""
    return piece.container[:1] == ("front_matter",)


def is_unfinished(text: str) -> bool:
    """True when a body paragraph ends mid-sentence: on a comma, 、, colon, an open
    quotation or bracket, or in the middle of a word. A closing quotation or a
    sentence-final mark ends it."""
    text = text.rstrip()
    if not text:
        return False
    last = text[-1]
    return last in CONTINUING_MARKS or last.isalnum()


def concatenate(pieces: list[Piece]) -> Piece:
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
    return Piece("".join(parts), lines, marks=marks, spans=spans, simple="".join(simple),
                 address=joined_address([p.address for p in pieces]), open_end=pieces[-1].open_end,
                 flags=[f for p in pieces for f in p.flags])


def sentences_about(pieces: Sequence[Piece]) -> int:
    """About how many sentences ``pieces`` make, before they are cut (the size of
    a part of a long source, :func:`pipeline.read.formats.read_parts`)."""
    return sum(max(1, sum(map(p.text.count, "。！？!?"))) for p in pieces)
