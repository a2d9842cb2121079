"""The openai engine's throughput on the seed against a loopback server with a
fixed latency per request, at several concurrencies.

The server (``python -m pipeline.testing.llm --latency S``) runs in its own
process, so its threads do not share this process's interpreter lock. Each
measured run translates ``sources/taizhou.txt`` with the shipped glossary through
``pipeline.translate.documents.translate_documents`` into a fresh, empty cache: every sentence is
a request (plus the one ``/v1/models`` check). Concurrencies are interleaved over
the rounds (the order rotates), after one warm-up run; best and median are
printed with the load average, so the figures can be rerun on a quiet machine.

    .venv/bin/python bench/bench_openai.py [--latency 0.05] [--rounds 3] [--concurrency 1 4 8]

Target (issue 9): at concurrency 8, at least 5x the throughput of concurrency 1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from figures import figure  # noqa: E402

from pipeline.translate.cache import TranslationCache  # noqa: E402
from pipeline.translate.engines.openai import OpenAIEngine  # noqa: E402
from pipeline.terms.glossary import load_glossaries  # noqa: E402
from pipeline.run import translate_documents  # noqa: E402
from pipeline.read import load_document

SEED = REPO / "sources" / "taizhou.txt"
GLOSSARY = REPO / "glossary" / "taizhou.tsv"


def one_run(url: str, concurrency: int, work: Path) -> tuple[float, int, int]:
    """Seconds, sentences and requests of one run into an empty cache."""
    document = load_document(SEED)
    glossary = load_glossaries([GLOSSARY])
    engine = OpenAIEngine(base_url=url, model="test-model", concurrency=concurrency)
    with tempfile.TemporaryDirectory(dir=work) as folder, TranslationCache(Path(folder) / "c.sqlite3") as cache:
        started = time.perf_counter()
        translate_documents([document], engine, cache, glossary=glossary)
        seconds = time.perf_counter() - started
    return seconds, len(document.sentences()), engine.request_counts()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the server waits before each answer")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    work = REPO / "bench" / ".work"
    work.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen([sys.executable, "-m", "pipeline.testing.llm", "--latency", str(args.latency)],
                              stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        url = server.stdout.readline().strip()
        one_run(url, 4, work)  # warm-up: imports, the server's first connections
        times: dict[int, list[float]] = {c: [] for c in args.concurrency}
        sentences = requests = 0
        for round_number in range(args.rounds):
            shift = round_number % len(args.concurrency)
            for concurrency in args.concurrency[shift:] + args.concurrency[:shift]:
                seconds, sentences, requests = one_run(url, concurrency, work)
                times[concurrency].append(seconds)
    finally:
        server.terminate()
        server.wait()

    load = os.getloadavg()
    print(f"openai engine, seed ({sentences} sentences, {requests} requests a run incl. /v1/models), "
          f"server latency {args.latency * 1000:.0f} ms, {args.rounds} rounds, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'concurrency':>11}  {'best s':>7}  {'median s':>8}  {'sentences/s best':>16}  {'median':>7}")
    best_rate = {}
    for concurrency, measured in times.items():
        best, median = min(measured), statistics.median(measured)
        best_rate[concurrency] = sentences / best
        print(f"{concurrency:>11}  {best:7.2f}  {median:8.2f}  {sentences / best:16.1f}  {sentences / median:7.1f}")
        figure(f"openai engine, concurrency {concurrency}", sentences / best, sentences / median, unit="sentences/s",
               options=f"{args.rounds} rounds, {args.latency * 1000:.0f} ms latency")
    base = min(args.concurrency)
    for concurrency in args.concurrency:
        if concurrency != base:
            medians = statistics.median(times[base]) / statistics.median(times[concurrency])
            print(f"concurrency {concurrency} / {base}: {best_rate[concurrency] / best_rate[base]:.2f}x (best), "
                  f"{medians:.2f}x (median)")
    floor = requests * args.latency
    print(f"floor at concurrency 1 (requests x latency): {floor:.2f} s")


if __name__ == "__main__":
    main()
