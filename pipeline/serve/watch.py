"""Watch mode: run the pipeline again whenever one of its inputs changes.

:func:`watch` does, in order:

1. note the watched files and their state (modification time, size, inode):
   the source, its edits file (``<stem>.edits.tsv`` beside the source, whether or
   not it exists yet) and the glossary files (the ones given, or every
   ``glossary/*.tsv``, so a file added to or removed from that folder counts too);
2. run the pipeline once and report the result;
3. poll the files every ``interval`` seconds; once something has changed and then
   nothing more for ``quiet`` seconds (an editor's burst of saves is one change),
   report which files changed and run again.

A failing run reports its error and watching goes on: outputs are written only
after a successful run, atomically, so the last good reader stays in place. The
engine is created once, on first need, and reused by every run, like the
translation cache the caller passes in, so the model is loaded once.

Polling the file state keeps this standard-library only; :class:`Clock` is the
one place time is read or waited on, so tests drive the loop with a fake one.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.errors import DuizhaoError
from pipeline.render.formats import DEFAULT_FORMATS
from pipeline.review.edits import edits_path
from pipeline.terms.glossary import DEFAULT_DIR, glossary_files

if TYPE_CHECKING:
    from pipeline.review.memory import TranslationMemory
    from pipeline.translate.cache import TranslationCache
    from pipeline.translate.texts import Translator

#: Seconds between two looks at the watched files.
POLL_INTERVAL = 0.25
#: Seconds without a further change before running again.
QUIET_PERIOD = 0.3

#: What :func:`watch` knows of a file: (mtime_ns, size, inode), or None when it is missing.
FileState = tuple[int, int, int] | None


class Clock:
    """Monotonic time and sleeping for the watch loop; tests substitute a fake."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class WatchedInputs:
    """The files a run of ``source`` reads, listed afresh at every look."""

    def __init__(self, source: str | Path, glossaries: Sequence[str | Path] | None = None):
        self.source = Path(source)
        #: Files and folders (a folder: its .tsv files, listed afresh at every look).
        self.glossaries = [DEFAULT_DIR] if glossaries is None else [Path(g) for g in glossaries]

    def paths(self) -> list[Path]:
        return list(dict.fromkeys([self.source, edits_path(self.source), *glossary_files(self.glossaries)]))

    def snapshot(self) -> dict[Path, FileState]:
        return {path: _state(path) for path in self.paths()}

    def describe(self) -> str:
        glossaries = ", ".join(f"{g}/*.tsv" if g.is_dir() or not g.suffix else str(g)
                               for g in self.glossaries) or "no glossary"
        return f"{self.source}, {edits_path(self.source)}, {glossaries}"


def _state(path: Path) -> FileState:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def changed_files(before: dict[Path, FileState], after: dict[Path, FileState]) -> list[Path]:
    """Files added, removed or modified between two snapshots, in listing order."""
    return [path for path in dict.fromkeys([*after, *before]) if before.get(path) != after.get(path)]


def _what_happened(path: Path, before: dict[Path, FileState], after: dict[Path, FileState]) -> str:
    if after.get(path) is None:
        return f"{path} (removed)"
    return f"{path} (added)" if before.get(path) is None else str(path)


def reuse_engine(make_engine: Callable[[], Translator]) -> Callable[[], Translator]:
    """``make_engine``, called on first use only; later calls return the same engine."""
    made: list[Translator] = []

    def engine() -> Translator:
        if not made:
            made.append(make_engine())
        return made[0]

    return engine


def watch(
    source: str | Path,
    output_dir: str | Path,
    make_engine: Callable[[], Translator],
    cache: TranslationCache,
    glossaries: Sequence[str | Path] | None = None,
    *,
    formats: Sequence[str] = DEFAULT_FORMATS,
    front_matter: Sequence[str] = (),
    variant: str | None = None,
    keep_boilerplate: bool = False,
    ocr: bool = False,
    password: str | None = None,
    library: str | Path | None = None,
    memory: TranslationMemory | None = None,
    report: Callable[[str], None] = print,
    report_error: Callable[[str], None] | None = None,
    progress: Callable[[], AbstractContextManager] | None = None,
    stop: threading.Event | None = None,
    clock: Clock | None = None,
    interval: float = POLL_INTERVAL,
    quiet: float = QUIET_PERIOD,
) -> int:
    """Run ``source`` through the pipeline, then again after every change to its
    inputs, until ``stop`` is set (or Ctrl-C, which propagates to the caller).

    ``formats`` are the outputs to write (:mod:`pipeline.render.formats`);
    ``library`` the output folder whose library page lists the document (default:
    ``output_dir``); ``memory`` the project translation memory, used and kept as
    by ``duizhao run``.
    ``report`` gets every line to show, ``report_error`` (default: ``report``) the
    errors of failed runs; ``progress`` makes a fresh progress context for each
    run. Returns how many runs succeeded.
    """
    from pipeline.review.report import document_warnings, done_line, flag_summary
    from pipeline.run import run

    report_error = report_error or report
    stop = stop or threading.Event()
    clock = clock or Clock()
    inputs = WatchedInputs(source, glossaries)
    engine = reuse_engine(make_engine)
    succeeded = 0

    def run_once() -> None:
        nonlocal succeeded
        try:
            with (progress() if progress else nullcontext(None)) as bar:
                result = run(source, output_dir, engine, cache, bar, glossaries, formats=formats,
                             front_matter=front_matter, variant=variant, keep_boilerplate=keep_boilerplate,
                             ocr=ocr, password=password, library=library, memory=memory,
                             warn=lambda m: report_error(f"Warning: {m}"))
        except DuizhaoError as exc:
            report_error(f"Error: {exc}")
            report_error("Outputs are left as they were; fix the input and save it to run again.")
            return
        except Exception:  # a bug must not end the session; show it in full
            report_error(traceback.format_exc().rstrip())
            report_error("Outputs are left as they were; waiting for the next change.")
            return
        succeeded += 1
        for line in document_warnings(result.document):
            report_error(line)
        report(flag_summary(result.document))
        report(done_line(result.document, result.outputs))

    seen = inputs.snapshot()  # before the first run: a save during it triggers another
    run_once()
    report(f"Watching {inputs.describe()} (Ctrl-C to stop)")
    before_burst: dict[Path, FileState] | None = None  # the state before the first unrun change
    last_change = clock.now()
    while not stop.is_set():
        clock.sleep(interval)
        current = inputs.snapshot()
        if changed_files(seen, current):
            if before_burst is None:
                before_burst = seen
            seen = current
            last_change = clock.now()
        elif before_burst is not None and clock.now() - last_change >= quiet:
            changed = [_what_happened(path, before_burst, current) for path in changed_files(before_burst, current)]
            before_burst = None
            if changed:  # not when a file appeared and went again within the burst
                report("Changed: " + ", ".join(changed) + "; running again")
                run_once()
    return succeeded
