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
