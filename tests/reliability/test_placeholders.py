"""Source text is never taken for a glossary placeholder (issue 13).

Models see terms as ``⟦T0⟧``, ``⟦T1⟧``, ...; a source that writes that syntax
itself, or stray brackets of it, must come through unchanged, and a glossary
rendering may not contain it.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fakes import DroppingEngine, FakeEngine
from pipeline.translate.cache import TranslationCache
from pipeline.cli import cli
from pipeline.terms.glossary import (
    Entry,
    Glossary,
    annotate_terms,
    complies,
    load_glossaries,
    mask_spans,
    placeholder,
    restore_terms,
    unmask,
)
from pipeline.core.model import Sentence
from pipeline.translate.documents import translate_document
from pipeline.read import load_document
from pipeline.read.source import to_simplified

HEADER = "zh\ten\tnote\tvariants\n"
survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")


def translate(tmp_path, text, glossary_body, engine=None):
    (tmp_path / "doc.txt").write_text(text, encoding="utf-8")
    (tmp_path / "g.tsv").write_text(HEADER + glossary_body, encoding="utf-8")
    document = load_document(tmp_path / "doc.txt")
    with TranslationCache(tmp_path / "cache.sqlite3") as cache:
        translate_document(document, engine or FakeEngine(), cache, glossary=load_glossaries([tmp_path / "g.tsv"]))
    return document


@survives
@pytest.mark.parametrize("engine", [pytest.param(FakeEngine(), id="faithful"),
                                    pytest.param(DroppingEngine(), id="drops-a-placeholder")])
@pytest.mark.parametrize("literal", ["⟦T0⟧", "⟦T5⟧", "⟦T1⟧⟦T0⟧", "⟦", "⟧⟧", "⟦T"])
def test_placeholder_syntax_in_the_source_comes_through_as_written(tmp_path, literal, engine):
    document = translate(tmp_path, f"台州{literal}很美。\n\n没有术语{literal}的句子。\n", "台州\tTaizhou\n", engine)
    with_term, without = document.sentences()
    for sentence in (with_term, without):
        assert literal in sentence.translation, sentence.translation
    assert with_term.translation.count("Taizhou") == 1
    assert complies(with_term.translation, with_term.terms)


@survives
def test_the_engine_never_sees_source_brackets_as_text(tmp_path):
    engine = FakeEngine()
    translate(tmp_path, "台州⟦T0⟧很美。\n", "台州\tTaizhou\n", engine)
    (masked,) = engine.calls
    assert masked == "⟦T0⟧⟦T1⟧T0⟦T2⟧很美。"


#: Any text a source can hold (decoding never yields a lone surrogate), often the brackets.
_TEXT = st.text(alphabet=st.sampled_from(list("台州湾玉环临海发展经济,。 T0123⟦⟧aZ\n")) | st.characters(exclude_categories=("Cs",)), max_size=40)


@survives
@settings(max_examples=300, deadline=None)
@given(_TEXT, st.data())
def test_mask_then_unmask_is_lossless_for_any_text(text, data):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=6)))
    spans = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    masked, literals = mask_spans(text, spans)
    fills = [text[start:end] for start, end in spans] + list(literals)
    parts = unmask(masked, len(fills))
    assert parts is not None
    assert "".join(fills[p] if i % 2 else p for i, p in enumerate(parts)) == text


@survives
@settings(max_examples=300, deadline=None)
@given(_TEXT, st.lists(st.text(alphabet="台州湾玉环临海", min_size=1, max_size=3), max_size=4, unique=True))
def test_mask_then_restore_terms_is_lossless_for_any_text(text, terms):
    assume(to_simplified(text, "traditional") == text)  # the engine is given the Simplified form
    glossary = Glossary([Entry(t, "=", "", (), "g.tsv", n) for n, t in enumerate(terms, start=2)])
    sentence = Sentence(text, text)
    annotate_terms([sentence], glossary)
    assert restore_terms(sentence.mt_input or text, sentence) == text


@survives
def test_a_dropped_placeholder_of_the_source_is_caught():
    masked, literals = mask_spans("台州⟦很美", [(0, 2)])
    assert masked == f"{placeholder(0)}{placeholder(1)}很美" and literals == ("⟦",)
    assert unmask(f"{placeholder(0)} is beautiful", 2) is None
    assert unmask(f"{placeholder(0)}{placeholder(1)}{placeholder(1)}", 2) is None
    assert unmask(f"{placeholder(0)}{placeholder(1)} ⟦", 2) is None


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@clean_error
@pytest.mark.parametrize("english", ["⟦T0⟧ Port", "Port ⟦", "Port⟧", "⟦T12⟧"])
def test_glossary_check_refuses_placeholder_syntax_in_the_english(tmp_path, english):
    path = tmp_path / "g.tsv"
    path.write_text(HEADER + f"台州\tTaizhou\n大麦屿港\t{english}\n", encoding="utf-8")
    result = invoke("glossary", "check", path)
    assert result.exit_code == 1
    assert f"{path}:3: the English contains ⟦ or ⟧" in result.output
    assert "Traceback" not in result.output


@clean_error
def test_glossary_add_refuses_placeholder_syntax_in_the_english(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text(HEADER + "台州\tTaizhou\n", encoding="utf-8")
    result = invoke("glossary", "add", "大麦屿港", "⟦T0⟧ Port", "--file", path)
    assert result.exit_code == 1 and "the English contains ⟦ or ⟧" in result.output
    assert path.read_text(encoding="utf-8") == HEADER + "台州\tTaizhou\n"
