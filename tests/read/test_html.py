"""Web pages: the reader (pipeline.read.html: encoding, the article found, blocks
from the DOM with their element paths, boilerplate listed) and the writers
(pipeline.render.page: English in place, bilingual), round trips included."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from fakes import chinese_back, english_for

from pipeline.core.errors import SourceError
from pipeline.core.model import Mark
from pipeline.read import load_document
from pipeline.read import html as html_reader
from pipeline.render.page import bilingual_page, english_page

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
ARTICLE = "".join(f"<p>台州第{n}家企业今年出口增长了百分之{n}，带动了周边{n + 2}个县的就业。</p>\n" for n in range(8))
PAGE = f"""<!DOCTYPE html>
<html><head><meta charset="{{charset}}"><title>台州港口吞吐量创新高 - 新闻网</title>
<link rel="stylesheet" href="style.css"><script src="app.js"></script></head>
<body><nav><ul><li><a href="/">首页</a></li><li><a href="/news">新闻</a></li><li><a href="/sports">体育</a></li></ul></nav>
<article><h1>台州港口吞吐量创新高</h1>
<p>今年<strong>台州港</strong>的吞吐量增长了百分之十二，<a href="https://example.org/port">港口集团</a>表示将继续扩建码头。</p>
<img src="pics/port.jpg" alt="台州港">
{ARTICLE}</article>
<div class="share">扫码关注我们的公众号</div>
<footer><p>版权所有 新闻网 2024</p></footer></body></html>
"""


def page(tmp_path: Path, charset: str = "utf-8", encoding: str = "utf-8", name: str = "news.html") -> Path:
    path = tmp_path / name
    path.write_bytes(PAGE.replace("{charset}", charset).encode(encoding))
    return path


def texts_by_element(path: Path) -> list[tuple[str, str]]:
    """Every block's element path and text, boilerplate included."""
    document = load_document(path, keep_boilerplate=True)
    return [(b.address["path"], b.text) for b in document.blocks]


def test_the_article_is_read_from_the_dom_and_the_boilerplate_listed(tmp_path):
    document = load_document(page(tmp_path))
    assert document.format == "html"
    kinds = [(b.kind, b.text[:11]) for b in document.blocks]
    assert kinds[0] == ("title", "台州港口吞吐量创新高")
    assert ("image", "台州港") in kinds
    assert ("paragraph", "今年台州港的吞吐量增长") in kinds
    assert len([k for k, _ in kinds if k == "paragraph"]) == 9
    assert document.blocks[0].address == {"file": "news.html", "path": "/html/body/article/h1"}
    first = document.blocks[1].sentences[0]
    assert [(m.kind, first.text[m.start:m.end], m.href) for m in first.marks] == [
        ("strong", "台州港", ""), ("link", "港口集团", "https://example.org/port")]
    dropped = {d.text: d.reason for d in document.dropped}
    assert dropped["扫码关注我们的公众号"] == "boilerplate" and dropped["首页"] == "boilerplate"
    assert all(d.address["path"].startswith("/html/body/") for d in document.dropped)


def test_keep_boilerplate_keeps_it_as_blocks(tmp_path):
    document = load_document(page(tmp_path), keep_boilerplate=True)
    assert "扫码关注我们的公众号" in [b.text for b in document.blocks] and not document.dropped


@pytest.mark.parametrize(("charset", "encoding", "read_as"), [
    ("gb2312", "gb18030", "gb18030"),  # GB2312 declared and written
    ("gb2312", "utf-8", "utf-8"),  # re-saved as UTF-8, the old declaration kept
    ("utf-8", "gbk", "gb18030"),  # declares UTF-8, is GBK: detected
], ids=["gb2312", "utf8-declared-gb2312", "gbk-declared-utf8"])
def test_the_encoding_comes_from_the_bytes_the_declaration_or_detection(tmp_path, charset, encoding, read_as):
    document = load_document(page(tmp_path, charset, encoding))
    assert document.encoding == read_as
    assert document.blocks[0].text == "台州港口吞吐量创新高"


def test_writing_each_blocks_own_chinese_back_gives_the_page(tmp_path):
    source = page(tmp_path)
    document = load_document(source, keep_boilerplate=True)
    chinese_back(document)
    back = tmp_path / "back.html"
    back.write_bytes(english_page(document))
    assert texts_by_element(back) == texts_by_element(source)


def test_the_real_gb2312_page_round_trips(tmp_path):
    source = DATA / "xinhuanet_hebei_gb2312.html"
    document = load_document(source, keep_boilerplate=True)
    assert document.encoding == "gb18030" and len(document.blocks) > 50
    chinese_back(document)
    back = tmp_path / "xinhuanet_hebei_gb2312.html"
    back.write_bytes(english_page(document))
    assert back.read_bytes().decode("gb18030")  # written in the encoding it was read in
    assert texts_by_element(back) == texts_by_element(source)


def test_the_english_page_puts_the_english_in_place_and_leaves_assets_alone(tmp_path):
    source = page(tmp_path)
    document = load_document(source)
    english_for(document)
    marked = document.blocks[1].sentences[0]
    marked.translation = english = "This year Taizhou Port grew by 12%, and the port group will expand."
    at = english.index("port group")
    marked.translation_marks = [Mark("strong", 10, 22), Mark("link", at, at + 10, href="https://example.org/port")]
    written = english_page(document).decode("utf-8")
    tree = lxml.html.fromstring(written)
    assert tree.get("lang") == "en"
    assert tree.xpath("//article/h1")[0].text_content() == "English sentence 1."
    paragraph = tree.xpath("//article/p")[0]
    assert lxml.html.tostring(paragraph, encoding="unicode") == (
        '<p>This year <strong>Taizhou Port</strong> grew by 12%, and the <a href="https://example.org/port">'
        'port group</a> will expand.</p>\n')
    assert "台州第3家企业" not in written and "扫码关注我们的公众号" in written  # boilerplate stays as it was
    original = lxml.html.fromstring(source.read_bytes())
    for attribute in ("src", "href"):
        assert sorted(tree.xpath(f"//@{attribute}")) == sorted(original.xpath(f"//@{attribute}"))


def test_the_bilingual_page_has_the_english_under_each_block(tmp_path):
    document = load_document(page(tmp_path))
    english_for(document)
    tree = lxml.html.fromstring(bilingual_page(document))
    english = tree.xpath('//*[contains(@class, "duizhao-en")]')
    assert len(english) == len([b for b in document.blocks if b.translatable])
    heading = tree.xpath("//article/h1")
    assert [h.text_content() for h in heading] == ["台州港口吞吐量创新高", "English sentence 1."]
    assert heading[1].get("lang") == "en"


def test_a_page_too_large_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(html_reader, "MAX_HTML_BYTES", 1000)
    with pytest.raises(SourceError, match=r"news\.html: is 0\.0 MB, larger than a web page duizhao reads"):
        load_document(page(tmp_path))


def test_a_page_with_no_article_says_so(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><script>var a = 1;</script></body></html>", encoding="utf-8")
    with pytest.raises(SourceError, match="has no text to translate"):
        load_document(empty)


def test_a_page_declaring_entities_is_refused_not_expanded(tmp_path):
    hostile = tmp_path / "hostile.html"
    hostile.write_text('<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<html><body><p>台州&x;</p>'
                       "</body></html>", encoding="utf-8")
    with pytest.raises(SourceError, match=r"hostile\.html: declares entities in its DOCTYPE \(<!ENTITY>\)"):
        load_document(hostile)
