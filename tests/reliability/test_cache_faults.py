"""The translation cache: unusable paths, unwritable and full disks, corrupt files,
concurrent runs, ``cache clear`` during a run (issue 13).

A cache that cannot be opened stops the run before anything is translated, with
one line naming the path and the fix; a cache that cannot take new translations
is used for what it has, the run finishes, and a warning says what was not stored.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from pipeline.translate.cache import TranslationCache

from .conftest import assert_clean_error, assert_no_traceback, duizhao, fill, tiny_disk, without_override

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")


def cache_rows(path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:  # closed: no -wal/-shm left open
        return conn.execute("SELECT count(*) FROM translations").fetchone()[0]


def english(project, stem="doc"):
    data = json.loads((project / "output" / f"{stem}.json").read_text(encoding="utf-8"))
    return [s["translation"] for b in data["blocks"] for s in b["sentences"]]


@pytest.fixture
def cache_file(project):
    return project / "cache" / "translations.sqlite3"


@pytest.fixture
def warm(project, cache_file):
    """The project after one run: its two sentences are in the cache."""
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert result.returncode == 0, result.stderr
    assert cache_rows(cache_file) >= 2  # the sentences, and pieces of those rebuilt around terms
    return project


NEW_TEXT = "台州港口很大。\n\n临海很美。\n\n玉环在东边。\n"


# -- paths that cannot be a cache -------------------------------------------------------------


@clean_error
def test_a_cache_path_that_is_a_folder(project, cache_file):
    cache_file.mkdir(parents=True)
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert_clean_error(result, str(cache_file), "is a folder", "--cache")
    assert not (project / "output").exists()


@clean_error
def test_a_cache_whose_parent_is_a_file(project):
    (project / "blocker").write_text("not a folder")
    result = duizhao("run", "sources/doc.txt", "--cache", "blocker/c.sqlite3", cwd=project)
    assert_clean_error(result, "blocker", "is a file", "--cache")
    assert (project / "blocker").read_text() == "not a folder"


@clean_error
def test_a_new_cache_in_a_read_only_folder(project, cache_file):
    cache_file.parent.mkdir()
    cache_file.parent.chmod(0o555)
    result = duizhao("run", "sources/doc.txt", cwd=project, unprivileged=True)
    cache_file.parent.chmod(0o755)
    assert_clean_error(result, str(cache_file), "cannot be created", "--cache")


@clean_error
def test_an_existing_cache_in_a_read_only_folder(warm, cache_file):
    rows = cache_rows(cache_file)
    cache_file.parent.chmod(0o555)
    result = duizhao("run", "sources/doc.txt", cwd=warm, unprivileged=True)
    cache_file.parent.chmod(0o755)
    assert_clean_error(result, str(cache_file.parent), "read-only", "--cache")
    assert cache_rows(cache_file) == rows


@survives
def test_a_cache_in_a_read_only_folder_that_another_process_has_open(warm, cache_file):
    """The other process keeps the journal files there, so SQLite can use the cache
    (the files themselves are writable)."""
    (warm / "sources" / "doc.txt").write_text(NEW_TEXT, encoding="utf-8")
    rows = cache_rows(cache_file)
    with contextlib.closing(sqlite3.connect(cache_file)) as other:
        other.execute("SELECT count(*) FROM translations").fetchone()
        cache_file.parent.chmod(0o555)
        try:
            result = duizhao("run", "sources/doc.txt", cwd=warm, unprivileged=True)
        finally:
            cache_file.parent.chmod(0o755)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert "2 translated, 1 from cache" in result.stdout and all(english(warm))
    assert cache_rows(cache_file) > rows


@clean_error
def test_an_unreadable_cache_file(warm, cache_file):
    cache_file.chmod(0o000)
    result = duizhao("run", "sources/doc.txt", cwd=warm, unprivileged=True)
    cache_file.chmod(0o644)
    assert_clean_error(result, str(cache_file), "cannot be opened", "--cache")


@clean_error
def test_someone_elses_database_is_not_taken_over(project):
    other = project / "mine.sqlite3"
    with contextlib.closing(sqlite3.connect(other)) as conn, conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
    before = other.read_bytes()
    result = duizhao("run", "sources/doc.txt", "--cache", other, cwd=project)
    assert_clean_error(result, str(other), "not a duizhao translation cache", "notes")
    assert other.read_bytes() == before


# -- caches that cannot take new translations -----------------------------------------------


@survives
def test_a_read_only_cache_file_is_used_and_the_run_finishes(warm, cache_file):
    (warm / "sources" / "doc.txt").write_text(NEW_TEXT, encoding="utf-8")
    before = cache_file.read_bytes()
    cache_file.chmod(0o444)
    result = duizhao("run", "sources/doc.txt", cwd=warm, unprivileged=True)
    cache_file.chmod(0o644)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert f"translation cache {cache_file} could not be written" in result.stderr
    assert "not cached" in result.stderr and result.stderr.count("could not be written") == 1
    assert "2 translated, 1 from cache" in result.stdout
    assert all(english(warm)) and len(english(warm)) == 3
    assert cache_file.read_bytes() == before


@survives
def test_a_cache_on_a_disk_that_fills_up_keeps_the_work(project, tmp_path):
    with tiny_disk(tmp_path / "disk", "1m") as disk:
        cache = disk / "c.sqlite3"
        first = duizhao("run", "sources/doc.txt", "--cache", cache, cwd=project)
        assert first.returncode == 0, first.stderr
        (project / "sources" / "doc.txt").write_text(
            "\n\n".join(f"第{n}号港口很大,临海很美。" for n in range(400)) + "\n", encoding="utf-8")
        fill(disk)
        filler = disk / "filler"
        os.truncate(filler, filler.stat().st_size - 96 * 1024)  # room to open the cache, not to fill it
        result = duizhao("run", "sources/doc.txt", "--cache", cache, cwd=project)
        assert_no_traceback(result)
        assert result.returncode == 0, result.stderr
        assert f"translation cache {cache} could not be written" in result.stderr
        assert "free some space" in result.stderr
        assert len(english(project)) == 400 and all(english(project))
        os.unlink(disk / "filler")
        assert cache_rows(cache) >= 2  # what it held is intact


@clean_error
def test_a_cache_on_a_full_disk_stops_the_run_before_translating(project, tmp_path):
    with tiny_disk(tmp_path / "disk", "1m") as disk:
        cache = disk / "c.sqlite3"
        first = duizhao("run", "sources/doc.txt", "--cache", cache, cwd=project)
        assert first.returncode == 0, first.stderr
        rows = cache_rows(cache)
        fill(disk)
        result = duizhao("run", "sources/doc.txt", "--cache", cache, cwd=project)
        assert_clean_error(result, str(cache), "no space left on the device", "free some space")
        os.unlink(disk / "filler")
        assert cache_rows(cache) == rows


@clean_error
def test_cache_clear_on_a_read_only_cache_is_a_clean_error(warm, cache_file):
    rows = cache_rows(cache_file)
    cache_file.chmod(0o444)
    result = duizhao("cache", "clear", "--yes", cwd=warm, unprivileged=True)
    cache_file.chmod(0o644)
    assert_clean_error(result, str(cache_file), "read-only")
    assert cache_rows(cache_file) == rows


# -- corrupt files ---------------------------------------------------------------------------


def _garbage(path):
    """Our header kept (the file is still recognisably ours), the rest garbage."""
    path.write_bytes(path.read_bytes()[:100] + b"\x00\xffnot sqlite at all\n" * 200)


def _truncated(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _zeroed_pages(path):
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xee" * (len(data) - 4096)
    path.write_bytes(bytes(data))


def _empty(path):
    path.write_bytes(b"")


def _garbage_wal(path):
    path.with_name(path.name + "-wal").write_bytes(b"\xde\xad" * 5000)


def _garbage_shm(path):
    path.with_name(path.name + "-shm").write_bytes(b"\xbe\xef" * 16384)


def _header_only(path):
    path.write_bytes(path.read_bytes()[:100])


CORRUPTIONS = {
    "not-a-database": _garbage,
    "truncated": _truncated,
    "pages-overwritten": _zeroed_pages,
    "empty-file": _empty,
    "header-only": _header_only,
    "garbage-wal": _garbage_wal,
    "garbage-shm": _garbage_shm,
}


@survives
@pytest.mark.parametrize("corrupt", list(CORRUPTIONS.values()), ids=list(CORRUPTIONS))
def test_a_corrupt_cache_never_stops_a_run(warm, cache_file, corrupt):
    corrupt(cache_file)
    result = duizhao("run", "sources/doc.txt", cwd=warm)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert all(english(warm)) and len(english(warm)) == 2
    again = duizhao("run", "sources/doc.txt", cwd=warm)
    assert again.returncode == 0 and "0 translated, 2 from cache" in again.stdout, again.stdout + again.stderr


@clean_error
def test_a_cache_from_a_newer_duizhao_is_refused_untouched(warm, cache_file):
    with contextlib.closing(sqlite3.connect(cache_file)) as conn:
        conn.execute("PRAGMA user_version = 99")
    before = cache_file.read_bytes()
    result = duizhao("run", "sources/doc.txt", cwd=warm)
    assert_clean_error(result, str(cache_file), "newer than this duizhao")
    assert cache_file.read_bytes() == before


# -- concurrency --------------------------------------------------------------------------------


@survives
@pytest.mark.parametrize("runs", [2, 4], ids=["2-runs", "4-runs"])
def test_concurrent_runs_share_one_cache(project, cache_file, runs):
    sources = project / "sources"
    for n in range(runs):
        (sources / f"d{n}.txt").write_text(
            "\n\n".join(f"第{k}号港口很大。" for k in range(n * 5, n * 5 + 40)) + "\n", encoding="utf-8")
    children = [subprocess.Popen([sys.executable, "-m", "pipeline", "run", f"sources/d{n}.txt"], cwd=project,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(runs)]
    results = [child.communicate(timeout=240) for child in children]
    for child, (out, err) in zip(children, results):
        assert child.returncode == 0 and "Traceback" not in err, err
    distinct = {f"第{k}号港口很大。" for n in range(runs) for k in range(n * 5, n * 5 + 40)}
    assert cache_rows(cache_file) == len(distinct)
    for n in range(runs):
        assert len(english(project, f"d{n}")) == 40 and all(english(project, f"d{n}"))


@survives
def test_switching_a_new_cache_to_wal_waits_out_a_racing_process():
    """Two processes switching a new file to WAL at once: SQLite tells one "locked"
    at once (no busy wait, it would deadlock); the open tries again."""

    class Racing:
        calls = 0

        def execute(self, sql):
            Racing.calls += 1
            if Racing.calls <= 3:
                raise sqlite3.OperationalError("database is locked")

    TranslationCache._switch_to_wal(Racing())
    assert Racing.calls == 4


@survives
def test_eight_processes_open_a_new_cache_at_the_same_moment(tmp_path):
    start = time.time() + 2
    code = ("import sys, time; from pipeline.translate.cache import TranslationCache\n"
            f"while time.time() < {start}: pass\n"
            "with TranslationCache(sys.argv[1]) as cache: cache.put_many('s', {sys.argv[2]: 'x'})\n")
    children = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "c.sqlite3"), str(n)],
                                 stderr=subprocess.PIPE, text=True) for n in range(8)]
    errors = [child.communicate(timeout=120)[1] for child in children]
    assert [child.returncode for child in children] == [0] * 8, errors
    assert cache_rows(tmp_path / "c.sqlite3") == 8


@survives
def test_cache_clear_during_a_run(project, cache_file):
    (project / "sources" / "doc.txt").write_text(
        "\n\n".join(f"第{k}号港口很大。" for k in range(300)) + "\n", encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-c", SLOW_ENGINE, "run", "sources/doc.txt"], cwd=project,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_rows(cache_file, child)
    cleared = duizhao("cache", "clear", "--yes", cwd=project)
    out, err = child.communicate(timeout=240)
    assert cleared.returncode == 0 and "Traceback" not in cleared.stderr, cleared.stderr
    assert child.returncode == 0 and "Traceback" not in err, err
    assert len(english(project)) == 300 and all(english(project))


# -- kills -------------------------------------------------------------------------------------------

#: ``duizhao`` with every engine chunk taking a quarter of a second more, so a
#: test can act between chunks.
SLOW_ENGINE = (
    "import sys, time\n"
    "from pipeline.translate.engines.argos import ArgosEngine\n"
    "real = ArgosEngine.translate\n"
    "def translate(self, sentences, progress=None):\n"
    "    time.sleep(0.25)\n"
    "    return real(self, sentences, progress)\n"
    "ArgosEngine.translate = translate\n"
    "sys.argv[0] = 'duizhao'\n"
    "from pipeline.cli import main\n"
    "main()\n"
)


def _wait_for_rows(cache_file, child, at_least=1):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if child.poll() is not None:
            pytest.fail(f"the run ended before the test could act: {child.communicate()}")
        try:
            if cache_file.exists() and cache_rows(cache_file) >= at_least:
                return
        except sqlite3.Error:
            pass
        time.sleep(0.02)
    pytest.fail("no translation reached the cache")


@survives
@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGINT"], ids=["kill-9", "ctrl-c"])
def test_a_run_stopped_during_translation_resumes_from_the_cache(project, cache_file, signal_name):
    import signal

    (project / "sources" / "doc.txt").write_text(
        "\n\n".join(f"第{k}号港口很大。" for k in range(300)) + "\n", encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, "-c", "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
         + SLOW_ENGINE, "run", "sources/doc.txt"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_rows(cache_file, child)
    child.send_signal(getattr(signal, signal_name))
    out, err = child.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert child.returncode == (-9 if signal_name == "SIGKILL" else 1), (child.returncode, err)
    kept = cache_rows(cache_file)
    assert 0 < kept < 300
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert result.returncode == 0, result.stderr
    assert f"{300 - kept} translated, {kept} from cache" in result.stdout
    assert len(english(project)) == 300 and all(english(project))


@survives
def test_unprivileged_helper_really_drops_the_override(tmp_path):
    """The read-only cases mean something as root too."""
    secret = tmp_path / "secret"
    secret.write_text("x")
    secret.chmod(0o000)
    result = subprocess.run(without_override(["cat", str(secret)]), capture_output=True, text=True)
    assert result.returncode != 0 and "Permission denied" in result.stderr
