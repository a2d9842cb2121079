"""Many documents in one run: discovery, one engine and one translation pass for
all documents, windows, failures that do not stop the batch."""

from __future__ import annotations

import gc
import json
import re
import weakref
from pathlib import Path

import pytest
from click.testing import CliRunner

from fakes import FakeEngine
from pipeline.archive import ClashError, Job, discover, windows
from pipeline.translate.cache import TranslationCache
from pipeline.cli import cli
from pipeline.core.errors import SourceError
from pipeline.core.model import Document
from pipeline.run import run_many
from pipeline.read import load_document


def article(n: int, shared: str = "") -> str:
    """A small article of its own: every sentence names ``n``, so no two articles
    share a sentence unless ``shared`` is given."""
    body = f"第{n}号港口今年的吞吐量增长了{n}%。台州第{n}家企业出口到{n + 3}个国家。"
    return f"台州第{n}篇报道\n\n{body}{shared}\n\n记者走访了第{n}个园区。\n"


def write(folder: Path, relative: str, text: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


# ---- discovery --------------------------------------------------------------------------


def test_a_folder_means_its_txt_and_md_files_sorted_without_hidden_or_output_folders(tmp_path):
    src = tmp_path / "src"
    for name in ("b.txt", "a.md", "2024/c.txt", "2024/01/d.markdown", "notes.odt", ".draft.txt",
                 ".git/e.txt", "output/f.txt", "a.edits.tsv"):
        write(src, name, article(1))
    jobs = discover([src], src / "output")
    assert [j.source.relative_to(src).as_posix() for j in jobs] == ["2024/01/d.markdown", "2024/c.txt", "a.md", "b.txt"]
    assert [j.output_dir.relative_to(src / "output").as_posix() for j in jobs] == ["2024/01", "2024", ".", "."]


def test_files_and_folders_mix_and_a_file_named_twice_runs_once(tmp_path):
    a = write(tmp_path, "src/a.txt", article(1))
    b = write(tmp_path, "other/b.txt", article(2))
    jobs = discover([a, tmp_path / "src", b], tmp_path / "out")
    assert [(j.source, j.output_dir) for j in jobs] == [(a, tmp_path / "out"), (b, tmp_path / "out")]


def test_a_missing_source_is_named(tmp_path):
    with pytest.raises(SourceError, match="nope: no such file or folder"):
        discover([tmp_path / "nope"], tmp_path / "out")


@pytest.mark.parametrize(
    "names",
    [("x.txt", "x.md"), ("one/x.txt", "two/x.txt")],
    ids=["txt-and-md-side-by-side", "same-stem-given-as-files"],
)
def test_two_sources_writing_the_same_outputs_are_an_error_before_anything_runs(models, tmp_path, names):
    paths = sorted(write(tmp_path / "src", name, article(n)) for n, name in enumerate(names))
    out = tmp_path / "out"
    result = invoke("run", *(paths if "/" in names[0] else [tmp_path / "src"]), "-o", out, "--offline",
                    "--cache", tmp_path / "c.sqlite3")
    assert result.exit_code == 1
    assert f"{paths[0]} and {paths[1]} would both write" in result.output
    assert "rename one" in result.output and "Traceback" not in result.output
    assert "model" not in result.output  # nothing ran: no model was looked for (none is installed)
    assert not out.exists()


def test_same_stems_in_different_folders_never_overwrite_each_other(tmp_path):
    write(tmp_path, "src/2023/a.txt", article(1))
    write(tmp_path, "src/2024/a.txt", article(2))
    jobs = discover([tmp_path / "src"], tmp_path / "out")
    assert {j.output_dir.name for j in jobs} == {"2023", "2024"}


def test_clash_error_is_a_user_error():
    from pipeline.archive import check_clashes

    with pytest.raises(ClashError):
        check_clashes([Job(Path("a/x.txt"), Path("out")), Job(Path("a/x.md"), Path("out"))])


# ---- one engine, one translation pass -------------------------------------------------------


class CountingFactory:
    def __init__(self):
        self.engine = FakeEngine()
        self.calls = 0
        self.batches: list[list[str]] = []
        engine = self.engine
        original = engine.translate

        def translate(sentences, progress=None):
            self.batches.append(list(sentences))
            return original(sentences, progress)

        engine.translate = translate

    def __call__(self):
        self.calls += 1
        return self.engine


def test_the_engine_is_made_once_and_shared_sentences_are_translated_once(tmp_path):
    shared = "这句话在每篇文章里都出现。"
    jobs = [Job(write(tmp_path, f"src/{n}.txt", article(n, shared)), tmp_path / "out") for n in range(5)]
    factory = CountingFactory()
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        summary = run_many(jobs, factory, cache, [])
    assert factory.calls == 1
    assert factory.engine.calls.count(shared) == 1
    # all five documents' sentences went to the engine together, in one chunk
    assert len(factory.batches) == 1 and len(factory.batches[0]) == 5 * 4 + 1
    assert summary.written == 5 and summary.translated == 21 and summary.sentences == 25
    for n in range(5):
        data = json.loads((tmp_path / "out" / f"{n}.json").read_text(encoding="utf-8"))
        assert data["stats"]["sentences"] == 5 and data["stats"]["translated"] == 5
        assert any(s["text"] == shared and s["translation"] for b in data["blocks"] for s in b["sentences"])


def test_a_folder_run_gives_each_document_what_its_own_run_gives(tmp_path):
    from pipeline.run import run

    jobs = [Job(write(tmp_path, f"src/{n}.txt", article(n, "共同的句子。")), tmp_path / "many") for n in range(3)]
    with TranslationCache(tmp_path / "many.sqlite3") as cache:
        run_many(jobs, FakeEngine, cache, [])
    for job in jobs:
        with TranslationCache(tmp_path / f"{job.source.stem}.sqlite3") as cache:
            run(job.source, tmp_path / "one", FakeEngine, cache, glossaries=[])
        many = json.loads((tmp_path / "many" / f"{job.source.stem}.json").read_text(encoding="utf-8"))
        one = json.loads((tmp_path / "one" / f"{job.source.stem}.json").read_text(encoding="utf-8"))
        for data in (many, one):
            data["stats"].pop("seconds")
        assert many == one


# ---- windows ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sizes", "limit", "expected"),
    [
        ([3, 3, 3, 3], 6, [[3, 3], [3, 3]]),
        ([10, 1, 1], 5, [[10], [1, 1]]),
        ([1, 1, 1], 100, [[1, 1, 1]]),
        ([], 5, []),
    ],
    ids=["even", "large-document-alone", "all-in-one", "none"],
)
def test_windows_close_at_the_sentence_limit(sizes, limit, expected):
    assert list(windows(sizes, lambda n: n, limit)) == expected


def test_documents_are_streamed_a_window_at_a_time(tmp_path):
    """The first documents are written before the last are read, and the document
    models of a finished window are let go."""
    paths = [write(tmp_path, f"src/{n:02}.txt", article(n)) for n in range(12)]
    events: list[str] = []
    alive: list[weakref.ref[Document]] = []

    def jobs():
        for path in paths:
            events.append(f"read {path.stem}")
            yield Job(path, tmp_path / "out")

    def written(result):
        events.append(f"wrote {Path(result.document.source).stem}")
        alive.append(weakref.ref(result.document))
        gc.collect()
        held = sum(ref() is not None for ref in alive)
        assert held <= 4, f"{held} document models alive"  # one window's

    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        summary = run_many(jobs(), FakeEngine, cache, [], window_sentences=15, on_document=written)
    assert summary.written == 12
    assert events.index("wrote 00") < events.index("read 11")
    sentences = len(load_document(paths[0]).sentences())
    assert sentences == 4  # so a window of 15 holds 4 documents


def test_a_window_is_finished_while_the_next_is_translated(tmp_path, monkeypatch):
    """The checks of the first window's documents wait for the engine to be given
    the second window: they run at the same time (with the stages one after the
    other, the wait runs out first). The results still come back in order, each
    document once."""
    import threading

    from pipeline import run as stages

    paths = [write(tmp_path, f"src/{n:02}.txt", article(n)) for n in range(8)]
    second = threading.Event()
    overlapped: list[bool] = []
    check = stages.check_document

    def waiting_check(document):
        if Path(document.source).stem == "00":  # the first window holds 00 to 03 (4 sentences each)
            overlapped.append(second.wait(30))
        return check(document)

    class Engine(FakeEngine):
        def translate(self, sentences, progress=None):
            if any("第4号" in s for s in sentences):
                second.set()
            return super().translate(sentences, progress)

    monkeypatch.setattr(stages, "check_document", waiting_check)
    written: list[str] = []
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        summary = run_many([Job(p, tmp_path / "out") for p in paths], Engine, cache, [], window_sentences=15,
                           on_document=lambda r: written.append(Path(r.document.source).stem))
    assert overlapped == [True]
    assert written == [f"{n:02}" for n in range(8)] and summary.written == 8


# ---- failures ---------------------------------------------------------------------------


def test_a_failing_document_in_the_middle_does_not_stop_the_batch(installed, tmp_path):
    src = tmp_path / "src"
    write(src, "a.txt", article(1))
    (src / "b.txt").write_bytes(b"\xff\xfe\x00")  # a UTF-16 mark on bytes that are not UTF-16
    write(src, "c/d.md", "# 标题\n\n" + article(3))
    (src / "e.txt").write_bytes(b"")
    out = tmp_path / "out"
    result = invoke("run", src, "-o", out, "--offline", "--cache", tmp_path / "c.sqlite3")
    assert result.exit_code == 1
    assert f"Error: {src / 'b.txt'}: starts with a utf-16 byte-order mark" in result.stderr
    assert f"Error: {src / 'e.txt'}: is empty" in result.stderr
    assert "Traceback" not in result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("2 documents written, 2 failed; ")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        ".duizhao-library.json", "a.html", "a.json", "c/d.html", "c/d.json", "index.html"]


def test_an_unwritable_output_fails_that_document_only(tmp_path):
    jobs = [Job(write(tmp_path, f"src/{n}.txt", article(n)), tmp_path / "out") for n in range(3)]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "1.json").mkdir()  # a folder where the output file should go
    failures = []
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        summary = run_many(jobs, FakeEngine, cache, [], on_failure=failures.append)
    assert summary.written == 2 and [f.source.name for f in failures] == ["1.txt"]
    assert "1.json" in str(failures[0]) and "cannot be written" in str(failures[0])
    assert (tmp_path / "out" / "2.json").is_file()


def test_a_clean_folder_run_exits_zero_with_the_counts_last(installed, tmp_path):
    src = tmp_path / "src"
    for n in range(3):
        write(src, f"{n}.txt", article(n, "共同的句子。"))
    out, cache = tmp_path / "out", tmp_path / "c.sqlite3"
    first = invoke("run", src, "-o", out, "--offline", "--cache", cache)
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().splitlines()[-1].startswith("3 documents written, 0 failed; 15 sentences: 13 translated, 0 from cache")
    assert "\r" not in first.stderr  # no progress line when stderr is not a terminal
    again = invoke("run", src, "-o", out, "--offline", "--cache", cache)
    assert again.stdout.strip().splitlines()[-1].startswith("3 documents written, 0 failed; 15 sentences: 0 translated, 13 from cache")


def test_watch_takes_one_source_file(tmp_path):
    result = invoke("run", tmp_path, "--watch")
    assert result.exit_code == 2 and "--watch and --serve take one source file" in result.output


def test_the_progress_line_counts_documents_and_sentences_with_a_rate_and_eta(monkeypatch):
    from pipeline.cli.common import RunProgress

    now = [100.0]
    display = RunProgress(4)
    display.clock = lambda: now[0]
    display.started = 100.0
    display.translated(30, 60)
    display.translated(60, 60)
    display.translated(10, 20)  # the next window
    display.document_done()
    now[0] = 110.0
    assert display.line() == "1/4 documents · 70 sentences translated · 7.0 sentences/s · ETA 0:30"


# ---- killed and started again ---------------------------------------------------------------

_CHARS = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"


def long_article(n: int, paragraphs: int = 6, sentences: int = 10) -> str:
    """An article of ``paragraphs`` × ``sentences`` sentences of seeded random characters."""
    import random

    rng = random.Random(n)
    body = ["".join("".join(rng.choice(_CHARS) for _ in range(rng.randint(8, 20))) + "。" for _ in range(sentences))
            for _ in range(paragraphs)]
    return f"第{n}篇\n\n" + "\n\n".join(body) + "\n"


def cached_rows(path: Path) -> int:
    import sqlite3

    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT count(*) FROM translations").fetchone()[0]
        except sqlite3.OperationalError:  # created, not yet migrated
            return 0


@pytest.mark.parametrize("moment", ["translating", "writing"])
def test_killed_at_any_point_and_started_again_it_redoes_no_finished_translation(installed, tmp_path, moment):
    import signal
    import sys
    import time

    from conftest import child_process

    src, out, cache = tmp_path / "src", tmp_path / "out", tmp_path / "c.sqlite3"
    for n in range(30):
        write(src, f"{n // 10}/{n:02}.txt", long_article(n))
    command = [sys.executable, "-m", "pipeline", "run", str(src), "-o", str(out), "--offline", "--cache", str(cache)]

    def reached() -> bool:
        if moment == "translating":
            return cached_rows(cache) > 0
        return any(out.rglob("*.json"))

    with child_process(command) as process:
        deadline = time.monotonic() + 50
        while not reached() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert process.poll() is None, "the run finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.communicate()
    finished = cached_rows(cache)
    assert finished > 0
    if moment == "translating":
        assert not any(out.rglob("*.json"))
    for path in out.rglob("*"):  # whatever was written is whole
        if path.suffix == ".json" and not path.name.startswith("."):
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".html":
            assert path.read_text(encoding="utf-8").rstrip().endswith("</html>")

    again = CliRunner().invoke(cli, command[3:])
    assert again.exit_code == 0, again.output
    total = cached_rows(cache)
    last = again.stdout.strip().splitlines()[-1]
    assert last.startswith(f"30 documents written, 0 failed; 1830 sentences: {total - finished} translated, "
                           f"{finished} from cache")
    jsons = sorted(p for p in out.rglob("*.json") if not p.name.startswith("."))
    assert len(jsons) == 30
    for path in jsons:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert all(s["translation"] for b in data["blocks"] for s in b["sentences"])


def test_jobs_run_the_cpu_stages_in_workers_with_the_same_outputs(tmp_path):
    from pipeline.archive import Workers

    src = tmp_path / "src"
    for n in range(5):
        write(src, f"{n}.txt", article(n, "共同的句子。"))
    (src / "2.txt").write_bytes(b"\x00binary")
    results: dict[int, dict] = {}
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        failures, written = [], []
        with TranslationCache(tmp_path / f"c{jobs}.sqlite3") as cache:
            if jobs == 1:
                summary = run_many(discover([src], out), FakeEngine, cache, [], on_failure=failures.append,
                                   on_document=written.append, library=out)
            else:
                with Workers(jobs, cache.path) as workers:
                    summary = run_many(discover([src], out), FakeEngine, cache, [], on_failure=failures.append,
                                       on_document=written.append, library=out, workers=workers)
        assert summary.written == 4 and [f.source.name for f in failures] == ["2.txt"]
        assert "looks like a binary file" in str(failures[0])
        assert [Path(r.document.source).name for r in written] == ["0.txt", "1.txt", "3.txt", "4.txt"]
        results[jobs] = {p.name: p.read_text(encoding="utf-8") for p in out.glob("[0-9].json")}
    strip = re.compile(r'"seconds": [0-9.]+')
    assert {k: strip.sub("", v) for k, v in results[1].items()} == {k: strip.sub("", v) for k, v in results[2].items()}
