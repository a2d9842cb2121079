"""The seed article segments exactly as it did before the layout work of issue 11:
every block's kind, text, lines, sentences and flags, and every dropped duplicate,
compared with ``tests/golden/taizhou.segment.json`` (``pytest --regen-golden``
rewrites it; review the diff before committing one)."""

from __future__ import annotations

import json

from pipeline.read import load_document


def segmentation(document) -> dict:
    """What layout repair decided, without fields later stages add."""
    return {
        "blocks": [
            {
                "id": b.id,
                "kind": b.kind,
                "text": b.text,
                "lines": b.lines,
                "sentences": [s.text for s in b.sentences],
                "flags": [f.to_json() for f in b.flags],
            }
            for b in document.blocks
        ],
        "dropped": [d.to_json() for d in document.dropped],
    }


def test_seed_segments_exactly_as_before(seed_path, golden):
    document = load_document(seed_path)
    assert (len(document.blocks), len(document.sentences()), len(document.dropped)) == (67, 130, 6)
    golden("taizhou.segment.json", json.dumps(segmentation(document), ensure_ascii=False, indent=1) + "\n")
