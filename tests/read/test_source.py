"""Reading sources: encodings, line ends, normalisation, script, bad input."""

from __future__ import annotations

import codecs
import unicodedata

import pytest

from pipeline.core.errors import SourceError
from pipeline.read import load_document
from pipeline.read.source import read_source, to_simplified

SIMPLIFIED = "台州:聚力“三条路径” 奋进“三高三新”\n\n台湾的经济发展与东亚的贸易关系十分紧密。这里的产业链条长,企业数量多。\n"
TRADITIONAL = "臺灣的經濟發展與東亞的貿易關係十分緊密。這裡的產業鏈條長,企業數量多。\n\n網路與軟體產業發達。\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        pytest.param(SIMPLIFIED.encode("utf-8"), "utf-8", id="utf-8"),
        pytest.param(codecs.BOM_UTF8 + SIMPLIFIED.encode("utf-8"), "utf-8-sig", id="utf-8-bom"),
        pytest.param(SIMPLIFIED.encode("utf-16"), "utf-16", id="utf-16-bom"),
        pytest.param(codecs.BOM_UTF16_BE + SIMPLIFIED.encode("utf-16-be"), "utf-16", id="utf-16-be-bom"),
        pytest.param(SIMPLIFIED.encode("gb18030"), "gb18030", id="gb18030"),
        pytest.param(SIMPLIFIED.encode("gbk"), "gb18030", id="gbk"),
        pytest.param(TRADITIONAL.encode("big5"), "big5", id="big5"),
    ],
)
def test_decodes_common_encodings_and_reports_which(tmp_path, data, encoding):
    path = tmp_path / "doc.txt"
    path.write_bytes(data)
    source = read_source(path)
    expected = TRADITIONAL if encoding == "big5" else SIMPLIFIED
    assert source.text == expected
    assert source.encoding == encoding


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_line_ends_become_newlines(tmp_path, newline):
    path = tmp_path / "doc.txt"
    path.write_bytes(SIMPLIFIED.replace("\n", newline).encode("utf-8"))
    assert read_source(path).text == SIMPLIFIED
    assert len(load_document(path).blocks) == 2


def test_text_is_normalised_to_nfc(tmp_path):
    path = tmp_path / "doc.txt"
    decomposed = unicodedata.normalize("NFD", "Café 台州咖啡节开幕。")
    assert decomposed != "Café 台州咖啡节开幕。"
    path.write_text(decomposed, encoding="utf-8")
    assert read_source(path).text == "Café 台州咖啡节开幕。"


def test_detects_script(tmp_path):
    simplified, traditional = tmp_path / "s.txt", tmp_path / "t.txt"
    simplified.write_text(SIMPLIFIED, encoding="utf-8")
    traditional.write_text(TRADITIONAL, encoding="utf-8")
    assert read_source(simplified).script == "simplified"
    assert read_source(traditional).script == "traditional"


def test_traditional_source_keeps_original_and_gets_aligned_simplified_form(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(TRADITIONAL.encode("big5"))
    document = load_document(path)
    assert document.script == "traditional"
    first = document.blocks[0]
    assert first.text.startswith("臺灣的經濟發展")
    assert first.simplified.startswith("台湾的经济发展")
    assert [s.text for s in first.sentences] == [
        "臺灣的經濟發展與東亞的貿易關係十分緊密。", "這裡的產業鏈條長,企業數量多。"]
    assert [s.simplified for s in first.sentences] == [
        "台湾的经济发展与东亚的贸易关系十分紧密。", "这里的产业链条长,企业数量多。"]
    for block in document.blocks:
        assert len(block.simplified) == len(block.text)
    assert document.to_json()["blocks"][0]["simplified"] == first.simplified


def test_simplified_source_is_not_converted():
    assert to_simplified("台湾", "simplified") == "台湾"
    assert to_simplified("臺灣", "traditional") == "台湾"


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        pytest.param(lambda p: None, "no such file", id="missing"),
        pytest.param(lambda p: p.mkdir(), "is a directory", id="directory"),
        pytest.param(lambda p: p.write_bytes(b""), "is empty", id="empty"),
        pytest.param(lambda p: p.write_bytes(b" \n\r\n\t  \n"), "only whitespace", id="whitespace"),
        pytest.param(lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "binary", id="binary"),
        pytest.param(lambda p: p.write_bytes("台州\n".encode() + b"\xff\xfe\xff\xfa\x80"), "cannot be decoded", id="undecodable"),
    ],
)
def test_bad_input_gets_one_line_error_naming_the_file(tmp_path, make, problem):
    path = tmp_path / "article.txt"
    make(path)
    with pytest.raises(SourceError) as info:
        read_source(path)
    message = str(info.value)
    assert str(path) in message
    assert problem in message
    assert "\n" not in message


def test_undecodable_error_names_the_line(tmp_path):
    path = tmp_path / "article.txt"
    path.write_bytes("第一行\n第二行\n".encode() + b"\xff\xfe\xff\xfa\x80\n")
    with pytest.raises(SourceError, match="line 3"):
        read_source(path)
