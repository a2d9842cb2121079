"""Glossary terms through an engine: what the engine is given for each sentence,
how its answer is checked, and the rebuild when the terms did not come through.

:func:`translate_with_glossary` does, for the sentences of some documents (their
terms already found by :func:`pipeline.terms.glossary.annotate_terms`):

1. ask the engine, through the translation cache, in the way the engine takes
   terms (:func:`pipeline.translate.engines.glossary_mode`):

   - ``"masked"`` (the NMT engines): each term replaced by a placeholder
     (``Sentence.mt_input``); the renderings are put back in the answer
     (:func:`pipeline.terms.glossary.restore_terms`), which fails when a placeholder
     was dropped, repeated or garbled;
   - ``"prompt"`` (an LLM): the sentence as written, with the renderings it needs
     and, when the engine asks for it, the sentences before it in its block
     (a :class:`~pipeline.translate.engines.Request`); the answer must contain every
     rendering exactly as often as its term occurs
     (:func:`pipeline.terms.glossary.complies`), the check the NMT path makes too;

2. ``"prompt"`` only: a sentence whose answer lacks a rendering is asked once
   more, masked, each placeholder listed with what it stands for;
3. a sentence still without its terms is rebuilt from the separately translated
   pieces between its terms and flagged ``term-fallback``
   (:func:`pipeline.terms.glossary.fallback_pieces`);
4. the sentence's inline marks (bold, links, inline code, footnote markers) are
   carried the same way, as placeholders (also to an LLM, which then gets the
   masked sentence at once: inline code and URLs are never sent), and settled in
   the English (:func:`pipeline.terms.glossary.settle_marks`).

So every rendering is in the English by construction, whatever the engine. For a
``"masked"`` engine this is exactly the path, and the cache keys, of before.

With the project translation memory (:mod:`pipeline.translate.memory`), its exact
matches are put in place first and those sentences are not sent at all; an LLM
is shown the approved translations of similar sentences with the others (they are
part of its request, so of the cache key).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pipeline.core.model import Document, Sentence
from pipeline.terms.glossary import (
    assemble_fallback,
    complies,
    fallback_flag,
    fallback_pieces,
    match_key,
    placeholder,
    placeholder_fills,
    restore_terms,
    settle_marks,
    strip_placeholders,
)
from pipeline.translate.cache import TranslationCache
from pipeline.translate.engines.base import Request, glossary_mode
from pipeline.translate.memory import EXAMPLES, Memory, apply_exact, document_name
from pipeline.translate.texts import Backend, TranslateStats, Translator, translate_texts


@dataclass
class Outcome:
    """What :func:`translate_with_glossary` did. ``stats`` are those of the first
    round (what the engine was asked for every sentence); ``inputs`` holds each
    sentence's first-round input, by position in ``Document.sentences()`` order."""

    stats: TranslateStats
    inputs: list[str]
    retried: set[int] = field(default_factory=set)
    rebuilt: set[int] = field(default_factory=set)
    pieces: dict[int, list[str]] = field(default_factory=dict)
    fresh_pieces: frozenset[str] = frozenset()
    #: Sentences answered by an exact translation-memory match (no engine call).
    remembered: set[int] = field(default_factory=set)


def translate_with_glossary(
    documents: Sequence[Document],
    engine: Translator,
    cache: TranslationCache,
    *,
    progress: Callable[[int, int], None] | None = None,
    backend: Backend | None = None,
    memory: Memory | None = None,
    rows: Mapping[str, Mapping[str, str]] | None = None,
) -> Outcome:
    """Fill in ``translation`` on every sentence of ``documents`` (steps above).
    The sentences of all documents go to the engine together. ``memory``'s exact
    matches are applied first (``rows``: each document's own edit rows, see
    :func:`pipeline.translate.memory.apply_exact`)."""
    prompt = glossary_mode(engine) == "prompt"
    sentences = [s for document in documents for s in document.sentences()]
    size = getattr(engine, "context", 0) if prompt else 0
    before = {id(s): c for document in documents for s, c in _contexts(document, size)}
    contexts = [before.get(id(s), ()) for s in sentences]
    remembered = apply_exact(documents, memory, rows) if memory is not None else set()
    examples = _examples(documents, memory, remembered) if memory is not None and prompt else {}

    # A sentence of nothing but marks kept as written (a table cell holding inline
    # code) needs no engine: it is assembled from what its placeholders stand for.
    assembled = {i for i, s in enumerate(sentences) if s.marks and not s.terms and not fallback_pieces(s)}
    inputs = ["" if i in assembled or i in remembered else _first_input(s, c, prompt, examples.get(i, ()))
              for i, (s, c) in enumerate(zip(sentences, contexts))]
    answers, stats = translate_texts(inputs, engine, cache, progress=progress, backend=backend)
    outcome = Outcome(stats, inputs, remembered=remembered)
    again: list[int] = []
    for index, (sentence, answer) in enumerate(zip(sentences, answers)):
        if index in remembered:
            continue
        if index in assembled:
            sentence.translation = assemble_fallback(sentence, {})
            continue
        sentence.translation = _accept_first(sentence, answer, prompt)
        if sentence.translation is None:
            if prompt:
                again.append(index)
            else:
                outcome.rebuilt.add(index)

    if again:
        outcome.retried = set(again)
        masked = [_masked_request(sentences[i], contexts[i]) for i in again]
        answers, _ = translate_texts(masked, engine, cache, backend=backend)
        for index, answer in zip(again, answers):
            sentence = sentences[index]
            sentence.translation = _accept_masked(sentence, answer)
            if sentence.translation is None:
                outcome.rebuilt.add(index)

    outcome.pieces = {i: fallback_pieces(sentences[i]) for i in sorted(outcome.rebuilt)}
    flat = [p for pieces in outcome.pieces.values() for p in pieces]
    asked = [Request(p).key() if prompt else p for p in flat]
    translated, piece_stats = translate_texts(asked, engine, cache, backend=backend)
    table = dict(zip(flat, map(strip_placeholders, translated)))
    outcome.fresh_pieces = frozenset(p for p, a in zip(flat, asked) if a in piece_stats.fresh)
    # An NMT model without placeholder tokens (pipeline.translate.engines.seq2seq) never carries terms.
    placeholders = getattr(engine, "placeholder_tokens", None)
    no_placeholders = bool(outcome.pieces) and not prompt and callable(placeholders) and not placeholders()
    for index in outcome.pieces:
        sentence = sentences[index]
        sentence.translation = assemble_fallback(sentence, table)
        sentence.flags.append(fallback_flag(sentence, no_placeholders))
    for sentence in sentences:
        settle_marks(sentence)
    return outcome


def _contexts(document: Document, size: int) -> list[tuple[Sentence, tuple[str, ...]]]:
    """Each sentence of ``document`` with the ``size`` sentences before it in its block."""
    if not size:
        return []
    return [
        (sentence, tuple(s.simplified for s in block.sentences[max(0, number - size):number]))
        for block in document.blocks
        for number, sentence in enumerate(block.sentences)
    ]


def _examples(documents: Sequence[Document], memory: Memory, remembered: set[int]) -> dict[int, tuple]:
    """The memory's approved translations of sentences like each one not answered
    by it, by position: the examples an LLM is shown."""
    out: dict[int, tuple] = {}
    at = 0
    for document in documents:
        sentences = document.sentences()
        wanted = {i: s.simplified.strip() for i, s in enumerate(sentences)
                  if at + i not in remembered and s.simplified.strip()}
        found = memory.examples(sorted(set(wanted.values())), document_name(document), EXAMPLES) if wanted else {}
        for i, text in wanted.items():
            if found.get(text):
                out[at + i] = tuple(tuple(pair) for pair in found[text])
        at += len(sentences)
    return out


def _first_input(sentence: Sentence, context: tuple[str, ...], prompt: bool, examples: tuple = ()) -> str:
    if not prompt or not sentence.simplified.strip():  # a blank text is not sent at all
        return sentence.mt_input or sentence.simplified
    if sentence.marks:  # inline code and URLs never reach the engine: masked at once
        return _masked_request(sentence, context)
    aligned = len(sentence.simplified) == len(sentence.text)
    terms = dict.fromkeys(
        (sentence.simplified[t.start:t.end] if aligned else match_key(t.zh), t.en) for t in sentence.terms
    )
    return Request(sentence.simplified, tuple(terms), (), context, examples).key()


def _accept_first(sentence: Sentence, answer: str, prompt: bool) -> str | None:
    """The English from the first answer, or ``None`` when the terms did not come through."""
    if prompt and sentence.marks:
        return _accept_masked(sentence, answer)
    if prompt:
        return answer if not sentence.terms or complies(answer, sentence.terms) else None
    if sentence.mt_input is not None:
        return restore_terms(answer, sentence)
    return strip_placeholders(answer)


def _masked_request(sentence: Sentence, context: tuple[str, ...]) -> str:
    # What each placeholder stands for: a term's rendering, a mark's text kept as
    # written (nothing for where bold or a link starts and ends), a bracket the source writes.
    markers = tuple((placeholder(number), fill) for number, fill in enumerate(placeholder_fills(sentence)))
    return Request(sentence.mt_input or sentence.simplified, (), markers, context).key()


def _accept_masked(sentence: Sentence, answer: str) -> str | None:
    """The English from the answer to the masked request: its placeholders put
    back, or the answer itself when it wrote the renderings instead."""
    restored = restore_terms(answer, sentence)
    if restored is None and not sentence.marks and strip_placeholders(answer) == answer \
            and complies(answer, sentence.terms):
        return answer
    return restored
