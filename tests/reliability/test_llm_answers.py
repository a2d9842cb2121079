"""What an LLM server sends is outside data (issue 31, point 4): a body that
trickles, a body without end or of 60 MB, JSON nested past Python's limit, a lone
surrogate that no UTF-8 file can hold, an answer built to make a pattern
backtrack. Each is bounded or cleaned: the sentence is flagged, the document is
written, the run goes on. Each bound has a stress case that would fail without
it: it counts what the server got out (bytes), not seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.testing.llm import FakeLLM, fake_translate
from pipeline.translate.engines.openai import MAX_ANSWER_BYTES

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")
HOSTILE = "今年很好。"


@pytest.fixture
def llm():
    with FakeLLM() as server:
        yield server


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "doc.txt"
    path.write_text(f"港口很大。\n\n{HOSTILE}\n\n港口很新。\n", encoding="utf-8")
    return path


def run(llm, source: Path, tmp_path: Path, *, timeout: float = 30, retries: int = 0):
    (tmp_path / "duizhao.toml").write_text(f"[engine]\ntimeout = {timeout}\nretries = {retries}\n", encoding="utf-8")
    return CliRunner().invoke(cli, ["run", str(source), "-o", str(tmp_path / "out"), "--cache",
                                    str(tmp_path / "c.sqlite3"), "--engine", "openai", "--model", "test-model",
                                    "--base-url", llm.url])


def sentences(tmp_path: Path) -> list[dict]:
    data = json.loads((tmp_path / "out" / "doc.json").read_text(encoding="utf-8"))
    return [s for b in data["blocks"] for s in b["sentences"]]


def failed_with(tmp_path: Path, words: str) -> None:
    """The hostile sentence is flagged with ``words``; the others are translated."""
    first, hostile, last = sentences(tmp_path)
    assert first["translation"] == fake_translate("港口很大。", {}) and last["translation"]
    (flag,) = [f for f in hostile["flags"] if f["code"] == "engine-failed"]
    assert words in flag["message"] and "\n" not in flag["message"], flag["message"]


@survives
@pytest.mark.parametrize("behaviour", ["huge:60", "endless"], ids=["60-MB-answer", "endless-answer"])
def test_an_answer_larger_than_the_cap_is_cut_off_unread(llm, source, tmp_path, monkeypatch, behaviour):
    """Without the cap the engine would read all 60 MB (or for ever); with it the
    server gets out the cap and what the sockets buffer, and the sentence is flagged."""
    monkeypatch.chdir(tmp_path)
    llm.fail_on[HOSTILE] = behaviour
    result = run(llm, source, tmp_path)
    assert result.exit_code == 0, result.output
    failed_with(tmp_path, f"the answer is larger than {MAX_ANSWER_BYTES // 1024} KiB; it was cut off")
    (sent,) = llm.sent_bodies()
    assert MAX_ANSWER_BYTES < sent < MAX_ANSWER_BYTES + 16 * 1024 * 1024


@survives
def test_a_trickling_answer_is_given_up_at_the_deadline_not_at_its_end(llm, source, tmp_path, monkeypatch):
    """A byte every 50 ms keeps every read under any per-read timeout: 400 bytes
    take 20 s. The deadline of 1 s for the whole answer closes it after a few
    dozen bytes."""
    monkeypatch.chdir(tmp_path)
    llm.fail_on[HOSTILE] = "trickle:0.05:400"
    result = run(llm, source, tmp_path, timeout=1)
    assert result.exit_code == 0, result.output
    failed_with(tmp_path, "no complete answer within 1 s (1 try; raise timeout in [engine] of duizhao.toml")
    (sent,) = llm.sent_bodies()
    assert sent < 100  # of 400: the client hung up at its deadline


@survives
def test_json_nested_past_the_parsers_limit_is_a_failed_answer(llm, source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    llm.fail_on[HOSTILE] = "nested:200000"  # 400 KB: under the size cap, far past the recursion limit
    result = run(llm, source, tmp_path)
    assert result.exit_code == 0, result.output
    failed_with(tmp_path, "the answer's JSON is nested too deeply to read")


@survives
def test_a_lone_surrogate_in_the_answer_is_stored_as_u_fffd(llm, source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    llm.fail_on[HOSTILE] = "surrogate"
    result = run(llm, source, tmp_path)
    assert result.exit_code == 0, result.output
    assert sentences(tmp_path)[1]["translation"] == "The port \ufffd is big."
    made = len(llm.requests)
    again = run(llm, source, tmp_path)  # from the cache: it was stored
    assert again.exit_code == 0 and len(llm.requests) == made


@survives
@pytest.mark.parametrize("answer", [
    "Here is" + " " * 400_000 + "x",
    "Translation" + " " * 400_000 + "x",
    "<think>" * 100_000,
    "Port (note" + " " * 400_000 + "x",
    "ok\n" + "*" * 400_000 + "x",
], ids=["label-spaces", "translation-spaces", "unclosed-think", "note-spaces", "note-stars"])
def test_an_answer_built_to_make_cleaning_backtrack_is_read_in_one_pass(llm, source, tmp_path, monkeypatch,
                                                                      answer):
    """Each of these took hours with the cleaning's former patterns (two quantifiers
    over the same spaces, a lazy search from every <think>); in one pass it takes
    milliseconds, and the answer, far longer than its sentence, is refused."""
    monkeypatch.chdir(tmp_path)
    llm.fail_on[HOSTILE] = f"answer:{answer}"
    result = run(llm, source, tmp_path)
    assert result.exit_code == 0, result.output
    failed_with(tmp_path, "characters for a sentence of 5: not a translation")


@clean_error
def test_a_server_whose_every_answer_is_too_large_stops_the_run_with_one_line(llm, source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    llm.script.extend(["huge:2"] * 20)
    (tmp_path / "duizhao.toml").write_text("[engine]\nstop_after_failures = 3\nretries = 0\nconcurrency = 1\n",
                                           encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(source), "-o", str(tmp_path / "out"), "--cache",
                                      str(tmp_path / "c.sqlite3"), "--engine", "openai", "--model", "test-model",
                                      "--base-url", llm.url])
    assert result.exit_code == 1
    (line,) = [line for line in result.output.strip().splitlines() if not line.startswith("Warning: ")]
    assert line.startswith(f"Error: {source} p") and "3 requests in a row failed, the last: the answer is larger " \
           "than 1024 KiB" in line
    assert not (tmp_path / "out").exists() and len(llm.sent) == 3
