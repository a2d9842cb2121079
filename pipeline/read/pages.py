"""Text pulled out of pages (a PDF extractor's output, a scanned report's text):
lines wrapped at the page's width, page breaks, and what every page repeats.

- **Wrapped lines**: when many lines stop at one width (the page's measure), a
  line that reaches it and does not end a sentence runs on into the next line
  (:func:`wrapped_lines`); a shorter line ends its paragraph unless it ends mid-sentence.
- **Page furniture**: page numbers (``6``, ``-1-``, ``第 3 页``, ``3/12``), running
  heads and feet (a short line repeated at page breaks), and a journal's masthead
  (卷期, ``Vol. 34 No. 5``, a month and year) are left out of the translation and
  listed as ``page-furniture`` (:func:`page_furniture`).
- **Letter-spaced lines**: a word set with wide spacing comes out one character
  per line (参 / 考 / 文 / 献); such a run is one line again (:func:`join_spaced_letters`).
"""

from __future__ import annotations

import bisect
from collections import Counter

import regex

from pipeline.read.pieces import CLOSERS, FINAL_MARKS, Piece, concatenate

#: Lines within this many columns of the page's width reach it (justified text varies).
WIDTH_SLACK = 4
#: A width is the page's measure when at least this share of the lines (and
#: :data:`MIN_FULL_LINES`) end within :data:`WIDTH_SLACK` of it.
MIN_FULL_SHARE = 0.15
MIN_FULL_LINES = 5
#: Lines longer than the measure may be at most this share (a text of long
#: unwrapped paragraphs has no measure).
MAX_OVERLONG_SHARE = 0.05
#: Running heads are at most this long, and repeat at least :data:`MIN_RUNNING_REPEATS` times.
MAX_RUNNING_CHARS = 40
MIN_RUNNING_REPEATS = 2
#: How far from a page break (in lines with text) a running head or a page number stands.
PAGE_EDGE_LINES = 3
#: How far down a page a journal's masthead goes (its lines and the title's, interleaved).
MASTHEAD_LINES = 9

_PAGE_NUMBER = regex.compile(
    r"""(?x)^(?:
      \d{1,3} | [-–—]\s*\d{1,4}\s*[-–—]                 # 6, -1-, — 12 — (not a year alone: 2023)
    | 第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?    # 第 3 页 共 12 页
    | \d{1,4}\s*/\s*\d{1,4}                          # 3/12
    | (?:Page|page|P\.?)\s*\d{1,4}(?:\s*of\s*\d{1,4})?
    | [-–—]\s*[ivxlcIVXLC]{1,6}\s*[-–—]               # - iv -
    )$"""
)
_SPACE = regex.compile(r"\s+")
#: A journal's masthead: volume and issue, a month and year, the journal's name.
_MASTHEAD = regex.compile(
    r"""(?x)^(?:
      第\s*\d{1,4}\s*卷(?:\s*第\s*\d{1,4}\s*期)? | 第\s*\d{1,4}\s*期
    | Vol\.?\s*\d{1,4}\s*,?\s*(?:No\.?\s*\d{1,4})? | No\.?\s*\d{1,4}
    | \d{4}\s*年\s*\d{1,2}\s*月 | (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?\s*\d{4}
    | [\p{Han}]{2,12}(?:学报|杂志|期刊|季刊|月刊|通讯|评论)(?:\s*[(（][^)）]{1,20}[)）])?(?:\s*\d{1,4}\s*卷)?
    | \d{1,4}\s*卷
    | (?:[A-Z][A-Z&.,'-]+\s+){2,}[A-Z][A-Z&.,'-]+
    | ISSN\s*[\dX-]+ | CN\s*\d{2}-\d{4}.*
    | [∗*†‡§¶]
    )$"""
)


def display_width(text: str) -> int:
    """Columns ``text`` takes on a page: wide (CJK) characters count two."""
    return len(text) + len(_WIDE.findall(text))


#: East Asian wide and full-width characters (Unicode's East_Asian_Width W and F).
_WIDE = regex.compile(r"[\p{East_Asian_Width=Wide}\p{East_Asian_Width=Fullwidth}]")


def wrap_width(pieces: list[Piece]) -> int | None:
    """The width many lines of a text source stop at (the page's measure), or
    None when the text is not wrapped at one width."""
    widths = [display_width(p.text) for p in pieces if len(p.lines) == 1]
    if len(widths) < MIN_FULL_LINES:
        return None
    counts = Counter(widths)
    best, best_count = None, 0
    for width in counts:
        near = sum(counts[w] for w in range(width - WIDTH_SLACK, width + 1))
        if near > best_count or (near == best_count and best is not None and width > best):
            best, best_count = width, near
    if best is None or best_count < max(MIN_FULL_LINES, MIN_FULL_SHARE * len(widths)):
        return None
    if sum(1 for w in widths if w > best + WIDTH_SLACK) > MAX_OVERLONG_SHARE * len(widths):
        return None
    return best


def wrapped_lines(pieces: list[Piece]) -> set[int]:
    """The numbers of the lines that reach the page's width without ending a
    sentence: they run on into the next line."""
    width = wrap_width(pieces)
    if width is None:
        return set()
    return {
        p.lines[-1] for p in pieces
        if display_width(p.text) >= width - WIDTH_SLACK and p.text.rstrip()[-1:] not in FINAL_MARKS + CLOSERS
    }


def page_furniture(pieces: list[Piece], text: str) -> list[bool]:
    """For every line of a text source, whether it is page furniture: a page
    number or a running head or foot (a short line repeated at page edges) within
    :data:`PAGE_EDGE_LINES` lines of a page break (a form feed, as PDF extractors
    write one), or a journal's masthead (two or more masthead lines starting at a
    page's top, and masthead lines just under them)."""
    flags = [False] * len(pieces)
    breaks = [n for n, line in enumerate(text.split("\n"), start=1) if "\f" in line]
    if not pieces:
        return flags
    pages = [bisect.bisect_right(breaks, p.lines[0]) for p in pieces]
    from_top = [0] * len(pieces)
    from_bottom = [0] * len(pieces)
    for i in range(1, len(pieces)):
        from_top[i] = from_top[i - 1] + 1 if pages[i] == pages[i - 1] else 0
    for i in range(len(pieces) - 2, -1, -1):
        from_bottom[i] = from_bottom[i + 1] + 1 if pages[i] == pages[i + 1] else 0
    edge = [min(top, bottom) < PAGE_EDGE_LINES for top, bottom in zip(from_top, from_bottom)]
    keys = [_SPACE.sub("", p.text) if e else "" for p, e in zip(pieces, edge)]
    repeats = Counter(k for k, e in zip(keys, edge) if e and len(k) <= MAX_RUNNING_CHARS)
    for i, piece in enumerate(pieces):
        # Without page breaks, the text's own start and end are the only page edges;
        # the text's first line is its title even when the pages repeat it as their head.
        running = bool(breaks) and i > 0 and repeats[keys[i]] >= MIN_RUNNING_REPEATS
        if edge[i] and (_PAGE_NUMBER.match(piece.text.strip()) or running):
            flags[i] = True
    masthead = [from_top[i] < MASTHEAD_LINES and bool(_MASTHEAD.match(p.text.strip())) for i, p in enumerate(pieces)]
    for i in range(len(pieces)):
        if from_top[i] >= PAGE_EDGE_LINES or not masthead[i] or (i and masthead[i - 1] and pages[i - 1] == pages[i]):
            continue
        j = i
        while j < len(pieces) and pages[j] == pages[i] and masthead[j]:
            j += 1
        if j - i < 2:
            continue
        for k in range(i, len(pieces)):
            if pages[k] != pages[i] or from_top[k] >= from_top[i] + MASTHEAD_LINES:
                break
            flags[k] = flags[k] or masthead[k]
    return flags


def join_spaced_letters(pieces: list[Piece]) -> list[Piece]:
    """Runs of three or more lines of one wide character each (a heading set
    letter-spaced, 参 / 考 / 文 / 献) as one line."""
    out: list[Piece] = []
    run: list[Piece] = []
    for piece in [*pieces, None]:
        if piece is not None and len(piece.text) == 1 and display_width(piece.text) == 2:
            run.append(piece)
            continue
        if len(run) >= 3:
            out.append(concatenate(run))
        else:
            out.extend(run)
        run = []
        if piece is not None:
            out.append(piece)
    return out
