"""PDF sources (pipeline.read.pdf, geometry, pdflayout): PDFs built here from text of
known structure come back as the blocks they were made from (columns in order,
furniture left out, footnotes apart and tied to their markers, a table cell by
cell, paragraphs joined across columns and pages); bad PDFs get one line each;
real PDFs from public repositories (tests/data/pdf/SOURCES.md) come through."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.core.errors import SourceError
from pipeline.read import load_document, source_format
from pipeline.render.formats import document_json
from pipeline.render.reader import render
from pipeline.testing import pdfs

DATA = Path(__file__).resolve().parents[1] / "data" / "pdf"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "paper.pdf"
    built = pdfs.two_column_pdf(path)
    return path, built, load_document(path)


def body(document):
    return [b for b in document.blocks if b.kind in ("title", "heading", "paragraph", "caption")]


def test_pdf_and_image_suffixes_have_their_readers():
    assert source_format("report.PDF").name == "pdf"
    assert {source_format(f"scan{s}").name for s in (".png", ".jpg", ".jpeg", ".tif", ".tiff")} == {"image"}


def test_two_columns_come_back_in_reading_order_as_the_text_they_were_made_from(paper):
    _, built, document = paper
    assert document.format == "pdf" and document.encoding.startswith("pdf text layer")
    kinds = {b.text: b.kind for b in document.blocks}
    assert kinds[built.title] == "title"
    assert [kinds[h] for h in built.headings] == ["heading", "heading"]
    # Every paragraph whole, even those broken across a column or a page, in the order written.
    texts = [b.text for b in body(document) if b.kind != "title"]
    assert texts == [t for t in built.order if t in texts] and set(built.order) <= set(texts)
    assert any("joined" in [f.code for f in b.flags] for b in document.blocks)


def test_running_headers_footers_and_page_numbers_are_left_out_and_listed(paper):
    _, built, document = paper
    furniture = [d for d in document.dropped if d.reason == "page-furniture"]
    assert [re.sub(r"\s+", "", d.text) for d in furniture] == [re.sub(r"\s+", "", t) for t in built.furniture]
    assert all(d.address["page"] in (1, 2) for d in furniture)
    assert not any("城市治理研究" in b.text or b.text.startswith("—") for b in document.blocks)


def test_the_footnote_stands_apart_tied_to_the_paragraph_that_carries_its_marker(paper):
    _, built, document = paper
    notes = [b for b in document.blocks if b.kind == "footnote"]
    assert [n.text for n in notes] == built.footnotes
    cited = next(b for b in document.blocks if b.id == notes[0].address["note_of"])
    assert "重建¹。" in cited.text and cited.text == built.paragraphs[0]
    assert [m.kind for s in cited.sentences for m in s.marks] == ["note"]


def cells_of(table) -> list[list[str]]:
    return [[" ".join(table.sentences[n - 1].text for n in cell) for cell in row] for row in table.table["rows"]]


def test_a_table_without_rules_beside_the_other_columns_text_is_a_table_cell_by_cell(tmp_path):
    """The paper's table drawn as cells only, lined up in columns, the other page
    column's paragraphs on the same rows: the same table block, the paragraphs whole."""
    path = tmp_path / "unruled.pdf"
    built = pdfs.two_column_pdf(path, ruled=False)
    document = load_document(path)
    tables = [b for b in document.blocks if b.kind == "table"]
    assert [cells_of(t) for t in tables] == built.tables == [pdfs.SAMPLE_TABLE]
    texts = [b.text for b in body(document) if b.kind != "title"]
    assert texts == [t for t in built.order if t in texts] and set(built.order) <= set(texts)


@pytest.mark.parametrize("rows, widths", [
    ([["项目", "2022年", "2023年", "增长"], ["地区生产总值", "6040", "6240", "3.3%"],
      ["进出口总额", "2732", "2851", "4.4%"], ["港口吞吐量", "3.1", "3.3", "6.5%"]], [130, 90, 90, 90]),
    ([["姓名", "单位"], ["张三", "台州市政府"], ["李四", "临海市统计局"]], [120, 160]),
], ids=["figures", "two-columns"])
def test_cells_lined_up_without_rules_make_a_table(tmp_path, rows, widths):
    path = tmp_path / "aligned.pdf"
    pdfs.aligned_pdf(path, rows, widths)
    document = load_document(path)
    assert [cells_of(b) for b in document.blocks if b.kind == "table"] == [rows]
    assert [b.kind for b in document.blocks] == ["paragraph", "table", "paragraph"]


@pytest.mark.parametrize("rows, widths", [
    ([["（一）", "加强组织领导"], ["（二）", "完善工作机制"], ["（三）", "强化督查考核"]], [40, 200]),  # a list
    ([["第一条", "为了规范管理"], ["第二条", "本办法适用于"], ["第三条", "各单位应当"]], [60, 200]),  # articles
    ([["杭州", "4"], ["成都", "5"]], [100, 100]),  # two rows: too few to tell
    ([[pdfs.SENTENCES[0][:15], "4"], [pdfs.SENTENCES[1][:15], "5"], [pdfs.SENTENCES[2][:15], "6"]], [260, 60]),
], ids=["list", "articles", "two-rows", "long-cells"])
def test_lines_that_only_look_aligned_are_not_a_table(tmp_path, rows, widths):
    path = tmp_path / "not.pdf"
    pdfs.aligned_pdf(path, rows, widths)
    document = load_document(path)
    assert not [b for b in document.blocks if b.kind == "table"]
    assert all(cell in "\n".join(b.text for b in document.blocks) for row in rows for cell in row)


def test_the_ruled_table_is_a_table_block_cell_by_cell_with_its_caption(paper):
    _, built, document = paper
    table = next(b for b in document.blocks if b.kind == "table")
    cells = [[" ".join(table.sentences[n - 1].text for n in cell) for cell in row] for row in table.table["rows"]]
    assert cells == built.tables[0]
    # Its caption ends page 1's column; page 1's footnote stands between them.
    before = [b for b in document.blocks[:document.blocks.index(table)] if b.kind != "footnote"]
    assert (before[-1].kind, before[-1].text) == ("caption", "表1 调查样本构成")


def test_every_block_keeps_its_page_and_box_and_laid_out_lines(paper, validator):
    _, _, document = paper
    data = json.loads(document_json(document))
    validator.validate(data)
    for block in data["blocks"]:
        x0, top, x1, bottom = block["address"]["box"]
        assert block["address"]["page"] in (1, 2) and 0 <= x0 < x1 <= 595 and 0 <= top < bottom <= 842
        assert block["lines"] and all(isinstance(n, int) and n >= 1 for n in block["lines"])
    numbers = [n for b in data["blocks"] for n in b["lines"]] + [n for d in data["dropped"] for n in d["lines"]]
    assert len(numbers) == len(set(numbers))  # each laid-out line is in one place
    joined = [b for b in data["blocks"] if "parts" in b["address"]]
    assert joined and all(len(b["address"]["parts"]) >= 2 for b in joined)


def test_the_reader_shows_each_block_s_page(paper):
    _, _, document = paper
    page = render(document, now=datetime(2026, 12, 7))
    first = next(b for b in document.blocks if b.address["page"] == 2)
    row = page[page.index(f'id="{first.id}"'):]
    assert '<span class="page" title="On page 2 of the source">p.&nbsp;2</span>' in row[:600]


def test_a_paragraph_that_ends_a_column_with_a_full_stop_still_goes_on(tmp_path):
    """The geometry, not the punctuation, says a paragraph goes on: its last line
    runs to the column's edge and the next column starts without an indent."""
    path = tmp_path / "flow.pdf"
    built = pdfs.two_column_pdf(path, paragraphs=18)
    document = load_document(path)
    texts = [b.text for b in document.blocks if b.kind == "paragraph"]
    assert set(built.paragraphs) - {"表1 调查样本构成"} <= set(texts)


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: pdfs.plain_pdf(p, ["台州很美。"], encrypt="secret"),
     "is encrypted (password protected) (give its password with --password)"),
    (lambda p: p.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog"), "is not a readable PDF"),
    (lambda p: p.write_bytes(b"PK\x03\x04 not a pdf at all"), "is not a readable PDF"),
    (pdfs.zero_page_pdf, "has no pages (nothing to translate)"),
    (lambda p: pdfs.without_unicode_map(p, ["台州位于浙江省中部沿海，是一座有山有海的城市。"] * 3),
     "page 1: the text is not Chinese or English"),
], ids=["encrypted", "truncated", "not-a-pdf", "zero-pages", "no-unicode-map"])
def test_bad_pdfs_get_one_line_naming_the_file_and_the_fix(tmp_path, make, message):
    path = tmp_path / "bad.pdf"
    make(path)
    with pytest.raises(SourceError) as caught:
        load_document(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)
    assert "\n" not in str(caught.value)
    result = invoke("segment", path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and message in result.output


def test_no_unicode_map_suggests_ocr(tmp_path):
    path = tmp_path / "glyphs.pdf"
    pdfs.without_unicode_map(path, ["台州位于浙江省中部沿海，是一座有山有海的城市。"] * 3)
    result = invoke("segment", path)
    assert "run again with --ocr" in result.output


def test_the_password_opens_an_encrypted_pdf_and_a_wrong_one_is_named(tmp_path):
    path = tmp_path / "locked.pdf"
    pdfs.plain_pdf(path, ["台州很美。", "台州人很勤劳。"], encrypt="secret")
    document = load_document(path, password="secret")
    assert [b.text for b in document.blocks] == ["台州很美。", "台州人很勤劳。"]
    result = invoke("segment", path, "--password", "wrong")
    assert result.exit_code == 1 and "the password given is not its password (check the --password)" in result.output


def test_a_bad_pdf_in_a_run_writes_nothing(installed, tmp_path):
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"%PDF-1.7\n%broken")
    out = tmp_path / "out"
    result = invoke("run", path, "-o", out, "--offline", "--cache", tmp_path / "c.sqlite3")
    assert result.exit_code == 1 and "is not a readable PDF" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_duizhao_run_translates_a_pdf_and_a_folder_of_pdfs(installed, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    pdfs.plain_pdf(src / "a.pdf", ["台州很美。", "台州人很勤劳。"], pages=2)
    (src / "b.txt").write_text("台州很美。\n", encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("run", src, "-o", out, "--offline", "--cache", tmp_path / "c.sqlite3")
    assert result.exit_code == 0, result.output
    data = json.loads((out / "a.json").read_text(encoding="utf-8"))
    assert data["format"] == "pdf" and [d["reason"] for d in data["dropped"]] == ["page-furniture"] * 2
    assert [b["address"]["page"] for b in data["blocks"]] == [1, 1, 2, 2] or data["dropped"]
    assert (out / "a.html").is_file() and "p.&nbsp;2" in (out / "a.html").read_text(encoding="utf-8")


# -- real PDFs -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def journal():
    return load_document(DATA / "cjc_template_two_column.pdf")


def test_a_real_two_column_journal_page_drops_its_running_headers(journal):
    furniture = [re.sub(r"\s+", "", d.text) for d in journal.dropped if d.reason == "page-furniture"]
    assert furniture == ["第??卷第?期计算机学报Vol.??No.?", "20??年?月CHINESEJOURNALOFCOMPUTERS???.20??",
                         "2计算机学报2019年", "?期作者姓名等：论文题目3"]
    assert not any("计算机学报2019" in re.sub(r"\s+", "", b.text) for b in journal.blocks)


def test_a_real_two_column_page_is_read_column_by_column(journal):
    texts = [b.text for b in journal.blocks]
    at = {key: next(k for k, t in enumerate(texts) if key in t) for key in (
        "(3)定理证明", "稿件提交时的基本要求", "9)列出的参考文献", "10)首次出现的缩写", "12)图应为矢量图")}
    # The left column (to 9)) before the right one (from 10)), each top to bottom.
    assert at["(3)定理证明"] < at["稿件提交时的基本要求"] < at["9)列出的参考文献"] < at["10)首次出现的缩写"] \
        < at["12)图应为矢量图"]
    # The item broken across the columns is one block.
    assert any("10)首次出现的缩写需写明全称，首次出现的符号需作出解释。" in t for t in texts)


def test_a_real_first_page_keeps_its_footnote_apart(journal):
    note = next(b for b in journal.blocks if "收稿日期" in b.text)
    assert note.kind == "footnote" and note.address["page"] == 1
    title = next(b for b in journal.blocks if b.kind == "title")
    assert title.text.startswith("题目（中英文题目一致)") and title.text.endswith("Times New Roman)")


def test_a_real_ruled_table_drawn_a_cell_border_at_a_time():
    document = load_document(DATA / "mineru_3list_1table_union_regulation.pdf")
    table = next(b for b in document.blocks if b.kind == "table")
    rows = [[" ".join(table.sentences[n - 1].text for n in cell) for cell in row] for row in table.table["rows"]]
    assert rows[0] == ["职位", "人数", "工作职责"] and rows[1] == ["工会主席", "1", "全面负责工会工作"]
    assert len(rows) == 8
    assert [d.text for d in document.dropped] == ["4"]
    assert any(b.text.startswith("第十四条 工会经费审查委员会") for b in document.blocks)


def test_check_of_one_encrypted_pdf_takes_the_password_as_run_does(tmp_path, monkeypatch):
    """`duizhao check` of one file reads it as `run` does (--password, --ocr,
    --keep-boilerplate): it used to drop them and call the PDF encrypted."""
    import pipeline.translate.engines.settings
    from fakes import FakeEngine

    monkeypatch.setattr(pipeline.translate.engines.settings, "build_engine", lambda settings, **kw: FakeEngine())
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "locked.pdf"
    pdfs.plain_pdf(path, ["台州很美。", "台州人很勤劳。"], encrypt="secret")
    result = invoke("check", path, "--password", "secret", "--cache", tmp_path / "c.sqlite3", "--fail-on", "error")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].endswith("0 open at error or worse")
