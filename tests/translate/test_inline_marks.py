"""Inline structure through translation: bold, italic, links, inline code, footnote
markers and URLs go through the engine as placeholders (the glossary's), come back
where the engine put them, and survive any mangling by the rebuild from pieces;
inline code and URLs never reach the engine."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakes import DroppingEngine, DuplicatingEngine, FakeEngine, GarblingEngine, ReorderingEngine, englishish
from pipeline.translate.cache import TranslationCache
from pipeline.translate.engines import Request
from pipeline.terms.glossary import PLACEHOLDER_PATTERN, load_glossaries
from pipeline.core.model import ATOMIC_MARKS, Mark
from pipeline.translate.documents import translate_document
from pipeline.read.layout import segment
from pipeline.read.source import SourceText, detect_script

HEADER = "zh\ten\tnote\tvariants\n"


def document(text: str, fmt: str = "markdown"):
    path = Path("doc.md" if fmt == "markdown" else "doc.txt")
    return segment(SourceText(path, text, "utf-8", detect_script(text), fmt))


def translated(text: str, engine=None, fmt: str = "markdown", glossary: Path | None = None, tmp_path: Path = None):
    doc = document(text, fmt)
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        translate_document(doc, engine or FakeEngine(), cache, glossary=load_glossaries([glossary]) if glossary else None)
    return doc


def shown(sentence, english: bool = False):
    text = sentence.translation if english else sentence.text
    marks = sentence.translation_marks if english else sentence.marks
    return [(m.kind, text[m.start:m.end]) for m in marks]


SOURCE = "正文有**粗体**和*斜体*，运行 `pip install` 后见[官方文档](https://docs.example.cn/zh/ \"文档\")和脚注[^1]。\n"


def test_marks_come_back_where_the_engine_put_them(tmp_path):
    engine = FakeEngine()
    (sentence,) = translated(SOURCE, engine, tmp_path=tmp_path).sentences()
    assert shown(sentence) == [("strong", "粗体"), ("em", "斜体"), ("code", "pip install"), ("link", "官方文档"),
                               ("note", "[1]")]
    assert shown(sentence, english=True) == [("strong", "word"), ("em", "word"), ("code", "pip install"),
                                             ("link", "word"), ("note", "[1]")]
    (given,) = engine.calls
    # Inline code, the link's target and the note never reach the engine; the texts bold and linked do.
    assert "pip" not in given and "docs.example.cn" not in given and "[^1]" not in given and "[1]" not in given
    assert "粗体" in given and "官方文档" in given
    assert len(PLACEHOLDER_PATTERN.findall(given)) == 8
    assert not PLACEHOLDER_PATTERN.search(sentence.translation)
    link = next(m for m in sentence.translation_marks if m.kind == "link")
    assert link.href == "https://docs.example.cn/zh/" and link.close == '](https://docs.example.cn/zh/ "文档")'


@pytest.mark.parametrize("engine", [DroppingEngine, DuplicatingEngine, ReorderingEngine, GarblingEngine],
                         ids=["dropping", "duplicating", "reordering", "garbling"])
def test_a_mangled_placeholder_is_rebuilt_with_every_mark(engine, tmp_path):
    (sentence,) = translated(SOURCE, engine(), tmp_path=tmp_path).sentences()
    assert [m.kind for m in sentence.translation_marks] == ["strong", "em", "code", "link", "note"]
    assert shown(sentence, english=True)[2:3] == [("code", "pip install")]
    assert "term-fallback" in [f.code for f in sentence.flags] or engine is ReorderingEngine
    assert not regex.search(r"[⟦⟧]", sentence.translation)


def test_a_paired_mark_whose_ends_come_back_swapped_is_rebuilt(tmp_path):
    """The reordering engine swaps the first and last placeholder: a link closing
    before it opens is no link, so the sentence is rebuilt."""
    (sentence,) = translated("详见[官方文档](https://docs.example.cn/)。\n", ReorderingEngine(), tmp_path=tmp_path).sentences()
    assert shown(sentence, english=True) == [("link", "word")]
    assert [f.code for f in sentence.flags] == ["term-fallback"]
    assert "inline markup" in sentence.flags[0].message


def test_terms_and_marks_share_the_placeholders(tmp_path):
    glossary = tmp_path / "g.tsv"
    glossary.write_text(HEADER + "台州\tTaizhou\t\t\n大麦屿港\tDamaiyu Port\t\t\n", encoding="utf-8")
    text = "**台州**的大麦屿港有 `港口代码 CNTZO`，台州很美。\n"
    (sentence,) = translated(text, glossary=glossary, tmp_path=tmp_path).sentences()
    # The term written inside inline code is no term: the code is kept as written.
    assert [t.zh for t in sentence.terms] == ["台州", "大麦屿港", "台州"]
    assert shown(sentence, english=True) == [("strong", "Taizhou"), ("code", "港口代码 CNTZO")]
    assert sentence.translation.count("Taizhou") == 2 and "Damaiyu Port" in sentence.translation
    assert not [f for f in sentence.flags if f.code == "untranslated"]  # Chinese kept as code is no damage


def test_a_sentence_of_code_only_is_not_sent_to_the_engine(tmp_path):
    engine = FakeEngine()
    doc = translated("| 命令 | 作用 |\n| --- | --- |\n| `duizhao run` | 翻译。 |\n", engine, tmp_path=tmp_path)
    code = doc.blocks[0].sentences[2]
    assert (code.translation, shown(code, english=True)) == ("duizhao run", [("code", "duizhao run")])
    assert not any("duizhao" in call for call in engine.calls) and code.flags == []


@pytest.mark.parametrize(
    "text",
    ["全市工业增加值增长6.8%①，高新技术企业占比超过40%[1]。新兴产业增长较快²。",
     "再生能源發電量增長12.5%①，離岸風電占比超過30%[1]。儲能設施仍待加強²。"],
    ids=["hans", "hant"],
)
def test_footnote_markers_of_a_text_source_come_back_in_place(text, tmp_path):
    engine = FakeEngine()
    doc = translated(text + "\n", engine, fmt="text", tmp_path=tmp_path)
    first, second = doc.sentences()
    assert [m.kind for m in first.marks] == ["note", "note"] and shown(second) == [("note", "²")]
    assert first.translation.index("①") < first.translation.index("[1]")
    assert shown(first, english=True) == [("note", "①"), ("note", "[1]")]
    assert not any(marker in call for call in engine.calls for marker in ("①", "[1]", "²"))


def test_urls_in_a_text_source_are_kept_as_written(tmp_path):
    engine = FakeEngine()
    doc = translated("详情请见https://tjj.zjtz.gov.cn/art/2024/1/5/art_1229.html。\n", engine, fmt="text",
                     tmp_path=tmp_path)
    (sentence,) = doc.sentences()
    assert shown(sentence, english=True) == [("url", "https://tjj.zjtz.gov.cn/art/2024/1/5/art_1229.html")]
    assert not any("zjtz" in call for call in engine.calls)


class PromptEngine(FakeEngine):
    """An engine that takes terms in its prompt (an LLM): given Request keys."""

    glossary = "prompt"

    def translate(self, sentences, progress=None):
        self.calls.extend(sentences)
        return [englishish(Request.from_key(s).text) for s in sentences]


def test_an_llm_gets_a_sentence_with_marks_masked_at_once(tmp_path):
    engine = PromptEngine()
    (sentence,) = translated(SOURCE, engine, tmp_path=tmp_path).sentences()
    (call,) = engine.calls
    request = json.loads(call)
    assert "pip install" not in request["text"] and "docs.example.cn" not in request["text"]
    assert [fill for _, fill in request["markers"]] == ["", "", "", "", "pip install", "", "", "[1]"]
    assert [m.kind for m in sentence.translation_marks] == ["strong", "em", "code", "link", "note"]


# -- the invariant: no markup lost or invented, whatever the engine does ---------------------------


class ChaosEngine(FakeEngine):
    """Drops, repeats, swaps or breaks placeholders as ``plan`` says, per call."""

    def __init__(self, plan):
        super().__init__()
        self.plan = plan

    def mangle(self, text):
        found = PLACEHOLDER_PATTERN.findall(text)
        action = self.plan.pop(0) if self.plan else "keep"
        if not found or action == "keep":
            return text
        if action == "drop":
            return text.replace(found[-1], "", 1)
        if action == "repeat":
            return text + found[0]
        if action == "swap":
            return text.replace(found[0], "\0").replace(found[-1], found[0]).replace("\0", found[-1])
        return text.replace("⟧", " ]", 1)


_WORD = st.text(alphabet="台州市港口发展经济", min_size=1, max_size=6)


@st.composite
def marked_sentence(draw):
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        word = draw(_WORD)
        form = draw(st.sampled_from(["plain", "**", "*", "`", "link", "note", "url"]))
        if form == "plain":
            parts.append(word)
        elif form in ("**", "*"):
            parts.append(f"{form}{word}{form}")
        elif form == "`":
            parts.append(f"`{draw(st.sampled_from(['x = 1', 'pip', 'a_b']))}`")
        elif form == "link":
            parts.append(f"[{word}](http://x.cn/{len(parts)})")
        elif form == "note":
            parts.append("[^n]")
        else:
            parts.append(" <http://x.cn/u> ")
        parts.append(draw(st.sampled_from(["的", "，"])))
    return "".join(parts).strip() + "。\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(marked_sentence(), st.lists(st.sampled_from(["keep", "drop", "repeat", "swap", "break"]), max_size=12))
def test_no_markup_is_lost_or_invented(tmp_path, text, plan):
    doc = document(text)
    source_marks = Counter((m.kind, m.href) for s in doc.sentences() for m in s.marks)
    with TranslationCache(tmp_path / f"c{abs(hash((text, tuple(plan))))}.sqlite3") as cache:
        translate_document(doc, ChaosEngine(list(plan)), cache)
    for sentence in doc.sentences():
        english = sentence.translation
        assert not regex.search(r"[⟦⟧]", english), english
        assert Counter((m.kind, m.href) for m in sentence.translation_marks) == Counter(
            (m.kind, m.href) for m in sentence.marks)
        assert all(0 <= m.start <= m.end <= len(english) for m in sentence.translation_marks)
        # Marks kept as written have the source's text, character for character.
        assert Counter((kind, text) for kind, text in shown(sentence, english=True) if kind in ATOMIC_MARKS) == Counter(
            (kind, text) for kind, text in shown(sentence) if kind in ATOMIC_MARKS)
        _assert_nested(sentence.translation_marks)
    assert sum(Counter((m.kind, m.href) for s in doc.sentences() for m in s.translation_marks).values()) == sum(
        source_marks.values())


def _assert_nested(marks):
    spans = [(m.start, m.end) for m in marks if m.end > m.start]
    for a, b in spans:
        for c, d in spans:
            assert not (a < c < b < d), (marks)
