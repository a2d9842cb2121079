"""The glossary: load and validate term files, find terms, enforce their renderings.

Files are UTF-8 TSV with a header row naming the columns ``zh``, ``en`` and
optionally ``note`` (Markdown) and ``variants`` (other Chinese forms, ``|``-separated).
``#`` lines and blank lines are ignored. ``en`` = ``=`` keeps the term as written.
Several files may be given; a later file overrides an earlier one for the same term.

Enforcement, for every sentence that contains terms:

1. :func:`annotate_terms` finds the terms on the Simplified text, longest match
   first and without overlaps, and records each on the sentence with its span in
   the original text and its ``file:line``;
2. the engine is given the sentence with each term replaced by a placeholder
   ``⟦T0⟧``, ``⟦T1⟧``, ... (:attr:`Sentence.mt_input`), so the translation cache is
   keyed by the masked text and changing a rendering needs no new translation;
   a placeholder bracket written in the source is masked too, by a placeholder that
   stands for itself (:func:`mask_spans`), so source text is never taken for one;
3. :func:`restore_terms` puts the renderings in place of the placeholders and
   checks that every term appears in the English exactly as often as in the source;
4. when the engine dropped, duplicated or garbled a placeholder, the sentence is
   rebuilt from its pieces (the text between terms is translated on its own and
   joined with the renderings, :func:`fallback_pieces` / :func:`assemble_fallback`),
   which contains every rendering by construction, and it is flagged for review.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import regex

from pipeline.core.config import GLOSSARY_FOLDER
from pipeline.core.errors import PARSE_FAILURES, DuizhaoError, failure_reason
from pipeline.core.model import ATOMIC_MARKS, Flag, Mark, Sentence, Slot, TermMatch
from pipeline.core.text import plural, problem_list
from pipeline.read.pieces import joiner
from pipeline.read.source import to_simplified

COLUMNS = ("zh", "en", "note", "variants")
REQUIRED_COLUMNS = ("zh", "en")
KEEP_AS_WRITTEN = "="
DEFAULT_DIR = Path(GLOSSARY_FOLDER)

#: A placeholder ``⟦T0⟧``, its number in group 1. Brackets ⟦ ⟧ that the source writes
#: itself are masked as well (:func:`mask_spans`), so models see only placeholders.
PLACEHOLDER_PATTERN = regex.compile(r"⟦T([0-9]{1,4})⟧")
_PLACEHOLDER_DEBRIS = regex.compile(r"[⟦⟧]")
_BRACKET_RUN = regex.compile(r"([⟦⟧]+)")
_BRACKETS_IN_ENGLISH = (
    "the English contains ⟦ or ⟧, the brackets of the placeholders that carry terms through "
    "translation (a copy of leaked engine output?); write the rendering without them"
)
#: A placeholder or any broken part of one: ⟦T3⟧, ⟦T, T3⟧, ⟦ 3 ⟧, a lone bracket.
#: Possessive: the runs are of disjoint classes, so giving one back never helps, and
#: backtracking made a long digit run (random models emit them) cubic.
_PLACEHOLDER_PARTS = regex.compile(r"⟦\s*+T?\s*+\d*+\s*+⟧?|T?\s*+\d*+\s*+⟧")
#: What punctuation between two terms becomes when a sentence is rebuilt from pieces.
_PUNCTUATION_EN = {
    "，": ",", ",": ",", "、": ",", "；": ";", ";": ";", "：": ":", ":": ":", "。": ".", "！": "!",
    "？": "?", "!": "!", "?": "?", "“": '"', "”": '"', "‘": "'", "’": "'", "（": "(", "）": ")",
    "《": "", "》": "", "—": "-", "…": "...", "·": " ",
}
_HAS_CONTENT = regex.compile(r"[\p{L}\p{N}]")


class GlossaryError(DuizhaoError):
    """One or more glossary files are invalid; every problem is listed with file:line."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__(problem_list("invalid glossary:", self.problems))


@dataclass(frozen=True)
class Entry:
    zh: str
    en: str
    note: str
    variants: tuple[str, ...]
    file: str
    line: int

    @property
    def ref(self) -> str:
        return f"{self.file}:{self.line}"

    def rendering(self, as_written: str) -> str:
        return as_written if self.en == KEEP_AS_WRITTEN else self.en

    def forms(self) -> tuple[str, ...]:
        return (self.zh, *self.variants)


@dataclass(frozen=True)
class GlossaryFile:
    path: str
    sha256: str
    entries: int

    def to_json(self) -> dict[str, object]:
        return {"file": self.path, "sha256": self.sha256, "entries": self.entries}


class Glossary:
    """Entries by matching key (the Simplified form of ``zh`` and its variants)."""

    def __init__(self, entries: Iterable[Entry] = (), files: Sequence[GlossaryFile] = ()):
        self.files = list(files)
        self.by_key: dict[str, Entry] = {}
        for entry in entries:
            for form in entry.forms():
                self.by_key[match_key(form)] = entry
        # The key lengths that start with each character, longest first: most
        # characters start no key, so most positions cost one dictionary look-up.
        lengths: dict[str, set[int]] = {}
        for key in self.by_key:
            lengths.setdefault(key[0], set()).add(len(key))
        self._lengths = {char: sorted(found, reverse=True) for char, found in lengths.items()}

    @property
    def entries(self) -> list[Entry]:
        return list({id(e): e for e in self.by_key.values()}.values())

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, text: str) -> list[tuple[int, int, Entry]]:
        """Leftmost-longest, non-overlapping matches in ``text`` (a matching form)."""
        found = []
        by_key, lengths = self.by_key, self._lengths
        i, size = 0, len(text)
        while i < size:
            for length in lengths.get(text[i], ()):
                entry = by_key.get(text[i : i + length]) if i + length <= size else None
                if entry is not None:
                    found.append((i, i + length, entry))
                    i += length
                    break
            else:
                i += 1
        return found


def match_key(text: str) -> str:
    """Terms and text are compared in NFC Simplified form."""
    return to_simplified(unicodedata.normalize("NFC", text.strip()), "traditional")


def _matching_form(text: str) -> str:
    """``text`` in Simplified form, character for character, so offsets carry over."""
    converted = to_simplified(text, "traditional")
    if len(converted) == len(text):
        return converted
    return "".join(to_simplified(char, "traditional") for char in text)


# -- loading ---------------------------------------------------------------------------


def default_files(directory: Path = DEFAULT_DIR) -> list[Path]:
    return sorted(directory.glob("*.tsv")) if directory.is_dir() else []


def is_glossary_folder(path: Path) -> bool:
    """Whether a glossary source names a folder (every ``.tsv`` in it): a folder,
    or a name without a suffix (a folder not made yet)."""
    return path.is_dir() or not path.suffix


def glossary_files(sources: Sequence[str | Path]) -> list[Path]:
    """The glossary files ``sources`` name, in order: a folder stands for its
    ``.tsv`` files in name order (none when it does not exist), a file for itself."""
    files: list[Path] = []
    for source in map(Path, sources):
        files += default_files(source) if is_glossary_folder(source) else [source]
    return files


def load_glossaries(paths: Sequence[str | Path]) -> Glossary:
    """Read and validate ``paths`` in order (later files override earlier ones)."""
    problems: list[str] = []
    entries: dict[str, Entry] = {}  # matching key of zh -> entry
    files = []
    for path in paths:
        file_entries, file_problems, digest = _read_file(Path(path))
        problems += file_problems
        files.append(GlossaryFile(str(path), digest, len(file_entries)))
        for entry in file_entries:
            for form in entry.forms():
                overridden = entries.get(match_key(form))
                if overridden is not None and overridden.file != entry.file:
                    # A later file takes over the whole earlier entry.
                    for old in overridden.forms():
                        entries.pop(match_key(old), None)
            entries[match_key(entry.zh)] = entry
    if problems:
        raise GlossaryError(problems)
    return Glossary(entries.values(), files)


def _read_file(path: Path) -> tuple[list[Entry], list[str], str]:
    """The entries of one glossary file, its problems (``file:line: ...``) and the
    sha256 of its bytes. The boundary where a glossary from outside is read: any
    failure of reading it is a problem naming the file, never a traceback."""
    data, problems = _file_bytes(path)
    if data is None:
        return [], problems, ""
    return *_entries_of(path, data), hashlib.sha256(data).hexdigest()


def _file_bytes(path: Path) -> tuple[bytes | None, list[str]]:
    """The bytes of a glossary file, or ``None`` and why they cannot be read."""
    try:
        return path.read_bytes(), []
    except FileNotFoundError:
        return None, [f"{path}: no such glossary file (check the path)"]
    except IsADirectoryError:
        return None, [f"{path}: is a directory (give a .tsv file)"]
    except (OSError, ValueError) as exc:
        return None, [f"{path}: cannot be read ({failure_reason(exc)}; make it readable)"]


def _entries_of(path: Path, data: bytes) -> tuple[list[Entry], list[str]]:
    """The entries of a glossary file's bytes and their problems."""
    try:
        return _parse(path, data)
    except PARSE_FAILURES as exc:
        return [], [f"{path}: cannot be read as a glossary ({failure_reason(exc)})"]


def _parse(path: Path, data: bytes) -> tuple[list[Entry], list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return [], [f"{path}:{line}: not UTF-8 (save the glossary as UTF-8 TSV)"]

    problems: list[str] = []
    entries: list[Entry] = []
    header: list[str] | None = None
    seen: dict[str, Entry] = {}  # matching key -> entry, for clashes within this file
    # Lines end at "\n" only (str.splitlines would also cut at U+2028 inside a note),
    # so line numbers are the ones an editor shows.
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        where = f"{path}:{number}"
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in raw.split("\t")]
        if header is None:
            header = [c.lower() for c in cells]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            unknown = [c for c in header if c not in COLUMNS]
            if missing or unknown or len(set(header)) != len(header):
                problems.append(
                    f"{where}: the first row must be a header naming the columns zh, en "
                    f"and optionally note, variants, separated by tabs (found: {' | '.join(cells)})"
                )
                return [], problems
            continue
        if len(cells) > len(header) or len(cells) < header.index("en") + 1:
            problems.append(
                f"{where}: {plural(len(cells), 'column')}, expected {len(header)} ({', '.join(header)}) "
                "separated by tabs"
            )
            continue
        row = dict(zip(header, cells + [""] * (len(header) - len(cells))))
        if not row["zh"] or not row["en"]:
            empty = "zh" if not row["zh"] else "en"
            problems.append(f"{where}: empty {empty} (fill it in, or delete or comment out the line)")
            continue
        if _PLACEHOLDER_DEBRIS.search(row["en"]):
            problems.append(f"{where}: {_BRACKETS_IN_ENGLISH}")
            continue
        variants = tuple(v.strip() for v in row.get("variants", "").split("|") if v.strip())
        entry = Entry(row["zh"], row["en"], row.get("note", ""), variants, str(path), number)
        problems += _clashes(entry, seen)
        entries.append(entry)
    if header is None:
        problems.append(f"{path}:1: no header row (the first row must name the columns: zh, en, note, variants)")
    return entries, problems


def _clashes(entry: Entry, seen: dict[str, Entry]) -> list[str]:
    problems = []
    for form in entry.forms():
        key = match_key(form)
        other = seen.get(key)
        if other is None:
            seen[key] = entry
            continue
        if other is entry:
            continue  # e.g. a Traditional variant of the entry's own zh
        if other.en == entry.en and form == entry.zh and key == match_key(other.zh):
            continue  # the same entry written twice (maybe once in each script): harmless
        if form == entry.zh and key == match_key(other.zh):
            problems.append(
                f"{entry.ref}: {entry.zh} is also on line {other.line} with a different English "
                f"({other.en!r} there, {entry.en!r} here); keep one"
            )
        else:
            problems.append(
                f"{entry.ref}: {form} is already a form of {other.zh} (line {other.line}); "
                "a Chinese form can belong to one entry only"
            )
    return problems


# -- placeholders --------------------------------------------------------------------------


def placeholder(number: int) -> str:
    """Placeholder ``number`` of a masked text: ``⟦T0⟧``, ``⟦T1⟧``, ..."""
    return f"⟦T{number}⟧"


def placeholder_symbols(count: int = 10) -> tuple[str, ...]:
    """The first ``count`` placeholders, e.g. the user-defined SentencePiece symbols
    of a model that keeps each one a single piece."""
    return tuple(placeholder(n) for n in range(count))


def mask_spans(text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, tuple[str, ...]]:
    """``text`` with each of ``spans`` (in order, not overlapping) replaced by a
    placeholder ``⟦T0⟧``, ``⟦T1⟧``, ..., and each run of placeholder brackets
    outside them by one more placeholder that stands for itself, so nothing in the
    text can be taken for a placeholder or the debris of one.

    Returns the masked text and those runs: placeholder ``len(spans) + i`` stands
    for ``literals[i]``. :func:`unmask` takes a translation of the masked text apart."""
    out: list[str] = []
    literals: list[str] = []

    def plain(piece: str) -> None:
        for index, part in enumerate(_BRACKET_RUN.split(piece)):
            if index % 2:
                out.append(placeholder(len(spans) + len(literals)))
                literals.append(part)
            else:
                out.append(part)

    last = 0
    for number, (start, end) in enumerate(spans):
        plain(text[last:start])
        out.append(placeholder(number))
        last = end
    plain(text[last:])
    return "".join(out), tuple(literals)


def unmask(translation: str, count: int) -> list | None:
    """A translation of a text masked with ``count`` placeholders, cut into text
    (even indexes) and placeholder numbers (odd indexes), in the translation's
    order; ``None`` when a placeholder was dropped, repeated or garbled (each of
    the ``count`` must occur once, and no bracket may be left in the text)."""
    parts: list = PLACEHOLDER_PATTERN.split(translation)
    if sorted(int(n) for n in parts[1::2]) != list(range(count)):
        return None
    if any(_PLACEHOLDER_DEBRIS.search(text) for text in parts[::2]):
        return None
    parts[1::2] = [int(n) for n in parts[1::2]]
    return parts


# -- matching and masking ------------------------------------------------------------------


def annotate_terms(sentences: Iterable[Sentence], glossary: Glossary) -> int:
    """Find glossary terms in each sentence; set ``terms`` and the masked ``mt_input``
    (also set when the sentence has no term but has inline marks or writes
    placeholder brackets). Returns the number of matches.

    The sentence's marks are masked with its terms (:func:`placeholder_spans`):
    an atomic mark (inline code, a URL, a footnote marker) by one placeholder, so
    its text never reaches the engine; a paired one (bold, a link) by one before
    and one after the text it wraps, which is translated."""
    count = 0
    for sentence in sentences:
        text = _matching_form(sentence.text)
        kept = [(m.start, m.end) for m in sentence.marks if m.kind in ATOMIC_MARKS and m.end > m.start]
        found = [f for f in glossary.find(text) if not any(a < f[1] and f[0] < b for a, b in kept)]
        sentence.terms = [
            TermMatch(
                sentence.text[start:end], entry.rendering(sentence.text[start:end]),
                start, end, entry.ref, entry.note,
            )
            for start, end, entry in found
        ]
        spans, sentence.mt_slots = placeholder_spans(sentence)
        masked, sentence.mt_literals = mask_spans(text, spans)
        sentence.mt_input = masked if spans or sentence.mt_literals else None
        count += len(found)
    return count


def placeholder_spans(sentence: Sentence) -> tuple[list[tuple[int, int]], tuple[Slot, ...]]:
    """The spans of ``sentence.text`` that placeholders stand for, in order, and
    what each is: its terms, its atomic marks, and the ends of its paired marks
    (empty spans; an end inside a term or an atomic mark moves out of it)."""
    items: list[tuple[int, int, int, Slot]] = []  # start, order at one position, end, slot
    whole = [(t.start, t.end) for t in sentence.terms]
    for index, term in enumerate(sentence.terms):
        items.append((term.start, 3, term.end, Slot("term", index)))
    for index, mark in enumerate(sentence.marks):
        if mark.kind in ATOMIC_MARKS:
            items.append((mark.start, 1 if mark.start == mark.end else 3, mark.end, Slot("mark", index)))
            if mark.end > mark.start:
                whole.append((mark.start, mark.end))
    for index, mark in enumerate(sentence.marks):
        if mark.kind not in ATOMIC_MARKS and mark.end > mark.start:
            start = next((a for a, b in whole if a < mark.start < b), mark.start)
            end = next((b for a, b in whole if a < mark.end < b), mark.end)
            items += [(start, 2, start, Slot("open", index)), (end, 0, end, Slot("close", index))]
    items.sort(key=lambda item: item[:2])
    return [(start, end) for start, _, end, _ in items], tuple(slot for *_, slot in items)


def placeholder_fills(sentence: Sentence) -> list[str]:
    """What each placeholder of ``sentence.mt_input`` stands for in the English: a
    term's rendering, the text of a mark kept as written, nothing for the ends of
    a paired mark, then the brackets the source writes."""
    fills = []
    for slot in sentence.mt_slots:
        if slot.kind == "term":
            fills.append(sentence.terms[slot.index].en)
        else:
            mark = sentence.marks[slot.index]
            fills.append(sentence.text[mark.start:mark.end] if slot.kind == "mark" else "")
    return fills + list(sentence.mt_literals)


def restore_terms(translation: str, sentence: Sentence) -> str | None:
    """The translation with renderings in place of the terms' placeholders, or
    ``None`` when a placeholder was dropped, duplicated or garbled, a paired mark's
    ends came back out of order, or a term's count is off. The marks' placeholders
    stay in place for :func:`settle_marks`."""
    fills = placeholder_fills(sentence)
    parts = unmask(translation, len(fills))
    if parts is None or not _marks_nest(parts[1::2], sentence.mt_slots):
        return None
    restored = ""
    for index, part in enumerate(parts):
        # Models often glue a placeholder to its neighbour ("⟦T0⟧⟦T1⟧", "in⟦T0⟧"):
        # a Latin rendering stays a word of its own.
        if index % 2 and part < len(sentence.mt_slots) and sentence.mt_slots[part].kind != "term":
            restored += placeholder(part)
            continue
        piece = fills[part] if index % 2 else part
        restored += joiner(restored, piece) + piece
    if not complies(restored, sentence.terms):
        return None
    return restored[:1].upper() + restored[1:] if translation.startswith("⟦") else restored


def _marks_nest(order: list[int], slots: Sequence[Slot]) -> bool:
    """The paired marks' placeholders came back each opening before its closing,
    and nested (no two marks overlap without one holding the other)."""
    stack: list[int] = []
    for number in order:
        slot = slots[number] if number < len(slots) else None
        if slot is None or slot.kind in ("term", "mark"):
            continue
        if slot.kind == "open":
            stack.append(slot.index)
        elif not stack or stack.pop() != slot.index:
            return False
    return not stack


def settle_marks(sentence: Sentence) -> None:
    """Take the marks' placeholders out of ``sentence.translation``: the text of a
    mark kept as written goes in its place, and every mark is recorded where it
    now stands (``translation_marks``). A translation without them (a sentence
    without marks, or a post-edit) has no marks."""
    translation = sentence.translation
    if not translation or not sentence.marks or not PLACEHOLDER_PATTERN.search(translation):
        sentence.translation_marks = []
        return
    out = ""
    opened: dict[int, int] = {}
    marks: list[Mark] = []
    for index, part in enumerate(PLACEHOLDER_PATTERN.split(translation)):
        if index % 2 == 0:
            if out.endswith(" ") and part[:1] in (" ", ",", ".", ";", ":", "!", "?", ")"):
                out = out[:-1]  # the space a placeholder stood between; marks there move back
                marks = [_moved(m, min(m.start, len(out)), min(m.end, len(out)), None) for m in marks]
                opened = {k: min(v, len(out)) for k, v in opened.items()}
            out += part
            continue
        slot = sentence.mt_slots[int(part)]
        mark = sentence.marks[slot.index]
        if slot.kind == "open":
            opened[slot.index] = len(out)
        elif slot.kind == "close":
            marks.append(_moved(mark, opened.pop(slot.index, len(out)), len(out), out))
        else:
            fill = sentence.text[mark.start:mark.end]
            glue = joiner(out, fill) if fill else ""
            out += glue
            marks.append(_moved(mark, len(out), len(out) + len(fill), None))
            out += fill
    text = out.strip()
    lead = len(out) - len(out.lstrip())
    marks = [Mark(m.kind, min(max(m.start - lead, 0), len(text)), min(max(m.end - lead, 0), len(text)),
                  m.markup, m.close, m.href) for m in marks]
    kept = [(m.start, m.end) for m in marks if m.kind in ATOMIC_MARKS]
    if text[:1].islower() and translation.startswith("⟦") and not any(a <= 0 < b for a, b in kept):
        text = text[0].upper() + text[1:]
    sentence.translation = text
    sentence.translation_marks = sorted(marks, key=lambda m: (m.start, -m.end))


def _moved(mark: Mark, start: int, end: int, text: str | None) -> Mark:
    """``mark`` at ``start``-``end`` of the English, less the spaces inside its ends."""
    if text is not None:
        while start < end and text[start] == " ":
            start += 1
        while end > start and text[end - 1] == " ":
            end -= 1
    return Mark(mark.kind, start, end, mark.markup, mark.close, mark.href)


def strip_placeholders(english: str) -> str:
    """``english`` without placeholder tokens or their debris: text translated from
    an input that had none (a model may still produce them) must not show them."""
    if not _PLACEHOLDER_DEBRIS.search(english):
        return english
    return regex.sub(r"\s{2,}", " ", _PLACEHOLDER_PARTS.sub("", english)).strip()


def term_counts(english: str, renderings: Iterable[str]) -> Counter:
    """How often each rendering occurs in ``english``, ignoring case (a rendering
    may open the sentence with a capital); an occurrence inside a longer rendering
    (Taizhou in Taizhou Bay) counts for the longer one only."""
    counts: Counter = Counter()
    english = english.casefold()
    for rendering in sorted(set(renderings), key=len, reverse=True):
        counts[rendering] = english.count(rendering.casefold())
        english = english.replace(rendering.casefold(), "\0")
    return counts


def complies(english: str, terms: Sequence[TermMatch]) -> bool:
    """Every term's rendering occurs in ``english`` exactly as often as the term in the source."""
    expected = Counter(t.en for t in terms)
    return term_counts(english, expected) == expected


def fallback_pieces(sentence: Sentence) -> list[str]:
    """The runs of text between the placeholders that need translating."""
    return [p for p in PLACEHOLDER_PATTERN.split(sentence.mt_input or "")[::2] if _HAS_CONTENT.search(p)]


def assemble_fallback(sentence: Sentence, translated: dict[str, str]) -> str:
    """Join the translated pieces and the renderings in source order (the marks'
    placeholders stay for :func:`settle_marks`)."""
    parts = PLACEHOLDER_PATTERN.split(sentence.mt_input or "")
    fills = placeholder_fills(sentence)
    words: list[str] = []
    for index, part in enumerate(parts):
        if index % 2:
            number = int(part)
            marked = number < len(sentence.mt_slots) and sentence.mt_slots[number].kind != "term"
            words.append(placeholder(number) if marked else fills[number])
        elif _HAS_CONTENT.search(part):
            english = translated[part].strip()
            if index < len(parts) - 1:
                english = english.rstrip(".。")
            words.append(english)
        else:
            words.append("".join(_PUNCTUATION_EN.get(c, "" if c.isspace() else c) for c in part))
    return tidy_english(" ".join(w for w in words if w))


def tidy_english(text: str) -> str:
    """English joined from pieces made tidy: no space before punctuation or after
    an opening bracket, single spaces, a capital first letter."""
    text = regex.sub(r"\s+([,.;:!?)⟧])", r"\1", text)
    text = regex.sub(r"([(⟦])\s+", r"\1", text)
    text = regex.sub(r"\s{2,}", " ", text).strip()
    return text[:1].upper() + text[1:]


def fallback_flag(sentence: Sentence, no_placeholders: bool = False) -> Flag:
    """``term-fallback`` for a sentence rebuilt from pieces; ``no_placeholders``:
    the engine's model has no placeholder tokens, so no term could pass through it."""
    terms = ", ".join(dict.fromkeys(t.zh for t in sentence.terms))
    if terms:
        what = f"the glossary terms through ({terms})"
    elif sentence.marks:
        what = "the source's inline markup (bold, links, code, notes) through"
    else:
        what = "the source's brackets ⟦ ⟧ through"
    why = "the model's vocabulary has no placeholder tokens, so it could not carry" if no_placeholders else (
        "the engine did not carry")
    return Flag(
        "term-fallback",
        f"{why} {what}; the sentence was rebuilt from separately translated pieces, so check its word order",
    )


def count_in(text: str, glossary: Glossary) -> Counter:
    """How often each entry occurs in ``text`` (by ``file:line``)."""
    return Counter(entry.ref for _, _, entry in glossary.find(_matching_form(text)))


# -- editing files ---------------------------------------------------------------------------


#: What a glossary cell cannot hold (the file has no escapes): the tab between
#: cells, the line ends, and lone surrogates, which UTF-8 cannot carry.
_NOT_IN_CELL = regex.compile(r"[\t\n\r\p{Cs}]")
#: Line breaks and the whitespace around them, for text made into one cell.
_BREAKS = regex.compile(r"\s*[\t\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*")


def one_line(text: str) -> str:
    """``text`` fit for a glossary cell: each line break or tab (and the space
    around it) one space, lone surrogates dropped, the ends stripped."""
    return regex.sub(r"\p{Cs}", "", _BREAKS.sub(" ", text)).strip()


def row_problem(values: dict[str, str], header: Sequence[str]) -> str | None:
    """Why the row of ``values`` (by column) under ``header`` would not read back
    as exactly those values, or ``None`` when it would (:func:`glossary_row`)."""
    for column in header:
        value = values.get(column, "")
        if _NOT_IN_CELL.search(value):
            return f"the {column} holds a tab, a line break or text that is not Unicode, which a glossary cell cannot"
        if value != value.strip():
            return f"the {column} starts or ends with white space, which a glossary cell drops"
    variants = values.get("variants", "")
    if variants and [v.strip() for v in variants.split("|")] != [v for v in variants.split("|") if v.strip()]:
        return "the variants have an empty one, or white space around a |"
    if _row(values, header).lstrip().startswith("#"):
        return "the row would start with #, which makes it a comment"
    return None


def glossary_row(values: dict[str, str], header: Sequence[str]) -> str:
    """The TSV line of ``values`` (by column) under ``header``, which
    :func:`load_glossaries` reads back as exactly those values; :class:`GlossaryError`
    when :func:`row_problem` finds that it would not."""
    problem = row_problem(values, header)
    if problem is not None:
        raise GlossaryError([f"{values.get('zh', '')}: {problem}; nothing was written"])
    return _row(values, header)


def _row(values: dict[str, str], header: Sequence[str]) -> str:
    return "\t".join(values.get(column, "") for column in header)


def glossary_text(target: Path) -> str:
    """The text of the glossary file ``target`` that duizhao is about to extend
    (a header row when there is none yet); :class:`GlossaryError` when it is not
    a glossary file duizhao may write to (a folder, not UTF-8, or its first row not
    a glossary header): such a file is left as it is."""
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        return "\t".join(COLUMNS) + "\n"
    except OSError as exc:
        raise GlossaryError([f"{target}: cannot be read ({exc.strerror or exc}); nothing was written"]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GlossaryError([f"{target}: not UTF-8, so not a glossary file; it is left as it was (name a .tsv "
                             "glossary, or a new file)"]) from None
    header = _header_line(text)
    if header is not None and not ({"zh", "en"} <= set(header) <= set(COLUMNS)):
        raise GlossaryError([f"{target}: not a glossary file (its first row is not a header naming zh and en); it "
                             "is left as it was (name a .tsv glossary, or a new file)"])
    return text if header is not None else text + ("" if not text or text.endswith("\n") else "\n") \
        + "\t".join(COLUMNS) + "\n"


def add_entry(zh: str, en: str, *, note: str = "", variants: str = "", path: str | Path | None = None) -> str:
    """Append an entry to a glossary file, leaving every existing byte as it was.
    Returns the new entry's ``file:line``."""
    from pipeline.core.atomic import write_text_atomic

    target = Path(path) if path is not None else (default_files() or [DEFAULT_DIR / "glossary.tsv"])[-1]
    values = {"zh": zh.strip(), "en": en.strip(), "note": note.strip(),
              "variants": "|".join(v.strip() for v in variants.split("|") if v.strip())}
    if not values["zh"] or not values["en"]:
        raise GlossaryError([f"{target}: both ZH and EN are needed"])
    if _PLACEHOLDER_DEBRIS.search(values["en"]):
        raise GlossaryError([f"{target}: {_BRACKETS_IN_ENGLISH}"])
    text = glossary_text(target)
    entries, problems, _ = _read_file(target) if target.exists() else ([], [], "")
    if problems:
        raise GlossaryError(problems)
    header = _header_of(text)
    problem = row_problem(values, header)
    if problem is not None:
        raise GlossaryError([f"{target}: {problem}; nothing was written"])
    if text and not text.endswith("\n"):
        text += "\n"
    number = text.count("\n") + 1
    new = Entry(values["zh"], values["en"], values["note"],
                tuple(v for v in values["variants"].split("|") if v), str(target), number)
    seen: dict[str, Entry] = {}
    for entry in entries:
        for form in entry.forms():
            seen.setdefault(match_key(form), entry)
    same = seen.get(match_key(new.zh))
    if same is not None and same.en == new.en:
        raise GlossaryError([f"{same.ref}: {same.zh} → {same.en} is already there"])
    clash = _clashes(new, seen)
    if clash:
        raise GlossaryError(clash)
    write_text_atomic(target, text + _row(values, header) + "\n")
    return new.ref


def set_rendering(ref: str, zh: str, en: str) -> str:
    """Change the English of the entry at ``ref`` (``file:line``, whose Chinese must
    be ``zh``: a file edited since is not changed blindly) to ``en``, leaving every
    other byte of the file as it was; validated as :func:`add_entry` validates.
    Returns the entry's ``file:line``."""
    from pipeline.core.atomic import write_text_atomic

    file, _, number = ref.rpartition(":")
    target = Path(file)
    value = en.strip()
    if not file or not number.isdigit():
        raise GlossaryError([f"{ref}: not a glossary entry (file:line)"])
    if "\t" in value or "\n" in value or "\r" in value:
        raise GlossaryError([f"{target}: the en may not contain tabs or line breaks"])
    if not value:
        raise GlossaryError([f"{target}: the EN is needed"])
    if _PLACEHOLDER_DEBRIS.search(value):
        raise GlossaryError([f"{target}: {_BRACKETS_IN_ENGLISH}"])
    data, problems = _file_bytes(target)
    entries, problems = _entries_of(target, data) if data is not None else ([], problems)
    if problems:
        raise GlossaryError(problems)
    entry = next((e for e in entries if e.line == int(number)), None)
    if entry is None or match_key(zh) not in {match_key(form) for form in entry.forms()}:
        raise GlossaryError([f"{ref}: is no longer the entry of {zh} (the file changed); reload and try again"])
    if entry.en == value:
        raise GlossaryError([f"{ref}: {entry.zh} → {value} is already there"])
    text = data.decode("utf-8-sig")  # the bytes the entry was found in
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""  # kept as it was
    lines = text.split("\n")
    raw = lines[entry.line - 1]
    ending = "\r" if raw.endswith("\r") else ""
    cells = raw.removesuffix("\r").split("\t")
    column = _header_of(text).index("en")
    cells[column] = value
    lines[entry.line - 1] = "\t".join(cells) + ending
    write_text_atomic(target, bom + "\n".join(lines))
    return entry.ref


def append_drafts(path: str | Path, candidates: Iterable[object]) -> None:
    """Append candidates as commented-out rows (``# zh<TAB><TAB>note``) for the user
    to fill in: remove the ``# `` and write the English."""
    from pipeline.core.atomic import write_text_atomic

    target = Path(path)
    text = glossary_text(target)
    if not text.endswith("\n"):
        text += "\n"
    header = _header_of(text)
    rows = ["# Draft rows from `duizhao glossary suggest`: remove '# ' and fill in en."]
    for candidate in candidates:
        documents = getattr(candidate, "documents", 1)
        where = "the source" if documents == 1 else f"{documents} documents"
        cells = {"zh": one_line(candidate.zh), "en": "",
                 "note": one_line(f"{candidate.kind}, {candidate.count}× in {where}: {candidate.context}")}
        rows.append("# " + _row(cells, header))
    write_text_atomic(target, text + "\n".join(rows) + "\n")


def _header_line(text: str) -> list[str] | None:
    """The cells of the first row that is not blank or a comment, lower case."""
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip() and not line.lstrip().startswith("#"):
            return [c.strip().lower() for c in line.split("\t")]
    return None


def _header_of(text: str) -> list[str]:
    return _header_line(text) or list(COLUMNS)
