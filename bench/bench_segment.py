"""Segmentation time of long documents (layout repair and sentences, no translation).

Prints figures; not a test (tests/read/test_segment.py counts the work instead). The
documents are the seed repeated with every copy tagged (bench/variants.py), so no
copy is a duplicate of another, plus the seed's own duplicates in each copy.

Run: .venv/bin/python bench/bench_segment.py [--sizes 0.1,1.2,5] (megabytes of UTF-8)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import figure  # noqa: E402
from variants import longer  # noqa: E402

from pipeline.read.layout import segment  # noqa: E402
from pipeline.read.source import SourceText  # noqa: E402

SEED = Path(__file__).resolve().parent.parent / "sources" / "taizhou.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.1,1.2,5", help="document sizes in MB, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    seed = SEED.read_text(encoding="utf-8")
    seed_bytes = len(seed.encode("utf-8"))
    documents = []
    for size in (float(s) for s in options.sizes.split(",")):
        copies = max(1, round(size * 1e6 / seed_bytes))
        text = longer(seed, copies)
        documents.append((copies, text, SourceText(Path("long.txt"), text, "utf-8", "simplified", "text")))
    segment(documents[0][2])  # warm up: imports, compiled expressions
    times: dict[int, list[float]] = {copies: [] for copies, _, _ in documents}
    for _ in range(options.rounds):  # interleaved rounds
        for copies, _, source in documents:
            started = time.perf_counter()
            document = segment(source)
            times[copies].append(time.perf_counter() - started)
    print(f"load average {os.getloadavg()[0]:.2f}; {options.rounds} rounds")
    base = None
    for copies, text, source in documents:
        best, median = min(times[copies]), statistics.median(times[copies])
        per_mb = best / (len(text.encode("utf-8")) / 1e6)
        base = base or per_mb
        document = segment(source)
        figure(f"segment {len(text.encode('utf-8')) / 1e6:.2f} MB ({copies} seeds)", best, median, unit="s",
               options=f"{options.rounds} rounds")
        print(f"{len(text.encode('utf-8')) / 1e6:6.2f} MB ({copies:4d} copies, {len(document.blocks):6d} blocks)  "
              f"best {best:7.2f} s  median {median:7.2f} s  {per_mb:5.2f} s/MB  (x{per_mb / base:.2f} of the smallest)")


if __name__ == "__main__":
    main()
