"""``--jobs N``: the CPU stages of a run in worker processes, each with its own
connection to the translation cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

#: The worker's own connection to the translation cache (reading aids), opened once.
_worker_cache = None


class Workers:
    """``--jobs N``: reading and segmenting, and post-edits, checks and rendering,
    in ``jobs`` processes (the translation stays with the engine in the main
    process). Each worker opens the translation cache once, for the reader's
    reading aids; SQLite's WAL mode and busy timeout let them write beside the
    main process. Use as a context manager."""

    def __init__(self, jobs: int, cache_path: str | Path):
        self.jobs = jobs
        self.cache_path = str(cache_path)
        self.pool = None

    def __enter__(self) -> Workers:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: the main process holds SQLite connections and engine threads.
        self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_open_worker_cache, initargs=(self.cache_path,))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def submit(self, function: Callable[[T], object], item: T):
        """``function(item)`` started in a worker: its future."""
        return self.pool.submit(function, item)

    def map(self, function: Callable[[T], object], items: Iterable[T]) -> Iterator:
        """``function`` over ``items`` in the workers, results in order, with at most
        four tasks per worker ahead of the consumer (so a stream of documents is
        read ahead while the engine translates, but never all at once)."""
        from collections import deque

        pending: deque = deque()
        for item in items:
            pending.append(self.pool.submit(function, item))
            if len(pending) >= 4 * self.jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _open_worker_cache(path: str) -> None:
    global _worker_cache
    from pipeline.translate.cache import TranslationCache

    _worker_cache = TranslationCache(path)


def worker_cache():
    """This worker's connection to the translation cache (the reader's reading aids)."""
    return _worker_cache
