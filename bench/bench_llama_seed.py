"""The seed against a real llama.cpp server whose model loops on some sentences
and answers nothing on others: the run goes to the end, and the rerun asks only
for what failed. Prints each run's last line and time; not a test
(tests/test_openai_llama.py checks the same run).

Run: .venv/bin/python bench/bench_llama_seed.py [--n-ctx 2048]

Server: llama-cpp-python's ``python -m llama_cpp.server`` on 127.0.0.1 (one request
at a time), serving a tiny model written by pipeline.testing.gguf: a sentence
ending in ” or … gets a never-ending answer (stopped by max_tokens), one ending
in 摄 or 图 (the seed's photo credits) an empty one, any other "Translated
text.". The runs are the real command line, each in its own process, with a
fresh translation cache, the shipped glossary, into bench/.work/llama-seed/.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WORK = REPO / "bench" / ".work" / "llama-seed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-ctx", type=int, default=2048, help="the server's context (a multiple of 256)")
    args = parser.parse_args()

    from pipeline.testing.gguf import DEFAULT, Loop, write_model
    from pipeline.testing.llama import LlamaServer

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    model = WORK / "bigram.gguf"
    write_model(model, {"”": Loop("la "), "…": Loop("la "), "摄": "", "图": "", DEFAULT: "Translated text."})
    with LlamaServer(model, n_ctx=args.n_ctx, log=WORK / "server.log") as server:
        command = [sys.executable, "-m", "pipeline", "run", str(REPO / "sources" / "taizhou.txt"), "-o",
                   str(WORK / "out"), "--cache", str(WORK / "cache.sqlite3"), "-g", str(REPO / "glossary"),
                   "--engine", "openai", "--model", "test-model", "--base-url", server.url]
        print("$ " + " ".join(command[2:]).replace(str(REPO) + "/", ""))
        for name in ("first run", "rerun"):
            start = time.perf_counter()
            done = subprocess.run(command, cwd=WORK, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            warnings = [line for line in done.stderr.splitlines() if line.startswith("Warning:")]
            print(f"\n{name}: exit status {done.returncode}, {seconds:.1f} s wall (the process), "
                  f"{len(warnings)} warning lines")
            for line in done.stdout.strip().splitlines()[-2:]:
                print("  " + line)


if __name__ == "__main__":
    main()
