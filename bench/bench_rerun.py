"""Wall time and peak memory of a no-change rerun: `duizhao run` on the seed when
every sentence (and every reading aid) is already in the cache.

Prints figures; not a test. Run: .venv/bin/python bench/bench_rerun.py [--runs N]

A small generated Argos package (``pipeline.testing.cached_argos_package``, built
once into bench/.work/) is installed into a throw-away ``ARGOS_PACKAGES_DIR``;
HOME, XDG folders and ``DUIZHAO_CACHE`` point into the same throw-away folder, so
nothing of the user's is read or written. One ``duizhao run`` fills the caches,
then N identical runs are timed, each a fresh ``python -m pipeline`` process as a
user would start it: wall time from spawn to exit, and the child's peak resident
memory (``ru_maxrss`` from ``wait4``; this parent stays far smaller than a run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work"
SOURCE = Path("sources") / "taizhou.txt"


def build_package() -> Path:
    from pipeline.testing import cached_argos_package

    return cached_argos_package(WORK / "rerun-package", user_defined_symbols=tuple(f"⟦T{i}⟧" for i in range(10)))


def isolated_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HOME=str(home / "home"), XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"),
        XDG_CONFIG_HOME=str(home / "config"), ARGOS_PACKAGES_DIR=str(home / "packages"),
        DUIZHAO_CACHE=str(home / "cache" / "duizhao" / "translations.sqlite3"),
        ARGOS_PACKAGE_INDEX="http://127.0.0.1:9/",
    )
    for name in ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    return env


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawn to exit and the child's peak RSS in MB."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.stderr:
        child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{errors}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed no-change reruns (default 10)")
    args = parser.parse_args()

    archive = build_package()
    WORK.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="bench-rerun-", dir=WORK))
    try:
        env = isolated_env(home)
        python = [sys.executable, "-m", "pipeline"]
        subprocess.run([*python, "models", "install", "--file", str(archive)], env=env, cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
        run = [*python, "run", str(SOURCE), "-o", str(home / "output"), "--offline"]
        first, first_rss = timed(run, env)
        reruns = [timed(run, env) for _ in range(args.runs)]
        bare = [timed([sys.executable, "-c", "pass"], env)[0] for _ in range(5)]
    finally:
        shutil.rmtree(home, ignore_errors=True)

    walls = [s for s, _ in reruns]
    print(f"first run (translates, fills the caches)  {first:6.2f} s   peak {first_rss:5.0f} MB")
    print(f"no-change rerun, {args.runs} runs              median {statistics.median(walls):5.2f} s   "
          f"min {min(walls):5.2f} s   max {max(walls):5.2f} s   peak {max(r for _, r in reruns):5.0f} MB")
    print(f"python -c pass                            median {statistics.median(bare):5.2f} s")


if __name__ == "__main__":
    main()
