"""Many documents in one run: cost per document at N = 10, 100, 1000, against N
separate runs, the pipeline's own share, --jobs, and the Ray backend.

Prints figures; not a test. Run: .venv/bin/python bench/bench_archive.py [--rounds R] [--no-1000] [--no-ray]
[--only N=100,base,ray] (only the runs named: N=10, N=100, base, jobs, ray, separate, N=1000)

The archive is made from the seed and the test article: document k is a run of
the seed's paragraphs (a different run for each k, under the seed's title) or the
Markdown test article, tagged with :func:`variants.variant` so no sentence of one
document is a sentence of another (neither segmentation nor the cache can dedupe).
Every timed command is a fresh ``python -m pipeline run`` on an empty translation
cache, in a throw-away home (bench_rerun.isolated_env): wall time spawn to exit
and the child's peak RSS (``ru_maxrss`` from ``wait4``). The child also reports
the seconds during which the engine's ``translate`` runs (wall time with at least
one call running: the local backend overlaps the calls of two chunks, whose summed
durations would count the overlap twice) and inside the translation
stage (``run.translate_documents``: cache look-ups, batching, restoring terms),
so the pipeline's own overhead is wall time minus engine time.

The model of most runs is the small generated package of bench_rerun.py: its
translations take a few milliseconds a sentence, far less than a real model's, so
it shows the pipeline's own costs at their largest share. "N=100, base-size model"
runs the same archive on a generated package of a real model's size and speed
(Transformer base, int8, wired to end its translations after ~1.2x the source's
tokens as a trained model does: bench_engine.py's): the pipeline's share of a run
as a user of the default engine sees it.

Rounds are interleaved (N = 10, 100, separate processes, --jobs 2, Ray, ...), so a
change in machine load affects every figure alike; best and median are printed
with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rerun import (  # noqa: E402
    LENGTH_RATIO, PLACEHOLDERS, REPO, SEED, WORK, base_package, build, install, isolated_env, timed)
from figures import figure  # noqa: E402
from variants import variant  # noqa: E402

ARTICLE = REPO / "tests" / "data" / "article.md"
#: Paragraphs of the seed per seed-made document (about 30 sentences).
PARAGRAPHS = 14

#: Run in the child in place of `python -m pipeline`: the CLI, with the time
#: spent in the engine (wall time while any engine call runs) and in the
#: translation stage written to $BENCH_TIMES at exit.
CHILD = """
import atexit, json, os, sys, threading, time
from pipeline import run as stages
from pipeline.translate.engines import argos
spent = {"engine": 0.0, "stage": 0.0, "engine_calls": 0.0}
busy = {"calls": 0, "since": 0.0}
lock = threading.Lock()
def timing(function, key):
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - start
    return timed
def engine_time(function):
    # Wall time while at least one engine call runs: the local backend overlaps two
    # chunks' calls, whose summed durations would count the overlap twice.
    def timed(*args, **kwargs):
        start = time.perf_counter()
        with lock:
            busy["calls"] += 1
            if busy["calls"] == 1:
                busy["since"] = start
        try:
            return function(*args, **kwargs)
        finally:
            end = time.perf_counter()
            with lock:
                spent["engine_calls"] += end - start
                busy["calls"] -= 1
                if busy["calls"] == 0:
                    spent["engine"] += end - busy["since"]
    return timed
argos.ArgosEngine.translate = engine_time(argos.ArgosEngine.translate)
stages.translate_documents = timing(stages.translate_documents, "stage")
atexit.register(lambda: open(os.environ["BENCH_TIMES"], "w").write(json.dumps(spent)))
from pipeline.cli import main
sys.argv = ["duizhao", *sys.argv[1:]]
main()
"""

def make_archive(folder: Path, count: int) -> int:
    """``count`` documents under ``folder`` (ten per subfolder); returns their sentences."""
    from pipeline.read import load_document

    shutil.rmtree(folder, ignore_errors=True)
    seed = SEED.read_text(encoding="utf-8").strip().split("\n\n")
    title, paragraphs = seed[0], [p for p in seed[1:] if p.strip()]
    article = ARTICLE.read_text(encoding="utf-8")
    sentences = 0
    for k in range(1, count + 1):
        if k % 5 == 0:
            text, suffix = variant(article, k), ".md"
        else:
            start = (k * 7) % len(paragraphs)
            run = (paragraphs + paragraphs)[start : start + PARAGRAPHS]
            text, suffix = variant("\n\n".join([title, *run]) + "\n", k), ".txt"
        path = folder / f"{k // 10:03}" / f"d{k:04}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        sentences += len(load_document(path).sentences())
    return sentences


def made(folder: Path, count: int) -> int:
    """:func:`make_archive` in a child: the parent stays small (see bench_rerun.build)."""
    import subprocess

    code = f"import bench_archive; print(bench_archive.make_archive(__import__('pathlib').Path({str(folder)!r}), {count}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent, check=True, capture_output=True,
                         text=True)
    return int(out.stdout.strip().splitlines()[-1])


def run_once(home: Path, args: list[str]) -> dict[str, float]:
    """One fresh `duizhao run` on an empty cache: wall, peak MB, engine and stage seconds."""
    env = isolated_env(home)
    cache = Path(env["DUIZHAO_CACHE"])
    for stale in cache.parent.glob(cache.name + "*"):
        stale.unlink()
    shutil.rmtree(home / "out", ignore_errors=True)
    env["BENCH_TIMES"] = str(home / "times.json")
    wall, peak = timed([sys.executable, "-c", CHILD, "run", *args, "-o", str(home / "out"), "--offline"], env)
    spent = json.loads((home / "times.json").read_text(encoding="utf-8"))
    return {"wall": wall, "peak": peak, **spent}


def separate_runs(home: Path, folder: Path) -> dict[str, float]:
    """The same documents as one `duizhao run DOC` process each, on one cache."""
    env = isolated_env(home)
    cache = Path(env["DUIZHAO_CACHE"])
    for stale in cache.parent.glob(cache.name + "*"):
        stale.unlink()
    shutil.rmtree(home / "out", ignore_errors=True)
    total, peak = 0.0, 0.0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        wall, rss = timed([sys.executable, "-m", "pipeline", "run", str(path), "-o", str(home / "out"),
                           "--offline"], env)
        total += wall
        peak = max(peak, rss)
    return {"wall": total, "peak": peak}


def line(label: str, samples: list[dict[str, float]], sentences: int, documents: int) -> str:
    walls = [s["wall"] for s in samples]
    best, median = min(walls), statistics.median(walls)
    text = (f"{label:<30} best {best:7.2f} s  median {median:7.2f} s  {sentences / best:7.1f} sentences/s  "
            f"{best / documents * 1000:6.1f} ms/document  peak {max(s['peak'] for s in samples):5.0f} MB")
    if samples[0].get("engine") and "ray" not in label:  # with Ray the engine runs in the actors (and the
        # driver's engine only until the cluster is there)
        overhead = [1 - s["engine"] / s["wall"] for s in samples]
        text += f"  overhead {min(overhead):5.1%}"
    return text


BASE_RUN = "N=100, base-size model"
#: The runs --only can choose, by short name.
RUNS = {"N=10": "N=10", "N=100": "N=100", "base": BASE_RUN, "jobs": "N=100 --jobs 2", "ray": "N=100 --backend ray",
        "separate": "N=100 separate processes", "N=1000": "N=1000"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2; N = 1000 runs once)")
    parser.add_argument("--no-1000", dest="big", action="store_false", help="skip N = 1000")
    parser.add_argument("--no-ray", dest="ray", action="store_false", help="skip the Ray backend")
    parser.add_argument("--only", type=lambda text: set(text.split(",")), default=None,
                        help=f"comma-separated runs to make, of {','.join(RUNS)} (default: all)")
    options = parser.parse_args()
    wanted = set(RUNS) if options.only is None else options.only
    if wanted - set(RUNS):
        parser.error(f"--only: unknown run {', '.join(sorted(wanted - set(RUNS)))}; choose from {','.join(RUNS)}")
    options.big = options.big and "N=1000" in wanted
    options.ray = options.ray and "ray" in wanted

    load_before = os.getloadavg()
    home = WORK / "archive-home"
    shutil.rmtree(home, ignore_errors=True)
    small = build(f"Path({str(WORK / 'rerun-package')!r}), user_defined_symbols={PLACEHOLDERS!r}")
    install(small, isolated_env(home))
    needed = {10, 1000} if options.big else {10}
    if wanted - {"N=10", "N=1000"}:
        needed.add(100)
    archives = {n: WORK / f"archive-{n}" for n in sorted(needed)}
    sentences = {n: made(folder, n) for n, folder in archives.items()}
    print("archives: " + ", ".join(f"N={n}: {sentences[n]} sentences" for n in archives))
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")

    runs = {"N=10": (10, []), "N=100": (100, []), "N=100 --jobs 2": (100, ["--jobs", "2"])}
    if options.ray:
        runs["N=100 --backend ray"] = (100, ["--backend", "ray"])
    variants = {name: (n, [str(archives[n]), *args]) for name, (n, args) in runs.items()
                if name in {RUNS[w] for w in wanted}}
    homes = {name: home for name in variants}
    if "base" in wanted:
        variants[BASE_RUN] = (100, [str(archives[100])])
        homes[BASE_RUN] = WORK / "archive-base-home"
        shutil.rmtree(homes[BASE_RUN], ignore_errors=True)
        install(base_package(length_ratio=LENGTH_RATIO), isolated_env(homes[BASE_RUN]))
    separate = "separate" in wanted
    for warm in {*homes.values(), home}:
        run_once(warm, [str(archives[10])])  # warm: imports, page caches, the model file
    samples: dict[str, list[dict[str, float]]] = {
        name: [] for name in [*variants, *(["N=100 separate processes"] if separate else [])]}
    for _ in range(options.rounds):
        for name, (_, args) in variants.items():
            samples[name].append(run_once(homes[name], args))
        if separate:
            samples["N=100 separate processes"].append(separate_runs(home, archives[100]))
    if options.big:
        samples["N=1000"] = [run_once(home, [str(archives[1000])])]
        variants["N=1000"] = (1000, [str(archives[1000])])
    variants["N=100 separate processes"] = (100, [])

    print()
    for name, values in samples.items():
        n = variants[name][0]
        print(line(name, values, sentences[n], n))
        walls = [s["wall"] for s in values]
        figure(f"archive {name}: wall time", min(walls), statistics.median(walls) if len(walls) > 1 else None,
               unit="s", options=f"{len(walls)} runs, {n} documents, {sentences[n]} sentences")

    def best(name: str, key: str = "wall") -> float:
        return min(s[key] for s in samples[name])

    print()
    one = best("N=100") if "N=100" in samples else None
    if one is not None and separate:
        print(f"one process vs separate processes at N=100: {best('N=100 separate processes') / one:.1f}x faster "
              "(target >= 5x)")
        figure("archive N=100: one process vs separate processes", best("N=100 separate processes") / one,
               unit="x faster", target="≥ 5", options="best of each")
    if options.big and one is not None:
        ratio = (best("N=1000") / 1000) / (one / 100)
        print(f"time per document N=1000 / N=100: {ratio:.2f} (target <= 1.2)")
        print(f"peak RSS N=1000 / N=100: {best('N=1000', 'peak') / best('N=100', 'peak'):.2f} (target <= 1.5)")
        figure("archive: time per document, N=1000 / N=100", ratio, unit="ratio", target="≤ 1.2", options="best")
        figure("archive: peak RSS, N=1000 / N=100", best("N=1000", "peak") / best("N=100", "peak"), unit="ratio",
               target="≤ 1.5", options="best")
    if one is not None and "N=100 --jobs 2" in samples:
        print(f"--jobs 2 vs --jobs 1 at N=100: {one / best('N=100 --jobs 2'):.2f}x")
    if one is not None:
        shares(samples, sentences, options.ray)
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")


def shares(samples: dict[str, list[dict[str, float]]], sentences: dict[int, int], ray: bool) -> None:
    """The pipeline's own share of N=100 (small and base-size model), and Ray
    against the local backend, with what an added worker gives."""

    def best(name: str, key: str = "wall") -> float:
        return min(s[key] for s in samples[name])

    def own(name: str, model: str, target: str) -> tuple[float, float]:
        """The fastest run's own seconds and engine rate; the share as a figure."""
        fastest = min(samples[name], key=lambda s: s["wall"])
        seconds = fastest["wall"] - fastest["engine"]
        print(f"pipeline's own time at N=100 (wall - engine), {model}: {seconds:.2f} s of {fastest['wall']:.2f} s "
              f"({seconds / fastest['wall']:.1%}; the engine {sentences[100] / fastest['engine']:.0f} sentences/s)")
        values = [100 * (1 - s["engine"] / s["wall"]) for s in samples[name]]
        figure(f"archive N=100: pipeline's own share of the run ({model})", min(values),
               statistics.median(values) if len(values) > 1 else None, unit="%", target=target,
               options="(wall - engine busy) / wall")
        return seconds, sentences[100] / fastest["engine"]

    small_own, _ = own("N=100", "small model", "")
    base_rate = None
    if BASE_RUN in samples:
        _, base_rate = own(BASE_RUN, "base-size model", "< 15")
    if not ray:
        return
    ray_stage, local_stage = best("N=100 --backend ray", "stage"), best("N=100", "stage")
    one = best("N=100")
    print(f"Ray (local cluster, 1 actor of 2 CPUs) vs local backend at N=100: "
          f"wall {one / best('N=100 --backend ray'):.2f}x, translation stage {local_stage / ray_stage:.2f}x "
          f"(target >= 0.8)")
    figure("archive N=100: Ray (local cluster) / local backend throughput", one / best("N=100 --backend ray"),
           unit="ratio", target="≥ 0.8", options="wall, best of each")
    actor_rate, driver_rate = sentences[100] / ray_stage, sentences[100] / small_own
    text = (f"per actor: {actor_rate:.0f} sentences/s in the translation stage with the small model; the driver's "
            f"own work (reading, checking, rendering) runs at {driver_rate:.0f} sentences/s")
    if base_rate is not None:
        text += (f"; with the base-size model an actor of 2 CPUs gives about {base_rate:.0f} sentences/s, so each "
                 f"added worker of C cores adds about {base_rate / 2:.0f} x C sentences/s, until the driver is the "
                 f"limit: about {driver_rate / base_rate:.0f} actors")
    print(text)


if __name__ == "__main__":
    main()
