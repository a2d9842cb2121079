"""Reading Markdown sources (markdown-it-py): exact lines, inline marks with their
Markdown as written, source spans, and the invariant that no text is lost."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA
from pipeline.read.markdown import markdown_pieces
from pipeline.read import load_document
from pipeline.read.layout import segment
from pipeline.read.source import SourceText, detect_script

LAYOUT = DATA / "layout"
MARKDOWN_FILES = sorted(LAYOUT.glob("*.md")) + [DATA / "article.md"]


def squash(text: str) -> str:
    return regex.sub(r"\s+", "", text)


def is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(char in it for char in needle)


def check_blocks_come_from_their_lines(source: str, document) -> None:
    """Every block's text (and every dropped one's) is read, in order, from the
    source lines it names: markup between its characters is all that was left out."""
    lines = source.split("\n")
    for numbers, text in [(b.lines, b.text) for b in document.blocks] + [(d.lines, d.text) for d in document.dropped]:
        assert numbers == sorted(numbers) and all(1 <= n <= len(lines) for n in numbers)
        assert all(lines[n - 1].strip() for n in numbers), numbers
        assert is_subsequence(squash(text), squash("".join(lines[n - 1] for n in numbers))), (numbers, text)


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: p.name)
def test_every_block_comes_from_the_lines_it_names(path):
    check_blocks_come_from_their_lines(path.read_text(encoding="utf-8"), load_document(path))


def pieces(text: str):
    return markdown_pieces(text)


def marks(piece):
    return [(m.kind, piece.text[m.start:m.end], m.markup, m.close) for m in piece.marks]


def test_inline_marks_keep_their_markdown_exactly():
    text = ('正文有**粗体**、_斜体_、~~删除~~、`a  b`、``x`y``、[链接](<http://x.cn/中 文> "标题")、'
            '[参考][ref]、<https://a.cn/b>、<span>HTML</span>、![图](a.png)和脚注[^1]。\n\n[ref]: http://r.cn\n')
    (piece,) = pieces(text)
    assert piece.text == "正文有粗体、斜体、删除、a  b、x`y、链接、参考、https://a.cn/b、HTML、和脚注[1]。"
    assert marks(piece) == [
        ("strong", "粗体", "**", "**"),
        ("em", "斜体", "_", "_"),
        ("strike", "删除", "~~", "~~"),
        ("code", "a  b", "`a  b`", ""),
        ("code", "x`y", "``x`y``", ""),
        ("link", "链接", "[", '](<http://x.cn/中 文> "标题")'),
        ("link", "参考", "[", "][ref]"),
        ("url", "https://a.cn/b", "<https://a.cn/b>", ""),
        ("html", "", "<span>", ""),
        ("html", "", "</span>", ""),
        ("image", "", "![图](a.png)", ""),
        ("note", "[1]", "[^1]", ""),
    ]
    (start, end), = piece.spans
    assert text[start:end] == text.split("\n")[0]


def test_escapes_and_entities_are_read_as_text_and_spans_cover_them():
    text = "> 价格 \\*不含税\\* &amp; 运费，\n> 另计。\n"
    (piece,) = [p for p in pieces(text) if p.text.strip()][:1]
    assert piece.text == "价格 *不含税* & 运费，"
    assert piece.kind == "quote" and piece.lines == [1]
    (start, end), = piece.spans
    assert text[start:end] == "价格 \\*不含税\\* &amp; 运费，"


def test_a_bold_phrase_wrapped_over_two_lines_keeps_them_together():
    (first, second) = pieces("这是**跨行的\n粗体**文字，\n另起一行。\n")
    assert first.text == "这是跨行的粗体文字，" and first.lines == [1, 2]
    assert marks(first) == [("strong", "跨行的粗体", "**", "**")]
    assert second.continues and second.text == "另起一行。" and second.lines == [3]


def test_table_cells_have_their_own_spans_and_marks():
    text = "| 名称 | 说明 |\n| --- | --- |\n| **台州** | `a\\|b` 港口 |\n"
    (piece,) = pieces(text)
    cells = [cell for row in piece.table.rows for cell in row]
    assert [c.text for c in cells] == ["名称", "说明", "台州", "a|b 港口"]
    assert [text[c.spans[0][0]:c.spans[0][1]] for c in cells] == ["名称", "说明", "**台州**", "`a\\|b` 港口"]
    assert [(m.kind, m.markup) for m in cells[3].marks] == [("code", "`a\\|b`")]


def test_headings_keep_level_anchor_and_span_without_the_attributes():
    text = "### 安装步骤 {#install .big}\n\n标题二\n---\n"
    first, second = pieces(text)
    assert (first.text, first.level, first.anchor) == ("安装步骤", 3, "install")
    (start, end), = first.spans
    assert text[start:end] == "安装步骤"
    assert (second.text, second.level, second.lines) == ("标题二", 2, [3, 4])


def test_spans_of_list_items_and_nested_quotes_point_into_the_source():
    text = "1. 第一项，\n   续写。\n   > 引用里的**话**。\n"
    for piece in pieces(text):
        (start, end), = piece.spans
        assert squash(text[start:end]).replace(">", "") .replace("*", "") == squash(piece.text)


# -- the invariant: nothing is lost, nothing invented, for any document --------------------

_HAN = "台州市发展经济产业集群民营企业服务改革城市港口"
_MIDDLE = st.text(alphabet=_HAN + "，。、“”！？abc123", max_size=10)
_WORD = st.builds(str.__add__, st.sampled_from(_HAN), _MIDDLE)
#: Emphasis that closes after punctuation and before a Han character is no emphasis
#: in CommonMark: phrases inside marks end with a Han character.
_PHRASE = st.builds(lambda a, b, c: a + b + c, st.sampled_from(_HAN), _MIDDLE, st.sampled_from(_HAN))


@st.composite
def inline(draw):
    """Inline content: (Markdown, the text characters it carries)."""
    parts, content = [], []
    for _ in range(draw(st.integers(1, 4))):
        form = draw(st.sampled_from(["plain", "strong", "em", "code", "link", "image", "note", "url"]))
        word = draw(_WORD if form == "plain" else _PHRASE)
        if form == "plain":
            parts.append(word)
            content.append(word)
        elif form == "strong":
            parts.append(f"**{word}**")
            content.append(word)
        elif form == "em":
            parts.append(f"*{word}*")
            content.append(word)
        elif form == "code":
            code = draw(st.text(alphabet="abcxyz_=1 ", min_size=1, max_size=8)).strip() or "x"
            parts.append(f"`{code}`")
            content.append(code)
        elif form == "link":
            parts.append(f"[{word}](http://x.cn/a)")
            content.append(word)
        elif form == "image":
            parts.append(f"![{word}](a.png)")  # an image's alt is kept with its markup
        elif form == "note":
            parts.append("[^1]")
            content.append("1")
        else:
            parts.append(" <http://x.cn/p> ")
            content.append("http://x.cn/p")
        parts.append(draw(st.sampled_from(["的", "。", "，"])))  # CommonMark reads **a****b** otherwise
        content.append(parts[-1])
    return "".join(parts).strip(), "".join(content)


@st.composite
def markdown_document(draw):
    blocks, content = [], []
    if draw(st.booleans()):
        blocks.append("---\ntitle: 测试\n---")
    for _ in range(draw(st.integers(1, 8))):
        form = draw(st.sampled_from(["paragraph", "lines", "heading", "list", "quote", "table", "code", "html",
                                     "footnote", "image", "bold"]))
        text, chars = draw(inline())
        if form == "paragraph":
            blocks.append(text)
            content.append(chars)
        elif form == "lines":
            more, more_chars = draw(inline())
            credit = draw(st.sampled_from(["王五 摄", "图为台州湾。", "台州府城", "继续写"]))
            blocks.append(f"{text}\n{credit}\n{more}")
            content += [chars, credit, more_chars]
        elif form == "heading":
            anchor = draw(st.sampled_from(["", " {#a}", " {#b .c}"]))
            blocks.append("#" * draw(st.integers(1, 4)) + " " + text + anchor)
            content.append(chars)
        elif form == "list":
            more, more_chars = draw(inline())
            marker = draw(st.sampled_from(["-", "1."]))
            blocks.append(f"{marker} {text}\n{marker} {more}")
            content += [chars, more_chars]
        elif form == "quote":
            blocks.append(f"> {text}")
            content.append(chars)
        elif form == "table":
            more, more_chars = draw(inline())
            cell = draw(_WORD)
            blocks.append(f"| {cell} | 说明 |\n| --- | --- |\n| {text} | {more} |")
            content += [cell, "说明", chars, more_chars]
        elif form == "code":
            blocks.append("```python\nprint(1)\n```")
        elif form == "html":
            blocks.append(f'<img src="a.jpg">\n{draw(_WORD)}')
            content.append(blocks[-1].split("\n")[1])
        elif form == "footnote":
            blocks.append(f"[^1]: {text}")
            content.append(chars)
        elif form == "image":
            blocks.append("![](a.png)")
        else:
            word = draw(_PHRASE)
            blocks.append(f"**{word}**")
            content.append(word)
    return "\n\n".join(blocks) + "\n", "".join(content)


VERBATIM = ("code", "front_matter", "image")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_document())
def test_no_text_of_a_markdown_source_is_lost_or_invented(generated):
    text, content = generated
    document = segment(SourceText(Path("doc.md"), text, "utf-8", detect_script(text), "markdown"))
    check_blocks_come_from_their_lines(text, document)
    kept = Counter(squash("".join(b.text for b in document.blocks if b.kind not in VERBATIM)
                          + "".join(d.text for d in document.dropped)))
    verbatim = Counter(squash("".join(b.text for b in document.blocks if b.kind in VERBATIM)))
    expected = Counter(squash(content))
    # Every text character is in a block or dropped (code and front matter are verbatim).
    assert not expected - kept - verbatim, (expected - kept - verbatim)
    # Nothing is invented but a footnote reference's brackets ([^1] reads [1]).
    assert set(kept - expected) <= {"[", "]"}, kept - expected
    # Every sentence is a piece of its block's text.
    for block in document.blocks:
        assert all(s.text in block.text for s in block.sentences)
