"""The subtitle writers, in the source's own format (SRT, WebVTT or ASS) and
encoding: bilingual (``<stem>.<ext>``: each cue's Chinese line, then its
English) and English only (``<stem>.en.<ext>``).

Only each cue's text changes (:func:`pipeline.read.subtitles.cue_spans`):
numbering, timings, styles, headers, line ends and the byte-order mark are the
source's bytes. A cue's leading and trailing markup (ASS override blocks such
as ``{\\an8}``, ``<i>`` around the whole cue) stays around its English.

**Sharing a sentence's English over its cues** (:func:`share`): a block of
several cues (one sentence cut over them) is translated once; its English is cut
at the points that divide it as the Chinese was divided (cue k starts at the
same fraction of the English as of the Chinese), a point inside a word
moved to the nearest space, so no word is cut (Chinese, whose characters are
words of their own, is cut exactly there). Timing never changes.
"""

from __future__ import annotations

import regex

from pipeline.core.model import Document, Mark
from pipeline.render.structured import block_content, source_file

#: Characters of a word that a cut must not split (a Chinese character is a word of its own).
_WORD = regex.compile(r"[\p{Latin}\p{Greek}\p{Cyrillic}\p{N}'’-]")
_LEAD = regex.compile(r"^(?:\s*(?:\{[^{}]*\}|<[A-Za-z][^<>]*>))*")
_TRAIL = regex.compile(r"(?:(?:\{[^{}]*\}|</[A-Za-z][^<>]*>)\s*)*$")


def bilingual_subtitles(document: Document) -> bytes:
    """The source's subtitles with each cue's English under its Chinese."""
    return _subtitles(document, bilingual=True)


def english_subtitles(document: Document) -> bytes:
    """The source's subtitles in English."""
    return _subtitles(document, bilingual=False)


def share(text: str, starts: list[int], length: int) -> list[tuple[int, int]]:
    """Where ``text`` is cut into ``len(starts)`` parts (start, end): at the fractions ``starts[k] / length``
    of its length, each cut inside a word moved to the nearest space (see the module docstring)."""
    cuts = [0]
    for start in starts[1:]:
        target = round(start / max(length, 1) * len(text))
        target = min(max(target, cuts[-1]), len(text))
        if 0 < target < len(text) and _WORD.match(text[target - 1]) and _WORD.match(text[target]):
            left = text.rfind(" ", cuts[-1], target)
            right = text.find(" ", target)
            choices = [p for p in (left, right) if p > cuts[-1]]
            if choices:
                target = min(choices, key=lambda p: abs(p - target))
        cuts.append(target)
    cuts.append(len(text))
    return list(zip(cuts, cuts[1:]))


def _part(text: str, start: int, end: int, marks: list[Mark], newline: str) -> str:
    """``text[start:end]`` stripped, with each break mark in it as the format's line break."""
    out, at = [], start
    for position in sorted(m.start for m in marks if m.kind == "break" and start < m.start < end):
        out += [text[at:position].rstrip(), newline]
        at = position
        while at < end and text[at] == " ":
            at += 1
    out.append(text[at:end])
    return "".join(out).strip()


def _subtitles(document: Document, bilingual: bool) -> bytes:
    from pipeline.read.subtitles import load_cues

    path = source_file(document, "subtitles")
    text, encoding, fmt, spans, _ = load_cues(path)
    line_end = "\r\n" if "\r\n" in text else "\n"
    newline = "\\N" if fmt == "ass" else line_end
    replacement: dict[int, str] = {}
    for block in document.blocks:
        cues = (block.address or {}).get("cues")
        if not cues or block.kind != "cue":
            continue
        english, marks = block_content(block)
        if not english:
            continue
        parts = share(english, (block.address.get("starts") or [0])[: len(cues)], len(block.text))
        for index, (start, end) in zip(cues, parts):
            if 0 <= index < len(spans):
                replacement[index] = _part(english, start, end, marks, newline)
    out, at = [], 0
    for index, span in enumerate(spans):
        if index not in replacement:
            continue
        raw = text[span.start:span.end]
        out.append(text[at:span.start])
        english = replacement[index]
        if bilingual:
            out.append(raw + (newline + english if english else ""))
        else:
            lead = _LEAD.match(raw).group(0)
            trail = _TRAIL.search(raw[len(lead):]).group(0)
            out.append(lead + english + trail)
        at = span.end
    out.append(text[at:])
    codec = "utf-16" if encoding == "utf-16" else encoding
    return "".join(out).encode(codec)
