"""The reader page without a browser: escaping, self-containment, sentence pairs,
terms, flags, footer, reading aids and size. Browser behaviour is in
test_reader_browser.py, which builds its pages with the helpers here."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.translate.cache import TranslationCache
from pipeline.read.dictionary import cedict_entries, split_words, tone_marks
from pipeline.core.model import Block, Document, Flag, Sentence, TermMatch
from pipeline.render.assets import script_json
from pipeline.render.reader import render
from pipeline.translate.documents import translate_document
from pipeline.read import load_document

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "sources" / "taizhou.txt"
SCRIPT_TAG = '<script>alert(1)</script>'
IMG_TAG = '"><img src=x onerror=alert(2)>'


# ---- documents to render ----------------------------------------------------------------


class PlausibleEngine:
    """Stands in for a model: English-looking text from a small lexicon, glossary
    placeholders (⟦T0⟧…) kept, numbers kept, deterministic."""

    LEXICON = {
        "台州": "Taizhou", "浙江": "Zhejiang", "中国": "China", "全国": "the whole country", "世界": "the world",
        "集装箱": "containers", "港口": "ports", "码头": "wharf", "项目": "projects", "产业": "industry",
        "制造业": "manufacturing", "企业": "enterprises", "发展": "development", "创新": "innovation",
        "经济": "economy", "城市": "city", "市场": "market", "投资": "investment", "亿元": "hundred million yuan",
        "万": "ten thousand", "年": "year", "国际": "international", "新": "new", "高": "high", "全": "all",
        "文化": "culture", "体育": "sports", "服务": "services", "改革": "reform", "建设": "construction",
        "民营": "private", "政府": "government", "人才": "talent", "数字": "digital", "海": "sea", "山": "mountains",
    }
    FILLERS = ("the", "region", "continues", "to", "build", "strong", "local", "growth", "and", "people")

    def signature(self) -> str:
        return json.dumps({"engine": "fake", "package": "translate-zh_en-plausible", "package_version": "0.1",
                           "options": {"beam_size": 2}}, sort_keys=True, separators=(",", ":"))

    def translate(self, sentences, progress=None):
        return [self.english(s) for s in sentences]

    def english(self, text: str) -> str:
        words: list[str] = []
        for piece in regex.findall(r"⟦T\d+⟧|\p{Han}+|\d[\d.,%]*|[^\p{Han}\d⟦]+", text):
            if piece.startswith("⟦") or piece[0].isdigit():
                words.append(piece)
            elif regex.match(r"\p{Han}", piece):
                words.extend(self._han(piece))
        sentence = " ".join(words) or "Untitled"
        return sentence[0].upper() + sentence[1:] + ("?" if text.endswith(("？", "?")) else ".")

    def _han(self, run: str) -> list[str]:
        out, at = [], 0
        while at < len(run):
            for size in (3, 2, 1):
                if run[at:at + size] in self.LEXICON:
                    out.append(self.LEXICON[run[at:at + size]])
                    at += size
                    break
            else:
                out.append(self.FILLERS[ord(run[at]) % len(self.FILLERS)])
                at += 2
        return out


def seed_document(tmp_path: Path) -> Document:
    """The seed article, translated by :class:`PlausibleEngine` with the shipped
    glossary, then checked: terms, flags and glossary files as in a real run."""
    from pipeline.terms.glossary import default_files, load_glossaries
    from pipeline.review.qa import check_document

    document = load_document(SEED)
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        translate_document(document, PlausibleEngine(), cache, glossary=load_glossaries(default_files()))
    check_document(document)
    return document


def long_document(tmp_path: Path, times: int = 10) -> Document:
    """:func:`seed_document` ``times`` over, one after the other (block ids go on:
    p68 is the first block of the second copy): the 10× page of the benchmarks."""
    import copy

    seed = seed_document(tmp_path)
    blocks = []
    for n in range(times):
        for block in seed.blocks:
            clone = copy.deepcopy(block)
            clone.id = f"p{len(blocks) + 1}"
            blocks.append(clone)
    seed.blocks = blocks
    return seed


#: Text no line can break inside, as sources and translations really have it.
LONG_URL = "https://www.zjtz.gov.cn/art/2023/10/17/art_1229194563_59087431_index_and_the_rest_of_a_very_long_path.html"
LONG_NUMBER = "3316021987052345678901234567890123456789"
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2
LONG_NAME = "Acipenser-dabryanus-Dumeril-Sinensis-Yangtze-Sturgeon-Taizhouensis"


def unbreakable_document() -> Document:
    """Every kind of block with a long URL, digit run, English word and Latin name
    in both columns, in terms, flags and code: nothing of it may be cut off."""
    long_bits = f"{LONG_URL} {LONG_NUMBER} {LONG_NAME}"
    blocks = []
    for n, kind in enumerate(("title", "byline", "heading", "paragraph", "caption", "quote", "list_item"), 1):
        zh = f"台州网址{LONG_URL}编号{LONG_NUMBER}，学名{LONG_NAME}。"
        sentence = Sentence(zh, zh, translation=f"Taizhou site {long_bits}, {LONG_WORD}.")
        sentence.terms = [term(sentence, "台州", "Taizhou")]
        sentence.flags = [Flag("number-mismatch", f"number(s) not found in the English: {LONG_NUMBER}")]
        blocks.append(Block(f"p{n}", kind, zh, zh, [n], [sentence], [Flag("stray-latin", f"Latin word(s): {LONG_NAME}")]))
    code = f"curl {LONG_URL}?id={LONG_NUMBER}"
    blocks.append(Block(f"p{len(blocks) + 1}", "code", code, code, [20]))
    return Document(source=f"sources/{LONG_WORD}.txt", encoding="utf-8", script="simplified", blocks=blocks,
                    signature=json.dumps({"engine": "fake", "package": LONG_WORD}))


def term(sentence: Sentence, zh: str, en: str, *, note: str = "", entry: str = "glossary/test.tsv:2") -> TermMatch:
    start = sentence.text.index(zh)
    return TermMatch(zh=zh, en=en, start=start, end=start + len(zh), entry=entry, note=note)


def hostile_document() -> Document:
    """Every kind of text the page shows carries markup that must stay text."""
    zh = f"注意{SCRIPT_TAG}安全。"
    first = Sentence(zh, zh, translation=f"Careful {SCRIPT_TAG} safety.")
    second = Sentence(f"图片{IMG_TAG}台州。", f"图片{IMG_TAG}台州。", translation=f"Picture {IMG_TAG} Taizhou.")
    first.flags = [Flag("untranslated", f"message {IMG_TAG}")]
    second.terms = [term(second, "台州", "Taizhou", note=f"A **city** {SCRIPT_TAG} [link](http://localhost/x)",
                         entry=f"glossary/{IMG_TAG}.tsv:3")]
    blocks = [
        Block("p1", "title", f"标题{SCRIPT_TAG}", f"标题{SCRIPT_TAG}", [1],
              [Sentence(f"标题{SCRIPT_TAG}", f"标题{SCRIPT_TAG}", translation=f"Title {SCRIPT_TAG}")]),
        Block("p2", "paragraph", first.text + second.text, first.text + second.text, [3], [first, second],
              [Flag("stray-latin", f"block {SCRIPT_TAG}")]),
    ]
    document = Document(source=f"sources/evil{IMG_TAG}.txt", encoding="utf-8", script="simplified", blocks=blocks)
    document.signature = json.dumps({"engine": f"e{SCRIPT_TAG}", "package": IMG_TAG, "package_version": "1"})
    document.stats = {"sentences": 3, "translated": 3, "cached": 0}
    document.glossary = [{"file": f"glossary/{IMG_TAG}.tsv", "sha256": "ab" * 32}]
    return document


def small_document() -> Document:
    """Two paragraphs, terms in both, a sentence flag, a block flag, one untranslated sentence."""
    a = Sentence("台州集装箱码头很忙。", "台州集装箱码头很忙。", translation="The Taizhou container wharf is busy.")
    b = Sentence("台州发展很快。", "台州发展很快。", translation="Taizhou grows fast; taizhou again.")
    c = Sentence("没有翻译。", "没有翻译。")
    a.terms = [term(a, "台州", "Taizhou", note="City in *Zhejiang*."), term(a, "集装箱", "container", entry="g.tsv:5")]
    b.terms = [term(b, "台州", "Taizhou", note="City in *Zhejiang*.")]
    b.flags = [Flag("number-mismatch", "the English has a number the Chinese has not", "error")]
    blocks = [
        Block("p1", "title", "台州", "台州", [1], [Sentence("台州", "台州", translation="Taizhou")]),
        Block("p2", "paragraph", a.text + b.text, a.text + b.text, [3], [a, b], [Flag("joined", "joined from lines 3, 5", "info")]),
        Block("p3", "caption", c.text, c.text, [5], [c]),
    ]
    return Document(source="sources/small.txt", encoding="gb18030", script="simplified", blocks=blocks,
                    signature='{"engine":"argos","package":"translate-zh_en-1_9","package_version":"1.9","options":{"beam_size":2}}',
                    stats={"sentences": 4, "translated": 2, "cached": 1})


@pytest.fixture(scope="module")
def seed_html(tmp_path_factory) -> str:
    return render(seed_document(tmp_path_factory.mktemp("seed")))


# ---- reading the page ----------------------------------------------------------------


class _Page(HTMLParser):
    """Collects sentence ids per column, tags and attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.columns: dict[str, list[str]] = {"zh": [], "en": []}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._cell: list[str | None] = []
        self._void = {"meta", "br", "img", "input", "link", "hr"}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in self._void:
            return
        classes = (attributes.get("class") or "").split()
        column = "zh" if "zh" in classes and "cell" in classes else "en" if "en" in classes and "cell" in classes else None
        self._cell.append(column or (self._cell[-1] if self._cell else None))
        if "s" in classes and self._cell[-1]:
            self.columns[self._cell[-1]].append(attributes["data-s"])

    def handle_endtag(self, tag):
        if tag not in self._void and self._cell:
            self._cell.pop()


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def page_data(html: str) -> dict:
    """The page's JSON: ``tokens`` and the rest, with the dictionary as ``dict``."""
    data = {}
    for name, text in re.findall(r'<script type="application/json" id="reader-(data|dict)">(.*?)</script>', html, re.S):
        data.update(json.loads(text) if name == "data" else {"dict": json.loads(text)})
    return data


# ---- escaping and self-containment -------------------------------------------------------


def test_every_text_is_escaped():
    html = render(hostile_document())
    assert "<script>alert" not in html
    assert "<img" not in html and "onerror=alert(2)>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    scripts = [a for tag, a in parse(html).tags if tag == "script"]
    assert scripts == [{"type": "application/json", "id": "reader-data"}, {"type": "application/json", "id": "reader-dict"}, {}]


def test_script_json_cannot_close_its_element():
    data = {"text": "</script><!-- & -->", "n": 1}
    text = script_json(data)
    assert not set("<>&") & set(text)
    assert json.loads(text) == data


def test_glossary_note_markdown_is_rendered_without_html_or_links():
    html = render(hostile_document())
    assert "A <strong>city</strong> &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<span>link</span> (http://localhost/x)" in html


def test_page_is_self_contained(seed_html):
    assert not re.search(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", seed_html, re.I)
    assert not re.search(r"<(?:link|iframe|object|embed|img|video|audio|source)\b", seed_html, re.I)
    assert not re.search(r"<script[^>]*\bsrc\s*=", seed_html, re.I)
    assert not re.search(r"@import|(?<!\w)url\(|@font-face", seed_html, re.I)  # not createObjectURL(


# ---- structure -----------------------------------------------------------------------------


def test_every_sentence_is_in_both_columns_with_matching_ids(tmp_path):
    document = seed_document(tmp_path)
    page = parse(render(document))
    expected = [f"{b.id}.{n}" for b in document.blocks if b.translatable for n in range(1, len(b.sentences) + 1)]
    assert len(expected) == 130
    assert page.columns["zh"] == expected
    assert page.columns["en"] == expected
    anchors = {a["id"] for tag, a in page.tags if "row" in (a.get("class") or "").split()}
    assert not [a for tag, a in page.tags if tag == "section" or "aria-label" in a and "row" in (a.get("class") or "")]
    assert anchors == {b.id for b in document.blocks}


def test_seed_page_is_under_one_and_a_half_megabytes_with_every_aid(seed_html):
    assert len(seed_html.encode("utf-8")) < 1_500_000
    data = page_data(seed_html)
    assert len(data["tokens"]) == 130 and len(data["dict"]["e"]) > 500


def test_modes_aids_and_panels_are_in_the_markup(seed_html):
    page = parse(seed_html)
    attributes = [a for _, a in page.tags]
    assert [a["data-mode"] for a in attributes if "data-mode" in a] == ["side", "inter", "zh", "en"]
    assert [a["data-script"] for a in attributes if "data-script" in a] == ["hans", "hant"]
    ids = {a.get("id") for a in attributes}
    assert {"btn-pinyin", "btn-keys", "panel-glossary", "panel-qa", "keys", "dict", "tip", "reader-data", "reader-dict"} <= ids
    langs = {a.get("lang") for a in attributes}
    assert {"en", "zh-Hans", "zh-Hant"} <= langs
    assert sum(1 for a in attributes if "copy" in (a.get("class") or "").split()) == 67
    for needle in ("prefers-color-scheme: dark", "@media print", "@media (max-width", ":focus-visible", "localStorage"):
        assert needle in seed_html


def test_kinds_are_styled_and_verbatim_blocks_pass_through():
    document = load_document(REPO / "tests" / "data" / "article.md")
    html = render(document)
    assert '<pre class="cell zh verbatim"' in html and "print(&#34;不翻译&#34;)" in html
    assert '<h1 class="cell zh" lang="zh-Hans">' in html and '<h2 class="cell en" lang="en">' in html
    assert 'class="row k-quote"' in html and 'class="row k-list_item"' in html
    assert html.count("[not translated]") == 7  # nothing translated yet


def test_traditional_source_is_marked_zh_hant_and_offers_simplified(tmp_path):
    source = tmp_path / "trad.txt"
    source.write_text("臺灣的經濟發展很快。\n", encoding="big5")
    document = load_document(source)
    html = render(document)
    assert 'class="cell zh" lang="zh-Hant"' in html
    tokens = page_data(html)["tokens"]["p1.1"]
    assert ["臺灣", "台湾", "tái wān"] in tokens
    assert "".join(t[0] for t in tokens) == "臺灣的經濟發展很快。"


# ---- terms, flags, footer ------------------------------------------------------------------


def test_terms_are_marked_in_both_columns_and_counted():
    html = render(small_document())
    marks = re.findall(r'<mark class="term" data-term="(g\d)" data-o="([^"]+)">([^<]*)</mark>', html)
    by_occurrence: dict[str, list[tuple[str, str]]] = {}
    for term_id, occurrence, text in marks:
        by_occurrence.setdefault(occurrence, []).append((term_id, text))
    assert by_occurrence["p2.1-0"] == [("g1", "台州"), ("g1", "Taizhou")]
    assert by_occurrence["p2.1-1"] == [("g2", "集装箱"), ("g2", "container")]
    assert by_occurrence["p2.2-0"] == [("g1", "台州"), ("g1", "Taizhou")]
    assert "taizhou again" in html  # only one English occurrence per Chinese one
    assert '×2<span class="sr-only"> occurrences</span>' in html
    assert "City in <em>Zhejiang</em>." in html and "g.tsv:5" in html


@pytest.mark.parametrize("terms", [
    [{"zh": "台州", "en": "Taizhou", "start": 0, "end": 2, "entry": "g.tsv:1"}],
    [SimpleNamespace(zh="台州", en="Taizhou", start=0, end=2, entry="g.tsv:1", note="")],
], ids=["dicts", "objects"])
def test_terms_may_be_dicts_or_objects(terms):
    document = small_document()
    document.blocks[1].sentences[0].terms = terms
    assert '<mark class="term" data-term="g1" data-o="p2.1-0">台州</mark>' in render(document)


def test_bad_or_overlapping_term_spans_are_ignored():
    document = small_document()
    sentence = document.blocks[1].sentences[0]
    sentence.terms = [
        {"zh": "台州集装箱", "en": "x", "start": 0, "end": 5, "entry": "a:1"},
        {"zh": "集装箱", "en": "container", "start": 2, "end": 5, "entry": "a:2"},  # inside the longer one
        {"zh": "?", "en": "y", "start": 8, "end": 99, "entry": "a:3"},
        {"zh": "?", "en": "y", "start": "0", "end": 1, "entry": "a:4"},
    ]
    html = render(document)
    assert '<mark class="term" data-term="g1" data-o="p2.1-0">台州集装箱</mark>码头' in html
    assert "a:2" not in html and "a:3" not in html and "a:4" not in html


def test_a_model_without_terms_or_glossary_fields_still_renders():
    document = small_document()
    for block in document.blocks:
        for sentence in block.sentences:
            del sentence.terms
    del document.glossary
    html = render(document)
    assert "<mark class=\"term" not in html and "No glossary term occurs in this text." in html


def test_flags_are_grouped_by_sentence_for_review_and_marked_with_the_worst_open_severity():
    document = small_document()
    sentence = document.blocks[1].sentences[1]
    sentence.flags = [Flag("repetition", "repeated phrase", "warning"), *sentence.flags,
                      Flag("inconsistent-term", "“亮晒比拼” rendered two ways", "info", resolved=True)]
    html = render(document)
    assert page_data(html)["review"] == [  # each text also in the other script, when it differs
        ["p2", document.blocks[1].text, [["joined", "info", "joined from lines 3, 5", 0, ""]], "台州集裝箱碼頭很忙。台州發展很快。"],
        ["p2.2", "台州发展很快。", [["repetition", "warning", "repeated phrase", 0, ""],
                                  ["number-mismatch", "error", "the English has a number the Chinese has not", 0, ""],
                                  ["inconsistent-term", "info", "“亮晒比拼” rendered two ways", 1, "“亮曬比拼” rendered two ways"]],
         "台州發展很快。"],
    ]
    # the error, though listed second, decides the marker; it follows the English and describes it
    assert re.search(r'<span class="s flagged" data-s="p2.2" tabindex="-1" aria-describedby="fm-p2.2">[^<]*(<mark[^>]*>[^<]*</mark>[^<]*)*'
                     r'</span><span class="fm sev-error" id="fm-p2.2" data-g="p2.2" role="img" title="3 flags: repetition \(warning\); '
                     r'number-mismatch \(error\); inconsistent-term \(resolved\)" aria-label="[^"]+">◆</span>', html)
    assert '<span class="fm sev-info" id="fm-p2" data-g="p2" role="img"' in html  # the block's note, in its tools
    assert html.count('class="s flagged"') == 2 and html.count("class=\"fm ") == 2  # underlined in both columns (when shown)
    assert 'Review <span class="n qa-n">2</span>' in html  # info notes and resolved flags are not to do
    assert '<span id="qa-summary">2 flags to do, 1 note, 1 resolved</span>' in html
    assert re.findall(r'<option value="([^"]+)">\1 \((\d+)\)</option>', html) == [
        ("number-mismatch", "1"), ("repetition", "1"), ("inconsistent-term", "0"), ("joined", "1")]


def test_footer_names_source_hash_engine_glossary_and_counts():
    html = render(hostile_document())
    assert "sha256 " + "ab" * 32 in html
    document = small_document()
    html = render(document)
    assert "gb18030, simplified Chinese" in html
    assert "argos · model translate-zh_en-1_9 version 1.9" in html and "beam_size" in html
    assert "4 blocks" not in html and "3 blocks · 4 sentences · 3 with a translation (2 translated in this run, 1 from cache) · 0 dropped" in html
    assert "<dt>Review</dt><dd>1 flag to do (1 number-mismatch), 1 note (1 joined), 0 resolved</dd>" in html


def test_footer_hashes_the_source_file(tmp_path, seed_html):
    import hashlib

    assert "sha256 " + hashlib.sha256(SEED.read_bytes()).hexdigest() in seed_html
    assert "glossary/taizhou.tsv" in seed_html


@pytest.mark.parametrize("signature, shown", [
    (None, "not translated"),
    ("argos/1.9 beam 2", "argos/1.9 beam 2"),
    ("[1, 2]", "[1, 2]"),
    ('{"package": "p"}', "unknown engine · model p"),
], ids=["none", "not-json", "not-an-object", "partial"])
def test_any_signature_is_shown(signature, shown):
    document = small_document()
    document.signature = signature
    assert shown in render(document)


# ---- post-edits ------------------------------------------------------------------------------


def edited_document() -> Document:
    """:func:`small_document` after a run applied two post-edits (the second one stale)
    and found two orphans; markup in every text the edit mode and the panel show."""
    document = small_document()
    a, b = document.blocks[1].sentences
    a.machine, a.translation, a.edited = f"Machine {SCRIPT_TAG} said.", f"Edited {IMG_TAG} wharf.", True
    b.machine, b.translation, b.edited = "New machine & output.", "Taizhou grows fast.", True
    b.edited_against = "Old machine <b>output</b>."
    b.flags = [Flag("edit-stale", "edited against an older machine translation", "info")]
    document.edits = {"file": "sources/small.edits.tsv", "applied": 2, "orphaned": [
        {"source": f"旧句子{SCRIPT_TAG}。", "english": f"Old {IMG_TAG}.", "line": 4, "closest": b.text},
        {"source": "没了。", "english": "Gone.", "line": 5},
    ]}
    return document


def test_edit_data_carries_each_sentence_source_and_machine_text_escaped():
    html = render(edited_document())
    assert "<script>alert" not in html and "<img" not in html
    edit = page_data(html)["edit"]
    assert edit == {"source": "sources/small.txt", "file": "small.edits.tsv", "sentences": {
        "p1.1": ["台州", "Taizhou"],
        "p2.1": ["台州集装箱码头很忙。", f"Machine {SCRIPT_TAG} said.", f"Edited {IMG_TAG} wharf."],
        "p2.2": ["台州发展很快。", "New machine & output.", "Taizhou grows fast.", "Old machine <b>output</b>."],
        "p3.1": ["没有翻译。", ""],
    }}


def test_post_edited_sentences_are_marked_and_stale_ones_say_what_the_machine_says_now():
    html = render(edited_document())
    marks = re.findall(r'data-s="(p\d\.\d)" tabindex="-1"(?: aria-describedby="[^"]+")?>[^<]*(?:<mark[^>]*>[^<]*</mark>[^<]*)*</span>'
                       r'<span class="(em[^"]*)" '
                       r'role="img" title="([^"]*)"', html)
    assert marks == [
        ("p2.1", "em", "post-edited; machine said: Machine &lt;script&gt;alert(1)&lt;/script&gt; said."),
        ("p2.2", "em stale", "post-edited, but the machine translation has changed since the edit; "
                             "the machine now says: New machine &amp; output."),
    ]
    assert html.count('class="s edited"') == 1 and html.count('class="s flagged edited"') == 1  # English only
    assert "Edited &#34;&gt;&lt;img src=x onerror=alert(2)&gt; wharf." in html
    assert 'class="em' not in render(small_document())


def test_orphaned_edits_are_listed_for_review_with_the_closest_sentence():
    html = render(edited_document())
    assert 'Review <span class="n qa-n">0</span> <span class="n">2<span class="word"> orphaned</span></span>' in html  # the stale edit is a note
    assert '0 flags to do, 2 notes, 0 resolved</span>, 2 orphaned edits.' in html
    items = re.findall(r"<ul class=\"orphans\"[^>]*>(.*?)</ul>", html, re.S)[0].split("<li>")[1:]
    assert len(items) == 2
    assert "旧句子&lt;script&gt;alert(1)&lt;/script&gt;。" in items[0] and "Old &#34;&gt;&lt;img" in items[0]
    assert "small.edits.tsv:4" in items[0]
    assert 'closest now: <a href="#p2" data-goto="p2.2"><span lang="zh-Hans" data-alt="台州發展很快。">台州发展很快。</span></a>' in items[0]
    assert "small.edits.tsv:5" in items[1] and "closest now" not in items[1]
    assert "or fix sources/small.edits.tsv." in html
    assert 'class="orphans"' not in render(small_document())


def test_edit_controls_are_in_the_markup():
    page = parse(render(small_document()))
    ids = {a.get("id"): a for _, a in page.tags}
    assert ids["btn-edit"]["aria-pressed"] == "false"
    assert "disabled" in ids["btn-save"] and "small.edits.tsv" in ids["btn-save"]["title"]
    assert "disabled" in ids["btn-discard"]


# ---- reading aids ---------------------------------------------------------------------------


def test_tokens_rebuild_each_sentence_and_carry_pinyin_and_traditional(seed_html):
    data = page_data(seed_html)
    for sid, tokens in data["tokens"].items():
        for token in tokens:
            if len(token) == 3:
                assert len(token[2].split(" ")) == len(token[0]), (sid, token)
    assert ["集装箱", "集裝箱", "jí zhuāng xiāng"] in data["tokens"]["p4.2"]
    assert data["dict"]["k"]["集装箱"] == data["dict"]["k"]["集裝箱"]
    entry = data["dict"]["e"][data["dict"]["k"]["集装箱"][0]]
    assert entry == ["集裝箱", "集装箱", "jí zhuāng xiāng", ["container (for shipping)"]]


def test_tokens_break_at_term_boundaries():
    html = render(small_document())
    tokens = [t[0] for t in page_data(html)["tokens"]["p2.1"]]
    assert tokens[:2] == ["台州", "集装箱"]


@pytest.mark.parametrize("numbered, marked", [
    ("Tai2 zhou1", "Tái zhōu"), ("nu:3 er2", "nǚ ér"), ("Lu:4", "Lǜ"), ("gou3", "gǒu"), ("xiong1", "xiōng"),
    ("guai4", "guài"), ("liu2", "liú"), ("hui4", "huì"), ("de5", "de"), ("r5", "r"), ("m2", "m"), ("A1", "Ā"),
], ids=lambda v: v)
def test_tone_marks(numbered, marked):
    assert tone_marks(numbered) == marked


def test_words_keep_every_character():
    text = "2023年,大麦屿港区集装箱吞吐量突破50万箱,同比增加17.3%。<b>"
    words = split_words(text)
    assert "".join(w.text for w in words) == text
    assert [w.text for w in words if not w.han] == ["2023", ",", "50", ",", "17.3%。<b>"]


def test_dictionary_has_only_the_words_asked_for():
    found = cedict_entries(["行", "集装箱", "没有这个词"])
    assert set(found) == {"行", "集装箱"}
    assert {e.pinyin for e in found["行"]} >= {"háng", "xíng"}


def test_reader_modules_import_nothing_heavy():
    code = ("import sys, pipeline.render.reader.page, pipeline.read.dictionary\n"
            "print([m for m in ('jieba', 'pypinyin', 'opencc', 'jinja2', 'markdown') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_write_outputs_writes_the_reader(tmp_path):
    from pipeline.run import write_outputs

    outputs = write_outputs(small_document(), tmp_path)
    assert [p.name for p in outputs] == ["small.json", "small.html"]
    assert 'id="reader-data"' in outputs[1].read_text(encoding="utf-8")


def test_layout_kinds_render_tables_notes_subtitles_and_images(tmp_path):
    source = tmp_path / "kinds.md"
    source.write_text(
        "# 标题\n\n——副标题\n\n### 三级标题\n\n![图](https://img.example.cn/a.jpg)\n\n正文[^1]。\n\n"
        "| 名称 | 说明 |\n| --- | --- |\n| 台州 | 港口 |\n\n[^1]: 脚注。\n", encoding="utf-8")
    document = load_document(source)
    html = render(document)
    page = parse(html)
    expected = [f"{b.id}.{n}" for b in document.blocks if b.translatable for n in range(1, len(b.sentences) + 1)]
    assert page.columns["zh"] == expected and page.columns["en"] == expected
    assert [b.kind for b in document.blocks] == ["title", "subtitle", "heading", "image", "paragraph", "table", "footnote"]
    for kind in ("subtitle", "footnote", "image", "table"):
        assert f'class="row k-{kind}"' in html
    assert '<h3 class="cell zh" lang="zh-Hans">' in html
    tags = [tag for tag, _ in page.tags]
    assert tags.count("table") == 2 and tags.count("th") == 4 and tags.count("td") == 4
    assert "<img" not in html and "![图](https://img.example.cn/a.jpg)" in html  # shown, never loaded
    assert ".k-footnote" in html and ".k-subtitle" in html
    # Each block's anchor names the exact source lines it was built from.
    assert 'href="#p6" title="Link to this block (source lines 11, 12, 13)"' in html


@pytest.mark.parametrize("variant", ["s2t", "s2tw", "s2twp", "s2hk"])
def test_one_conversion_writes_each_term_one_way_wherever_it_stands(variant):
    from pipeline.read.dictionary import convert_script
    from pipeline.render.reader import Conversion

    conversion = Conversion("simplified", variant, ["台湾", "台湾海峡", "发展"])
    strait = conversion("台湾海峡")
    taiwan = conversion("台湾")
    assert strait.startswith(taiwan)  # the shorter term inside the longer is written as on its own
    for text in ("台湾的发展", "在台湾海峡发展", "“台湾”", "台湾发展很快"):
        converted = conversion(text)
        assert converted.count(taiwan) == text.count("台湾"), (text, converted)
    assert conversion("里面的软件") == convert_script("里面的软件", variant)  # no term: OpenCC as it is
    assert Conversion("traditional", variant, []).config == "t2s"  # a Traditional text's other script


def test_the_variant_decides_the_traditional_forms_on_the_page():
    document = small_document()
    document.blocks[1].sentences[0].text = document.blocks[1].sentences[0].simplified = "台州集装箱码头很忙，群众里面。"
    forms = {}
    for variant in ("s2t", "s2tw", "s2hk"):
        tokens = page_data(render(document, variant=variant))["tokens"]["p2.1"]
        forms[variant] = "".join(t[1] or t[0] if len(t) == 3 else t[0] for t in tokens)
    assert "羣衆裏面" in forms["s2t"] and "群眾裡面" in forms["s2tw"] and "羣眾裏面" in forms["s2hk"]


# -- term pieces: whole words, found without compiling a pattern per term ----------


@settings(max_examples=400, deadline=None)
@given(
    english=st.text(alphabet="abAB é-_1", min_size=1, max_size=4).map(str.strip).filter(bool),
    translation=st.lists(st.sampled_from(["a", "b", "A", " ", "-", "é", "e\u0301", "_", "1", "İ", "ß", "B"]),
                         max_size=12).map("".join),
)
def test_whole_word_occurrences_are_those_of_the_whole_word_pattern(english, translation):
    """The reader finds a term's English in a translation as the pattern
    (?<!\\w)english(?!\\w), case-insensitive, would: same places, same order."""
    from pipeline.render.reader.views import whole_words

    pattern = regex.compile(r"(?<!\w)" + regex.escape(english) + r"(?!\w)", regex.IGNORECASE)
    assert list(whole_words(english, translation)) == [m.span() for m in pattern.finditer(translation)]


def test_a_term_inside_a_longer_term_reads_as_in_the_longer_one():
    """Conversion puts each term's own form in, longest term first at each place."""
    from pipeline.render.reader import Conversion

    conversion = Conversion("simplified", "s2t", ["台州", "台州湾", "发展"])
    assert conversion("台州湾发展台州") == conversion("台州湾") + conversion("发展") + conversion("台州")


@pytest.mark.parametrize("variant", ["s2t", "s2twp"])
def test_the_seed_page_compiles_a_fixed_number_of_patterns(tmp_path, monkeypatch, variant):
    """Rendering the seed compiles no pattern per sentence or per term (it compiled
    one alternation of the terms in each text and one whole-word pattern per term:
    over 400, seconds of a rerun)."""
    import regex as regex_module

    document = seed_document(tmp_path)
    render(document, variant=variant)  # every module imported and its patterns compiled
    compiled = []
    real = regex_module.compile
    monkeypatch.setattr(regex_module, "compile", lambda *a, **k: compiled.append(a[0]) or real(*a, **k))
    render(document, variant=variant)
    assert len(compiled) <= 5, compiled[:10]
