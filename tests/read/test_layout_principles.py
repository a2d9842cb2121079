"""The principles the layout repair keeps (issue 28), each on small hostile inputs of
its own, in Simplified and in Traditional, on the text and the Markdown path: never
merge a caption, credit or footnote into body text; cross an explicit boundary only on
strong evidence; enumerations are list items or headings, never glued to their
lead-in; web and WeChat boilerplate is dropped and listed, kept on request; pasted
data is verbatim; a PDF's page furniture is left out. The corpus scores
(tests/read/test_layout_corpus.py) measure them on real documents."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from pipeline.read.layout import segment
from pipeline.read.source import SourceText, detect_script


def seg(text: str, fmt: str = "text", keep_boilerplate: bool = False):
    suffix = ".md" if fmt == "markdown" else ".txt"
    source = SourceText(Path("doc" + suffix), text, "utf-8", detect_script(text), fmt)
    return segment(source, keep_boilerplate=keep_boilerplate)


def kinds(document):
    return [(b.kind, b.text) for b in document.blocks]


def both(hans, hant):
    """One case in Simplified, one in Traditional."""
    return pytest.mark.parametrize("case", [pytest.param(hans, id="hans"), pytest.param(hant, id="hant")])


# -- 1. never merge a caption, credit or footnote into body text ---------------------------


@both(("街道积水严重，", "▲6月8日，一名男子在积水中搭救。视频截图", "救援人员随后赶到现场。"),
      ("街道積水嚴重，", "▲6月8日，一名男子在積水中搭救。視頻截圖", "救援人員隨後趕到現場。"))
@pytest.mark.parametrize("wrapping", ["figure", "after-image", "inline", "multiline"])
def test_a_figcaption_is_a_caption_whatever_wraps_it(case, wrapping):
    body, caption, rest = case
    figure = {
        "figure": f'<figure>\n<img src="a.jpg" alt="">\n<figcaption>{caption}</figcaption>\n</figure>',
        "after-image": f"![](a.jpg)\n\n<figcaption>{caption}</figcaption>",
        "inline": f"![](a.jpg) <figcaption>{caption}</figcaption>",
        "multiline": f'<figure><img src="a.jpg">\n<figcaption>\n{caption}\n</figcaption></figure>',
    }[wrapping]
    document = seg(f"# 标题\n\n{body}\n\n{figure}\n\n{rest}\n", "markdown")
    found = [(b.kind, b.text) for b in document.blocks if b.kind in ("paragraph", "caption")]
    # The caption ends without a full stop (视频截图) and the paragraph on a comma: still apart.
    assert ("caption", caption) in found
    assert all(caption not in text for kind, text in found if kind == "paragraph")


@both(("![](a.jpg)\n\n**· 河姆渡遗址出土的陶猪模型，距今约 7000 年**\n\n中国人一直把吃肉当作大事。",
       "· 河姆渡遗址出土的陶猪模型，距今约 7000 年"),
      ("![](a.jpg)\n\n**· 河姆渡遺址出土的陶豬模型，距今約 7000 年**\n\n中國人一直把吃肉當作大事。",
       "· 河姆渡遺址出土的陶豬模型，距今約 7000 年"))
def test_a_caption_line_under_a_picture_is_its_caption_even_bold(case):
    text, caption = case
    document = seg(text, "markdown")
    assert ("caption", caption) in kinds(document)
    assert [b.kind for b in document.blocks] == ["image", "caption", "paragraph"]


@both(("记者到达现场时，", "艾未未批判政治和传统的《洗白》。何家达摄", "现场已经拉起警戒线。"),
      ("記者到達現場時，", "艾未未批判政治和傳統的《洗白》。何家達攝", "現場已經拉起警戒線。"))
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_a_credit_after_a_full_stop_is_a_caption_and_the_paragraph_joins_around_it(case, fmt):
    first, caption, second = case
    document = seg(f"第一段写得很完整。\n\n{first}\n\n{caption}\n\n{second}\n", fmt)
    assert kinds(document) == [("paragraph", "第一段写得很完整。"), ("paragraph", first + second),
                               ("caption", caption)]


@both("（根据受访者要求，受感染医生做匿名处理）", "（根據受訪者要求，受感染醫生做匿名處理）")
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_an_editors_note_in_brackets_is_a_footnote_not_body(case, fmt):
    document = seg(f"医生说，他每天都在鼓励自己。\n\n{case}\n", fmt)
    assert kinds(document)[-1] == ("footnote", case)


# -- 2. an explicit boundary is crossed only on strong evidence -----------------------------


@both(("他在会上说：", "现在，我代表国务院报告工作。"), ("他在會上說：", "現在，我代表國務院報告工作。"))
def test_a_markdown_blank_line_after_a_colon_is_not_crossed(case):
    lead, following = case
    document = seg(f"{lead}\n\n{following}\n", "markdown")
    assert kinds(document) == [("paragraph", lead), ("paragraph", following)]


@both(("乡村振兴需要干部带头示范，也需要充分激发学", "生活力，学校协同共同进步。"),
      ("鄉村振興需要幹部帶頭示範，也需要充分激發學", "生活力，學校協同共同進步。"))
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_a_sentence_cut_mid_word_is_joined_across_a_blank_line(case, fmt):
    first, second = case
    complete = ["台州制造业家底厚实，拥有35个工业行业大类。", "为加快实现这一目标，台州加速布局产业链。"]
    document = seg("\n\n".join([complete[0], first, second, complete[1]]) + "\n", fmt)
    assert [b.text for b in document.blocks] == [complete[0], first + second, complete[1]]
    assert [f.code for f in document.blocks[1].flags] == ["joined"]


@both(["开头就很带感了", "服化道给力，但节奏太拖拉了", "王凯演技又上了一个台阶", "这也太拖沓了",
       "看了片花就很期待，终于播出了"],
      ["開頭就很帶感了", "服化道給力，但節奏太拖拉了", "王凱演技又上了一個台階", "這也太拖沓了",
       "看了片花就很期待，終於播出了"])
def test_lines_that_end_without_punctuation_by_style_stay_apart(case):
    # Comments one per line, most without end punctuation: no line is a broken paragraph.
    document = seg("\n".join(case) + "\n")
    assert [(b.kind, b.text) for b in document.blocks] == [("paragraph", line) for line in case]


@both(("记者到内蒙古通辽市开鲁县", "采访了种植户与村镇干部的纠纷", "视频中村镇干部满嘴脏话"),
      ("記者到內蒙古通遼市開魯縣", "採訪了種植戶與村鎮幹部的糾紛", "視頻中村鎮幹部滿嘴髒話"))
def test_a_transcripts_subtitle_lines_are_units(case):
    lines = [case[i % 3] + "第" + "一二三四五六七八九十"[i] + "段" * (1 + i % 4) for i in range(10)]
    document = seg("# 标题\n\n" + "\n".join(lines) + "\n", "markdown")
    assert [b.text for b in document.blocks if b.kind == "paragraph"] == lines


@both(("第五条 下列场所应当每日升挂国旗：", "（一）北京天安门广场；", "（二）外交部。", "学校应当每日升挂国旗。"),
      ("第五條 下列場所應當每日升掛國旗：", "（一）北京天安門廣場；", "（二）外交部。", "學校應當每日升掛國旗。"))
def test_markdown_lines_set_apart_with_hard_breaks_after_a_lead_in_or_a_sentence_are_blocks(case):
    lead, first, second, clause = case
    document = seg(f"{lead}  \n{first}  \n{second}  \n{clause}\n", "markdown")
    assert kinds(document) == [("paragraph", lead), ("list_item", first), ("list_item", second),
                               ("paragraph", clause)]


@both("【粉丝交流群招新啦！在这里，拓宽网络安全的边界  \n甲方安全建设干货，乙方最新技术理念】",
      "【粉絲交流群招新啦！在這裡，拓寬網絡安全的邊界  \n甲方安全建設乾貨，乙方最新技術理念】")
def test_a_hard_break_inside_a_sentence_is_not_a_boundary(case):
    document = seg(f"正文一段。\n\n{case}\n", "markdown", keep_boilerplate=True)
    assert len(document.blocks) == 2


@both(("行政机关不得干涉，", "<p>仲裁委员会独立于行政机关。</p>"), ("行政機關不得干涉，", "<p>仲裁委員會獨立於行政機關。</p>"))
def test_a_paragraph_never_runs_on_into_an_html_block(case):
    first, block = case
    document = seg(f"{first}\n\n{block}\n", "markdown")
    assert [b.text for b in document.blocks] == [first, block[3:-4]]


# -- 3. enumerations are list items or headings, never glued to their lead-in ---------------


@both(("第四条 在境内发生应税交易，是指下列情形：", ["（一）销售货物的；", "（二）销售金融商品的；", "（三）进口货物的。"]),
      ("第四條 在境內發生應稅交易，是指下列情形：", ["（一）銷售貨物的；", "（二）銷售金融商品的；", "（三）進口貨物的。"]))
@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("separator", ["\n", "\n\n"], ids=["lines", "paragraphs"])
def test_a_lead_in_ending_in_a_colon_stays_its_own_paragraph_and_its_items_apart(case, fmt, separator):
    lead, items = case
    document = seg(separator.join([lead, *items]) + "\n", fmt)
    assert kinds(document) == [("paragraph", lead), *[("list_item", item) for item in items]]


@pytest.mark.parametrize("markers", [
    ["1.", "2.", "3."], ["1、", "2、", "3、"], ["（1）", "（2）", "（3）"], ["(1)", "(2)", "(3)"],
    ["①", "②", "③"], ["甲、", "乙、", "丙、"], ["⑴", "⑵", "⑶"],
], ids=["dot", "comma", "paren", "ascii-paren", "circled", "stems", "parenthesized"])
@pytest.mark.parametrize("script", ["hans", "hant"])
def test_every_family_of_enumeration_markers_makes_list_items(markers, script):
    items = ["销售货物，货物在境内；", "提供服务，服务在境内消费；", "转让无形资产。"] if script == "hans" else \
        ["銷售貨物，貨物在境內；", "提供服務，服務在境內消費；", "轉讓無形資產。"]
    lead = "应税交易包括：" if script == "hans" else "應稅交易包括："
    document = seg("\n".join([lead, *[m + item for m, item in zip(markers, items)]]) + "\n")
    assert [b.kind for b in document.blocks] == ["paragraph", "list_item", "list_item", "list_item"]


@both(("一、总体情况", "第一章 总 则", "第一条 为了规范增值税的征收，制定本法。", "一、关于沈阳调入文学院的经过。"),
      ("一、總體情況", "第一章 總 則", "第一條 為了規範增值稅的徵收，制定本法。", "一、關於沈陽調入文學院的經過。"))
def test_numbered_section_titles_are_headings_and_articles_paragraphs(case):
    section, chapter, article, titled = case
    body = "正文写得很完整。"
    document = seg("\n\n".join([body, section, body + "一", chapter, article, titled, body + "二"]) + "\n")
    assert [b.kind for b in document.blocks] == ["paragraph", "heading", "paragraph", "heading", "paragraph",
                                                 "heading", "paragraph"]


def test_a_list_item_broken_across_pdf_lines_is_joined_and_stays_an_item():
    text = "第十三条 国徽及其图案不得用于:\n(一)商标、商业广告;\n(二)国务院办公厅规定不得使用国徽及其图案的其他场\n合。\n第十四条 不得悬挂破损的国徽。\n"
    document = seg(text)
    assert kinds(document) == [("paragraph", "第十三条 国徽及其图案不得用于:"), ("list_item", "(一)商标、商业广告;"),
                               ("list_item", "(二)国务院办公厅规定不得使用国徽及其图案的其他场合。"),
                               ("paragraph", "第十四条 不得悬挂破损的国徽。")]


# -- 4. boilerplate of web and WeChat pages -----------------------------------------------

WECHAT = {
    "hans": """# 台州港口吞吐量创新高

[ 浙江发布 ](javascript:void\\(0\\);)

微信号 zjfb

功能介绍 浙江省政府新闻办官方账号

全文1200字，阅读约需3分钟

点击上方蓝字关注我们

2023年，大麦屿港区集装箱吞吐量突破50万箱，同比增加17.3%。

社会各界高度关注港口的发展，企业纷纷点赞。

来源：台州日报

责任编辑：王五

- END -

长按识别二维码，关注我们

分享 收藏 点赞 在看

往期推荐

[台州湾新区建设提速](https://mp.weixin.qq.com/s/a)

[玉环打造海岛公园](https://mp.weixin.qq.com/s/b)

预览时标签不可点

微信扫一扫
关注该公众号
""",
    "hant": """# 臺北港貨櫃量創新高

[ 臺北發布 ](javascript:void\\(0\\);)

微信號 tpfb

功能介紹 臺北市政府新聞處官方帳號

全文1200字，閱讀約需3分鐘

點擊上方藍字關注我們

2023年，臺北港貨櫃吞吐量突破50萬箱，較上年增加17.3%。

社會各界高度關注港口的發展，企業紛紛點讚。

來源：聯合報

責任編輯：陳大文

- END -

長按識別二維碼，關注我們

分享 收藏 點讚 在看

往期推薦

[臺北港擴建提速](https://mp.weixin.qq.com/s/a)

[基隆打造海洋公園](https://mp.weixin.qq.com/s/b)

預覽時標籤不可點

微信掃一掃
關注該公眾號
""",
}


@pytest.mark.parametrize("script", ["hans", "hant"])
def test_wechat_boilerplate_is_dropped_and_listed_and_the_article_kept(script):
    text = WECHAT[script]
    document = seg(text, "markdown")
    assert [b.kind for b in document.blocks] == ["title", "byline", "paragraph", "paragraph"]
    assert "关注" in document.blocks[3].simplified and "点赞" in document.blocks[3].simplified  # prose, kept
    dropped = [d.text for d in document.dropped]
    assert all(d.reason == "boilerplate" for d in document.dropped)
    for what in ("微信", "全文1200字", "关注我们", "来源", "责任编辑", "END", "二维码", "在看", "往期", "预览时标签不可点"):
        assert any(what in t or what in _simple(t) for t in dropped), what
    # Nothing lost: every line of text is a block or dropped, in source order.
    lines = sorted({n for b in document.blocks for n in b.lines} | {n for d in document.dropped for n in d.lines})
    assert lines == [n for n, line in enumerate(text.split("\n"), start=1) if line.strip()]


def _simple(text: str) -> str:
    from pipeline.read.source import to_simplified

    return to_simplified(text, "traditional")


@pytest.mark.parametrize("script", ["hans", "hant"])
def test_keep_boilerplate_keeps_it_as_blocks(script):
    document = seg(WECHAT[script], "markdown", keep_boilerplate=True)
    assert document.dropped == []
    assert any("END" in b.text for b in document.blocks)
    assert len(document.blocks) > 10


@both(["编辑部认为，这个决定很重要。", "来源于网络的数据显示，今年增长很快。", "双方开展商务合作，共同发展。",
       "公司相关负责人连连点赞：", "他在信中说：欢迎关注我们的工作，这是一个很长的句子。"],
      ["編輯部認為，這個決定很重要。", "來源於網絡的數據顯示，今年增長很快。", "雙方開展商務合作，共同發展。",
       "公司相關負責人連連點讚：", "他在信中說：歡迎關注我們的工作，這是一個很長的句子。"])
def test_prose_that_mentions_the_words_of_boilerplate_is_kept(case):
    document = seg("\n\n".join(case) + "\n", "markdown")
    assert document.dropped == []
    assert "".join(b.text for b in document.blocks) == "".join(case)


def test_the_reader_shows_boilerplate_collapsed_and_escaped():
    from pipeline.render.reader import render

    text = "台州港口吞吐量创新高\n\n2023年，大麦屿港区集装箱吞吐量突破50万箱。\n\n责任编辑：<b>王五</b>\n\n往期推荐\n"
    document = seg(text)
    assert [d.reason for d in document.dropped] == ["boilerplate", "boilerplate"]
    page = render(document, now=datetime(2026, 12, 7))
    left_out = page[page.index('<details class="left-out"><summary>2 left out'):]
    assert "往期推荐" in left_out and "&lt;b&gt;王五&lt;/b&gt;" in left_out and "<b>王五</b>" not in page


def test_segment_lists_boilerplate_and_keeps_it_on_request(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import cli

    source = tmp_path / "wechat.md"
    source.write_text(WECHAT["hans"], encoding="utf-8")
    plain = CliRunner().invoke(cli, ["segment", str(source)])
    kept = CliRunner().invoke(cli, ["segment", str(source), "--keep-boilerplate"])
    assert plain.exit_code == kept.exit_code == 0
    assert ": boilerplate: 往期推荐" in plain.output and "往期推荐" in kept.output
    assert ": boilerplate:" not in kept.output


# -- 5. structured data pasted into text is verbatim ----------------------------------------


@both('{\n  "title": "台州港口年报",\n  "year": 2023,\n  "tags": ["港口", "物流"]\n}',
      '{\n  "title": "臺北港年報",\n  "year": 2023,\n  "tags": ["港口", "物流"]\n}')
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_pasted_json_is_one_verbatim_block(case, fmt):
    document = seg(f"下面是元数据：\n\n{case}\n\n正文写得很完整。\n", fmt)
    assert [b.kind for b in document.blocks] == ["paragraph", "code", "paragraph"]
    assert document.blocks[1].sentences == []  # kept as written, never translated


@both("title: 台州港口年报\ndate: 2023-12-01\nauthor: 张三\ncategories: 港口", "title: 臺北港年報\ndate: 2023-12-01\nauthor: 陳大文\ncategories: 港口")
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_key_value_metadata_is_verbatim(case, fmt):
    document = seg(f"{case}\n\n正文写得很完整。\n", fmt)
    assert [b.kind for b in document.blocks] == ["code", "paragraph"]
    assert document.blocks[0].text == case


@both("主要农产品产量如下：\n2005年       比上年增长（%）\n粮食（万吨）        97.34      6.9\n蔬菜（万吨）       188.96     -0.2",
      "主要農產品產量如下：\n2005年       比上年增長（%）\n糧食（萬噸）        97.34      6.9\n蔬菜（萬噸）       188.96     -0.2")
def test_a_table_lined_up_with_spaces_is_a_table_of_cells(case):
    document = seg(case + "\n")
    assert [b.kind for b in document.blocks] == ["paragraph", "table"]
    table = document.blocks[1]
    assert [len(row) for row in table.table["rows"]] == [2, 3, 3]
    assert table.sentences[2].text in ("粮食（万吨）", "糧食（萬噸）")


# -- 6. text extracted from PDF: page furniture --------------------------------------------


@both(("台州市制造业发展报告", "从产业结构看，传统优势产业仍占主导地位，新兴产", "业增长较快，贡献率达到45.2%。"),
      ("臺北市能源發展報告", "從能源結構看，太陽光電等新興能源快速成長，傳統", "發電占比逐年下降，降幅達到4.2%。"))
def test_page_numbers_and_running_heads_are_furniture_and_the_paragraph_joins_across_the_page(case):
    head, first, second = case
    pages = [
        f"{head}\n第一段写得很完整。\n{first}\n\n- 1 -\n",
        f"\f{head}\n{second}\n第三段也写得很完整。\n\n- 2 -\n",
    ]
    text = "".join(pages)
    document = seg(text)
    assert kinds(document) == [("title", head), ("paragraph", "第一段写得很完整。"), ("paragraph", first + second),
                               ("paragraph", "第三段也写得很完整。")]
    assert [(d.text, d.reason) for d in document.dropped] == [
        ("- 1 -", "page-furniture"), (head, "page-furniture"), ("- 2 -", "page-furniture")]


@pytest.mark.parametrize("script", ["hans", "hant"])
def test_lines_wrapped_at_a_pdf_pages_width_are_one_paragraph(script):
    # Six articles wrapped at 46 characters: a full line ending on a full stop or in
    # mid-word runs on; a short one ends its paragraph; an item starts its own.
    han = "委员会主任副主任和委员由法律经济贸易专家和有实际工作经验的人员担任仲裁员应当符合下列条件之一" * 3
    if script == "hant":
        han = "委員會主任副主任和委員由法律經濟貿易專家和有實際工作經驗的人員擔任仲裁員應當符合下列條件之一" * 3
    articles, lines = [], []
    for n in range(6):
        head = f"第{'一二三四五六'[n]}条 " if script == "hans" else f"第{'一二三四五六'[n]}條 "
        full = head + han[n * 7: n * 7 + 44 - len(head)]
        rest = han[n * 5 + 60: n * 5 + 60 + 8 + n] + "。"
        lines += [full, rest]
        articles.append(full + rest)
    document = seg("\n".join(lines) + "\n")
    assert [b.text for b in document.blocks] == articles
    assert all(b.flags == [] for b in document.blocks)  # a line's wrap is no damage


# -- nothing of the source is lost, on the Markdown path too --------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_MARKDOWN_LINES = st.sampled_from([
    "", "", "台州制造业家底厚实，拥有35个工业行业大类。", "在国内广东、", "福建、湖北等省份也有回收站点。", "充分激发学",
    "生活力，学校协同共同进步。", "第五条 下列场所应当每日升挂国旗：  ", "（一）北京天安门广场；  ", "（二）外交部。",
    "![](a.jpg)", "<figcaption>▲6月8日，医生抢救。视频截图</figcaption>", '<figure><img src="b.jpg">',
    "</figure>", "**· 河姆渡遗址出土的陶猪模型**", "### 小标题", "> 引用的话。", "- 列表项", "1. 第一项",
    "关注我们", "往期推荐", "[台州湾新区](https://mp.weixin.qq.com/s/a)", "预览时标签不可点", "分享 收藏 在看",
    "[ 浙江发布 ](javascript:void\\(0\\);)", "title: 台州", "date: 2024-01-01", "---", "认罪5人   ",
    " 李卓人：判囚14个月   ", " 蔡耀昌：判囚12个月", "<p>仲裁委员会独立于行政机关。</p>", "記者 陳大文／臺北報導",
    "（根据受访者要求，做匿名处理）", "記者到內蒙古通遼市", "採訪了種植戶與村鎮幹部", "视频中村镇干部满嘴脏话",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MARKDOWN_LINES, max_size=30), st.booleans())
def test_every_character_of_a_markdown_source_is_in_a_block_or_dropped(lines, keep):
    from pipeline.testing.corpus import key, visible

    text = "\n".join(lines) + "\n"
    document = seg(text, "markdown", keep_boilerplate=keep)
    out = key("".join([*(b.text for b in document.blocks), *(d.text for d in document.dropped)]))
    missing = Counter(visible(text, markdown=True)) - Counter(out)
    assert not missing, missing
    numbers = [n for b in document.blocks for n in b.lines] + [n for d in document.dropped for n in d.lines]
    assert len(numbers) == len(set(numbers))  # no line in two blocks


@pytest.mark.parametrize("last", ["2023", "1998"])
def test_a_year_alone_at_the_end_of_a_text_is_not_a_page_number(last):
    document = seg(f"台州制造业家底厚实。\n\n{last}\n\n- 3 -\n")
    assert [b.text for b in document.blocks] == ["台州制造业家底厚实。", last]
    assert [(d.text, d.reason) for d in document.dropped] == [("- 3 -", "page-furniture")]
