"""CC-CEDICT look-ups: the scan of one page and the index a run of many documents keeps agree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.read import dictionary


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


_AIDS_OF_SEED = """
import json, sys
from pipeline.read import dictionary
from pipeline.read import load_document

texts = [s.simplified for s in load_document(sys.argv[1]).sentences()]
if sys.argv[2] == "whole":
    dictionary._LEXICONS.load_whole()
else:
    dictionary.prepare(texts)
words = [[(w.text, dictionary.pinyin(w.text) if w.han else ()) for w in dictionary.split_words(t)] for t in texts]
import pypinyin.constants
print(json.dumps({"words": words, "jieba": len(dictionary._LEXICONS.tokenizer.FREQ),
                  "phrases": len(pypinyin.constants.PHRASES_DICT), "whole": dictionary._LEXICONS.chars is None}))
"""


def _aids_of_seed(seed_path, mode: str) -> dict:
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _AIDS_OF_SEED, str(seed_path), mode],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_a_page_loads_only_the_entries_its_characters_make_and_gets_the_same_words_and_pinyin(seed_path):
    """The first page of a process loads the words and phrases made of its own
    characters: a fraction of jieba's and pypinyin's lists, the same result."""
    restricted, whole = _aids_of_seed(seed_path, "prepared"), _aids_of_seed(seed_path, "whole")
    assert restricted["words"] == whole["words"]
    assert not restricted["whole"] and whole["whole"]
    assert restricted["jieba"] < whole["jieba"] / 2 and restricted["phrases"] < whole["phrases"] / 2


@pytest.mark.parametrize("ask", ["split_words('台州湾')", "pinyin('湾')"], ids=["words", "pinyin"])
def test_text_with_a_new_character_loads_the_lists_whole(ask):
    import subprocess
    import sys

    code = ("from pipeline.read import dictionary\nfrom pipeline.read.dictionary import pinyin, split_words\n"
            "dictionary.prepare(['台州'])\nbefore = dictionary._LEXICONS.chars is None\n"
            f"{ask}\nprint(before, dictionary._LEXICONS.chars is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("中文字𠀀〇a1 ，。·々ー"), max_size=12))
def test_is_han_means_every_character_is_han(text: str):
    import regex

    assert dictionary.is_han(text) == (bool(text) and all(regex.match(r"\p{Han}", ch) for ch in text))
