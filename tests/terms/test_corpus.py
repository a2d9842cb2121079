"""Corpus-wide commands: `glossary suggest DIR`, `glossary list --source DIR`, `check DIR`."""

from __future__ import annotations

from pathlib import Path

import pytest
import regex
from click.testing import CliRunner

import pipeline.translate.engines.settings
from fakes import PLACEHOLDER, FakeEngine
from pipeline.cli import cli

GLOSSARY = "zh\ten\tnote\tvariants\n台州\tTaizhou\t\t\n大麦屿港\tDamaiyu Port\t\t\n玉环\tYuhuan\t\t\n"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def corpus(tmp_path) -> Path:
    """Five documents: “双港联动” is quoted in four of them (once each), “滨海新城”
    in one of them four times; 台州 everywhere, 大麦屿港 in two, 玉环 nowhere."""
    src = tmp_path / "src"
    texts = {
        "a.txt": "台州推进“双港联动”。大麦屿港很忙。",
        "b.txt": "台州说“双港联动”很重要。大麦屿港扩建。",
        "2024/c.txt": "台州的“双港联动”见效。“滨海新城”建设。“滨海新城”规划。“滨海新城”招商。“滨海新城”开放。",
        "2024/d.md": "台州再谈“双港联动”。",
        "2024/e.txt": "台州今年很好。",
    }
    for name, text in texts.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    (tmp_path / "g.tsv").write_text(GLOSSARY, encoding="utf-8")
    return src


def test_suggest_ranks_by_documents_then_count_with_contexts_from_three_documents(corpus):
    result = invoke("glossary", "suggest", corpus, "-g", corpus.parent / "g.tsv")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    first = lines.index(next(l for l in lines if "双港联动" in l and "docs" in l))
    assert lines[first].split() == ["4", "docs", "4×", "quoted", "双港联动"]
    contexts = lines[first + 1 : first + 4]
    assert [Path(c.split(":")[0].strip()).name for c in contexts] == ["c.txt", "d.md", "a.txt"]
    assert all("双港联动" in c for c in contexts)
    assert "docs" in lines[first + 4]  # three contexts, not four
    second = next(l for l in lines if "滨海新城" in l and "docs" in l)
    assert second.split()[:3] == ["1", "docs", "4×"]
    assert lines.index(second) > first  # four documents outrank four occurrences in one


def test_suggest_of_one_file_keeps_its_one_line_format(corpus):
    result = invoke("glossary", "suggest", corpus / "2024" / "c.txt", "-g", corpus.parent / "g.tsv")
    assert result.exit_code == 0
    assert "   4  quoted        滨海新城\t" in result.output


def test_list_counts_entries_across_the_corpus_and_names_those_that_occur_nowhere(corpus):
    result = invoke("glossary", "list", corpus.parent / "g.tsv", "--source", corpus)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["5", "5", "docs", "台州", "Taizhou", f"{corpus.parent / 'g.tsv'}:2"]
    assert lines[1].split()[:4] == ["2", "2", "docs", "大麦屿港"]
    assert lines[2].split()[:4] == ["0", "0", "docs", "玉环"]
    assert lines[-1] == f"1 entry of 3 occur in none of the 5 documents: 玉环 ({corpus.parent / 'g.tsv'}:4)"


def test_an_unreadable_document_is_reported_and_fails_the_command(corpus):
    (corpus / "bad.txt").write_bytes(b"\x00\x01binary")
    result = invoke("glossary", "list", corpus.parent / "g.tsv", "--source", corpus)
    assert result.exit_code == 1
    assert f"Error: {corpus / 'bad.txt'}: looks like a binary file" in result.stderr
    assert result.stdout.splitlines()[0].split()[:2] == ["5", "5"]


class VariedEngine(FakeEngine):
    """Each Han run a different word, so no output looks like a repetition."""

    def mangle(self, text):
        words = iter(("harbour", "growth", "city", "plan", "trade", "people", "year", "news"))
        return regex.sub(r"\bword\b", lambda m: next(words), text)


class VariedDroppingEngine(VariedEngine):
    """Also drops a glossary placeholder: the sentence is rebuilt and flagged term-fallback."""

    def mangle(self, text):
        return PLACEHOLDER.sub("", super().mangle(text), count=1)


@pytest.fixture
def engine(monkeypatch):
    chosen = {"engine": VariedEngine()}
    monkeypatch.setattr(pipeline.translate.engines.settings, "build_engine", lambda settings, **kwargs: chosen["engine"])
    return chosen


def test_check_of_a_folder_lists_each_documents_flags_and_exits_as_for_one(engine, corpus, tmp_path):
    engine["engine"] = VariedDroppingEngine()
    args = ["check", corpus, "-g", corpus.parent / "g.tsv", "--cache", tmp_path / "c.sqlite3"]
    result = invoke(*args)
    assert result.exit_code == 1
    assert f"{corpus / 'a.txt'}:p1.1     warning  term-fallback:" in result.stdout
    assert f"{corpus / '2024' / 'e.txt'}:p1.1     warning  term-fallback:" in result.stdout
    assert "5 documents checked, 0 failed" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("at warning or worse in 5 of 5 documents")
    assert not (corpus / "index.html").exists() and not list(tmp_path.rglob("*.html"))
    assert invoke(*args, "--fail-on", "error").exit_code == 0


def test_check_of_a_clean_folder_passes_and_an_unreadable_document_fails_it(engine, corpus, tmp_path):
    args = ["check", corpus, "-g", corpus.parent / "g.tsv", "--cache", tmp_path / "c.sqlite3"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "Review: 0 flags to do, 0 notes, 0 resolved; 0 open at warning or worse in 0 of 5 documents")
    (corpus / "empty.txt").write_bytes(b"")
    result = invoke(*args)
    assert result.exit_code == 1 and f"Error: {corpus / 'empty.txt'}: is empty" in result.stderr
