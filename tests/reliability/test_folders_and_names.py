"""Folders that loop and names that are not UTF-8 (issue 31, class 6).

A folder run follows links to folders but enters every real folder once: links
back up the tree cannot make it go round or grow exponentially. An output folder
that is a link loop is one line. A file name that is not valid UTF-8 (an archive
made on Windows) is handled like any other: its document is translated and
written under its own name, and every place that shows the name (messages, JSON,
pages, the library, ``duizhao serve``) shows it escaped.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.archive import jobs

from .conftest import assert_clean_error, duizhao

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")

#: 测试 in GBK, and é in Latin-1: neither is valid UTF-8.
GBK_NAME = b"\xb2\xe2\xca\xd4.txt"
LATIN1_NAME = b"caf\xe9.txt"


def loops(root: Path) -> Path:
    """``root/sources`` with two documents in real folders and links that loop:
    each folder links back to the top and to the other folder."""
    sources = root / "sources"
    (sources / "a" / "deep").mkdir(parents=True)
    (sources / "b").mkdir()
    (sources / "a" / "deep" / "one.txt").write_text("台州港口很大。\n", encoding="utf-8")
    (sources / "b" / "two.txt").write_text("台州很美,我们在东边。\n", encoding="utf-8")
    (sources / "a" / "deep" / "top").symlink_to("../..")
    (sources / "b" / "top").symlink_to("..")
    (sources / "a" / "to-b").symlink_to("../b")
    (sources / "b" / "to-a").symlink_to("../a")
    (sources / "self").symlink_to(".")
    (sources / "dangling").symlink_to("nowhere")
    (sources / "loop").symlink_to("loop")
    return sources


@survives
def test_every_real_folder_is_listed_once(tmp_path, monkeypatch):
    """Counts the folders listed: one per real folder, however the links loop.
    (Without the visited set, two loops made the walk exponential: the count
    stops at a thousand so that a regression fails rather than hangs.)"""
    sources = loops(tmp_path)
    listed: list[Path] = []
    real_iterdir = Path.iterdir

    def counting(self):
        listed.append(self)
        if len(listed) > 1000:
            raise AssertionError("the walk went round")
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", counting)
    found = jobs.discover([sources], tmp_path / "output")
    real = {os.stat(p).st_ino for p in listed}
    assert len(listed) == len(real) == 4  # sources, a, a/deep, b
    assert sorted(job.source.name for job in found) == ["one.txt", "two.txt"]


@survives
def test_a_folder_run_through_loops_writes_each_document_once(project):
    sources = loops(project / "tree")
    result = duizhao("run", sources, "-o", "output", cwd=project, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "2 documents written, 0 failed" in result.stdout.splitlines()[-1]
    assert sorted(p.name for p in (project / "output").rglob("[!.]*.json")) == ["one.json", "two.json"]


@clean_error
@pytest.mark.parametrize("many", [False, True], ids=["one-document", "folder"])
def test_an_output_folder_that_is_a_loop(project, many):
    (project / "out").symlink_to("out2")
    (project / "out2").symlink_to("out")
    source = "sources" if many else "sources/doc.txt"
    result = duizhao("run", source, "-o", "out", cwd=project, timeout=120)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1
    assert "symbolic link that loops" in result.stderr and "Error" in result.stderr
    assert (project / "out").is_symlink() and (project / "out2").is_symlink()


def non_utf8_sources(project: Path) -> Path:
    folder = os.fsencode(project / "sources")
    for name, text in ((GBK_NAME, "台州港口很大。\n"), (LATIN1_NAME, "台州很美,我们在东边。\n")):
        with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    return project / "sources"


@survives
def test_documents_with_names_that_are_not_utf8_are_translated_and_shown_escaped(project):
    non_utf8_sources(project)
    result = duizhao("run", "sources", "-o", "output", cwd=project, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "3 documents written, 0 failed" in result.stdout.splitlines()[-1]
    written = sorted(os.listdir(os.fsencode(project / "output")))
    assert b"\xb2\xe2\xca\xd4.json" in written and b"caf\xe9.html" in written  # under their own names
    for name in written:
        if name.endswith((b".json", b".html")):
            data = (Path(os.fsdecode(project / "output")) / os.fsdecode(name)).read_bytes()
            data.decode("utf-8")  # every output is valid UTF-8
    model = json.loads((project / "output" / os.fsdecode(b"caf\xe9.json")).read_text(encoding="utf-8"))
    assert os.fsencode(model["source"]).endswith(LATIN1_NAME)  # the escape reads back as the name
    library = (project / "output" / "index.html").read_text(encoding="utf-8")
    assert 'href="caf%E9.html"' in library and "caf\\udce9" in library
    check = duizhao("check", "sources", "--fail-on", "error", cwd=project, timeout=120)
    # The flags the test model leaves decide the status; the names must come through whatever it is.
    assert check.returncode in (0, 1) and "\\udce9" in check.stdout and "Traceback" not in check.stderr
    assert check.stdout.splitlines()[-1].endswith("of 3 documents")


@survives
def test_serve_starts_and_serves_pages_whose_names_are_not_utf8(project):
    non_utf8_sources(project)
    assert duizhao("run", "sources", "-o", "output", cwd=project, timeout=120).returncode == 0
    server = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "output", "--port", "0"], cwd=project,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = server.stdout.readline()
        assert first.startswith("Serving output on http://127.0.0.1:"), first + server.stderr.read()
        port = int(first.split("127.0.0.1:")[1].split("/")[0])
        library = server.stdout.readline().strip()  # / is the library page, which links every reader
        assert library.startswith("http://127.0.0.1:%d/" % port), library
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for path in ("/caf%E9.html", "/%B2%E2%CA%D4.html", "/"):
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200, (path, response.status)
            body.decode("utf-8")
        assert 'href="caf%E9.html"' in body.decode("utf-8")  # the library links the page by its bytes
        connection.close()
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=10)
    assert "Traceback" not in errors
