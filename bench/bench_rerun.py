"""The warm and cold paths a user waits for: a no-change rerun (the seed and a 10×
longer article), `duizhao segment` of a small file, and the peak memory of a cold run.

Prints figures; not a test. Run: .venv/bin/python bench/bench_rerun.py [--runs N]

Everything runs in a throw-away home under bench/.work/ (HOME, XDG folders,
``ARGOS_PACKAGES_DIR`` and ``DUIZHAO_CACHE``), so nothing of the user's is read or
written. Each timed command is a fresh ``python -m pipeline`` process, as a user
starts it: wall time from spawn to exit, and the child's peak resident memory
(``ru_maxrss`` from ``wait4``). The rounds are interleaved (seed, 10×, segment, ...)
so that a change in machine load affects every figure alike; best and median are
printed with the load average.

- reruns use a small generated Argos package (:func:`pipeline.testing.models.cached_argos_package`):
  after one run fills the caches, a rerun never calls the model;
- the cold runs use generated packages of a real model's size (Transformer base,
  int8, as in bench_engine.py) and empty caches, so their peak holds the model, its
  decoding buffers and the reading aids: one wired to end its translations as a
  trained model does, with the default batching (512 padded tokens), with batches of
  128 tokens (README.md's setting for a machine short of memory) and with the old
  default of 24 sentences, and one of plain random weights, which decodes every
  sentence to its length limit (so its time is an upper bound).
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

from pipeline.terms.glossary import placeholder_symbols


REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work"
SEED = REPO / "sources" / "taizhou.txt"
PLACEHOLDERS = placeholder_symbols()
SMALL_FILE = "台州市域铁路S1线正式开通运营，全长52.4公里，设车站15座。\n"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import BASE_MODEL, LENGTH_RATIO, OLD_SENTENCES, SAVING_TOKENS  # noqa: E402  (the shape of a real Argos zh→en model)
from figures import figure  # noqa: E402
from variants import longer  # noqa: E402


def isolated_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    # As on a user's machine: modules are compiled once, not on every start (this
    # workplace sets PYTHONDONTWRITEBYTECODE, which costs a run ~60 ms).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        HOME=str(home / "home"), XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"),
        XDG_CONFIG_HOME=str(home / "config"), ARGOS_PACKAGES_DIR=str(home / "packages"),
        DUIZHAO_CACHE=str(home / "cache" / "duizhao" / "translations.sqlite3"),
        ARGOS_PACKAGE_INDEX="http://127.0.0.1:9/",
    )
    for name in ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    return env


def timed(command: list[str], env: dict[str, str], cwd: Path = REPO) -> tuple[float, float]:
    """Seconds from spawn to exit and the child's peak RSS in MB."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.stderr:
        child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{errors}")
    return seconds, usage.ru_maxrss / 1024


def build(kwargs: str) -> Path:
    """A generated package, built (or found in bench/.work/) by a child process: this
    parent stays small, because a child's peak RSS includes what it was forked from."""
    code = ("import sys; from pathlib import Path; from pipeline.testing.models import cached_argos_package, "
            "generated_training_text; print(cached_argos_package(" + kwargs + "))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def base_package(**extra) -> Path:
    """The generated package of a real model's shape (:data:`BASE_MODEL`, plus
    ``extra``: ``length_ratio`` makes it end its translations), trained on the seed
    and generated text, built once into bench/.work/packages (by :func:`build`)."""
    text = (f"Path({str(SEED)!r}).read_text(encoding='utf-8') + "
            "generated_training_text(lines=3000, han_chars=600)")
    options = ", ".join(f"{k}={v!r}" for k, v in {**BASE_MODEL, **extra}.items())
    return build(f"Path({str(WORK / 'packages')!r}), training_text={text}, {options}")


def install(archive: Path, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "pipeline", "models", "install", "--file", str(archive)],
                   env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)


#: The targets of bench/README.md's table, by figure.
TARGETS = {"seed: no-change rerun": "≤ 0.3", "10x seed: no-change rerun": "≤ 0.8",
           "segment of a one-line file": "≤ 0.15"}


def report(label: str, samples: list[tuple[float, float]]) -> None:
    walls = [s for s, _ in samples]
    if label in TARGETS:
        figure(label, min(walls), statistics.median(walls), unit="s", target=TARGETS[label],
               options=f"{len(samples)} runs")
    print(f"{label:<34} best {min(walls):5.2f} s   median {statistics.median(walls):5.2f} s   "
          f"max {max(walls):5.2f} s   peak {max(r for _, r in samples):5.0f} MB   ({len(samples)} runs)")


def warm_paths(runs: int, home: Path) -> None:
    env = isolated_env(home)
    install(build(f"Path({str(WORK / 'rerun-package')!r}), user_defined_symbols={PLACEHOLDERS!r}"), env)
    ten = home / "taizhou10.txt"
    ten.write_text(longer(SEED.read_text(encoding="utf-8"), 10), encoding="utf-8")
    small = home / "small.txt"
    small.write_text(SMALL_FILE, encoding="utf-8")
    python = [sys.executable, "-m", "pipeline"]
    commands = {
        "seed: no-change rerun": [*python, "run", str(SEED), "-o", str(home / "out"), "--offline"],
        "10x seed: no-change rerun": [*python, "run", str(ten), "-o", str(home / "out"), "--offline"],
        "segment of a one-line file": [*python, "segment", str(small)],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    for name in ("seed: no-change rerun", "10x seed: no-change rerun"):
        seconds, rss = timed(commands[name], env)  # fills the caches
        print(f"{name.split(':')[0]}: first run (fills the caches)  {seconds:5.2f} s   peak {rss:5.0f} MB")
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(timed(command, env))
    for name, values in samples.items():
        report(name, values)


#: The cold runs: which generated model, and what batching (duizhao.toml's [engine]).
#: A model that ends its translations (after ~1.2x the source's tokens, as a trained
#: one does: bench_engine.py's) lets batches share their largest length limit, so it
#: decodes full batches of the seed's longest sentences: its peak is what a user of a
#: real model sees. Plain random weights decode to every limit, which splits batches
#: into runs of one limit: slower (an upper bound on time), smaller buffers.
COLD_RUNS = [
    ("ends like a trained model", {"length_ratio": LENGTH_RATIO}, "", 3),
    ("ends like a trained model", {"length_ratio": LENGTH_RATIO}, f"max_batch_size = {SAVING_TOKENS}", 3),
    ("ends like a trained model", {"length_ratio": LENGTH_RATIO},
     f'batch_type = "examples"\nmax_batch_size = {OLD_SENTENCES}', 2),
    ("random weights, decodes to its limits", {}, "", 2),
]


def cold_run(home: Path) -> None:
    """The seed on an empty cache with a base-size package, for each of
    :data:`COLD_RUNS`: peak memory and time of the whole run (model, decoding
    buffers, reading aids). Runs from a project folder holding the repository's
    glossary and the run's duizhao.toml."""
    top = home
    for number, (model, extra, engine, runs) in enumerate(COLD_RUNS):
        home = top / f"model-{number}"
        env = isolated_env(home)
        install(base_package(**extra), env)
        project = home / "project"
        shutil.rmtree(project, ignore_errors=True)
        shutil.copytree(REPO / "glossary", project / "glossary")
        if engine:
            (project / "duizhao.toml").write_text(f"[engine]\n{engine}\n", encoding="utf-8")
        samples = []
        for _ in range(runs):
            shutil.rmtree(home / "cache", ignore_errors=True)  # translations, reading aids, jieba's cache
            (home / "cache").mkdir()
            samples.append(timed([sys.executable, "-m", "pipeline", "run", str(SEED), "-o", str(home / "out"),
                                  "--offline"], env, cwd=project))
        batching = engine.replace("\n", ", ") or "default batching"
        label = f"seed: cold run, {model}, {batching}"
        walls, peaks = [s for s, _ in samples], [r for _, r in samples]
        print(f"{label}: time best {min(walls):5.2f} s median {statistics.median(walls):5.2f} s   "
              f"peak best {min(peaks):5.0f} MB median {statistics.median(peaks):5.0f} MB   ({runs} runs)")
        what = f"base-size model that {model.split(',')[0]}" if extra else "base-size model, random weights"
        figure(f"seed: cold run, peak memory ({what}, {batching})", min(peaks), statistics.median(peaks),
               unit="MB", target="≤ 170", options=f"{runs} runs")
        figure(f"seed: cold run, time ({what}, {batching})", min(walls), statistics.median(walls), unit="s",
               options=f"{runs} runs" + ("" if extra else "; an upper bound"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="interleaved rounds of timed runs (default 10)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold runs with the base-size models")
    parser.add_argument("--no-warm", action="store_true", help="skip the reruns and segment (cold runs only)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for step in (None if args.no_warm else lambda h: warm_paths(args.runs, h), None if args.no_cold else cold_run):
        if step is None:
            continue
        home = Path(tempfile.mkdtemp(prefix="bench-rerun-", dir=WORK))
        try:
            step(home)
        finally:
            shutil.rmtree(home, ignore_errors=True)
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
