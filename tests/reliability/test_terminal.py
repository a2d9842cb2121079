"""What the command line prints: control characters from a source, a file name or
a glossary never reach the terminal raw; counts read as English; a source that is
not Chinese is said to be so (issue 13)."""

from __future__ import annotations

import json

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.text import printable

from .conftest import assert_clean_error, duizhao

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")

#: Retitle the terminal, clear it, CSI in its C1 form, a bare carriage return, a
#: right-to-left override, DEL.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m\r\u202e\x7f"
RAW = regex.compile(r"[[\p{Cc}\p{Bidi_Control}]--[\n\t]]", flags=regex.V1)


def assert_safe(text: str) -> None:
    assert not RAW.search(text), repr(RAW.search(text))


@survives
@given(st.text())
def test_printable_leaves_nothing_a_terminal_obeys_and_loses_nothing(text):
    shown = printable(text)
    assert_safe(shown)
    if "\\" not in text:  # each escape reads back as its character
        assert regex.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m[1], 16)), shown) == text


@survives
def test_segment_shows_escape_sequences_of_a_source_as_escapes(project):
    (project / "sources" / "doc.txt").write_text(f"台州港口{HOSTILE}很大。\n", encoding="utf-8")
    result = duizhao("segment", "sources/doc.txt", cwd=project)
    assert result.returncode == 0, result.stderr
    assert_safe(result.stdout + result.stderr)
    assert "\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m" in result.stdout


@survives
def test_segment_json_is_safe_and_keeps_the_text(project):
    (project / "sources" / "doc.txt").write_text(f"台州港口{HOSTILE}很大。\n", encoding="utf-8")
    result = duizhao("segment", "--json", "sources/doc.txt", cwd=project)
    assert result.returncode == 0, result.stderr
    assert_safe(result.stdout)
    text = json.loads(result.stdout)["blocks"][0]["text"]
    assert "\x1b]0;pwned\x07" in text and "\x9b31m" in text


@survives
def test_a_run_prints_hostile_file_names_and_warnings_safely(project):
    name = f"doc{HOSTILE.replace(chr(13), '')}.txt"
    (project / "sources" / "doc.txt").rename(project / "sources" / name)
    (project / "sources" / name.replace(".txt", ".edits.tsv")).write_text(
        f"source\tmachine\tenglish\n早已删除{HOSTILE}的句子。\tx\ty\n", encoding="utf-8")
    result = duizhao("run", f"sources/{name}", cwd=project)
    assert result.returncode == 0, result.stderr
    assert_safe(result.stdout + result.stderr)
    assert "orphaned edit" in result.stderr and "\\u001b]0;pwned" in result.stdout + result.stderr


@clean_error
def test_an_error_naming_a_hostile_path_is_safe(project):
    result = duizhao("run", f"sources/missing{HOSTILE}.txt", cwd=project)
    assert_clean_error(result, "\\u001b]0;pwned")
    assert_safe(result.stdout + result.stderr)


@clean_error
def test_a_glossary_error_is_safe(project):
    (project / "glossary" / "g.tsv").write_text(f"zh\ten\n台州\tTaizhou\t{HOSTILE}\textra\n", encoding="utf-8")
    result = duizhao("glossary", "check", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert_safe(result.stdout + result.stderr)


# -- counts and notices -----------------------------------------------------------------------


@survives
def test_counts_of_one_are_singular(project):
    (project / "sources" / "doc.txt").write_text("港口很大。\n", encoding="utf-8")
    run = duizhao("run", "sources/doc.txt", cwd=project)
    assert run.returncode == 0, run.stderr
    assert "1 sentence: 1 translated" in run.stdout
    saved = project / "saved.edits.tsv"
    saved.write_text("# duizhao edits for sources/doc.txt\nsource\tmachine\tenglish\n港口很大。\tx\tThe port is big.\n",
                     encoding="utf-8")
    imported = duizhao("edits", "import", saved, cwd=project)
    assert "1 edit added, 0 replaced" in imported.stdout, imported.stdout + imported.stderr
    again = duizhao("run", "sources/doc.txt", cwd=project)
    assert "1 post-edit applied" in again.stdout
    check = duizhao("glossary", "check", cwd=project)
    assert "OK: 1 entry in 1 file:" in check.stdout
    bad = project / "glossary" / "bad.tsv"
    bad.write_text("zh\ten\tnote\n玉环\n", encoding="utf-8")
    assert f"{bad}:2: 1 column, expected 3" in duizhao("glossary", "check", bad, cwd=project).stderr


@survives
@pytest.mark.parametrize("text", ["The port of Taizhou is large.\n\nIt grew by half a million boxes.\n",
                                  "대산항은 크다.\n"], ids=["english", "korean"])
def test_a_source_that_is_not_chinese_is_said_to_be_so(project, text):
    (project / "sources" / "doc.txt").write_text(text, encoding="utf-8")
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "sources/doc.txt: the source does not look like Chinese" in result.stderr
    assert "translated as Chinese" in result.stderr
    assert "not-chinese" in result.stdout  # counted among the flags to review
    data = json.loads((project / "output" / "doc.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in data["blocks"][0]["flags"]] == ["not-chinese"]


@survives
def test_chinese_quoting_english_is_chinese(project):
    (project / "sources" / "doc.txt").write_text("台州港口很大,被称为“Gateway to the East”。\n", encoding="utf-8")
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert result.returncode == 0 and "not look like Chinese" not in result.stderr, result.stderr
