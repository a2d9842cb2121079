"""The README's examples, run exactly as written, as a newcomer runs them.

A copy of the project (its sources/, glossary/ and output/, as a fresh clone has
them) gets the set-up command's result: ``.venv`` (this test's environment, which
the set-up command would have made) and, in a home folder of its own, the zh→en
Argos model that the first run would install, a generated one (no real model is
needed). Then every command of every ``sh`` block runs, in README order, each in
a new shell (``bash -c``) that first runs the activation line the README gives
right after the set-up commands. Each ``toml`` block is saved as the project's
``duizhao.toml`` and read.

What an example needs from the user, the test provides first, as the README
describes it: a document in ``~/Downloads`` and an edits file saved from the
reader, a converted CTranslate2 model in ``~/models``, a reference TSV, llama.cpp's
``llama-server`` (a stand-in on PATH serving the loopback fake model on the
port it is given) and Ollama listening on its port. Only the commands listed in
:data:`NOT_RUN` are not run, each for the reason given there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO

README = REPO / "README.md"
#: The set-up command's first two steps, which this test does its own way (above).
SETUP = "python3 -m venv .venv && .venv/bin/pip install -q -e . && "
#: Commands that are not run, and why. A stale entry fails the test.
NOT_RUN = {
    "RAY_ADDRESS=ray://head-node:10001 duizhao run sources/ --backend ray":
        "needs a Ray cluster reachable as head-node (tests/test_ray.py runs the backend on a local one)",
}
#: Exit statuses an example may end with besides 0, as the README says.
STATUS = {
    "duizhao check sources/ --fail-on error": {0, 1},  # 1: an error flag (the generated model makes some)
}
#: Where the examples' servers listen: llama-server's --port and Ollama's default.
LLAMA_PORT, OLLAMA_PORT = 8080, 11434


@dataclass
class Example:
    line: int  # in README.md
    command: str
    block: int


def readme() -> str:
    return README.read_text(encoding="utf-8")


def blocks(text: str, language: str) -> list[tuple[int, str]]:
    """``(line, body)`` of each fenced block of ``language``, but the test command's."""
    found = []
    for match in re.finditer(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        if before.strip() == "<!-- test-command -->":
            continue
        found.append((text.count("\n", 0, match.start()) + 2, match.group(1)))
    return found


def examples(text: str) -> list[Example]:
    """Every command of the ``sh`` blocks: continued lines joined, comment lines left out."""
    out = []
    for number, (line, body) in enumerate(blocks(text, "sh")):
        pending, start = "", line
        for offset, row in enumerate(body.splitlines()):
            if not pending:
                start = line + offset
            if not pending and (not row.strip() or row.lstrip().startswith("#")):
                continue
            if row.rstrip().endswith("\\"):
                pending += row.rstrip()[:-1] + " "
                continue
            out.append(Example(start, pending + row.strip(), number))
            pending = ""
    return out


def serve_once(shell: list[str], project: Path, env: dict[str, str], line: int) -> subprocess.CompletedProcess:
    """Run a server example (``duizhao review``, ``duizhao serve``) as the user does:
    wait for the URL it prints, open it (200, a page duizhao made), then Ctrl-C it.
    What it printed."""
    import http.cookiejar
    import urllib.request

    process = subprocess.Popen(shell, cwd=project, env={**env, "BROWSER": "true", "PYTHONUNBUFFERED": "1"}, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed = []
    try:
        for row in process.stdout:
            printed.append(row)
            url = re.search(r"http://127\.0\.0\.1:\d+/\S*", row)
            if url:
                browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
                with browser.open(url.group(0), timeout=60) as answer:  # the token becomes a cookie
                    page = answer.read().decode("utf-8")
                assert answer.status == 200 and 'name="generator" content="duizhao' in page, f"README.md:{line}"
                break
        else:
            raise AssertionError(f"README.md:{line}: no URL printed\n{''.join(printed)}")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    out = "".join(printed) + rest
    assert "Traceback" not in out, f"README.md:{line}\n{out}"
    return subprocess.CompletedProcess(shell, 0, out, "")


#: The port the README's API examples name.
REVIEW_PORT = 40117


def review_in_background(project: Path, env: dict[str, str], activate: str,
                         background: list[subprocess.Popen]) -> str:
    """``duizhao review`` on the API examples' port, left running; its token."""
    assert port_free(REVIEW_PORT), f"127.0.0.1:{REVIEW_PORT} is taken: the README's API examples use it"
    process = subprocess.Popen(["bash", "-c", f"{activate} && duizhao review sources/ --port {REVIEW_PORT} --no-open"],
                               cwd=project, env={**env, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    background.append(process)
    for row in process.stdout:
        token = re.search(r"[?&]token=([\w-]+)", row)
        if token:
            return token.group(1)
    raise AssertionError("duizhao review printed no URL")


def activation(text: str) -> str:
    """The line the README says to run in every new shell, right after the set-up commands."""
    after = text.split("<!-- test-command -->", 1)[1].split("```", 2)[2]
    paragraph = after.strip().split("\n\n", 1)[0]
    found = re.search(r"in every new one, first run `([^`]+)`", paragraph.replace("\n", " "))
    assert found, "the README must say, right after the set-up commands, what to run in a new shell"
    return found.group(1)


def wait_for_port(port: int, process: subprocess.Popen | None = None, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert process is None or process.poll() is None, f"the server for port {port} stopped"
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


#: Stands in for llama.cpp's server: the loopback fake model, named by --alias, on --port.
LLAMA_SERVER = '''#!{python}
import argparse, threading
from pipeline.testing.llm import FakeLLM
parser = argparse.ArgumentParser()
parser.add_argument("-m"); parser.add_argument("--alias"); parser.add_argument("--port", type=int)
parser.add_argument("-np"); parser.add_argument("-c")
args = parser.parse_args()
FakeLLM(models=(args.alias,), port=args.port).start()
threading.Event().wait()
'''


@pytest.fixture
def clone(tmp_path, run_package) -> tuple[Path, dict[str, str]]:
    """A fresh copy of the project after the set-up command, and a new shell's
    environment: a home of its own, the system PATH and the user's programs."""
    from pipeline.testing.models import cached_ct2_model, extract_package

    project, home, programs = tmp_path / "duizhao", tmp_path / "home", tmp_path / "programs"
    for folder in ("sources", "glossary"):
        shutil.copytree(REPO / folder, project / folder)
    (project / "output").mkdir()
    (project / "output" / ".gitkeep").touch()
    (project / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    assert (project / ".venv" / "bin" / "activate").is_file(), f"run the tests in a virtual environment ({sys.prefix})"
    # What the first run installs: the zh→en model, in Argos's folder under this home.
    extract_package(run_package, home / ".local" / "share" / "argos-translate" / "packages")
    # What the examples' comments say the user has: their own files, a converted model.
    (home / "Downloads").mkdir(parents=True)
    (home / "Downloads" / "new.txt").write_text("台州港的新码头\n\n台州港今年的吞吐量增长了12%。港口很忙。\n",
                                                encoding="utf-8")
    models = tmp_path / "builds"
    nllb = cached_ct2_model(models, "nllb", layers=1, d_model=32, heads=2, ffn=64, vocab_size=300,
                            length_ratio=1.5)
    shutil.copytree(nllb, home / "models" / "nllb-600m-int8")
    programs.mkdir()
    (programs / "llama-server").write_text(LLAMA_SERVER.format(python=sys.executable), encoding="utf-8")
    (programs / "llama-server").chmod(0o755)
    env = {"HOME": str(home), "PATH": f"{programs}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/",  # never the network, even by mistake
           "TMPDIR": str(tmp_path)}
    return project, env


def reader_edits_file(project: Path, path: Path) -> None:
    """What Save edits in the reader downloads: one sentence corrected."""
    import json

    document = json.loads((project / "output" / "taizhou.json").read_text(encoding="utf-8"))
    sentence = next(s for b in document["blocks"] for s in b["sentences"] if s.get("translation"))
    path.write_text(f"# duizhao edits for {document['source']}\nsource\tmachine\tenglish\n"
                    f"{sentence['text']}\t{sentence['translation']}\tA corrected sentence.\n", encoding="utf-8")


def reference_tsv(project: Path) -> None:
    """The user's reference translations of a few of the seed's sentences."""
    from pipeline.read import load_document

    sentences = [s.text for s in load_document(project / "sources" / "taizhou.txt").sentences()][:8]
    rows = [f"{zh}\tReference sentence number {n}." for n, zh in enumerate(sentences, start=1)]
    (project / "taizhou-reference.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def memoq_tmx(project: Path) -> None:
    """A TMX the user exported from memoQ (UTF-16, as memoQ writes it): two of the seed's sentences."""
    from xml.sax.saxutils import escape

    from pipeline.read import load_document

    sentences = [s.text for s in load_document(project / "sources" / "taizhou.txt").sentences()][8:10]
    units = "".join(f'<tu><tuv xml:lang="zh-CN"><seg>{escape(zh)}</seg></tuv>'
                    f'<tuv xml:lang="en-US"><seg>Sentence {n} from memoQ.</seg></tuv></tu>\n'
                    for n, zh in enumerate(sentences, start=1))
    tmx = ('<?xml version="1.0" encoding="UTF-16"?>\n<tmx version="1.4"><header creationtool="memoQ" '
           'creationtoolversion="11" segtype="sentence" o-tmf="memoQTM" adminlang="en-us" srclang="zh-CN" '
           f'datatype="plaintext"/><body>\n{units}</body></tmx>\n')
    (project / "memoq-export.tmx").write_text(tmx, encoding="utf-16")


def test_every_readme_example_runs_as_written_in_a_new_shell(clone):
    from pipeline.testing.llm import FakeLLM

    project, env = clone
    text = readme()
    activate = activation(text)
    found = examples(text)
    assert found[0].command.startswith(SETUP), "the README starts with the set-up command"
    found[0].command = found[0].command.removeprefix(SETUP)
    assert set(NOT_RUN) <= {e.command.split("#")[0].strip() for e in found}, "NOT_RUN names a command not in the README"
    for port in (LLAMA_PORT, OLLAMA_PORT):
        assert port_free(port), f"127.0.0.1:{port} is taken: this test plays the README's servers there"
    reference_tsv(project)
    memoq_tmx(project)
    background: list[subprocess.Popen] = []
    ollama = FakeLLM(models=("qwen2.5:7b",), port=OLLAMA_PORT).start()  # `ollama serve`, the model pulled
    ran = []
    try:
        for example in found:
            command = example.command.split(" #")[0].strip()
            if command in NOT_RUN:
                continue
            if "edits import" in command:  # the reader's Save edits, before it (the comment above it)
                reader_edits_file(project, Path(env["HOME"]) / "Downloads" / "taizhou.edits.tsv")
            shell = ["bash", "-c", f"{activate} && {example.command}"]
            if command.endswith("&"):
                background.append(subprocess.Popen(shell, cwd=project, env=env, start_new_session=True,
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                wait_for_port(LLAMA_PORT)  # as the user waits for the server to load its model
                continue
            if "$TOKEN" in command and "TOKEN" not in env:  # the API examples: a workspace on their port
                env = {**env, "TOKEN": review_in_background(project, env, activate, background)}
            if command.split()[:2] in (["duizhao", "review"], ["duizhao", "serve"]):
                ran.append((command, serve_once(shell, project, env, example.line)))
                continue
            done = subprocess.run(shell, cwd=project, env=env, capture_output=True, text=True, timeout=600)
            where = f"README.md:{example.line}: {example.command}\n{done.stdout}{done.stderr}"
            assert done.returncode in STATUS.get(command, {0}), where
            assert "Traceback" not in done.stdout + done.stderr, where
            assert "command not found" not in done.stderr, where
            if done.returncode == 0:
                assert not re.search(r"^Error:", done.stdout + done.stderr, flags=re.M), where
            if command.startswith("curl"):  # the API answered, and not with an error
                answer = json.loads(done.stdout)
                assert isinstance(answer, dict) and "error" not in answer and answer["file"] == "taizhou.html", where
            ran.append((command, done))
    finally:
        for process in background:
            os.killpg(process.pid, signal.SIGTERM)
            process.communicate(timeout=10)  # closes its pipe, if it has one
        ollama.close()
    outputs = {p.relative_to(project / "output").as_posix() for p in (project / "output").rglob("*.html")}
    # What the examples say they do.
    assert {"index.html", "taizhou.html", "2024/new.html"} <= outputs and "new.html" not in outputs
    library = (project / "output" / "index.html").read_text(encoding="utf-8")
    assert library.count('data-source="sources/2024/new.txt"') == 1
    runs = [done.stdout for command, done in ran if command == "duizhao run sources/taizhou.txt"]
    assert ", 1 post-edit applied" not in runs[0] and ", 1 post-edit applied" in runs[1]  # the user's loop
    assert (project / "sources" / "taizhou.edits.tsv").is_file()
    openai = [done.stdout for command, done in ran
              if command.startswith("duizhao run") and "--engine openai" in command]
    assert len(openai) == 2 and all(" requests (" in out.splitlines()[-1] for out in openai)
    evaluation = next(done.stdout for command, done in ran if command.startswith("duizhao eval"))
    assert re.search(r"^argos +\d", evaluation, flags=re.M) and re.search(r"^openai:hy-mt1.5-1.8b +\d", evaluation,
                                                                        flags=re.M)
    assert re.search(r"^ctranslate2:~/models/nllb-600m-int8 +\d", evaluation, flags=re.M)


def test_every_readme_project_file_can_be_saved_as_it_is(clone):
    """Each duizhao.toml example, saved as the project's file: read without an
    error, every file it names there (but a model the user converts or pulls
    themselves); the first, the project's folders only, runs the seed."""
    project, env = clone
    activate = activation(readme())
    examples_ = blocks(readme(), "toml")
    assert len(examples_) >= 4
    for number, (line, body) in enumerate(examples_):
        (project / "duizhao.toml").write_text(body, encoding="utf-8")
        config = subprocess.run(["bash", "-c", f"{activate} && duizhao config"], cwd=project, env=env,
                                capture_output=True, text=True, timeout=120)
        where = f"README.md:{line}\n{config.stdout}{config.stderr}"
        assert config.returncode == 0 and config.stdout.startswith(f"Project file: {project / 'duizhao.toml'}"), where
        missing = [row for row in config.stdout.splitlines() if "(missing)" in row]
        assert all(row.startswith("engine.model ") for row in missing), where
        if number == 0:
            assert not missing, where
            run = subprocess.run(["bash", "-c", f"{activate} && duizhao run sources/taizhou.txt"], cwd=project,
                                 env=env, capture_output=True, text=True, timeout=600)
            assert run.returncode == 0 and "Warning" not in run.stderr, f"{where}\n{run.stdout}{run.stderr}"
            # The example's formats, under the project's output folder.
            assert run.stdout.splitlines()[-1].endswith(
                "→ output/taizhou.json, output/taizhou.html, output/taizhou.en.docx"), run.stdout
