"""`duizhao run --watch`: reruns after changes, debounced, on a fake clock.

The watch loop reads time only through :class:`pipeline.serve.watch.Clock`; a fake one
here advances by the poll interval on every sleep and performs the test's saves
at given ticks, so every test is fast and deterministic.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import INTERRUPTIBLE, child_process

import pipeline.translate.engines.settings
import pipeline.serve.watch
from fakes import FakeEngine
from pipeline.translate.cache import TranslationCache
from pipeline.cli import cli
from pipeline.review.edits import edits_path
from pipeline.serve.watch import WatchedInputs, changed_files, watch

HEADER = "zh\ten\tnote\tvariants\n"
TESTS = Path(__file__).resolve().parents[1]
INTERVAL = 0.1
QUIET = 0.3
#: Ctrl-C for a child process even when pytest itself runs in the background, where
#: SIGINT is ignored and children inherit that (a terminal's Ctrl-C never is).


def save(path: Path, text: str) -> None:
    """Write ``text`` and move the file's mtime forward for certain: two saves within
    one tick of the file system's coarse clock must still look different."""
    previous = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    stamp = max(time.time_ns(), previous + 10_000_000)
    os.utime(path, ns=(stamp, stamp))


class FakeClock:
    """Advances ``INTERVAL`` per sleep; runs ``actions[tick]`` after the tick-th
    sleep and sets ``stop`` after the last tick."""

    def __init__(self, actions: dict[int, Callable[[], None]], stop: threading.Event, last_tick: int):
        self.time = 0.0
        self.tick = 0
        self.actions = actions
        self.stop = stop
        self.last_tick = last_tick

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.time += seconds
        self.tick += 1
        if self.tick in self.actions:
            self.actions[self.tick]()
        if self.tick >= self.last_tick:
            self.stop.set()


class Session:
    """One watch session on ``doc.txt`` with ``g.tsv``: what it printed and sent."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.source = folder / "doc.txt"
        self.glossary = folder / "g.tsv"
        self.out = folder / "out"
        self.engine = FakeEngine()
        self.engines_made = 0
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.calls_per_run: list[list[str]] = []
        self.glossaries: list[Path] | None = [self.glossary]

    def make_engine(self) -> FakeEngine:
        self.engines_made += 1
        return self.engine

    def report(self, line: str) -> None:
        self.lines.append(line)
        if " sentences: " in line:  # the summary line ends a run: note what it translated
            done = sum(len(calls) for calls in self.calls_per_run)
            self.calls_per_run.append(self.engine.calls[done:])

    def watch(self, actions: dict[int, Callable[[], None]], last_tick: int, **options) -> int:
        stop = threading.Event()
        clock = FakeClock(actions, stop, last_tick)
        with TranslationCache(self.folder / "c.sqlite3") as cache:
            return watch(self.source, self.out, self.make_engine, cache, self.glossaries,
                         report=self.report, report_error=self.errors.append,
                         stop=stop, clock=clock, interval=INTERVAL, quiet=QUIET, **options)

    def changes(self) -> list[str]:
        return [line for line in self.lines if line.startswith("Changed: ")]

    def translations(self) -> list[str]:
        data = json.loads((self.out / "doc.json").read_text(encoding="utf-8"))
        return [s["translation"] for b in data["blocks"] for s in b["sentences"]]


@pytest.fixture
def session(tmp_path) -> Session:
    s = Session(tmp_path)
    save(s.source, "台州的港口很大。\n\n玉环的大麦屿港很新。\n\n增长了很多。\n")
    save(s.glossary, HEADER + "台州\tTaizhou\t\t\n")
    return s


def test_a_burst_of_three_saves_is_one_rerun_with_the_new_rendering(session):
    renderings = ["Tai Zhou", "Taizhou Prefecture", "Taizhou City"]
    actions = {tick: (lambda en=en: save(session.glossary, HEADER + f"台州\t{en}\t\t\n"))
               for tick, en in zip((3, 4, 5), renderings)}
    runs = session.watch(actions, last_tick=20)
    assert runs == 2
    assert session.changes() == [f"Changed: {session.glossary}; running again"]
    assert session.translations()[0].startswith("Taizhou City ")
    # Only the rendering changed: the masked sentences are the same, nothing is translated again.
    assert [len(calls) for calls in session.calls_per_run] == [3, 0]
    assert session.lines[-1].startswith("3 sentences: 0 translated, 3 from cache")


def test_no_change_no_rerun_and_the_watched_files_are_named(session):
    assert session.watch({}, last_tick=10) == 1
    assert session.changes() == []
    assert session.lines[-1] == (f"Watching {session.source}, {session.folder / 'doc.edits.tsv'}, "
                                 f"{session.glossary} (Ctrl-C to stop)")


def test_reruns_send_only_changed_sentences_to_the_engine_made_once(session):
    actions = {
        2: lambda: save(session.source, "台州的港口很大。\n\n玉环的大麦屿港很新。\n\n增长了不少。\n"),
        10: lambda: save(session.glossary, HEADER + "台州\tTaizhou\t\t\n大麦屿港\tDamaiyu Port\t\t\n"),
    }
    assert session.watch(actions, last_tick=20) == 3
    assert session.changes() == [f"Changed: {session.source}; running again",
                                 f"Changed: {session.glossary}; running again"]
    first, after_source, after_glossary = session.calls_per_run
    assert len(first) == 3
    assert after_source == ["增长了不少。"]
    assert after_glossary == ["玉环的⟦T0⟧很新。"]
    assert session.engines_made == 1
    assert "Damaiyu Port" in session.translations()[1]


def test_an_invalid_glossary_is_reported_and_the_next_valid_save_recovers(session):
    kept = {}

    def look_at_outputs():
        kept["after_error"] = {p.name: p.read_bytes() for p in session.out.iterdir()}

    actions = {
        2: lambda: kept.setdefault("good", {p.name: p.read_bytes() for p in session.out.iterdir()}),
        3: lambda: save(session.glossary, HEADER + "台州\tTaizhou\t\t\n台州\tTai Zhou\t\t\n"),
        9: look_at_outputs,
        10: lambda: save(session.glossary, HEADER + "台州\tTaizhou City\t\t\n"),
    }
    assert session.watch(actions, last_tick=20) == 2
    assert len(session.changes()) == 2
    assert session.errors[0].startswith(f"Error: invalid glossary:\n  {session.glossary}:3: 台州 is also on line 2")
    assert "left as they were" in session.errors[1]
    assert "Traceback" not in "\n".join(session.errors)
    assert kept["after_error"] == kept["good"]
    assert sorted(kept["good"]) == [".duizhao-library.json", "doc.html", "doc.json", "index.html"]
    assert session.translations()[0].startswith("Taizhou City ")


def test_a_first_run_that_fails_keeps_watching_and_runs_once_fixed(session):
    save(session.glossary, HEADER + "台州\n")
    actions = {3: lambda: save(session.glossary, HEADER + "台州\tTaizhou\t\t\n")}
    assert session.watch(actions, last_tick=12) == 1
    assert session.errors[0].startswith("Error: invalid glossary:")
    assert session.engines_made == 1  # not made for the failed run, which stopped before translating
    assert session.translations()[0].startswith("Taizhou ")


def test_glossary_files_added_to_and_removed_from_the_folder_are_noticed(session, monkeypatch):
    monkeypatch.chdir(session.folder)
    folder = Path("glossary")
    folder.mkdir()
    save(folder / "a.tsv", HEADER + "台州\tTaizhou\t\t\n")
    session.glossaries = None  # -g not given: every glossary/*.tsv
    actions = {
        2: lambda: save(folder / "b.tsv", HEADER + "玉环\tYuhuan\t\t\n"),
        10: lambda: (folder / "a.tsv").unlink(),
    }
    assert session.watch(actions, last_tick=20) == 3
    assert session.changes() == [f"Changed: {folder / 'b.tsv'} (added); running again",
                                 f"Changed: {folder / 'a.tsv'} (removed); running again"]
    translations = session.translations()
    assert "Yuhuan" in translations[1] and "Taizhou" not in translations[0]


def test_the_edits_file_beside_the_source_is_watched_before_it_exists(session):
    edits = edits_path(session.source)
    assert edits == session.folder / "doc.edits.tsv" and not edits.exists()
    actions = {2: lambda: save(edits, "source\tmachine\tenglish\n"
                                      "增长了很多。\t\tIt grew a great deal.\n"
                                      "早已删掉。\t\tLong gone.\n")}
    assert session.watch(actions, last_tick=10) == 2
    assert session.changes() == [f"Changed: {edits} (added); running again"]
    assert session.translations()[2] == "It grew a great deal."
    assert session.calls_per_run[1] == []
    assert session.errors == [f"Warning: {edits}:3: orphaned edit, no sentence reads '早已删掉。' any more; "
                              "the edit is kept in the file and was not applied"]


def test_reruns_write_the_formats_asked_for(session):
    actions = {2: lambda: save(session.glossary, HEADER + "台州\tTaizhou City\t\t\n")}
    assert session.watch(actions, last_tick=10, formats=("json", "md")) == 2
    assert sorted(p.name for p in session.out.iterdir()) == [".duizhao-library.json", "doc.json", "doc.md", "index.html"]
    assert "Taizhou City" in (session.out / "doc.md").read_text(encoding="utf-8")


def test_changed_files_names_additions_removals_and_modifications(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    before = {a: (1, 1, 1), b: (1, 1, 1), c: None}
    after = {a: (2, 1, 1), b: (1, 1, 1), c: (1, 1, 2)}
    assert changed_files(before, after) == [a, c]
    assert changed_files(after, {a: (2, 1, 1)}) == [b, c]
    inputs = WatchedInputs(tmp_path / "s.md", [tmp_path / "s.md.tsv"])
    assert inputs.paths() == [tmp_path / "s.md", tmp_path / "s.edits.tsv", tmp_path / "s.md.tsv"]


# ---- through the command line ----------------------------------------------------------


@pytest.fixture
def cli_files(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline.translate.engines.settings, "build_engine", lambda settings, **kwargs: FakeEngine())
    source, glossary = tmp_path / "doc.txt", tmp_path / "g.tsv"
    save(source, "台州的港口很大。\n\n增长了很多。\n")
    save(glossary, HEADER + "台州\tTaizhou\t\t\n")
    return source, glossary, tmp_path


def test_ctrl_c_exits_0_with_a_short_message_and_no_traceback(cli_files, monkeypatch):
    source, glossary, folder = cli_files

    class InterruptedClock(pipeline.serve.watch.Clock):
        sleeps = 0

        def sleep(self, seconds):
            InterruptedClock.sleeps += 1
            if InterruptedClock.sleeps == 3:
                raise KeyboardInterrupt

    monkeypatch.setattr(pipeline.serve.watch, "Clock", InterruptedClock)
    result = CliRunner().invoke(cli, ["run", str(source), "-g", str(glossary), "-o", str(folder / "out"),
                                      "--cache", str(folder / "c.sqlite3"), "--watch"], catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[-3].startswith("2 sentences: 2 translated, 0 from cache")
    assert lines[-2].startswith("Watching ")
    assert lines[-1] == "Stopped watching."
    assert "Traceback" not in result.output and "Aborted" not in result.output
    assert (folder / "out" / "doc.html").exists()


def test_run_watch_serve_in_a_process_stopped_with_sigint(cli_files):
    """The real thing: a process watching and serving, a save, a page fetched, then SIGINT."""
    source, glossary, folder = cli_files
    driver = folder / "driver.py"
    driver.write_text(
        f"{INTERRUPTIBLE}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(TESTS)!r})\n"
        "import pipeline.translate.engines.settings, fakes\n"
        "pipeline.translate.engines.settings.build_engine = lambda settings, **kwargs: fakes.FakeEngine()\n"
        "from pipeline.cli import main\n"
        "main()\n", encoding="utf-8")
    command = [sys.executable, str(driver), "run", str(source), "-g", str(glossary), "-o", str(folder / "out"),
               "--cache", str(folder / "c.sqlite3"), "--serve", "--port", "0"]
    with child_process(command, cwd=folder) as process:
        opened = process.stdout.readline()
        assert opened.startswith("Open http://127.0.0.1:") and "/doc.html " in opened, opened
        url = opened.split()[1]
        lines = [process.stdout.readline() for _ in range(3)]
        assert lines[-1].startswith("Watching "), lines
        with urllib.request.urlopen(url, timeout=10) as response:
            first = response.read().decode()
        assert "data-duizhao-reload" in first
        save(glossary, HEADER + "台州\tTaizhou City\t\t\n")
        lines = [process.stdout.readline() for _ in range(3)]
        assert lines[0] == f"Changed: {glossary}; running again\n", lines
        assert lines[2].startswith("2 sentences: 0 translated, 2 from cache"), lines
        with urllib.request.urlopen(url, timeout=10) as response:
            assert "Taizhou City" in response.read().decode()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert out == "Stopped watching.\n"
    assert "Traceback" not in err
    assert "data-duizhao-reload" not in (folder / "out" / "doc.html").read_text(encoding="utf-8")


def test_a_watch_session_takes_approvals_from_the_project_memory(session, tmp_path):
    """A sentence approved in another document of the project comes from the
    memory in every run of the session, as in `duizhao run`, never from the engine."""
    from pipeline.review.edits import APPROVED, Edit, write_edits
    from pipeline.review.memory import TranslationMemory
    from pipeline.run import run

    other = tmp_path / "other.txt"
    save(other, "玉环的大麦屿港很新。\n")
    write_edits(edits_path(other), [Edit("玉环的大麦屿港很新。", "", "Yuhuan's Damaiyu port is new.", 0, (), APPROVED)],
                str(other))
    with TranslationMemory(tmp_path / "m.sqlite3") as memory:
        with TranslationCache(tmp_path / "other.sqlite3") as cache:
            run(other, tmp_path / "other-out", FakeEngine, cache, glossaries=[], memory=memory)  # approved: kept
        actions = {3: lambda: save(session.source, "台州的港口很大。\n\n玉环的大麦屿港很新。\n\n增长了很多。\n\n新的一句。\n")}
        assert session.watch(actions, last_tick=20, memory=memory) == 2
    assert session.translations()[1] == "Yuhuan's Damaiyu port is new."
    assert all("玉环的大麦屿港很新" not in call for calls in session.calls_per_run for call in calls)
