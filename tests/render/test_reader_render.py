"""`duizhao render OUTPUT.json`: the document model read back (Document.from_json)
and rendered again, byte for byte the page the run made but for its date."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_reader import REPO, SEED, edited_document, hostile_document, seed_document, small_document

import pipeline.translate.engines.settings
from fakes import FakeEngine
from pipeline.cli import cli
from pipeline.core.model import SCHEMA_VERSION, Document, DocumentJSONError, read_document_json

GLOSSARY = REPO / "glossary" / "taizhou.tsv"
MADE = re.compile(r"<dt>Made</dt><dd>[^<]*</dd>")


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def fake_engine(monkeypatch):
    monkeypatch.setattr(pipeline.translate.engines.settings, "build_engine", lambda settings, **kwargs: FakeEngine())


@pytest.mark.parametrize("make", [small_document, edited_document, hostile_document], ids=["small", "edited", "hostile"])
def test_from_json_reads_back_what_to_json_writes(make):
    document = make()
    data = json.loads(json.dumps(document.to_json()))
    assert Document.from_json(data).to_json() == document.to_json()


def test_from_json_reads_back_the_seed(tmp_path):
    document = seed_document(tmp_path)
    assert Document.from_json(json.loads(json.dumps(document.to_json()))).to_json() == document.to_json()


def test_run_json_render_gives_the_same_page_but_the_date(tmp_path, fake_engine, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sources").mkdir()
    shutil.copyfile(SEED, tmp_path / "sources" / "taizhou.txt")
    out = tmp_path / "out"
    ran = invoke("run", "sources/taizhou.txt", "-o", out, "-g", GLOSSARY, "--cache", tmp_path / "c.sqlite3")
    assert ran.exit_code == 0, ran.output
    page = (out / "taizhou.html").read_text(encoding="utf-8")
    (out / "taizhou.html").unlink()
    rendered = invoke("render", out / "taizhou.json", "--cache", tmp_path / "other.sqlite3")  # aids computed anew
    assert rendered.exit_code == 0, rendered.output
    assert rendered.output.strip() == "Wrote out/taizhou.html"  # relative to the working directory, as every path
    again = (out / "taizhou.html").read_text(encoding="utf-8")
    assert len(MADE.findall(page)) == 1 and MADE.sub("", again) == MADE.sub("", page)
    assert 'href="index.html"' in again  # the library link, as the run made it


def test_an_edited_json_renders_what_the_other_tool_wrote_and_ignores_what_it_does_not_know(tmp_path):
    document = small_document()
    data = document.to_json()
    data["blocks"][1]["sentences"][0]["translation"] = "Rewritten <b>by hand</b>."
    data["made_by"] = {"tool": "another"}  # a newer version's or another tool's fields
    data["blocks"][1]["colour"] = "red"
    data["blocks"][0]["kind"] = "kicker"  # a kind this version does not know
    path = tmp_path / "small.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = invoke("render", path, "-o", tmp_path / "out", "--format", "html,en.md")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "small.html").read_text(encoding="utf-8")
    assert "Rewritten &lt;b&gt;by hand&lt;/b&gt;." in html and 'class="row k-kicker"' in html
    assert "Rewritten" in (tmp_path / "out" / "small.en.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("change, message", [
    (lambda d: d["blocks"][1]["sentences"][0].pop("text"), r"small.json.blocks\[1\].sentences\[0\].text: missing"),
    (lambda d: d["blocks"][1]["sentences"][1]["flags"][0].update(severity="fatal"),
     r"blocks\[1\].sentences\[1\].flags\[0\].severity: must be one of info, warning, error, not 'fatal'"),
    (lambda d: d.update(blocks={}), r"small.json.blocks: must be list, not dict"),
    (lambda d: d["blocks"][0].update(lines="1"), r"small.json.blocks\[0\].lines: must be list, not str"),
    (lambda d: d.update(schema_version=SCHEMA_VERSION + 1, encoding=None),
     r"small.json.encoding: is null \(written by a newer duizhao: schema_version 2\)"),
], ids=["missing-text", "bad-severity", "blocks-not-a-list", "lines-not-a-list", "newer-version"])
def test_a_bad_json_is_one_line_naming_the_place(tmp_path, change, message):
    data = small_document().to_json()
    change(data)
    path = tmp_path / "small.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DocumentJSONError, match=message):
        read_document_json(path)
    result = CliRunner().invoke(cli, ["render", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert re.search(message, result.output) and len(result.output.strip().splitlines()) == 1


def test_a_file_that_is_not_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"schema_version": 1,\n  "source": oops}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["render", str(path)])
    assert result.exit_code == 1 and f"{path}:2:13: not JSON (Expecting value)" in result.output
    result = CliRunner().invoke(cli, ["render", str(tmp_path / "missing.json")])
    assert result.exit_code == 1 and "missing.json: no such file" in result.output
