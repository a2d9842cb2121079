"""What every writer of a structured format needs: a block's English as text with
its inline marks, and the source file it writes back into.

The English of a block is its sentences' translations in order (post-edits and
glossary renderings included, as the Markdown exports take them), with each
sentence's marks where the engine put them. Two sentences are joined by what
stood between them in the source when there was something (a space, a line
break), else by a space when neither side is a wide (CJK) character: so the
English reads "One. Two." and a block's own Chinese, written back, is the
source's text exactly.
"""

from __future__ import annotations

from pathlib import Path

import regex

from pipeline.core.atomic import OutputError
from pipeline.core.model import Block, Document, Mark, Sentence

_WIDE = regex.compile(r"[\p{Han}\p{Bopomofo}\p{Hiragana}\p{Katakana}\u3000-\u303f\uff00-\uffef]")


def sentences_content(sentences: list[Sentence], source: str) -> tuple[str, list[Mark]]:
    """The translations of ``sentences`` joined (see the module docstring), and
    their marks moved along; ``source`` is the text the sentences were cut from."""
    gaps = _gaps(sentences, source)
    text = ""
    marks: list[Mark] = []
    previous = ""
    for sentence, gap in zip(sentences, gaps):
        english = (sentence.translation or "").strip() if sentence.translation is not None else ""
        if not english:
            continue
        lead = len(sentence.translation) - len(sentence.translation.lstrip())
        if text:
            # Text that is itself Chinese (a sentence left untranslated) joins as Chinese does.
            chinese = bool(_WIDE.search(previous)) and bool(_WIDE.search(english))
            text += gap if gap else (" " if not chinese and needs_space(text[-1], english[0]) else "")
        previous = english
        for mark in sentence.translation_marks:
            start = min(max(mark.start - lead, 0), len(english))
            end = min(max(mark.end - lead, 0), len(english))
            marks.append(Mark(mark.kind, len(text) + start, len(text) + end, href=mark.href))
        text += english
    return text, marks


def needs_space(left: str, right: str) -> bool:
    """Whether two sentences' texts meeting at ``left`` and ``right`` need a space
    between them: not next to a wide (CJK) character, after an opening bracket or
    quote, or before a closing one or a stop."""
    import unicodedata

    if _WIDE.match(left) or _WIDE.match(right):
        return False
    if unicodedata.category(left) in ("Ps", "Pi", "Pd") or unicodedata.category(right) in ("Pe", "Pf", "Pd") \
            or "…" in (left, right):
        return False
    return right not in ",.;:!?"


def _gaps(sentences: list[Sentence], source: str) -> list[str]:
    """The whitespace before each sentence in ``source`` (empty for the first)."""
    gaps, at = [], 0
    for n, sentence in enumerate(sentences):
        found = source.find(sentence.text, at)
        if found < 0:
            gaps.append("")
            continue
        gap = source[at:found] if n else ""
        gaps.append(gap if gap and not gap.strip() else "")
        at = found + len(sentence.text)
    return gaps


def block_content(block: Block) -> tuple[str, list[Mark]]:
    """The block's English and its marks (empty for a verbatim kind)."""
    if not block.translatable:
        return "", []
    return sentences_content(block.sentences, block.text)


def cell_sentences(block: Block) -> list[list[list[Sentence]]]:
    """A table block's sentences by row and cell."""
    rows = (block.table or {}).get("rows") or []
    return [[[block.sentences[n - 1] for n in cell if 0 < n <= len(block.sentences)] for cell in row]
            for row in rows]


def source_file(document: Document, what: str) -> Path:
    """The source file a writer follows (``document.source``), which must still be there."""
    path = Path(document.source)
    if not path.is_file():
        raise OutputError(f"{path}: the source file is needed to write the {what} and is not there "
                          "(run from the folder the run was made in, or give the source again)")
    return path


def translated(document: Document) -> bool:
    return any((s.translation or "").strip() for s in document.each_sentence())
