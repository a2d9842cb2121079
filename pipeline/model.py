"""The document model shared by every stage.

A :class:`Document` is made of :class:`Block` objects (title, byline, heading,
paragraph, caption, ...), each cut into :class:`Sentence` objects. Later stages add
fields to the same model (a sentence gains ``translation``, ``terms``, ``flags``)
rather than invent a new one. ``to_json`` is a stable interface (``schema_version``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1

#: Block kinds of a plain-text source, in the order a reader meets them.
TEXT_KINDS = ("title", "byline", "heading", "paragraph", "caption")
#: Extra kinds a Markdown source may produce.
MARKDOWN_KINDS = ("list_item", "quote", "code", "front_matter")
KINDS = TEXT_KINDS + MARKDOWN_KINDS
#: Kinds carried through untranslated.
VERBATIM_KINDS = frozenset({"code", "front_matter"})


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
    #: terms' placeholders (:func:`pipeline.glossary.mask_spans`).
    mt_literals: tuple[str, ...] = ()
    #: Set when a reviewer's post-edit replaced the translation: the machine output.
    machine: str | None = None
    edited: bool = False
    #: The machine output the edit was made against (differs from ``machine`` when stale).
    edited_against: str | None = None

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
        if self.terms:
            data["terms"] = [t.to_json() for t in self.terms]
        if self.flags:
            data["flags"] = [f.to_json() for f in self.flags]
        return data


@dataclass
class Block:
    """A unit of layout: one title, byline, heading, paragraph or caption.

    ``lines`` are the 1-based source lines the block was built from (several when
    a paragraph broken across a page or column was joined back together).
    """

    id: str
    kind: str
    text: str
    simplified: str
    lines: list[int]
    sentences: list[Sentence] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    @property
    def translatable(self) -> bool:
        return self.kind not in VERBATIM_KINDS

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "text": self.text}
        if self.simplified != self.text:
            data["simplified"] = self.simplified
        data["lines"] = self.lines
        data["sentences"] = [s.to_json() for s in self.sentences]
        data["flags"] = [f.to_json() for f in self.flags]
        return data


@dataclass
class Dropped:
    """A block left out because it repeats an earlier one (reported, never lost)."""

    text: str
    lines: list[int]
    duplicate_of: str  # id of the block that is kept
    reason: str  # "duplicate" | "truncated duplicate"

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "lines": self.lines,
            "duplicate_of": self.duplicate_of,
            "reason": self.reason,
        }


@dataclass
class Document:
    source: str
    encoding: str
    script: str  # "simplified" | "traditional"
    blocks: list[Block] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    #: Set by translation: the engine signature every translation was made with,
    #: and the run's counts {"sentences", "translated", "cached", "seconds"}.
    signature: str | None = None
    stats: dict[str, Any] | None = None
    #: Glossary files used: [{"file", "sha256", "entries"}].
    glossary: list[dict[str, Any]] | None = None
    #: Post-edits: {"file", "applied", "orphaned": [{"source", "english", "line", "closest"?}]}.
    edits: dict[str, Any] | None = None

    def sentences(self) -> list[Sentence]:
        return [s for b in self.blocks if b.translatable for s in b.sentences]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "encoding": self.encoding,
            "script": self.script,
            "blocks": [b.to_json() for b in self.blocks],
            "dropped": [d.to_json() for d in self.dropped],
            **({"signature": self.signature} if self.signature is not None else {}),
            **({"stats": self.stats} if self.stats is not None else {}),
            **({"glossary": self.glossary} if self.glossary is not None else {}),
            **({"edits": self.edits} if self.edits is not None else {}),
        }
