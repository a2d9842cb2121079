"""EPUB books: the reader (pipeline.read.epub: spine order, contents, title, DRM
and hostile packages refused) and the writers (pipeline.render.epub), whose
books epubcheck (Debian's package) must find valid; round trips included."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from fakes import chinese_back, english_for

from pipeline.core.errors import SourceError
from pipeline.read import container, load_document
from pipeline.render.epub import bilingual_epub, english_epub

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
EPUBCHECK = Path("/usr/share/java/epubcheck.jar")
CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""
OPF = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">urn:uuid:12345678-1234-1234-1234-123456789abc</dc:identifier>
<dc:title>台州故事集</dc:title><dc:language>zh</dc:language>
<meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>
</metadata>
<manifest>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
<item id="c2" href="text/chapter2.xhtml" media-type="application/xhtml+xml"/>
<item id="c1" href="text/chapter1.xhtml" media-type="application/xhtml+xml"/>
</manifest>
<spine><itemref idref="c1"/><itemref idref="c2"/></spine>
</package>"""
NAV = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="zh" xml:lang="zh">
<head><title>目录</title></head>
<body><nav epub:type="toc" id="toc"><h1>目录</h1><ol>
<li><a href="text/chapter1.xhtml">第一章 港口</a></li><li><a href="text/chapter2.xhtml">第二章 山海</a></li>
</ol></nav></body></html>"""
CHAPTER = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="zh" xml:lang="zh">
<head><title>{title}</title></head>
<body><section><h1>{title}</h1>
<p>台州港今年的吞吐量增长了<em>百分之十二</em>。港口集团表示将继续扩建码头。</p>
<p>记者走访了三个园区&#160;和两个码头。</p>
<ul><li>第一个园区在椒江。</li><li>第二个园区在黄岩。</li></ul>
</section></body></html>"""


def book(tmp_path: Path, name: str = "book.epub", extra: dict[str, str | bytes] | None = None,
         chapter: str = CHAPTER) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml", CONTAINER)
        z.writestr("OEBPS/content.opf", OPF)
        z.writestr("OEBPS/nav.xhtml", NAV)
        z.writestr("OEBPS/text/chapter1.xhtml", chapter.format(title="第一章 港口"))
        z.writestr("OEBPS/text/chapter2.xhtml", chapter.format(title="第二章 山海"))
        for member, data in (extra or {}).items():
            z.writestr(member, data)
    return path


def epubcheck(path: Path) -> str:
    done = subprocess.run(["java", "-jar", str(EPUBCHECK), str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def blocks_of(path: Path) -> list[tuple[dict, str, str]]:
    return [(b.address, b.kind, b.text) for b in load_document(path).blocks]


def test_the_book_is_read_in_spine_order_with_its_title_and_contents(tmp_path):
    document = load_document(book(tmp_path))
    assert document.format == "epub"
    kinds = [(b.kind, b.text) for b in document.blocks]
    assert kinds[:3] == [("title", "台州故事集"), ("toc", "第一章 港口"), ("toc", "第二章 山海")]
    chapters = [b.address["file"] for b in document.blocks if "chapter" in b.address]
    assert chapters.index("OEBPS/text/chapter1.xhtml") < chapters.index("OEBPS/text/chapter2.xhtml")
    assert ("heading", "第一章 港口") in kinds and ("list_item", "第二个园区在黄岩。") in kinds
    paragraph = next(b for b in document.blocks if b.text.startswith("台州港"))
    assert paragraph.address == {"file": "OEBPS/text/chapter1.xhtml", "path": "/*/*[2]/*/*[2]", "chapter": 1}
    assert [(m.kind, paragraph.sentences[0].text[m.start:m.end]) for m in paragraph.sentences[0].marks] == [
        ("em", "百分之十二")]


def test_the_source_book_is_valid_so_the_outputs_can_be_judged(tmp_path):
    epubcheck(book(tmp_path))


def test_writing_each_blocks_own_chinese_back_gives_the_book(tmp_path):
    source = book(tmp_path)
    document = load_document(source)
    chinese_back(document)
    back = tmp_path / "back.epub"
    back.write_bytes(english_epub(document))
    assert blocks_of(back) == blocks_of(source)


def test_the_real_book_round_trips(tmp_path):
    source = DATA / "tlcl_ch1.epub"
    document = load_document(source)
    chinese_back(document)
    back = tmp_path / "back.epub"
    back.write_bytes(english_epub(document))
    assert blocks_of(back) == blocks_of(source)


@pytest.mark.parametrize("writer", [bilingual_epub, english_epub], ids=["bilingual", "english"])
def test_the_written_books_are_valid_epubs_in_english(tmp_path, writer):
    document = load_document(book(tmp_path))
    english_for(document)
    out = tmp_path / "out.epub"
    out.write_bytes(writer(document))
    epubcheck(out)
    with zipfile.ZipFile(out) as z:
        assert z.namelist()[0] == "mimetype" and z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        opf = z.read("OEBPS/content.opf").decode()
        chapter = z.read("OEBPS/text/chapter1.xhtml").decode()
    if writer is bilingual_epub:
        assert "<dc:language>zh</dc:language>" in opf and "<dc:language>en</dc:language>" in opf
        assert "台州港今年的吞吐量" in chapter and 'class="duizhao-en"' in chapter
        assert "台州故事集 / English sentence 1." in opf
    else:
        assert "<dc:language>en</dc:language>" in opf and "zh" not in opf.split("<dc:language>")[1][:3]
        assert "台州港" not in chapter and 'xml:lang="en"' in chapter


def test_the_real_book_written_bilingual_passes_epubcheck(tmp_path):
    document = load_document(DATA / "tlcl_ch1.epub")
    english_for(document)
    out = tmp_path / "tlcl.epub"
    out.write_bytes(bilingual_epub(document))
    epubcheck(out)


RIGHTS = """<?xml version="1.0"?><adept:rights xmlns:adept="http://ns.adobe.com/adept"/>"""
ENCRYPTION = """<?xml version="1.0"?>
<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#">
<enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
<enc:CipherData><enc:CipherReference URI="OEBPS/text/chapter1.xhtml"/></enc:CipherData></enc:EncryptedData>
</encryption>"""


@pytest.mark.parametrize(("extra", "problem"), [
    ({"META-INF/rights.xml": RIGHTS}, "is protected by DRM (META-INF/rights.xml"),
    ({"META-INF/encryption.xml": ENCRYPTION}, "is protected by DRM (META-INF/encryption.xml"),
], ids=["adept", "encrypted-content"])
def test_a_drm_book_is_one_line_saying_so(tmp_path, extra, problem):
    with pytest.raises(SourceError) as error:
        load_document(book(tmp_path, extra=extra))
    assert str(error.value).startswith(f"{tmp_path / 'book.epub'}: {problem}") and "\n" not in str(error.value)


def test_font_obfuscation_is_not_drm(tmp_path):
    fonts = ENCRYPTION.replace("http://www.w3.org/2001/04/xmlenc#aes128-cbc", "http://www.idpf.org/2008/embedding")
    assert load_document(book(tmp_path, extra={"META-INF/encryption.xml": fonts})).blocks


def test_a_corrupt_or_truncated_book_is_one_line(tmp_path):
    whole = book(tmp_path).read_bytes()
    cut = tmp_path / "cut.epub"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SourceError, match=r"cut\.epub: is not a valid EPUB book \(a damaged or truncated ZIP"):
        load_document(cut)


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path, monkeypatch):
    monkeypatch.setattr(container, "MAX_UNPACKED", 4 * 1024 * 1024)
    bomb = book(tmp_path, extra={"OEBPS/zeros.bin": b"\0" * (8 * 1024 * 1024)})
    assert bomb.stat().st_size < 100_000
    with pytest.raises(SourceError, match=r"would unpack to 8 MB, more than duizhao reads \(4 MB; a ZIP bomb\?\)"):
        load_document(bomb)


@pytest.mark.parametrize("declaration", [
    '<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
], ids=["external-entity", "entity-expansion"])
def test_xml_entities_are_refused_not_expanded(tmp_path, declaration):
    hostile = CHAPTER.replace("<!DOCTYPE html>", declaration).replace("记者走访", "&x;&b;记者走访")
    with pytest.raises(SourceError, match=r"declares XML entities in OEBPS/text/chapter1\.xhtml \(<!ENTITY>\)"):
        load_document(book(tmp_path, chapter=hostile))
