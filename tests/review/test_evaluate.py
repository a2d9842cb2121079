"""`duizhao eval`: engines scored on one's own text against reference translations
(TMX or zh<TAB>en TSV) with sacrebleu, through the cache and the glossary."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import sacrebleu
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.review.evaluate import ReferenceFileError, read_reference
from pipeline.testing.llm import FakeLLM, fake_translate

#: The source's sentences and the English the fake model writes for each.
SENTENCES = ["台州的大麦屿港很大。", "港口很新。", "台州增长了50万。", "今年很好。"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def llm():
    with FakeLLM() as server:
        yield server


@pytest.fixture
def files(term_doc, tmp_path) -> dict[str, Path]:
    source, glossary = term_doc
    terms = {"台州": "Taizhou", "大麦屿港": "Damaiyu Port"}
    reference = tmp_path / "ref.tsv"
    # The fake model's own English for three sentences, something else for the last.
    rows = [f"{zh}\t{fake_translate(zh, {k: v for k, v in terms.items() if k in zh})}" for zh in SENTENCES[:3]]
    reference.write_text("zh\ten\n" + "\n".join(rows) + "\n今年很好。\tThis year was good.\n", encoding="utf-8")
    return {"source": source, "glossary": glossary, "reference": reference, "cache": tmp_path / "c.sqlite3"}


def eval_args(files, *extra):
    return ("eval", files["source"], "--reference", files["reference"], "-g", files["glossary"],
            "--cache", files["cache"], *extra)


def test_engines_are_compared_in_one_table(llm, installed, files):
    result = invoke(*eval_args(files, "--engine", "argos", "--engine", "openai:test-model", "--base-url", llm.url,
                               "--offline"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"4 of 4 sentences of {files['source']} have a reference in {files['reference']}"
    assert lines[1].split() == ["ENGINE", "chrF", "BLEU", "TERMS", "FALLBACK", "ERRORS", "WARNINGS", "TIME",
                                "NEW/CACHED"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert set(rows) == {"argos", "openai:test-model"}
    assert rows["openai:test-model"][3:6] == ["3/3", "100%", "0"]
    assert rows["argos"][3:5] == ["3/3", "100%"]
    assert float(rows["openai:test-model"][1]) > float(rows["argos"][1])

    data = json.loads(invoke(*eval_args(files, "--engine", "openai:test-model", "--base-url", llm.url,
                                        "--json")).output)
    (score,) = data["engines"]
    hypotheses = [fake_translate(s, {}) for s in SENTENCES]
    assert score["terms"] == score["terms_kept"] == 3 and score["term_fallback"] == 0
    references = [line.split("\t")[1] for line in files["reference"].read_text(encoding="utf-8").splitlines()[1:]]
    expected_chrf = sacrebleu.corpus_chrf(references[:3] + [hypotheses[3]], [references]).score
    assert score["chrf"] == pytest.approx(expected_chrf, abs=0.01)
    assert score["translated"] == 0 and score["cached"] == 4  # the second time, all from the cache
    assert score["requests"] == 0 and json.loads(score["signature"])["engine"] == "openai"


def test_a_tmx_of_a_run_is_a_reference_and_the_tsv_itself_a_source(llm, files, tmp_path):
    run = invoke("run", files["source"], "-o", tmp_path / "out", "-f", "tmx", "-g", files["glossary"],
                 "--cache", files["cache"], "--engine", "openai", "--model", "test-model", "--base-url", llm.url)
    assert run.exit_code == 0, run.output
    tmx = tmp_path / "out" / "doc.tmx"
    assert [zh for zh, _ in read_reference(tmx)] == SENTENCES
    data = json.loads(invoke("eval", files["source"], "--reference", tmx, "-g", files["glossary"], "--cache",
                             files["cache"], "--engine", "openai:test-model", "--base-url", llm.url, "--json").output)
    assert data["engines"][0]["chrf"] == 100.0 and data["engines"][0]["bleu"] == 100.0
    data = json.loads(invoke("eval", files["reference"], "--reference", files["reference"], "-g", files["glossary"],
                             "--cache", files["cache"], "--engine", "openai:test-model", "--base-url", llm.url,
                             "--json").output)
    assert data["sentences"] == data["with_reference"] == 4


def test_an_engine_that_fails_gets_its_error_in_its_row(files, llm):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
    result = invoke(*eval_args(files, "--engine", "openai:test-model", "--base-url", dead))
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].startswith("openai:test-model  –")
    assert f"  error: {dead}: connection refused" in result.output.splitlines()[-1]


def test_a_failed_row_keeps_the_columns_aligned_and_the_exit_status_is_1(files, llm, tmp_path):
    """One engine scored, one failed (its model folder is missing, a longer name):
    every column starts at the same place in every row, and the run fails."""
    missing = tmp_path / "no-such-model-folder"
    for extra in (("--json",), ()):  # the table last
        result = invoke(*eval_args(files, "--engine", "openai:test-model", "--engine", f"ctranslate2:{missing}",
                                   "--base-url", llm.url, *extra))
        assert result.exit_code == 1, result.output
    header, scored, failed = result.output.splitlines()[1:4]
    assert failed.startswith(f"ctranslate2:{missing}  –")
    for column in ("chrF", "BLEU", "TERMS", "FALLBACK", "ERRORS", "WARNINGS", "TIME", "NEW/CACHED"):
        at = header.index(column)
        assert header[at - 2:at] == scored[at - 2:at] == failed[at - 2:at] == "  ", column
        assert scored[at] != " " and failed[at] == "–", column
    assert failed.index(" error: ") > header.index("NEW/CACHED")


def test_without_sacrebleu_the_message_says_the_install_that_works(files, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sacrebleu", None)  # import sacrebleu fails
    result = invoke(*eval_args(files))
    assert result.exit_code == 1
    pip = Path(sys.prefix) / "bin" / "pip"
    assert "needs sacrebleu, the eval extra: in the duizhao folder, " in result.output
    assert "install -e '.[eval]'" in result.output and "Traceback" not in result.output
    shown = result.output.split("folder, ")[1].split(" install")[0]
    assert (Path.cwd() / shown).resolve() == pip.resolve()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("台州很好。\n", ":1: 1 column(s), expected zh<TAB>en (one sentence pair a line, separated by one tab)"),
        ("# pairs\n台州很好。\tTaizhou is fine.\t3\n", ":2: 3 column(s), expected zh<TAB>en"),
        ("# nothing\n", ": holds no sentence pairs"),
        ("其他。\tOther.\n", ": none of the 4 sentences of"),
    ],
    ids=["one-column", "three-columns", "empty", "no-match"],
)
def test_a_bad_reference_is_one_line_naming_the_file(files, text, message):
    files["reference"].write_text(text, encoding="utf-8")
    result = invoke(*eval_args(files))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert result.output.startswith(f"Error: {files['reference']}") and message in result.output


def test_a_broken_tmx_names_its_line(tmp_path):
    tmx = tmp_path / "ref.tmx"
    tmx.write_text('<?xml version="1.0"?>\n<tmx version="1.4">\n<body><tu>\n</body></tmx>\n', encoding="utf-8")
    with pytest.raises(ReferenceFileError, match=rf"^{tmx}:4:\d+: not well-formed XML"):
        read_reference(tmx)


def test_an_unknown_engine_is_a_usage_error(files):
    result = invoke(*eval_args(files, "--engine", "deepl"))
    assert result.exit_code == 2 and "the engine must be one of argos, ctranslate2, openai" in result.output
