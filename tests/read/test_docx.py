"""Word files: the reader (pipeline.read.docx: styles → kinds, tables cell by
cell, marks, headers and footers, bad packages refused) and the writers
(pipeline.render.docx: the source rewritten in English or bilingual; a Word
file built from any other document), round trips included."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from fakes import chinese_back, english_for

from pipeline.core.errors import SourceError
from pipeline.read import load_document
from pipeline.render.docx import bilingual_docx, english_docx

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"


def hyperlink(paragraph, text: str, url: str) -> None:
    """A hyperlink run, as Word writes one (python-docx has no call for it)."""
    rel = paragraph.part.relate_to(url, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
                                   is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = text
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def word_file(tmp_path: Path, name: str = "report.docx") -> Path:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "台州日报内部资料"
    document.sections[0].footer.paragraphs[0].text = "第一页"
    document.add_heading("台州港口年度报告", level=0)
    document.add_heading("一、吞吐量", level=1)
    paragraph = document.add_paragraph("今年")
    paragraph.add_run("台州港").bold = True
    paragraph.add_run("的吞吐量增长了百分之十二。")
    hyperlink(paragraph, "港口集团", "https://example.org/port")
    paragraph.add_run("表示将继续扩建码头。")
    document.add_paragraph("第一个园区在椒江。", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "港口"
    table.cell(0, 1).text = "吞吐量"
    table.cell(1, 0).text = "椒江港"
    cell = table.cell(1, 1)
    cell.text = "一千万吨。"
    cell.add_paragraph("比去年多两成。")
    document.add_paragraph("图1 椒江港的码头", style="Caption")
    path = tmp_path / name
    document.save(path)
    return path


def texts_by_paragraph(path: Path) -> list[tuple[dict, str, str]]:
    return [(b.address, b.kind, b.text) for b in load_document(path).blocks]


def test_styles_give_the_kinds_and_tables_are_read_cell_by_cell(tmp_path):
    document = load_document(word_file(tmp_path))
    assert document.format == "docx"
    kinds = [(b.kind, b.text) for b in document.blocks]
    assert kinds[0] == ("header", "台州日报内部资料") and kinds[-1] == ("footer", "第一页")
    assert ("title", "台州港口年度报告") in kinds and ("list_item", "第一个园区在椒江。") in kinds
    assert ("caption", "图1 椒江港的码头") in kinds
    heading = next(b for b in document.blocks if b.text == "一、吞吐量")
    assert (heading.kind, heading.level) == ("heading", 1)
    body = next(b for b in document.blocks if b.text.startswith("今年"))
    assert body.address == {"part": "word/document.xml", "p": 2}
    marks = [(m.kind, s.text[m.start:m.end], m.href) for s in body.sentences for m in s.marks]
    assert marks == [("strong", "台州港", ""), ("link", "港口集团", "https://example.org/port")]
    table = next(b for b in document.blocks if b.kind == "table")
    assert [s.text for s in table.sentences] == ["港口", "吞吐量", "椒江港", "一千万吨。", "比去年多两成。"]
    assert table.table["rows"] == [[[1], [2]], [[3], [4, 5]]]
    assert len(table.address["table"][1][1]) == 2  # the cell's two paragraphs


def test_writing_each_blocks_own_chinese_back_gives_the_file(tmp_path):
    source = word_file(tmp_path)
    document = load_document(source)
    chinese_back(document)
    back = tmp_path / "back.docx"
    back.write_bytes(english_docx(document))
    assert texts_by_paragraph(back) == texts_by_paragraph(source)


def test_the_real_thesis_template_round_trips(tmp_path):
    source = DATA / "lunwen_thesis_template.docx"
    document = load_document(source)
    assert {"header", "toc", "table", "heading"} <= {b.kind for b in document.blocks}
    chinese_back(document)
    back = tmp_path / "back.docx"
    back.write_bytes(english_docx(document))
    assert texts_by_paragraph(back) == texts_by_paragraph(source)
    # The table of contents keeps its page numbers (a field Word computes) and its links.
    entry = next(p for p in docx.Document(str(back)).paragraphs if p.style.name.lower() == "toc 1")
    assert entry._p.findall(qn("w:hyperlink")) and "PAGEREF" in "".join(entry._p.itertext())


def test_the_english_file_keeps_styles_tables_headers_and_marks(tmp_path):
    source = word_file(tmp_path)
    document = load_document(source)
    english_for(document)
    body = next(b for b in document.blocks if b.text.startswith("今年"))
    body.sentences[0].translation = english = "This year Taizhou Port grew by 12 percent."
    body.sentences[0].translation_marks = [type(body.sentences[0].marks[0])("strong", 10, 22)]
    out = tmp_path / "en.docx"
    out.write_bytes(english_docx(document))
    word = docx.Document(str(out))
    assert word.sections[0].header.paragraphs[0].text.startswith("English sentence")
    styles = [(p.style.name, p.text) for p in word.paragraphs if p.text]
    assert styles[0] == ("Title", "English sentence 2.")
    assert styles[2][1].startswith(english) and ("List Bullet", "English sentence 6.") in styles
    bold = [r.text for r in word.paragraphs[2].runs if r.bold]
    assert bold == ["Taizhou Port"]
    assert word.tables[0].cell(1, 1).paragraphs[0].text.startswith("English sentence")
    assert not any("\u4e00" <= c <= "\u9fff" for p in word.paragraphs for c in p.text)


def test_the_bilingual_file_follows_each_paragraph_with_its_english_in_the_same_style(tmp_path):
    document = load_document(word_file(tmp_path))
    english_for(document)
    out = tmp_path / "bi.docx"
    out.write_bytes(bilingual_docx(document))
    word = docx.Document(str(out))
    styles = [(p.style.name, p.text) for p in word.paragraphs if p.text]
    title = styles.index(("Title", "台州港口年度报告"))
    assert styles[title + 1][0] == "Title" and styles[title + 1][1].startswith("English sentence")
    cell = word.tables[0].cell(1, 1)
    assert [p.text for p in cell.paragraphs] == ["一千万吨。", "English sentence 10.", "比去年多两成。",
                                                 "English sentence 11."]


@pytest.mark.parametrize("bilingual", [False, True], ids=["english", "bilingual"])
def test_any_document_becomes_a_word_file(tmp_path, bilingual):
    source = tmp_path / "a.md"
    source.write_text("# 台州港口\n\n台州港今年的吞吐量**增长**了。\n\n- 第一个园区\n", encoding="utf-8")
    document = load_document(source)
    english_for(document)
    out = tmp_path / "a.docx"
    out.write_bytes((bilingual_docx if bilingual else english_docx)(document))
    styles = [(p.style.name, p.text) for p in docx.Document(str(out)).paragraphs]
    expected = [("Title", "English sentence 1."), ("Normal", "English sentence 2."),
                ("List Bullet", "English sentence 3.")]
    if bilingual:
        expected = [("Title", "台州港口"), expected[0], ("Normal", "台州港今年的吞吐量增长了。"), expected[1],
                    ("List Bullet", "第一个园区"), expected[2]]
    assert styles == expected


def test_a_password_protected_file_is_one_line(tmp_path):
    locked = tmp_path / "locked.docx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)  # what Word writes: an OLE file
    with pytest.raises(SourceError, match=r"locked\.docx: is password-protected \(encrypted\).*remove the password"):
        load_document(locked)


def test_a_zip_that_is_not_a_word_file_is_one_line(tmp_path):
    import zipfile

    other = tmp_path / "other.docx"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(SourceError, match=r"other\.docx: is not a Word document \(it has no word/document\.xml\)"):
        load_document(other)


FOOTNOTES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:id="1"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>
<w:r><w:t xml:space="preserve"> 数据来自台州港务局。</w:t></w:r></w:p></w:footnote>
</w:footnotes>"""


def test_footnotes_are_blocks_of_their_own_written_back_in_place(tmp_path):
    import zipfile

    plain = word_file(tmp_path)
    with_notes = tmp_path / "notes.docx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(with_notes, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("word/footnotes.xml", FOOTNOTES)
    document = load_document(with_notes)
    note = next(b for b in document.blocks if b.kind == "footnote")
    assert (note.text, note.address) == ("数据来自台州港务局。", {"part": "word/footnotes.xml", "p": 1})
    english_for(document)
    out = tmp_path / "en.docx"
    out.write_bytes(english_docx(document))
    with zipfile.ZipFile(out) as z:
        notes = z.read("word/footnotes.xml").decode("utf-8")
    assert "<w:footnoteRef/>" in notes and note.sentences[0].translation in notes and "台州港务局" not in notes


TEXT_BOX = """<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData>
<wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>文本框里的说明文字。</w:t></w:r></w:p></w:txbxContent></wps:txbx>
</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>
<w:txbxContent><w:p><w:r><w:t>文本框里的说明文字。</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict>
</mc:Fallback></mc:AlternateContent></w:r></w:p>"""
NAMESPACES = {"mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
              "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
              "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
              "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
              "v": "urn:schemas-microsoft-com:vml"}


def test_a_text_box_is_read_once_and_written_in_place(tmp_path):
    import zipfile

    plain = word_file(tmp_path)
    boxed = tmp_path / "boxed.docx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(boxed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                declarations = " ".join(f'xmlns:{p}="{ns}"' for p, ns in NAMESPACES.items() if f"xmlns:{p}=" not in text)
                text = text.replace("<w:document ", f"<w:document {declarations} ", 1)
                data = text.replace("<w:sectPr", TEXT_BOX + "<w:sectPr", 1).encode("utf-8")
            target.writestr(info, data)
    document = load_document(boxed)
    assert [b.text for b in document.blocks].count("文本框里的说明文字。") == 1
    english_for(document)
    out = tmp_path / "en.docx"
    out.write_bytes(english_docx(document))
    with zipfile.ZipFile(out) as z:
        body = z.read("word/document.xml").decode("utf-8")
    box = next(b for b in document.blocks if b.text == "文本框里的说明文字。")
    assert box.sentences[0].translation in body and "文本框" not in body and "mc:Fallback" not in body
