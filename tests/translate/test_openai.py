"""The openai engine against a loopback OpenAI-compatible server
(pipeline.testing.llm.FakeLLM) that answers deterministically and misbehaves on
request: glossary terms, answer cleaning, retries, errors, the API key, context,
the prompt template, concurrency, and nothing finished ever lost."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.translate.cache import TranslationCache
from pipeline.cli import cli
from pipeline.translate.engines import EngineError, Request, finished_of
from pipeline.translate.engines.openai import DEFAULT_PROMPT, OpenAIEngine, clean_answer
from pipeline.terms.glossary import load_glossaries
from pipeline.translate.documents import translate_documents
from pipeline.read import load_document
from pipeline.testing.llm import FakeLLM, fake_translate, parse_prompt

REPO = Path(__file__).resolve().parents[2]
SHIPPED_GLOSSARY = REPO / "glossary" / "taizhou.tsv"


@pytest.fixture
def llm():
    with FakeLLM() as server:
        yield server


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """The engine's waits between retries, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr("pipeline.translate.engines.openai._sleep", waited.append)
    return waited


def engine_for(llm: FakeLLM, **kwargs) -> OpenAIEngine:
    return OpenAIEngine(base_url=llm.url, model=kwargs.pop("model", "test-model"), **kwargs)


def invoke(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def run_seed(llm, seed_path, tmp_path, *extra, out="out"):
    return invoke("run", seed_path, "-o", tmp_path / out, "--cache", tmp_path / "c.sqlite3", "-g", SHIPPED_GLOSSARY,
                  "--engine", "openai", "--model", "test-model", "--base-url", llm.url, *extra)


def sentences_of(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [s for b in data["blocks"] for s in b["sentences"]]


@pytest.fixture
def doc(term_doc) -> tuple[Path, Path]:
    return term_doc


def translate_doc(doc, engine, tmp_path):
    source, glossary = doc
    document = load_document(source)
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        translate_documents([document], engine, cache, glossary=load_glossaries([glossary]))
    return document


# -- the whole run -------------------------------------------------------------------------


def test_seed_keeps_every_term_and_a_rerun_makes_no_request(llm, seed_path, tmp_path):
    result = run_seed(llm, seed_path, tmp_path)
    assert result.exit_code == 0, result.output
    sentences = sentences_of(tmp_path / "out" / "taizhou.json")
    with_terms = [s for s in sentences if s.get("terms")]
    assert len(sentences) == 130 and len(with_terms) == 100
    for sentence in with_terms:
        for term in sentence["terms"]:
            assert term["en"].casefold() in sentence["translation"].casefold(), sentence
    data = json.loads((tmp_path / "out" / "taizhou.json").read_text(encoding="utf-8"))
    signature = json.loads(data["signature"])
    assert signature["engine"] == "openai" and signature["model"] == "test-model"
    made = len(llm.requests)
    assert data["stats"]["requests"] == made and data["stats"]["retried"] == 0
    # The tokens the server's usage reported (the fake counts one per four characters of its answer).
    tokens = sum(-(-len(english) // 4) for english in {s["text"]: s["translation"] for s in sentences}.values())
    assert data["stats"]["tokens"] == tokens
    shown = re.search(rf", {made} requests \(0 retried\), {tokens:,} tokens at ([0-9.]+) tokens/s, "
                      rf"{data['stats']['seconds']:.1f} s → ", result.output.strip().splitlines()[-1])
    assert shown and float(shown.group(1)) == pytest.approx(tokens / data["stats"]["seconds"], rel=0.01)
    html = (tmp_path / "out" / "taizhou.html").read_text(encoding="utf-8")
    assert "openai · model test-model" in html

    again = run_seed(llm, seed_path, tmp_path)
    assert again.exit_code == 0, again.output
    assert len(llm.requests) == made  # no request at all, not even /v1/models
    assert "0 translated" in again.output and "0 requests (0 retried)" in again.output
    assert sentences_of(tmp_path / "out" / "taizhou.json") == sentences


def test_seed_keeps_every_term_when_the_model_keeps_neither_terms_nor_placeholders(llm, seed_path, tmp_path):
    llm.terms, llm.markers = "alter", "drop"
    result = run_seed(llm, seed_path, tmp_path)
    assert result.exit_code == 0, result.output
    with_terms = [s for s in sentences_of(tmp_path / "out" / "taizhou.json") if s.get("terms")]
    assert len(with_terms) == 100
    for sentence in with_terms:
        assert any(f["code"] == "term-fallback" for f in sentence["flags"])
        for term in sentence["terms"]:
            assert term["en"].casefold() in sentence["translation"].casefold(), sentence
    assert "100 asked again with placeholders to keep glossary terms, 100 rebuilt to keep glossary terms" in result.output


def test_switching_engines_never_serves_the_other_engines_text(llm, installed, seed_path, tmp_path):
    cache = tmp_path / "c.sqlite3"
    argos = ("run", seed_path, "-o", tmp_path / "argos", "--cache", cache, "--offline")
    openai = ("run", seed_path, "-o", tmp_path / "openai", "--cache", cache, "--engine", "openai",
              "--model", "test-model", "--base-url", llm.url)
    assert invoke(*argos).exit_code == 0
    first = invoke(*openai)
    assert first.exit_code == 0 and "0 from cache" in first.output
    by_argos = sentences_of(tmp_path / "argos" / "taizhou.json")
    by_openai = sentences_of(tmp_path / "openai" / "taizhou.json")
    plain = [(a, o) for a, o in zip(by_argos, by_openai) if not a.get("terms")]
    assert plain and all(o["translation"] == fake_translate(o.get("simplified", o["text"]), {}) for _, o in plain)
    assert sum(a["translation"] != o["translation"] for a, o in plain) == len(plain)
    made = len(llm.requests)
    back = invoke(*argos)
    assert back.exit_code == 0 and " 0 translated" in back.output
    assert sentences_of(tmp_path / "argos" / "taizhou.json") == by_argos
    assert invoke(*openai).exit_code == 0 and len(llm.requests) == made


# -- glossary terms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "markers", "retried", "fallback"),
    [
        ("obey", "keep", False, False),
        ("drop", "keep", True, False),
        ("alter", "keep", True, False),
        ("drop", "drop", True, True),
    ],
    ids=["obeys", "drops-terms-then-keeps-placeholders", "alters-terms", "drops-everything"],
)
def test_every_rendering_reaches_the_english_whatever_the_model_does(llm, doc, tmp_path, terms, markers, retried,
                                                                     fallback):
    llm.terms, llm.markers = terms, markers
    document = translate_doc(doc, engine_for(llm), tmp_path)
    with_terms = [s for s in document.sentences() if s.terms]
    assert len(with_terms) == 2
    for sentence in with_terms:
        for term in sentence.terms:
            assert term.en.casefold() in sentence.translation.casefold()
        assert any(f.code == "term-fallback" for f in sentence.flags) == fallback
    assert document.stats["term_retried"] == (2 if retried else 0)
    assert document.stats["term_fallback"] == (2 if fallback else 0)
    masked = [r for r in llm.chat_requests if parse_prompt(r.prompt)[2]]
    assert bool(masked) == retried
    if retried:
        text, _, listed = parse_prompt(masked[0].prompt)
        assert "⟦T0⟧" in text and "Taizhou" in listed.values() and "台州" not in text
    plain = document.sentences()[-1]
    assert plain.translation == fake_translate("今年很好。", {}) and not plain.flags


def test_the_first_request_lists_the_renderings_the_sentence_needs(llm, doc, tmp_path):
    translate_doc(doc, engine_for(llm), tmp_path)
    prompts = {r.text: r.prompt for r in llm.chat_requests}
    first = prompts["台州的大麦屿港很大。"]
    assert '台州 → "Taizhou"' in first and '大麦屿港 → "Damaiyu Port"' in first
    assert "→" not in prompts["今年很好。"]


# -- cleaning the answer -------------------------------------------------------------------


@pytest.mark.parametrize("wrap", ["quotes", "label", "fence", "note", "think"])
def test_the_usual_llm_wrapping_is_cleaned_off(llm, doc, tmp_path, wrap):
    llm.wrap = wrap
    document = translate_doc(doc, engine_for(llm), tmp_path)
    assert document.sentences()[-1].translation == fake_translate("今年很好。", {})
    assert document.stats["term_retried"] == 0


@pytest.mark.parametrize(
    ("answer", "source", "expected"),
    [
        ('"The port is big."', "港口很大。", "The port is big."),
        ("“The port is big.”", "港口很大。", "The port is big."),
        ("Translation: The port is big.", "港口很大。", "The port is big."),
        ("Here is the English translation:\nThe port is big.", "港口很大。", "The port is big."),
        ("```text\nThe port is big.\n```", "港口很大。", "The port is big."),
        ("The port is big.\n\nNote: 港口 means port.", "港口很大。", "The port is big."),
        ("The port is big. (Note: literally 'very big')", "港口很大。", "The port is big."),
        ("<think>Easy.</think>\n\nThe port is big.", "港口很大。", "The port is big."),
        ('"Go, Huipu!"', "“回浦加油！”", '"Go, Huipu!"'),
        ('"Huipu" won, and "Taizhou" too.', "回浦赢了。", '"Huipu" won, and "Taizhou" too.'),
        ("The port\nis big.", "港口很大。", "The port is big."),
    ],
    ids=["quotes", "curly-quotes", "label", "here-is", "fence", "note-after", "note-in-parentheses", "think",
         "quoted-source-keeps-quotes", "inner-quotes-kept", "lines-joined"],
)
def test_clean_answer(answer, source, expected):
    assert clean_answer(answer, source) == expected


def test_han_left_in_the_english_is_flagged(llm, doc, tmp_path):
    from pipeline.review.qa import check_document

    llm.keep_han = True
    document = translate_doc(doc, engine_for(llm), tmp_path)
    check_document(document)
    last = document.sentences()[-1]
    assert [f.code for f in last.flags] == ["untranslated"] and last.translation.startswith("今")


# -- retries -----------------------------------------------------------------------------


def test_a_500_then_a_200_is_retried_after_a_backoff(llm, doc, tmp_path, sleeps):
    llm.script.extend(["500", "503"])
    engine = engine_for(llm, concurrency=1)
    document = translate_doc(doc, engine, tmp_path)
    assert all(s.translation for s in document.sentences())
    assert document.stats["retried"] == 2 and document.stats["requests"] == 1 + 4 + 2
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 0.625 and 1.0 <= sleeps[1] <= 1.25


def test_a_429_waits_as_long_as_retry_after_says(llm, doc, tmp_path, sleeps):
    llm.script.append("429:3")
    document = translate_doc(doc, engine_for(llm, concurrency=1), tmp_path)
    assert sleeps == [3.0] and document.stats["retried"] == 1


def test_a_429_asking_for_too_long_a_wait_is_an_error_naming_it(llm, doc, tmp_path, sleeps):
    llm.script.append("429:3600")
    with pytest.raises(EngineError, match=r"asks to wait 3600 s .*lower concurrency"):
        translate_doc(doc, engine_for(llm, concurrency=1), tmp_path)


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("500", r"HTTP 500: scripted 500 \(3 tries; check the server's log\)"),
        ("close", r"the server closed the connection without a complete answer \(3 tries"),
        ("hang:30", r"no complete answer within 1 s \(3 tries; raise timeout in \[engine\] of duizhao.toml"),
        ("malformed", r"the answer is not JSON \('\{\"id\": \"x\", \"choices\": \['\) \(check that base_url"),
        ("nochoices", r"the answer is not an OpenAI chat completion \(no choices\[0\].message.content\)"),
    ],
    ids=["server-error", "connection-closed", "hangs-past-the-timeout", "malformed-json", "no-choices"],
)
def test_what_keeps_failing_on_one_sentence_is_flagged_and_the_rest_is_written(llm, doc, tmp_path, sleeps,
                                                                               behaviour, message):
    """One sentence whose every request fails (it has no ；or ， to be cut at) is
    flagged engine-failed with the server's words, kept as written; the others are
    translated and cached; the rerun asks only for it, and gets it once the server
    answers."""
    llm.fail_on["今年很好。"] = behaviour
    engine = engine_for(llm, concurrency=1, retries=2, timeout=1)
    document = translate_doc(doc, engine, tmp_path)
    failed = document.sentences()[-1]
    assert failed.translation == "今年很好。"
    (flag,) = [f for f in failed.flags if f.code.startswith("engine")]
    assert flag.code == "engine-failed" and flag.severity == "error" and "\n" not in flag.message
    assert flag.message.startswith(f"no translation: {llm.url}: ") and re.search(message, flag.message), flag.message
    assert all(s.translation and not s.flags for s in document.sentences()[:-1])
    assert document.stats["engine_failed"] == 1 and document.stats["engine_rebuilt"] == 0
    asked = [r.text for r in llm.chat_requests]
    assert asked.count("今年很好。") == (3 if behaviour in ("500", "close", "hang:30") else 1)

    before = len(llm.chat_requests)
    again = translate_doc(doc, engine_for(llm, concurrency=1, retries=0, timeout=1), tmp_path)
    assert [r.text for r in llm.chat_requests[before:]] == ["今年很好。"]  # only the failed one
    assert again.stats["cached"] == 3 and again.stats["engine_failed"] == 1
    llm.fail_on.clear()
    fixed = translate_doc(doc, engine_for(llm), tmp_path)
    assert fixed.sentences()[-1].translation == fake_translate("今年很好。", {})
    assert not fixed.sentences()[-1].flags and "engine_failed" not in fixed.stats


def test_the_run_names_each_failed_sentence_and_counts_them_in_its_last_line(llm, doc, tmp_path):
    llm.fail_on["今年很好。"] = "nochoices"
    result = invoke("run", doc[0], "-o", tmp_path / "out", "--cache", tmp_path / "c.sqlite3", "-g", doc[1],
                    "--engine", "openai", "--model", "test-model", "--base-url", llm.url)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert f"Warning: {doc[0]} p3 “今年很好。”: no translation: {llm.url}: the answer is not an OpenAI chat " \
           "completion" in result.output
    assert "1 engine-failed" in lines[-2]  # the review line: an error to do
    assert ", 0 rebuilt after the engine failed, 1 failed (engine-failed), " in lines[-1]
    assert json.loads((tmp_path / "out" / "doc.json").read_text(encoding="utf-8"))["stats"]["engine_failed"] == 1


def test_a_folder_run_counts_the_failed_sentences_of_all_its_documents(llm, tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "a.txt").write_text("港口很大。\n\n今年很好。\n", encoding="utf-8")
    (sources / "b.txt").write_text("港口很新。\n\n今年很好。\n", encoding="utf-8")
    llm.fail_on["今年很好。"] = "nochoices"
    result = invoke("run", sources, "-o", tmp_path / "out", "--cache", tmp_path / "c.sqlite3", "--engine", "openai",
                    "--model", "test-model", "--base-url", llm.url)
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("2 documents written, 0 failed; 4 sentences: 3 translated, 0 from cache, 1 repeat, "
                           "0 rebuilt after the engine failed, 2 failed (engine-failed), "), last
    assert {f"Warning: {sources / name} p2 “今年很好。”" for name in ("a.txt", "b.txt")} <= {
        line.split(": no translation")[0] for line in result.output.splitlines()}


def test_a_sentence_that_fails_whole_is_rebuilt_from_its_clauses(llm, tmp_path, sleeps):
    source = tmp_path / "doc.txt"
    source.write_text("港口很大，船很多；今年很好。\n", encoding="utf-8")
    llm.fail_on["港口很大，船很多；今年很好。"] = "malformed"
    document = load_document(source)
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        translate_documents([document], engine_for(llm, concurrency=1), cache)
    (sentence,) = document.sentences()
    parts = ["港口很大，", "船很多；", "今年很好。"]
    assert sorted(r.text for r in llm.chat_requests[-3:]) == sorted(parts)
    assert sentence.translation == " ".join(fake_translate(p, {}) for p in parts)
    assert [f.code for f in sentence.flags] == ["engine-rebuilt"]
    assert document.stats["engine_rebuilt"] == 1 and document.stats["engine_failed"] == 0


# -- errors, one line each ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_server_failing_every_request_stops_the_run_naming_the_sentence(llm, doc, tmp_path, monkeypatch):
    """Failures in a row are the server's, not one sentence's: after
    stop_after_failures of them the run stops with one line; nothing is written."""
    (tmp_path / "duizhao.toml").write_text("[engine]\nstop_after_failures = 2\nretries = 0\nconcurrency = 1\n",
                                           encoding="utf-8")
    llm.script.extend(["malformed"] * 10)
    monkeypatch.chdir(tmp_path)
    result = invoke("run", doc[0], "-o", tmp_path / "out", "--cache", tmp_path / "c.sqlite3", "-g", doc[1],
                    "--engine", "openai", "--model", "test-model", "--base-url", llm.url)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert re.fullmatch(rf"Error: {re.escape(str(doc[0]))} p\d+ “[^”]+”: {re.escape(llm.url)}: 2 requests in a row "
                        r"failed, the last: the answer is not JSON .*stop_after_failures in \[engine\] of "
                        r"duizhao.toml\)",
                        lines[0]), lines[0]
    assert len(llm.chat_requests) == 2 and not (tmp_path / "out").exists()


def test_connection_refused_says_to_start_the_server(doc, tmp_path):
    url = f"http://127.0.0.1:{_free_port()}/v1"
    result = invoke("run", doc[0], "-o", tmp_path / "out", "--cache", tmp_path / "c.sqlite3",
                    "--engine", "openai", "--model", "m", "--base-url", url)
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: {url}: connection refused, no server is listening there (start it, "
                                     "e.g. `llama-server -m MODEL.gguf --port 8080`, `ollama serve`, or fix base_url "
                                     "/ --base-url)")


def test_an_unknown_model_is_named_with_what_the_server_serves(llm, doc, tmp_path):
    llm.models = ("qwen2.5:7b", "hy-mt")
    with pytest.raises(EngineError) as raised:
        translate_doc(doc, engine_for(llm, model="hy-mt-7b"), tmp_path)
    assert str(raised.value) == (f"{llm.url}: the server does not know model 'hy-mt-7b' (it serves: qwen2.5:7b, "
                                 "hy-mt) (set --model / model in [engine] of duizhao.toml to one of them, or load "
                                 "the model into the server, e.g. `ollama pull NAME`)")
    assert not llm.chat_requests  # found out from /v1/models, before any translation
    llm.models = ("qwen2.5:latest",)
    assert translate_doc(doc, engine_for(llm, model="qwen2.5"), tmp_path).sentences()[0].translation


def test_missing_model_name_and_offline_remote_server_are_refused():
    with pytest.raises(EngineError, match="needs the model's name"):
        OpenAIEngine(base_url="http://127.0.0.1:8080", model=None)
    with pytest.raises(EngineError, match="not on this machine, and --offline"):
        OpenAIEngine(base_url="http://gpu-box.lan:8000/v1", model="m", offline=True)
    assert OpenAIEngine(base_url="http://127.0.0.1:8080", model="m").url == "http://127.0.0.1:8080/v1"


# -- the API key --------------------------------------------------------------------------------


def test_the_api_key_goes_in_the_header_only(llm, doc, tmp_path, monkeypatch):
    key = "sk-test-5f2a9c81d0e7"
    llm.api_key = key
    monkeypatch.setenv("DUIZHAO_TEST_KEY", key)
    (tmp_path / "duizhao.toml").write_text('[engine]\nname = "openai"\nmodel = "test-model"\n'
                                           f'base_url = "{llm.url}"\napi_key_env = "DUIZHAO_TEST_KEY"\n',
                                           encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke("run", doc[0], "-o", "out", "--cache", "c.sqlite3", "-g", doc[1], "-f", "json,html,tmx,md")
    assert result.exit_code == 0, result.output
    assert all(r.headers["Authorization"] == f"Bearer {key}" for r in llm.requests)
    config = invoke("config")
    assert "DUIZHAO_TEST_KEY (set)" in config.output
    seen = [result.output, config.output, *(p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir())]
    with sqlite3.connect(tmp_path / "c.sqlite3") as db:
        seen += [str(row) for row in db.execute("SELECT * FROM translations")]
    assert seen and not any(key in text for text in seen)
    assert key not in repr(engine_for(llm, api_key_env="DUIZHAO_TEST_KEY"))


def test_a_refused_key_is_an_error_that_never_shows_it(llm, doc, tmp_path, monkeypatch):
    llm.api_key = "the-right-key"
    monkeypatch.setenv("DUIZHAO_TEST_KEY", "sk-wrong-3b7e")
    with pytest.raises(EngineError) as raised:
        translate_doc(doc, engine_for(llm, api_key_env="DUIZHAO_TEST_KEY"), tmp_path)
    text = str(raised.value)
    assert "sk-wrong-3b7e" not in text and "[API key]" in text  # the server echoed it back
    assert "HTTP 401" in text and "set the environment variable DUIZHAO_TEST_KEY to a key the server accepts" in text
    monkeypatch.delenv("DUIZHAO_TEST_KEY")
    with pytest.raises(EngineError, match="DUIZHAO_TEST_KEY \\(api_key_env\\) is not set"):
        engine_for(llm, api_key_env="DUIZHAO_TEST_KEY")
    with pytest.raises(EngineError, match="the server wants an API key: put it in an environment variable"):
        translate_doc(doc, engine_for(llm), tmp_path)


# -- context, prompt, concurrency ----------------------------------------------------------------


def test_context_sends_the_previous_sentence_and_enters_the_cache_key(llm, doc, tmp_path):
    translate_doc(doc, engine_for(llm), tmp_path)
    without = len(llm.chat_requests)
    engine = engine_for(llm, context=1)
    assert json.loads(engine.signature())["context"] == 1
    translate_doc(doc, engine, tmp_path)
    with_context = llm.chat_requests[without:]
    assert len(with_context) == without  # nothing served from the context-free cache
    second = next(r.prompt for r in with_context if r.text == "港口很新。")
    assert "For reference only (do not translate it), the text follows:\n台州的大麦屿港很大。" in second
    assert "For reference only" not in next(r.prompt for r in with_context if r.text == "今年很好。")


def test_a_prompt_file_of_ones_own_is_used_and_in_the_signature(llm, doc, tmp_path):
    mine = tmp_path / "prompt.txt"
    mine.write_text("Put this into plain English for a news desk.\n{% for t in terms %}{{ t.zh }} → \"{{ t.en }}\"\n"
                    "{% endfor %}\nText:\n{{ text }}\n", encoding="utf-8")
    engine = engine_for(llm, prompt=mine)
    assert json.loads(engine.signature())["prompt"] != json.loads(engine_for(llm).signature())["prompt"]
    translate_doc(doc, engine, tmp_path)
    assert all(r.prompt.startswith("Put this into plain English") for r in llm.chat_requests)
    mine.write_text("Line one\n{% for t in terms %}\n{{ t.zh }\n", encoding="utf-8")
    with pytest.raises(EngineError, match=rf"^{mine}:3: not a valid template: "):
        engine_for(llm, prompt=mine)
    mine.write_text("{{ sentence }}\n", encoding="utf-8")
    with pytest.raises(EngineError, match=rf"^{mine}:1: the prompt template fails: 'sentence' is undefined"):
        engine_for(llm, prompt=mine)


def test_the_shipped_prompt_is_in_the_package():
    assert DEFAULT_PROMPT.is_file() and "{{ text }}" in DEFAULT_PROMPT.read_text(encoding="utf-8")


@pytest.mark.parametrize("concurrency", [1, 3])
def test_requests_in_flight_never_exceed_the_concurrency(llm, tmp_path, concurrency):
    llm.latency = 0.05
    sentences = [f"第{n}句很好。" for n in range(12)]
    answers = engine_for(llm, concurrency=concurrency).translate(sentences)
    assert answers == [fake_translate(s, {}) for s in sentences]
    assert llm.max_in_flight == concurrency


@pytest.mark.parametrize(
    "request_",
    [Request("台州很好。"), Request("{\"text\": 1}"), Request("⟦T0⟧很大。", (), (("⟦T0⟧", "Damaiyu Port"),),
                                                          ("前一句。",)),
     Request("台州很好。", (("台州", "Taizhou"),))],
    ids=["plain", "json-looking-text", "markers-and-context", "terms"],
)
def test_a_request_survives_its_key(request_):
    assert Request.from_key(request_.key()) == request_
    assert Request.from_key(request_.text) == Request(request_.text)


def test_ctrl_c_keeps_what_finished_in_the_cache(llm, tmp_path):
    """Ctrl-C (here: raised from the progress callback, in the waiting thread) stops
    the run; the answers already back are attached and translate_texts caches them."""
    from pipeline.translate.texts import translate_texts

    sentences = [f"第{n}句很好。" for n in range(8)]
    engine = engine_for(llm, concurrency=1)

    class Interrupted:
        def signature(self):
            return engine.signature()

        def translate(self, texts, progress=None):
            seen = []

            def tick(n):
                seen.append(n)
                if len(seen) == 3:
                    raise KeyboardInterrupt

            return engine.translate(texts, tick)

    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        with pytest.raises(KeyboardInterrupt) as raised:
            translate_texts(sentences, Interrupted(), cache)
        assert len(finished_of(raised.value)) >= 3
        kept = cache.get_many(engine.signature(), sentences)
        assert kept == finished_of(raised.value) and all(kept[s] == fake_translate(s, {}) for s in kept)


def test_settings_rebuild_the_same_engine_after_pickling(llm):
    """A worker process (Ray) re-creates the engine from the picklable settings."""
    import pickle

    from pipeline.translate.engines.settings import EngineSettings, build_engine

    settings = EngineSettings(name="openai", model="test-model", base_url=llm.url, context=1, concurrency=2)
    engine = build_engine(pickle.loads(pickle.dumps(settings)))
    assert engine.signature() == build_engine(settings).signature() and engine.context == 1
    assert engine.translate(["今年很好。"]) == [fake_translate("今年很好。", {})]


def test_check_takes_the_same_engine_options(llm, doc, tmp_path):
    llm.keep_han = True
    args = ("check", doc[0], "-g", doc[1], "--cache", tmp_path / "c.sqlite3", "--engine", "openai",
            "--model", "test-model", "--base-url", llm.url)
    result = invoke(*args, "--fail-on", "error")
    assert result.exit_code == 1 and "error    untranslated: the English still contains Chinese characters" in result.output
    made = len(llm.requests)
    assert invoke(*args, "--fail-on", "error").exit_code == 1 and len(llm.requests) == made


def test_progress_counts_each_answer_not_each_chunk(llm, tmp_path):
    from pipeline.translate.texts import translate_texts

    sentences = [f"第{n}句很好。" for n in range(6)]
    calls: list[tuple[int, int]] = []
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        translate_texts(sentences, engine_for(llm, concurrency=2), cache, progress=lambda d, t: calls.append((d, t)))
    assert [done for done, _ in calls[:6]] == [1, 2, 3, 4, 5, 6] and all(total == 6 for _, total in calls)


# -- what the server says about itself ------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "environment", "slots", "why"),
    [
        ({"/props": {"total_slots": 3}}, {}, 3, "llama-server reports 3 slots"),
        ({"/slots": [{"id": 0}, {"id": 1}]}, {}, 2, "llama-server reports 2 slots"),
        ({"/api/version": {"version": "0.5.7"}}, {}, 1,
         "Ollama runs 1 request at a time unless OLLAMA_NUM_PARALLEL says more"),
        ({"/api/version": {"version": "0.5.7"}}, {"OLLAMA_NUM_PARALLEL": "4"}, 4, "Ollama with OLLAMA_NUM_PARALLEL=4"),
        ({"/openapi.json": {"info": {"title": "🦙 llama.cpp Python API"}}}, {}, 1,
         "llama-cpp-python's server runs one request at a time"),
        ({"/props": {"total_slots": "many"}, "/openapi.json": {"info": {"title": "vLLM"}}}, {}, None,
         "the server does not say how many requests it runs at once; 4 assumed"),
    ],
    ids=["llama-server-props", "llama-server-slots", "ollama", "ollama-parallel", "llama-cpp-python", "unknown"],
)
def test_the_server_says_how_many_requests_it_runs_at_once(monkeypatch, answers, environment, slots, why):
    from pipeline.translate.engines.servers import probe_capacity

    monkeypatch.delenv("OLLAMA_NUM_PARALLEL", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    capacity = probe_capacity(answers.get)
    assert (capacity.slots, capacity.why) == (slots, why)
