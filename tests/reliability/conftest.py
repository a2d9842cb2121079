"""The standing reliability suite (issue 13): kills, concurrency, broken caches,
unwritable and full folders, hostile input, the server under abuse.

Every case is marked ``@pytest.mark.outcome("survives")`` (the run finishes and
nothing is lost) or ``@pytest.mark.outcome("clean-error")`` (a one-line error
naming the path and the fix, no traceback, nothing lost); the totals are printed
at the end of the session.

CI runs as root, which ignores file modes: :func:`duizhao` with
``unprivileged=True`` runs the command without ``CAP_DAC_OVERRIDE`` and
``CAP_DAC_READ_SEARCH`` (``capsh``), so a read-only file is read-only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OUTCOMES = ("survives", "clean-error")
CAPSH = shutil.which("capsh")
_totals: Counter = Counter()


def pytest_configure(config):
    config.addinivalue_line("markers", "outcome(kind): what a reliability case expects: survives | clean-error")


def pytest_collection_modifyitems(items):
    for item in items:
        if "reliability" in item.path.parts:
            marker = item.get_closest_marker("outcome")
            if marker is None or marker.args[0] not in OUTCOMES:
                raise pytest.UsageError(f"{item.nodeid}: mark it @pytest.mark.outcome({' or '.join(OUTCOMES)})")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("outcome")
    if marker is not None and report.when == "call":
        _totals[("passed" if report.passed else "failed", marker.args[0])] += 1
    if marker is not None and report.skipped:
        _totals[("skipped", marker.args[0])] += 1


def pytest_terminal_summary(terminalreporter):
    if not _totals:
        return
    cases = sum(_totals.values())
    survived, clean = _totals[("passed", "survives")], _totals[("passed", "clean-error")]
    failed = _totals[("failed", "survives")] + _totals[("failed", "clean-error")]
    skipped = _totals[("skipped", "survives")] + _totals[("skipped", "clean-error")]
    terminalreporter.write_line(
        f"reliability: {cases} cases, {survived} survived, {clean} clean errors, {failed} failed "
        f"(a traceback, lost data or a wrong result), {skipped} skipped"
    )


def duizhao(*args, cwd: Path, unprivileged: bool = False, env: dict | None = None, timeout: float = 120,
            **kwargs) -> subprocess.CompletedProcess:
    """``duizhao ARGS`` in a child process (the real entry point, exit status and
    streams), as the current user; ``unprivileged`` drops root's file-mode override."""
    command = [sys.executable, "-m", "pipeline", *map(str, args)]
    if unprivileged:
        command = without_override(command)
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}, **kwargs)


def without_override(command: list[str]) -> list[str]:
    """``command`` run so that file modes apply: as root, through ``capsh`` with
    the override capabilities dropped; as anyone else, unchanged."""
    if os.geteuid() != 0:
        return command
    if CAPSH is None:
        pytest.fail("capsh is missing: install libcap2-bin (the README's test command does), "
                    "read-only cases cannot run as root without it")
    quoted = " ".join(f"'{part}'" for part in command)
    return [CAPSH, "--drop=cap_dac_override,cap_dac_read_search", "--", "-c", f"exec {quoted}"]


def assert_clean_error(result: subprocess.CompletedProcess, *needles: str, status: int = 1) -> str:
    """The command failed with ``status`` and one line on stderr holding every needle."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    error = result.stderr.strip().splitlines()[-1]
    for needle in needles:
        assert needle in error, (needle, result.stderr)
    return error


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


@pytest.fixture
def project(tmp_path, installed, monkeypatch) -> Path:
    """A working folder with a two-paragraph source ``sources/doc.txt``, a glossary,
    the test model installed and a cache of its own (``cache/``)."""
    monkeypatch.setenv("DUIZHAO_CACHE", str(tmp_path / "cache" / "translations.sqlite3"))
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "doc.txt").write_text(
        "台州港口很大。\n\n台州很美,我们在东边。\n", encoding="utf-8")
    (tmp_path / "glossary").mkdir()
    (tmp_path / "glossary" / "g.tsv").write_text("zh\ten\n台州\tTaizhou\n", encoding="utf-8")
    return tmp_path


@contextlib.contextmanager
def tiny_disk(where: Path, size: str):
    """A tmpfs of ``size`` mounted at ``where``, unmounted afterwards. Mounting needs
    root (CI runs as root): elsewhere the case fails saying so, never passes unrun."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.fail("a full disk is simulated with a small tmpfs, and mounting one needs root: run the suite as root "
                    "(as CI does), or deselect these cases with -k 'not disk'")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", f"duizhao-{uuid.uuid4().hex[:8]}",
                              str(where)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs here ({mounted.stderr.strip()}), so a full disk cannot be simulated")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder: Path) -> None:
    """Fill the file system of ``folder`` to the last byte."""
    with open(folder / "filler", "ab", buffering=0) as handle:
        for block in (1 << 16, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    handle.write(b"\0" * block)
