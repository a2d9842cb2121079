"""translate_texts: dedup, cache reuse, chunked resume after a crash, signatures."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from pipeline.translate.cache import TranslationCache
from pipeline.translate.texts import EngineOutputError, translate_texts


class FakeEngine:
    """Reverses and brackets each sentence; records every batch it is given.

    ``fail_after`` chunks it raises ``fail_with`` (a crash or Ctrl-C half way).
    """

    def __init__(self, signature: str = "fake 1.0", fail_after: int | None = None,
                 fail_with: type[BaseException] = RuntimeError, drop_one: bool = False):
        self._signature = signature
        self.fail_after = fail_after
        self.fail_with = fail_with
        self.drop_one = drop_one
        self.batches: list[list[str]] = []

    def signature(self) -> str:
        return self._signature

    def translate(self, sentences, progress=None):
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            raise self.fail_with("engine stopped")
        self.batches.append(list(sentences))
        out = [f"<{s[::-1]}>" for s in sentences]
        return out[:-1] if self.drop_one else out

    @property
    def sent(self) -> list[str]:
        return [s for batch in self.batches for s in batch]


TEXTS = [f"第{i}句" + "话" * (i % 7) for i in range(20)]


@pytest.fixture
def cache(tmp_path: Path):
    with TranslationCache(tmp_path / "t.sqlite3") as c:
        yield c


def test_translations_come_back_in_input_order_and_duplicates_once(cache):
    engine = FakeEngine()
    texts = ["你好", "世界", "你好", "再见", "世界"]
    out, stats = translate_texts(texts, engine, cache)
    assert out == ["<好你>", "<界世>", "<好你>", "<见再>", "<界世>"]
    assert sorted(engine.sent) == sorted({"你好", "世界", "再见"})
    assert (stats.sentences, stats.unique, stats.translated, stats.cached) == (5, 3, 3, 0)
    assert stats.seconds >= 0


def test_second_run_translates_nothing(tmp_path: Path):
    path = tmp_path / "t.sqlite3"
    with TranslationCache(path) as cache:
        first, _ = translate_texts(TEXTS, FakeEngine(), cache)
    engine = FakeEngine()
    with TranslationCache(path) as cache:
        second, stats = translate_texts(TEXTS, engine, cache)
    assert second == first
    assert engine.batches == []
    assert (stats.translated, stats.cached) == (0, len(TEXTS))


def test_misses_go_in_chunks_longest_first(cache):
    """The longest work starts first, so the last chunk, the remainder, is the
    shortest."""
    engine = FakeEngine()
    calls: list[tuple[int, int]] = []
    translate_texts(TEXTS, engine, cache, chunk_size=6, progress=lambda d, t: calls.append((d, t)))
    assert [len(b) for b in engine.batches] == [6, 6, 6, 2]
    lengths = [len(s) for s in engine.sent]
    assert lengths == sorted(lengths, reverse=True) and lengths[0] > lengths[-1]
    assert calls == [(6, 20), (12, 20), (18, 20), (20, 20)]


def test_blank_texts_are_kept_and_never_sent(cache):
    engine = FakeEngine()
    out, stats = translate_texts(["", "你好", "  "], engine, cache)
    assert out == ["", "<好你>", "  "]
    assert engine.sent == ["你好"]
    assert stats.unique == 1


@pytest.mark.parametrize("interrupt", [RuntimeError, KeyboardInterrupt], ids=["crash", "ctrl-c"])
def test_a_run_killed_half_way_resumes_where_it_stopped(tmp_path: Path, interrupt):
    path = tmp_path / "t.sqlite3"
    crashing = FakeEngine(fail_after=2, fail_with=interrupt)
    with TranslationCache(path) as cache:
        with pytest.raises(interrupt):
            translate_texts(TEXTS, crashing, cache, chunk_size=5)
    finished = set(crashing.sent)
    assert len(finished) == 10

    engine = FakeEngine()
    with TranslationCache(path) as cache:
        out, stats = translate_texts(TEXTS, engine, cache, chunk_size=5)
    assert set(engine.sent) == set(TEXTS) - finished
    assert (stats.translated, stats.cached) == (10, 10)
    assert out == [f"<{t[::-1]}>" for t in TEXTS]


def test_a_new_signature_translates_again(cache):
    translate_texts(TEXTS, FakeEngine("argos zh-en 1.0"), cache)
    newer = FakeEngine("argos zh-en 1.1")
    _, stats = translate_texts(TEXTS, newer, cache)
    assert sorted(newer.sent) == sorted(TEXTS)
    assert stats.cached == 0
    assert cache.info().by_signature == {"argos zh-en 1.0": 20, "argos zh-en 1.1": 20}


def test_engine_returning_too_few_lines_caches_nothing(cache):
    with pytest.raises(EngineOutputError, match="returned 1 translations for 2"):
        translate_texts(["一", "二"], FakeEngine(drop_one=True), cache)
    assert cache.info().entries == 0


def test_a_corrupt_cache_file_is_rebuilt_and_the_run_goes_on(tmp_path: Path):
    path = tmp_path / "t.sqlite3"
    with TranslationCache(path):
        pass
    path.write_bytes(path.read_bytes()[:100] + b"\x00garbage" * 1000)  # ours (its header), damaged
    warnings: list[str] = []
    engine = FakeEngine()
    with TranslationCache(path, warn=warnings.append) as cache:
        out, stats = translate_texts(["你好"], engine, cache)
    assert out == ["<好你>"] and stats.translated == 1
    assert len(warnings) == 1 and "moved it to t.sqlite3.corrupt-" in warnings[0]


def _translate_in_process(path: str, worker: int, start_together) -> None:
    # Overlapping texts: both processes write some of the same keys.
    texts = [f"共同{i}" for i in range(300)] + [f"进程{worker}句{i}" for i in range(300)]
    with TranslationCache(path) as cache:
        start_together.wait()
        translate_texts(texts, FakeEngine(), cache, chunk_size=7)


def test_two_processes_writing_at_once_leave_a_consistent_cache(tmp_path: Path):
    path = tmp_path / "shared.sqlite3"
    TranslationCache(path).close()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    workers = [
        ctx.Process(target=_translate_in_process, args=(str(path), n, barrier)) for n in (1, 2)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    engine = FakeEngine()
    every = [f"共同{i}" for i in range(300)] + [f"进程{n}句{i}" for n in (1, 2) for i in range(300)]
    with TranslationCache(path) as cache:
        out, stats = translate_texts(every, engine, cache)
    assert engine.batches == [] and stats.cached == 900
    assert out == [f"<{t[::-1]}>" for t in every]


class OverlapEngine(FakeEngine):
    """A FakeEngine whose first call returns only once a second call has begun
    (waiting up to 5 s if pipelined, else 0.2 s), noting how many calls ran at once."""

    def __init__(self, pipelined: bool):
        super().__init__()
        self.pipelined = pipelined
        self.second = threading.Event()
        self.running = self.most = 0
        self.lock = threading.Lock()

    def translate(self, sentences, progress=None):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            first = not self.batches
            out = super().translate(sentences, progress)
        if first:
            self.second.wait(timeout=5 if self.pipelined else 0.2)
        else:
            self.second.set()
        with self.lock:
            self.running -= 1
        return out


@pytest.mark.parametrize("pipelined", [True, False], ids=["pipelined", "one-at-a-time"])
def test_a_pipelined_engine_gets_the_next_chunk_before_the_first_is_back(cache, pipelined):
    engine = OverlapEngine(pipelined)
    seen: list[tuple[int, int]] = []
    out, _ = translate_texts(TEXTS, engine, cache, chunk_size=3, progress=lambda *a: seen.append(a))
    assert out == [f"<{t[::-1]}>" for t in TEXTS]
    assert engine.most == (2 if pipelined else 1)
    assert [done for done, _ in seen] == list(range(3, 20, 3)) + [20]  # in order, chunk by chunk
    assert cache.get_many("fake 1.0", TEXTS) == dict(zip(TEXTS, out))
