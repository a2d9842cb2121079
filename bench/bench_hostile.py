"""Hostile input at the parse boundaries: the work that used to grow faster than the input.

Prints figures; not a test (tests/reliability/test_linear_work.py counts the work).

- a 1.4 MB TBX whose entries nest as deep as the reader allows (255 levels each),
  and a 1.4 MB TBX of one entry nested 37,000 deep (past that bound: refused);
- a run's post-edits step with 20,000 orphaned edits against the seed article
  (their closest sentences looked up), and the warning lines the run prints.

Run: .venv/bin/python bench/bench_hostile.py [--rounds 3]
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

from pipeline.read import load_document  # noqa: E402
from pipeline.review.edits import Edit, apply_edits  # noqa: E402
from pipeline.review.report import orphaned_edits  # noqa: E402
from pipeline.terms.termbase import TermbaseError, read_tbx  # noqa: E402

SEED = Path(__file__).resolve().parent.parent / "sources" / "taizhou.txt"


def nested_tbx(size: int, levels: int) -> bytes:
    """Entries of ``levels`` nested definitions each, repeated to about ``size`` bytes."""
    entry = ('<conceptEntry><langSec xml:lang="zh"><termSec><term>台州{n}</term></termSec></langSec>'
             '<langSec xml:lang="en">' + '<descrip type="definition">d' * levels + '</descrip>' * levels
             + '<termSec><term>Taizhou{n}</term></termSec></langSec></conceptEntry>')
    body, n = [], 0
    while sum(map(len, body)) < size:
        body.append(entry.format(n=n))
        n += 1
    return f'<tbx><text><body>{"".join(body)}</body></text></tbx>'.encode()


def timed(rounds: int, work) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; {options.rounds} rounds")

    deep = nested_tbx(1_400_000, 250)
    best, median, (terms, _) = timed(options.rounds, lambda: read_tbx(deep))
    figure("TBX import, 1.4 MB of entries nested 255 deep", best, median, unit="s", options=f"{options.rounds} rounds")
    print(f"TBX {len(deep) / 1e6:.2f} MB, {len(terms)} entries nested 255 deep: best {best:.3f} s, median {median:.3f} s")

    levels = 37_000  # about 1.4 MB: one entry whose definition nests 37,000 deep
    too_deep = ('<tbx><text><body><conceptEntry><langSec xml:lang="zh"><termSec><term>台州</term></termSec>'
                '</langSec><langSec xml:lang="en">' + '<descrip type="definition">d' * levels
                + '</descrip>' * levels + '<termSec><term>Taizhou</term></termSec></langSec></conceptEntry>'
                '</body></text></tbx>').encode()

    def refuse() -> str:
        try:
            read_tbx(too_deep)
        except TermbaseError as exc:
            return str(exc)
        return "read"

    best, median, said = timed(options.rounds, refuse)
    figure("TBX, one entry nested 37,000 deep (1.4 MB)", best, median, unit="s", options=f"{options.rounds} rounds")
    print(f"TBX {len(too_deep) / 1e6:.2f} MB, one entry nested {levels:,} deep: best {best:.3f} s ({said[:90]})")

    document = load_document(SEED)
    edits = {f"orphan {n}": Edit(f"杭州第{n}号港口今年很大，吞吐量增长了{n}万吨。", "", f"Hangzhou {n}.", n + 2)
             for n in range(20_000)}
    for sentence in document.sentences():
        sentence.translation = "English."
    best, median, _ = timed(options.rounds, lambda: apply_edits(document, edits, "taizhou.edits.tsv"))
    lines = orphaned_edits(document)
    figure("post-edits of the seed with 20,000 orphans", best, median, unit="s", options=f"{options.rounds} rounds")
    print(f"20,000 orphaned edits against the seed ({len(document.sentences())} sentences): best {best:.2f} s, "
          f"median {median:.2f} s; {len(lines)} warning lines")


if __name__ == "__main__":
    main()
