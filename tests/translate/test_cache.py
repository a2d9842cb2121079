"""The SQLite translation cache: persistence, keys, info/clear, schema, corruption."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from pipeline.translate.cache import MIGRATIONS, CacheError, TranslationCache
from pipeline.core.config import default_cache_path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "translations.sqlite3"


def test_translations_survive_reopening(db_path: Path):
    with TranslationCache(db_path) as cache:
        cache.put_many("argos zh-en 1.9", {"你好": "Hello", "谢谢": "Thanks"})
    with TranslationCache(db_path) as cache:
        found = cache.get_many("argos zh-en 1.9", ["你好", "谢谢", "再见"])
    assert found == {"你好": "Hello", "谢谢": "Thanks"}


def test_a_new_signature_never_sees_old_translations(db_path: Path):
    with TranslationCache(db_path) as cache:
        cache.put_many("model 1.0", [("你好", "Hi")])
        assert cache.get_many("model 1.1", ["你好"]) == {}
        cache.put_many("model 1.1", [("你好", "Hello")])
        assert cache.get_many("model 1.0", ["你好"]) == {"你好": "Hi"}
        assert cache.get_many("model 1.1", ["你好"]) == {"你好": "Hello"}


def test_keys_are_the_exact_text(db_path: Path):
    with TranslationCache(db_path) as cache:
        cache.put_many("sig", {"你好。": "Hello."})
        assert cache.get_many("sig", ["你好", "你好。 ", "你好。"]) == {"你好。": "Hello."}


def test_lookups_larger_than_one_query_batch(db_path: Path):
    pairs = {f"句子{i}": f"sentence {i}" for i in range(1234)}
    with TranslationCache(db_path) as cache:
        cache.put_many("sig", pairs)
        assert cache.get_many("sig", list(pairs) + ["missing"]) == pairs


def test_a_failed_batch_stores_nothing(db_path: Path):
    with TranslationCache(db_path) as cache:
        with pytest.raises(sqlite3.IntegrityError):
            cache.put_many("sig", [("一", "one"), ("二", None)])  # type: ignore[list-item]
        assert cache.get_many("sig", ["一", "二"]) == {}
        cache.put_many("sig", [("一", "one")])
        assert cache.get_many("sig", ["一"]) == {"一": "one"}


def test_info_counts_entries_per_signature(db_path: Path):
    with TranslationCache(db_path) as cache:
        cache.put_many("a", {"一": "one", "二": "two"})
        cache.put_many("b", {"一": "One"})
        info = cache.info()
    assert info.path == db_path
    assert info.entries == 3
    assert info.by_signature == {"a": 2, "b": 1}
    assert info.size_bytes > 0


def test_clear_empties_the_cache_and_says_how_much(db_path: Path):
    with TranslationCache(db_path) as cache:
        cache.put_many("a", {str(i): "x" * 200 for i in range(500)})
        before = cache.info().size_bytes
        assert cache.clear() == 500
        assert cache.get_many("a", ["1"]) == {}
        info = cache.info()
    assert info.entries == 0
    assert info.size_bytes < before


def test_database_is_in_wal_mode_with_current_schema(db_path: Path):
    TranslationCache(db_path).close()
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        conn.close()


def test_a_cache_from_a_newer_duizhao_is_refused_untouched(db_path: Path):
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(CacheError, match="newer"):
        TranslationCache(db_path)
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]


def test_closed_cache_raises_a_clear_error(db_path: Path):
    cache = TranslationCache(db_path)
    cache.close()
    with pytest.raises(CacheError, match="closed"):
        cache.get_many("sig", ["一"])


def test_a_file_that_is_not_a_database_is_refused_untouched(db_path: Path):
    """Issue 31: only a file that is recognisably ours may be called a damaged cache."""
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not sqlite\n" * 500
    db_path.write_bytes(garbage)
    with pytest.raises(CacheError, match="not a duizhao translation cache.*left untouched"):
        TranslationCache(db_path)
    assert db_path.read_bytes() == garbage
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]


def test_a_damaged_cache_of_ours_is_moved_aside_and_rebuilt(db_path: Path):
    with TranslationCache(db_path) as cache:
        cache.put_many("sig", {"一": "one"})
    damaged = db_path.read_bytes()[:100] + b"\xee" * 8000  # our header, then nothing a database holds
    db_path.write_bytes(damaged)
    warnings: list[str] = []
    with TranslationCache(db_path, warn=warnings.append) as cache:
        cache.put_many("sig", {"一": "one"})
        assert cache.get_many("sig", ["一"]) == {"一": "one"}
    [aside] = [p for p in db_path.parent.iterdir() if ".corrupt-" in p.name]
    assert aside.name.startswith("translations.sqlite3.corrupt-")
    assert aside.read_bytes() == damaged
    assert len(warnings) == 1 and aside.name in warnings[0] and str(db_path) in warnings[0]


def test_corruption_found_mid_run_is_logged_and_rebuilt(db_path: Path, caplog):
    with TranslationCache(db_path) as cache:
        cache.put_many("sig", {f"句{i}": "x" * 100 for i in range(3000)})
        cache.close()
    # Overwrite the middle of every page after the first: header intact, tree broken.
    data = bytearray(db_path.read_bytes())
    for page in range(4096, len(data) - 4096, 4096):
        data[page + 8 : page + 200] = b"\xff" * 192
    db_path.write_bytes(bytes(data))

    with caplog.at_level(logging.WARNING, logger="pipeline.translate.cache"):
        with TranslationCache(db_path) as cache:
            assert cache.get_many("sig", [f"句{i}" for i in range(3000)]) == {}
            cache.put_many("sig", {"一": "one"})
            assert cache.info().entries == 1
    assert "corrupt" in caplog.text
    assert any(".corrupt-" in p.name for p in db_path.parent.iterdir())


def test_default_path_follows_env_then_user_cache_dir(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("DUIZHAO_CACHE", str(tmp_path / "mine.sqlite3"))
    assert default_cache_path() == tmp_path / "mine.sqlite3"
    monkeypatch.delenv("DUIZHAO_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "duizhao" / "translations.sqlite3"


def test_a_cache_locked_by_another_process_is_a_clear_error(db_path: Path, monkeypatch):
    import pipeline.translate.cache

    with TranslationCache(db_path) as cache:
        cache.put_many("sig", {"一": "one"})
    monkeypatch.setattr(pipeline.translate.cache, "BUSY_TIMEOUT", 0.1)
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with TranslationCache(db_path) as cache:
            with pytest.raises(CacheError, match="locked by another process"):
                cache.put_many("sig", {"二": "two"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("rows", [2_000, 20_000], ids=["2k-rows", "20k-rows"])
def test_storing_reading_aids_does_not_read_the_whole_table(db_path: Path, rows: int):
    """put_aids drops the rows of other versions; with many rows stored (a run of
    many documents) that purge must search the index, not scan every row, or each
    document's write grows with all the documents before it."""
    with TranslationCache(db_path) as cache:
        cache.put_aids("v1", "cedict", {f"词{i}": "[]" for i in range(rows)})
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0

        cache._db.set_progress_handler(count, 10)
        cache.put_aids("v1", "words", {"新": "[]"})
        cache._db.set_progress_handler(None, 0)
        assert cache.get_aids("v1", "words", ["新"]) == {"新": "[]"}
        assert len(cache.get_aids("v1", "cedict", [f"词{i}" for i in range(rows)])) == rows
    # A write of one row: a few dozen VM steps, whatever the table holds (a scan: rows / 10 or more).
    assert steps < 50
    with TranslationCache(db_path) as cache:  # and another version's rows are still dropped
        cache.put_aids("v2", "words", {"新": "[]"})
        assert cache.get_aids("v1", "cedict", ["词1"]) == {}


def test_one_cache_serves_two_threads_at_once(db_path: Path):
    """A run translates on one thread (translations) while another finishes pages
    (reading aids) through the same cache: every row of both is stored."""
    import threading

    errors: list[BaseException] = []

    def translations(cache: TranslationCache) -> None:
        try:
            for n in range(200):
                cache.put_many("sig", {f"第{n}句": f"Sentence {n}"})
                cache.get_many("sig", [f"第{n}句"])
        except BaseException as exc:  # reported below
            errors.append(exc)

    with TranslationCache(db_path) as cache:
        other = threading.Thread(target=translations, args=(cache,))
        other.start()
        for n in range(200):
            cache.put_aids("v1", "words", {f"词{n}": "[]"})
            cache.get_aids("v1", "words", [f"词{n}"])
        other.join()
        assert errors == []
        assert len(cache.get_many("sig", [f"第{n}句" for n in range(200)])) == 200
        assert len(cache.get_aids("v1", "words", [f"词{n}" for n in range(200)])) == 200
