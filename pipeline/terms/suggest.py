"""Glossary candidates a source contains but the glossary does not, ranked.

Three kinds, in this order of rank (then by count):

1. quoted phrases (“…”, 「…」, 『…』): Chinese writing quotes its slogans and coinages;
2. numbered slogans (三条路径, 一号工程, 五水共治, 两代表一委员): a Chinese numeral
   followed by a few characters, the usual shape of policy shorthand;
3. frequent multi-character words that neither jieba's general dictionary nor
   CC-CEDICT knows (names, local coinages), found by jieba's segmenter.

Over a corpus, candidates are ranked first by the number of documents they occur
in: a term that recurs across a ministry's articles matters more than one
article's coinage. Documents are read one at a time; only their sentence text is
kept for counting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import regex

from pipeline.terms.glossary import Glossary, match_key
from pipeline.core.model import Document

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
    count: int  # occurrences in all the documents
    context: str  # a line around the first occurrence
    documents: int = 1  # documents it occurs in
    #: ``(source, line)`` from each of up to three documents it occurs in.
    contexts: tuple[tuple[str, str], ...] = ()


#: Documents a candidate shows a context line from.
CONTEXTS = 3


def suggest_terms(
    documents: Document | Iterable[Document], glossary: Glossary, limit: int | None = None
) -> list[Candidate]:
    """Candidates in ``documents`` (one, or many read one at a time) that the
    glossary lacks, ranked by the number of documents they occur in, then by kind
    (quoted, numbered, unknown word), then by count."""
    if isinstance(documents, Document):
        documents = [documents]
    texts: list[tuple[str, str]] = []  # (source, its sentences' text): all the counting needs
    quoted: dict[str, None] = {}
    paired: dict[str, None] = {}  # paired numeral phrases (三高三新, 两代表一委员) wherever they occur
    led: Counter = Counter()
    unknown: Counter = Counter()
    for document in documents:
        sentences = [s.simplified for s in document.sentences()]
        texts.append((document.source, "\n".join(sentences)))
        for text in sentences:
            quoted.update(dict.fromkeys(_QUOTED.findall(text)))
            paired.update(dict.fromkeys(m.group(0) for m in _PAIRED.finditer(text)))
            led.update(m.group(0) for m in _LED.finditer(text))
        unknown.update(_jieba_unknown(sentences))
    found: dict[str, str] = dict.fromkeys(quoted, "quoted")
    # numeral-led phrases (三条路径, 一号工程) when they recur
    for phrase in [*paired, *(phrase for phrase, count in led.items() if count >= 2)]:
        found.setdefault(phrase, "numbered")
    for word in _not_in_cedict(unknown):
        found.setdefault(word, "unknown word")
    candidates = []
    for zh, kind in found.items():
        if _known(zh, glossary):
            continue
        shown = f"“{zh}”" if kind == "quoted" else zh
        count, documents_in, contexts = 0, 0, []
        for source, full in texts:
            n = full.count(zh)
            if not n:
                continue
            count += n
            documents_in += 1
            if len(contexts) < CONTEXTS:
                contexts.append((source, _context(full, shown) or _context(full, zh)))
        if kind == "unknown word" and count < 2:
            continue
        candidates.append(Candidate(zh, kind, count, contexts[0][1] if contexts else "", documents_in, tuple(contexts)))
    candidates.sort(key=lambda c: (-c.documents, KIND_RANK[c.kind], -c.count, c.zh))
    return candidates[:limit] if limit else candidates


def _jieba_unknown(texts: list[str]) -> Counter:
    """Multi-character Han words of ``texts`` that jieba's dictionary lacks, counted."""
    from pipeline.read.dictionary import import_jieba

    jieba = import_jieba()
    jieba.initialize()
    known = jieba.dt.FREQ
    return Counter(
        word for text in texts for word in jieba.lcut(text) if _HAN_WORD.match(word) and not known.get(word)
    )


def _not_in_cedict(counts: Counter) -> list[str]:
    """The words of ``counts``, most frequent first, that CC-CEDICT does not know either."""
    from pipeline.read.dictionary import cedict_entries

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
