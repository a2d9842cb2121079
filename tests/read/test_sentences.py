"""Sentence splitting for translation units and alignment."""

from __future__ import annotations

import pytest

from pipeline.read.sentences import MAX_SENTENCE_CHARS, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("台州很美。我们爱台州!你来过吗?", ["台州很美。", "我们爱台州!", "你来过吗?"], id="final-marks"),
        pytest.param("台州很美！我们爱台州？是的。", ["台州很美！", "我们爱台州？", "是的。"], id="full-width"),
        pytest.param("真的吗?!当然。", ["真的吗?!", "当然。"], id="mark-run"),
        pytest.param("顺利抵达台州……一年来,往返欧洲。", ["顺利抵达台州……", "一年来,往返欧洲。"], id="ellipsis"),
        pytest.param("“在台州,你可以链接全球。”站在港口,她发出惊叹。",
                     ["“在台州,你可以链接全球。”", "站在港口,她发出惊叹。"], id="closing-quote-stays"),
        pytest.param("“回浦中学!总冠军!”2023年是冠军之年。", ["“回浦中学!总冠军!”", "2023年是冠军之年。"], id="short-quote-whole"),
        pytest.param("他说:“好!走吧。”然后离开了。", ["他说:“好!走吧。”", "然后离开了。"], id="short-quote-inside"),
        pytest.param("《你好!台州》很好看。下次再来。", ["《你好!台州》很好看。", "下次再来。"], id="title-marks"),
        pytest.param("同比增加17.3%。如今扩建3.5万吨级码头。", ["同比增加17.3%。", "如今扩建3.5万吨级码头。"], id="decimals"),
        pytest.param("共1,200家企业。好。", ["共1,200家企业。", "好。"], id="thousands"),
        pytest.param("城市品质让生活更美好(见图)。下一段。", ["城市品质让生活更美好(见图)。", "下一段。"], id="brackets"),
        pytest.param("没有结尾的句子", ["没有结尾的句子"], id="no-final-mark"),
        pytest.param("台州市.  下一句", ["台州市.", "下一句"], id="ascii-full-stop"),
    ],
)
def test_split(text, expected):
    assert split_sentences(text) == expected


def test_long_quotation_may_split_at_its_own_full_stops():
    quote = "信中写道:“" + "台州知产警官以雷霆之势维护我司合法权益。" * 3 + "”早在3年前就打算建厂。"
    sentences = split_sentences(quote)
    assert len(sentences) == 4
    assert "".join(sentences) == quote


def test_very_long_sentence_is_cut_at_semicolons_then_commas():
    clause = "深入开展履职服务为民活动和助解急难愁盼专题活动"
    with_semicolons = "；".join([clause * 2] * 4) + "。"
    assert len(with_semicolons) > MAX_SENTENCE_CHARS
    pieces = split_sentences(with_semicolons)
    assert len(pieces) > 1 and all(len(p) <= MAX_SENTENCE_CHARS for p in pieces)
    assert all(p.endswith(("；", "。")) for p in pieces)
    assert "".join(pieces) == with_semicolons

    with_commas = ",".join([clause] * 12) + "。"
    pieces = split_sentences(with_commas)
    assert len(pieces) > 1 and all(len(p) <= MAX_SENTENCE_CHARS for p in pieces)
    assert "".join(pieces) == with_commas


def test_long_sentence_is_not_cut_inside_a_number_or_quotation():
    text = ("“" + "甲乙丙丁,戊己庚辛" * 3 + "”") + "共1,200,000元," + "营商环境持续优化提升" * 16 + "。"
    pieces = split_sentences(text)
    assert "".join(pieces) == text
    assert all(p.count("“") == p.count("”") for p in pieces)
    assert any("1,200,000元" in p for p in pieces)
