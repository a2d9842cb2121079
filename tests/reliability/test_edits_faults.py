"""Post-edits files: unusable edits paths and ``duizhao edits import`` for a source
that is nowhere (issue 13). Nothing is written where it does not belong, and a
merged file names its source as the reader does, so it can be imported again."""

from __future__ import annotations

import json

import pytest

from .conftest import assert_clean_error, duizhao

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")

EDITS = "source\tmachine\tenglish\n台州港口很大。\tx\tThe port of Taizhou is large.\n"


def saved(project, source="sources/doc.txt", name="saved.edits.tsv"):
    """An edits file as the reader saves it for ``source``."""
    path = project / name
    path.write_text(f"# duizhao edits for {source}\n{EDITS}", encoding="utf-8")
    return path


def english(project):
    data = json.loads((project / "output" / "doc.json").read_text(encoding="utf-8"))
    return [s["translation"] for b in data["blocks"] for s in b["sentences"]]


@clean_error
def test_an_edits_path_that_is_a_folder(project):
    (project / "sources" / "doc.edits.tsv").mkdir()
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert_clean_error(result, "sources/doc.edits.tsv", "is a folder", "move it away")
    assert not (project / "output").exists()


@clean_error
def test_an_unreadable_edits_file(project):
    edits = project / "sources" / "doc.edits.tsv"
    edits.write_text(EDITS, encoding="utf-8")
    edits.chmod(0o000)
    try:
        result = duizhao("run", "sources/doc.txt", cwd=project, unprivileged=True)
    finally:
        edits.chmod(0o644)
    assert_clean_error(result, "sources/doc.edits.tsv", "cannot be read", "make it readable")
    assert edits.read_text(encoding="utf-8") == EDITS


@clean_error
def test_an_edits_file_that_is_not_utf8(project):
    (project / "sources" / "doc.edits.tsv").write_bytes(EDITS.encode("gb18030"))
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert_clean_error(result, "sources/doc.edits.tsv", "not UTF-8")


@clean_error
@pytest.mark.parametrize("how", ["named", "given"], ids=["named-in-the-file", "given-with-source"])
def test_importing_edits_for_a_source_that_is_nowhere(project, how):
    download = saved(project, "gone/lost.txt")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    args = ("edits", "import", download) + (("--source", "gone/lost.txt") if how == "given" else ())
    result = duizhao(*args, cwd=project)
    if how == "named":
        assert_clean_error(result, str(download), "gone/lost.txt", "is not there, in the project nor in its source folder",
                           "--source")
    else:  # click checks --source: a usage error
        assert_clean_error(result, "gone/lost.txt", "does not exist", status=2)
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before  # nothing written


@clean_error
def test_importing_an_unreadable_edits_file(project):
    download = saved(project)
    download.chmod(0o000)
    try:
        result = duizhao("edits", "import", download, cwd=project, unprivileged=True)
    finally:
        download.chmod(0o644)
    assert_clean_error(result, str(download), "is not readable", status=2)  # click checks FILE
    assert not (project / "sources" / "doc.edits.tsv").exists()


@survives
@pytest.mark.parametrize("named", ["sources/doc.txt", "doc.txt"], ids=["path", "name-only"])
def test_a_merged_edits_file_names_its_source_as_the_reader_does(project, named):
    """Importing writes the header the reader writes (the source's path), so the
    merged file can be imported again, from anywhere the source is found."""
    imported = duizhao("edits", "import", saved(project, named), cwd=project)
    assert imported.returncode == 0, imported.stderr
    merged = project / "sources" / "doc.edits.tsv"
    assert merged.read_text(encoding="utf-8").splitlines()[0] == "# duizhao edits for sources/doc.txt"
    copy = project / "copy.tsv"
    copy.write_bytes(merged.read_bytes())
    again = duizhao("edits", "import", copy, cwd=project)
    assert again.returncode == 0, again.stderr
    assert "0 edits added, 1 replaced, 0 flags marked resolved; `duizhao run sources/doc.txt` applies them" in again.stdout
    run = duizhao("run", "sources/doc.txt", cwd=project)
    assert run.returncode == 0 and "1 post-edit applied" in run.stdout, run.stderr
    assert english(project)[0] == "The port of Taizhou is large."
