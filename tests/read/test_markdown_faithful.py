"""Markdown exports of a Markdown source follow the source: en.md is the same
document in English (same blocks, levels, ids, fences, tables, containers, link and
image targets), and the bilingual .md is the source with each block's English
quoted under it; checked with markdown-it and with GitHub's cmark-gfm."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
import regex

from conftest import DATA
from fakes import FakeEngine
from pipeline.translate.cache import TranslationCache
from pipeline.translate.documents import translate_document
from pipeline.read import load_document
from pipeline.render.markdown_export import bilingual_markdown, english_markdown

LAYOUT = DATA / "layout"
CLEAN = ["docs.md", "docs_reference.md"]


def parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.container import container_plugin
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(front_matter_plugin)
    md.use(footnote_plugin, inline=False, move_to_end=False, always_match_refs=True)
    return md.use(container_plugin, name="any", validate=lambda params, *rest: bool(params.strip()))


def structure(text: str) -> list[tuple]:
    """Block tokens: type, tag (a heading's level), markup (list and fence markers),
    a container's type word and a fence's info string."""
    out = []
    for token in parser().parse(text):
        if token.type == "inline":
            continue
        info = token.info.split()[0] if token.type.startswith("container") and token.info.strip() else token.info
        out.append((token.type, token.tag, token.markup, info if token.type in ("fence",) or "container" in token.type else ""))
    return out


def verbatim(text: str) -> list[str]:
    """Code (fenced and indented), front matter, link targets and image sources, in order."""
    out = []
    for token in parser().parse(text):
        if token.type in ("fence", "code_block", "front_matter"):
            out.append(token.content)
        for child in token.children or []:
            if child.type == "link_open":
                out.append(child.attrs["href"])
            elif child.type == "image":
                out.append(child.attrs["src"])
            elif child.type == "code_inline":
                out.append(child.content)
    return out


def github_tags(text: str) -> list[str]:
    """Block-level tags of GitHub's rendering, footnotes on (front matter left out:
    GitHub shows it as a table)."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_FOOTNOTES)
    return re.findall(r"<(h[1-6]|p|ul|ol|li|blockquote|pre|table|tr|th|td|hr)\b", html)


def translated(path: Path, tmp_path: Path, engine=None):
    document = load_document(path)
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        translate_document(document, engine or FakeEngine(), cache)
    return document


@pytest.mark.parametrize("name", [*CLEAN, "article"], ids=lambda n: n)
def test_english_markdown_is_the_same_document_in_english(name, tmp_path):
    path = DATA / "article.md" if name == "article" else LAYOUT / name
    source = path.read_text(encoding="utf-8")
    english = english_markdown(translated(path, tmp_path))
    assert structure(english) == structure(source)
    assert github_tags(english) == github_tags(source)
    assert verbatim(english) == verbatim(source)
    # Heading ids stay on their headings.
    assert re.findall(r"^#+ .*?(\{#[^}]+\})$", english, re.M) == re.findall(r"^#+ .*?(\{#[^}]+\})$", source, re.M)
    # The fake engine writes no Chinese: what is left is code, front matter, targets and alt texts.
    outside = re.sub(r"\A---\n.*?\n---\n|```.*?```|~~~.*?~~~|`[^`]*`|!\[[^\]]*\]\([^)]*\)|\]\([^)]*\)|^ {4}.*$"
                     r"|^\[[^\]]+\]: .*$", "", english, flags=re.S | re.M)
    assert not regex.search(r"\p{Han}", outside), outside


def test_code_fences_come_through_byte_for_byte(tmp_path):
    source = (LAYOUT / "docs_reference.md").read_text(encoding="utf-8")
    english = english_markdown(translated(LAYOUT / "docs_reference.md", tmp_path))
    for fence in re.findall(r"^~~~.*?^~~~$|^```.*?^```$", source, re.S | re.M):
        assert fence in english


@pytest.mark.parametrize("name", ["wechat.md", "news_hant.md"])
def test_a_joined_paragraph_is_written_whole_where_it_starts(name, tmp_path):
    path = LAYOUT / name
    source = path.read_text(encoding="utf-8")
    document = translated(path, tmp_path)
    english = english_markdown(document)
    (joined,) = [b for b in document.blocks if any(f.code == "joined" for f in b.flags)]
    # The second half's paragraph is gone; every other block is where it was.
    changes = [op for op in difflib.SequenceMatcher(a=structure(source), b=structure(english), autojunk=False).get_opcodes()
               if op[0] != "equal"]
    assert [(op[0], structure(source)[op[1]:op[2]]) for op in changes] == [
        ("delete", [("paragraph_open", "p", "", ""), ("paragraph_close", "p", "", "")])]
    assert sorted(verbatim(english)) == sorted(verbatim(source))  # the joined paragraph's link moved up with it
    second_half_line = source.split("\n")[joined.lines[-1] - 1]
    assert second_half_line not in english


def test_the_bilingual_markdown_is_the_source_with_the_english_quoted_under_each_block(tmp_path):
    path = LAYOUT / "docs.md"
    source = path.read_text(encoding="utf-8")
    document = translated(path, tmp_path)
    bilingual = bilingual_markdown(document)
    opcodes = difflib.SequenceMatcher(a=structure(source), b=structure(bilingual), autojunk=False).get_opcodes()
    inserted = [structure(bilingual)[j1:j2] for op, _, _, j1, j2 in opcodes if op != "equal"]
    assert all(op in ("equal", "insert") for op, *_ in opcodes)
    # Every insertion is a block quote holding the English of one block.
    assert all(chunk[0][0] == "blockquote_open" and chunk[-1][0] == "blockquote_close" for chunk in inserted)
    quoted = [b for b in document.blocks if b.translatable and b.table is None and not b.prefix.startswith(":")
              and not source[source.rfind("\n", 0, b.spans[0][0]) + 1:].lstrip().startswith(":::")]
    assert sum(chunk.count(("blockquote_open", "blockquote", ">", "")) for chunk in inserted) == len(quoted)
    # Every line of the source is still there (the English goes between them), but
    # table rows and a container's title line, which hold their English.
    kept = [line for line in source.split("\n") if not line.startswith(("|", "::: tip"))]
    assert all(line in bilingual.split("\n") for line in kept)
    assert "::: tip 提示 / word" in bilingual and "| 命令<br>word | 作用<br>word |" in bilingual
    later = iter(verbatim(bilingual))  # the source's code and targets, in order (the English repeats some)
    assert all(item in later for item in verbatim(source))


class HostileEngine(FakeEngine):
    """English that would break Markdown if it were not escaped."""

    def mangle(self, text):
        return text + " *x* _y_ <script>alert(1)</script> | # 1. [z](http://localhost/)"


@pytest.mark.parametrize("export", [english_markdown, bilingual_markdown], ids=["en.md", "md"])
def test_english_text_is_escaped_in_a_markdown_source_export(export, tmp_path):
    path = LAYOUT / "docs.md"
    source = path.read_text(encoding="utf-8")
    out = export(translated(path, tmp_path, HostileEngine()))
    assert "<script>" not in out and "&lt;script&gt;" in out
    html = cmarkgfm.github_flavored_markdown_to_html(out)
    assert "<script" not in html and ">z</a>" not in html  # GitHub links the bare URL, never the text
    if export is english_markdown:
        assert structure(out) == structure(source)


def test_dropped_duplicates_are_left_out_of_both_exports(tmp_path):
    repeated = "“在台州，你可以链接全球。”站在台州玉环大麦屿港，面对望不到边际的集装箱。"
    path = tmp_path / "dup.md"
    path.write_text(f"# 标题\n\n{repeated}\n\n- 列表项。\n- {repeated}\n\n最后一段。\n", encoding="utf-8")
    document = translated(path, tmp_path)
    assert [d.lines for d in document.dropped] == [[6]]
    for export in (english_markdown, bilingual_markdown):
        out = export(document)
        assert structure(out).count(("list_item_open", "li", "-", "")) == 1
        assert "\n- \n" not in out and not out.rstrip().endswith("-")


@pytest.mark.parametrize("export", [english_markdown, bilingual_markdown], ids=["en.md", "md"])
def test_code_after_a_list_stays_out_of_the_list(export, tmp_path):
    source = tmp_path / "list.md"
    source.write_text("# 标题\n\n- 项目一。\n- 项目二。\n\n```\nkeep(  1  )\n```\n", encoding="utf-8")
    out = export(translated(source, tmp_path))
    assert out.endswith("```\nkeep(  1  )\n```\n")
    html = cmarkgfm.github_flavored_markdown_to_html(out)
    assert html.count("<li>") == 2 and html.rstrip().endswith("<pre><code>keep(  1  )\n</code></pre>")


def test_front_matter_is_kept_byte_for_byte_unless_its_values_are_asked_for(tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    import pipeline.translate.engines.settings
    from pipeline.cli import cli

    class Quoting(FakeEngine):
        def mangle(self, text):
            return text + ' "q" \\ it\'s: #x'

    monkeypatch.setattr(pipeline.translate.engines.settings, "build_engine", lambda settings, **kwargs: Quoting())
    source = LAYOUT / "docs.md"
    text = source.read_text(encoding="utf-8")
    front = text[: text.index("\n---\n", 4) + 5]
    for keys, out in (("", tmp_path / "plain"), ("title,description", tmp_path / "asked")):
        args = ["run", str(source), "-o", str(out), "--cache", str(tmp_path / "c.sqlite3"), "--format", "en.md,md"]
        result = CliRunner().invoke(cli, args + (["--front-matter", keys] if keys else []), catch_exceptions=False)
        assert result.exit_code == 0, result.output
    plain = (tmp_path / "plain" / "docs.en.md").read_text(encoding="utf-8")
    asked = (tmp_path / "asked" / "docs.en.md").read_text(encoding="utf-8")
    assert plain.startswith(front)
    assert (tmp_path / "asked" / "docs.md").read_text(encoding="utf-8").startswith(front)  # bilingual: as written
    lines = asked.split("\n")
    assert lines[0] == "---" and lines[3:5] == ["outline: deep", "---"]
    for line, key in zip(lines[1:3], ("title", "description")):
        name, _, value = line.partition(": ")
        assert name == key and value.startswith('"')
        english = json.loads(value)  # a YAML double-quoted scalar with these escapes is JSON
        assert english.endswith('"q" \\ it\'s: #x') and not regex.search(r"\p{Han}", english)
    assert structure(asked) == structure(text)
    assert asked.split("\n---\n", 1)[1] == plain.split("\n---\n", 1)[1]  # the rest is the same
