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

A document is never lost to one sentence. A request the engine fails on (a
:class:`~pipeline.translate.engines.Failed`: an empty, cut-off or runaway
answer, a prompt the server's context cannot hold, an error that repeats) is
asked again in smaller forms: without the context, then with placeholders; then
its sentence is rebuilt from pieces (the runs between its terms, and a run that
fails too cut at ；and ，: :func:`pipeline.read.sentences.clauses`) and flagged
``engine-rebuilt``; a clause that still fails is kept as written and the
sentence flagged ``engine-failed`` with the engine's message. Failures are never
cached, so a rerun asks for exactly these again.

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

from pipeline.core.model import Document, Flag, Sentence
from pipeline.read.sentences import clauses
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
    tidy_english,
)
from pipeline.translate.cache import TranslationCache
from pipeline.translate.engines.base import Failed, Request, asking_again, glossary_mode
from pipeline.translate.memory import EXAMPLES, Memory, apply_exact, document_name
from pipeline.translate.texts import Backend, TranslateStats, Translator, translate_texts


@dataclass
class Outcome:
    """What :func:`translate_with_glossary` did. ``stats`` are those of the first
    round (what the engine was asked for every sentence); ``inputs`` holds each
    sentence's first-round input, by position in ``Document.sentences()`` order.
    ``retried`` were asked again with placeholders to keep their terms,
    ``rebuilt`` rebuilt from pieces to keep them; ``engine_rebuilt`` were rebuilt
    from pieces because the engine failed on every whole form, ``engine_failed``
    kept some source text untranslated (``failures``: the last failure of each)."""

    stats: TranslateStats
    inputs: list[str]
    retried: set[int] = field(default_factory=set)
    rebuilt: set[int] = field(default_factory=set)
    pieces: dict[int, list[str]] = field(default_factory=dict)
    fresh_pieces: frozenset[str] = frozenset()
    engine_rebuilt: set[int] = field(default_factory=set)
    engine_failed: set[int] = field(default_factory=set)
    failures: dict[int, Failed] = field(default_factory=dict)
    #: Sentences answered by an exact translation-memory match (no engine call).
    remembered: set[int] = field(default_factory=set)


@dataclass
class _Asking:
    """A sentence still being asked: its context, whether the context and the
    placeholders are in its current form, the forms already asked, and why it
    is asked again (``"terms"``, ``"failed"``)."""

    context: tuple[str, ...]
    with_context: bool
    masked: bool
    asked: set[str] = field(default_factory=set)
    failure: Failed | None = None


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
    failed: dict[str, Failed] = {}  # request → its failure, in this call: never asked twice
    asking: dict[int, _Asking] = {}
    terms_failed: set[int] = set()  # rebuilt to keep terms
    whole_failed: set[int] = set()  # rebuilt because every whole form failed
    for index, (sentence, answer) in enumerate(zip(sentences, answers)):
        if index in remembered:
            continue
        if index in assembled:
            sentence.translation = assemble_fallback(sentence, {})
            continue
        state = _Asking(contexts[index], True, prompt and bool(sentence.marks), {inputs[index]})
        if isinstance(answer, Failed):
            failed[inputs[index]] = state.failure = answer
            sentence.translation = None
            if prompt:
                asking[index] = state
            else:  # an NMT engine has no smaller form of a request than the masked sentence
                whole_failed.add(index)
                outcome.failures[index] = answer
            continue
        sentence.translation = _accept_first(sentence, answer, prompt)
        if sentence.translation is None:
            if prompt:
                asking[index] = state
                state.failure = None
            else:
                terms_failed.add(index)

    # Ask again in smaller forms: without the context, with placeholders; a
    # sentence's failures say nothing new about the server here.
    while asking:
        forms: dict[int, str] = {}
        for index, state in list(asking.items()):
            form = _next_form(sentences[index], state, terms=state.failure is None)
            if form is None:
                del asking[index]
                (whole_failed if state.failure is not None else terms_failed).add(index)
                if state.failure is not None:
                    outcome.failures[index] = state.failure
                continue
            if state.masked and state.failure is None:
                outcome.retried.add(index)
            forms[index] = form
        if not forms:
            break
        with asking_again(engine):
            replies, _ = _ask(forms, engine, cache, backend, failed)
        for index, form in forms.items():
            sentence, state, answer = sentences[index], asking[index], replies[form]
            state.asked.add(form)
            if isinstance(answer, Failed):
                # Asked again for its terms, a sentence whose masked form fails
                # (its answer dropped every placeholder and was empty) is rebuilt to
                # keep them, as one whose answer lacks them; a failing server is a failure.
                if state.failure is not None or answer.cause != "answer":
                    state.failure = answer
                continue
            english = _accept_masked(sentence, answer) if state.masked else (
                answer if not sentence.terms or complies(answer, sentence.terms) else None)
            if english is not None:
                sentence.translation = english
                del asking[index]
            else:
                state.failure = None  # the answer came, without the terms

    outcome.rebuilt = terms_failed
    with asking_again(engine):
        _rebuild(sentences, terms_failed | whole_failed, prompt, engine, cache, backend, failed, outcome)
    outcome.engine_rebuilt = whole_failed - outcome.engine_failed
    # An NMT model without placeholder tokens (pipeline.translate.engines.seq2seq) never carries terms.
    placeholders = getattr(engine, "placeholder_tokens", None)
    no_placeholders = bool(terms_failed) and not prompt and callable(placeholders) and not placeholders()
    for index in sorted(terms_failed | whole_failed):
        sentence = sentences[index]
        if index in terms_failed:
            sentence.flags.append(fallback_flag(sentence, no_placeholders))
        if index in outcome.engine_failed:
            sentence.flags.append(failed_flag(outcome.failures[index]))
        elif index in whole_failed:
            sentence.flags.append(rebuilt_flag(outcome.failures[index]))
    for sentence in sentences:
        settle_marks(sentence)
    return outcome


def _next_form(sentence: Sentence, state: _Asking, terms: bool) -> str | None:
    """The next, smaller form of a sentence's request not asked yet, or ``None``
    when none is left. Its terms did not come through (``terms``): with
    placeholders. It failed: without the context, then with placeholders."""
    while True:
        if terms or not state.with_context:
            if state.masked or sentence.mt_input is None:
                return None
            state.masked = True
        else:
            state.with_context = False
        context = state.context if state.with_context else ()
        form = _masked_request(sentence, context) if state.masked else _plain_request(sentence, context)
        if form not in state.asked:
            return form


def _ask(forms: dict[int, str], engine: Translator, cache: TranslationCache, backend: Backend | None,
         failed: dict[str, Failed]) -> tuple[dict[str, str | Failed], frozenset[str]]:
    """The answer to each of ``forms`` (a request that failed before in this call
    is not asked again), and the requests the engine answered now (not the
    cache); failures are added to ``failed``."""
    wanted = list(dict.fromkeys(f for f in forms.values() if f not in failed))
    answers, stats = translate_texts(wanted, engine, cache, backend=backend)
    replies: dict[str, str | Failed] = dict(failed)
    for form, answer in zip(wanted, answers):
        replies[form] = answer
        if isinstance(answer, Failed):
            failed[form] = answer
    return replies, stats.fresh


def _rebuild(sentences: list[Sentence], indexes: set[int], prompt: bool, engine: Translator,
             cache: TranslationCache, backend: Backend | None, failed: dict[str, Failed], outcome: Outcome) -> None:
    """Rebuild each sentence of ``indexes`` from its pieces: the runs of text
    between its placeholders (or the whole text), each asked alone, and a run the
    engine fails on cut at ；and ，and asked clause by clause. A clause that
    fails too is kept as written, and the sentence goes into
    ``outcome.engine_failed``."""
    runs = {i: fallback_pieces(sentences[i]) if sentences[i].mt_input is not None else [sentences[i].simplified]
            for i in sorted(indexes)}
    outcome.pieces = {i: list(r) for i, r in runs.items()}

    def key(text: str) -> str:
        return Request(text).key() if prompt else text

    flat = list(dict.fromkeys(p for pieces in runs.values() for p in pieces))
    replies, fresh = _ask({n: key(p) for n, p in enumerate(flat)}, engine, cache, backend, failed)
    table: dict[str, str] = {}
    broken: dict[str, list[str]] = {}
    for piece in flat:
        answer = replies[key(piece)]
        if isinstance(answer, str):
            table[piece] = strip_placeholders(answer)
        else:
            broken[piece] = clauses(piece)
    small = list(dict.fromkeys(c for parts in broken.values() for c in parts))
    if small:
        more, fresh_more = _ask({n: key(c) for n, c in enumerate(small)}, engine, cache, backend, failed)
        replies.update(more)
        fresh |= fresh_more
    lost: dict[str, Failed] = {}
    for piece, parts in broken.items():
        english = []
        for part in parts:
            answer = replies[key(part)]
            if isinstance(answer, Failed):
                lost[piece] = answer
                english.append(part.strip())  # kept as written: the reviewer sees what is missing
            else:
                english.append(strip_placeholders(answer).strip())
        table[piece] = tidy_english(" ".join(e for e in english if e))
    for index, pieces in runs.items():
        sentence = sentences[index]
        outcome.pieces[index] += [c for p in pieces if p in broken for c in broken[p]]
        for piece in pieces:
            if piece in lost:
                outcome.engine_failed.add(index)
                outcome.failures[index] = lost[piece]
        sentence.translation = (assemble_fallback(sentence, table) if sentence.mt_input is not None
                                else tidy_english(table.get(sentence.simplified, "")))
    outcome.fresh_pieces = frozenset(p for pieces in outcome.pieces.values() for p in pieces
                                     if key(p) in fresh and key(p) not in failed)


def failed_flag(failure: Failed) -> Flag:
    """``engine-failed``: some of the sentence has no translation; ``failure`` is
    the engine's last word on it."""
    return Flag("engine-failed",
                f"no translation: {failure.message}; the source is kept where the English is missing (write it "
                "with Edit, or fix the server or model and run again: only these sentences are asked again)",
                "error")


def rebuilt_flag(failure: Failed) -> Flag:
    """``engine-rebuilt``: the engine failed on the whole sentence in every form
    and it was put together from separately translated pieces."""
    return Flag("engine-rebuilt",
                f"the engine failed on the whole sentence ({failure.message}); it was rebuilt from separately "
                "translated pieces, so check its word order")


def _plain_request(sentence: Sentence, context: tuple[str, ...], examples: tuple = ()) -> str:
    aligned = len(sentence.simplified) == len(sentence.text)
    terms = dict.fromkeys(
        (sentence.simplified[t.start:t.end] if aligned else match_key(t.zh), t.en) for t in sentence.terms
    )
    return Request(sentence.simplified, tuple(terms), (), context, examples).key()


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
    """The first request of a sentence; an LLM is shown ``examples`` (similar
    approved translations) in it, not in the smaller forms it is asked in again."""
    if not prompt or not sentence.simplified.strip():  # a blank text is not sent at all
        return sentence.mt_input or sentence.simplified
    if sentence.marks:  # inline code and URLs never reach the engine: masked at once
        return _masked_request(sentence, context)
    return _plain_request(sentence, context, examples)


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
