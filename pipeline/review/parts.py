"""Stage 5 for a long document read in parts: each part reviewed as it comes,
then kept on disk, and the whole put together at the end.

A book's chapters or a long PDF's pages go through translation in windows, as a
folder run's documents do (:func:`pipeline.run.run_many`). :class:`DocumentInParts`
gives each translated part what a short document gets in one go
(:func:`pipeline.run.review_document`): its post-edits, its sentences' checks,
the flags the reviewer resolved, the approvals; it then appends the part's blocks
to a :class:`~pipeline.core.spill.BlockSpill` and lets them go. What needs the
whole document waits for :meth:`DocumentInParts.finish`, from small records kept
on the way: a quoted phrase rendered differently in two parts (``inconsistent-term``),
a source that is not Chinese (``not-chinese``, from letter counts), the edits no
sentence used (``orphaned``, each with its closest sentence, read back from disk).
The outcome is the same document a whole reading gives, with its blocks on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.core.model import Block, Document, Dropped, Flag
from pipeline.core.spill import BlockSpill
from pipeline.review.edits import (Edit, apply_resolved, apply_status, edit_sentences, edits_outcome,
                                   orphaned_edits, resolve_block_flags, resolve_sentence_flags)
from pipeline.review.qa import check_part, inconsistent_renderings, letter_counts, not_chinese, quoted_pairs

class DocumentInParts:
    """One document's parts, reviewed in order (see the module docstring)."""

    def __init__(self, edits: dict[str, Edit], edits_file: Path) -> None:
        self.edits = edits
        self.edits_file = edits_file
        self.spill = BlockSpill()
        self.parts = 0
        #: Set when a part failed: the document is not written.
        self.failed = False
        self._head: Document | None = None
        self._encoding = ""
        self._dropped: list[Dropped] = []
        self._stats: dict[str, Any] | None = None
        self._applied = 0
        self._used: set[str] = set()
        self._quotes: list[tuple[tuple[int, int], list[tuple[str, str]]]] = []
        self._letters = (0, 0)

    def add(self, part: Document) -> None:
        """Review the translated ``part`` and keep its blocks on disk."""
        if self._head is None:  # what the whole takes from its first part: not its blocks
            self._head = replace(part, blocks=[], dropped=[])
        self._encoding = part.encoding  # the last part's names every page (a PDF's OCR'd pages)
        blocks = list(part.blocks)
        if self.edits:
            applied, used = edit_sentences((s for b in blocks if b.translatable for s in b.sentences), self.edits)
            self._applied += applied
            self._used |= used
        translated = check_part(blocks)
        letters, han = letter_counts(translated)
        self._letters = (self._letters[0] + letters, self._letters[1] + han)
        first = len(self.spill)
        for index, block in enumerate(blocks, start=first):
            if not block.translatable:
                continue
            for number, sentence in enumerate(block.sentences):
                pairs = quoted_pairs(sentence) if sentence.translation is not None else []
                if pairs:
                    self._quotes.append(((index, number), pairs))
        apply_resolved(blocks, self.edits)
        apply_status(blocks, self.edits)
        self._dropped += part.dropped
        self._stats = _added(self._stats, part.stats)
        self.spill.extend(blocks)
        self.parts += 1

    def finish(self) -> Document:
        """The whole document, its blocks read from disk, with what only the whole
        could tell (see the module docstring)."""
        head = self._head
        if head is None:
            raise ValueError("a document in parts needs at least one part")
        document = Document(head.source, self._encoding, head.script, self.spill, self._dropped,
                            signature=head.signature, stats=self._stats, glossary=head.glossary,
                            markdown=head.markdown, format=head.format)
        for (index, number), flag in inconsistent_renderings(self._quotes):
            self.spill.amend(index, _sentence_flag(number, flag, self.edits))
        flag = not_chinese(self._letters)
        if flag is not None and len(self.spill):
            self.spill.amend(0, _block_flag(flag, self.edits))
        if self.edits:
            texts = (s.text for s in document.each_sentence())
            document.edits = edits_outcome(self.edits_file, self._applied,
                                           orphaned_edits(self.edits, self._used, texts))
        return document


def _sentence_flag(number: int, flag: Flag, edits: dict[str, Edit]) -> Callable[[Block], None]:
    def change(block: Block) -> None:
        sentence = block.sentences[number]
        sentence.flags.append(flag)
        resolve_sentence_flags(sentence, edits)
    return change


def _block_flag(flag: Flag, edits: dict[str, Edit]) -> Callable[[Block], None]:
    def change(block: Block) -> None:
        block.flags.append(flag)
        resolve_block_flags(block, edits)
    return change


def _added(total: dict[str, Any] | None, part: dict[str, Any] | None) -> dict[str, Any] | None:
    """The document's ``stats``: each part's counts added up (every one is a count,
    or seconds); a count only some parts have is theirs."""
    if part is None or total is None:
        return total if part is None else dict(part)
    merged = {key: total.get(key, 0) + part.get(key, 0) for key in {**total, **part}}
    if "seconds" in merged:
        merged["seconds"] = round(merged["seconds"], 3)
    return merged
