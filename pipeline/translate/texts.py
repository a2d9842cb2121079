"""Translate a list of texts through the cache.

:func:`translate_texts` does, in order:

1. deduplicate the texts (blank ones are returned as they are);
2. look them up in the cache under ``engine.signature()``;
3. sort the misses by length, longest first, so each engine batch holds similar
   lengths and the longest work starts first: the last chunk, which runs while
   nothing else is left to run beside it, is the shortest;
4. send them to the engine ``chunk_size`` at a time (through a backend: by
   default the engine in this process; :mod:`pipeline.ray_backend` sends the
   chunks to a Ray cluster), storing each chunk in the cache as soon as it is
   back, so a run killed half way resumes where it stopped (an engine that fails
   part way through a chunk may attach what it finished to its exception:
   :func:`pipeline.translate.engines.attach_finished`; that is stored too);
5. return the translations in input order, with counts. A text the engine could
   not translate (a :class:`~pipeline.translate.engines.Failed` in its place) is
   returned as that ``Failed`` and never cached, so a rerun asks for it again.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from pipeline.core.errors import DuizhaoError
from pipeline.translate.cache import TranslationCache
from pipeline.translate.engines.base import Failed, asking_again


class Translator(Protocol):
    """What :func:`translate_texts` needs from an engine."""

    def signature(self) -> str: ...

    def translate(self, sentences: list[str], progress=None) -> list[str]: ...


class Backend(Protocol):
    """Where the engine runs: translates chunks of texts, yielding each chunk with
    its translations as soon as it is done (in any order)."""

    def translate_chunks(
        self, engine: Translator, chunks: Sequence[list[str]]
    ) -> Iterator[tuple[list[str], list[str]]]: ...


class LocalBackend:
    """The engine in this process, one chunk after the other. ``progress`` is
    given to the engine, which calls it with the sentences it just finished
    within a chunk (an LLM takes seconds a sentence: a chunk is a long wait).

    An engine with ``pipelined = True`` (the CTranslate2 engines: their batches
    queue on a pool of translators) is given the next chunk while it finishes the
    current one, so its translators never wait for the tail of a chunk or for the
    cache write. Chunks still come back in order, each from one ``translate`` call,
    so the text is the same; such an engine takes about a second a chunk, so its
    progress is counted by chunk (its calls run in worker threads). Other engines
    (an HTTP engine keeps its own bound on concurrent requests) get one call at a time.
    """

    def __init__(self, progress: Callable[[int], None] | None = None):
        self.progress = progress

    def translate_chunks(
        self, engine: Translator, chunks: Sequence[list[str]]
    ) -> Iterator[tuple[list[str], list[str]]]:
        if not getattr(engine, "pipelined", False) or len(chunks) < 2:
            for chunk in chunks:
                yield chunk, engine.translate(chunk, self.progress) if self.progress else engine.translate(chunk)
            return
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="duizhao-chunks") as pool:
            ahead: deque[tuple[list[str], Future[list[str]]]] = deque()
            for chunk in chunks:
                ahead.append((chunk, pool.submit(engine.translate, chunk)))
                if len(ahead) == 2:
                    done, future = ahead.popleft()
                    yield done, future.result()
            while ahead:
                done, future = ahead.popleft()
                yield done, future.result()


class EngineOutputError(DuizhaoError):
    """The engine returned a different number of translations than it was given."""


@dataclass
class TranslateStats:
    sentences: int  # texts asked for, duplicates included
    unique: int  # distinct non-blank texts
    translated: int  # distinct texts sent to the engine in this run
    cached: int  # distinct texts served from the cache
    seconds: float
    #: Blank texts (returned as they are): sentences with nothing for the engine.
    blank: int = 0
    #: The distinct texts the engine translated in this run (``translated`` of them).
    fresh: frozenset[str] = field(default=frozenset(), repr=False)
    #: The distinct texts the engine could not translate in this run.
    failed: int = 0
    #: (made, retried) HTTP requests, for an engine that makes them (set by
    #: :func:`pipeline.translate.documents.translate_documents`).
    requests: tuple[int, int] | None = None
    #: Completion tokens the server reported (its answers' ``usage``), for an
    #: engine that reports them (set like ``requests``).
    tokens: int | None = None


def translate_texts(
    texts: Sequence[str],
    engine: Translator,
    cache: TranslationCache,
    *,
    chunk_size: int = 64,
    progress: Callable[[int, int], None] | None = None,
    backend: Backend | None = None,
) -> tuple[list[str | Failed], TranslateStats]:
    """Translate ``texts`` with ``engine``, reusing and filling ``cache``.

    ``progress(done, total)`` is called after each engine chunk, counting the
    distinct texts that need the engine in this run. ``backend`` runs the engine
    (default: :class:`LocalBackend`); only this function writes the cache. A text
    the engine failed on comes back as its :class:`Failed`.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    started = time.perf_counter()
    signature = engine.signature()
    unique = [t for t in dict.fromkeys(texts) if t.strip()]

    known = cache.get_many(signature, unique)
    cached = len(known)
    misses = sorted((t for t in unique if t not in known), key=lambda t: (-len(t), t))
    chunks = [misses[start : start + chunk_size] for start in range(0, len(misses), chunk_size)]
    done_count = 0
    within = 0  # sentences the engine reported finished in the current chunk

    def sentences_done(count: int) -> None:
        nonlocal within
        within += count
        if progress is not None:
            progress(min(done_count + within, len(misses)), len(misses))

    # The cache shows that the engine translates for this signature: what it
    # fails on now is about those texts (a rerun asks for exactly the requests
    # that failed before), not the server (pipeline.translate.engines.asking_again).
    proven = asking_again(engine) if known else contextlib.nullcontext()
    try:
        with proven:
            for chunk, output in (backend or LocalBackend(sentences_done if progress else None)).translate_chunks(
                    engine, chunks):
                if len(output) != len(chunk):
                    raise EngineOutputError(
                        f"engine {signature} returned {len(output)} translations for {len(chunk)} "
                        "sentences; nothing from this batch was cached"
                    )
                done = dict(zip(chunk, output))
                cache.put_many(signature, {text: english for text, english in done.items()
                                           if isinstance(english, str)})
                known.update(done)
                done_count += len(chunk)
                within = 0
                if progress is not None:
                    progress(done_count, len(misses))
    except BaseException as exc:  # also Ctrl-C: what the engine finished is kept
        from pipeline.translate.engines.base import finished_of

        wanted = set(misses)
        finished = {text: english for text, english in finished_of(exc).items()
                    if text in wanted and isinstance(english, str)}
        if finished:
            cache.put_many(signature, finished)
        raise

    stats = TranslateStats(
        sentences=len(texts),
        unique=len(unique),
        translated=len(misses),
        cached=cached,
        seconds=time.perf_counter() - started,
        blank=sum(not t.strip() for t in texts),
        fresh=frozenset(misses),
        failed=sum(isinstance(known.get(t), Failed) for t in misses),
    )
    return [known.get(t, t) for t in texts], stats
