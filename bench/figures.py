"""The headline figures of the benchmarks, for the one table of bench/README.md.

A benchmark prints its full report as before and also calls :func:`figure` for
each figure worth a row. When ``bench/run_all.py`` runs it, the environment
variable ``DUIZHAO_BENCH_FIGURES`` names a file and every figure is appended to it
as one JSON line; run on its own, :func:`figure` does nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ENV = "DUIZHAO_BENCH_FIGURES"


def figure(
    name: str,
    best: float,
    median: float | None = None,
    *,
    unit: str,
    target: str = "",
    options: str = "",
) -> None:
    """Record one figure: ``best`` and ``median`` of the timed runs (``median`` None
    for a figure measured once), its ``unit``, the ``target`` it answers to and the
    exact ``options`` it was measured with."""
    path = os.environ.get(ENV)
    if not path:
        return
    row = dict(name=name, best=best, median=median, unit=unit, target=target, options=options,
               load=round(os.getloadavg()[0], 2))
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
