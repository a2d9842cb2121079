"""duizhao never renames or replaces a file it did not make (issue 31, class 3).

Given as the cache, as an output, as the library page, as a glossary or edits
file to extend, or as an export target, a file that is not recognisably ours is
one line naming it, and it is left byte for byte as it was; files that are ours
(a damaged cache of ours, last run's outputs) are still rebuilt or replaced.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile

import pytest

from .conftest import assert_clean_error, duizhao

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")


def _png(path):
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)


def _notes(path):
    path.write_text("My notes, not a cache.\n" * 300, encoding="utf-8")


def _zip(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "x" * 5000)


def _sqlite_header_only(path):
    """Starts like any SQLite database, but is not ours and holds nothing of ours."""
    path.write_bytes(b"SQLite format 3\x00" + b"\x10\x00\x01\x01" + b"\x00" * 80 + b"garbage" * 500)


def _other_program_damaged(path):
    """Another program's database, then damaged: SQLite's header, not our schema."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO photos (name) VALUES (?)", [(f"p{i}" * 20,) for i in range(500)])
    conn.close()
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xee" * (len(data) - 4096)
    path.write_bytes(bytes(data))


FOREIGN_CACHES = {"text": _notes, "png": _png, "zip": _zip, "sqlite-header-only": _sqlite_header_only,
                  "other-program-damaged": _other_program_damaged}


@clean_error
@pytest.mark.parametrize("make", list(FOREIGN_CACHES.values()), ids=list(FOREIGN_CACHES))
@pytest.mark.parametrize("command", [("run", "sources/doc.txt"), ("cache", "info"), ("cache", "clear")],
                         ids=["run", "cache-info", "cache-clear"])
def test_a_file_that_is_not_our_cache_is_left_untouched(project, make, command):
    cache = project / "mine.bin"
    make(cache)
    before = cache.read_bytes()
    result = duizhao(*command, "--cache", cache, cwd=project)
    assert_clean_error(result, str(cache), "not a duizhao translation cache", "left untouched")
    assert cache.read_bytes() == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith("mine")) == ["mine.bin"]  # nothing aside
    assert not (project / "output").exists()


@survives
def test_a_damaged_cache_of_ours_is_still_moved_aside_and_rebuilt(project):
    cache = project / "cache" / "translations.sqlite3"
    assert duizhao("run", "sources/doc.txt", cwd=project).returncode == 0
    cache.write_bytes(cache.read_bytes()[:100] + b"\xee" * 5000)  # our header kept, the rest gone
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "was corrupt" in result.stderr and any(".corrupt-" in p.name for p in cache.parent.iterdir())


FOREIGN_OUTPUTS = {
    "json": ("doc.json", json.dumps({"name": "another tool's", "blocks": []}), ()),
    "json-schema-version": ("doc.json", json.dumps({"schema_version": 3, "data": [1, 2]}), ()),
    "html": ("doc.html", "<!DOCTYPE html><title>My page</title><p>mine</p>\n", ()),
    "md": ("doc.md", "# My notes\n\nWritten by hand.\n", ("--format", "md")),
    "en.md": ("doc.en.md", "# Draft\n", ("--format", "en.md,json")),
    "tmx": ("doc.tmx", '<?xml version="1.0"?><tmx version="1.4"><header creationtool="OmegaT"/><body/></tmx>',
            ("--format", "tmx")),
    # A Word file of the user's (a zip without duizhao's archive comment) where the English one would go.
    "en.docx": ("doc.en.docx", "word", ("--format", "en.docx,json")),
    "docx": ("doc.docx", "word", ("--format", "docx")),
}


def _word_file() -> bytes:
    """A small zip shaped like a Word file, as another program would leave it."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@clean_error
@pytest.mark.parametrize(("name", "content", "args"), list(FOREIGN_OUTPUTS.values()), ids=list(FOREIGN_OUTPUTS))
def test_an_output_duizhao_did_not_make_is_left_untouched(project, name, content, args):
    out = project / "output"
    out.mkdir()
    data = _word_file() if content == "word" else content.encode("utf-8")
    (out / name).write_bytes(data)
    result = duizhao("run", "sources/doc.txt", *args, cwd=project)
    assert_clean_error(result, f"output/{name}", "not a file duizhao made", "left untouched")
    assert (out / name).read_bytes() == data
    assert sorted(p.name for p in out.iterdir()) == [name]  # none of the set written


@clean_error
def test_a_markdown_source_is_never_its_own_output(project):
    source = project / "notes" / "doc.md"
    source.parent.mkdir()
    source.write_text("# 台州\n\n台州港口很大。\n", encoding="utf-8")
    before = source.read_bytes()
    result = duizhao("run", "notes/doc.md", "-o", "notes", "--format", "md", cwd=project)
    assert_clean_error(result, "notes/doc.md", "is the source itself")
    assert source.read_bytes() == before


@survives
def test_outputs_of_ours_are_replaced_run_after_run(project):
    for _ in range(2):
        result = duizhao("run", "sources/doc.txt", "--format", "json,html,md,en.md,tmx,docx,en.docx", cwd=project)
        assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(project / "output" / "doc.en.docx") as archive:  # a Word file ours by its comment
        assert archive.comment == b"made by duizhao" and archive.testzip() is None
    english = (project / "output" / "doc.en.md").read_text(encoding="utf-8")
    assert english.rstrip("\n").endswith("[//]: # (made by duizhao: each run writes this file again)")
    # An export written before exports carried their mark is ours when its JSON is.
    (project / "output" / "doc.md").write_text("# 台州\n\n> # Taizhou\n", encoding="utf-8")
    assert duizhao("run", "sources/doc.txt", "--format", "json,md", cwd=project).returncode == 0


@clean_error
def test_an_index_page_duizhao_did_not_make_is_left_untouched(project):
    out = project / "output"
    out.mkdir()
    (out / "index.html").write_text("<!DOCTYPE html><title>My site</title>\n", encoding="utf-8")
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert_clean_error(result, "output/index.html", "not a library page duizhao made", "left untouched")
    assert (out / "index.html").read_text(encoding="utf-8") == "<!DOCTYPE html><title>My site</title>\n"
    assert (out / "doc.json").is_file() and (out / "doc.html").is_file()  # the document itself is written


@clean_error
@pytest.mark.parametrize("command", [
    ("glossary", "add", "台州", "Taizhou", "--file", "README.md"),
    ("glossary", "suggest", "sources/doc.txt", "--tsv", "README.md"),
    ("glossary", "import", "terms.csv", "--into", "README.md"),
], ids=["add", "suggest-drafts", "import"])
def test_a_file_that_is_not_a_glossary_is_never_extended(project, command):
    readme = project / "README.md"
    readme.write_text("# Project\n\nOur notes.\n", encoding="utf-8")
    (project / "terms.csv").write_text("zh,en\n临海,Linhai\n", encoding="utf-8")
    result = duizhao(*command, cwd=project)
    assert_clean_error(result, "README.md", "not a glossary file", "left as it was")
    assert readme.read_text(encoding="utf-8") == "# Project\n\nOur notes.\n"


@clean_error
@pytest.mark.parametrize("name", ["terms.csv", "terms.tbx"])
def test_an_export_never_replaces_a_file_it_did_not_write(project, name):
    target = project / name
    target.write_text("id,name\n1,a file of someone else's\n", encoding="utf-8")
    result = duizhao("glossary", "export", "-o", name, cwd=project)
    assert_clean_error(result, name, "not a", "left untouched")
    assert target.read_text(encoding="utf-8") == "id,name\n1,a file of someone else's\n"
    target.unlink()
    assert duizhao("glossary", "export", "-o", name, cwd=project).returncode == 0
    assert duizhao("glossary", "export", "-o", name, cwd=project).returncode == 0  # ours: replaced


@clean_error
def test_edits_are_never_merged_into_a_file_that_is_not_an_edits_file(project):
    target = project / "sources" / "doc.edits.tsv"
    target.write_text("# my own list of things to check\n# in this document\n", encoding="utf-8")
    download = project / "saved.tsv"
    download.write_text("# duizhao edits for sources/doc.txt\nsource\tmachine\tenglish\n台州港口很大。\tx\tPort.\n",
                        encoding="utf-8")
    result = duizhao("edits", "import", download, cwd=project)
    assert_clean_error(result, "sources/doc.edits.tsv", "not an edits file", "left untouched")
    assert target.read_text(encoding="utf-8") == "# my own list of things to check\n# in this document\n"
