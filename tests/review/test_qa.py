"""Quality checks raised as flags on translated sentences."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.model import Block, Document, Flag, Sentence, TermMatch
from pipeline.review.qa import _WORD_NUMBERS, _number_words, check_document, check_sentence, flags_at_least, missing_numbers


@pytest.mark.parametrize(
    ("chinese", "english", "missing"),
    [
        pytest.param("突破50万箱", "exceeded 500,000 containers", [], id="wan-digits"),
        pytest.param("突破50万箱", "exceeded 500000 containers", [], id="wan-plain"),
        pytest.param("突破50万箱", "exceeded half a million containers", [], id="wan-words"),
        pytest.param("总投资约1480亿元", "about 148 billion yuan", [], id="yi-billion"),
        pytest.param("总投资约1480亿元", "about 148bn yuan", [], id="yi-bn"),
        pytest.param("拥有128万技术工人", "1.28 million skilled workers", [], id="wan-million"),
        pytest.param("规模超万亿元", "over a trillion yuan", [], id="no-digits"),
        pytest.param("同比增加17.3%", "up 17.3 percent", [], id="percent-word"),
        pytest.param("同比增加17.3%", "up 17.3%", [], id="percent-sign"),
        pytest.param("5月14日举行", "held on May 14", [], id="month-name"),
        pytest.param("12月底", "at the end of December", [], id="month-only"),
        pytest.param("2023年,共1,200家", "In 2023, 1200 companies", [], id="thousands-separator"),
        pytest.param("市域铁路S1线", "the S1 line", [], id="code"),
        pytest.param("突破50万箱,增加17.3%", "exceeded 5,000 boxes, up 17 percent", ["50万", "17.3%"], id="wrong"),
        pytest.param("2023年大麦屿港", "Damaiyu Port", ["2023年"], id="dropped"),
    ],
)
def test_numbers(chinese, english, missing):
    assert missing_numbers(chinese, english) == missing


def sentence(text: str, translation: str, terms=()) -> Sentence:
    return Sentence(text, text, translation, terms=list(terms))


def codes(flags) -> list[str]:
    return [f.code for f in flags]


@pytest.mark.parametrize(
    ("text", "translation", "expected"),
    [
        pytest.param("台州很美。", "Taizhou is beautiful.", [], id="clean"),
        pytest.param("台州很美。", "台州很美。", ["untranslated"], id="copied"),
        pytest.param("台州很美。", "Taizhou 很美.", ["untranslated"], id="han-left"),
        pytest.param("台州很美。", "the the the the city", ["repetition"], id="loop-word"),
        pytest.param("台州很美。", "a new city a new city a new city", ["repetition"], id="loop-phrase"),
        pytest.param("台州海上括\ufffd湾很美。", "Taizhou's Kuo? Bay is beautiful.", ["replacement-char"], id="fffd"),
        pytest.param("增加17.3%。", "It grew.", ["number-mismatch"], id="number"),
    ],
)
def test_sentence_checks(text, translation, expected):
    assert codes(check_sentence(sentence(text, translation))) == expected


def test_severities():
    flags = check_sentence(sentence("台州增加17.3%。", "台州增加17.3%。"))
    assert {f.code: f.severity for f in flags} == {"untranslated": "error"}
    flags = check_sentence(sentence("增加17.3%。", "It grew."))
    assert flags[0].severity == "warning"


def _document(*sentences: Sentence) -> Document:
    block = Block("p1", "paragraph", "", "", [1], list(sentences))
    return Document("doc.txt", "utf-8", "simplified", [block])


def test_quoted_phrase_rendered_two_ways_is_flagged_on_both_sentences():
    first = sentence("创新设立“亮晒比拼”机制。", 'A "shine and compete" mechanism was set up.')
    second = sentence("“亮晒比拼”成效显著。", 'The "show and compare" drive worked.')
    same = sentence("推行“三比三看”。", 'It runs "three comparisons".')
    again = sentence("“三比三看”很好。", '"Three comparisons" is good.')
    check_document(_document(first, second, same, again))
    assert codes(first.flags) == codes(second.flags) == ["inconsistent-term"]
    assert "“亮晒比拼”" in first.flags[0].message and '"shine and compete"' in first.flags[0].message
    assert same.flags == again.flags == []


def test_glossary_terms_are_not_reported_as_inconsistent():
    term = TermMatch("亮晒比拼", "Shine and Compete", 5, 9, "g.tsv:2")
    first = sentence("创新设立“亮晒比拼”机制。", 'A "Shine and Compete" mechanism.', [term])
    second = sentence("“亮晒比拼”成效显著。", '"Shine and Compete" worked, the "x" way.', [term])
    check_document(_document(first, second))
    assert first.flags == second.flags == []


def test_rechecking_replaces_old_qa_flags_but_keeps_term_fallback():
    s = sentence("增加17.3%。", "It grew.")
    s.flags.append(Flag("term-fallback", "rebuilt"))
    document = _document(s)
    check_document(document)
    check_document(document)
    assert codes(s.flags) == ["term-fallback", "number-mismatch"]


def test_flags_at_least_filters_by_severity_and_names_block_and_sentence():
    ok = sentence("台州很美。", "Taizhou is beautiful.")
    bad = sentence("台州很美。", "台州很美。")
    document = _document(ok, bad)
    document.blocks[0].flags.append(Flag("joined", "joined", "info"))
    check_document(document)
    assert [(where, f.code) for where, f in flags_at_least(document, "info")] == [
        ("p1", "joined"), ("p1.2", "untranslated")]
    assert [(where, f.code) for where, f in flags_at_least(document, "error")] == [("p1.2", "untranslated")]


@given(st.lists(st.sampled_from(sorted(_WORD_NUMBERS) + ["someone", "a", "tenth", "millions", ",", "and"]),
                max_size=12))
def test_number_words_are_found_as_whole_words_each_on_its_own(words):
    """One compiled pattern finds what a separate whole-word search per number word finds."""
    text = " ".join(words)
    expected = {word for word in _WORD_NUMBERS if regex.search(rf"\b{word}\b", text)}
    assert _number_words(text) == expected
def test_review_counts_leave_notes_and_resolved_flags_out_of_what_is_to_do():
    from pipeline.review.qa import review_counts

    ok = sentence("台州很美。", "Taizhou is beautiful.")
    ok.flags = [Flag("number-mismatch", "n", "warning"), Flag("untranslated", "u", "error", resolved=True),
                Flag("inconsistent-term", "i", "info")]
    other = sentence("台州很美。", "Taizhou is beautiful.")
    other.flags = [Flag("repetition", "r", "error"), Flag("number-mismatch", "n", "warning")]
    document = _document(ok, other)
    document.blocks[0].flags = [Flag("joined", "j", "info"), Flag("joined", "j", "info", resolved=True)]
    counts = review_counts(document)
    assert (counts.to_do_total, counts.errors, counts.warnings, counts.notes_total, counts.resolved) == (3, 1, 2, 2, 2)
    assert list(counts.to_do.items()) == [("repetition", 1), ("number-mismatch", 2)]  # errors first
    assert counts.line() == ("Review: 3 flags to do (1 repetition, 2 number-mismatch), "
                             "2 notes (1 inconsistent-term, 1 joined), 2 resolved")
    assert counts.summary() == "3 flags to do, 2 notes, 2 resolved"
    assert [f.code for _, f in flags_at_least(document, "warning", open_only=True)] == [
        "number-mismatch", "repetition", "number-mismatch"]


def test_review_counts_of_a_clean_document():
    from pipeline.review.qa import review_counts

    counts = review_counts(_document(sentence("台州很美。", "Taizhou is beautiful.")))
    assert counts.line() == "Review: 0 flags to do, 0 notes, 0 resolved"
    assert review_counts(_document()).summary() == "0 flags to do, 0 notes, 0 resolved"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["the", "The", "THE", "port", "Port", "ß", "SS", "ss", "ſ", "s",
                                           "\u212a", "k", "K", "1", "港"]),
                          st.sampled_from([" ", ", ", "-", "  ", ". ", ""])), max_size=14))
def test_the_repetition_check_finds_what_the_pattern_finds(words):
    """The word-count shortcut before the repetition pattern never hides a match."""
    from pipeline.review.qa import _REPEATED, repeated_phrase

    english = "".join(word + gap for word, gap in words)
    expected, found = _REPEATED.search(english), repeated_phrase(english)
    assert (found and (found.span(), found.group(1))) == (expected and (expected.span(), expected.group(1)))
