"""Page geometry: the glyphs of a page, with their boxes, become lines; the lines
are put in reading order, column by column; tables (ruled, or cells lined up
without rules) are found cell by cell.

Pure geometry on boxes in points, origin at the page's top left (``top`` grows
downwards), so it serves a PDF's text layer and OCR'd page images alike
(:mod:`pipeline.read.pdf`, :mod:`pipeline.read.ocr`); what the lines *are*
(page furniture, footnotes, headings) is :mod:`pipeline.read.pdflayout`'s.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: A box: x0, top, x1, bottom.
Box = tuple[float, float, float, float]

#: A gap wider than this many font sizes ends a segment of a row (a column gutter,
#: a table cell, the tab after 第十四条); word spaces are a third of that.
SEGMENT_GAP = 0.8
#: ... unless the row's glyphs are spaced that widely anyway (计 算 机 学 报).
SPACED_GAP = 2.5
#: Latin letters further apart than this many sizes have a space between them.
WORD_GAP = 0.15
#: A gutter is at least this many body sizes wide and crossed by at most this
#: share of the items beside it (a title or a figure spanning both columns).
GUTTER_SIZES = 0.5
GUTTER_CROSSING = 0.25
#: A column's lines are this many body sizes wide (a quarter of them at least).
COLUMN_SIZES = 6
#: Rules: a stroke thinner than this (points) is a line, not a shape.
RULE_THICKNESS = 2.5
#: A table without rules down has short cells (on average, in characters).
MAX_CELL_CHARS = 25
#: A table has text in at least this share of its cells.
MIN_FILLED = 0.5
#: A table drawn without any rules: at least this many rows of cells in line...
MIN_ALIGNED_ROWS = 3
#: ... averaging at most this many characters a cell (a column of body text runs longer).
ALIGNED_CELL_CHARS = 12
#: The opening of a list item or an article (（一） 1. 一、 ① 第三条): a column of
#: these beside short text is a list, not a table.
_ENUMERATOR = re.compile(r"^(?:[（(]?[一二三四五六七八九十\d]{1,3}[）)、.．]|[①-⑳]|第[一二三四五六七八九十百\d]+[条章节款])")
#: Rows are looked up by their centre in steps of this many points.
BUCKET = 4.0
_SUPERSCRIPTS = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


@dataclass
class Glyph:
    """One character as drawn: its box, font size and weight."""

    char: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    bold: bool = False


@dataclass
class Line:
    """A run of text on one row of one column: the unit the layout works with."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    bold: bool = False
    #: OCR: the recogniser's confidence in the line, 0–100.
    confidence: float | None = None
    #: Its number in the laid-out text (1-based), given by the layout.
    number: int = 0

    @property
    def box(self) -> Box:
        return (self.x0, self.top, self.x1, self.bottom)

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def center_y(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class Grid:
    """A table found on a page: its box and its cells' lines, row by row."""

    box: Box
    rows: list[list[list[Line]]]
    #: Rows in the table's head (the rows above the first rule inside it, or a bold first row).
    header: int = 0

    @property
    def x0(self) -> float:
        return self.box[0]

    @property
    def top(self) -> float:
        return self.box[1]

    @property
    def x1(self) -> float:
        return self.box[2]

    @property
    def bottom(self) -> float:
        return self.box[3]


@dataclass
class PageContent:
    """What a page holds, as the layout needs it."""

    number: int  # 1-based
    width: float
    height: float
    lines: list[Line]
    images: list[Box] = field(default_factory=list)
    rules: list[Box] = field(default_factory=list)
    #: The page was read by OCR (its lines carry a confidence).
    ocr: bool = False
    #: Characters of its text layer without a Unicode value (a font without a Unicode map).
    unmapped: int = 0


def is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH"))


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum() or unicodedata.category(char)[0] == "L" and not is_han(char)


def glyph_lines(glyphs: Iterable[Glyph]) -> list[Line]:
    """The lines of a page: glyphs, taken left to right, join the row whose last
    glyph they follow on the same baseline (so two columns set a little out of
    step never mix), and each row is cut into segments at wide gaps (gutters,
    table cells). Whitespace glyphs only say where a space goes; a glyph drawn
    twice over itself (a simulated bold) counts once; small raised digits
    (footnote markers) become superscript characters (¹) that the sentence
    splitter knows."""
    rows: list[list[Glyph]] = []
    anchors: list[Glyph] = []  # each row's last full-size glyph
    buckets: dict[int, list[int]] = {}  # rows by their anchor's centre, in steps of BUCKET points
    for glyph in sorted(glyphs, key=lambda g: (g.x0, g.top)):
        if g_empty(glyph):
            continue
        middle = (glyph.top + glyph.bottom) / 2
        reach = glyph.bottom - glyph.top + 1.0
        best, distance = -1, float("inf")
        for bucket in range(int((middle - reach) // BUCKET), int((middle + reach) // BUCKET) + 1):
            for k in buckets.get(bucket, ()):
                anchor = anchors[k]
                height = max(anchor.bottom - anchor.top, glyph.bottom - glyph.top)
                offset = abs((anchor.top + anchor.bottom) / 2 - middle)
                # A small raised glyph (a note's marker) inside the row's height belongs to it too.
                raised = glyph.size < 0.8 * anchor.size and glyph.top >= anchor.top - 0.2 * height \
                    and glyph.bottom <= anchor.bottom + 0.1 * height
                if (offset <= 0.4 * height or raised) and rows[k][-1].x1 <= glyph.x0 + 0.7 * height \
                        and offset < distance:
                    best, distance = k, offset
        if best >= 0 and _same_glyph(rows[best][-1], glyph):
            continue
        if best < 0:
            rows.append([glyph])
            anchors.append(glyph)
            buckets.setdefault(int(middle // BUCKET), []).append(len(rows) - 1)
            continue
        rows[best].append(glyph)
        if glyph.size >= 0.8 * anchors[best].size:
            old = int(((anchors[best].top + anchors[best].bottom) / 2) // BUCKET)
            anchors[best] = glyph
            new = int(middle // BUCKET)
            if new != old:
                buckets[old].remove(best)
                buckets.setdefault(new, []).append(best)
    lines: list[Line] = []
    for row in sorted(rows, key=lambda r: (min(g.top for g in r), r[0].x0)):
        lines.extend(_row_segments(row))
    return lines


def g_empty(glyph: Glyph) -> bool:
    return glyph.x1 <= glyph.x0 and not glyph.char.isspace()


def _same_glyph(a: Glyph, b: Glyph) -> bool:
    return a.char == b.char and abs(a.x0 - b.x0) <= 1.0 and abs(a.top - b.top) <= 1.0 and not a.char.isspace()


def _row_segments(row: list[Glyph]) -> list[Line]:
    """A row's glyphs cut at gaps much wider than its usual spacing."""
    visible = [g for g in row if not g.char.isspace()]
    if not visible:
        return []
    size = statistics.median(g.size for g in visible)
    gaps = [b.x0 - a.x1 for a, b in zip(visible, visible[1:])]
    usual = statistics.median(gaps) if gaps else 0.0
    limit = max(SEGMENT_GAP * size, SPACED_GAP * usual)
    segments: list[list[Glyph]] = [[visible[0]]]
    for previous, glyph in zip(visible, visible[1:]):
        if glyph.x0 - previous.x1 > limit:
            segments.append([glyph])
        else:
            segments[-1].append(glyph)
    # Characters set apart one by one (计 算 机 学 报) are one run of text; a bullet goes with its text.
    merged: list[list[Glyph]] = [segments[0]]
    for segment in segments[1:]:
        last = merged[-1]
        if len(last) == 1 and not (last[0].char.isalnum()) and segment[0].x0 - last[0].x1 <= 2 * size:
            last.extend(segment)
        elif len(segment) == 1 and len(last[-1].char) == 1 and (len(last) == 1 or _evenly_spaced(last)) \
                and segment[0].x0 - last[-1].x1 <= 2 * size and is_han(segment[0].char) and is_han(last[-1].char):
            last.extend(segment)
        else:
            merged.append(segment)
    spaces = [g for g in row if g.char.isspace()]
    return [_segment_line(segment, spaces, size) for segment in merged]


def _evenly_spaced(glyphs: list[Glyph]) -> bool:
    gaps = [b.x0 - a.x1 for a, b in zip(glyphs, glyphs[1:])]
    return max(gaps) - min(gaps) <= 0.25 * glyphs[0].size


def _segment_line(glyphs: list[Glyph], spaces: list[Glyph], row_size: float) -> Line:
    body = [g for g in glyphs if g.size >= 0.8 * row_size] or glyphs
    size = statistics.median(g.size for g in body)
    middle = statistics.median((g.top + g.bottom) / 2 for g in body)
    parts: list[str] = []
    previous: Glyph | None = None
    for glyph in glyphs:
        char = glyph.char
        raised = glyph.size < 0.8 * size and (glyph.top + glyph.bottom) / 2 < middle - 0.15 * size
        if raised and (char.isdigit() or char in "()"):
            char = char.translate(_SUPERSCRIPTS)
        if previous is not None and parts:
            gap = glyph.x0 - previous.x1
            spaced = any(previous.x1 - 0.5 <= s.x0 and s.x1 <= glyph.x0 + 0.5 for s in spaces)
            if _is_word_char(parts[-1][-1]) and _is_word_char(char[0]) and (spaced or gap > WORD_GAP * size) \
                    or spaced and not (is_han(parts[-1][-1]) and is_han(char[0])):
                parts.append(" ")
        parts.append(char)
        previous = glyph
    bold = sum(g.bold for g in body) * 2 > len(body)
    return Line("".join(parts).strip(), min(g.x0 for g in glyphs), min(g.top for g in body),
                max(g.x1 for g in glyphs), max(g.bottom for g in body), size, bold)


# -- reading order ---------------------------------------------------------------------------------


def reading_order(items: Sequence, size: float) -> list[list]:
    """``items`` (lines and tables, anything with a box) in reading order, as the
    regions of a recursive cut: columns left to right, each top to bottom; a
    title, figure or footnote that spans the columns cuts them into bands read
    one after another. Each region is a list of items in order."""
    regions: list[list] = []
    _cut(list(items), size, regions)
    return regions


def _cut(items: list, size: float, out: list[list]) -> None:
    if len(items) <= 1:
        if items:
            out.append(items)
        return
    gutter = _gutter(items, size)
    if gutter is None:
        out.append(sorted(items, key=lambda i: (i.top, i.x0)))
        return
    start, end = gutter
    crossing = [i for i in items if i.x0 < start and i.x1 > end]
    if not crossing:
        middle = (start + end) / 2
        _cut([i for i in items if (i.x0 + i.x1) / 2 < middle], size, out)
        _cut([i for i in items if (i.x0 + i.x1) / 2 >= middle], size, out)
        return
    # Bands between the items that span the gutter, each read on its own.
    band: list = []
    spanning = sorted(crossing, key=lambda i: i.top)
    others = sorted((i for i in items if not (i.x0 < start and i.x1 > end)), key=lambda i: i.top)
    k = 0
    for item in spanning:
        while k < len(others) and others[k].top < item.top:
            band.append(others[k])
            k += 1
        if band:
            _cut(band, size, out)
            band = []
        out.append([item])
    band.extend(others[k:])
    if band:
        _cut(band, size, out)


def _gutter(items: list, size: float) -> tuple[float, float] | None:
    """The widest vertical strip, at least :data:`GUTTER_SIZES` wide, that few items
    cross and that has columns of text on both sides; ``None`` when the region is one column."""
    left = min(i.x0 for i in items)
    right = max(i.x1 for i in items)
    width = int(right - left) + 2
    cover = [0] * (width + 1)
    for i in items:
        a, b = int(i.x0 - left), int(i.x1 - left) + 1
        cover[max(a, 0)] += 1
        cover[min(b, width)] -= 1
    counts = []
    running = 0
    for delta in cover[:width]:
        running += delta
        counts.append(running)
    limit = max(1, int(GUTTER_CROSSING * len(items)))
    # The cleanest strip first: crossed by no item, then by one, ... up to the limit.
    for allowed in sorted({c for c in counts if c <= limit}):
        best = _widest_strip(items, counts, left, right, allowed, size)
        if best is not None:
            return best
    return None


def _widest_strip(items: list, counts: list[int], left: float, right: float, allowed: int,
                  size: float) -> tuple[float, float] | None:
    best: tuple[float, float] | None = None
    width = len(counts)
    x = 0
    while x < width:
        if counts[x] > allowed:
            x += 1
            continue
        start = x
        while x < width and counts[x] <= allowed:
            x += 1
        a, b = left + start, left + x - 1
        if b - a < GUTTER_SIZES * size or a <= left + size or b >= right - size:
            continue
        before = [i for i in items if i.x1 <= b and not (i.x0 < a and i.x1 > b)]
        after = [i for i in items if i.x0 >= a and not (i.x0 < a and i.x1 > b)]
        if not before or not after or len(before) + len(after) < 3:
            continue
        # A column may hold a single line (a paragraph's last, carried over), no less.
        if _extent(before) < 0.8 * size or _extent(after) < 0.8 * size:
            continue
        # A column holds lines of text, not a row of labels (第十四条, (一)) before their text.
        if min(_upper_quartile([i.x1 - i.x0 for i in side]) for side in (before, after)) < COLUMN_SIZES * size:
            continue
        if best is None or b - a > best[1] - best[0]:
            best = (a, b)
    return best


def _upper_quartile(values: list[float]) -> float:
    return sorted(values)[(3 * len(values)) // 4]


def _extent(items: list) -> float:
    """The height the items cover (overlaps counted once)."""
    total = 0.0
    end = float("-inf")
    for item in sorted(items, key=lambda i: i.top):
        if item.bottom > end:
            total += item.bottom - max(item.top, end)
            end = item.bottom
    return total


def merge_rows(lines: Sequence[Line]) -> list[Line]:
    """Lines of one region that stand on one row (第十四条, then its text after a
    tab) become one line, read left to right."""
    ordered: list[Line] = []
    k = 0
    while k < len(lines):
        row = [lines[k]]
        k += 1
        while k < len(lines) and _same_row(row[0], lines[k]):
            row.append(lines[k])
            k += 1
        ordered += sorted(row, key=lambda x: x.x0)
    out: list[Line] = []
    for line in ordered:
        last = out[-1] if out else None
        if last is not None and _same_row(last, line) and line.x0 >= last.x1 - 0.5:
            glue = "" if is_han(last.text[-1:] or "a") and is_han(line.text[:1] or "a") and \
                line.x0 - last.x1 < 0.5 * line.size else " "
            out[-1] = Line(last.text + glue + line.text, last.x0, min(last.top, line.top), line.x1,
                           max(last.bottom, line.bottom), max(last.size, line.size), last.bold and line.bold,
                           _confidence(last, line))
        else:
            out.append(line)
    return out


def _confidence(a: Line, b: Line) -> float | None:
    values = [c for c in (a.confidence, b.confidence) if c is not None]
    return min(values) if values else None


def _same_row(a: Line, b: Line) -> bool:
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return overlap > 0.5 * min(a.height, b.height)


# -- tables ----------------------------------------------------------------------------------------


def find_grids(lines: list[Line], rules: Sequence[Box]) -> tuple[list[Grid], list[Line]]:
    """Ruled tables: horizontal and vertical rules that cross make a grid, and
    the lines inside it are its cells' text. Three-line tables (rules across the
    top, under the head and at the bottom, none down) are cut into columns where
    no line of the table crosses. Returns the tables and the lines outside them."""
    horizontal = _collinear([r for r in rules if r[3] - r[1] <= RULE_THICKNESS], across=True)
    vertical = _collinear([r for r in rules if r[2] - r[0] <= RULE_THICKNESS], across=False)
    horizontal = [r for r in horizontal if r[2] - r[0] > 3 * RULE_THICKNESS]
    vertical = [r for r in vertical if r[3] - r[1] > 3 * RULE_THICKNESS]
    grids: list[Grid] = []
    taken: set[int] = set()
    for box, ys, xs in _ruled_regions(horizontal, vertical):
        inside = [k for k, line in enumerate(lines) if k not in taken and _center_in(line, box)]
        if not inside:
            continue
        members = [lines[k] for k in inside]
        if len(xs) < 3 and (len(ys) < 3 or statistics.mean(len(m.text) for m in members) > MAX_CELL_CHARS):
            continue  # rules above and below text, not a table's three rules around short cells
        columns = xs if len(xs) >= 3 else _aligned_columns(members, box)
        if len(columns) < 3:
            continue
        rows_y = ys if len(xs) >= 3 else _text_rows(members, box)
        grid = _fill(members, box, rows_y, columns)
        if grid is None:
            continue
        if len(xs) < 3:
            grid.header = _three_line_head(ys, rows_y)
        grids.append(grid)
        taken.update(inside)
    return grids, [line for k, line in enumerate(lines) if k not in taken]


def find_aligned_grids(lines: list[Line]) -> tuple[list[Grid], list[Line]]:
    """Tables drawn without any rules: :data:`MIN_ALIGNED_ROWS` or more rows, one
    under another, each of two or more short cells set apart by wide gaps (a row's
    segments), the cells of every row falling in the same columns (no cell crosses
    a gutter between them). Text of another page column on the table's rows, or
    between them, lies wholly beside the table and is not part of it; text across
    the table between its rows ends it. A list (every row opening with an
    enumerator) and a column that averages more than :data:`ALIGNED_CELL_CHARS`
    characters a cell (body text beside a few short lines) are not tables.
    Returns the tables and the lines outside them."""
    grids: list[Grid] = []
    taken: set[int] = set()
    run: list[list[int]] = []
    between: list[int] = []  # lines of the other rows since the run began

    def close() -> None:  # called with a run of rows of two or more cells each
        # The table's span is where most of its rows are: a line wholly beside it
        # (another page column's, on a row of the table) is not one of its cells.
        left = statistics.median(lines[row[0]].x0 for row in run)
        right = statistics.median(max(lines[k].x1 for k in row) for row in run)
        rows = [[k for k in row if lines[k].x1 > left and lines[k].x0 < right] for row in run]
        last = max(lines[k].top for k in run[-1])
        across = any(lines[k].x1 > left and lines[k].x0 < right and lines[k].top < last for k in between)
        if not across and sum(len(row) >= 2 for row in rows) >= MIN_ALIGNED_ROWS:
            grid = _aligned_grid([[lines[k] for k in row] for row in rows if row])
            if grid is not None:
                grids.append(grid)
                taken.update(k for row in rows for k in row)
        run.clear()
        between.clear()

    for row in _page_rows(lines):
        cells = [k for k in row if len(lines[k].text) <= MAX_CELL_CHARS]
        left = min((lines[k].x0 for k in cells), default=0.0)
        right = max((lines[k].x1 for k in cells), default=0.0)
        if len(cells) < 2 or not all(lines[k].x1 < left or lines[k].x0 > right for k in row if k not in cells):
            if run:
                between += row
            continue
        if run:
            height = max(lines[k].height for k in cells)
            gap = min(lines[k].top for k in cells) - max(lines[k].bottom for k in run[-1])
            previous = (lines[run[-1][0]].x0, max(lines[k].x1 for k in run[-1]))
            if gap > 2 * height or _overlap((left, right), previous) <= 0.5 * min(right - left,
                                                                                   previous[1] - previous[0]):
                close()
        run.append(sorted(cells, key=lambda k: lines[k].x0))
    if run:
        close()
    return grids, [line for k, line in enumerate(lines) if k not in taken]


def _page_rows(lines: list[Line]) -> list[list[int]]:
    """The lines' indexes, row by row from the top (lines that share most of their height)."""
    rows: list[list[int]] = []
    for k in sorted(range(len(lines)), key=lambda k: (lines[k].center_y, lines[k].x0)):
        if rows and _same_row(lines[rows[-1][0]], lines[k]):
            rows[-1].append(k)
        else:
            rows.append([k])
    return rows


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


def _aligned_grid(rows: list[list[Line]]) -> Grid | None:
    members = [line for row in rows for line in row]
    if all(_ENUMERATOR.match(row[0].text) for row in rows):
        return None
    box = (min(m.x0 for m in members), min(m.top for m in members),
           max(m.x1 for m in members), max(m.bottom for m in members))
    columns = _aligned_columns(members, box)
    if len(columns) < 3:
        return None
    lengths: dict[int, list[int]] = {}
    for row in rows:  # two cells of a row in one column: they do not line up
        slots = [_slot(columns, (line.x0 + line.x1) / 2) for line in row]
        if len(set(slots)) < len(slots):
            return None
        for slot, line in zip(slots, row):
            lengths.setdefault(slot, []).append(len(line.text))
    if any(statistics.mean(found) > ALIGNED_CELL_CHARS for found in lengths.values()):
        return None  # a column of body text beside a few short lines
    return _fill(members, box, _text_rows(members, box), columns)


def _collinear(rules: list[Box], across: bool) -> list[Box]:
    """Rules drawn in pieces (a cell's border at a time) joined into whole lines."""
    if not across:
        flipped = _collinear([(r[1], r[0], r[3], r[2]) for r in rules], across=True)
        return [(r[1], r[0], r[3], r[2]) for r in flipped]
    out: list[list[float]] = []
    for x0, top, x1, bottom in sorted(rules, key=lambda r: (round((r[1] + r[3]) / 2), r[0])):
        last = out[-1] if out else None
        if last is not None and abs((last[1] + last[3]) / 2 - (top + bottom) / 2) <= 1.0 and x0 <= last[2] + 1.5:
            last[2] = max(last[2], x1)
            last[1], last[3] = min(last[1], top), max(last[3], bottom)
        else:
            out.append([x0, top, x1, bottom])
    return [(a, b, c, d) for a, b, c, d in out]


def _ruled_regions(horizontal: list[Box], vertical: list[Box]) -> list[tuple[Box, list[float], list[float]]]:
    """Groups of horizontal rules of one width stacked (three or more), with the
    vertical rules within them: each a table's box, row edges and column edges."""
    tol = 3.0
    regions: list[tuple[Box, list[float], list[float]]] = []
    used = [False] * len(horizontal)
    order = sorted(range(len(horizontal)), key=lambda k: horizontal[k][1])
    for k in order:
        if used[k]:
            continue
        x0, _, x1, _ = horizontal[k]
        group = [j for j in order if not used[j] and abs(horizontal[j][0] - x0) <= tol + 0.02 * (x1 - x0)
                 and abs(horizontal[j][2] - x1) <= tol + 0.02 * (x1 - x0)]
        ys = _clusters([(horizontal[j][1] + horizontal[j][3]) / 2 for j in group], tol)
        if len(ys) < 2:
            continue
        # Stacked rules belong to one table only while the gaps between them stay table-like.
        ys = _contiguous(ys)
        if len(ys) < 2:
            continue
        for j in group:
            if ys[0] - tol <= horizontal[j][1] <= ys[-1] + tol:
                used[j] = True
        box = (min(x0, x1), ys[0], max(x0, x1), ys[-1])
        downs = [v for v in vertical if v[1] <= ys[-1] + tol and v[3] >= ys[0] - tol
                 and box[0] - tol <= v[0] <= box[2] + tol]
        xs = _clusters([(v[0] + v[2]) / 2 for v in downs], tol)
        if xs and (len(ys) >= 3 or len(xs) >= 2):
            xs = sorted({box[0], *xs, box[2]})
            xs = _clusters(xs, tol)
        regions.append((box, ys, xs if len(xs) >= 3 else []))
    return regions


def _contiguous(ys: list[float]) -> list[float]:
    """The first run of rules no further apart than ten times the smallest gap
    (a rule far below belongs to something else)."""
    if len(ys) < 3:
        return ys
    gaps = [b - a for a, b in zip(ys, ys[1:])]
    smallest = max(min(gaps), 4.0)
    run = [ys[0]]
    for gap, y in zip(gaps, ys[1:]):
        if gap > 40 * smallest:
            break
        run.append(y)
    return run


def _clusters(values: list[float], tol: float) -> list[float]:
    out: list[float] = []
    for value in sorted(values):
        if out and value - out[-1] <= tol:
            continue
        out.append(value)
    return out


def _center_in(line: Line, box: Box) -> bool:
    x = (line.x0 + line.x1) / 2
    return box[0] - 1 <= x <= box[2] + 1 and box[1] - 1 <= line.center_y <= box[3] + 1


def _aligned_columns(lines: list[Line], box: Box) -> list[float]:
    """Column edges of a table without vertical rules: where no line crosses."""
    spans = sorted((line.x0, line.x1) for line in lines)
    edges = [box[0]]
    end = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 > end + 2:
            edges.append((end + x0) / 2)
        end = max(end, x1)
    edges.append(box[2])
    return edges


def _text_rows(lines: list[Line], box: Box) -> list[float]:
    """Row edges of a table without rules across every row: between rows of text."""
    ordered = sorted(lines, key=lambda line: line.top)
    edges = [box[1]]
    bottom = ordered[0].bottom
    for line in ordered[1:]:
        if line.top >= bottom - 0.3 * line.height:
            edges.append((bottom + line.top) / 2)
        bottom = max(bottom, line.bottom)
    edges.append(box[3])
    return edges


def _three_line_head(rules: list[float], rows: list[float]) -> int:
    """A three-line table's head: the text rows above its second rule."""
    if len(rules) < 3:
        return 0
    return max(0, sum(1 for y in rows[1:-1] if y < rules[1]))


def _fill(lines: list[Line], box: Box, ys: list[float], xs: list[float]) -> Grid | None:
    rows: list[list[list[Line]]] = [[[] for _ in range(len(xs) - 1)] for _ in range(len(ys) - 1)]
    for line in lines:
        row = _slot(ys, line.center_y)
        column = _slot(xs, (line.x0 + line.x1) / 2)
        rows[row][column].append(line)
    rows = [r for r in rows if any(r)]
    if len(rows) < 2:
        return None
    width = len(xs) - 1
    keep = [c for c in range(width) if any(r[c] for r in rows)]
    rows = [[r[c] for c in keep] for r in rows]
    if len(keep) < 2:
        return None
    # A chart's grid holds its axis labels at the edges, a table text in most cells.
    if sum(1 for r in rows for cell in r if cell) < MIN_FILLED * len(rows) * len(keep):
        return None
    header = 1 if rows[0] and all(line.bold for cell in rows[0] for line in cell) and any(rows[0]) else 0
    return Grid(box, rows, header)


def _slot(edges: list[float], value: float) -> int:
    for k in range(len(edges) - 1):
        if value < edges[k + 1]:
            return k
    return len(edges) - 2
