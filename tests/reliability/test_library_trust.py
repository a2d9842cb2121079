"""The library page trusts nothing it finds (issue 31, class 7).

A damaged row in ``.duizhao-library.json``, or JSON files of other tools in the
output folder, once crashed the library step of every later run into that
folder. Now what is not a document model duizhao wrote is left out with one
warning (however many there are), and a damaged memo is rebuilt.
"""

from __future__ import annotations

import json

import pytest

from pipeline.render.index import ROW_VERSION

from .conftest import duizhao

survives = pytest.mark.outcome("survives")

MEMO = ".duizhao-library.json"


@pytest.fixture
def library(project):
    """The project after one run: output/ holds doc.json, doc.html, the page and the memo."""
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "output" / MEMO).is_file()
    return project


def rows_listed(project) -> list[str]:
    page = (project / "output" / "index.html").read_text(encoding="utf-8")
    return [line for line in page.splitlines() if line.startswith("<tr data-title=")]


def good_memo(project) -> dict:
    memo = json.loads((project / "output" / MEMO).read_text(encoding="utf-8"))
    assert memo["version"] == ROW_VERSION and list(memo["rows"]) == ["doc.json"]
    row = memo["rows"]["doc.json"]["row"]
    assert row["sentences"] == 2 and set(row["flags"]) == {"error", "warning", "info"}
    return memo


def _row(edit):
    def damage(memo):
        edit(memo["rows"]["doc.json"])
        return json.dumps(memo)
    return damage


def _rows(value):
    def damage(memo):
        memo["rows"] = value
        return json.dumps(memo)
    return damage


DAMAGED_MEMOS = {
    "row-without-flags": _row(lambda entry: entry["row"].pop("flags")),
    "flags-a-string": _row(lambda entry: entry["row"].update(flags="many")),
    "terms-not-a-list": _row(lambda entry: entry["row"].update(terms=7)),
    "negative-count": _row(lambda entry: entry["row"].update(sentences=-3)),
    "stamp-not-a-list": _row(lambda entry: entry.update(stamp="yesterday")),
    "row-a-list": _row(lambda entry: entry.update(row=[1, 2, 3])),
    "entry-a-string": _rows({"doc.json": "x"}),
    "rows-a-list": _rows([1, 2]),
    "not-json": lambda memo: '{"version": 1, "rows": {"doc.json": ',
    "deep-json": lambda memo: "[" * 100_000 + "]" * 100_000,
    "not-utf8": lambda memo: "\udcff",
}


@survives
@pytest.mark.parametrize("damage", list(DAMAGED_MEMOS.values()), ids=list(DAMAGED_MEMOS))
def test_a_damaged_memo_is_rebuilt(library, damage):
    memo = library / "output" / MEMO
    text = damage(json.loads(memo.read_text(encoding="utf-8")))
    memo.write_bytes(text.encode("utf-8", "surrogateescape"))
    # The document is unchanged, so its row in the memo would be used if it were trusted.
    result = duizhao("run", "sources/doc.txt", cwd=library)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert f"{MEMO}: damaged" in result.stderr and "rebuilt" in result.stderr
    assert len(rows_listed(library)) == 1
    good_memo(library)


@survives
def test_a_memo_of_another_version_is_rebuilt_quietly(library):
    memo = library / "output" / MEMO
    memo.write_text(json.dumps({"version": 99, "rows": {"doc.json": {"stamp": [1, 2], "row": "later"}}}))
    result = duizhao("run", "sources/doc.txt", cwd=library)
    assert result.returncode == 0 and "Warning" not in result.stderr, result.stderr
    good_memo(library)


FOREIGN_JSON = {
    "package.json": json.dumps({"name": "site", "version": "1.0.0"}),
    "list.json": "[1, 2, 3]",
    "blocks-flags-a-number.json": json.dumps({"schema_version": 1, "blocks": [{"kind": "paragraph", "flags": 5}]}),
    "sentences-a-string.json": json.dumps({"schema_version": 1, "blocks": [{"sentences": "abc", "text": 3}]}),
    "edits-wrong.json": json.dumps({"schema_version": 1, "blocks": [], "edits": {"applied": "x", "orphaned": 3}}),
    "title-a-list.json": json.dumps({"schema_version": 1, "source": ["a"], "blocks": [{"kind": "title", "text": [[]]}]}),
    "deep.json": "[" * 50_000 + "]" * 50_000,
    "not-utf8.json": "\udcff\udcfe{}",
    "huge-number.json": json.dumps({"schema_version": 10**400, "blocks": []}),
    "truncated.json": '{"schema_version": 1, "blocks": [',
}


@survives
def test_json_files_of_other_tools_are_left_out_with_one_warning(library):
    out = library / "output"
    (out / "site").mkdir()
    for name, text in FOREIGN_JSON.items():
        (out / "site" / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    result = duizhao("run", "sources/doc.txt", cwd=library)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "left out of the library" in line]
    assert len(warnings) == 1, result.stderr
    assert f"and {len(FOREIGN_JSON) - 3:,} more" in warnings[0]
    assert len(rows_listed(library)) == 1  # the document, and nothing else
    assert list(good_memo(library)["rows"]) == ["doc.json"]
    for name, text in FOREIGN_JSON.items():  # nothing of theirs touched
        assert (out / "site" / name).read_bytes() == text.encode("utf-8", "surrogateescape")


@survives
def test_the_memo_is_never_written_through_a_link(library, tmp_path):
    mine = tmp_path / "my-notes.json"
    mine.write_text('{"mine": true}\n', encoding="utf-8")
    memo = library / "output" / MEMO
    memo.unlink()
    memo.symlink_to(mine)
    result = duizhao("run", "sources/doc.txt", cwd=library)
    assert result.returncode == 0, result.stderr
    assert mine.read_text(encoding="utf-8") == '{"mine": true}\n' and memo.is_symlink()
    assert len(rows_listed(library)) == 1
