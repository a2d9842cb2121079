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
        assert rows(result.output)["openai"].endswith(f"yes: {llm.url} answers and serves 'hy-mt'")


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
