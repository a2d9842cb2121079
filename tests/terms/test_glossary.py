"""Glossary files, matching, enforcement through MT, and the rerun loop."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakes import (
    DroppingEngine,
    DuplicatingEngine,
    FakeEngine,
    GarblingEngine,
    InventingEngine,
    PlaceholderInventingEngine,
    ReorderingEngine,
)
from pipeline.translate.cache import TranslationCache
from pipeline.terms.glossary import (
    GlossaryError,
    annotate_terms,
    complies,
    load_glossaries,
    restore_terms,
    strip_placeholders,
)
from pipeline.core.model import Sentence
from pipeline.translate.documents import translate_document
from pipeline.read import load_document

HEADER = "zh\ten\tnote\tvariants\n"


def write(tmp_path: Path, name: str, body: str, header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def source(tmp_path: Path, text: str, name: str = "doc.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- files and validation -----------------------------------------------------------------


def test_loads_entries_with_notes_variants_comments_and_blank_lines(tmp_path):
    path = write(tmp_path, "g.tsv", "# places\n\n台州\tTaizhou\tA *prefecture-level* city.\t臺州|台州市\n"
                                    "S1线\t=\tKept as written.\t\n八八战略\tDouble-Eight Strategy\n")
    glossary = load_glossaries([path])
    assert len(glossary) == 3
    taizhou = glossary.by_key["台州"]
    assert (taizhou.en, taizhou.note, taizhou.variants, taizhou.ref) == (
        "Taizhou", "A *prefecture-level* city.", ("臺州", "台州市"), f"{path}:4")
    assert glossary.by_key["台州市"] is taizhou
    assert glossary.files[0].entries == 3 and len(glossary.files[0].sha256) == 64


@pytest.mark.parametrize(
    ("body", "header", "expected"),
    [
        pytest.param("台州\tTaizhou\tnote\tvar\textra\n", HEADER, ["g.tsv:2: 5 columns, expected 4"], id="too-many-columns"),
        pytest.param("台州 Taizhou\n", HEADER, ["g.tsv:2: 1 column, expected 4"], id="spaces-not-tabs"),
        pytest.param("台州\tTaizhou\n", "", ["g.tsv:1: the first row must be a header"], id="missing-header"),
        pytest.param("\tTaizhou\n", HEADER, ["g.tsv:2: empty zh"], id="empty-zh"),
        pytest.param("台州\t\tnote\n", HEADER, ["g.tsv:2: empty en"], id="empty-en"),
        pytest.param("台州\tTaizhou\n玉环\tYuhuan\n台州\tTai Zhou\n", HEADER,
                     ["g.tsv:4: 台州 is also on line 2 with a different English ('Taizhou' there, 'Tai Zhou' here)"],
                     id="same-zh-different-en"),
        pytest.param("台州\tTaizhou\t\t台州市\n台州市\tTaizhou City\n", HEADER,
                     ["g.tsv:3: 台州市 is already a form of 台州 (line 2)"], id="variant-clash"),
        pytest.param("台州\tTaizhou\n\tx\n玉环\t\n", HEADER, ["g.tsv:3: empty zh", "g.tsv:4: empty en"],
                     id="every-problem-listed"),
    ],
)
def test_validation_names_file_and_line(tmp_path, body, header, expected):
    path = write(tmp_path, "g.tsv", body, header)
    with pytest.raises(GlossaryError) as info:
        load_glossaries([path])
    problems = [p.replace(str(tmp_path) + "/", "") for p in info.value.problems]
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected):
        assert problem.startswith(start)


def test_not_utf8_and_missing_file_are_reported(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(HEADER.encode() + "台州\tTaizhou\n".encode("gb18030"))
    with pytest.raises(GlossaryError, match=r"bad.tsv:2: not UTF-8"):
        load_glossaries([bad])
    with pytest.raises(GlossaryError, match=r"nope.tsv: no such glossary file"):
        load_glossaries([tmp_path / "nope.tsv"])


def test_the_same_entry_twice_is_harmless(tmp_path):
    path = write(tmp_path, "g.tsv", "台州\tTaizhou\n臺州\tTaizhou\n")
    assert len(load_glossaries([path])) == 1


def test_later_files_override_earlier_ones(tmp_path):
    base = write(tmp_path, "a.tsv", "台州\tTaizhou\t\t台州市\n玉环\tYuhuan\n")
    team = write(tmp_path, "b.tsv", "台州\tTaizhou City\n")
    glossary = load_glossaries([base, team])
    assert glossary.by_key["台州"].en == "Taizhou City"
    assert glossary.by_key["台州"].ref == f"{team}:2"
    assert "台州市" not in glossary.by_key  # the whole earlier entry was replaced
    assert glossary.by_key["玉环"].en == "Yuhuan"


# -- matching ---------------------------------------------------------------------------------


def test_longest_match_first_without_overlaps(tmp_path):
    glossary = load_glossaries([write(tmp_path, "g.tsv", "台州\tTaizhou\n台州湾\tTaizhou Bay\n"
                                      "台州湾新材料产业园\tTaizhou Bay New Materials Industrial Park\n湾新\tX\n")])
    sentence = Sentence("台州湾新材料产业园在台州湾,不在台州。", "台州湾新材料产业园在台州湾,不在台州。")
    annotate_terms([sentence], glossary)
    assert [(t.zh, t.start, t.end) for t in sentence.terms] == [
        ("台州湾新材料产业园", 0, 9), ("台州湾", 10, 13), ("台州", 16, 18)]
    assert sentence.mt_input == "⟦T0⟧在⟦T1⟧,不在⟦T2⟧。"


def test_traditional_glossary_matches_simplified_source_and_back(tmp_path):
    traditional = load_glossaries([write(tmp_path, "t.tsv", "臺灣經濟\tTaiwan's economy\n")])
    simplified = load_glossaries([write(tmp_path, "s.tsv", "台湾经济\tTaiwan's economy\n")])
    for glossary in (traditional, simplified):
        for text in ("台湾经济很好。", "臺灣經濟很好。"):
            sentence = Sentence(text, text)
            annotate_terms([sentence], glossary)
            assert [(t.zh, t.start, t.end) for t in sentence.terms] == [(text[:4], 0, 4)]


def test_spans_index_the_original_text_of_a_traditional_source(tmp_path):
    path = source(tmp_path, "我們在臺州發展經濟。\n", "t.txt")
    document = load_document(path)
    glossary = load_glossaries([write(tmp_path, "g.tsv", "台州\tTaizhou\n")])
    annotate_terms(document.sentences(), glossary)
    sentence = document.sentences()[0]
    term = sentence.terms[0]
    assert sentence.text[term.start:term.end] == "臺州" == term.zh
    assert sentence.mt_input == "我们在⟦T0⟧发展经济。"


def test_keep_as_written(tmp_path):
    glossary = load_glossaries([write(tmp_path, "g.tsv", "S1线\t=\n")])
    sentence = Sentence("市域铁路S1线开通。", "市域铁路S1线开通。")
    annotate_terms([sentence], glossary)
    assert sentence.terms[0].en == "S1线"
    assert restore_terms("Line ⟦T0⟧ opened.", sentence) == "Line S1线 opened."


_ZH = st.text(alphabet="台州湾玉环临海发展经济,。", max_size=30)


@settings(max_examples=200, deadline=None)
@given(_ZH, st.lists(st.text(alphabet="台州湾玉环临海", min_size=1, max_size=4), max_size=5, unique=True))
def test_mask_then_restore_is_lossless(text, terms):
    from pipeline.terms.glossary import Entry, Glossary

    glossary = Glossary([Entry(t, "=", "", (), "g.tsv", n) for n, t in enumerate(terms, start=2)])
    sentence = Sentence(text, text)
    annotate_terms([sentence], glossary)
    assert restore_terms(sentence.mt_input or text, sentence) == text


@settings(max_examples=300, deadline=None)
@given(_ZH, st.lists(st.text(alphabet="台州湾玉环临海", min_size=1, max_size=4), max_size=6, unique=True))
def test_find_is_leftmost_longest_without_overlaps(text, terms):
    """At each position the longest term there wins and matching resumes after it;
    a position where no term starts is passed over."""
    from pipeline.terms.glossary import Entry, Glossary

    glossary = Glossary([Entry(t, "=", "", (), "g.tsv", n) for n, t in enumerate(terms, start=2)])
    expected, i = [], 0
    while i < len(text):
        here = [t for t in terms if text.startswith(t, i)]
        if here:
            longest = max(here, key=len)
            expected.append((i, i + len(longest), longest))
            i += len(longest)
        else:
            i += 1
    assert [(a, b, e.zh) for a, b, e in glossary.find(text)] == expected


# -- enforcement through the engine ------------------------------------------------------------


GLOSSARY_BODY = "台州\tTaizhou\n大麦屿港\tDamaiyu Port\n三高三新\tThree Highs and Three News\n"
TEXT = "台州的大麦屿港很大,台州人奋进“三高三新”。\n\n台州很美。\n\n没有术语的句子。\n"


def run_with(engine, tmp_path, glossary_body=GLOSSARY_BODY, text=TEXT, cache=None):
    document = load_document(source(tmp_path, text))
    glossary = load_glossaries([write(tmp_path, "g.tsv", glossary_body)])
    own_cache = cache or TranslationCache(tmp_path / "cache.sqlite3")
    try:
        translate_document(document, engine, own_cache, glossary=glossary)
    finally:
        if cache is None:
            own_cache.close()
    return document


@pytest.mark.parametrize(
    ("engine", "fallback"),
    [
        pytest.param(FakeEngine(), False, id="faithful"),
        pytest.param(ReorderingEngine(), False, id="reorders"),
        pytest.param(DroppingEngine(), True, id="drops"),
        pytest.param(DuplicatingEngine(), True, id="duplicates"),
        pytest.param(GarblingEngine(), True, id="garbles"),
        pytest.param(InventingEngine("Taizhou"), True, id="invents-a-rendering"),
    ],
)
def test_every_term_is_in_the_english_whatever_the_engine_does(tmp_path, engine, fallback):
    document = run_with(engine, tmp_path)
    first, second, plain = document.sentences()
    for sentence in (first, second):
        assert sentence.terms
        assert complies(sentence.translation, sentence.terms), sentence.translation
        assert "⟦" not in sentence.translation and "[ T" not in sentence.translation
    assert first.translation.count("Taizhou") == 2
    assert [f.code for f in first.flags] == (["term-fallback"] if fallback else [])
    assert plain.terms == [] and plain.flags == []
    assert document.stats["term_fallback"] == (2 if fallback else 0)


def test_reordered_placeholders_put_each_rendering_where_the_engine_put_it(tmp_path):
    document = run_with(ReorderingEngine(), tmp_path, "台州\tTaizhou\n大麦屿港\tDamaiyu Port\n",
                        "台州有大麦屿港。\n")
    assert document.sentences()[0].translation == "Damaiyu Port word Taizhou."


def test_fallback_rebuilds_from_pieces_in_source_order(tmp_path):
    engine = DroppingEngine()
    document = run_with(engine, tmp_path, "台州\tTaizhou\n", "我爱台州,也爱临海。\n")
    sentence = document.sentences()[0]
    assert sentence.translation == "Word Taizhou, word."
    assert {"我爱", ",也爱临海。"} <= set(engine.calls)


def test_terms_are_recorded_on_sentences_in_the_json(tmp_path):
    document = run_with(FakeEngine(), tmp_path)
    data = document.to_json()
    terms = data["blocks"][0]["sentences"][0]["terms"]
    assert terms[0] == {"zh": "台州", "en": "Taizhou", "start": 0, "end": 2, "entry": f"{tmp_path / 'g.tsv'}:2"}
    assert [t["zh"] for t in terms] == ["台州", "大麦屿港", "台州", "三高三新"]
    assert data["glossary"][0]["file"] == str(tmp_path / "g.tsv") and data["glossary"][0]["entries"] == 3


# -- the user's loop: edit the glossary, run again ---------------------------------------------


def test_changing_only_a_rendering_sends_nothing_to_the_engine(tmp_path):
    with TranslationCache(tmp_path / "cache.sqlite3") as cache:
        run_with(FakeEngine(), tmp_path, cache=cache)
        engine = FakeEngine()
        document = run_with(engine, tmp_path, GLOSSARY_BODY.replace("Damaiyu Port", "Port of Damaiyu"), cache=cache)
    assert engine.calls == []
    assert document.stats["translated"] == 0
    assert "Port of Damaiyu" in document.sentences()[0].translation
    assert "Damaiyu Port" not in document.sentences()[0].translation


def test_adding_a_term_retranslates_only_the_sentences_that_contain_it(tmp_path):
    text = "台州很美。\n\n临海在东边。\n\n临海和台州都很美。\n\n杭州也很美。\n"
    with TranslationCache(tmp_path / "cache.sqlite3") as cache:
        run_with(FakeEngine(), tmp_path, "台州\tTaizhou\n", text, cache=cache)
        engine = FakeEngine()
        document = run_with(engine, tmp_path, "台州\tTaizhou\n临海\tLinhai\n", text, cache=cache)
    assert sorted(engine.calls) == sorted(["⟦T0⟧在东边。", "⟦T0⟧和⟦T1⟧都很美。"])
    assert document.stats["translated"] == 2 and document.stats["cached"] == 2


def test_fallback_pieces_come_from_the_cache_on_a_rerun(tmp_path):
    with TranslationCache(tmp_path / "cache.sqlite3") as cache:
        run_with(DroppingEngine(), tmp_path, cache=cache)
        engine = DroppingEngine()
        document = run_with(engine, tmp_path, GLOSSARY_BODY.replace("Taizhou", "Taizhou City"), cache=cache)
    assert engine.calls == []
    assert document.sentences()[1].translation.count("Taizhou City") == 1


# -- the shipped glossary on the seed -----------------------------------------------------------


def test_shipped_glossary_is_valid_and_every_term_reaches_the_english(seed_path, tmp_path):
    shipped = seed_path.parent.parent / "glossary" / "taizhou.tsv"
    glossary = load_glossaries([shipped])
    assert len(glossary) >= 40
    document = load_document(seed_path)
    with TranslationCache(tmp_path / "cache.sqlite3") as cache:
        translate_document(document, DroppingEngine(), cache, glossary=glossary)
    with_terms = [s for s in document.sentences() if s.terms]
    assert len(with_terms) > 50
    for sentence in with_terms:
        assert complies(sentence.translation, sentence.terms), (sentence.text, sentence.translation)


def test_a_masked_sentence_seen_before_comes_from_the_cache(tmp_path):
    # 临海很美 masks to the same input as 台州很美: renderings go in after translation.
    engine = FakeEngine()
    document = run_with(engine, tmp_path, "台州\tTaizhou\n临海\tLinhai\n", "台州很美。\n\n临海很美。\n")
    assert engine.calls == ["⟦T0⟧很美。"]
    assert [s.translation for s in document.sentences()] == ["Taizhou word .", "Linhai word ."]


def test_placeholders_a_model_invents_never_reach_the_english(tmp_path):
    document = run_with(PlaceholderInventingEngine(), tmp_path, "台州\tTaizhou\n", "台州很美。\n\n没有术语的句子。\n")
    plain = document.sentences()[1]
    assert plain.translation == "word ."
    assert all("⟦" not in s.translation and "⟧" not in s.translation for s in document.sentences())


def test_renderings_of_glued_placeholders_are_separate_words(tmp_path):
    document = run_with(FakeEngine(), tmp_path, "台州\tTaizhou\n玉环\tYuhuan\n大麦屿港\tDamaiyu Port\n",
                        "台州玉环大麦屿港很大。\n")
    assert document.sentences()[0].translation == "Taizhou Yuhuan Damaiyu Port word ."


@pytest.mark.parametrize(
    "english, expected",
    [
        ("Port ⟦T0⟧ grew", "Port grew"),
        ("a broken ⟦T1 mark", "a broken mark"),
        ("half T2⟧ here", "half here"),
        ("⟦ 3 ⟧ spaced", "spaced"),
        ("7" * 3000 + " ⟦", "7" * 3000),
    ],
    ids=["whole", "open-only", "close-only", "spaced", "long-digit-run"],
)
def test_strip_placeholders_removes_every_part_and_keeps_the_text(english, expected):
    assert strip_placeholders(english) == expected


@given(st.text(alphabet="⟦⟧T 0123ab\n", max_size=40))
def test_stripped_text_has_no_bracket_left(english):
    assert not set("⟦⟧") & set(strip_placeholders(english))
