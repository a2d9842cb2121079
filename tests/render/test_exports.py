"""Output formats of `duizhao run`: the format table, JSON against its schema,
Markdown rendered by Python-Markdown and by GitHub's cmark-gfm, TMX parsed back."""

from __future__ import annotations

from xml.dom import XML_NAMESPACE

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import cmarkgfm
import jsonschema
import markdown
import pytest
import regex
from click.testing import CliRunner

import pipeline.translate.engines.settings
import pipeline.run
from conftest import DATA, REPO
from pipeline import __version__
from fakes import FakeEngine
from pipeline.translate.cache import TranslationCache
from pipeline.cli import cli
from pipeline.terms.glossary import load_glossaries
from pipeline.core.model import KINDS, Flag
from pipeline.review.qa import check_document
from pipeline.render.formats import (
    DEFAULT_FORMATS,
    FORMATS,
    FormatError,
    document_json,
    parse_formats,
    schema,
    write_formats,
)
from pipeline.render.markdown_export import bilingual_markdown, block_english, english_markdown, escape
from pipeline.render.tmx import document_tmx
from pipeline.translate.documents import translate_document
from pipeline.read import load_document

XML_LANG = f"{{{XML_NAMESPACE}}}lang"
SHIPPED_GLOSSARY = REPO / "glossary" / "taizhou.tsv"
#: Text that would change a Markdown or XML document's structure if it were not escaped.
INJECTION = """标题<script>alert(1)</script> & 台州

# 不是标题 *星号* _下划线_ | 竖线 | a&amp;b `代码` [链接](http://localhost/y) ![图](y.png) ~~删除~~ $x$ \\反斜杠 C#

1. 不是列表。

- 也不是列表。

> 不是引用。

---

=== 不是标题。

<div>不是HTML</div>

台州主城区 储伏龙摄
"""


def translated(source: Path, tmp_path: Path, glossary: Path | None = None):
    document = load_document(source)
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        translate_document(document, FakeEngine(), cache,
                           glossary=load_glossaries([glossary]) if glossary else None)
    check_document(document)
    return document


@pytest.fixture
def seed(seed_path, tmp_path):
    return translated(seed_path, tmp_path, SHIPPED_GLOSSARY)


@pytest.fixture
def injected(tmp_path):
    source = tmp_path / "inject.txt"
    source.write_text(INJECTION, encoding="utf-8")
    return translated(source, tmp_path)


@pytest.fixture
def traditional(tmp_path):
    source = tmp_path / "trad.txt"
    source.write_text("臺灣的經濟發展很快。我們認為這個問題很重要。\n\n這個國家的歷史很長。\n", encoding="utf-8")
    return translated(source, tmp_path)


# -- the format table -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("md,tmx",), ("md", "tmx")),
        (("md", "tmx", "md"), ("md", "tmx")),
        ((" JSON , en.md ", "html"), ("json", "en.md", "html")),
        (("md,,",), ("md",)),
        ((), ()),
    ],
    ids=["comma", "repeated", "spaces-and-case", "empty-items", "none"],
)
def test_parse_formats(values, expected):
    assert parse_formats(values) == expected


def test_unknown_format_names_the_known_ones():
    with pytest.raises(FormatError) as raised:
        parse_formats(["md,pdf"])
    assert "'pdf'" in str(raised.value)
    for name in FORMATS:
        assert name in str(raised.value)


def test_defaults_are_json_and_html():
    assert DEFAULT_FORMATS == ("json", "html")


def test_write_formats_writes_one_file_per_format(seed, tmp_path):
    out = tmp_path / "out"
    written = write_formats(seed, out, ["md", "en.md", "tmx", "json", "html"])
    assert [p.name for p in written] == ["taizhou.md", "taizhou.en.md", "taizhou.tmx", "taizhou.json", "taizhou.html"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)  # no temporary files left
    assert (out / "taizhou.json").read_text(encoding="utf-8") == document_json(seed)


def test_a_failing_exporter_writes_nothing(seed, tmp_path, monkeypatch):
    def broken(document):
        raise RuntimeError("exporter bug")

    monkeypatch.setattr("pipeline.render.tmx.document_tmx", broken)
    with pytest.raises(RuntimeError):
        write_formats(seed, tmp_path / "out", ["md", "tmx"])
    assert not (tmp_path / "out").exists()


def test_write_outputs_keeps_its_default(seed, tmp_path):
    written = pipeline.run.write_outputs(seed, tmp_path)
    assert [p.name for p in written] == ["taizhou.json", "taizhou.html"]


# -- JSON and its schema -------------------------------------------------------------------------


def test_seed_json_is_valid_against_the_schema(seed, validator, tmp_path):
    (path,) = write_formats(seed, tmp_path, ["json"])
    data = json.loads(path.read_text(encoding="utf-8"))
    validator.validate(data)
    assert data["schema_version"] == 1
    assert {"signature", "stats", "glossary"} <= data.keys()
    assert any(s.get("terms") for b in data["blocks"] for s in b["sentences"])


@pytest.mark.parametrize("name", ["taizhou.txt", "article.md"], ids=["text", "markdown"])
def test_segmented_json_is_valid_against_the_schema(name, validator):
    path = REPO / "sources" / name if name == "taizhou.txt" else DATA / name
    validator.validate(json.loads(document_json(load_document(path))))


def test_traditional_json_with_flags_is_valid(traditional, validator):
    traditional.blocks[0].sentences[0].flags.append(Flag("number-mismatch", "3 → 4", "error"))
    data = json.loads(document_json(traditional))
    validator.validate(data)
    assert data["script"] == "traditional" and "simplified" in data["blocks"][0]


def test_post_edited_json_is_valid(traditional, validator, tmp_path):
    from pipeline.review.edits import Edit, apply_edits

    first = traditional.sentences()[0]
    edits = {first.text: Edit(first.text, first.translation, "Taiwan's economy grows fast.", 2),
             "不在文中。": Edit("不在文中。", "", "Not in the text.", 3)}
    apply_edits(traditional, edits, tmp_path / "trad.edits.tsv")
    data = json.loads(document_json(traditional))
    validator.validate(data)
    assert data["blocks"][0]["sentences"][0]["edited"] is True and data["edits"]["applied"] == 1


def test_schema_kinds_are_the_models():
    assert schema()["$defs"]["block"]["properties"]["kind"]["enum"] == list(KINDS)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("blocks"),
        lambda d: d.update(schema_version=2),
        lambda d: d.update(unknown_field=1),
        lambda d: d["blocks"][0].update(kind="sidebar"),
        lambda d: d["blocks"][0]["sentences"][0].update(translation=None),
        lambda d: d["blocks"][0]["sentences"][0]["terms"][0].pop("entry"),
        lambda d: d["blocks"][0]["sentences"][0].update(flags=[{"code": "x", "severity": "fatal", "message": ""}]),
        lambda d: d["stats"].update(translated="many"),
    ],
    ids=["no-blocks", "version-2", "unknown-field", "unknown-kind", "null-translation", "term-without-entry",
         "unknown-severity", "stats-not-a-number"],
)
def test_schema_rejects_a_damaged_document(seed, validator, damage):
    data = json.loads(document_json(seed))
    damage(data)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)


# -- Markdown -----------------------------------------------------------------------------------


_LIST_TAGS = ("ul", "ol", "li")


class _Blocks(HTMLParser):
    """Top-level elements of an HTML fragment as (tag, text), and every tag seen."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self.tags: list[str] = []
        self.depth = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("br", "hr", "img") or tag in _LIST_TAGS:  # a list item's blocks count as top-level ones
            return
        if self.depth == 0:
            self.blocks.append((tag, ""))
        self.depth += 1

    def handle_endtag(self, tag):
        if tag not in ("br", "hr", "img") and tag not in _LIST_TAGS:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth > 0:
            tag, text = self.blocks[-1]
            self.blocks[-1] = (tag, text + data)
        elif data.strip():
            self.blocks.append(("#text", data))

    def handle_comment(self, data):
        self.tags.append("!--")


RENDERERS = {
    "python-markdown": markdown.markdown,
    "github": cmarkgfm.github_flavored_markdown_to_html,
}


def rendered(text: str, renderer: str) -> _Blocks:
    return _Blocks(RENDERERS[renderer](text))


def squash(text: str) -> str:
    return " ".join(text.split())


_ZH_TAG = {"title": "h1", "heading": "h2"}


def expected_bilingual(document):
    for block in document.blocks:
        yield _ZH_TAG.get(block.kind, "p"), squash(block.text)
        if block_english(block):
            yield "blockquote", squash(block_english(block))


@pytest.mark.parametrize("renderer", RENDERERS)
def test_bilingual_markdown_keeps_every_block_in_order(seed, renderer):
    html = rendered(bilingual_markdown(seed), renderer)
    assert [(tag, squash(text)) for tag, text in html.blocks] == list(expected_bilingual(seed))
    kinds = [b.kind for b in seed.blocks]
    # Headings stay headings: the Chinese ones, and the English ones inside their quotes.
    assert html.tags.count("h1") == 2 * kinds.count("title")
    assert html.tags.count("h2") == 2 * kinds.count("heading")
    assert html.tags.count("em") == 2 * kinds.count("caption")


@pytest.mark.parametrize("renderer", RENDERERS)
def test_english_markdown_keeps_headings_captions_and_byline(seed, renderer):
    html = rendered(english_markdown(seed), renderer)
    expected = [(_ZH_TAG.get(b.kind, "p"), squash(block_english(b))) for b in seed.blocks]
    assert [(tag, squash(text)) for tag, text in html.blocks] == expected
    assert html.tags.count("em") == [b.kind for b in seed.blocks].count("caption")
    assert not regex.search(r"\p{Han}", english_markdown(seed))  # the fake engine writes no Chinese


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("export", [bilingual_markdown, english_markdown], ids=["md", "en.md"])
def test_markdown_escapes_what_would_change_the_structure(injected, renderer, export):
    html_text = RENDERERS[renderer](export(injected))
    html = _Blocks(html_text)
    # Lines a text source numbers or bullets are list items (layout repair's enumerations):
    # the export's only lists are those blocks, their markers escaped inside them.
    allowed = {"h1", "h2", "p", "blockquote", "em", "ul", "li"}
    assert html_text.count("<li>") == [b.kind for b in injected.blocks].count("list_item") > 0
    if renderer == "github":
        allowed.add("a")  # GitHub links a bare http://localhost/y; the text stays as written
    assert set(html.tags) <= allowed, html_text
    assert "<script" not in html_text and "<div" not in html_text
    texts = [squash(text) for _, text in html.blocks]
    if export is bilingual_markdown:
        assert texts == [t for _, t in expected_bilingual(injected)]
        assert "标题<script>alert(1)</script> & 台州" in texts
        assert ("# 不是标题 *星号* _下划线_ | 竖线 | a&amp;b `代码` [链接](http://localhost/y) ![图](y.png) "
                "~~删除~~ $x$ \\反斜杠 C#") in texts
    else:
        assert texts == [squash(block_english(b)) for b in injected.blocks]
    assert [tag for tag, _ in html.blocks].count("h1") == 1


@pytest.mark.parametrize(
    ("line", "escaped"),
    [
        ("1. 列表", "1\\. 列表"),
        ("2023) 年", "2023\\) 年"),
        ("- a", "\\- a"),
        ("+ a", "\\+ a"),
        ("=== a", "&#61;== a"),
        ("# a", "\\# a"),
        ("> a", "&gt; a"),
        ("a*b*_c_", "a\\*b\\*\\_c\\_"),
        ("<b>&amp;", "&lt;b&gt;&amp;amp;"),
        ("a | b", "a &#124; b"),
        ("    indented", "indented"),
        ("2023年", "2023年"),
    ],
    ids=["numbered", "numbered-paren", "dash", "plus", "setext", "hash", "quote", "emphasis", "html", "pipe",
         "indent", "plain-number"],
)
def test_escape(line, escaped):
    assert escape(line) == escaped


# Markdown sources: the exports follow the source (tests/read/test_markdown_faithful.py).


def test_markdown_of_an_untranslated_document(tmp_path, seed_path):
    document = load_document(seed_path)
    assert english_markdown(document) == ""
    html = _Blocks(markdown.markdown(bilingual_markdown(document)))
    assert [tag for tag, _ in html.blocks].count("blockquote") == 0
    assert len(html.blocks) == len(document.blocks)


# -- TMX -----------------------------------------------------------------------------------------


NOW = datetime(2024, 3, 5, 6, 7, 8, tzinfo=timezone.utc)


def parse_tmx(text: str) -> ET.Element:
    return ET.fromstring(text.encode("utf-8"))


def test_tmx_header_and_one_unit_per_translated_sentence(seed):
    seed.blocks[4].sentences[1].translation = "  "  # an empty translation is no pair
    failed = seed.blocks[5].sentences[0]  # nor one the engine failed on (its English holds the source)
    failed.translation = failed.text
    failed.flags.append(Flag("engine-failed", "no translation: the model gave an empty answer", "error"))
    root = parse_tmx(document_tmx(seed, now=NOW))
    assert root.tag == "tmx" and root.get("version") == "1.4"
    header = root.find("header")
    assert header.attrib == {
        "creationtool": "duizhao", "creationtoolversion": __version__, "datatype": "plaintext",
        "segtype": "sentence", "adminlang": "en", "srclang": "zh-Hans", "o-tmf": "duizhao",
        "creationdate": "20240305T060708Z",
    }
    units = root.findall("body/tu")
    pairs = [(b, n, s) for b in seed.blocks if b.translatable
             for n, s in enumerate(b.sentences, 1) if (s.translation or "").strip() and s is not failed]
    assert len(units) == len(pairs) == len(seed.sentences()) - 2
    for tu, (block, number, sentence) in zip(units, pairs):
        assert tu.get("tuid") == f"{block.id}.{number}"
        assert [(p.get("type"), p.text) for p in tu.findall("prop")] == [("x-block", block.id), ("x-kind", block.kind)]
        assert [(v.get(XML_LANG), v.findtext("seg")) for v in tu.findall("tuv")] == [
            ("zh-Hans", sentence.text), ("en", sentence.translation)]


def test_tmx_of_a_traditional_source_and_flags_as_notes(traditional):
    traditional.blocks[0].sentences[0].flags.append(Flag("number-mismatch", "3 in the source, 4 in the English"))
    root = parse_tmx(document_tmx(traditional))
    assert root.find("header").get("srclang") == "zh-Hant"
    assert re.fullmatch(r"\d{8}T\d{6}Z", root.find("header").get("creationdate"))
    first = root.find("body/tu")
    assert [child.tag for child in first] == ["note", "prop", "prop", "tuv", "tuv"]  # TMX's order
    assert first.findtext("note") == "warning number-mismatch: 3 in the source, 4 in the English"
    assert {v.get(XML_LANG) for v in root.iter("tuv")} == {"zh-Hant", "en"}


def test_tmx_escapes_text_by_construction(injected):
    injected.blocks[1].sentences[0].translation = "a\x0bb \x00<script>&amp; ]]> \ufffd"
    text = document_tmx(injected)
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 台州" in text
    segs = [seg.text for seg in parse_tmx(text).iter("seg")]
    assert "标题<script>alert(1)</script> & 台州" in segs
    assert "ab <script>&amp; ]]> \ufffd" in segs  # characters XML cannot hold are dropped


# -- duizhao run --format --------------------------------------------------------------------------


@pytest.fixture
def fake_engine(monkeypatch):
    engines = []

    def fake_build_engine(settings, **kwargs):
        engines.append(FakeEngine())
        return engines[-1]

    monkeypatch.setattr(pipeline.translate.engines.settings, "build_engine", fake_build_engine)
    return engines


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_run_format_md_tmx(fake_engine, seed_path, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", seed_path, "-o", out, "--format", "md,tmx", "--cache", tmp_path / "c.sqlite3",
                    "-g", SHIPPED_GLOSSARY)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["taizhou.md", "taizhou.tmx"]
    assert result.output.rstrip().endswith(f"{out / 'taizhou.md'}, {out / 'taizhou.tmx'}")
    units = parse_tmx((out / "taizhou.tmx").read_text(encoding="utf-8")).findall("body/tu")
    assert len(units) == 130
    assert (out / "taizhou.md").read_text(encoding="utf-8").startswith("# 台州:聚力“三条路径” 奋进“三高三新”\n\n> # Taizhou")


def test_run_format_repeated_and_default(fake_engine, seed_path, tmp_path):
    cache = tmp_path / "c.sqlite3"
    result = invoke("run", seed_path, "-o", tmp_path / "a", "-f", "en.md", "--format", "json", "--cache", cache)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        ".duizhao-library.json", "index.html", "taizhou.en.md", "taizhou.json"]
    result = invoke("run", seed_path, "-o", tmp_path / "b", "--cache", cache)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        ".duizhao-library.json", "index.html", "taizhou.html", "taizhou.json"]


def test_run_refuses_an_unknown_format_before_translating(fake_engine, seed_path, tmp_path):
    result = invoke("run", seed_path, "-o", tmp_path / "out", "--format", "md,odt", "--cache", tmp_path / "c.sqlite3")
    assert result.exit_code == 2
    assert "unknown output format 'odt'; choose from json, html, md, en.md, tmx, docx" in result.output
    assert not fake_engine and not (tmp_path / "out").exists()


def test_run_pipeline_refuses_an_unknown_format_before_reading(tmp_path):
    with pytest.raises(FormatError):
        pipeline.run.run(tmp_path / "missing.txt", tmp_path, FakeEngine, None, formats=["pdf"])


def test_run_help_lists_every_format():
    result = invoke("run", "--help")
    help_text = " ".join(result.output.split())
    for name in FORMATS:
        assert re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", help_text), name


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["--watch", "--format", "md,tmx"], ("md", "tmx")), (["--serve", "--format", "md"], ("md", "html"))],
    ids=["watch", "serve-adds-the-reader"],
)
def test_run_format_is_passed_to_watch_mode(seed_path, tmp_path, monkeypatch, args, expected):
    import pipeline.serve.watch

    seen = {}
    monkeypatch.setattr(pipeline.serve.watch, "watch", lambda *a, **kw: seen.update(kw))
    result = invoke("run", seed_path, "-o", tmp_path / "out", "--port", "0", *args)
    assert result.exit_code == 0, result.output
    assert tuple(seen["formats"]) == expected


def test_document_json_has_one_line_per_block_and_reads_back(seed_path):
    """A diff of two runs' JSON shows the blocks that changed, line by line."""
    from pipeline.render.formats import document_json
    from pipeline.read import load_document

    document = load_document(seed_path)
    text = document_json(document)
    assert json.loads(text) == document.to_json()
    block_lines = [line for line in text.splitlines() if line.startswith('  {"id": ')]
    assert len(block_lines) == len(document.blocks)
    assert all(json.loads(line.rstrip(",")) == block.to_json() for line, block in zip(block_lines, document.blocks))
