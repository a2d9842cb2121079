"""The document model shared by every stage.

A :class:`Document` is made of :class:`Block` objects (title, byline, heading,
paragraph, caption, ...), each cut into :class:`Sentence` objects. Later stages add
fields to the same model (a sentence gains ``translation``, ``terms``, ``flags``)
rather than invent a new one. ``to_json`` is a stable interface (``schema_version``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from pipeline.core.errors import DuizhaoError
from pipeline.core.text import clip

SCHEMA_VERSION = 1

#: Block kinds layout repair finds in any source, in the order a reader meets them:
#: a subtitle follows the title; a footnote is a footnote, endnote, sidebar
#: quotation or citation (also one an extractor spliced into the body); an image
#: is a picture's reference (Markdown, HTML or a converter's placeholder).
TEXT_KINDS = ("title", "subtitle", "byline", "heading", "paragraph", "caption", "footnote", "image")
#: Extra kinds only Markdown syntax gives: a table's cells are its translation units.
MARKDOWN_KINDS = ("list_item", "quote", "table", "code", "front_matter")
#: Kinds only a structured source gives: a page header or footer kept with the document
#: (a Word file's), a subtitle cue, an entry of a book's table of contents.
FORMAT_KINDS = ("header", "footer", "cue", "toc")
KINDS = TEXT_KINDS + MARKDOWN_KINDS + FORMAT_KINDS
#: Why a piece of the source was left out of the blocks (it is listed in
#: ``Document.dropped``, never lost): a repeat of an earlier block (whole or cut
#: short), a web or WeChat page's boilerplate (follow prompts, share buttons,
#: related-article lists, credits), a page's running header, footer or number.
DROP_REASONS = ("duplicate", "truncated duplicate", "boilerplate", "page-furniture")
#: Kinds carried through untranslated.
VERBATIM_KINDS = frozenset({"code", "front_matter", "image"})
#: Marks whose text is kept as written (never given to the engine); the others
#: (strong, em, strike, link) wrap text that is translated.
ATOMIC_MARKS = frozenset({"code", "note", "image", "html", "break", "url"})


@dataclass(frozen=True)
class Flag:
    """Something a reviewer should look at."""

    code: str  # stable identifier, e.g. "replacement-char"
    message: str
    severity: str = "warning"  # "info" | "warning" | "error"
    #: A reviewer marked it resolved (for the English the sentence has now).
    resolved: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "severity": self.severity, "message": self.message}
        if self.resolved:
            data["resolved"] = True
        return data


@dataclass(frozen=True)
class Mark:
    """Inline structure on ``text[start:end]``: emphasis, a link, inline code, a
    footnote marker, ... ``markup`` is the source's Markdown as written: for a
    paired kind the opening (``**``, ``[``), with ``close`` the closing (``**``,
    ``](url "title")``); for an atomic kind (:data:`ATOMIC_MARKS`) the whole
    (`` `code` ``, ``![alt](src)``, ``[^1]``), empty for a plain-text source."""

    kind: str
    start: int
    end: int
    markup: str = ""
    close: str = ""
    href: str = ""  # a link's target or an image's source

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "start": self.start, "end": self.end}
        if self.href:
            data["href"] = self.href
        return data


@dataclass(frozen=True)
class Slot:
    """What one placeholder of a masked sentence stands for: a glossary term
    (``sentence.terms[index]``), an atomic mark kept as written, or the opening
    or closing of a paired mark (``sentence.marks[index]``)."""

    kind: str  # "term" | "mark" | "open" | "close"
    index: int


@dataclass(frozen=True)
class TermMatch:
    """A glossary term found in a sentence. ``start``/``end`` index the sentence's
    original-script text; ``entry`` is ``file:line`` of the glossary entry."""

    zh: str  # as written in the source
    en: str  # the rendering the English must contain
    start: int
    end: int
    entry: str
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "zh": self.zh, "en": self.en, "start": self.start, "end": self.end, "entry": self.entry,
        }
        if self.note:
            data["note"] = self.note
        return data


@dataclass
class Sentence:
    """One translation unit. ``text`` is in the source's script, ``simplified`` is
    the Simplified form used for glossary matching and machine translation."""

    text: str
    simplified: str
    translation: str | None = None
    flags: list[Flag] = field(default_factory=list)
    terms: list[TermMatch] = field(default_factory=list)
    #: What the engine is given: ``simplified`` with glossary terms masked.
    mt_input: str | None = None
    #: Placeholder brackets the source itself writes, masked in ``mt_input`` after the
    #: terms' placeholders (:func:`pipeline.terms.glossary.mask_spans`).
    mt_literals: tuple[str, ...] = ()
    #: Inline structure on ``text`` (Markdown emphasis, links, code; footnote markers, URLs).
    marks: list[Mark] = field(default_factory=list)
    #: The same marks on ``translation``, where the engine put them.
    translation_marks: list[Mark] = field(default_factory=list)
    #: What each placeholder of ``mt_input`` stands for, in order (before the literals).
    mt_slots: tuple[Slot, ...] = ()
    #: Set when a reviewer's post-edit replaced the translation: the machine output.
    machine: str | None = None
    edited: bool = False
    #: The machine output the edit was made against (differs from ``machine`` when stale).
    edited_against: str | None = None
    #: The English is approved: by the reviewer (``status`` in the edits file), or
    #: taken from the project translation memory (``memory``).
    approved: bool = False
    #: An exact translation-memory match in place of the engine's output:
    #: ``{"match": "exact", "document", "date", "signature"}``.
    memory: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text}
        if self.simplified != self.text:
            data["simplified"] = self.simplified
        if self.translation is not None:
            data["translation"] = self.translation
        if self.edited:
            data["edited"] = True
            data["machine"] = self.machine
            if self.edited_against is not None and self.edited_against != self.machine:
                data["edited_against"] = self.edited_against
        if self.approved:
            data["approved"] = True
        if self.memory is not None:
            data["memory"] = dict(self.memory)
        if self.terms:
            data["terms"] = [t.to_json() for t in self.terms]
        if self.marks:
            data["marks"] = [m.to_json() for m in self.marks]
        if self.translation_marks:
            data["translation_marks"] = [m.to_json() for m in self.translation_marks]
        if self.flags:
            data["flags"] = [f.to_json() for f in self.flags]
        return data


@dataclass
class Block:
    """A unit of layout: one title, byline, heading, paragraph or caption.

    ``lines`` are the 1-based source lines the block was built from (several when
    a paragraph broken across a page or column was joined back together).

    ``Document.from_json`` reads back what ``to_json`` writes, and ignores fields it
    does not know (a newer version's), so a JSON edited by another tool or made by a
    newer duizhao can be rendered again.
    """

    id: str
    kind: str
    text: str
    simplified: str
    lines: list[int]
    sentences: list[Sentence] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    #: A Markdown heading's level (1-6); ``None`` for a heading found by layout repair.
    level: int | None = None
    #: The id the source gives the block: a heading's ``{#id}``, a footnote's label.
    anchor: str | None = None
    #: A table's shape: ``{"header": rows in the head, "align": per column,
    #: "rows": [[[sentence numbers of the cell, from 1], ...], ...]}``.
    table: dict[str, Any] | None = None
    #: Where the block is in a structured source, as its format names places, so the
    #: format's writer can put the English back: an element path in an HTML or XHTML
    #: file (``{"file", "path"}``), a paragraph or table cell of a Word file, the cues
    #: of a subtitle file, a PDF page and box (``{"page", "box"}``). ``None`` for text.
    address: dict[str, Any] | None = None
    #: Markdown sources, for the exports (not in the JSON): the source offsets of
    #: the text's parts (several for a joined paragraph; the English goes in the
    #: first), each table cell's (row by row), and what continues the block's
    #: containers on a new line (``> ``, a list item's indent).
    spans: list[tuple[int, int]] = field(default_factory=list, repr=False)
    cell_spans: list[list[list[tuple[int, int]]]] = field(default_factory=list, repr=False)
    prefix: str = field(default="", repr=False)

    @property
    def translatable(self) -> bool:
        return self.kind not in VERBATIM_KINDS

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "text": self.text}
        if self.simplified != self.text:
            data["simplified"] = self.simplified
        data["lines"] = self.lines
        if self.address is not None:
            data["address"] = self.address
        if self.level is not None:
            data["level"] = self.level
        if self.anchor is not None:
            data["anchor"] = self.anchor
        if self.table is not None:
            data["table"] = self.table
        data["sentences"] = [s.to_json() for s in self.sentences]
        data["flags"] = [f.to_json() for f in self.flags]
        return data


@dataclass
class Dropped:
    """Source text left out of the blocks, and why (:data:`DROP_REASONS`): reported,
    never lost. A duplicate names the block that is kept."""

    text: str
    lines: list[int]
    duplicate_of: str | None  # id of the block that is kept, for a duplicate
    reason: str
    #: Markdown sources: the source offsets of its text (left out of the exports too).
    spans: list[tuple[int, int]] = field(default_factory=list, repr=False)
    #: Its place in a structured source (as :attr:`Block.address`).
    address: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "lines": self.lines}
        if self.address is not None:
            data["address"] = self.address
        if self.duplicate_of is not None:
            data["duplicate_of"] = self.duplicate_of
        data["reason"] = self.reason
        return data


#: Characters of a first line that make a title (a longer line is cut, with …).
TITLE_CHARS = 60


def document_title(blocks: Iterable[tuple[str, str]], source: str) -> str:
    """A document's title, from its ``(kind, text)`` blocks: the title block, else
    the first line of its first block of text (a headline that ends in 。 is not a
    title block to the layout rules, yet it names the document), cut to
    :data:`TITLE_CHARS`; the source's file name when there is no text at all.
    The reader's ``<title>`` and the library page's Title column both show it."""
    finder = TitleFinder()
    for kind, text in blocks:
        if finder.add(kind, text):
            break
    return finder.title(source)


class TitleFinder:
    """:func:`document_title` fed one block at a time, for a pass over the blocks
    that does other work too (the library row of a long document)."""

    def __init__(self) -> None:
        self._title: str | None = None
        self._first: str | None = None

    def add(self, kind: str, text: str) -> bool:
        """Take the next block; ``True`` once the title block is found (the rest cannot change it)."""
        if self._title is not None:
            return True
        if kind == "title" and text.strip():
            self._title = " ".join(text.split())
            return True
        if self._first is None and kind not in VERBATIM_KINDS and text.strip():
            self._first = next(line for line in text.split("\n") if line.strip())
        return False

    def title(self, source: str) -> str:
        if self._title is not None:
            return self._title
        if self._first is None:
            return PurePath(source).name
        return clip(" ".join(self._first.split()), TITLE_CHARS)


@dataclass
class Document:
    source: str
    encoding: str
    script: str  # "simplified" | "traditional"
    #: A list; for a long document read in parts, a :class:`pipeline.core.spill.BlockSpill`.
    blocks: list[Block] | Sequence[Block] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    #: Set by translation: the engine signature every translation was made with,
    #: and the run's counts {"sentences", "translated", "cached", "seconds"}.
    signature: str | None = None
    stats: dict[str, Any] | None = None
    #: Glossary files used: [{"file", "sha256", "entries"}].
    glossary: list[dict[str, Any]] | None = None
    #: Post-edits: {"file", "applied", "orphaned": [{"source", "english", "line", "closest"?}]}.
    edits: dict[str, Any] | None = None
    #: A Markdown source's text, which its Markdown exports follow (not in the JSON).
    markdown: str | None = field(default=None, repr=False)
    #: The source's format (:mod:`pipeline.read.formats`): ``text``, ``markdown``, ``html``, ...
    format: str = "text"

    def sentences(self) -> list[Sentence]:
        return list(self.each_sentence())

    def each_sentence(self) -> Iterator[Sentence]:
        """The translatable sentences in order, one block at a time (a long document's
        blocks are read from disk as they are reached: :mod:`pipeline.core.spill`)."""
        return (s for b in self.blocks if b.translatable for s in b.sentences)

    def title(self) -> str:
        """:func:`document_title` of this document."""
        return document_title(((b.kind, b.text) for b in self.blocks), self.source)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "encoding": self.encoding,
            "script": self.script,
            "format": self.format,
            "blocks": [b.to_json() for b in self.blocks],
            "dropped": [d.to_json() for d in self.dropped],
            **({"signature": self.signature} if self.signature is not None else {}),
            **({"stats": self.stats} if self.stats is not None else {}),
            **({"glossary": self.glossary} if self.glossary is not None else {}),
            **({"edits": self.edits} if self.edits is not None else {}),
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "document", keep_blocks: bool = True) -> Document:
        """The document ``to_json`` wrote. Unknown fields are ignored; a missing or
        ill-typed one raises :class:`DocumentJSONError` naming its place
        (``blocks[3].sentences[1].text``). Without ``keep_blocks`` every block is
        read and checked but none kept (``blocks`` is empty): whether a file is a
        document model, in the memory of one block."""
        doc = _Reader(data, where)
        version = doc.get("schema_version", int)
        if version < 1:
            doc.fail("schema_version", f"must be 1 or more, not {version}")
        if not doc.get("source", str).strip():
            doc.fail("source", "is empty")
        blocks = [_block(b) for b in doc.items("blocks")] if keep_blocks else _checked(doc.items("blocks"))
        return cls(
            source=doc.get("source", str),
            encoding=doc.get("encoding", str),
            script=doc.get("script", str, choices=("simplified", "traditional")),
            blocks=blocks,
            dropped=[Dropped(d.get("text", str), d.get("lines", list), d.get("duplicate_of", str, None),
                             d.get("reason", str), address=d.get("address", dict, None))
                     for d in doc.items("dropped", required=False)],
            signature=doc.get("signature", str, None),
            stats=_stats(doc),
            glossary=_glossary(doc),
            edits=_edits(doc),
            format=doc.get("format", str, "text"),
        )


class DocumentJSONError(DuizhaoError):
    """A document JSON that cannot be read back: the place and what is wrong."""


def read_document_json(path: str | Path) -> Document:
    """The document in the JSON file ``path`` (``duizhao run``'s ``<stem>.json``)."""
    import json

    from pipeline.core.errors import PARSE_FAILURES, failure_reason

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DocumentJSONError(f"{path}: no such file (give the .json a run wrote)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentJSONError(f"{path}: cannot be read ({failure_reason(exc)})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentJSONError(f"{path}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg})") from exc
    except PARSE_FAILURES as exc:  # nested past the parser's recursion, too large
        raise DocumentJSONError(f"{path}: not JSON a document can be read from ({failure_reason(exc)})") from exc
    version = data.get("schema_version") if isinstance(data, dict) else None
    newer = f" (written by a newer duizhao: schema_version {version})" if isinstance(version, int) \
        and version > SCHEMA_VERSION else ""
    try:
        return Document.from_json(data, str(path))
    except DocumentJSONError as exc:
        raise DocumentJSONError(f"{exc}{newer}") from exc
    except PARSE_FAILURES as exc:  # the boundary where a document from outside is read
        raise DocumentJSONError(f"{path}: not a document model ({failure_reason(exc)}){newer}") from exc


_MISSING = object()


class _Reader:
    """Typed access to one JSON object, naming the place of every problem."""

    def __init__(self, data: Any, where: str):
        if not isinstance(data, dict):
            raise DocumentJSONError(f"{where}: must be an object, not {type(data).__name__}")
        self.data, self.where = data, where

    def fail(self, key: str, problem: str):
        raise DocumentJSONError(f"{self.where}.{key}: {problem}")

    def get(self, key: str, kind: type, default: Any = _MISSING, choices: tuple = ()) -> Any:
        if self.data.get(key) is None:
            if default is _MISSING:
                self.fail(key, "missing" if key not in self.data else "is null")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or kind is int and isinstance(value, bool):
            self.fail(key, f"must be {kind.__name__}, not {type(value).__name__}")
        if choices and value not in choices:
            self.fail(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def items(self, key: str, required: bool = True) -> list[_Reader]:
        values = self.get(key, list) if required else self.get(key, list, [])
        return [_Reader(v, f"{self.where}.{key}[{n}]") for n, v in enumerate(values)]


def _checked(blocks: list[_Reader]) -> list[Block]:
    """Every block read (a problem raises as :func:`_block` does), none kept."""
    for b in blocks:
        _block(b)
    return []


def _block(b: _Reader) -> Block:
    text = b.get("text", str)
    lines = b.get("lines", list)
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in lines):
        b.fail("lines", "must be line numbers from 1")
    sentences = [_sentence(s) for s in b.items("sentences")]
    return Block(
        id=b.get("id", str),
        kind=b.get("kind", str),
        text=text,
        simplified=b.get("simplified", str, text),
        lines=lines,
        sentences=sentences,
        flags=[_flag(f) for f in b.items("flags")],
        level=b.get("level", int, None),
        anchor=b.get("anchor", str, None),
        table=_table(b, len(sentences)),
        address=b.get("address", dict, None),
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _stats(doc: _Reader) -> dict[str, Any] | None:
    """The run's counts: each a number, 0 or more (the schema's ``stats``)."""
    stats = doc.get("stats", dict, None)
    if stats is not None and not all(_is_count(v) for v in stats.values()):
        doc.fail("stats", "must hold counts (numbers, 0 or more)")
    return stats


def _glossary(doc: _Reader) -> list[dict[str, Any]] | None:
    """The glossary files used: each ``{"file", "sha256", "entries"}`` (the file
    named; the others, when there, of their types)."""
    files = doc.get("glossary", list, None)
    for n, item in enumerate(files or []):
        entry = _Reader(item, f"{doc.where}.glossary[{n}]")
        entry.get("file", str), entry.get("sha256", str, None)
        if not _is_count(entry.get("entries", int, 0)):
            entry.fail("entries", "must be 0 or more")
    return files


def _edits(doc: _Reader) -> dict[str, Any] | None:
    """The post-edits: ``{"file", "applied", "orphaned": [{"source", "english", ...}]}``."""
    edits = doc.get("edits", dict, None)
    if edits is None:
        return None
    record = _Reader(edits, f"{doc.where}.edits")
    record.get("file", str)
    if not _is_count(record.get("applied", int)):
        record.fail("applied", "must be 0 or more")
    for orphan in record.items("orphaned"):
        orphan.get("source", str), orphan.get("english", str), orphan.get("closest", str, None)
        orphan.get("line", int, None)
    return edits


def _table(b: _Reader, sentences: int) -> dict[str, Any] | None:
    """A table block's shape, checked as the schema has it (each cell's numbers
    name sentences of the block), or ``None``."""
    table = b.get("table", dict, None)
    if table is None:
        return None
    shape = _Reader(table, f"{b.where}.table")
    header = shape.get("header", int)
    if header < 0:
        shape.fail("header", "must be 0 or more")
    align = shape.get("align", list)
    if not all(a in ("", "left", "center", "right") for a in align if isinstance(a, str)) \
            or not all(isinstance(a, str) for a in align):
        shape.fail("align", "must be a list of '', 'left', 'center' or 'right'")
    rows = shape.get("rows", list)
    for row in rows:
        if not isinstance(row, list) or not all(
                isinstance(cell, list) and all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= sentences
                                               for n in cell) for cell in row):
            shape.fail("rows", f"must be rows of cells, each a list of sentence numbers from 1 to {sentences}")
    return table


def _sentence(s: _Reader) -> Sentence:
    text = s.get("text", str)
    edited = s.get("edited", bool, False)
    return Sentence(
        text=text,
        simplified=s.get("simplified", str, text),
        translation=s.get("translation", str, None),
        flags=[_flag(f) for f in s.items("flags", required=False)],
        terms=[TermMatch(t.get("zh", str), t.get("en", str), t.get("start", int), t.get("end", int),
                         t.get("entry", str), t.get("note", str, "")) for t in s.items("terms", required=False)],
        marks=[_mark(m) for m in s.items("marks", required=False)],
        translation_marks=[_mark(m) for m in s.items("translation_marks", required=False)],
        machine=s.get("machine", str, None) if edited else None,
        edited=edited,
        edited_against=(s.get("edited_against", str, None) or s.get("machine", str, None)) if edited else None,
        approved=s.get("approved", bool, False),
        memory=s.get("memory", dict, None),
    )


def _flag(f: _Reader) -> Flag:
    return Flag(f.get("code", str), f.get("message", str), f.get("severity", str, choices=("info", "warning", "error")),
                f.get("resolved", bool, False))


def _mark(m: _Reader) -> Mark:
    return Mark(m.get("kind", str), m.get("start", int), m.get("end", int), href=m.get("href", str, ""))
