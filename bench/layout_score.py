"""Layout repair scored against the corpus of real documents with hand-made gold.

Prints, per document and per shape (counts pooled over the shape's documents):
body F1, captions and footnotes separated, headings kept as headings, list items
kept apart, boilerplate and page furniture kept as body, blocks wrongly dropped
and characters lost. The measures are defined in :mod:`pipeline.testing.corpus`.
``tests/read/test_layout_corpus.py`` holds every document to the figures recorded in
``tests/data/corpus/baseline.json`` (``--write-baseline`` records them anew).

Run: .venv/bin/python bench/layout_score.py [--corpus DIR] [--diff NAME] [--write-baseline]
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.read import load_document  # noqa: E402
from pipeline.read.source import read_source  # noqa: E402
from pipeline.testing.corpus import (  # noqa: E402
    Score,
    corpus_documents,
    key,
    read_gold,
    score_document,
)

CORPUS = ROOT / "tests" / "data" / "corpus"
BASELINE = CORPUS / "baseline.json"


def ratio(right: int, total: int) -> str:
    return f"{right}/{total}" if total else "–"


def row(name: str, score: Score) -> str:
    return (f"{name:<44} {score.body_f1:5.2f} {ratio(score.body_right, score.body_gold):>8} "
            f"{ratio(score.notes_separated, score.notes):>7} {ratio(score.headings_kept, score.headings):>7} "
            f"{ratio(score.items_apart, score.items):>7} {ratio(score.boilerplate_kept, score.boilerplate):>7} "
            f"{ratio(score.furniture_kept, score.furniture):>7} {score.wrongly_dropped:>5} {score.chars_lost:>5}")


HEADER = (f"{'document':<44} {'bodyF1':>5} {'body':>8} {'cap/fn':>7} {'heads':>7} {'items':>7} "
          f"{'boiler':>7} {'furnit':>7} {'wrong':>5} {'lost':>5}")


def diff(document, gold) -> None:
    """Gold and tool blocks side by side where they differ (kind and key)."""
    tool = [f"{b.kind:<12} {b.text[:70]}" for b in document.blocks] + \
           [f"drop:{d.reason:<7} {d.text[:70]}" for d in document.dropped]
    want = [f"{g.kind:<12} {g.text[:70]}" for g in gold]
    tool_keys = [f"{b.kind}|{key(b.text)}" for b in document.blocks] + \
                [f"drop:{d.reason}|{key(d.text)}" for d in document.dropped]
    want_keys = [f"{g.kind}|{key(g.text)}" for g in gold]
    matcher = difflib.SequenceMatcher(None, want_keys, tool_keys, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            continue
        print(f"--- gold {a1 + 1}-{a2}  /  tool {b1 + 1}-{b2}")
        for line in want[a1:a2]:
            print("  G " + line)
        for line in tool[b1:b2]:
            print("  T " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the corpus folder (<shape>/<id>.txt|.md + .gold.tsv)")
    parser.add_argument("--diff", metavar="NAME", help="show where the tool differs from the gold for documents "
                                                       "whose shape/id contains NAME")
    parser.add_argument("--misses", action="store_true", help="list the gold blocks each document misses")
    parser.add_argument("--write-baseline", action="store_true", help=f"record the figures in {BASELINE}")
    options = parser.parse_args()
    shapes: dict[str, Score] = {}
    total = Score()
    figures = {}
    print(HEADER)
    for item in corpus_documents(options.corpus):
        document = load_document(item.source)
        gold = read_gold(item.gold)
        score = score_document(document, gold, read_source(item.source).text, item.source.suffix == ".md")
        figures[item.name] = score.figures()
        print(row(item.name, score))
        if options.misses:
            for miss in score.misses:
                print("      " + miss)
        if options.diff and options.diff in item.name:
            diff(document, gold)
        shapes.setdefault(item.shape, Score()).add(score)
        total.add(score)
    print()
    print(HEADER.replace("document", "shape   ", 1))
    for shape, score in shapes.items():
        print(row(shape, score))
    print(row("all", total))
    if options.write_baseline:
        BASELINE.write_text(json.dumps(figures, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {BASELINE}")


if __name__ == "__main__":
    main()
