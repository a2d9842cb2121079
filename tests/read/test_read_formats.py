"""The source formats' table (pipeline.read.formats), the address a block keeps in
a structured source, and what a reader leaves out (boilerplate, page furniture):
in the JSON, read back, valid against the schema, and shown collapsed in the reader."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from pipeline.core.model import DROP_REASONS, Block, Document, Dropped, Sentence
from pipeline.read import SOURCE_SUFFIXES, load_document, source_format
from pipeline.render.formats import document_json, schema
from pipeline.render.reader import render
from pipeline.review.report import describe_segmentation, summarize


@pytest.mark.parametrize(("name", "fmt"), [("a.txt", "text"), ("a.MD", "markdown"), ("a.markdown", "markdown"),
                                           ("notes.log", "text")])
def test_a_source_is_read_in_the_format_its_suffix_names(name, fmt):
    assert source_format(name).name == fmt


def test_a_folder_run_picks_up_every_suffix_of_the_table():
    assert {".txt", ".md", ".markdown"} <= SOURCE_SUFFIXES


def test_text_and_markdown_documents_say_their_format(tmp_path):
    (tmp_path / "a.txt").write_text("台州很美。\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# 台州\n\n台州很美。\n", encoding="utf-8")
    assert load_document(tmp_path / "a.txt").format == "text"
    document = load_document(tmp_path / "b.md")
    assert document.format == "markdown"
    assert json.loads(document_json(document))["format"] == "markdown"


def structured() -> Document:
    kept = Sentence("台州很美。", "台州很美。", translation="Taizhou is beautiful.")
    return Document(
        "page.html", "utf-8", "simplified",
        blocks=[Block("p1", "paragraph", kept.text, kept.text, [3], [kept],
                      address={"file": "page.html", "path": "/html/body/article/p[2]"})],
        dropped=[Dropped("扫码关注<script>alert(1)</script>", [9], None, "boilerplate",
                         address={"file": "page.html", "path": "/html/body/div[4]"}),
                 Dropped("第 3 页", [40], None, "page-furniture")],
        format="html",
    )


def test_address_and_left_out_text_survive_the_json_and_validate(validator):
    data = json.loads(document_json(structured()))
    validator.validate(data)
    assert data["format"] == "html"
    assert data["blocks"][0]["address"] == {"file": "page.html", "path": "/html/body/article/p[2]"}
    assert data["dropped"][0] == {"text": "扫码关注<script>alert(1)</script>", "lines": [9],
                                  "address": {"file": "page.html", "path": "/html/body/div[4]"},
                                  "reason": "boilerplate"}
    back = Document.from_json(data)
    assert back.format == "html" and back.blocks[0].address == data["blocks"][0]["address"]
    assert [(d.reason, d.duplicate_of, d.address) for d in back.dropped] == [
        ("boilerplate", None, {"file": "page.html", "path": "/html/body/div[4]"}), ("page-furniture", None, None)]


def test_schema_reasons_are_the_models():
    assert schema()["$defs"]["dropped"]["properties"]["reason"]["enum"] == list(DROP_REASONS)


def test_left_out_text_is_counted_by_reason_and_listed():
    document = structured()
    assert summarize(document).endswith("2 dropped (1 boilerplate, 1 page furniture)")
    assert "  lines 9: boilerplate: 扫码关注<script>alert(1)</script>" in describe_segmentation(document)


def test_the_reader_lists_left_out_text_collapsed_and_escaped():
    page = render(structured(), now=datetime(2026, 12, 7))
    assert '<details class="left-out"><summary>2 left out of the translation (boilerplate, page furniture)' in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Dropped duplicates" not in page
    assert "2 dropped (1 boilerplate, 1 page furniture)" in page


def test_a_folder_run_reads_every_structured_format_and_goes_on_past_a_broken_one(installed, tmp_path):
    """html, docx, epub and srt sources in one folder: each gets its reader page, its
    JSON (with addresses) and the outputs in its own format; a corrupt book fails
    alone, with one line; the library page shows each document's format."""
    import shutil

    import docx
    import pysubs2
    from click.testing import CliRunner
    from test_docx import word_file
    from test_epub import book
    from test_html import page
    from test_subtitles import subtitles

    from pipeline.cli import cli

    src = tmp_path / "src"
    src.mkdir()
    page(src)
    word_file(src)
    book(src)
    subtitles(src)
    shutil.copy(src / "book.epub", src / "broken.epub")
    (src / "broken.epub").write_bytes((src / "book.epub").read_bytes()[:300])
    out = tmp_path / "out"
    formats = "json,html,docx,en.docx,epub,en.epub,en.html,bi.html,subs,en.subs"
    result = CliRunner().invoke(cli, ["run", str(src), "-o", str(out), "--offline", "--cache",
                                      str(tmp_path / "c.sqlite3"), "-f", formats])
    assert result.exit_code == 1, result.output
    assert f"Error: {src / 'broken.epub'}: is not a valid EPUB book (a damaged or truncated ZIP archive" \
        in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout.strip().splitlines()[-1].startswith("4 documents written, 1 failed; ")
    written = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert written == sorted([
        "index.html",
        "news.json", "news.html", "news.docx", "news.en.docx", "news.en.html", "news.bi.html",
        "report.json", "report.html", "report.docx", "report.en.docx",
        "book.json", "book.html", "book", "book.docx", "book.en.docx", "book.epub", "book.en.epub",
        "talk.json", "talk.html", "talk.docx", "talk.en.docx", "talk.srt", "talk.en.srt"])
    assert sorted(p.name for p in (out / "book").iterdir()) == ["ch001.html", "ch002.html"]  # a page per chapter
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["format"] == "docx" and all("address" in b for b in data["blocks"])
    assert docx.Document(str(out / "report.en.docx")).paragraphs
    assert len(pysubs2.load(str(out / "talk.en.srt"))) == len(pysubs2.load(str(src / "talk.srt")))
    library = (out / "index.html").read_text(encoding="utf-8")
    for fmt in ("html", "docx", "epub", "srt"):
        assert f'<td class="fmt" data-label="Format"><span class="format">{fmt}</span></td>' in library
    reader = (out / "talk.html").read_text(encoding="utf-8")
    assert 'class="row k-cue"' in reader
