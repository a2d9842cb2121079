"""The project translation memory as the translation stage sees it: exact matches
applied before any engine call, and similar approved sentences as examples for an
LLM's prompt.

The memory itself (SQLite beside the cache, fuzzy search, TMX, consistency) is
:mod:`pipeline.review.memory`; this stage only needs the :class:`Memory` protocol,
so it never imports the review stage.

A memory entry is keyed by :func:`memory_key`: the sentence's Simplified text with
its glossary terms (and inline marks) masked as placeholders (``⟦T0⟧``), the text the
NMT engines are given. Its English is kept as approved and, where every rendering can
be told apart, as a *template* with each rendering replaced by its term's
placeholder (:func:`english_template`), so an approval made under one rendering is
applied under today's glossary, and to a sentence that differs only in its terms,
with today's renderings (:func:`english_from`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline.core.model import Document, Flag, Sentence
from pipeline.terms.glossary import PLACEHOLDER_PATTERN, placeholder

#: The note on a sentence whose English came from the memory.
EXACT_CODE = "tm-exact"
#: How many approved sentences an LLM is shown as examples, at most.
EXAMPLES = 3


@dataclass(frozen=True)
class MemoryMatch:
    """One approved translation of a key."""

    english: str
    #: ``english`` with each glossary rendering replaced by its term's placeholder, or
    #: None when the renderings could not be told apart (then only the same text matches).
    template: str | None
    #: The approved sentence's Simplified text.
    source: str
    document: str
    date: str
    signature: str = ""


class Memory(Protocol):
    """What the translation stage asks of a translation memory."""

    def exact(self, keys: Sequence[str], document: str) -> dict[str, list[MemoryMatch]]:
        """The approvals of each of ``keys``, newest first, leaving out those made
        in ``document`` itself (its own edits file governs it)."""
        ...

    def examples(self, texts: Sequence[str], document: str, limit: int = EXAMPLES) -> dict[str, list[tuple[str, str]]]:
        """For each Simplified text, up to ``limit`` ``(source, english)`` approvals
        of similar sentences (best first), for an LLM's prompt."""
        ...


def memory_key(sentence: Sentence) -> str:
    """The key of ``sentence`` in the memory: what an NMT engine is given (its
    terms masked), NFC, stripped."""
    return unicodedata.normalize("NFC", (sentence.mt_input or sentence.simplified).strip())


def document_name(document: Document | str | Path) -> str:
    """How the memory names a document: its source's absolute path."""
    import os

    source = document.source if isinstance(document, Document) else document
    return os.path.abspath(str(source))


def _term_slots(sentence: Sentence) -> list[tuple[int, str]]:
    """``(placeholder number, rendering)`` of each glossary term of ``sentence``."""
    return [(number, sentence.terms[slot.index].en) for number, slot in enumerate(sentence.mt_slots)
            if slot.kind == "term"]


def english_template(english: str, sentence: Sentence) -> str | None:
    """``english`` with each term's rendering replaced by the term's placeholder;
    None when that would be ambiguous: two terms share a rendering, or a rendering
    is not in the English exactly once (a post-edit may drop or repeat one)."""
    slots = _term_slots(sentence)
    renderings = [en.casefold() for _, en in slots]
    if len(set(renderings)) != len(renderings) or any(not r.strip() for r in renderings):
        return None
    lowered = english.casefold()
    if len(lowered) != len(english):
        return None  # case folding moved the offsets
    spans: list[tuple[int, int, int]] = []
    # Longest first, so a rendering inside a longer one (Taizhou in Taizhou Bay) is not taken twice.
    for number, en in sorted(slots, key=lambda s: -len(s[1])):
        wanted = en.casefold()
        found = []
        at = lowered.find(wanted)
        while at >= 0:
            if all(at + len(wanted) <= a or at >= b for a, b, _ in spans):
                found.append(at)
            at = lowered.find(wanted, at + 1)
        if len(found) != 1:
            return None
        spans.append((found[0], found[0] + len(wanted), number))
    out, at = [], 0
    for start, end, number in sorted(spans):
        out += [english[at:start], placeholder(number)]
        at = end
    return "".join(out) + english[at:]


def fill_template(template: str, sentence: Sentence) -> str | None:
    """The English of ``template`` with ``sentence``'s renderings in place of its
    placeholders; None when the placeholders are not exactly its terms'."""
    slots = dict(_term_slots(sentence))
    parts = PLACEHOLDER_PATTERN.split(template)
    numbers = [int(n) for n in parts[1::2]]
    if sorted(numbers) != sorted(slots):
        return None
    out = "".join(slots[int(p)] if i % 2 else p for i, p in enumerate(parts))
    return out[:1].upper() + out[1:] if template.startswith("⟦") else out


def english_from(match: MemoryMatch, sentence: Sentence) -> str | None:
    """The English ``match`` gives ``sentence`` (whose key is the match's): its
    template filled with the sentence's renderings, else its English when the
    sentence reads exactly as the approved one; None when neither applies."""
    if match.template is not None:
        filled = fill_template(match.template, sentence)
        if filled is not None:
            return filled
    return match.english if match.source == sentence.simplified.strip() else None


def apply_exact(documents: Sequence[Document], memory: Memory,
                rows: Mapping[str, Mapping[str, str]] | None = None) -> set[int]:
    """Put the memory's exact matches in place on the sentences of ``documents``,
    before any engine call: each gets the approved English, ``approved``, its
    origin in ``memory`` and a ``tm-exact`` note. Returns their positions in the
    order of the documents' :meth:`~pipeline.core.model.Document.sentences`.

    ``rows`` maps a document's :func:`document_name` to its own edit rows (source
    text → the English the row was made against): a sentence with a row made
    against other English than the memory's keeps its engine translation, so its
    post-edit is not taken for stale."""
    answered: set[int] = set()
    at = 0
    for document in documents:
        sentences = document.sentences()
        name = document_name(document)
        keyed = {i: memory_key(s) for i, s in enumerate(sentences) if s.simplified.strip()}
        found = memory.exact(sorted(set(keyed.values())), name) if keyed else {}
        own = (rows or {}).get(name, {})
        for index, key in keyed.items():
            sentence = sentences[index]
            # The first match that gives an English for this sentence, and that English.
            taken = next(((m, e) for m in found.get(key, ()) if (e := english_from(m, sentence))), None)
            if taken is None:
                continue
            match, english = taken
            against = own.get(unicodedata.normalize("NFC", sentence.text.strip()))
            if against is not None and against != english:
                continue
            sentence.translation = english
            sentence.approved = True
            sentence.memory = {"match": "exact", "document": match.document, "date": match.date,
                               "signature": match.signature}
            sentence.flags.append(Flag(EXACT_CODE, exact_message(match), "info"))
            answered.add(at + index)
        at += len(sentences)
    return answered


def exact_message(match: MemoryMatch) -> str:
    """The ``tm-exact`` note: where and when the English was approved."""
    return (f"from the translation memory: approved in {Path(match.document).name} on {match.date[:10]}; "
            "no engine call")
