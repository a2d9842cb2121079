"""Unbounded work (issue 13): one unpunctuated line of 2,000 characters took 113 s
and one of 200,000 did not finish, because a sentence without 。！？；， was
never cut and the length limit grew with it. The work is counted here, never timed:
how many units a line becomes, how long each is, how long a decoding may be.
"""

from __future__ import annotations

import json
import math
import random

import pytest

from pipeline.read.dictionary import word_ends
from pipeline.translate.engines import DecodeOptions
from pipeline.translate.engines.argos import ArgosEngine
from pipeline.translate.packages import find_package
from pipeline.read import load_document
from pipeline.read.sentences import MAX_SENTENCE_CHARS, split_sentences
from reference import recording

from .conftest import assert_no_traceback, duizhao

survives = pytest.mark.outcome("survives")
WORDS = "台州 港口 集装箱 吞吐量 突破 经济 发展 人民 生活 水平 不断 提高 城市 建设 我们 东边 很美".split()


def unpunctuated(length: int, seed: int = 0) -> str:
    """A line of ``length`` characters of common words, no punctuation at all."""
    rng = random.Random(seed)
    words = rng.choices(WORDS, k=length // 2 + 1)  # every word has 2 characters or more
    return "".join(words)[:length]


@survives
@pytest.mark.parametrize("length", [2_000, 200_000], ids=["2k", "200k"])
def test_an_unpunctuated_line_is_cut_into_bounded_units_between_words(tmp_path, length):
    line = unpunctuated(length)
    (tmp_path / "long.txt").write_text(line + "\n", encoding="utf-8")
    units = [s.text for s in load_document(tmp_path / "long.txt").sentences()]
    assert "".join(units) == line  # nothing lost
    assert max(map(len, units)) <= MAX_SENTENCE_CHARS
    # Greedy: two neighbours together are longer than the limit, so at most twice the minimum.
    assert len(units) <= 2 * math.ceil(length / MAX_SENTENCE_CHARS)
    boundaries = set(word_ends(line))
    cuts = [sum(map(len, units[: i + 1])) for i in range(len(units) - 1)]
    assert all(cut in boundaries for cut in cuts), "a unit was cut inside a word"


@survives
@pytest.mark.parametrize(
    "text, longest",
    [
        pytest.param("《" + unpunctuated(1_000) + "。" + unpunctuated(1_000) + "》", MAX_SENTENCE_CHARS, id="in-a-title"),
        pytest.param("“" + "，".join([unpunctuated(400, n) for n in range(3)]) + "”", MAX_SENTENCE_CHARS,
                     id="commas-in-a-quote"),
        pytest.param("x" * 1_000, MAX_SENTENCE_CHARS, id="one-latin-word"),
        pytest.param("e\u0301" * 500, MAX_SENTENCE_CHARS, id="combining-marks"),
    ],
)
def test_no_unit_is_longer_than_the_limit_whatever_the_text(text, longest):
    units = split_sentences(text)
    assert max(map(len, units)) <= longest
    assert "".join(units) == text
    assert not any(u[0] == "\u0301" for u in units), "a combining mark was cut from its letter"


@survives
def test_the_decoding_limit_is_capped_whatever_the_input():
    assert DecodeOptions().max_decoding_length(10) == 256  # argostranslate's limit, the cap, whatever the input
    per_sentence = DecodeOptions(max_decoding_base=10, max_decoding_ratio=2.0)
    assert per_sentence.max_decoding_length(10) == 30  # a short input keeps its own limit
    assert per_sentence.max_decoding_length(200_000) == DecodeOptions.MAX_DECODING_TOKENS == 256


@survives
def test_a_long_unit_given_to_the_engine_asks_for_a_bounded_decoding(installed):
    """Even a unit that reached the engine whole (an engine used directly) is decoded
    with at most the absolute cap of steps: the old limit was 10 + 2 x its pieces."""
    engine = ArgosEngine(find_package().path)
    calls = recording(engine)
    (translation,) = engine.translate([unpunctuated(2_000)])
    assert translation
    assert [limit for _, limit in calls.calls] == [DecodeOptions.MAX_DECODING_TOKENS]


@survives
def test_a_run_on_a_long_line_translates_every_unit_with_bounded_work(project):
    line = unpunctuated(2_000)
    (project / "sources" / "long.txt").write_text(line + "\n", encoding="utf-8")
    result = duizhao("run", "sources/long.txt", "--format", "json", cwd=project)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    document = json.loads((project / "output" / "long.json").read_text(encoding="utf-8"))
    sentences = [s for block in document["blocks"] for s in block["sentences"]]
    assert "".join(s["text"] for s in sentences) == line
    assert max(len(s["text"]) for s in sentences) <= MAX_SENTENCE_CHARS
    assert len(sentences) <= 2 * math.ceil(len(line) / MAX_SENTENCE_CHARS)
    assert all(s["translation"] for s in sentences)
