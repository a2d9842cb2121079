"""Longer or more numerous test articles made from the seed, for benchmarks.

Repeating the seed would not do: segmentation drops a repeated block and the
translation cache serves a repeated sentence. :func:`variant` marks every sentence of
copy ``k`` with a tag of its own (a pair of Han characters before the sentence's
final punctuation), so copy ``k`` has the seed's shape, terms and numbers but no
sentence in common with another copy.
"""

from __future__ import annotations

import regex

# Characters that are in no glossary term of glossary/taizhou.tsv, so tags never
# create or break a term match.
_TAG_CHARS = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
_SENTENCE_END = regex.compile(r"(?<=[^\s。！？!?])([。！？!?]+)")
_LINE_END = regex.compile(r"(?<=[^\s。！？!?”’」』:：,，、])$", regex.MULTILINE)


def tag(k: int) -> str:
    """A short Han tag unique to ``k`` (0 → "", the seed itself)."""
    if k == 0:
        return ""
    base = len(_TAG_CHARS)
    out = ""
    while k:
        k, digit = divmod(k, base)
        out = _TAG_CHARS[digit] + out
    return out.rjust(2, "甲")


def variant(text: str, k: int) -> str:
    """Copy ``k`` of ``text``: every sentence and every unpunctuated line tagged."""
    if k == 0:
        return text
    mark = tag(k)
    text = _SENTENCE_END.sub(lambda m: mark + m.group(1), text)
    return _LINE_END.sub(mark, text)


def longer(text: str, times: int) -> str:
    """One article ``times`` as long: copies 0..times-1 of ``text`` one after another."""
    return "\n\n".join(variant(text, k) for k in range(times))
