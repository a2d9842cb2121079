"""The reading aids of a page: the words of each sentence (jieba, never across a
glossary term), their pinyin, and the CC-CEDICT entries of the words on the page,
kept in the aids store so a rerun computes only what is new.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from pipeline.core.model import Document
from pipeline.render.assets import script_json
from pipeline.render.reader.chinese import Conversion
from pipeline.render.reader.views import SentenceView, View

if TYPE_CHECKING:
    from pipeline.read.dictionary import AidsStore


# ---- reading aids: words, other script, pinyin, dictionary ----------------------------


def reading_aids(
    document: Document, view: View, conversion: Conversion, store: AidsStore | None = None
) -> tuple[str, str]:
    """As :func:`script_json` text, the tokens: per sentence id, the words of its original text (see :func:`_words`);
    and the dictionary: the CC-CEDICT entries of every stretch of the page's Chinese
    that is a headword (up to :data:`_LOOKUP` characters from any character, and each
    glossary term whole), as ``e`` (``[traditional, simplified, pinyin, senses]``) and
    ``k`` (text → indexes into ``e``). ``k`` is keyed by the page's own forms, the
    original and the other script: a stretch's entries are those of any of its forms,
    so a look-up in either script finds them.

    With a ``store``, both are read from it whole when the document's sentences are
    the ones of its last page; otherwise a sentence's words and its headwords are read
    from it when the same text (same script, simplified form and term cuts) was seen
    before under the same :func:`~pipeline.read.dictionary.aids_version`, and only new
    sentences load jieba, pypinyin and the dictionary file. The page's row is kept as
    the text that goes into the page, so a rerun embeds it without parsing it."""
    sentences = [s for row in view.rows for s in row.sentences]
    if store is None:
        return tuple(map(script_json, _compute_aids(document.script, conversion, sentences, None)))
    from pipeline.read.dictionary import aids_version

    version = aids_version()
    page = {s.id: _words_key(document.script, conversion, s) for s in sentences}
    digest = hashlib.sha256(json.dumps(page, ensure_ascii=False).encode("utf-8")).hexdigest()
    source = str(document.source)
    stored = store.get_aids(version, "page", [source]).get(source)
    if stored is not None:
        # digest, tokens, dictionary: one a line (JSON text holds no raw line break)
        last_digest, tokens_json, dict_json = stored.split("\n", 2)
        if last_digest == digest:
            return tokens_json, dict_json
    tokens_json, dict_json = map(script_json, _compute_aids(document.script, conversion, sentences, store))
    # One row per source, replaced on every change: the page's aids in one read.
    store.put_aids(version, "page", {source: f"{digest}\n{tokens_json}\n{dict_json}"})
    return tokens_json, dict_json


#: The longest stretch of text looked up from a character (CC-CEDICT's idioms and
#: names are rarely longer); glossary terms are looked up whole, however long.
_LOOKUP = 8


def _compute_aids(
    script: str, conversion: Conversion, sentences: list[SentenceView], store: AidsStore | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`reading_aids` from the words and headword stretches of each sentence
    and the entries of each headword. The dictionary is read once: for the stretches
    of new sentences and the headwords of the others together; when every sentence
    was seen before, their headwords' entries come from the store."""
    from pipeline.read.dictionary import aids_version, cedict_entries, prepare

    version = aids_version()
    keys = {s.id: _words_key(script, conversion, s) for s in sentences}
    stored = store.get_aids(version, "words", keys.values()) if store is not None else {}
    known = {key: json.loads(stored[key]) for key in set(keys.values()) & stored.keys()}
    new: dict[str, tuple[list[list[str]], list[frozenset[str]]]] = {}
    todo = [s for s in sentences if keys[s.id] not in known]
    if todo:
        prepare(text for s in todo for text in (s.text, s.simplified))
    for sentence in todo:
        key = keys[sentence.id]
        if key not in known and key not in new:
            new[key] = (_words(sentence, conversion), _stretches(sentence, conversion))
    tokens = {s.id: (known[keys[s.id]] if keys[s.id] in known else new[keys[s.id]])[0] for s in sentences}
    stretches = {(frozenset(forms), frozenset(hits)) for _, found in known.values() for forms, hits in found}
    headwords = {form for _, hits in stretches for form in hits}
    if new:
        found = cedict_entries(headwords | {form for _, forms in new.values() for f in forms for form in f})
        rows = {}
        for key, (words, candidates) in new.items():
            hits = [(f, frozenset(f & found.keys())) for f in candidates if f & found.keys()]
            stretches.update(hits)
            rows[key] = json.dumps([words, [[sorted(f), sorted(h)] for f, h in hits]],
                                   ensure_ascii=False, separators=(",", ":"))
        if store is not None:
            store.put_aids(version, "words", rows)
            store.put_aids(version, "cedict", {h: _entries_json(found[h]) for h in {h for _, hs in stretches for h in hs}})
    else:
        found = cedict_entries(headwords, store)

    entries: list[list[Any]] = []
    position: dict[Any, int] = {}
    index: dict[str, list[int]] = {}
    for forms, hits in sorted(stretches, key=lambda s: (sorted(s[0]), sorted(s[1]))):
        merged = [e for form in sorted(hits) for e in found.get(form, ())]
        for entry in merged:
            if entry not in position:
                position[entry] = len(entries)
                entries.append([entry.traditional, entry.simplified, entry.pinyin, list(entry.senses)])
        for form in forms:
            at = index.setdefault(form, [])
            at.extend(position[e] for e in merged if position[e] not in at)
    return tokens, {"e": entries, "k": dict(sorted(index.items()))}


def _entries_json(entries) -> str:
    return json.dumps([[e.traditional, e.simplified, e.pinyin, list(e.senses)] for e in entries],
                      ensure_ascii=False, separators=(",", ":"))


def _stretches(sentence: SentenceView, other_script) -> list[frozenset[str]]:
    """Every run of up to :data:`_LOOKUP` Han characters of the sentence, and every
    glossary term whole, as the set of its forms: as written, in the other script,
    and in the Simplified form given to the engine (where the lengths agree)."""
    from pipeline.read.dictionary import is_han

    text = sentence.text
    other = other_script(text)
    forms = [text] + [t for t in (other, sentence.simplified) if len(t) == len(text) and t != text]
    spans = {(start, end) for start, end in zip(sentence.cuts, sentence.cuts[1:]) if _is_term(sentence, start, end)}
    han = [is_han(ch) for ch in text]
    for start in range(len(text)):
        end = start
        while end < len(text) and end - start < _LOOKUP and han[end]:
            end += 1
            spans.add((start, end))
    out = []
    for start, end in sorted(spans):
        out.append(frozenset(f[start:end] for f in forms) | ({other_script(text[start:end])} if len(other) != len(text) else set()))
    return out


def _is_term(sentence: SentenceView, start: int, end: int) -> bool:
    at = 0
    for piece in sentence.zh:
        if at == start:
            return piece.term is not None and at + len(piece.text) == end
        at += len(piece.text)
    return False


def _words_key(script: str, conversion: Conversion, sentence: SentenceView) -> str:
    """Everything :func:`_words` depends on besides the libraries' versions."""
    simplified = "" if sentence.simplified == sentence.text else sentence.simplified
    return json.dumps([script, conversion.key(sentence.text), sentence.text, simplified, sentence.cuts],
                      ensure_ascii=False, separators=(",", ":"))


def _words(sentence: SentenceView, other_script) -> list[list[str]]:
    """The sentence's original text as words: ``[text, other-script form or "",
    pinyin]`` for a Han word, ``[text]`` for anything else. Words never cross a term
    boundary, so each lies inside one text node of the page's markup."""
    from pipeline.read.dictionary import is_han, pinyin, split_words

    text = sentence.text
    # jieba and pypinyin know Simplified best; positions carry over when lengths agree.
    simplified = sentence.simplified if len(sentence.simplified) == len(text) else text
    other = other_script(text)
    aligned = len(other) == len(text)
    cuts = [0, *sentence.cuts, len(text)]
    words: list[list[str]] = []
    for start, end in zip(cuts, cuts[1:]):
        at = start
        for word in split_words(simplified[start:end]):
            stop = at + len(word.text)
            original = text[at:stop]
            if word.han and is_han(original):
                alt = other[at:stop] if aligned else other_script(original)
                words.append([original, "" if alt == original else alt, " ".join(pinyin(simplified[at:stop]))])
            elif words and len(words[-1]) == 1 and at != start:
                words[-1][0] += original
            else:
                words.append([original])
            at = stop
    return words
