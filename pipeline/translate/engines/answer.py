"""An LLM's answer made into the translation: :func:`clean_answer` takes off the
usual wrapping; :func:`runaway` tells a runaway answer from a translation.

Every step is linear in the answer's length: an answer is outside data, and a
pattern that backtracks over a long run of spaces would hang the run on one
hostile or broken answer. (Patterns never put two quantifiers that can match
the same characters side by side; the ``<think>`` block and the note at the
end are found with plain searches.)
"""

from __future__ import annotations

import regex

__all__ = ["clean_answer", "runaway"]

_THINK_OPEN = regex.compile(r"<think>", regex.IGNORECASE)
_THINK_CLOSE = regex.compile(r"</think>", regex.IGNORECASE)
_FENCE = regex.compile(r"^```[\w+-]*[ \t]*\n(.*?)\n?```$", regex.DOTALL)
_LABEL = regex.compile(
    r"^(?:(?:sure|ok|okay|certainly)[!,.]?\s*)?"
    r"(?:(?:here\s+is|here's)\s+(?:(?:the|my|an?)\s+)?(?:english\s+)?translation[^:\n]*:"
    r"|(?:english\s+)?translation\s*(?:\(english\)\s*)?:"
    r"|english\s*:|译文\s*[:：]|翻译\s*[:：]|英文\s*[:：])\s*",
    regex.IGNORECASE,
)
#: Matched on a line with its leading spaces stripped.
_NOTE_LINE = regex.compile(
    r"(?:\(|\*+|_)?\s*(?:notes?|explanation|translator'?s note|translation note|literally|"
    r"this translation|the translation|i (?:have |'ve )?(?:translated|kept|used)|注|说明)\b",
    regex.IGNORECASE,
)
#: Matched from the answer's last "(" to its end.
_NOTE_TAIL = regex.compile(r"\((?:notes?|literally|explanation|translator'?s note)\s*:[^()]*\)\s*",
                           regex.IGNORECASE)
_QUOTES = {'"': '"', "“": "”", "'": "'", "‘": "’", "«": "»", "「": "」", "『": "』", "**": "**"}
_QUOTED_SOURCE = (tuple("\"“'‘「『«"), tuple("\"”'’」』»"))

#: An answer this many times longer than its source, in characters, is not a
#: translation (English runs to about three times the characters of Chinese).
RUNAWAY_RATIO = 20
#: ... counting at least this many characters of source.
_RUNAWAY_FLOOR = 20


def _without_think(text: str) -> str:
    """``text`` without its ``<think>…</think>`` blocks."""
    out, at = [], 0
    while True:
        opened = _THINK_OPEN.search(text, at)
        closed = _THINK_CLOSE.search(text, opened.end()) if opened else None
        if closed is None:
            break
        out.append(text[at:opened.start()])
        at = closed.end()
    out.append(text[at:])
    return "".join(out)


def clean_answer(answer: str, source: str = "") -> str:
    """The translation in an LLM's ``answer``, without the usual wrapping: a
    ``<think>`` block, a Markdown code fence, a "Translation:" label, a note or
    explanation after it, and quotes around the whole of it (unless ``source``
    itself is quoted). Lines are joined: the answer is one sentence."""
    text = _without_think(answer).strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    text = _LABEL.sub("", text, count=1).strip()
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if number and _NOTE_LINE.match(line.lstrip()):
            lines = lines[:number]
            break
    text = " ".join(line.strip() for line in lines if line.strip())
    last = text.rfind("(")
    if last >= 0 and _NOTE_TAIL.fullmatch(text, last):
        text = text[:last]
    text = text.strip()
    source = source.strip()
    quoted_source = source.startswith(_QUOTED_SOURCE[0]) and source.endswith(_QUOTED_SOURCE[1])
    for opening, closing in _QUOTES.items():
        if (len(text) > len(opening) + len(closing) and text.startswith(opening) and text.endswith(closing)
                and not quoted_source and opening not in text[len(opening):-len(closing)]):
            text = text[len(opening):-len(closing)].strip()
            break
    return _LABEL.sub("", text, count=1).strip()


def runaway(english: str, source: str) -> bool:
    """Whether ``english`` is far too long to translate ``source``: a model
    that kept going (repeating itself, or writing an essay) and stopped only by
    chance before its token budget."""
    return len(english) > RUNAWAY_RATIO * max(len(source), _RUNAWAY_FLOOR)
