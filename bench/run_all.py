"""Run the benchmarks and rewrite the one table of figures in bench/README.md.

Run: .venv/bin/python bench/run_all.py [--only NAME,...] [--with-archive] [--no-readme]

Each benchmark runs as its own process with its usual options (listed in the
table), its whole report saved to bench/.work/run_all/<name>.txt and the figures
it records (bench/figures.py) to bench/.work/run_all/<name>.jsonl. The table
between the ``run_all`` markers of bench/README.md is then made from every
benchmark's latest figures on this machine (so ``--only rerun`` measures again
what a change touched and keeps the other rows), with the load average at the
time of each figure, when and at which commit each benchmark ran, and the cores.
bench_archive.py (about 40 minutes) runs only with --with-archive or --only archive.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work" / "run_all"
README = BENCH / "README.md"
BEGIN, END = "<!-- run_all: begin -->", "<!-- run_all: end -->"

#: name → the command's arguments after the script (what the table says it ran).
BENCHMARKS = {
    "startup": ["bench_startup.py"],
    "rerun": ["bench_rerun.py", "--runs", "6"],
    "segment": ["bench_segment.py", "--sizes", "1.2", "--rounds", "3"],
    "engine": ["bench_engine.py", "--rounds", "5", "--rounds-10x", "3"],
    "beam": ["bench_beam.py", "--rounds", "5"],
    "openai": ["bench_openai.py"],
    "review": ["bench_review.py", "--saves", "30", "--terms", "5"],
    "archive": ["bench_archive.py", "--rounds", "1"],
}
OPTIONAL = {"archive"}


def number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def command(name: str) -> str:
    return "python bench/" + " ".join(BENCHMARKS[name])


HEADER = ["| figure | best | median | unit | target | load | measured with | when, commit |",
          "|---|---|---|---|---|---|---|---|"]


def table_lines(rows: list[dict]) -> list[str]:
    lines = []
    for row in rows:
        options = command(row["bench"]) + (f" ({row['options']})" if row["options"] else "")
        lines.append(f"| {row['name']} | {number(row['best'])} | {number(row['median'])} | {row['unit']} "
                     f"| {row['target'] or '–'} | {row['load']:.1f} | `{options}` | {row.get('when', '–')}, {row.get('commit', '–')} |")
    return lines


def latest_lines(readme: str) -> list[str]:
    """Every benchmark's rows, in the order of BENCHMARKS: from its latest run here,
    else (not run on this machine, say a fresh clone) as the table in ``readme`` has them."""
    published = readme.partition(BEGIN)[2].partition(END)[0].splitlines()
    lines = []
    for name in BENCHMARKS:
        figures = WORK / f"{name}.jsonl"
        if figures.exists():
            rows = [dict(json.loads(line), bench=name) for line in figures.read_text(encoding="utf-8").splitlines()]
            lines.extend(table_lines(rows))
        else:
            lines.extend(line for line in published if f"| `{command(name)} (" in line or line.endswith(f"| `{command(name)}` |"))
    return lines


def commit() -> str:
    result = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                            capture_output=True, text=True, check=False)
    return result.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated names among {', '.join(BENCHMARKS)}")
    parser.add_argument("--with-archive", action="store_true", help="also run bench_archive.py (~40 min)")
    parser.add_argument("--no-readme", action="store_true", help="print the table, leave bench/README.md")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else [n for n in BENCHMARKS if n not in OPTIONAL or args.with_archive]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose among {', '.join(BENCHMARKS)}")

    WORK.mkdir(parents=True, exist_ok=True)
    at_commit = commit()
    failed = []
    for name in names:
        script = BENCHMARKS[name]
        figures = WORK / f"{name}.jsonl"
        scratch = WORK / f"{name}.new.jsonl"
        scratch.unlink(missing_ok=True)
        env = dict(os.environ, DUIZHAO_BENCH_FIGURES=str(scratch))
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a user's machine
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        print(f"== {command(name)}", flush=True)
        with (WORK / f"{name}.txt").open("w", encoding="utf-8") as report:
            code = subprocess.run([sys.executable, str(BENCH / script[0]), *script[1:]], cwd=REPO, env=env,
                                  stdout=report, stderr=subprocess.STDOUT, check=False).returncode
        if code:
            failed.append(f"{name} (exit {code}, see {(WORK / f'{name}.txt').relative_to(REPO)})")
            continue
        rows = [dict(json.loads(line), when=when, commit=at_commit)
                for line in scratch.read_text(encoding="utf-8").splitlines()] if scratch.exists() else []
        figures.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        scratch.unlink(missing_ok=True)

    text = (f"Generated by `python bench/run_all.py` ({os.cpu_count()} cores). Best and median are of each "
            "benchmark's timed runs; load is the 1-minute load average when the figure was taken (above 2 "
            "on this machine, other work slowed the figure, the wall-time medians most).\n\n"
            + "\n".join(HEADER + latest_lines(README.read_text(encoding="utf-8"))))
    print(text)
    if failed:
        print("failed: " + "; ".join(failed), file=sys.stderr)
    if not args.no_readme:
        readme = README.read_text(encoding="utf-8")
        head, _, rest = readme.partition(BEGIN)
        _, _, tail = rest.partition(END)
        README.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
