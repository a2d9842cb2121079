"""PDFs and page images built from text of known structure, for the PDF and OCR
tests and benchmarks: two columns with running headers and footers, a footnote
under a rule tied to its marker, a heading, a ruled table, paragraphs broken
across columns and pages; Chinese text rendered to a 300-dpi image; and the bad
inputs (encrypted, damaged, no pages, fonts without a Unicode map).

Written with reportlab (BSD) and Pillow (MIT-CMU) in Debian's WenQuanYi Zen Hei
(``fonts-wqy-zenhei``). Each builder returns what it drew, so a test can check
the blocks against the text they were made from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FONT_FILE = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT = "WenQuanYiZenHei"

#: Sentences the paragraphs are made of: every paragraph has its own (a sentence
#: repeated would be dropped as a duplicate, as it should be).
_PLACES = ["杭州", "成都", "上海", "广州", "武汉", "西安", "南京", "重庆", "天津", "沈阳", "长沙", "厦门",
           "济南", "昆明", "青岛", "合肥", "苏州", "福州", "大连", "宁波"]
_CLAUSES = [
    "在老旧小区改造中探索了居民议事会的做法",
    "把社区规划师派驻到街道并定期公开进展",
    "用线上平台收集年轻居民对加装电梯的意见",
    "设立了由政府补贴和居民出资共同组成的更新基金",
    "请高层住户与低层住户坐下来协商补偿方案",
    "为退休老人和上班族分别安排了不同时段的协商会",
]
SENTENCES = [
    "城市更新不仅是物质空间的改造，更是社会关系的重建。",
    "近年来，各地在老旧小区改造中探索了多种居民参与的方式。",
    "调查显示，参与议事会的居民对改造结果的满意度明显更高。",
    "社区规划师制度让专业力量进入街道，缩短了决策与需求之间的距离。",
    "然而，参与往往集中在退休老人群体，年轻上班族的声音较少被听到。",
    "线上议事平台在一定程度上弥补了这一不足，但也带来了新的信息鸿沟。",
    "资金筹措仍是最大的难题，政府补贴、居民出资与社会资本各占一部分。",
    "在加装电梯的案例中，低层住户与高层住户的利益协调尤为关键。",
    "本文认为，制度化的协商机制比一次性的意见征集更为有效。",
    "未来研究可以进一步比较不同城市的治理模式及其长期效果。",
]


@dataclass
class Built:
    """What a builder drew: the texts in reading order, by kind."""

    title: str = ""
    headings: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
    #: Running headers, footers and page numbers, page by page.
    furniture: list[str] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    #: The body text in reading order (headings and paragraphs), as drawn.
    order: list[str] = field(default_factory=list)


def _font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, FONT_FILE, subfontIndex=0))


def paragraph_text(index: int, sentences: int = 4) -> str:
    """A paragraph of ``sentences`` sentences of its own (``index`` below 20), each
    naming a place and what it did, then one general remark."""
    own = [f"{_PLACES[(index + 7 * k) % len(_PLACES)]}{_CLAUSES[(index + k) % len(_CLAUSES)]}，"
           f"第{index + 1}组调查的第{k + 1}项结果由此而来。" for k in range(sentences - 1)]
    return "".join(own) + SENTENCES[index % len(SENTENCES)]


class _Flow:
    """Lays text out in two columns on A4 pages, line by line (10 pt, 20 characters
    a line), drawing the running header and footer on every page."""

    width, height = 595.0, 842.0
    size = 10.0
    chars = 20  # a column line
    left_columns = (60.0, 330.0)
    top, bottom = 110.0, 770.0
    #: Pages start their columns at ``top``; the first page under its title.

    def __init__(self, canvas, built: Built, journal: str):
        self.canvas, self.built, self.journal = canvas, built, journal
        self.page = 0
        self.column = 0
        self.y = 0.0
        self.bottom_of = self.bottom
        self._new_page()

    def _new_page(self) -> None:
        if self.page:
            self.canvas.showPage()
        self.page += 1
        self.column = 0
        self.y = self.top
        self.bottom_of = self.bottom
        c = self.canvas
        c.setFont(FONT, 9)
        header = f"{self.journal}　　2024年第3期"
        c.drawString(60, 842 - 50, header)
        c.drawRightString(535, 842 - 50, str(self.page))
        c.setLineWidth(0.5)
        c.line(60, 842 - 60, 535, 842 - 60)
        footer = f"— {self.page} —"
        c.drawCentredString(self.width / 2, 842 - 800, footer)
        self.built.furniture += [f"{header} {self.page}", footer]

    def _next_column(self) -> None:
        if self.column == 0:
            self.column = 1
            self.y = self.top
            self.bottom_of = self.bottom
        else:
            self._new_page()

    def _line(self, text: str, x_offset: float = 0.0, size: float | None = None, justify: bool = False,
              marker_at: int | None = None) -> None:
        """One line; a ``justify``'d one is spaced out to the column's edge, as a
        typesetter does; a note marker ¹ is set small and raised after ``marker_at`` characters."""
        from reportlab.pdfbase.pdfmetrics import stringWidth

        size = size or self.size
        step = 1.6 * size
        if self.y + step > self.bottom_of:
            self._next_column()
        x = self.left_columns[self.column] + x_offset
        baseline = 842 - self.y - size
        parts = [text] if marker_at is None else [text[:marker_at], text[marker_at:]]
        spacing = 0.0
        if justify and len(text) > 1:
            natural = sum(stringWidth(p, FONT, size) for p in parts) + (3.5 if marker_at is not None else 0.0)
            spacing = max(0.0, (self.chars * self.size - x_offset - natural) / (len(text) - 1))
        for k, part in enumerate(parts):
            if k == 1:
                self.canvas.setFont(FONT, 6)
                self.canvas.drawString(x, baseline + 4.5, "1")
                x += 3.5
            t = self.canvas.beginText(x, baseline)
            t.setFont(FONT, size)
            t.setCharSpace(spacing)
            t.textOut(part)
            self.canvas.drawText(t)
            x += stringWidth(part, FONT, size) + spacing * len(part)
        self.y += step

    def heading(self, text: str) -> None:
        self.y += 6
        self._line(text, size=13)
        self.built.headings.append(text)
        self.built.order.append(text)

    def paragraph(self, text: str, marker_after: str | None = None) -> None:
        """Two characters' indent, then full lines of :attr:`chars` characters; a
        superscript marker ¹ is drawn raised and small after ``marker_after``."""
        lines = [text[: self.chars - 2]]
        rest = text[self.chars - 2:]
        while rest:
            lines.append(rest[: self.chars])
            rest = rest[self.chars:]
        drawn = text
        for k, line in enumerate(lines):
            at = line.index(marker_after) + len(marker_after) if marker_after and marker_after in line else None
            self._line(line, x_offset=2 * self.size if k == 0 else 0.0, justify=k < len(lines) - 1, marker_at=at)
            if at is not None:
                drawn = text.replace(marker_after, marker_after + "¹", 1)
        self.built.paragraphs.append(drawn)
        self.built.order.append(drawn)

    def footnote(self, text: str) -> None:
        """A note at the foot of the current column, under a short rule."""
        x = self.left_columns[self.column]
        size = 7.5
        top = self.bottom - 2 * size
        self.canvas.setLineWidth(0.5)
        self.canvas.line(x, 842 - (top - 5), x + 80, 842 - (top - 5))
        self.canvas.setFont(FONT, size)
        self.canvas.drawString(x, 842 - top - size, text)
        self.bottom_of = top - 12
        self.built.footnotes.append(text)

    def table(self, caption: str, rows: list[list[str]], ruled: bool = True) -> None:
        """A caption, then a table of 3 columns across the column: ruled all
        round, or (``ruled=False``) its cells only, lined up in columns."""
        self._line(caption)
        self.built.paragraphs.append(caption)
        self.built.order.append(caption)
        x = self.left_columns[self.column]
        widths = [60.0, 60.0, 80.0]
        row_height = 18.0
        if self.y + row_height * len(rows) > self.bottom_of:
            self._next_column()
            x = self.left_columns[self.column]
        c = self.canvas
        c.setLineWidth(0.6)
        top = self.y
        for r in range(len(rows) + 1 if ruled else 0):
            c.line(x, 842 - (top + r * row_height), x + sum(widths), 842 - (top + r * row_height))
        edge = x
        for w in [0.0, *widths] if ruled else []:
            edge += w
            c.line(edge, 842 - top, edge, 842 - (top + len(rows) * row_height))
        c.setFont(FONT, 9)
        for r, row in enumerate(rows):
            edge = x
            for w, cell in zip(widths, row):
                c.drawString(edge + 4, 842 - (top + r * row_height + 13), cell)
                edge += w
        self.y = top + len(rows) * row_height + 8
        self.built.tables.append(rows)


#: The table of :func:`two_column_pdf`.
SAMPLE_TABLE = [["城市", "社区数", "受访居民"], ["杭州", "4", "812"], ["成都", "5", "1046"], ["宁波", "3", "655"]]


def two_column_pdf(path: str | Path, paragraphs: int = 14, ruled: bool = True) -> Built:
    """A two-column paper: a title across both columns, headings, ``paragraphs``
    paragraphs flowing over columns and pages (so some break across them), a
    footnote on page 1 tied to a marker ¹ in the first paragraph, a table with its
    caption (ruled, or ``ruled=False`` its cells only, the other column's text
    beside it), running headers and footers with page numbers."""
    from reportlab.pdfgen import canvas as pdf_canvas

    _font()
    built = Built()
    c = pdf_canvas.Canvas(str(path), pagesize=(595, 842), pageCompression=1)
    flow = _Flow(c, built, "城市治理研究")
    built.title = "城市更新中的社区参与机制研究"
    c.setFont(FONT, 20)
    c.drawCentredString(297.5, 842 - 95, built.title)
    flow.y = 125.0
    flow.footnote("¹ 本文数据来自2023年对十二个城市社区的问卷调查。")
    flow.heading("一、研究背景")
    first = paragraph_text(0)
    flow.paragraph(first, marker_after="重建")
    for k in range(1, paragraphs):
        if k == paragraphs // 2:
            flow.heading("二、案例分析")
        if k == paragraphs // 2 + 2:
            flow.table("表1 调查样本构成", SAMPLE_TABLE, ruled=ruled)
        flow.paragraph(paragraph_text(k, 3 + k % 3))
    c.showPage()
    c.save()
    return built


def text_image(path: str | Path, lines: list[str], dpi: int = 300, size_pt: float = 12.0,
               traditional: bool = False) -> None:
    """``lines`` of Chinese rendered black on white at ``dpi`` (12 pt text, A4
    margins), saved in the format the suffix names (``.png``, ``.jpg``, ``.tif``)."""
    from PIL import Image, ImageDraw, ImageFont

    scale = dpi / 72
    font = ImageFont.truetype(FONT_FILE, round(size_pt * scale), index=0)
    width = round(595 * scale)
    height = round((100 + len(lines) * size_pt * 1.8) * scale)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y = 60 * scale
    for line in lines:
        draw.text((60 * scale, y), line, font=font, fill=0)
        y += size_pt * 1.8 * scale
    image.save(str(path), dpi=(dpi, dpi))


def scanned_pdf(path: str | Path, lines: list[str], dpi: int = 300) -> None:
    """An image-only PDF (a scan): ``lines`` rendered at ``dpi`` and put on a page, no text layer."""
    from PIL import Image

    png = Path(str(path) + ".png")
    text_image(png, lines, dpi)
    with Image.open(png) as image:
        image.save(str(path), "PDF", resolution=float(dpi))
    png.unlink()


def plain_pdf(path: str | Path, lines: list[str], encrypt: str | None = None, pages: int = 1) -> None:
    """A one-column PDF of ``lines`` on each of ``pages`` pages (numbered at the
    foot), encrypted with the password ``encrypt`` when given."""
    from reportlab.pdfgen import canvas as pdf_canvas

    _font()
    c = pdf_canvas.Canvas(str(path), pagesize=(595, 842), encrypt=encrypt)
    for page in range(1, pages + 1):
        c.setFont(FONT, 11)
        y = 100.0
        for line in lines:
            c.drawString(70, 842 - y, line.replace("{page}", str(page)))
            y += 18
        c.setFont(FONT, 9)
        c.drawCentredString(297.5, 40, str(page))
        c.showPage()
    c.save()


def aligned_pdf(path: str | Path, rows: list[list[str]], widths: list[float], size: float = 10.5,
                top: float = 200.0) -> None:
    """One page: a paragraph, then ``rows`` drawn without any rules, cell by cell at
    the column offsets ``widths`` add up to, one row every 1.7 sizes, then a paragraph."""
    from reportlab.pdfgen import canvas as pdf_canvas

    _font()
    c = pdf_canvas.Canvas(str(path), pagesize=(595, 842))
    c.setFont(FONT, size)
    c.drawString(70, 842 - 150, SENTENCES[0])
    y = top
    for row in rows:
        x = 70.0
        for width, cell in zip(widths, row):
            c.drawString(x, 842 - y, cell)
            x += width
        y += 1.7 * size
    c.drawString(70, 842 - (y + 30), SENTENCES[1])
    c.showPage()
    c.save()


def without_unicode_map(path: str | Path, lines: list[str]) -> None:
    """A PDF whose font has no Unicode map (its ``/ToUnicode`` entry renamed, the
    file's offsets intact): the text layer gives glyph numbers, not characters."""
    plain_pdf(path, lines)
    data = Path(path).read_bytes().replace(b"/ToUnicode", b"/ToUnicodX")
    Path(path).write_bytes(data)


def zero_page_pdf(path: str | Path) -> None:
    """A well-formed PDF with an empty page tree."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    Path(path).write_bytes(bytes(out))


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edits (insertions, deletions, substitutions) to turn ``hypothesis`` into
    ``reference``, over the reference's length; whitespace ignored."""
    ref = "".join(reference.split())
    hyp = "".join(hypothesis.split())
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / max(len(ref), 1)


#: Lines of plain Chinese prose for OCR tests and the character error rate benchmark.
OCR_LINES = [
    "台州位于浙江省中部沿海，东濒东海，南邻温州，西连丽水。",
    "这里山海相依，气候温和，四季分明，雨量充沛。",
    "近年来，当地推进老旧小区改造，居民议事会定期召开。",
    "社区规划师走进街道，倾听居民对加装电梯的意见。",
    "调查显示，参与协商的居民对改造结果更加满意。",
]
