"""The translation stage for whole documents: their sentences, with the
glossary enforced, through the cache and the engine, and each document's counts."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from pipeline.core.errors import DuizhaoError, EngineError
from pipeline.core.model import Document
from pipeline.terms.glossary import Glossary, annotate_terms
from pipeline.translate.cache import TranslationCache
from pipeline.translate.enforce import translate_with_glossary
from pipeline.translate.engines.base import glossary_mode, request_counts, token_counts
from pipeline.translate.memory import Memory
from pipeline.translate.texts import Backend, TranslateStats, Translator


def translate_document(
    document: Document,
    engine: Translator,
    cache: TranslationCache,
    progress: Callable[[int, int], None] | None = None,
    glossary: Glossary | None = None,
) -> TranslateStats:
    """Fill in ``translation`` on every sentence of ``document``, enforcing the
    glossary (:func:`translate_documents` for one document)."""
    return translate_documents([document], engine, cache, progress, glossary)


def translate_documents(
    documents: Sequence[Document],
    engine: Translator,
    cache: TranslationCache,
    progress: Callable[[int, int], None] | None = None,
    glossary: Glossary | None = None,
    backend: Backend | None = None,
    memory: Memory | None = None,
    rows: Mapping[str, Mapping[str, str]] | None = None,
) -> TranslateStats:
    """Fill in ``translation`` on every sentence of ``documents``, enforcing the
    glossary (:func:`pipeline.translate.enforce.translate_with_glossary`: for an NMT engine,
    terms are masked before translation and their renderings put back after; an
    LLM is given the renderings with the sentence; a sentence whose terms did not
    come through is rebuilt from pieces).

    The sentences of all the documents go to the engine together: a sentence
    shared by two documents is translated once, and batches span documents.
    Each document's ``stats`` count its own distinct sentences; the returned
    stats count the whole set once. An engine that makes HTTP requests adds
    ``requests`` and ``retried`` (those of the whole call, like ``seconds``).

    With ``memory`` (the project translation memory), its exact matches are put in
    place before the engine is asked and counted in ``memory_exact``; ``rows`` are
    the documents' own edit rows (:func:`pipeline.translate.memory.apply_exact`)."""
    started = time.perf_counter()
    per_document = [d.sentences() for d in documents]
    for document, sentences in zip(documents, per_document):
        # Also without a glossary: brackets in the source are masked as placeholders.
        annotate_terms(sentences, glossary or Glossary())
        if glossary is not None:
            document.glossary = [f.to_json() for f in glossary.files]
    before, tokens_before = request_counts(engine), token_counts(engine)
    try:
        outcome = translate_with_glossary(documents, engine, cache, progress=progress, backend=backend,
                                          memory=memory, rows=rows)
    except DuizhaoError as exc:
        raise _placed(exc, documents) from None
    stats = outcome.stats
    stats.seconds = time.perf_counter() - started
    signature = engine.signature()
    requests, tokens = request_counts(engine), token_counts(engine)
    if tokens is not None and tokens_before is not None:
        stats.tokens = tokens[1] - tokens_before[1]
    stats.failed = len(outcome.engine_failed)
    at = 0
    for document, sentences in zip(documents, per_document):
        positions = range(at, at + len(sentences))
        at += len(sentences)
        unique = {outcome.inputs[i] for i in positions if outcome.inputs[i].strip()}
        fresh = len(unique & stats.fresh)
        document.signature = signature
        # translated + cached count each distinct text once; the other sentences
        # repeat one of those, or have nothing for the engine (kept as written).
        document.stats = {
            "sentences": len(sentences),
            "translated": fresh,
            "cached": len(unique) - fresh,
            "kept": sum(not outcome.inputs[i].strip() for i in positions),
            "term_fallback": sum(i in outcome.rebuilt for i in positions),
            "pieces_translated": len({p for i in positions for p in outcome.pieces.get(i, ())} & outcome.fresh_pieces),
            "seconds": round(stats.seconds, 3),
        }
        remembered = sum(i in outcome.remembered for i in positions)
        if remembered:
            document.stats["memory_exact"] = remembered
        if glossary_mode(engine) == "prompt":
            document.stats["term_retried"] = sum(i in outcome.retried for i in positions)
        if outcome.engine_rebuilt or outcome.engine_failed:
            document.stats["engine_rebuilt"] = sum(i in outcome.engine_rebuilt for i in positions)
            document.stats["engine_failed"] = sum(i in outcome.engine_failed for i in positions)
        if requests is not None:
            stats.requests = (requests[0] - before[0], requests[1] - before[1])
            document.stats["requests"], document.stats["retried"] = stats.requests
        if stats.tokens is not None:
            document.stats["tokens"] = stats.tokens
    return stats


def _placed(exc: DuizhaoError, documents: Sequence[Document]) -> DuizhaoError:
    """``exc`` with the sentence it happened on named in front (file, block, first
    characters), when the engine said which text it was asking for."""
    text = getattr(exc, "text", None)
    if not isinstance(text, str):
        return exc
    for document in documents:
        for block in document.blocks:
            for sentence in block.sentences:
                if text in sentence.simplified or text in (sentence.mt_input or ""):
                    clipped = sentence.text if len(sentence.text) <= 20 else sentence.text[:19] + "…"
                    return EngineError(f"{document.source} {block.id} “{clipped}”: {exc}")
    return exc
