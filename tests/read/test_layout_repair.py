"""One test per damage class of issue 11, on both paths (text and Markdown), each
with a small input in Simplified and in Traditional where the class occurs in
both; then the realistic documents in tests/data/layout/ as an editor would cut
them, and clean sources that must come through unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DATA
from pipeline.read import load_document
from pipeline.read.layout import segment
from pipeline.read.source import SourceText, detect_script

LAYOUT = DATA / "layout"


def seg(text: str, fmt: str = "text"):
    suffix = ".md" if fmt == "markdown" else ".txt"
    return segment(SourceText(Path("doc" + suffix), text, "utf-8", detect_script(text), fmt))


def kinds(document):
    return [(b.kind, b.text) for b in document.blocks]


def both(hans, hant):
    """A Simplified and a Traditional case of one damage class."""
    return pytest.mark.parametrize("case", [pytest.param(hans, id="hans"), pytest.param(hant, id="hant")])


# -- web articles saved as Markdown -------------------------------------------------------


@both(
    {"body": "大麦屿港还拥有新西兰、美国等国际航线，", "rest": "更远的航线正在开通。",
     "caption": "大麦屿港区一角", "credit": "王五 摄", "source": "来源：台州市统计局"},
    {"body": "迪化街上的老店去年交由第三代經營，", "rest": "營業額成長了三成。",
     "caption": "圖：店內陳列的乾貨", "credit": "黃志強攝", "source": "來源：臺北市文化局"},
)
def test_markdown_image_caption_and_credit_never_merge_into_the_body(case):
    text = (f"{case['body']}\n\n![店](https://img.example.cn/a.jpg)\n{case['caption']}\n{case['credit']}\n\n"
            f"<img src=\"b.jpg\">\n{case['source']}\n\n{case['rest']}\n")
    document = seg(text, "markdown")
    assert kinds(document) == [
        ("paragraph", case["body"] + case["rest"]),
        ("image", "![店](https://img.example.cn/a.jpg)"),
        ("caption", case["caption"]),
        ("caption", case["credit"]),
        ("image", '<img src="b.jpg">'),
        ("caption", case["source"]),
    ]
    assert [b.lines for b in document.blocks] == [[1, 10], [3], [4], [5], [7], [8]]
    assert [f.code for f in document.blocks[0].flags] == ["joined"]


@both("**一、坚持问题导向**\n\n台州持续推进科创体系建设。\n",
      "**一、堅持問題導向**\n\n臺北持續推動都市再生計畫。\n")
def test_markdown_bold_line_is_a_heading(case):
    document = seg("# 标题\n\n正文第一段。\n\n" + case, "markdown")
    assert [b.kind for b in document.blocks] == ["title", "paragraph", "heading", "paragraph"]
    assert document.blocks[2].text == case.split("\n")[0].strip("*")
    assert document.blocks[2].level is None  # found by layout repair, not written as ##


@both(("台州：在“制造之都”感受发展脉搏", "——来自浙江台州的蹲点报告", "本报记者 张三 李四"),
      ("臺北：老城區的新生命", "——大稻埕街區再生紀實", "記者 陳大文／臺北報導"))
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_subtitle_and_byline_under_the_title(case, fmt):
    title, subtitle, byline = case
    head = f"# {title}" if fmt == "markdown" else title
    document = seg(f"{head}\n\n{subtitle}\n\n{byline}\n\n正文第一段，写得很完整。\n", fmt)
    assert kinds(document)[:3] == [("title", title), ("subtitle", subtitle), ("byline", byline)]
    assert document.blocks[3].kind == "paragraph"


@pytest.mark.parametrize(
    "byline",
    ["本报记者 张三", "实习记者 李四", "文/图 王五", "作者：南方周末记者 崔慧莹", "新京报记者 庞礡 实习生 郑洁",
     "中青在线北京4月25日电", "（沈度，自由撰稿人）", "實習記者 林小明", "記者 陳大文", "文／圖 黃志強"],
    ids=["benbao", "shixi", "wen-tu", "zuozhe", "paper-intern", "dateline", "author-note", "shixi-hant", "jizhe-hant",
         "wen-tu-hant"],
)
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_bylines_that_say_what_they_are_are_bylines_anywhere(byline, fmt):
    hant = detect_script(byline) == "traditional"
    before, after = ("這一段寫得很完整。", "下一段也寫得很完整。") if hant else ("第一段写得很完整。", "第二段也写得很完整。")
    document = seg(f"{before}\n\n{byline}\n\n{after}\n", fmt)
    assert [b.kind for b in document.blocks] == ["paragraph", "byline", "paragraph"]


@both("## 安装 {#installation}\n\n先创建虚拟环境。\n", "## 安裝 {#installation .first}\n\n先建立虛擬環境。\n")
def test_markdown_heading_attributes_are_kept_apart_from_the_text(case):
    heading = seg(case, "markdown").blocks[0]
    assert (heading.kind, heading.level, heading.anchor) == ("heading", 2, "installation")
    assert "{" not in heading.text and heading.text in ("安装", "安裝")
    assert [s.text for s in heading.sentences] == [heading.text]


@both("| 名称 | 说明 |\n| :--- | ---: |\n| **台州** | `a\\|b` 港口 |\n| 温州 |  |\n",
      "| 名稱 | 說明 |\n| :--- | ---: |\n| **臺北** | `a\\|b` 港口 |\n| 高雄 |  |\n")
def test_markdown_table_keeps_its_shape_and_cells_are_units(case):
    document = seg("正文。\n\n" + case + "\n后文。\n", "markdown")
    table = document.blocks[1]
    assert table.kind == "table" and table.lines == [3, 4, 5, 6]
    texts = [s.text for s in table.sentences]
    assert texts[2:] == [texts[2], "a|b 港口", texts[4]] and texts[2] in ("台州", "臺北")
    assert table.table == {"header": 1, "align": ["left", "right"], "rows": [[[1], [2]], [[3], [4]], [[5], []]]}
    assert [b.kind for b in document.blocks] == ["paragraph", "table", "paragraph"]


def test_markdown_block_lines_are_exact():
    text = (
        "---\ntitle: x\n---\n\n"          # 1-3
        "标题\n===\n\n"                    # 5-6 setext
        "第一段的第一行，\n第一段的第二行。\n\n"  # 8-9
        "> 引用第一行\n> 引用第二行。\n\n"      # 11-12
        "1. 列表一。\n\n   列表一的第二段。\n2. 列表二。\n\n"  # 14, 16, 17
        "<div>\n<p>HTML 里的段落。</p>\n</div>\n\n"  # 19-21
        "```\ncode\n```\n\n"               # 23-25
        "[^a]: 脚注的第一行，\n    脚注的第二行。\n"  # 27-28
    )
    document = seg(text, "markdown")
    assert [(b.kind, b.lines) for b in document.blocks] == [
        ("front_matter", [1, 2, 3]),
        ("title", [5, 6]),
        ("paragraph", [8, 9]),
        ("quote", [11, 12]),
        ("list_item", [14]),
        ("list_item", [16]),
        ("list_item", [17]),
        ("paragraph", [20]),
        ("code", [23, 24, 25]),
        ("footnote", [27, 28]),
    ]
    assert document.blocks[-1].anchor == "a" and document.blocks[-1].text == "脚注的第一行，脚注的第二行。"
    assert document.blocks[2].flags == []  # the lines of one paragraph were not "joined" damage


def test_markdown_duplicates_are_dropped_and_code_is_never():
    repeated = "“在台州，你可以链接全球。”站在台州玉环大麦屿港，面对望不到边际的集装箱。"
    text = f"# 标题\n\n{repeated}\n\n```\nx = 1\n```\n\n中间一段。\n\n```\nx = 1\n```\n\n{repeated}\n"
    document = seg(text, "markdown")
    assert [b.kind for b in document.blocks] == ["title", "paragraph", "code", "paragraph", "code"]
    assert [(d.lines, d.duplicate_of, d.reason) for d in document.dropped] == [([15], "p2", "duplicate")]


# -- text extracted from PDFs -----------------------------------------------------------


@both(
    ("从产业结构看，汽车及零部件等传统产业仍占主导地位，新兴产", "业增长较快。",
     ["图1 2019—2023年台州市规上工业增加值", "图 2 重点产业分布", "表1 2023年重点产业增加值", "左起：张三、李四、王五"]),
    ("從能源結構看，太陽光電等新興能源快速成長，傳統", "發電占比逐年下降。",
     ["圖1 2019—2023年再生能源發電量", "圖 2 離岸風場分布", "表1 2023年各類能源發電量", "左起：陳大文、林小明"]),
)
def test_figure_and_table_captions_stand_apart_and_the_paragraph_is_joined(case):
    first, second, captions = case
    document = seg("\n\n".join(["第一段写得很完整。", first, *captions, second]) + "\n")
    assert kinds(document) == [("paragraph", "第一段写得很完整。"), ("paragraph", first + second),
                               *[("caption", c) for c in captions]]


@both("全市规上工业增加值同比增长6.8%。①其中高新技术企业占比超过40%[1]。[2]新兴产业增长较快¹。",
      "再生能源發電量較上年增長12.5%。①其中離岸風電占比超過30%[1]。[2]儲能設施仍待加強¹。")
def test_footnote_markers_stay_with_the_sentence_they_follow(case):
    sentences = [s.text for s in seg(case + "\n").blocks[0].sentences]
    assert len(sentences) == 3
    assert sentences[0].endswith("。①") and sentences[1].endswith("[1]。[2]") and sentences[2].endswith("¹。")
    assert not any(s[0] in "①[¹" for s in sentences)
    assert "".join(sentences) == case


@both(
    ("从产业结构看，传统优势产业仍占主导地位，新能源、新材料等新兴产",
     ["“制造业是立国之本、强国之基。”", "——摘自《中国制造2025》", "“要把发展经济的着力点放在实体经济上。”", "——党的十九大报告"],
     "业增长较快，贡献率达到45.2%。"),
    ("從能源結構看，太陽光電、離岸風電等新興能源快速成長，燃煤等傳統",
     ["「能源轉型是國家發展的關鍵。」", "——摘自《能源轉型白皮書》"],
     "發電占比逐年下降。"),
)
def test_spliced_quotations_and_their_sources_become_footnotes_after_the_rejoined_paragraph(case):
    first, spliced, second = case
    document = seg("\n\n".join(["第一段写得很完整。", first, *spliced, second, "最后一段。"]) + "\n")
    assert kinds(document) == [("paragraph", "第一段写得很完整。"), ("paragraph", first + second),
                               *[("footnote", s) for s in spliced], ("paragraph", "最后一段。")]
    assert document.blocks[1].lines == [3, 5 + 2 * len(spliced)]


def test_a_quotation_a_paragraph_leads_into_is_not_a_footnote():
    text = "第一段写得很完整。\n\n正如他在信中所说，\n\n“我们有信心在当地发展。”\n\n这封信很快传遍了全城。\n"
    assert kinds(seg(text)) == [("paragraph", "第一段写得很完整。"),
                                ("paragraph", "正如他在信中所说，“我们有信心在当地发展。”"),
                                ("paragraph", "这封信很快传遍了全城。")]


@both(
    (["①坚持问题导向；", "②坚持系统观念。"], "全市工业增加值增长6.8%①，高新技术企业占比超过40%[1]。", "注释",
     ["①数据来源：台州市统计局《2023年统计公报》。", "[1]张三：《台州经济》，浙江人民出版社，2020年，第3页。"]),
    (["①堅持問題導向；", "②堅持系統觀念。"], "再生能源發電量增長12.5%①，離岸風電占比超過30%[1]。", "註釋",
     ["①資料來源：經濟部能源署《2023年能源統計年報》。", "[1]陳大文：《臺灣能源》，臺灣商務印書館，2020年，第3頁。"]),
)
def test_endnotes_are_footnotes_and_an_enumeration_is_not(case):
    # Issue 28: the items of an enumeration are list items, never glued together.
    enumeration, body, heading, notes = case
    document = seg("\n\n".join([*enumeration, body, heading, *notes]) + "\n")
    assert kinds(document) == [*[("list_item", item) for item in enumeration], ("paragraph", body), ("heading", heading),
                               *[("footnote", note) for note in notes]]


def test_a_note_labelled_as_one_is_a_footnote_wherever_it_stands():
    document = seg("第一段写得很完整。\n\n注：本文数据均来自台州市统计局。\n\n第二段也写得很完整。\n")
    assert [b.kind for b in document.blocks] == ["paragraph", "footnote", "paragraph"]


@both(("2023年，全市规上工业增加值达到1976亿元，同比增长6.8%。1976 年台州撤地设市时，产值不足 1 0 亿元。",
       "2023年，全市规上工业增加值达到1976亿元，同比增长6.8%。1976年台州撤地设市时，产值不足10亿元。"),
      ("2023年，再生能源發電量達到328億度，較上年增長12.5%。1976 年時，發電量不足 1 億度。",
       "2023年，再生能源發電量達到328億度，較上年增長12.5%。1976年時，發電量不足1億度。"))
def test_spaces_an_extractor_left_in_numbers_are_closed_up(case):
    damaged, repaired = case
    (block,) = seg(damaged + "\n").blocks
    assert block.text == repaired
    assert [f.code for f in block.flags] == ["spacing"]


def test_numbers_spaced_as_the_texts_style_are_left_alone():
    text = "2023 年，全市共有 5300 余家民营企业参与，同比增长 6.8%。\n\n于 1976 年撤地设市。\n"
    document = seg(text)
    assert [b.text for b in document.blocks] == text.strip().split("\n\n")
    assert all(b.flags == [] for b in document.blocks)


@both(("[图片]", "在国内广东、", "福建、湖北等10多个省份也有回收站点。"),
      ("[圖片]", "迪化街上的老店去年交由第三代經營，", "營業額成長了三成。"))
@pytest.mark.parametrize("reference", ["placeholder", "![](fig_001.png)", '<img src="page1_img2.jpg">'])
def test_image_references_are_images_and_the_paragraph_is_joined_across_them(case, reference):
    placeholder, first, second = case
    reference = placeholder if reference == "placeholder" else reference
    document = seg("\n\n".join(["第一段写得很完整。", first, reference, second]) + "\n")
    assert kinds(document) == [("paragraph", "第一段写得很完整。"), ("paragraph", first + second),
                               ("image", reference)]
    assert document.blocks[2].sentences == []  # kept as written, not translated


def test_a_paragraph_that_introduces_a_picture_is_not_joined_across_it():
    text = "第一段写得很完整。\n\n系统由三部分组成，如下图所示：\n\n[图片]\n\n图1 系统架构\n\n第一部分负责读取。\n"
    document = seg(text)
    assert [b.kind for b in document.blocks] == ["paragraph", "paragraph", "image", "caption", "paragraph"]


# -- the documents in tests/data/layout, as an editor would cut them ------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report_pdf.txt", "title subtitle byline heading paragraph image caption paragraph footnote footnote footnote "
                           "footnote caption caption heading paragraph heading footnote footnote footnote"),
        ("report_pdf_hant.txt", "title subtitle byline heading paragraph image caption paragraph footnote footnote "
                                "caption caption heading paragraph heading footnote footnote footnote"),
        ("wechat.md", "front_matter title subtitle byline image paragraph heading paragraph image caption caption "
                      "image caption caption heading paragraph footnote"),
        ("news_hant.md", "title subtitle byline byline image caption paragraph image caption caption heading heading "
                         "paragraph table"),
        ("docs.md", "front_matter title paragraph heading paragraph code heading paragraph heading table list_item "
                    "list_item list_item list_item list_item quote image paragraph paragraph"),
    ],
    ids=lambda value: value if value.endswith((".txt", ".md")) else "",
)
def test_realistic_documents_are_cut_as_an_editor_would(name, expected):
    document = load_document(LAYOUT / name)
    assert " ".join(b.kind for b in document.blocks) == expected
    assert document.dropped == []
    joined = [b for b in document.blocks if any(f.code == "joined" for f in b.flags)]
    assert len(joined) == (0 if name == "docs.md" else 1)


# -- clean sources come through unchanged ---------------------------------------------------


CLEAN_MARKDOWN = """\
# 台州：聚力“三条路径”

台州制造业家底厚实，拥有35个工业行业大类。
这是同一段的第二行。

## 加速项目集聚

- 新能源产业链。
- 新材料产业链。

> 在台州，你可以链接全球。

| 产业 | 产值 |
| --- | --- |
| 汽车 | 1200亿元 |

```python
print("不翻译")
```

最后一段。
"""


def test_a_clean_markdown_source_comes_through_unchanged():
    document = seg(CLEAN_MARKDOWN, "markdown")
    assert kinds(document) == [
        ("title", "台州：聚力“三条路径”"),
        ("paragraph", "台州制造业家底厚实，拥有35个工业行业大类。这是同一段的第二行。"),
        ("heading", "加速项目集聚"),
        ("list_item", "新能源产业链。"),
        ("list_item", "新材料产业链。"),
        ("quote", "在台州，你可以链接全球。"),
        ("table", "产业\t产值\n汽车\t1200亿元"),
        ("code", 'print("不翻译")'),
        ("paragraph", "最后一段。"),
    ]
    assert all(b.flags == [] for b in document.blocks) and document.dropped == []
