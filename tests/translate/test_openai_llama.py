"""The openai engine against the real thing: llama-cpp-python's OpenAI-compatible
server (``python -m llama_cpp.server``, llama.cpp inside) on 127.0.0.1, serving a
tiny model each test writes (pipeline.testing.gguf) whose answer is chosen by the
last character of the prompt, that is of the sentence: a loop that never ends,
an empty answer, or a fixed text. Runaway and empty answers, a small context,
more requests at once than the server runs, a server killed mid-run and started
again, an unknown model; and the seed run to the end."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.read import load_document
from pipeline.testing.gguf import DEFAULT, Loop, charset, write_model
from pipeline.testing.llama import LlamaServer
from pipeline.translate.cache import TranslationCache
from pipeline.translate.documents import translate_documents
from pipeline.translate.engines import EngineError, Failed
from pipeline.translate.engines.openai import OpenAIEngine

REPO = Path(__file__).resolve().parents[2]
#: The answers of the model most tests use: the seed's sentences end in 。 (106),
#: ” (6), ASCII , (4), 摄 (3), … (3), 图 (2) and a few others; none in ！.
ANSWERS = {"”": Loop("la "), "…": Loop("la "), "摄": "", "图": "", "！": "", DEFAULT: "Translated text."}
FAILING = "”…摄图"
TRANSLATED = "Translated text."


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gguf") / "bigram.gguf"
    write_model(path, ANSWERS)
    return path


@pytest.fixture(scope="module")
def server(model, tmp_path_factory):
    with LlamaServer(model, n_ctx=2048, log=tmp_path_factory.mktemp("log") / "server.log") as running:
        yield running


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def translate(source: Path, engine, cache_path: Path, glossary=None):
    document = load_document(source)
    with TranslationCache(cache_path) as cache:
        translate_documents([document], engine, cache, glossary=glossary)
    return document


def flag(sentence, code: str):
    found = [f for f in sentence.flags if f.code == code]
    return found[0] if found else None


def test_runaway_and_empty_answers_flag_their_sentence_and_the_rest_is_translated(server, tmp_path):
    source = tmp_path / "doc.txt"
    source.write_text("港口很大。\n\n他说：“港口很大”\n\n港口很新！\n\n今年很好。\n", encoding="utf-8")
    engine = OpenAIEngine(base_url=server.url, model="test-model")
    document = translate(source, engine, tmp_path / "c.sqlite3")
    plain, looped, empty, last = document.sentences()
    assert plain.translation == last.translation == TRANSLATED and not plain.flags and not last.flags
    loop_flag, empty_flag = flag(looped, "engine-failed"), flag(empty, "engine-failed")
    # The loop was stopped by max_tokens, never taken; the empty answer said so.
    assert re.search(rf"the answer was cut off at {engine.max_tokens(looped.text)} tokens \(finish_reason "
                     r"\"length\"", loop_flag.message), loop_flag.message
    assert "model 'test-model' gave an empty answer" in empty_flag.message
    assert looped.translation == looped.text and empty.translation == empty.text  # kept as written
    # Neither has a ；or ， to be cut at: no more requests.
    assert document.stats["engine_failed"] == 2 and document.stats["translated"] == 4
    made, retried = engine.request_counts()
    assert retried == 0 and made == 1 + 4 + 4  # /v1/models, the four probes, one request a sentence
    assert engine.token_counts()[1] == 2 + engine.max_tokens(looped.text)  # "Translated text." is one token


def test_a_prompt_too_long_for_the_context_is_cut_into_clauses_and_the_message_says_what_to_start(tmp_path):
    """A server with a context of 512 tokens, and a model whose vocabulary has no
    Chinese characters (each is three byte tokens): a sentence of 138 characters
    does not fit with the prompt, its clauses do."""
    path = tmp_path / "small.gguf"
    write_model(path, {DEFAULT: TRANSLATED}, chars=charset("ascii") + "，；。：“”")
    clause = "港口很大船很多今年很好" * 2
    long = "，".join([clause] * 6) + "。"  # 6 clauses of 22 characters: 132 + 6 marks
    uncut = "港口很大船很多今年很好港口" * 10 + "。"  # 131 characters, nothing to cut at
    source = tmp_path / "doc.txt"
    source.write_text(f"{long}\n\n{uncut}\n", encoding="utf-8")
    with LlamaServer(path, n_ctx=512) as server:
        engine = OpenAIEngine(base_url=server.url, model="test-model")
        document = translate(source, engine, tmp_path / "c.sqlite3")
    rebuilt, failed = document.sentences()
    assert rebuilt.translation == " ".join([TRANSLATED] * 6) and [f.code for f in rebuilt.flags] == ["engine-rebuilt"]
    message = flag(rebuilt, "engine-rebuilt").message
    prompt_tokens = int(re.search(r"the prompt \((\d+) tokens\)", message).group(1))
    need = -(-(prompt_tokens + engine.max_tokens(rebuilt.text)) // 256) * 256
    assert ("do not fit the server's context of 512 tokens: the server says \"This model's maximum context length is "
            "512 tokens.") in message
    assert f"start the server with a context of at least {need} tokens" in message and "--n_ctx" in message
    assert failed.translation == failed.text and "context of 512 tokens" in flag(failed, "engine-failed").message


def test_concurrency_follows_the_server_and_more_requests_than_it_runs_only_queue(server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("engines", "--engine", "openai", "--model", "test-model", "--base-url", server.url)
    assert result.exit_code == 0, result.output
    assert f"yes: {server.url} answers and serves 'test-model'; 1 at a time (llama-cpp-python's server runs one " \
           "request at a time)" in result.output
    sentences = [f"第{n}句很好。" for n in range(6)]
    automatic = OpenAIEngine(base_url=server.url, model="test-model")
    assert automatic.translate(sentences) == [TRANSLATED] * 6 and automatic.concurrency == 1
    forced = OpenAIEngine(base_url=server.url, model="test-model", concurrency=4, timeout=60)
    assert forced.translate([f"第{n}句很新。" for n in range(8)]) == [TRANSLATED] * 8
    assert forced.request_counts() == (1 + 8, 0)  # asked nothing about slots, lost nothing to the queue


def test_a_server_killed_mid_run_stops_it_with_one_line_and_the_rerun_asks_only_for_the_rest(model, tmp_path):
    source = tmp_path / "doc.txt"
    source.write_text("".join(f"第{n}句很好。\n\n" for n in range(6)), encoding="utf-8")
    args = ("run", source, "-o", tmp_path / "out", "--cache", tmp_path / "c.sqlite3", "--engine", "openai",
            "--model", "test-model")
    with LlamaServer(model, n_ctx=1024) as server:
        seen: list[str] = []
        real = OpenAIEngine._translate_one

        def once_then_kill(self, request):
            answer = real(self, request)
            seen.append(request.text)
            if len(seen) == 2:
                server.kill()  # after the second answer: the third request finds no server
            return answer

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(OpenAIEngine, "_translate_one", once_then_kill)
            result = invoke(*args, "--base-url", server.url)
        assert result.exit_code == 1
        (line,) = result.output.strip().splitlines()
        assert re.fullmatch(rf"Error: {re.escape(str(source))} p\d “第\d句很好。”: {re.escape(server.url)}: connection "
                            r"refused, no server is listening there \(start it, .*\)", line), line
        assert not (tmp_path / "out").exists()
        server.start()
        asked: list[str] = []

        def recording(self, request):
            asked.append(request.text)
            return real(self, request)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(OpenAIEngine, "_translate_one", recording)
            again = invoke(*args, "--base-url", server.url)
    assert again.exit_code == 0, again.output
    assert sorted(asked) == sorted(set(f"第{n}句很好。" for n in range(6)) - set(seen[:2]))
    assert "6 sentences: 4 translated, 2 from cache" in again.output


def test_an_unknown_model_is_refused_before_a_sentence_is_sent(server, tmp_path):
    """The real server answers any model name with its own model (HTTP 200), so
    the engine checks /v1/models first."""
    body = json.dumps({"model": "no-such-model", "messages": [{"role": "user", "content": "今年很好。"}],
                       "max_tokens": 8}).encode("utf-8")
    request = urllib.request.Request(f"{server.url}/chat/completions", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200 and json.loads(answer.read())["model"] == "no-such-model"
    engine = OpenAIEngine(base_url=server.url, model="no-such-model")
    with pytest.raises(EngineError, match=r"the server does not know model 'no-such-model' \(it serves: test-model\)"):
        engine.translate(["今年很好。"])
    assert engine.request_counts() == (1, 0)


def test_the_seed_runs_to_the_end_and_a_rerun_asks_only_for_what_failed(server, seed_path, tmp_path):
    """The issue's "done when": every sentence translated, rebuilt or flagged,
    the outputs written; the rerun asks for exactly the requests that failed."""
    answers: dict[str, str | Failed] = {}
    real = OpenAIEngine._translate_one

    def recording(self, request):
        answer = real(self, request)
        answers.setdefault(request.key(), answer)
        return answer

    args = ("run", seed_path, "-o", tmp_path / "out", "--cache", tmp_path / "c.sqlite3", "--engine", "openai",
            "--model", "test-model", "--base-url", server.url, "-g", REPO / "glossary" / "taizhou.tsv")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OpenAIEngine, "_translate_one", recording)
        result = invoke(*args)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "taizhou.json").read_text(encoding="utf-8"))
    sentences = [s for b in data["blocks"] for s in b["sentences"]]
    assert len(sentences) == 130 and all(s["translation"].strip() for s in sentences)
    codes = [{f["code"] for f in s.get("flags", ())} for s in sentences]
    failed = [s for s, c in zip(sentences, codes) if "engine-failed" in c]
    looped_or_empty = [s for s in sentences if s.get("simplified", s["text"])[-1] in FAILING]
    assert failed and len(failed) <= len(looped_or_empty)
    for sentence, found in zip(sentences, codes):
        last = sentence.get("simplified", sentence["text"])[-1]
        if last in FAILING and not sentence.get("terms"):
            assert "engine-failed" in found, sentence
    assert data["stats"]["engine_failed"] == len(failed)
    assert f"{len(failed)} failed (engine-failed)" in result.output.strip().splitlines()[-1]
    assert (tmp_path / "out" / "taizhou.html").is_file()
    failed_requests = {key for key, answer in answers.items() if isinstance(answer, Failed)}
    assert failed_requests

    answers.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OpenAIEngine, "_translate_one", recording)
        again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert set(answers) == failed_requests
    assert json.loads((tmp_path / "out" / "taizhou.json").read_text(encoding="utf-8"))["blocks"] == data["blocks"]
