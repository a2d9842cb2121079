"""`duizhao glossary ...` and `duizhao check` from the command line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import pipeline.translate.engines.settings
from fakes import DroppingEngine, FakeEngine
from pipeline.cli import cli

HEADER = "zh\ten\tnote\tvariants\n"


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


@pytest.fixture
def glossary_file(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text(HEADER + "台州\tTaizhou\tA city.\t\n大麦屿港\tDamaiyu Port\t\t\n", encoding="utf-8")
    return path


def test_check_accepts_a_valid_file(glossary_file):
    result = invoke("glossary", "check", glossary_file)
    assert result.exit_code == 0
    assert "OK: 2 entries in 1 file:" in result.output


def test_check_lists_every_problem_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text(HEADER + "台州\tTaizhou\n台州\tTai Zhou\n玉环\n", encoding="utf-8")
    result = invoke("glossary", "check", bad)
    assert result.exit_code == 1
    assert f"{bad}:3: 台州 is also on line 2" in result.output
    assert f"{bad}:4: 1 column, expected 4" in result.output
    assert "Traceback" not in result.output


def test_check_defaults_to_the_glossary_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "no glossary files" in invoke("glossary", "check").output
    (tmp_path / "glossary").mkdir()
    (tmp_path / "glossary" / "a.tsv").write_text(HEADER + "台州\tTaizhou\n", encoding="utf-8")
    assert "OK: 1 entry in" in invoke("glossary", "check").output


def test_list_counts_occurrences_in_a_source(glossary_file, seed_path):
    result = invoke("glossary", "list", glossary_file, "--source", seed_path)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["75", "台州", "Taizhou", f"{glossary_file}:2"]
    assert lines[1].split()[:2] == ["3", "大麦屿港"]


def test_add_appends_without_disturbing_the_file(glossary_file):
    before = glossary_file.read_bytes()
    result = invoke("glossary", "add", "玉环", "Yuhuan", "--note", "A county-level city.", "--file", glossary_file)
    assert result.exit_code == 0
    assert f"as {glossary_file}:4" in result.output
    after = glossary_file.read_bytes()
    assert after.startswith(before)
    assert after[len(before):].decode() == "玉环\tYuhuan\tA county-level city.\t\n"
    assert "OK: 3 entries" in invoke("glossary", "check", glossary_file).output


def test_add_refuses_a_clash_and_changes_nothing(glossary_file):
    before = glossary_file.read_bytes()
    result = invoke("glossary", "add", "台州", "Tai Zhou", "--file", glossary_file)
    assert result.exit_code == 1
    assert "台州 is also on line 2" in result.output
    result = invoke("glossary", "add", "臺州", "Taizhou", "--file", glossary_file)
    assert result.exit_code == 1 and "already there" in result.output
    assert glossary_file.read_bytes() == before


def test_add_creates_a_new_file_with_a_header(tmp_path):
    path = tmp_path / "new.tsv"
    assert invoke("glossary", "add", "玉环", "Yuhuan", "--file", path).exit_code == 0
    assert path.read_text(encoding="utf-8") == HEADER + "玉环\tYuhuan\t\t\n"


def test_suggest_ranks_quoted_and_numbered_terms_the_glossary_lacks(glossary_file, seed_path, tmp_path):
    result = invoke("glossary", "suggest", seed_path, "-g", glossary_file, "--limit", "200")
    assert result.exit_code == 0
    rows = [line.split(None, 2) for line in result.output.splitlines()]
    found = {row[2].split("\t")[0]: (int(row[0]), row[1]) for row in rows}
    assert found["三条路径"] == (3, "quoted")
    assert found["八八战略"] == (1, "quoted")
    assert found["两江两岸"] == (1, "numbered")
    assert "台州" not in found and "大麦屿港" not in found
    assert "回浦中学!总冠军!" not in found  # speech, not a term
    assert "   3  unknown word  科创\t" in result.output
    assert "获批" not in result.output and "算力\t" not in result.output  # unknown to jieba, in CC-CEDICT
    assert rows[0][1] == "quoted"
    assert "三条路径\t台州:聚力“三条路径” 奋进“三高三新”" in result.output


def test_suggest_tsv_appends_commented_drafts_that_keep_the_file_valid(glossary_file, seed_path):
    result = invoke("glossary", "suggest", seed_path, "-g", glossary_file, "--limit", "3", "--tsv", glossary_file)
    assert result.exit_code == 0
    drafts = [line for line in glossary_file.read_text(encoding="utf-8").splitlines() if line.startswith("# ")]
    assert drafts[1].startswith("# 三条路径\t\tquoted, 3× in the source: ")
    assert len(drafts) == 4
    assert "OK: 2 entries" in invoke("glossary", "check", glossary_file).output


@pytest.fixture
def engine(monkeypatch):
    """`duizhao check` with a fake engine in place of the Argos model."""
    chosen = {}

    def fake_build_engine(settings, **kwargs):
        return chosen["engine"]

    monkeypatch.setattr(pipeline.translate.engines.settings, "build_engine", fake_build_engine)
    return chosen


def test_check_command_exits_1_on_warnings_and_lists_them(engine, glossary_file, tmp_path):
    source = tmp_path / "doc.txt"
    source.write_text("台州的大麦屿港很大。\n\n增长了50万。\n", encoding="utf-8")
    engine["engine"] = DroppingEngine()
    result = invoke("check", source, "-g", glossary_file, "--cache", tmp_path / "c.sqlite3")
    assert result.exit_code == 1
    assert "p1.1     warning  term-fallback:" in result.output
    assert "p2.1     warning  number-mismatch:" in result.output
    assert result.output.splitlines()[-1] == (
        "Review: 2 flags to do (1 number-mismatch, 1 term-fallback), 0 notes, 0 resolved; 2 open at warning or worse")
    result = invoke("check", source, "-g", glossary_file, "--cache", tmp_path / "c.sqlite3", "--fail-on", "error")
    assert result.exit_code == 0


def test_check_command_passes_a_clean_translation(engine, glossary_file, tmp_path):
    source = tmp_path / "doc.txt"
    source.write_text("台州的大麦屿港很大。\n", encoding="utf-8")
    engine["engine"] = FakeEngine()
    result = invoke("check", source, "-g", glossary_file, "--cache", tmp_path / "c.sqlite3")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Review: 0 flags to do, 0 notes, 0 resolved; 0 open at warning or worse"
