"""CC-CEDICT look-ups: the scan of one page and the index a run of many documents keeps agree."""

from __future__ import annotations

import pytest

from pipeline import dictionary


@pytest.mark.parametrize(
    "words",
    [{"台州", "传统", "傳統", "港口"}, {"了", "中", "行", "长", "重", "發", "发"}, {"不是词", "x"}, set()],
    ids=["words-both-scripts", "characters-with-many-entries", "unknown", "none"],
)
def test_the_index_gives_what_the_scan_gives(monkeypatch, words):
    monkeypatch.setattr(dictionary, "_scans", 0)
    scanned = dictionary._scan_cedict(set(words))
    assert dictionary._scans == 1
    indexed = dictionary._scan_cedict(set(words))
    assert indexed == scanned
    if "重" in words:
        assert len(scanned["重"]) >= 2  # zhong4 and chong2, in the file's order
