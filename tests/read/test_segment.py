"""Layout repair: kinds, joins across page/column breaks, duplicates, damage flags."""

from __future__ import annotations

import random

import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.read import load_document
from pipeline.read.layout import segment
from pipeline.read.source import SourceText

P1 = "台州制造业家底厚实,拥有35个工业行业大类。"
P2 = "为加快实现这一宏伟目标,台州加速布局打造新能源、新材料等产业链。"
P3 = "民之所需,政之所向。黄岩区整合多方资源,积极打造老年食堂。"
P4 = "临海市聚焦保障老人的幸福,不断提升老人的生活质量和服务水平。"


def seg(text: str):
    return segment(SourceText("doc.txt", text, "utf-8", "simplified", "text"))


def texts(document, kind=None):
    return [b.text for b in document.blocks if kind is None or b.kind == kind]


def test_clean_text_comes_through_unchanged():
    text = "\n\n".join([P1, P2, "他说:“好。”", P3, "真的吗?", P4]) + "\n"
    document = seg(text)
    assert texts(document) == [P1, P2, "他说:“好。”", P3, "真的吗?", P4]
    assert all(b.kind == "paragraph" and not b.flags for b in document.blocks)
    assert document.dropped == []


def test_paragraph_ending_with_final_mark_or_closing_quote_is_never_joined():
    lines = ["这是第一段,写得很完整!", "这是第二段。”", "这是第三段……", "这是第四段?", "这是第五段。"]
    assert texts(seg("\n\n".join(lines))) == lines


import pytest  # noqa: E402


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("众所周知,台州制造业家底厚实,", "拥有35个工业行业大类,形成27个百亿级产业集群。", id="ascii-comma"),
        pytest.param("众所周知,台州制造业家底厚实,", "拥有35个工业行业大类。", id="full-comma"),
        pytest.param("在国内广东、", "福建、湖北等10多个省份也有近200个回收站点。", id="enumeration-comma"),
        pytest.param("公司相关负责人连连点赞:", "“清廉贷”既拓宽企业融资渠道。”", id="colon"),
        pytest.param("采用强村自办等“睦邻互", "助+”等3种模式,积极打造老年食堂。", id="mid-word-in-quote"),
        pytest.param("探索通过健全技能培育体系、技能运用体系,技", "能创富体系,理顺关系。", id="mid-word"),
        pytest.param("他在会上说:“", "我们要加快发展。”", id="open-quote"),
    ],
)
def test_broken_paragraph_is_joined(first, second):
    document = seg(f"{P1}\n\n{first}\n\n{second}\n\n{P2}")
    assert texts(document) == [P1, first + second, P2]
    joined = document.blocks[1]
    assert joined.lines == [3, 5]
    assert [f.code for f in joined.flags] == ["joined"]


def test_join_skips_photo_captions_which_follow_the_joined_paragraph():
    text = "\n".join([
        P1, "", "在国内广东、", "", "", "台州市域铁路S1线 浦韵俊摄", "", "台州机场改扩建工程效果图", "",
        "福建、湖北等10多个省份也有近200个回收站点。", "", P2,
    ])
    document = seg(text)
    assert [(b.kind, b.text) for b in document.blocks] == [
        ("paragraph", P1),
        ("paragraph", "在国内广东、福建、湖北等10多个省份也有近200个回收站点。"),
        ("caption", "台州市域铁路S1线 浦韵俊摄"),
        ("caption", "台州机场改扩建工程效果图"),
        ("paragraph", P2),
    ]


def test_unfinished_paragraph_is_not_joined_into_a_heading():
    text = f"{P1}\n\n探索通过健全技能培育体系,技\n\n下基层奔一线 笃行实干绘蓝图\n\n{P2}"
    document = seg(text)
    assert [b.kind for b in document.blocks] == ["paragraph", "paragraph", "heading", "paragraph"]


@pytest.mark.parametrize(
    "caption",
    [
        "台州主城区 储伏龙摄",
        "《启航2024——中央广播电视总台春节联欢晚会》 储伏龙摄",
        "三门县浦项港镇村民们正在打包柑桔 (三门县浦项港镇供图)",
        "台州机场改扩建工程效果图",
        "新建的大桥(新华社记者 张三 摄)",
        "图为台州湾新区夜景",
    ],
)
def test_photo_captions_and_credits_become_captions(caption):
    document = seg(f"{P1}\n\n{caption}\n\n{P2}")
    assert [(b.kind, b.text) for b in document.blocks] == [
        ("paragraph", P1), ("caption", caption), ("paragraph", P2)]


def test_short_picture_names_next_to_credits_or_at_the_end_are_captions():
    text = f"{P1}\n\n三门县村民正在打包柑桔 (三门县供图)\n\n台州府城\n\n下基层奔一线 笃行实干绘蓝图\n\n{P2}\n\n中央商务区\n"
    document = seg(text)
    assert [(b.kind, b.text) for b in document.blocks] == [
        ("paragraph", P1),
        ("caption", "三门县村民正在打包柑桔 (三门县供图)"),
        ("caption", "台州府城"),
        ("heading", "下基层奔一线 笃行实干绘蓝图"),
        ("paragraph", P2),
        ("caption", "中央商务区"),
    ]


def test_title_byline_and_headings():
    text = "\n".join([
        "", "台州:聚力“三条路径” 奋进“三高三新”", "", "杨 群", "", P1, "",
        "加速项目集聚 推动经济稳健发展", "", P2, "", "城市更新", "", P3,
    ])
    document = seg(text)
    assert [(b.kind, b.text) for b in document.blocks] == [
        ("title", "台州:聚力“三条路径” 奋进“三高三新”"),
        ("byline", "杨 群"),
        ("paragraph", P1),
        ("heading", "加速项目集聚 推动经济稳健发展"),
        ("paragraph", P2),
        ("heading", "城市更新"),
        ("paragraph", P3),
    ]


def test_run_of_repeated_blocks_is_kept_once_and_reported():
    lead = "激发创新活力。"
    text = "\n\n".join([P1, lead, P2, P3, lead, P2, P4])
    document = seg(text)
    assert texts(document) == [P1, lead, P2, P3, P4]
    assert [(d.text, d.lines, d.duplicate_of, d.reason) for d in document.dropped] == [
        (lead, [9], "p2", "duplicate"), (P2, [11], "p3", "duplicate")]


def test_short_line_repeated_on_its_own_is_kept():
    lead = "激发创新活力。"
    document = seg("\n\n".join([lead, P1, P2, lead, P3]))
    assert texts(document) == [lead, P1, P2, lead, P3]
    assert document.dropped == []


def test_truncated_copy_of_a_joined_paragraph_is_dropped():
    broken = ["台州是制造业大市,这里拥有128万技术工人,占总人口近两成。实施技术工人改革,技", "能创富体系,理顺关系。"]
    text = "\n\n".join([P1, broken[0], broken[1], P2, P1, broken[0], "三门县村民正在打包柑桔 (三门县供图)",
                        "下基层奔一线 笃行实干绘蓝图", P3])
    document = seg(text)
    assert texts(document) == [P1, broken[0] + broken[1], P2, "三门县村民正在打包柑桔 (三门县供图)",
                               "下基层奔一线 笃行实干绘蓝图", P3]
    assert [(d.reason, d.duplicate_of) for d in document.dropped] == [
        ("duplicate", "p1"), ("truncated duplicate", "p2")]


def test_long_truncated_copy_alone_is_dropped():
    document = seg("\n\n".join([P1, P2, P3, P2[:25]]))
    assert texts(document) == [P1, P2, P3]
    assert document.dropped[0].reason == "truncated duplicate"


def test_damage_is_kept_and_flagged():
    text = "沿海公路连起了台州海上括\ufffd湾等重要景区。\n\n全市共有5300余家民营企业 and 1200余家中小微企业参与。\n\n韩国BSG集团和“村BA”比赛都有S1线。"
    document = seg(text)
    assert "括\ufffd湾" in document.blocks[0].text
    assert [f.code for f in document.blocks[0].flags] == ["replacement-char"]
    assert "and" in document.blocks[1].text
    stray = document.blocks[1].flags
    assert [f.code for f in stray] == ["stray-latin"] and "and" in stray[0].message
    assert document.blocks[2].flags == []


def test_seed_is_segmented_as_an_editor_would(seed_path):
    document = load_document(seed_path)
    kinds = [b.kind for b in document.blocks]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "title": 1, "byline": 1, "heading": 3, "paragraph": 55, "caption": 7}
    by_kind = {k: [b.text for b in document.blocks if b.kind == k] for k in set(kinds)}
    assert by_kind["title"] == ["台州:聚力“三条路径” 奋进“三高三新”"]
    assert by_kind["byline"] == ["杨 群"]
    assert by_kind["heading"] == ["加速项目集聚 推动经济稳健发展", "瞄准民生福祉 描绘全域共富图景", "下基层奔一线 笃行实干绘蓝图"]
    assert by_kind["caption"] == [
        "台州主城区 储伏龙摄", "台州市域铁路S1线 浦韵俊摄", "台州机场改扩建工程效果图",
        "《启航2024——中央广播电视总台春节联欢晚会》 储伏龙摄",
        "三门县浦项港镇村民们正在打包柑桔 (三门县浦项港镇供图)", "台州府城", "中央商务区"]
    joined = [b.lines for b in document.blocks if len(b.lines) > 1]
    assert joined == [[31, 33], [70, 80], [108, 110], [140, 142], [156, 158], [164, 166]]
    assert [(d.lines, d.reason) for d in document.dropped] == [
        ([114], "duplicate"), ([116], "duplicate"), ([118], "duplicate"), ([120], "duplicate"),
        ([122], "duplicate"), ([124], "truncated duplicate")]
    flagged = {f.code: b.id for b in document.blocks for f in b.flags if f.code != "joined"}
    assert "括\ufffd湾" in next(b.text for b in document.blocks if b.id == flagged["replacement-char"])
    assert " and " in next(b.text for b in document.blocks if b.id == flagged["stray-latin"])


# --- the invariant: nothing is lost -------------------------------------------------

_LINES = st.sampled_from([
    P1, P2, P3, P4, "激发创新活力。", "众所周知,台州制造业家底厚实,", "在国内广东、", "技", "能创富体系,理顺关系。",
    "台州主城区 储伏龙摄", "台州府城", "加速项目集聚 推动经济稳健发展", "杨 群", "“回浦中学!总冠军!”", "",
    " ", "\u3000", "括\ufffd湾", "and 1200", "他说:“", "S1线",
    # PDF and web damage (issue 11): figure captions, notes, spliced quotations, spaced numbers, pictures.
    "图1 2019—2023年台州市规上工业增加值", "表1 重点产业", "左起：张三、李四", "圖 2 發電量", "黃志強攝",
    "[图片]", "![](a.png)", '<img src="b.jpg">', "“制造业是立国之本。”", "——摘自《中国制造2025》",
    "①数据来源：《统计公报》。", "[1]张三：《台州经济》，2020年，第3页。", "注释", "注：数据来自统计局。",
    "增长6.8%①。全市共有", "1976 年", "不足 1 0 亿元", "——来自台州的报告", "本报记者 张三", "記者 陳大文",
    "一、坚持问题导向",
    # Issue 28: enumerations, boilerplate, page furniture, tables, pasted data, bylines.
    "第四条 下列情形：", "（一）销售货物的；", "(二)进口货物。", "①坚持问题导向；", "第一章 总 则", "1 引言",
    "关注我们", "点击阅读原文", "分享 收藏 在看", "来源：台州日报", "责任编辑：王五", "往期推荐", "- END -",
    "预览时标签不可点", "- 3 -", "6", "\f台州市制造业发展报告", "粮食（万吨）     97.34     6.9",
    '{"a": 1,', '"b": [1, 2]}', "title: 台州", "date: 2024-01-01", "▲图为现场。视频截图", "∗", "[1]",
    "（根据受访者要求，做匿名处理）", "作者：南方周末记者 崔慧莹", "刘焕彬", "(黄冈师范学院数学系, 黄冈 438000)",
]) | st.text(alphabet="台州市发展经济,。、:“”!? abc123\ufffd①[]", max_size=30)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINES, max_size=25))
def test_every_character_is_kept_in_a_block_or_reported_dropped_in_order(lines):
    text = "\n".join(lines)
    if not text.strip():
        return
    document = seg(text)
    source_lines = text.split("\n")
    pieces = [(b.lines, b.text) for b in document.blocks] + [(d.lines, d.text) for d in document.dropped]
    used = []
    for numbers, piece_text in pieces:
        assert numbers == sorted(numbers)
        # In order: a block is its source lines, in order, whitespace aside.
        assert _squash(piece_text) == "".join(_squash(source_lines[n - 1]) for n in numbers)
        used.extend(numbers)
    assert sorted(used) == [n for n, line in enumerate(source_lines, 1) if line.strip()]
    assert _squash("".join(source_lines[n - 1] for n in sorted(used))) == _squash(text)


def _squash(text: str) -> str:
    return regex.sub(r"\s+", "", text)


# --- scale: the work grows near-linearly with the document ----------------------------

_HAN = "台州市发展经济创新产业集群项目民营企业服务改革开放城市更新乡村振兴人才科技港口交通"


def _long_article(n: int) -> str:
    """``n`` varied paragraphs (some broken mid-sentence, some with photo credits and
    picture names between them), then a repeat of the first half (a run of
    duplicates), truncated copies, and one long quotation left open."""
    rng = random.Random(7)

    def words(low, high):
        return "".join(rng.choice(_HAN) for _ in range(rng.randint(low, high)))

    lines = []
    for i in range(n):
        lines.append(words(20, 60) + ("，" if i % 7 == 3 else "。"))
        if i % 11 == 5:
            lines += [words(6, 10) + " 张三摄", words(4, 8), words(4, 8)]
    body = list(lines)
    lines += body[: len(body) // 2]
    lines += [line[: len(line) // 2] for line in body[::5] if len(line) > 14]
    lines.append("他说：“" + "".join(words(10, 20) + "。" for _ in range(n)))
    return "\n\n".join(lines) + "\n"


def _lines_executed(function, *args) -> int:
    """Lines of ``pipeline`` code executed by ``function(*args)``: work, not time."""
    import sys
    from pathlib import Path

    import pipeline

    root = str(Path(pipeline.__file__).parent)
    count = 0

    def trace(frame, event, arg):
        nonlocal count
        if not frame.f_code.co_filename.startswith(root):
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        function(*args)
    finally:
        sys.settrace(None)
    return count


def test_doubling_the_document_does_not_quadruple_the_work():
    small, large = (_lines_executed(seg, _long_article(n)) for n in (150, 300))
    # Near-linear: twice the blocks (and a twice as long quotation) cost about twice
    # the work; comparing every block with every earlier one would cost four times.
    assert large / small < 2.4, (small, large)
