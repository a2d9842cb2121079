"""Books in the reader (pipeline.render.book): a contents page and one reader
page per chapter, written as one set; a short document stays one page."""

from __future__ import annotations

import re
from pathlib import Path

from fakes import english_for
from test_docx import word_file
from test_epub import book

from pipeline.read import load_document
from pipeline.render.formats import write_formats


def test_a_book_gets_a_contents_page_and_a_page_per_chapter(tmp_path):
    document = load_document(book(tmp_path))
    english_for(document)
    out = tmp_path / "out"
    written = write_formats(document, out, ["html"])
    assert sorted(p.relative_to(out).as_posix() for p in written) == [
        "book.html", "book/ch001.html", "book/ch002.html"]
    contents = (out / "book.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">', contents)
    assert links == ["book/ch001.html", "book/ch002.html"] and all((out / link).is_file() for link in links)
    assert "台州故事集" in contents and "第二章 山海" in contents and "English sentence" in contents
    first = (out / "book/ch001.html").read_text(encoding="utf-8")
    second = (out / "book/ch002.html").read_text(encoding="utf-8")
    assert "第一章 港口" in first and "第二章 山海" not in first.split("<main")[-1].split("</main>")[0]
    assert "第二章 山海" in second
    assert "http://" not in contents.replace("http://www.w3.org", "") and "<script src" not in contents


def test_a_book_is_written_again_over_its_own_pages(tmp_path):
    """The contents page is a page duizhao made: the next run writes over it."""
    document = load_document(book(tmp_path))
    english_for(document)
    first = write_formats(document, tmp_path / "out", ["html"])
    assert write_formats(document, tmp_path / "out", ["html"]) == first


def test_a_short_document_is_one_page(tmp_path):
    document = load_document(word_file(tmp_path))
    written = write_formats(document, tmp_path / "out", ["html"])
    assert [p.name for p in written] == ["report.html"]
