"""Subtitles: the reader (pipeline.read.subtitles: cues, sentences over several
cues, broken timings refused) and the writers (pipeline.render.subtitles:
bilingual and English in the source's format; only cue text changes), round
trips to the same bytes included."""

from __future__ import annotations

from pathlib import Path

import pysubs2
import pytest
from fakes import chinese_back, english_for

from pipeline.core.errors import SourceError
from pipeline.read import load_document
from pipeline.render.subtitles import bilingual_subtitles, english_subtitles, share

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
SRT = """1
00:00:01,000 --> 00:00:03,000
大家好。

2
00:00:03,100 --> 00:00:05,000
我是来自台州的记者，今天我要和大家

3
00:00:05,100 --> 00:00:07,000
<i>谈一谈港口的故事。</i>

4
00:00:09,500 --> 00:00:11,000
第一行
第二行。

"""
ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,{\\an8}大家好。
Comment: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,这是注释
Dialogue: 0,0:00:03.10,0:00:05.00,Default,,0,0,0,,今天的节目\\N到此结束。
"""


def subtitles(tmp_path: Path, text: str = SRT, name: str = "talk.srt", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_cue_is_a_block_and_a_sentence_over_cues_is_one(tmp_path):
    document = load_document(subtitles(tmp_path))
    assert document.format == "srt" and {b.kind for b in document.blocks} == {"cue"}
    assert [(b.text, b.address["cues"]) for b in document.blocks] == [
        ("大家好。", [0]), ("我是来自台州的记者，今天我要和大家谈一谈港口的故事。", [1, 2]), ("第一行第二行。", [3])]
    assert document.blocks[1].address["starts"] == [0, 17]
    assert len(document.blocks[1].sentences) == 1  # translated once, as one sentence
    last = document.blocks[2].sentences[0]
    assert [(m.kind, m.start) for m in last.marks] == [("break", 3)]


def test_cues_far_apart_or_in_an_unpunctuated_file_stay_apart(tmp_path):
    far = SRT.replace("00:00:05,100 --> 00:00:07,000", "00:00:08,100 --> 00:00:09,000")
    assert [b.address["cues"] for b in load_document(subtitles(tmp_path, far)).blocks] == [[0], [1], [2], [3]]
    bare = SRT.replace("。", "")
    assert [b.address["cues"] for b in load_document(subtitles(tmp_path, bare, "bare.srt")).blocks] == [
        [0], [1], [2], [3]]


def test_the_english_of_a_sentence_is_shared_over_its_cues_at_spaces():
    english = "I am a reporter from Taizhou, and today I will tell you the story of the port."
    parts = share(english, [0, 17], 26)  # cue 2 starts 17 of 26 Chinese characters in
    first, second = (english[a:b].strip() for a, b in parts)
    assert first + " " + second == english
    assert first == "I am a reporter from Taizhou, and today I will tell"  # the space nearest 17/26 of the way
    assert share("大家好我是记者", [0, 3], 7) == [(0, 3), (3, 7)]  # Chinese is cut exactly


def test_writing_each_cues_own_chinese_back_gives_the_same_bytes(tmp_path):
    source = subtitles(tmp_path, SRT.replace("\n", "\r\n"), encoding="gb18030")
    document = load_document(source)
    chinese_back(document)
    assert english_subtitles(document) == source.read_bytes()


def test_the_real_talk_round_trips_to_the_same_bytes():
    source = DATA / "gdsub_robot_learning_zh.srt"
    document = load_document(source)
    assert len(document.blocks) < 179  # sentences over several cues are blocks of several cues
    chinese_back(document)
    assert english_subtitles(document) == source.read_bytes()


@pytest.mark.parametrize("name", ["talk.srt", "talk.vtt"])
def test_english_and_bilingual_keep_every_timing(tmp_path, name):
    text = SRT if name.endswith(".srt") else "WEBVTT\n\n" + SRT.replace(",", ".")
    source = subtitles(tmp_path, text, name)
    document = load_document(source)
    english_for(document)
    original = pysubs2.load(str(source))
    for writer, lines in ((english_subtitles, 1), (bilingual_subtitles, 2)):
        out = tmp_path / f"out{source.suffix}"
        out.write_bytes(writer(document))
        written = pysubs2.load(str(out))
        assert [(e.start, e.end) for e in written] == [(e.start, e.end) for e in original]
        texts = [e.plaintext for e in written]
        assert texts[0].split("\n")[-1] == "English sentence 1."
        if lines == 1:
            assert not any("\u4e00" <= c <= "\u9fff" for t in texts for c in t)
            assert written[2].text.startswith("{\\i1}")  # the cue's own markup stays around its English
        else:
            assert texts[0] == "大家好。\nEnglish sentence 1."


def test_ass_keeps_styles_comments_and_override_tags(tmp_path):
    source = subtitles(tmp_path, ASS, "show.ass")
    document = load_document(source)
    assert [b.text for b in document.blocks] == ["大家好。", "今天的节目到此结束。"]
    english_for(document)
    written = english_subtitles(document).decode("utf-8")
    assert "Dialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,{\\an8}English sentence 1." in written
    assert "Comment: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,这是注释" in written
    assert written.split("[Events]")[0] == ASS.split("[Events]")[0]
    chinese_back(document)
    assert english_subtitles(document) == source.read_bytes()


@pytest.mark.parametrize(("text", "problem"), [
    (SRT.replace("00:00:03,100 --> 00:00:05,000", "00:00:03,100 -> 00:00:05,000 -->"),
     "line 6: the timing '00:00:03,100 -> 00:00:05,000 -->' cannot be read"),
    (SRT.replace("00:00:09,500 --> 00:00:11,000", "00:00:11,500 --> 00:00:09,000"), "line 14: cue 4 ends before it starts"),
], ids=["unreadable", "backwards"])
def test_broken_timings_are_one_line_naming_the_line(tmp_path, text, problem):
    with pytest.raises(SourceError) as error:
        load_document(subtitles(tmp_path, text))
    assert str(error.value).startswith(f"{tmp_path / 'talk.srt'}: {problem}")
