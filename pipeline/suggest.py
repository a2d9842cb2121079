"""Glossary candidates a source contains but the glossary does not, ranked.

Three kinds, in this order of rank (then by count):

1. quoted phrases (“…”, 「…」, 『…』): Chinese writing quotes its slogans and coinages;
2. numbered slogans (三条路径, 一号工程, 五水共治, 两代表一委员): a Chinese numeral
   followed by a few characters, the usual shape of policy shorthand;
3. frequent multi-character words that neither jieba's general dictionary nor
   CC-CEDICT knows (names, local coinages), found by jieba's segmenter.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import regex

from pipeline.glossary import Glossary, match_key
from pipeline.model import Document

# A quotation that is a term, not speech: no sentence-final marks inside.
_QUOTED = regex.compile(r"[“「『]([^“”「」『』。！？!?]{2,12})[”」』]")
_PAIRED = regex.compile(r"(?:N\p{Han}N\p{Han}|N\p{Han}{2}N\p{Han}{2})".replace("N", "[一二三四五六七八九十两]"))
_LED = regex.compile(r"[一二三四五六七八九十两][条个号项大下]\p{Han}{2}")
_HAN_WORD = regex.compile(r"^\p{Han}{2,}$")
KIND_RANK = {"quoted": 0, "numbered": 1, "unknown word": 2}


@dataclass(frozen=True)
class Candidate:
    zh: str
    kind: str  # "quoted" | "numbered" | "unknown word"
    count: int
    context: str


def suggest_terms(document: Document, glossary: Glossary, limit: int | None = None) -> list[Candidate]:
    texts = [s.simplified for s in document.sentences()]
    full = "\n".join(texts)
    found: dict[str, str] = {}
    for text in texts:
        for phrase in _QUOTED.findall(text):
            found.setdefault(phrase, "quoted")
    for phrase in _numbered_slogans(texts):
        found.setdefault(phrase, "numbered")
    for word in _unknown_words(texts):
        found.setdefault(word, "unknown word")
    candidates = [
        Candidate(zh, kind, full.count(zh), _context(full, f"“{zh}”" if kind == "quoted" else zh))
        for zh, kind in found.items()
        if not _known(zh, glossary)
    ]
    candidates = [c for c in candidates if c.kind != "unknown word" or c.count >= 2]
    candidates.sort(key=lambda c: (KIND_RANK[c.kind], -c.count, c.zh))
    return candidates[:limit] if limit else candidates


def _numbered_slogans(texts: list[str]) -> list[str]:
    """Paired numeral phrases (三高三新, 一弓一箭, 两代表一委员) wherever they occur,
    and numeral-led phrases (三条路径, 一号工程) that recur."""
    paired = [m.group(0) for text in texts for m in _PAIRED.finditer(text)]
    led = Counter(m.group(0) for text in texts for m in _LED.finditer(text))
    return paired + [phrase for phrase, count in led.items() if count >= 2]


def _unknown_words(texts: list[str]) -> list[str]:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    known = jieba.dt.FREQ
    counts = Counter(
        word
        for text in texts
        for word in jieba.lcut(text)
        if _HAN_WORD.match(word) and not known.get(word)
    )
    from pipeline.dictionary import cedict_entries

    in_cedict = cedict_entries(counts)
    return [word for word, _ in counts.most_common() if not in_cedict.get(word)]


def _known(phrase: str, glossary: Glossary) -> bool:
    """Already a glossary form, or made only of glossary forms."""
    key = match_key(phrase)
    if key in glossary.by_key:
        return True
    covered = sum(end - start for start, end, _ in glossary.find(key))
    return covered == len(key)


def _context(text: str, phrase: str, width: int = 12) -> str:
    at = text.find(phrase)
    if at < 0:
        return ""
    start, end = max(0, at - width), min(len(text), at + len(phrase) + width)
    line = text[start:end].replace("\n", " ")
    return ("…" if start else "") + line + ("…" if end < len(text) else "")
