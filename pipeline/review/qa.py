"""Quality checks on translated sentences, recorded as flags.

Each check looks at one thing a reviewer must know about:

- ``term-fallback`` (set by :mod:`pipeline.terms.glossary`): terms were enforced by rebuilding;
- ``engine-rebuilt`` and ``engine-failed`` (set by :mod:`pipeline.translate.enforce`): the
  engine failed on the whole sentence, which was rebuilt from pieces; or on some of it,
  which is kept in the source's words (an error, with the engine's message);
- ``term-missing``: a glossary rendering is missing or repeated (only a post-edit can
  do that: machine output complies by construction);
- ``edit-stale`` (set by :mod:`pipeline.review.edits`): the machine output changed since the edit;
- ``tm-exact`` (a note, set by :mod:`pipeline.translate.memory`): the English is an approval taken
  from the project translation memory, not the engine's;
- ``number-mismatch``: a number of the source (Arabic digits, percentages, Chinese
  magnitudes such as 50万 or 1480亿元) is missing from the English in every common form;
- ``untranslated``: the English equals the source, or still contains Han characters;
- ``repetition``: the same word or phrase repeated over and over (a known failure of
  neural models that loop);
- ``replacement-char``: U+FFFD in the source sentence (text lost before the file was made);
- ``inconsistent-term``: a quoted phrase that is not in the glossary is rendered in
  different ways in different sentences;
- ``not-chinese`` (on the first block): the source does not look like Chinese
  (under :data:`CHINESE_SHARE` of its letters are Han characters), yet it was
  translated as Chinese.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

import regex

from pipeline.terms.glossary import complies
from pipeline.core.model import ATOMIC_MARKS, Block, Document, Flag, Sentence

T = TypeVar("T")

SEVERITIES = ("info", "warning", "error")

_HAN = regex.compile(r"\p{Han}")
# A number in Chinese text, with its magnitude and unit: 50万, 1480亿元, 17.3%, 2023年, 5月.
_ZH_NUMBER = regex.compile(
    r"(?<![\d.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(%|％|万亿|亿|万|千)?\s*(年|月|日)?"
)
_EN_NUMBER = regex.compile(
    r"(?<![\d.,])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(%|percent|per cent|trillion|billion|million|thousand|bn|m\b|k\b)?",
    regex.IGNORECASE,
)
_MAGNITUDE_ZH = {"万": 1e4, "千": 1e3, "亿": 1e8, "万亿": 1e12}
_MAGNITUDE_EN = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12,
}
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "half a million": 5e5, "a million": 1e6,
    "a billion": 1e9, "hundred": 100, "a hundred": 100, "a thousand": 1e3,
}
#: Every number word, longest first so "a million" wins over "a" ... "million" parts.
_WORD_NUMBER = regex.compile(
    r"\b(" + "|".join(sorted(map(regex.escape, _WORD_NUMBERS), key=len, reverse=True)) + r")\b"
)
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)
_REPEATED = regex.compile(r"\b(\w+(?:\W+\w+){0,3}?)(?:\W+\1\b){2,}", regex.IGNORECASE)
_WORD = regex.compile(r"\w+")
_QUOTED_ZH = regex.compile(r"[“「『]([^”」』]{2,20})[”」』]")
_QUOTED_EN = regex.compile(r"[\"“]([^\"”]{1,80})[\"”]")


#: Flags set by earlier stages (glossary enforcement, the engine, the translation memory,
#: post-edits), kept on a re-check.
_STAGE_FLAGS = frozenset({"term-fallback", "engine-rebuilt", "engine-failed", "edit-stale", "tm-exact"})
#: A source with fewer Han characters among its letters than this is not Chinese
#: (Japanese with kanji has more; Chinese quoting English rarely has less).
CHINESE_SHARE = 0.2
_LETTER = regex.compile(r"\p{L}")
#: Flags about the whole document (kept on its first block), worth a line of their own.
DOCUMENT_FLAGS = frozenset({"not-chinese"})


def check_document(document: Document) -> None:
    """Add QA flags to every translated sentence (replacing earlier QA flags), and
    the document's own (:data:`DOCUMENT_FLAGS`) to its first block. A document
    read in parts is checked a part at a time (:mod:`pipeline.review.parts`)."""
    sentences = check_part(document.blocks)
    for sentence, flag in inconsistent_renderings((s, quoted_pairs(s)) for s in sentences):
        sentence.flags.append(flag)
    flag = not_chinese(letter_counts(sentences))
    if flag is not None and document.blocks:
        document.blocks[0].flags.append(flag)


def check_part(blocks: Iterable[Block]) -> list[Sentence]:
    """The checks of each translated sentence of ``blocks`` on its own (replacing
    earlier QA flags), and the document's own flags taken off the blocks (they are
    added again for the whole document). Returns the translated sentences."""
    sentences = []
    for block in blocks:
        block.flags = [f for f in block.flags if f.code not in DOCUMENT_FLAGS]
        if block.translatable:
            sentences += [s for s in block.sentences if s.translation is not None]
    for sentence in sentences:
        sentence.flags = [f for f in sentence.flags if f.code in _STAGE_FLAGS]
        sentence.flags += check_sentence(sentence)
    return sentences


def letter_counts(sentences: Iterable[Sentence]) -> tuple[int, int]:
    """(letters, Han characters) of the sentences' Simplified text, to add up over parts."""
    letters = han = 0
    for sentence in sentences:
        letters += len(_LETTER.findall(sentence.simplified))
        han += len(_HAN.findall(sentence.simplified))
    return letters, han


def not_chinese(counts: tuple[int, int]) -> Flag | None:
    """A ``not-chinese`` flag when the letters (:func:`letter_counts`) are mostly not Han characters."""
    letters, han = counts
    if not letters or han >= CHINESE_SHARE * letters:
        return None
    return Flag(
        "not-chinese",
        f"the source does not look like Chinese (only {han} of its {letters} letters are Chinese "
        "characters), but it was translated as Chinese; check that it is the right file and was "
        "read with the right encoding",
    )


def check_sentence(sentence: Sentence) -> list[Flag]:
    english = sentence.translation or ""
    flags = []
    if sentence.terms and not complies(english, sentence.terms):
        # Machine output complies by construction; a post-edit may not.
        expected = ", ".join(dict.fromkeys(f"{t.zh} → {t.en}" for t in sentence.terms))
        flags.append(Flag("term-missing", f"the English does not use the glossary rendering(s): {expected}"))
    missing = missing_numbers(sentence.simplified, english)
    if missing:
        flags.append(Flag("number-mismatch", "number(s) not found in the English: " + ", ".join(missing)))
    # Text kept as written (inline code, a URL, a note marker) is not looked at for
    # Chinese; nor is a sentence the engine failed on (its flag says what is left).
    failed = any(f.code == "engine-failed" for f in sentence.flags)
    if not failed and _HAN.search(_outside_kept(sentence.simplified, sentence.marks)):
        if english.strip() == sentence.simplified.strip() or english.strip() == sentence.text.strip():
            flags.append(Flag("untranslated", "the English is the source text", "error"))
        elif _HAN.search(_outside_kept(english, sentence.translation_marks)):
            flags.append(Flag("untranslated", "the English still contains Chinese characters", "error"))
    repeated = repeated_phrase(english)
    if repeated:
        flags.append(Flag("repetition", f"repeated phrase: {repeated.group(1)!r}", "error"))
    if "\ufffd" in sentence.text:
        flags.append(Flag("replacement-char", "the source has U+FFFD (a lost character); check the original"))
    return flags


def repeated_phrase(english: str) -> regex.Match | None:
    """The first phrase of one to four words said three times or more in a row
    (a match of :data:`_REPEATED`), or None. The pattern's backtracking costs a
    tenth of a millisecond a sentence; a repeat needs a word three times, so the
    search runs only when some word is there that often (case folded, which
    equates at least what the pattern's IGNORECASE does)."""
    words = Counter(w.casefold() for w in _WORD.findall(english))
    if not words or max(words.values()) < 3:
        return None
    return _REPEATED.search(english)


def _outside_kept(text: str, marks) -> str:
    """``text`` less the spans of marks kept as written."""
    kept = sorted((m.start, m.end) for m in marks if m.kind in ATOMIC_MARKS)
    out, at = [], 0
    for start, end in kept:
        out.append(text[at:start])
        at = max(at, end)
    return "".join(out) + text[at:]


def missing_numbers(chinese: str, english: str) -> list[str]:
    """The numbers of ``chinese`` not found in ``english`` in any accepted form:
    the same value written with digits (500,000 / 500000), with a scale word
    (0.5 million, 148 billion), as a percentage (17.3% / 17.3 percent), a month as
    its name, a small number as a word."""
    found: list[float] | None = None  # the English's numbers, read at the first Chinese one
    lowered = english.lower()
    missing = []
    for match in _ZH_NUMBER.finditer(chinese):
        digits, magnitude, unit = match.group(1), match.group(2), match.group(3)
        value = float(digits.replace(",", ""))
        if magnitude in _MAGNITUDE_ZH:
            value *= _MAGNITUDE_ZH[magnitude]
        if unit == "月" and not magnitude and 1 <= value <= 12 and _MONTHS[int(value) - 1] in lowered:
            continue
        if found is None:
            found = _english_values(english)
        if any(math.isclose(value, v, rel_tol=1e-9) for v in found):
            continue
        missing.append(match.group(0).strip())
    return missing


def _english_values(english: str) -> list[float]:
    values = []
    for match in _EN_NUMBER.finditer(english):
        value = float(match.group(1).replace(",", ""))
        scale = (match.group(2) or "").lower()
        values.append(value * _MAGNITUDE_EN.get(scale, 1))
    values += [_WORD_NUMBERS[word] for word in _number_words(english.lower())]
    return values


def _number_words(lowered: str) -> set[str]:
    """The number words in ``lowered``, each once; overlapping ones ("a hundred",
    "hundred") are all found, as separate searches would find them."""
    return set(_WORD_NUMBER.findall(lowered, overlapped=True))


def quoted_pairs(sentence: Sentence) -> list[tuple[str, str]]:
    """The (Chinese, English) quotations of ``sentence`` paired as
    :func:`inconsistent_renderings` pairs them (glossary terms left out)."""
    chinese = _QUOTED_ZH.findall(sentence.text)
    english = _QUOTED_EN.findall(sentence.translation or "")
    if not chinese or len(chinese) != len(english):
        return []
    glossary_terms = {t.zh for t in sentence.terms}
    return [(zh, en.strip().lower()) for zh, en in zip(chinese, english) if zh not in glossary_terms]


def inconsistent_renderings(items: Iterable[tuple[T, list[tuple[str, str]]]]) -> list[tuple[T, Flag]]:
    """Quoted Chinese phrases outside the glossary that recur with different English.

    Chinese slogans are quoted (“三比三看”), and their English usually is too; when a
    sentence has as many quotations in both languages, the k-th quotes are paired.
    ``items`` are ``(sentence, quoted_pairs(sentence))``, or, for a document read in
    parts, any key that stands for the sentence in place of it.
    """
    renderings: dict[str, dict[str, list[T]]] = defaultdict(lambda: defaultdict(list))
    for key, pairs in items:
        for zh, en in pairs:
            renderings[zh][en].append(key)
    flagged = []
    for zh, by_english in renderings.items():
        if len(by_english) < 2:
            continue
        variants = " / ".join(f'"{en}"' for en in by_english)
        for group in by_english.values():
            for key in group:
                flagged.append((key, Flag(
                    "inconsistent-term",
                    f"“{zh}” is rendered in different ways in this document ({variants}); "
                    "add it to the glossary to fix one",
                    "info",
                )))
    return flagged


def document_flags(document: Document) -> list[tuple[str, Flag]]:
    """``(where, flag)`` for every block and sentence flag, in reading order;
    ``where`` is the block id or the sentence id (``p12.3``)."""
    out = []
    for block in document.blocks:
        out.extend((block.id, flag) for flag in block.flags)
        for number, sentence in enumerate(block.sentences, start=1):
            out.extend((f"{block.id}.{number}", flag) for flag in sentence.flags)
    return out


def flags_at_least(document: Document, severity: str, *, open_only: bool = False) -> list[tuple[str, Flag]]:
    """``(where, flag)`` for every flag of ``severity`` or worse (only the ones not
    resolved with ``open_only``)."""
    threshold = SEVERITIES.index(severity)
    return [
        (where, flag) for where, flag in document_flags(document)
        if SEVERITIES.index(flag.severity) >= threshold and not (open_only and flag.resolved)
    ]


@dataclass(frozen=True)
class ReviewCounts:
    """What a reviewer has left: open warnings and errors are to do, open info
    flags are notes. The one count that the run's summary line, `duizhao check`
    and the reader's Review panel show."""

    to_do: dict[str, int]  # code → open warnings and errors, worst code first
    notes: dict[str, int]  # code → open info flags
    resolved: int
    errors: int
    warnings: int
    #: (severity, code) → open flags: what the fields above are made of.
    by_flag: tuple[tuple[tuple[str, str], int], ...] = ()

    def __add__(self, other: ReviewCounts) -> ReviewCounts:
        """The counts of two sets of documents together (``duizhao check DIR``)."""
        return _counts(Counter(dict(self.by_flag)) + Counter(dict(other.by_flag)), self.resolved + other.resolved)

    @property
    def to_do_total(self) -> int:
        return sum(self.to_do.values())

    @property
    def notes_total(self) -> int:
        return sum(self.notes.values())

    def summary(self) -> str:
        """``12 flags to do, 40 notes, 1 resolved`` (the reader's script writes it so too)."""
        flags = "flag" if self.to_do_total == 1 else "flags"
        notes = "note" if self.notes_total == 1 else "notes"
        return f"{self.to_do_total} {flags} to do, {self.notes_total} {notes}, {self.resolved} resolved"

    def line(self) -> str:
        """``Review: 12 flags to do (2 untranslated, 10 number-mismatch), 40 notes (...), 1 resolved``."""
        def part(total: int, noun: str, codes: dict[str, int]) -> str:
            text = f"{total} {noun}"
            return text + (" (" + ", ".join(f"{n} {code}" for code, n in codes.items()) + ")" if codes else "")

        flags = "flag" if self.to_do_total == 1 else "flags"
        notes = "note" if self.notes_total == 1 else "notes"
        return (f"Review: {part(self.to_do_total, flags + ' to do', self.to_do)}, "
                f"{part(self.notes_total, notes, self.notes)}, {self.resolved} resolved")


def review_counts(document: Document | None = None) -> ReviewCounts:
    """:class:`ReviewCounts` of every flag of ``document`` (none: zero counts, to add to)."""
    open_flags: Counter = Counter()
    resolved = 0
    for _, flag in document_flags(document) if document is not None else ():
        if flag.resolved:
            resolved += 1
        else:
            open_flags[(flag.severity, flag.code)] += 1
    return _counts(open_flags, resolved)


def _counts(open_flags: Counter, resolved: int) -> ReviewCounts:
    order = {"error": 0, "warning": 1, "info": 2}

    def by_code(severities: tuple[str, ...]) -> dict[str, int]:
        counts: Counter = Counter()
        for (severity, code), n in sorted(open_flags.items(), key=lambda kv: (order.get(kv[0][0], 1), kv[0][1])):
            if severity in severities:
                counts[code] += n
        return dict(counts)

    return ReviewCounts(
        to_do=by_code(("error", "warning")),
        notes=by_code(("info",)),
        resolved=resolved,
        errors=sum(n for (severity, _), n in open_flags.items() if severity == "error"),
        warnings=sum(n for (severity, _), n in open_flags.items() if severity == "warning"),
        by_flag=tuple(sorted(open_flags.items())),
    )
