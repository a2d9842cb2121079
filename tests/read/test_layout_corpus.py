"""The layout repair on the corpus of real documents (tests/data/corpus, SOURCES.md):
no document may score below the figures recorded in baseline.json, so a rule that
helps one shape and hurts another is caught here (the measures:
pipeline.testing.corpus; the figures: bench/layout_score.py). The corpus itself is
checked too: byte-exact sources, well-formed gold with exactly the sources' text."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest
import regex

from conftest import DATA
from pipeline.read import load_document
from pipeline.read.source import read_source
from pipeline.testing.corpus import COUNTS, corpus_documents, key, read_gold, score_document, visible

CORPUS = DATA / "corpus"
DOCUMENTS = corpus_documents(CORPUS)
BASELINE = json.loads((CORPUS / "baseline.json").read_text(encoding="utf-8"))
#: Better when higher; the other counts are better when lower.
HIGHER = ("body_right", "notes_separated", "headings_kept", "items_apart")
LOWER = ("boilerplate_kept", "furniture_kept", "wrongly_dropped", "chars_lost")
#: What the gold gives: it changes only with the gold (then record the baseline again).
GOLD = ("body_gold", "notes", "headings", "items", "boilerplate", "furniture")


def test_the_corpus_has_25_documents_or_more_of_8_shapes_or_more():
    assert len(DOCUMENTS) >= 25
    assert len({d.shape for d in DOCUMENTS}) >= 8
    assert sorted(BASELINE) == sorted(d.name for d in DOCUMENTS)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_no_document_scores_below_its_baseline(document):
    score = score_document(load_document(document.source), read_gold(document.gold),
                           read_source(document.source).text, document.source.suffix == ".md")
    figures, recorded = score.figures(), BASELINE[document.name]
    assert set(recorded) == {*COUNTS, "body_f1"}
    assert {name: figures[name] for name in GOLD} == {name: recorded[name] for name in GOLD}, \
        "the gold changed: record the baseline again (bench/layout_score.py --write-baseline)"
    worse = [f"{name} {recorded[name]} -> {figures[name]}" for name in HIGHER if figures[name] < recorded[name]]
    worse += [f"{name} {recorded[name]} -> {figures[name]}" for name in LOWER if figures[name] > recorded[name]]
    if figures["body_f1"] < recorded["body_f1"] - 1e-9:
        worse.append(f"body_f1 {recorded['body_f1']} -> {figures['body_f1']}")
    assert worse == [], "\n".join(score.misses)
    assert figures["chars_lost"] == 0


def _sources_table() -> dict[str, tuple[int, str]]:
    """``file → (bytes, sha256)`` from SOURCES.md's table."""
    rows = regex.findall(r"^\| ([\w-]+/[\w.-]+\.(?:txt|md)) \|.*\| (\d+) \| ([0-9a-f]{64}) \|$",
                         (CORPUS / "SOURCES.md").read_text(encoding="utf-8"), regex.MULTILINE)
    return {name: (int(size), digest) for name, size, digest in rows}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_every_source_is_byte_exact_as_sources_md_records(document):
    data = document.source.read_bytes()
    name = f"{document.shape}/{document.source.name}"
    assert _sources_table()[name] == (len(data), hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_the_gold_holds_exactly_the_characters_of_its_source(document):
    """Made by reading, not retyped: nothing of the source is missing from the gold and
    nothing added (markup aside), in a well-formed file."""
    gold = read_gold(document.gold)
    source = visible(read_source(document.source).text, document.source.suffix == ".md")
    assert Counter(key("".join(g.text for g in gold))) == Counter(source)
