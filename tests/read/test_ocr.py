"""OCR (pipeline.read.ocr): images of Chinese text rendered here at 300 dpi, and
image-only PDF pages, are read by Tesseract into blocks whose text matches what
was drawn; lines read with low confidence are flagged; without Tesseract one line
says which packages to install; a real scanned book page comes through."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.core.errors import SourceError
from pipeline.read import load_document
from pipeline.read import ocr as ocr_module
from pipeline.read.pdflayout import PageLayout, finish_document
from pipeline.read.geometry import PageContent
from pipeline.testing import pdfs

DATA = Path(__file__).resolve().parents[1] / "data" / "pdf"


def text_of(document) -> str:
    return "".join(b.text for b in document.blocks)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".jpg"])
def test_an_image_of_chinese_text_is_read_within_3_percent_of_what_was_drawn(tmp_path, suffix):
    path = tmp_path / f"page{suffix}"
    pdfs.text_image(path, pdfs.OCR_LINES)
    document = load_document(path)
    assert document.format == "image" and document.encoding.startswith("ocr (tesseract")
    assert pdfs.character_error_rate("".join(pdfs.OCR_LINES), text_of(document)) <= 0.03
    assert all(b.address["page"] == 1 and b.address["ocr"] for b in document.blocks)


def test_a_scanned_pdf_page_is_read_by_ocr_and_a_text_pdf_only_with_ocr_asked(tmp_path):
    scan = tmp_path / "scan.pdf"
    pdfs.scanned_pdf(scan, pdfs.OCR_LINES)
    document = load_document(scan)
    assert document.format == "pdf" and document.encoding.startswith("ocr (tesseract")
    assert pdfs.character_error_rate("".join(pdfs.OCR_LINES), text_of(document)) <= 0.03
    text = tmp_path / "text.pdf"
    pdfs.plain_pdf(text, pdfs.OCR_LINES[:2])
    assert load_document(text).encoding == "pdf text layer (pdfium)"
    forced = load_document(text, ocr=True)
    assert forced.encoding.startswith("ocr (tesseract")
    assert pdfs.character_error_rate("".join(pdfs.OCR_LINES[:2]), text_of(forced)) <= 0.1  # 11 pt, not 12


def test_lines_read_with_low_confidence_are_flagged_for_review(tmp_path):
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    rows = ["5\t1\t1\t1\t1\t1\t100\t100\t400\t40\t96.0\t台州位于浙江省中部沿海。",
            "5\t1\t1\t1\t2\t1\t100\t200\t400\t40\t41.5\t这里山海相依气候温和。"]
    lines, rules = ocr_module.tsv_lines(header + "\n".join(rows) + "\n", 300 / 72)
    assert [round(x.confidence) for x in lines] == [96, 42] and rules == []
    layout = PageLayout()
    layout.add(PageContent(1, 595, 842, lines, ocr=True))
    document = finish_document(tmp_path / "x.png", layout, "ocr (test)", "image")
    flagged = [b for b in document.blocks if any(f.code == "ocr-low-confidence" for f in b.flags)]
    assert [b.text for b in flagged] == ["这里山海相依气候温和。"]
    assert "42% < 70%" in flagged[0].flags[0].message and "page 1" in flagged[0].flags[0].message


def test_without_tesseract_one_line_names_the_packages(tmp_path, monkeypatch):
    path = tmp_path / "scan.png"
    pdfs.text_image(path, pdfs.OCR_LINES[:1])
    monkeypatch.setattr(ocr_module, "_installed", lambda: None)
    with pytest.raises(SourceError, match="Tesseract is not installed"):
        load_document(path)
    result = CliRunner().invoke(cli, ["segment", str(path)], catch_exceptions=False)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra" in result.output


def test_a_damaged_image_is_one_line(tmp_path):
    path = tmp_path / "cut.png"
    pdfs.text_image(path, pdfs.OCR_LINES[:1])
    path.write_bytes(path.read_bytes()[:200])
    result = CliRunner().invoke(cli, ["segment", str(path)], catch_exceptions=False)
    assert result.exit_code == 1 and "is not an image that can be read" in result.output
    assert "Traceback" not in result.output


def test_a_real_scanned_book_drops_its_running_header_and_margin_number_and_keeps_notes_apart():
    document = load_document(DATA / "zibenlun_scan_pages1-2.pdf")
    assert document.encoding.startswith("ocr (tesseract")
    dropped = [d for d in document.dropped if d.reason == "page-furniture"]
    assert {d.address["page"] for d in dropped} == {1, 2}
    assert any(d.text.startswith("12") for d in dropped) and any(d.text.startswith("14(") for d in dropped)
    assert not any(b.text.startswith("12") and "第一篇" in b.text for b in document.blocks)
    notes = [b for b in document.blocks if b.kind == "footnote"]
    assert notes and all(n.address["page"] in (1, 2) for n in notes)
    body = "".join(b.text for b in document.blocks if b.kind == "paragraph")
    assert "物的有用性使物成为使用价值" in body and "使用价值同时又是交换价值的物质承担者" in body
