"""The subtitle reader: SubRip (``.srt``), WebVTT (``.vtt``) and ASS/SSA
(``.ass``, ``.ssa``) files into a :class:`~pipeline.core.model.Document`.

pysubs2 (MIT) parses the file and checks its timings; :func:`cue_spans` finds
each cue's text in the file itself, so the writer (:mod:`pipeline.render.subtitles`)
replaces that text and nothing else: timings, numbering, styles, line ends,
encoding and byte-order mark stay byte for byte.

A cue's text is read without its markup (ASS override blocks ``{\\i1}``, SRT and
VTT tags ``<i>``); a line break inside a cue is a ``break`` mark.

**Sentences over several cues.** Subtitlers cut a long sentence over two or
three cues; translated cue by cue, each half comes out as a broken sentence. So
consecutive cues are one block (kind ``cue``), translated as one text, when the
file ends its sentences with punctuation (at least :data:`PUNCTUATED_SHARE` of
its cues end on 。！？!?… or a closing quote after one) and a cue does not end
on such a mark, the next one starts within :data:`MAX_GAP_MS`, and the block has
fewer than :data:`MAX_CUES` cues. The block's address lists its cues and where
each starts in the block's text (``{"cues": [...], "starts": [...]}``); the
writer shares the English back over the cues in proportion to their share of
the Chinese, cut at the nearest space (:func:`pipeline.render.subtitles.share`).
Timing never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import regex

from pipeline.core.errors import SourceError
from pipeline.core.model import Document, Mark
from pipeline.read.formats import ReadOptions
from pipeline.read.pieces import Piece, joiner
from pipeline.read.source import decode_bytes

#: A file whose cues end a sentence at least this often is punctuated.
PUNCTUATED_SHARE = 0.2
#: Cues further apart than this are never one sentence.
MAX_GAP_MS = 1500
MAX_CUES = 4
#: The largest subtitle file read (a feature film's is some 100 KB).
MAX_BYTES = 8 * 1024 * 1024
_FORMATS = {".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ass"}
_PYSUBS2 = {"srt": "srt", "vtt": "vtt", "ass": None}
_TIME = r"(?:\d{1,3}:)?\d{1,2}:\d{2}[,.]\d{1,3}"
_TIMING = regex.compile(rf"^\s*({_TIME})\s*-->\s*({_TIME})(?:\s.*)?$")
_ENDS = regex.compile(r"[。！？!?…]+[”’」』）)\"']*$")
_ASS_TAG = regex.compile(r"\{[^{}]*\}")
_XML_TAG = regex.compile(r"</?[A-Za-z][^<>]*>|\{\\[^{}]*\}")
_FIX = "fix the cue's timing line (start --> end) in a subtitle editor"


@dataclass
class CueSpan:
    """Where a cue's text is in the file's text, and the line it starts on."""

    start: int
    end: int
    line: int


def subtitle_format(path: Path) -> str:
    return _FORMATS.get(path.suffix.lower(), "srt")


def cue_spans(text: str, fmt: str, path: Path) -> list[CueSpan]:
    """Each cue's text span, in file order. A timing line that cannot be read is
    an error naming its line."""
    spans: list[CueSpan] = []
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    if fmt == "ass":
        for number, line in enumerate(lines):
            if line.startswith("Dialogue:"):
                fields = line.split(",", 9)
                if len(fields) < 10:
                    raise SourceError(path, f"line {number + 1}: a Dialogue line with fewer than 10 fields", _FIX)
                start = offsets[number] + len(line) - len(fields[9])
                spans.append(CueSpan(start, offsets[number] + len(line.rstrip("\r\n")), number + 1))
        return spans
    number = 0
    while number < len(lines):
        line = lines[number].strip("\r\n")
        if "-->" in line:
            if not _TIMING.match(line):
                raise SourceError(path, f"line {number + 1}: the timing {line.strip()!r} cannot be read", _FIX)
            first = number + 1
            last = first
            while last < len(lines) and lines[last].strip():
                last += 1
            end = offsets[last] - (len(lines[last - 1]) - len(lines[last - 1].rstrip("\r\n"))) if last > first \
                else offsets[first]
            spans.append(CueSpan(offsets[first], end, first + 1))
            number = last
        number += 1
    return spans


def cue_text(raw: str, fmt: str) -> tuple[str, list[Mark]]:
    """A cue's text without markup, its line breaks as ``break`` marks."""
    if fmt == "ass":
        plain = _ASS_TAG.sub("", raw).replace("\\h", " ")
        lines = regex.split(r"\\[Nn]", plain)
    else:
        lines = _XML_TAG.sub("", raw).replace("\r\n", "\n").split("\n")
    text, marks = "", []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if text:
            marks.append(Mark("break", len(text), len(text)))
        text += line
    return text, marks


def load_cues(path: Path) -> tuple[str, str, str, list[CueSpan], list]:
    """The file's text, encoding and format, its cues' spans and pysubs2's events."""
    import pysubs2

    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SourceError(path, f"is {size / 2**20:.1f} MB, larger than a subtitle file duizhao reads "
                              f"({MAX_BYTES // 2**20} MB)")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(path, "no such file", "check the path") from exc
    except OSError as exc:
        raise SourceError(path, f"cannot be read: {exc.strerror}") from exc
    text, encoding = decode_bytes(data, path)
    fmt = subtitle_format(path)
    try:
        parsed = pysubs2.SSAFile.from_string(text.replace("\r\n", "\n"), format_=_PYSUBS2[fmt] or "ass")
    except Exception as exc:  # pysubs2 raises its own and plain errors on broken files
        raise SourceError(path, f"cannot be read as {fmt.upper()} subtitles ({exc})", _FIX) from exc
    events = [e for e in parsed.events if not e.is_comment] if fmt == "ass" else list(parsed.events)
    spans = cue_spans(text, fmt, path)
    if len(spans) != len(events):
        raise SourceError(path, f"has {len(spans)} cues by their timing lines but {len(events)} can be read",
                          "check for a cue without a blank line before the next, or a damaged timing line")
    for number, (event, span) in enumerate(zip(events, spans), start=1):
        if event.end < event.start:
            line = span.line if fmt == "ass" else span.line - 1  # the timing line
            raise SourceError(path, f"line {line}: cue {number} ends before it starts", _FIX)
    return text, encoding, fmt, spans, events


def read_subtitles(path: Path, options: ReadOptions) -> Document:
    """The reader of subtitle sources (:mod:`pipeline.read.formats`)."""
    from pipeline.read.html import structured_document

    text, encoding, fmt, spans, events = load_cues(path)
    cues = [cue_text(text[s.start:s.end], fmt) for s in spans]
    punctuated = sum(bool(_ENDS.search(t)) for t, _ in cues if t) >= PUNCTUATED_SHARE * max(
        1, sum(bool(t) for t, _ in cues))
    pieces: list[Piece] = []
    group: list[int] = []

    def close() -> None:
        if not group:
            return
        joined, marks, starts = "", [], []
        for index in group:
            own, own_marks = cues[index]
            glue = joiner(joined, own) if joined else ""
            joined += glue
            starts.append(len(joined))
            marks += [Mark(m.kind, m.start + len(joined), m.end + len(joined)) for m in own_marks]
            joined += own
        pieces.append(Piece(joined, [spans[group[0]].line], "cue", marks=marks, fixed=True,
                            address={"cues": list(group), "starts": starts}))
        group.clear()

    for index, (own, _) in enumerate(cues):
        if not own:
            close()
            continue
        group.append(index)
        following = index + 1 < len(cues) and cues[index + 1][0]
        joins = punctuated and following and not _ENDS.search(own) and len(group) < MAX_CUES \
            and events[index + 1].start - events[index].end <= MAX_GAP_MS
        if not joins:
            close()
    close()
    if not pieces:
        raise SourceError(path, "has no cue with text to translate")
    return structured_document(path, text, encoding, fmt, pieces)
