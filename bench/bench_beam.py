"""Beam 4 (the default: argostranslate's English) against beam 2 (one line in
duizhao.toml: ``beam_size = 2``): how much faster the translation is.

Prints figures; not a test. Run: .venv/bin/python bench/bench_beam.py [--rounds N] [--never-ends]

Model: bench_engine.py's generated package of the published zh→en model's shape
(Transformer base, 32,000-token vocabulary, int8), which ends its translations
after about 1.2x the source's tokens as a trained model does (``--never-ends``:
random weights, every sentence decoded to the 256-token limit). Input: the seed's
sentences through ``ArgosEngine.translate`` (tokenising, batching, decoding,
detokenising), each arm warmed up once, then timed over interleaved rounds: wall
time and this process's CPU time (all threads; less disturbed by other work on a
busy machine).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import build_package, load_average, seed_sentences  # noqa: E402
from figures import figure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each arm (interleaved)")
    parser.add_argument("--never-ends", action="store_true", help="random weights: every sentence to the limit")
    args = parser.parse_args()

    from pipeline.core.decoding import DecodeOptions
    from pipeline.translate.engines.argos import ArgosEngine

    folder = build_package(args.never_ends)
    sentences = seed_sentences()
    arms = {beam: ArgosEngine(folder, replace(DecodeOptions(), beam_size=beam)) for beam in (4, 2)}
    times: dict[int, list[float]] = {beam: [] for beam in arms}
    cpu: dict[int, list[float]] = {beam: [] for beam in arms}
    for engine in arms.values():
        engine.translate(sentences)  # load and warm up
    print(f"{len(sentences)} sentences of the seed; load average before: {load_average()}")
    for number in range(args.rounds):
        order = list(arms) if number % 2 == 0 else list(arms)[::-1]
        for beam in order:
            start, start_cpu = time.perf_counter(), time.process_time()
            arms[beam].translate(sentences)
            times[beam].append(time.perf_counter() - start)
            cpu[beam].append(time.process_time() - start_cpu)
    for beam, seconds in times.items():
        print(f"beam {beam}: wall best {min(seconds):.2f} s, median {statistics.median(seconds):.2f} s "
              f"({len(sentences) / min(seconds):.1f} sentences/s); CPU (all threads) best {min(cpu[beam]):.2f} s, "
              f"median {statistics.median(cpu[beam]):.2f} s")
    speedup = [four / two for four, two in zip(times[4], times[2])]
    best, median = min(times[4]) / min(times[2]), statistics.median(speedup)
    cpu_best = min(cpu[4]) / min(cpu[2])
    cpu_median = statistics.median(four / two for four, two in zip(cpu[4], cpu[2]))
    kind = "random weights" if args.never_ends else "ends like a trained model"
    print(f"beam 2 is {best:.2f}x as fast as beam 4 in wall time (best runs; median of the rounds' ratios "
          f"{median:.2f}x), {cpu_best:.2f}x in CPU time (median {cpu_median:.2f}x); load average after: "
          f"{load_average()} (2 cores: above 2, other work slows the wall times)")
    options = f"python bench/bench_beam.py --rounds {args.rounds}" + (" --never-ends" if args.never_ends else "")
    figure(f"seed, base-size model ({kind}): beam 4 time", min(times[4]), statistics.median(times[4]), unit="s",
           options=options)
    figure(f"seed, base-size model ({kind}): beam 2 time", min(times[2]), statistics.median(times[2]), unit="s",
           options=options)
    figure(f"seed, base-size model ({kind}): beam 2 speed-up over beam 4, wall time", best, median, unit="x",
           options=options)
    figure(f"seed, base-size model ({kind}): beam 2 speed-up over beam 4, CPU time", cpu_best, cpu_median, unit="x",
           options=options)


if __name__ == "__main__":
    main()
