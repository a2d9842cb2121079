"""`duizhao engines`: what each engine needs and whether it is ready, without
downloading or loading anything."""

from __future__ import annotations

from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.testing.llm import FakeLLM


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def rows(output: str) -> dict[str, str]:
    return {line.lstrip("* ").split()[0]: line for line in output.splitlines()[1:]}


def test_every_engine_is_listed_and_the_one_in_force_is_ready(installed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with FakeLLM(models=("hy-mt", "qwen2.5:7b")) as llm:
        result = invoke("engines", "--base-url", llm.url)
        assert result.exit_code == 0, result.output
        listed = rows(result.output)
        assert set(listed) == {"argos", "ctranslate2", "openai"}
        assert listed["argos"].startswith("*") and "yes: package translate-zh_en-1_0 version 1.0 in " in listed["argos"]
        assert listed["ctranslate2"].endswith("no: the ctranslate2 engine needs a model folder: give --model DIR, "
                                              "or model in the [engine] table of duizhao.toml")
        assert listed["openai"].endswith(f"no: give the model's name (--model NAME, or model in [engine]); "
                                         f"{llm.url} serves: hy-mt, qwen2.5:7b")
        assert all(r.path.endswith("/v1/models") for r in llm.requests)

        result = invoke("engines", "--engine", "openai", "--model", "hy-mt", "--base-url", llm.url)
        assert result.exit_code == 0
        assert rows(result.output)["openai"].endswith(
            f"yes: {llm.url} answers and serves 'hy-mt'; 4 at a time (the server does not say how many requests "
            "it runs at once; 4 assumed)")


def test_engines_shows_the_concurrency_the_server_reports_and_the_engine_uses_it(tmp_path, monkeypatch):
    from pipeline.translate.engines.openai import OpenAIEngine

    monkeypatch.chdir(tmp_path)
    with FakeLLM(slots=2, latency=0.05) as llm:
        result = invoke("engines", "--engine", "openai", "--model", "test-model", "--base-url", llm.url)
        assert rows(result.output)["openai"].endswith("; 2 at a time (llama-server reports 2 slots)")
        engine = OpenAIEngine(base_url=llm.url, model="test-model")
        engine.translate([f"第{n}句很好。" for n in range(8)])
        assert engine.concurrency == 2 and llm.max_in_flight == 2
        (tmp_path / "duizhao.toml").write_text("[engine]\nconcurrency = 3\n", encoding="utf-8")
        result = invoke("engines", "--engine", "openai", "--model", "test-model", "--base-url", llm.url)
        assert rows(result.output)["openai"].endswith("; 3 at a time (concurrency as set)")


def test_the_exit_status_is_1_when_the_engine_in_force_is_not_ready(models, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("engines")
    assert result.exit_code == 1
    assert "no: No zh→en translation model is installed in" in rows(result.output)["argos"]
    with FakeLLM() as llm:
        result = invoke("engines", "--engine", "openai", "--model", "other", "--base-url", llm.url)
        url = llm.url
    assert result.exit_code == 1
    assert "no: " + url + ": the server does not know model 'other' (it serves: test-model)" in result.output
    assert not llm.chat_requests
