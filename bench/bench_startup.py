"""Start-up time of `duizhao --help` and which heavy modules it imports.

Prints figures; not a test. Run: .venv/bin/python bench/bench_startup.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import figure  # noqa: E402

HEAVY = ("ctranslate2", "sentencepiece", "jieba", "opencc", "argostranslate", "numpy", "charset_normalizer")
RUNS = 15


#: As on a user's machine: modules compiled once, not on every start.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def time_command(args: list[str]) -> list[float]:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=ENV)  # writes the .pyc files
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=ENV)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    bare = time_command([sys.executable, "-c", "pass"])
    help_ = time_command([sys.executable, "-m", "pipeline", "--help"])
    probe = (
        "import sys\nfrom pipeline.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules) or 'none')"
    )
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    print(f"python -c pass      median {statistics.median(bare) * 1000:6.1f} ms  ({RUNS} runs)")
    print(f"duizhao --help      median {statistics.median(help_) * 1000:6.1f} ms  ({RUNS} runs)")
    print(f"  of which duizhao  median {(statistics.median(help_) - statistics.median(bare)) * 1000:6.1f} ms")
    print(f"heavy modules imported by --help: {imported.stdout.strip().splitlines()[-1]}")
    figure("`python -c pass` (the floor)", min(bare) * 1000, statistics.median(bare) * 1000, unit="ms",
           options=f"{RUNS} runs")
    figure("`duizhao --help`", min(help_) * 1000, statistics.median(help_) * 1000, unit="ms",
           target="≤ 100", options=f"{RUNS} runs")


if __name__ == "__main__":
    main()
