"""Cut a block of Chinese text into sentences (translation units).

Rules, in the order they apply:

- a sentence ends after a run of final marks 。！？ (or their ASCII forms ``!?``, an
  ASCII full stop after a Han character, an ellipsis ……), together with the
  closing quotes and brackets that follow it (``……收官。”`` stays whole);
- no split inside a 《》 title, nor inside a short quotation (“回浦中学!总冠军!”);
  a long quotation may be split at its own full stops;
- decimals, percentages and thousands separators (17.3%, 1,000) are never split;
- a footnote marker right after a full stop (。①, 。[1]) ends the sentence before
  it: a sentence never starts with one;
- a sentence longer than :data:`MAX_SENTENCE_CHARS` is cut again at ；, then at ，
  (outside quotations and titles where possible), then between words (jieba), and
  a single word longer than that between characters, so no translation unit is
  ever too long for the model (an unpunctuated line of 200,000 characters is
  about 1,400 units, not one).

Concatenating the sentences gives the block text back, less whitespace between them.
"""

from __future__ import annotations

import unicodedata

import regex

FINAL_MARKS = frozenset("。！？!?…")
OPENERS = {"“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")", "《": "》", "〈": "〉", "【": "】"}
CLOSERS = frozenset(OPENERS.values()) | {'"', "'"}
_OPENER_OF = {closer: opener for opener, closer in OPENERS.items()}
TITLE_MARKS = frozenset("《〈")
#: A footnote marker: ① … ⑳, [1], ［1］, 〔1〕, [注1], superscript digits.
NOTE_MARKER = regex.compile(
    r"[\N{CIRCLED DIGIT ONE}-\N{CIRCLED NUMBER TWENTY}]"
    r"|[\[［〔]注?\s*\d{1,3}[\]］〕]"
    r"|[\N{SUPERSCRIPT ONE}\N{SUPERSCRIPT TWO}\N{SUPERSCRIPT THREE}\N{SUPERSCRIPT FOUR}-\N{SUPERSCRIPT NINE}]+"
)
#: The characters the splitter acts on; the text between them is skipped in one search.
_SIGNIFICANT = regex.compile(
    "[" + regex.escape("".join(sorted(FINAL_MARKS | set(OPENERS) | CLOSERS)) + ".．") + "]"
)
#: A quotation up to this long is never split inside.
SHORT_QUOTE_CHARS = 40
#: The longest translation unit: about 100-150 model pieces, the length of the
#: long sentences NMT models are trained on.
MAX_SENTENCE_CHARS = 150


def split_sentences(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[str]:
    """The sentences of ``text``, stripped, in order; never empty strings."""
    sentences = []
    for sentence in _split_at_final_marks(text):
        sentences.extend(_split_long(sentence, max_chars))
    return sentences


def _is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


def _is_final_mark(text: str, i: int) -> bool:
    char = text[i]
    if char in FINAL_MARKS:
        return True
    if char in ".．":
        # A full stop, not a decimal point or a Latin abbreviation: it follows a
        # Han character or a closing quote and ends the text or precedes Han/space.
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        return (bool(before) and (_is_han(before) or before in CLOSERS)) and (
            not after or after.isspace() or _is_han(after) or after in OPENERS
        )
    return False


def _closing_indexes(text: str) -> dict[int, int]:
    """For every bracket or quote opened in ``text``, the index of the one that
    closes it (brackets of one kind nest; kinds are matched independently)."""
    closing: dict[int, int] = {}
    open_at: dict[str, list[int]] = {}
    for i, char in enumerate(text):
        if char in OPENERS:
            open_at.setdefault(char, []).append(i)
        elif char in _OPENER_OF and open_at.get(_OPENER_OF[char]):
            closing[open_at[_OPENER_OF[char]].pop()] = i
    return closing


def _split_at_final_marks(text: str) -> list[str]:
    sentences: list[str] = []
    stack: list[int] = []  # indices of open brackets and quotes
    closing: dict[int, int] | None = None  # computed when first needed
    start = 0
    i = 0
    while i < len(text):
        significant = _SIGNIFICANT.search(text, i)
        if significant is None:
            break
        i = significant.start()
        char = text[i]
        if char in OPENERS:
            stack.append(i)
            i += 1
            continue
        if char in CLOSERS:
            _close(text, stack, char)
            i += 1
            continue
        if not _is_final_mark(text, i):
            i += 1
            continue
        end = i + 1
        while end < len(text) and (_is_final_mark(text, end) or text[end] in "…"):
            end += 1
        closes_title = False
        while end < len(text) and text[end] in CLOSERS:
            closes_title |= text[end] in "》〉"
            _close(text, stack, text[end])
            end += 1
        marker = NOTE_MARKER.match(text, end)
        if marker:  # a footnote marker after the full stop belongs to the sentence before it
            end = marker.end()
        if end < len(text) and stack and closing is None:
            closing = _closing_indexes(text)
        if end < len(text) and (closes_title or not _may_split_inside(text, stack, closing)):
            i = end
            continue
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = i = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _close(text: str, stack: list[int], closer: str) -> None:
    if stack and OPENERS[text[stack[-1]]] == closer:
        stack.pop()


def _may_split_inside(text: str, stack: list[int], closing: dict[int, int] | None) -> bool:
    """Splitting is allowed outside brackets, and inside long quotations only."""
    for opened in stack:
        if text[opened] in TITLE_MARKS:
            return False
        closed = closing.get(opened) if closing else None
        if closed is None or closed - opened <= SHORT_QUOTE_CHARS:
            return False
    return True


def _split_long(sentence: str, max_chars: int, level: int = 0) -> list[str]:
    """``sentence`` cut into pieces of at most ``max_chars``: at ；, what is still
    too long at ，, then between words, and a word longer than that (a run of
    Latin letters or digits) between characters, so no piece is ever longer."""
    if len(sentence) <= max_chars or level == len(_CUTTERS):
        return [sentence]
    cuts = _CUTTERS[level](sentence)
    pieces = _greedy_cut(sentence, cuts, max_chars) if cuts else [sentence]
    return [short for piece in pieces for short in _split_long(piece, max_chars, level + 1)]


def clauses(text: str) -> list[str]:
    """``text`` cut after every ；and ，(and their ASCII forms) outside brackets
    and numbers: the smallest pieces a sentence is translated in when it cannot
    be translated whole."""
    points = [0, *_cut_points(text, "；;，,"), len(text)]
    return [text[start:end] for start, end in zip(points, points[1:]) if text[start:end].strip()]


def _word_cut_points(text: str) -> list[int]:
    """Positions between jieba's words."""
    from pipeline.read.dictionary import word_ends

    return word_ends(text)[:-1]


def _character_cut_points(text: str) -> list[int]:
    """Positions between characters, never before a combining mark or joiner."""
    return [i for i in range(1, len(text)) if not _joins_previous(text[i])]


def _joins_previous(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me", "Mc") or char == "\u200d"


def _cut_points(text: str, marks: str) -> list[int]:
    """Positions just after a mark, outside brackets, never inside a number."""
    points = []
    depth = 0
    for i, char in enumerate(text):
        if char in OPENERS:
            depth += 1
        elif char in CLOSERS and depth:
            depth -= 1
        elif char in marks and depth == 0 and i + 1 < len(text):
            if char == "," and i and text[i - 1].isdigit() and text[i + 1].isdigit():
                continue
            points.append(i + 1)
    return points


def _greedy_cut(text: str, cuts: list[int], max_chars: int) -> list[str]:
    """Cut at the last usable point before each chunk grows past ``max_chars``."""
    pieces = []
    start = 0
    previous = None  # the last cut point seen in the current chunk
    for point in [*cuts, len(text)]:
        if point - start > max_chars and previous is not None and previous > start:
            pieces.append(text[start:previous])
            start = previous
        previous = point
    pieces.append(text[start:])
    return [p.strip() for p in pieces if p.strip()]


#: How a sentence that is too long is cut, in order (see :func:`_split_long`).
_CUTTERS = (
    lambda text: _cut_points(text, "；;"),
    lambda text: _cut_points(text, "，,"),
    _word_cut_points,
    _character_cut_points,
)
