"""Work that grows no faster than the input, and the bounds (issue 31, class 8).

A scaling test counts work (elements visited, characters gathered, comparisons
made), never seconds: doubling the input may at most about double the count.
Each bound has a stress case that goes one step past it and would fail if the
bound were removed.
"""

from __future__ import annotations

import difflib
import http.server
import threading

import xml.etree.ElementTree as ET

import pytest

import pipeline.core.xmlfile as xmlfile
from pipeline.core.model import Block, Document, Sentence
from pipeline.core.xmlfile import MAX_DEPTH
from pipeline.review.edits import Edit, apply_edits
from pipeline.review.evaluate import ReferenceFileError, read_reference
from pipeline.terms.termbase import TermbaseError, read_tbx

from .conftest import duizhao

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")


class Counted(ET.Element):
    """An element that counts the work done on the tree: each element any walk
    yields (children, descendants) and each character of text gathered. The
    readers are counted whatever ElementTree calls they use."""

    work = 0

    def __iter__(self):
        for index in range(len(self)):
            Counted.work += 1
            yield self[index]

    def iter(self, tag=None):
        for element in super().iter(tag):
            Counted.work += 1
            yield element

    def itertext(self):
        for text in super().itertext():
            Counted.work += len(text)
            yield text


#: The tree builder of the standard library, for ET.fromstring and friends.
TREE_BUILDER = ET.TreeBuilder


class CountingBuilder(xmlfile._Builder):
    def __init__(self):
        TREE_BUILDER.__init__(self, element_factory=Counted)
        self.depth = 0


def nested_tbx(depth: int) -> bytes:
    """Entries inside entries, each with a term, a definition inside a definition, and text at every level."""
    entry = ('<conceptEntry id="e{n}"><langSec xml:lang="zh"><termSec><term>台州{n}</term></termSec></langSec>'
             '<langSec xml:lang="en"><descrip type="definition">d{n}')
    close = '</descrip><termSec><term>Taizhou{n}</term></termSec></langSec></conceptEntry>'
    levels = max(1, (depth - 4) // 4)
    opened = "".join(entry.format(n=n) for n in range(levels))
    closed = "".join(close.format(n=n) for n in reversed(range(levels)))
    return f'<tbx><text><body>{opened}{closed}</body></text></tbx>'.encode()


def nested_tmx(depth: int) -> bytes:
    levels = max(1, (depth - 4) // 3)
    opened = "".join(f'<tu><tuv xml:lang="zh"><seg>台州{n}' for n in range(levels))
    closed = "".join(f'</seg></tuv><tuv xml:lang="en"><seg>Taizhou{n}</seg></tuv></tu>' for n in range(levels))
    return f'<tmx version="1.4"><header/><body>{opened}{closed}</body></tmx>'.encode()


@survives
@pytest.mark.parametrize("make, read", [
    (nested_tbx, lambda data, tmp: read_tbx(data)),
    (nested_tmx, lambda data, tmp: (tmp.write_bytes(data), read_reference(tmp))[1]),
], ids=["tbx", "tmx"])
def test_xml_imports_are_linear_in_the_nesting(monkeypatch, tmp_path, make, read):
    """A reader that looked for entries, terms and notes under every ancestor was
    quadratic in the depth (a 1.4 MB file took 90 s): doubling the depth now at
    most about doubles the elements walked and the characters gathered."""
    monkeypatch.setattr(xmlfile, "_Builder", CountingBuilder)
    monkeypatch.setattr(ET, "TreeBuilder", lambda *a, **k: TREE_BUILDER(element_factory=Counted))
    counts = []
    for depth in (MAX_DEPTH // 4, MAX_DEPTH // 2, MAX_DEPTH):
        Counted.work = 0
        data = make(depth)
        found = read(data, tmp_path / "ref.tmx")
        assert found  # entries or pairs were read, at every depth
        counts.append(Counted.work)
        assert Counted.work <= 4 * len(data)  # a few steps per byte, whatever the depth
    assert counts[1] <= 2.3 * counts[0] and counts[2] <= 2.3 * counts[1], counts


@clean_error
@pytest.mark.parametrize("make, read, error", [
    (lambda depth: b"<tbx>" + b"<a>" * (depth - 1) + b"</a>" * (depth - 1) + b"</tbx>", read_tbx, TermbaseError),
    (lambda depth: b"<tmx>" + b"<a>" * (depth - 1) + b"</a>" * (depth - 1) + b"</tmx>", None, ReferenceFileError),
], ids=["tbx", "tmx"])
def test_the_xml_depth_bound(tmp_path, make, read, error):
    """The stress case of the nesting bound: one element past :data:`MAX_DEPTH` is
    refused with one line; at the bound the file is read (it has no entries)."""
    def parse(data):
        if read is not None:
            return read(data)
        path = tmp_path / "ref.tmx"
        path.write_bytes(data)
        return read_reference(path)

    with pytest.raises(error, match=f"nested more than {MAX_DEPTH} deep"):
        parse(make(MAX_DEPTH + 1))
    if read is not None:
        assert parse(make(MAX_DEPTH)) == ([], [])
    else:
        with pytest.raises(error, match="holds no translation unit"):
            parse(make(MAX_DEPTH))


def document_of(sentences: list[str]) -> Document:
    blocks = [Block(id=f"p{n}", kind="paragraph", text=text, simplified=text, lines=[n + 1],
                    sentences=[Sentence(text=text, simplified=text, translation="English.")])
              for n, text in enumerate(sentences)]
    return Document(source="doc.txt", encoding="utf-8", script="simplified", blocks=blocks)


@survives
def test_finding_the_closest_sentence_of_orphans_is_linear(monkeypatch):
    """Every orphan against every sentence was 35x slower with 20,000 orphans;
    now each orphan is compared in full with a bounded number of sentences."""
    calls = {"ratio": 0}
    ratio = difflib.SequenceMatcher.ratio

    def counted(self):
        calls["ratio"] += 1
        return ratio(self)

    monkeypatch.setattr(difflib.SequenceMatcher, "ratio", counted)
    for size in (500, 1000):
        calls["ratio"] = 0
        sentences = [f"台州第{n}号港口今年很大，吞吐量增长了{n}万吨。" for n in range(size)]
        edits = {f"杭州{n}": Edit(f"杭州第{n}号港口今年很大，吞吐量增长了{n}万吨。", "", "x", n) for n in range(size)}
        document = document_of(sentences)
        apply_edits(document, edits, "doc.edits.tsv")
        orphaned = document.edits["orphaned"]
        assert len(orphaned) == size
        assert orphaned[7]["closest"] == sentences[7]  # the near one is still found
        assert calls["ratio"] <= 8 * size, calls


@survives
def test_twenty_thousand_orphans_are_summarised(project):
    rows = "".join(f"杭州第{n}句很美。\tx\tHangzhou {n}.\n" for n in range(20_000))
    (project / "sources" / "doc.edits.tsv").write_text("source\tmachine\tenglish\n" + rows, encoding="utf-8")
    result = duizhao("run", "sources/doc.txt", cwd=project, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    orphan_lines = [line for line in result.stderr.splitlines() if "orphaned edit" in line]
    assert len(orphan_lines) <= 11
    assert "… and 19,990 more orphaned edits" in result.stderr
    assert "20000 orphaned" in result.stdout.splitlines()[-1]


@clean_error
def test_the_package_index_size_bound(monkeypatch):
    """The stress case of the index's size bound (made small here): an index one
    byte past it is refused, one at it is read."""
    from pipeline.translate import packages

    body = {"data": b"[]"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body["data"])))
            self.end_headers()
            self.wfile.write(body["data"])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setattr(packages, "MAX_INDEX_BYTES", 1000)
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        body["data"] = b"[" + b" " * 998 + b"]"
        assert packages.available_packages(url, timeout=5) == []
        body["data"] = b"[" + b" " * 999 + b"]"
        with pytest.raises(packages.PackageIndexError, match="larger than"):
            packages.available_packages(url, timeout=5)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
