"""What a page's lines are, from their geometry: running headers and footers and
page numbers (page furniture, left out), footnotes, headings, the title,
captions under pictures, tables, and paragraphs made of lines.

:class:`PageLayout` takes the pages one at a time (so a long PDF streams) and
gives :class:`~pipeline.read.pieces.Piece` objects whose kind is fixed where the
geometry is certain (a heading by its size, a footnote at the page's foot, a
table), and whose :attr:`~pipeline.read.pieces.Piece.open_end` says whether a
paragraph's last line runs to the column's edge; the layout repair rules
(:mod:`pipeline.read.layout`) then classify the rest and join paragraphs broken
across columns and pages. Running headers and footers need every page: they are
decided at the end (:meth:`PageLayout.finish`).

Line numbers: the lines are numbered as they are laid out, page by page: the
page's header lines, its body in reading order (a table row by row), its
footnotes, its footer lines. ``Block.lines`` are these numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from dataclasses import dataclass

import regex

from pipeline.core.errors import SourceError
from pipeline.core.model import Document, Flag
from pipeline.read.geometry import (
    Grid,
    Line,
    PageContent,
    find_aligned_grids,
    find_grids,
    merge_rows,
    reading_order,
)
from pipeline.read.pieces import Cell, Piece, Table, joiner
from pipeline.read.source import SourceText, detect_script
from pipeline.read.sentences import FINAL_MARKS

#: Rows this close to the top or the bottom of a page (share of its height) may be its furniture.
BAND = 0.12
#: Text at least this much larger than the body is a heading; this much smaller at a page's foot, a footnote.
HEADING_RATIO = 1.1
OCR_HEADING_RATIO = 1.4
NOTE_RATIO = 0.9
#: The title is this much larger than the body at least.
TITLE_RATIO = 1.3
MAX_HEADING_CHARS = 40
MAX_CAPTION_CHARS = 80
#: OCR lines the recogniser is less sure of than this (0–100) are flagged for review.
LOW_CONFIDENCE = 70.0

_ROMAN = r"(?i:[ivxlcdm]{1,7})"
#: A page number on its own: 12, - 12 -, — 12 —, 第12页, 12 / 40, Page 12, 共40页 第12页, xii.
PAGE_NUMBER = regex.compile(
    r"^(?:[-–—·•\s]*(?:\d{1,5}|" + _ROMAN + r")[-–—·•\s]*|第\s*\d{1,5}\s*页(?:\s*[/，,]?\s*共\s*\d{1,5}\s*页)?"
    r"|共\s*\d{1,5}\s*页\s*第\s*\d{1,5}\s*页|\d{1,5}\s*[/／]\s*\d{1,5}|(?i:page)\s*\d{1,5}(?:\s*(?i:of)\s*\d{1,5})?)$"
)
#: A number in a page's margin: the original edition's page (14(I)), a line number.
_MARGIN_NUMBER = regex.compile(r"^[\d\s()（）\[\]IVXivx.,，-]{1,10}$")
#: Where a note begins: a marker (¹, ①, [1], (1), 1), *), or 注.
_NOTE_BEGINS = regex.compile(
    r"^(?:[\N{SUPERSCRIPT ONE}\N{SUPERSCRIPT TWO}\N{SUPERSCRIPT THREE}\N{SUPERSCRIPT FOUR}-\N{SUPERSCRIPT NINE}"
    r"\N{SUPERSCRIPT ZERO}⁽]+|[\N{CIRCLED DIGIT ONE}-\N{CIRCLED NUMBER TWENTY}]|[\[［〔(（《]\s*\d{1,3}\s*[\]］〕)）]"
    r"|\d{1,3}\s*[)）.．]|[*†‡]|注\s*\d*\s*[:：])"
)
#: A list item's marker, after which a wrapped line hangs: （一） 1. ① 第十四条 一、 • -
_LIST_MARKER = regex.compile(
    r"^(?:[(（][一二三四五六七八九十\d]{1,3}[)）]|[\[［]\d{1,3}[\]］]|\d{1,3}[.．、)]|[\N{CIRCLED DIGIT ONE}-\N{CIRCLED NUMBER TWENTY}]"
    r"|第[一二三四五六七八九十百零\d]+[条章节款]|[一二三四五六七八九十]+、|[•·▪●\-–])"
)
_DIGITS = regex.compile(r"\d+")
_KEY_DROP = regex.compile(r"[\s\p{P}]+")


def _key(text: str) -> str:
    """A row's text with numbers and spacing ignored: 第 3 页 and 第 4 页 are one."""
    return _DIGITS.sub("#", _KEY_DROP.sub("", text))


@dataclass
class _Band:
    """A row at the top or the bottom of a page that may be its furniture."""

    piece: Piece
    page: int
    side: str  # "top" | "bottom"
    y: float  # its centre as a share of the page's height
    height: float  # as a share of the page's height
    key: str
    segments: list[str]  # keys of its parts, left to right
    numbers: list[int]  # numbers at its ends


class PageLayout:
    """Pages in, pieces out: call :meth:`add` for every page, then :meth:`finish`."""

    def __init__(self) -> None:
        self.pieces: list[Piece] = []
        self.removed: list[tuple[Piece, str]] = []
        self._bands: list[_Band] = []
        self._line = 0
        self._sizes: Counter[float] = Counter()
        #: Pages added since the last :meth:`finish` (their furniture is judged together).
        self.pages = 0
        #: The last body paragraph, whose open end waits for the next one's first line.
        self._open: tuple[Piece, bool, float] | None = None
        #: Each piece's largest font size (for the title).
        self._size: dict[int, float] = {}

    # -- one page --------------------------------------------------------------------------------

    def add(self, page: PageContent) -> None:
        """Lay out one page: its pieces are appended in reading order."""
        self.pages += 1
        lines = [line for line in page.lines if line.text.strip()]
        for line in lines:  # an OCR'd line's height is a rough size: whole points
            self._sizes[round(line.size) if page.ocr else round(line.size * 2) / 2] += len(line.text)
        body = self._body_size()
        top, bottom, lines = _bands(lines, page)
        lines = self._margin_numbers(lines, page)
        grids, lines = find_grids(lines, page.rules)
        aligned, lines = find_aligned_grids(lines)
        regions = [_aligned_tables(region) for region in reading_order([*lines, *grids, *aligned], body)]
        notes: list[Piece] = []
        body_pieces: list[Piece] = []
        for row in top:
            self._band(row, page, "top")
        bottom_edge = max((r[-1].bottom for r in regions if r), default=0.0)
        for region in regions:
            items: list = []
            for item in region:
                if isinstance(item, Grid):
                    if items:
                        body_pieces += self._paragraphs(merge_rows(items), page, body)
                        items = []
                    body_pieces.append(self._table(item, page))
                else:
                    items.append(item)
            if items:
                items = merge_rows(items)
                split = _note_start(items, page, body, bottom_edge)
                body_pieces += self._paragraphs(items[:split], page, body)
                notes += self._paragraphs(items[split:], page, body, note=True)
        self._captions(body_pieces, page)
        self._title(body_pieces, page)
        self.pieces += body_pieces
        self.pieces += notes
        for row in bottom:
            self._band(row, page, "bottom")

    def _body_size(self) -> float:
        return max(self._sizes, key=self._sizes.__getitem__) if self._sizes else 10.0

    def _number(self, lines: Sequence[Line]) -> list[int]:
        numbers = []
        for line in lines:
            self._line += 1
            line.number = self._line
            numbers.append(self._line)
        return numbers

    def _piece(self, lines: list[Line], page: PageContent, kind: str = "paragraph", fixed: bool = False) -> Piece:
        text = ""
        for line in lines:
            text += (joiner(text, line.text) if text else "") + line.text
        box = [round(min(x.x0 for x in lines), 1), round(min(x.top for x in lines), 1),
               round(max(x.x1 for x in lines), 1), round(max(x.bottom for x in lines), 1)]
        address: dict = {"page": page.number, "box": box}
        piece = Piece(text, self._number(lines), kind=kind, fixed=fixed, address=address)
        self._size[id(piece)] = max(x.size for x in lines)
        low = [x for x in lines if x.confidence is not None and x.confidence < LOW_CONFIDENCE]
        if page.ocr:
            address["ocr"] = True
            confidences = [x.confidence for x in lines if x.confidence is not None]
            if confidences:
                address["confidence"] = round(min(confidences), 1)
        if low:
            piece.flags.append(Flag(
                "ocr-low-confidence",
                f"OCR read {'this line' if len(lines) == 1 else f'{len(low)} of its {len(lines)} lines'} "
                f"with low confidence ({round(min(x.confidence for x in low))}% < {LOW_CONFIDENCE:.0f}%) "
                f"on page {page.number}: check it against the page",
            ))
        return piece

    # -- furniture --------------------------------------------------------------------------------

    def _band(self, row: list[Line], page: PageContent, side: str) -> None:
        piece = self._piece(row, page)
        piece.text = " ".join(x.text for x in row)
        numbers = [int(m) for x in (row[0], row[-1]) for m in _edge_numbers(x.text)]
        center = (min(x.top for x in row) + max(x.bottom for x in row)) / 2
        self._bands.append(_Band(piece, page.number, side, center / page.height,
                                 max(x.bottom for x in row) / page.height - min(x.top for x in row) / page.height,
                                 _key(piece.text), [k for k in (_key(x.text) for x in row) if len(k) >= 2],
                                 numbers))
        self.pieces.append(piece)

    def _margin_numbers(self, lines: list[Line], page: PageContent) -> list[Line]:
        """Numbers in a page's side margin (an edition's page, line numbers) are furniture."""
        long = [x for x in lines if len(x.text) >= 10]
        if len(long) < 3:
            return lines
        left = sorted(x.x0 for x in long)[len(long) // 10]
        right = sorted(x.x1 for x in long)[-1 - len(long) // 10]
        kept = []
        for line in lines:
            if (line.x1 < left - 2 or line.x0 > right + 2) and _MARGIN_NUMBER.match(line.text) \
                    and not any(_near_on_row(line, other) for other in lines if other is not line):
                self.removed.append((self._piece([line], page), "page-furniture"))
            else:
                kept.append(line)
        return kept

    @property
    def open_piece(self) -> Piece | None:
        """The last body paragraph, while the next page may yet continue it."""
        return self._open[0] if self._open is not None else None

    def finish(self) -> tuple[list[Piece], list[tuple[Piece, str]]]:
        """The pieces of the pages added since the last call, in reading order,
        less the page furniture (judged over those pages), which is returned as
        ``(piece, "page-furniture")`` pairs. The layout then goes on with the next
        page as before (a paragraph left open on the last page is continued)."""
        furniture = {id(b.piece) for b in self._bands if _is_furniture(b, self._bands, self.pages)}
        # A header row right next to one that is furniture (the journal's second line) is too.
        changed = True
        while changed:
            changed = False
            for band in self._bands:
                if id(band.piece) in furniture:
                    continue
                if any(id(o.piece) in furniture and o.page == band.page and o.side == band.side
                       and abs(o.y - band.y) <= 1.6 * max(o.height, band.height) for o in self._bands):
                    furniture.add(id(band.piece))
                    changed = True
        kept = []
        for piece in self.pieces:
            if id(piece) in furniture:
                self.removed.append((piece, "page-furniture"))
            else:
                kept.append(piece)
        order = {line: k for k, p in enumerate(self.pieces) for line in p.lines[:1]}
        removed = sorted(self.removed, key=lambda r: order.get(r[0].lines[0], r[0].lines[0]))
        self.pieces, self.removed, self._bands, self._size, self.pages = [], [], [], {}, 0
        return kept, removed

    # -- body ----------------------------------------------------------------------------------------

    def _paragraphs(self, lines: list[Line], page: PageContent, body: float, note: bool = False) -> list[Piece]:
        """Lines of one region as paragraphs: a line goes on in the next while it
        runs to the region's right edge and the next is not indented (or hangs
        under a list marker); headings stand alone by size or weight."""
        if not lines:
            return []
        edges = _edges(lines)
        groups: list[list[Line]] = []
        for line in lines:
            if groups and self._continues(groups[-1], line, edges, body, note, page.ocr):
                groups[-1].append(line)
            else:
                groups.append([line])
        pieces = []
        for group in groups:
            kind = "footnote" if note else _kind(group, body, page.ocr)
            piece = self._piece(group, page, kind, fixed=kind != "paragraph")
            if kind == "paragraph":
                self._link(piece, group, *edges[_size_class(group[0])])
            pieces.append(piece)
        return pieces

    def _continues(self, group: list[Line], line: Line, edges: dict[float, tuple[float, float]], body: float,
                   note: bool, ocr: bool) -> bool:
        last = group[-1]
        size = max(last.size, line.size)
        left, right = edges[_size_class(last)]
        if abs(last.size - line.size) > 0.12 * size or line.top - last.bottom > 1.2 * max(last.height, line.height):
            return False
        if note and _NOTE_BEGINS.match(line.text):
            return False
        kinds = (_kind([last], body, ocr), _kind([line], body, ocr))
        if "heading" in kinds:
            return kinds == ("heading", "heading") and line.top - last.bottom < 0.8 * line.height
        if last.x1 < right - 1.5 * size:
            return False  # a short line ends its paragraph
        if line.x0 <= left + 0.9 * size:
            return True
        # A wrapped line hangs under a list item's text.
        first = group[0]
        return bool(_LIST_MARKER.match(first.text)) and line.x0 > first.x0 + 0.9 * size

    def _link(self, piece: Piece, group: list[Line], left: float, right: float) -> None:
        """Give the previous paragraph its open end, now that the next one's first line is known."""
        if self._open is not None:
            previous, full, width = self._open
            indented = group[0].x0 > left + 0.9 * group[0].size
            # A paragraph goes on into a column no wider than its own (not from a sidebar into the
            # main text); the next column may hold less, down to its one last line.
            similar = right - left <= 1.15 * width
            previous.open_end = full and not indented and similar
        last = group[-1]
        self._open = (piece, last.x1 >= right - 1.5 * last.size, right - left)

    def _table(self, grid: Grid, page: PageContent) -> Piece:
        rows = []
        lines: list[int] = []
        for row in grid.rows:
            cells = []
            for cell in row:
                text = ""
                for line in sorted(cell, key=lambda x: (x.top, x.x0)):
                    text += (joiner(text, line.text) if text else "") + line.text
                cells.append(Cell(text, [], []))
                lines += self._number(cell)
            rows.append(cells)
        width = max(len(r) for r in rows)
        table = Table(grid.header, [""] * width, rows)
        text = "\n".join(" | ".join(c.text for c in row) for row in rows)
        box = [round(v, 1) for v in grid.box]
        self._open = None
        return Piece(text, sorted(lines) or [self._line], kind="table", fixed=True, table=table,
                     address={"page": page.number, "box": box})

    def _captions(self, pieces: list[Piece], page: PageContent) -> None:
        """A short line right under a picture is its caption."""
        for piece in pieces:
            if piece.fixed or len(piece.text) > MAX_CAPTION_CHARS:
                continue
            x0, top, x1, _ = piece.address["box"]
            for ix0, _, ix1, ibottom in page.images:
                overlap = min(x1, ix1) - max(x0, ix0)
                if 0 <= top - ibottom <= 24 and overlap > 0.3 * (x1 - x0):
                    piece.kind, piece.fixed, piece.open_end = "caption", True, None
                    break

    def _title(self, pieces: list[Piece], page: PageContent) -> None:
        """On the first page, the largest heading in its upper half is the title."""
        if page.number != 1 or any(p.kind == "title" for p in self.pieces):
            return
        headings = [p for p in pieces[:6] if p.kind == "heading" and p.address["box"][1] < page.height / 2
                    and self._size[id(p)] >= TITLE_RATIO * self._body_size()]
        if headings:
            largest = max(headings, key=lambda p: (self._size[id(p)], -pieces.index(p)))
            largest.kind = "title"


def _aligned_tables(region: list) -> list:
    """A region (one page column, in reading order) with its tables drawn without
    rules found again within it: a table beside another column's text on the same
    rows is seen only once the columns are apart."""
    found, rest = find_aligned_grids([item for item in region if isinstance(item, Line)])
    if not found:
        return region
    kept = {id(line) for line in rest}
    items = [item for item in region if not isinstance(item, Line) or id(item) in kept]
    return sorted([*items, *found], key=lambda item: (item.top, item.x0))


def _size_class(line: Line) -> float:
    return round(line.size * 2) / 2


def _edges(lines: list[Line]) -> dict[float, tuple[float, float]]:
    """Per size of text, the left and right edges its lines run between in this
    region (a title may be wider than the abstract under it)."""
    by_size: dict[float, list[Line]] = {}
    for line in lines:
        by_size.setdefault(_size_class(line), []).append(line)
    return {size: (min(x.x0 for x in group), max(x.x1 for x in group)) for size, group in by_size.items()}


def _kind(lines: list[Line], body: float, ocr: bool = False) -> str:
    """A heading by its size, or by its weight when it is short and no sentence.
    An OCR'd line's height is a rougher measure: it must stand out more, and be short."""
    size = max(x.size for x in lines)
    text = "".join(x.text for x in lines)
    if ocr:
        return "heading" if size >= OCR_HEADING_RATIO * body and len(text) <= MAX_HEADING_CHARS \
            and text[-1:] not in FINAL_MARKS else "paragraph"
    if size >= HEADING_RATIO * body and len(text) <= 3 * MAX_HEADING_CHARS:
        return "heading"
    if all(x.bold for x in lines) and len(text) <= MAX_HEADING_CHARS and text[-1:] not in FINAL_MARKS:
        return "heading"
    return "paragraph"


def _bands(lines: list[Line], page: PageContent) -> tuple[list[list[Line]], list[list[Line]], list[Line]]:
    """The rows at the very top and bottom of the page (two at most each), apart
    from the rest: the candidates for running headers, footers and page numbers."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda x: x.top):
        if rows and min(r.bottom for r in rows[-1]) > line.center_y > max(r.top for r in rows[-1]) - 0.0:
            rows[-1].append(line)
        else:
            rows.append([line])
    top = [row for row in rows[:2] if max(x.bottom for x in row) <= BAND * page.height]
    top = rows[:len(top)]
    # The band ends where a gap sets it apart from the body (a note's lines run on without one).
    while top and len(rows) > len(top) and _gap(top[-1], rows[len(top)]) < 0.8 * _height(top[-1]):
        top.pop()
    rest = rows[len(top):]
    bottom = [row for row in rest[-2:] if min(x.top for x in row) >= (1 - BAND) * page.height]
    bottom = rest[len(rest) - len(bottom):] if bottom else []
    while bottom and len(rest) > len(bottom) and _gap(rest[-len(bottom) - 1], bottom[0]) < 0.8 * _height(bottom[0]):
        bottom.pop(0)
    top = [sorted(row, key=lambda x: x.x0) for row in top]
    bottom = [sorted(row, key=lambda x: x.x0) for row in bottom]
    taken = {id(x) for row in top + bottom for x in row}
    return top, bottom, [x for x in lines if id(x) not in taken]


def _near_on_row(line: Line, other: Line) -> bool:
    """``other`` stands on ``line``'s row, closer than one and a half characters
    (a reference's label [1] before its text, not a number in the margin)."""
    overlap = min(line.bottom, other.bottom) - max(line.top, other.top)
    gap = max(other.x0 - line.x1, line.x0 - other.x1)
    return overlap > 0.5 * min(line.height, other.height) and gap < 1.5 * line.size


def _gap(above: list[Line], below: list[Line]) -> float:
    return min(x.top for x in below) - max(x.bottom for x in above)


def _height(row: list[Line]) -> float:
    return max(x.bottom for x in row) - min(x.top for x in row)


def _edge_numbers(text: str) -> list[str]:
    first = regex.match(r"^\s*(\d{1,5})(?!\d)", text)
    last = regex.search(r"(?<!\d)(\d{1,5})\s*$", text)
    return [m.group(1) for m in (first, last) if m]


def _is_furniture(band: _Band, bands: list[_Band], pages: int) -> bool:
    """A bare page number; or text that recurs at the same place on other pages
    (numbers aside); or a row whose end numbers the pages, as rows on other pages do."""
    if PAGE_NUMBER.match(band.piece.text.strip()):
        return True
    same_place = [b for b in bands if b.side == band.side and b.page != band.page and abs(b.y - band.y) <= 0.03]
    needed = max(1, int(0.2 * pages) - 1)
    if band.key and sum(1 for b in same_place if b.key == band.key) >= needed:
        return True
    if any(sum(1 for b in same_place if key in b.segments) >= needed for key in band.segments if key.strip("#")):
        return True
    offsets = {n - band.page for n in band.numbers}
    return bool(offsets) and any(
        any(n - b.page in offsets for n in b.numbers) for b in bands
        if b.side == band.side and b.page != band.page)


def _note_start(lines: list[Line], page: PageContent, body: float, bottom_edge: float) -> int:
    """Where a region's footnotes begin: under a short rule in the lower half of the
    page, or the run of smaller lines at the page's foot that a note marker opens."""
    if not lines:
        return 0
    left = min(x.x0 for x in lines)
    right = max(x.x1 for x in lines)
    for x0, rtop, x1, rbottom in page.rules:
        if rbottom - rtop <= 2.5 and rtop > page.height / 2 and x1 - x0 < 0.6 * (right - left) \
                and abs(x0 - left) < 0.1 * (right - left):
            below = [k for k, x in enumerate(lines) if x.top >= rbottom - 1]
            if below and all(x.top >= rbottom - 1 for x in lines[below[0]:]) and below[0] > 0:
                return below[0]
    if lines[-1].bottom < bottom_edge - 3 * body:
        return len(lines)  # the region ends above the page's foot
    k = len(lines)
    while k > 0 and lines[k - 1].size <= NOTE_RATIO * body:
        k -= 1
    if k == len(lines):
        return k
    # Notes are smaller than the text above them; a region that is all small text
    # is notes only at the very foot of the page.
    if k == 0 and lines[0].top < 0.75 * page.height:
        return len(lines)
    if k > 0 and max(x.size for x in lines[:k]) < body / NOTE_RATIO * 0.95 and lines[k - 1].size < 0.95 * body:
        return len(lines)
    return k if any(_NOTE_BEGINS.match(x.text) for x in lines[k:]) else len(lines)


def tie_notes(pieces: Sequence[Piece]) -> dict[int, int]:
    """For each footnote piece (by index), the body piece before it that carries its marker."""
    ties: dict[int, int] = {}
    for k, piece in enumerate(pieces):
        if piece.kind != "footnote":
            continue
        match = _NOTE_BEGINS.match(piece.text)
        if not match:
            continue
        number = "".join(c for c in match.group(0).translate(_PLAIN) if c.isdigit())
        forms = _marker_forms(number) if number else [match.group(0).strip()]
        for j in range(k - 1, -1, -1):
            if pieces[j].kind not in ("footnote", "table") and any(f in pieces[j].text for f in forms):
                ties[k] = j
                break
    return ties


_PLAIN = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def _marker_forms(number: str) -> list[str]:
    """How a body text writes note ``number``'s marker: ³, ③, [3], (3), ⁽³⁾."""
    superscript = number.translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    forms = [superscript, f"[{number}]", f"［{number}］", f"({number})", f"（{number}）"]
    if 1 <= int(number) <= 20:
        forms.append(chr(0x2460 + int(number) - 1))
    return forms



def finish_document(path: Path, layout: PageLayout, encoding: str, fmt: str) -> Document:
    """The document of a laid-out PDF or image (:func:`document_part` of all its pages)."""
    pieces, removed = layout.finish()
    if not any(p.text.strip() for p in pieces):
        raise no_text(path, removed)
    return document_part(path, pieces, removed, encoding, fmt)


def no_text(path: Path, removed: Sequence[tuple[Piece, str]]) -> SourceError:
    left = f" (only page furniture: {removed[0][0].text[:40]!r})" if removed else ""
    return SourceError(path, f"has no text to translate{left}",
                       "if its pages are pictures of text, run again with --ocr")


def document_part(path: Path, pieces: list[Piece], removed: list[tuple[Piece, str]], encoding: str, fmt: str,
                  script: str | None = None, start: int = 1) -> Document:
    """The document of laid-out pages: the furniture left out, the layout repair
    rules run on the rest, and each footnote tied to the block that cites it
    (``address["note_of"]``). A later part of a long PDF gives the script found
    in the first and its first block number (no title is looked for in it)."""
    from pipeline.read.blocks import build_document
    from pipeline.read.layout import repair

    if script is None:
        script = detect_script("".join(p.text for p in pieces)[:20000])
    pieces, dropped = repair(pieces, script, head=start == 1)
    if any(p.kind == "title" and p.fixed for p in pieces):
        for piece in pieces:  # the page's geometry found the title: the first block is no title by its shape
            if piece.kind == "title" and not piece.fixed:
                piece.kind = "paragraph"
    ties = tie_notes(pieces)
    document = build_document(SourceText(path, "", encoding, script, fmt), pieces, dropped, removed, start=start)
    for note, cited in ties.items():
        address = document.blocks[note].address
        if address is not None:
            address["note_of"] = document.blocks[cited].id
    return document
