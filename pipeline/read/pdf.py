"""The PDF reader: every page's text with its positions, sizes and fonts, read with
pypdfium2 (PDFium, BSD/Apache; chosen over pdfplumber/pdfminer.six for being 7–12×
faster with the same characters, ``bench/bench_pdf.py``), one page at a time, so a
PDF of 10,000 pages is read in flat memory.

A page without a text layer (a scan: no characters, pictures covering it) is
rendered and read by OCR (:mod:`pipeline.read.ocr`); ``--ocr`` reads every page
that way. A page whose text is not Chinese or English (a font without a Unicode
map gives glyph numbers, not characters) stops the reading with a line that
says so and suggests ``--ocr``. The pages' lines go to
:class:`~pipeline.read.pdflayout.PageLayout`, which finds what they are.
"""

from __future__ import annotations

import ctypes
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import regex

from pipeline.core.errors import SourceError
from pipeline.core.model import Document
from pipeline.read.geometry import RULE_THICKNESS, Box, Glyph, PageContent, glyph_lines, is_han
from pipeline.read.pdflayout import PageLayout, document_part, no_text
from pipeline.read.pieces import sentences_about

if TYPE_CHECKING:
    from pipeline.read.formats import ReadOptions
    from pipeline.read.ocr import Tesseract

#: A page with fewer visible characters than this and pictures over this share of it is a scan.
SCAN_MAX_CHARS = 10
SCAN_IMAGE_SHARE = 0.3
#: A page's text is garbage when fewer than this share of its characters are
#: Chinese, Latin letters, digits or punctuation, or this share lacks a Unicode map.
READABLE_SHARE = 0.6
UNMAPPED_SHARE = 0.3
#: OCR renders: no finer than this (dots per inch), and what a page with no picture of its own gets.
MAX_DPI = 400
OCR_DPI = 300
#: A window of a long PDF (:func:`read_pdf_parts`) has at least this many pages, so
#: running heads and page numbers recur in it often enough to be told apart.
WINDOW_PAGES = 50
_BOLD_FONT = regex.compile(r"Bold|Black|Heavy|Semibold|Demi", regex.I)
_FORCE_BOLD = 0x40000


def read_pdf(path: Path, options: ReadOptions) -> Document:
    """The reader of ``.pdf`` sources (:mod:`pipeline.read.formats`): the whole document."""
    return next(read_pdf_parts(path, options))


def read_pdf_parts(path: Path, options: ReadOptions, part_sentences: int | None = None) -> Iterator[Document]:
    """The PDF a window of pages at a time: a window closes once it has at least
    :data:`WINDOW_PAGES` pages and about ``part_sentences`` sentences (``None``:
    one window, the whole file). Its page furniture is judged over its own pages;
    a paragraph still open at its last page goes on into the next window, so it
    is joined as in a whole reading; its duplicates are looked for within it."""
    import pypdfium2 as pdfium

    pdf = _open(path, options.password)
    tesseract: Tesseract | None = None
    layout = PageLayout()
    garbage: list[int] = []
    text_pages = ocr_pages = 0
    carried: list = []  # the open paragraph (and what followed it) that the next window continues
    size = 0  # about how many sentences the window holds, carried pieces included
    script: str | None = None
    start = 1
    has_text = False

    def encoding() -> str:
        label = "pdf text layer (pdfium)"
        if tesseract is not None:
            label = tesseract.label if not text_pages else f"{label} + {tesseract.label}, {ocr_pages} pages"
        return label

    def window(last: bool) -> Document | None:
        nonlocal carried, script, start, has_text, size
        kept, removed = layout.finish()
        pieces, carried = carried + kept, []
        open_piece = None if last else layout.open_piece
        at = next((k for k, p in enumerate(pieces) if p is open_piece), None)
        if at is not None:
            pieces, carried = pieces[:at], pieces[at:]
        size = sentences_about(carried)
        has_text = has_text or any(p.text.strip() for p in pieces)
        if last and not has_text:
            raise no_text(path, removed)
        if not pieces and not removed:
            return None
        part = document_part(path, pieces, removed, encoding(), "pdf", script, start)
        script, start = part.script, start + len(part.blocks)
        return part

    try:
        count = len(pdf)
        if count == 0:
            raise SourceError(path, "has no pages", "nothing to translate")
        for index in range(count):
            try:
                page = pdf[index]
            except pdfium.PdfiumError as exc:
                raise SourceError(path, f"page {index + 1} cannot be read ({exc})",
                                  "the file is damaged; save it again from its program") from exc
            try:
                # --ocr: the text layer is not read at all (OCR replaces it).
                content, scanned = (None, True) if options.ocr else _page_content(page, index + 1)
                if scanned:
                    if tesseract is None:
                        from pipeline.read.ocr import find_tesseract

                        tesseract = find_tesseract(path)
                    content = _ocr(page, index + 1, tesseract, path)
                    ocr_pages += 1
                elif _is_garbage(content):
                    garbage.append(index + 1)
                    continue
                else:
                    text_pages += 1
                before = len(layout.pieces)
                layout.add(content)
                size += sentences_about(layout.pieces[before:])
            finally:
                page.close()
            if part_sentences is not None and index + 1 < count and layout.pages >= WINDOW_PAGES \
                    and size >= part_sentences and not garbage:
                part = window(last=False)
                if part is not None:
                    yield part
    finally:
        pdf.close()
    if garbage:
        raise SourceError(path, f"{_pages(garbage)}: the text is not Chinese or English (a font without a "
                          "Unicode map gives glyph numbers, not characters)",
                          "run again with --ocr to read the pages as images")
    part = window(last=True)
    if part is not None:
        yield part


def _open(path: Path, password: str | None) -> Any:
    """The PDF, or a :class:`SourceError` for a missing, encrypted or damaged file."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    if not path.is_file():
        raise SourceError(path, "no such file" if not path.exists() else "is not a file", "check the path")
    try:
        return pdfium.PdfDocument(str(path), password=password)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == raw.FPDF_ERR_PASSWORD:
            if password:
                raise SourceError(path, "is encrypted and the password given is not its password",
                                  "check the --password") from exc
            raise SourceError(path, "is encrypted (password protected)",
                              "give its password with --password") from exc
        if code == raw.FPDF_ERR_SECURITY:
            raise SourceError(path, "is protected by a security handler that cannot be opened",
                              "save an unprotected copy from its program") from exc
        if _empty_page_tree(path):  # PDFium's error code for it is no error, or a stale one
            raise SourceError(path, "has no pages", "nothing to translate") from exc
        if code == raw.FPDF_ERR_FILE:
            raise SourceError(path, "cannot be opened", "check that it exists and can be read") from exc
        raise SourceError(path, "is not a readable PDF (damaged or not a PDF at all)",
                          "save it again from its program, or check the download is complete") from exc


def _empty_page_tree(path: Path) -> bool:
    """PDFium refuses a PDF whose page tree is empty without an error code: the tree says ``/Count 0``."""
    try:
        with path.open("rb") as stream:
            data = stream.read(1 << 20)
    except OSError:
        return False
    return regex.search(rb"/Type\s*/Pages\b[^>]*/Count\s+0\b|/Count\s+0\b[^>]*/Type\s*/Pages\b", data) is not None


def _pages(numbers: list[int]) -> str:
    """``page 3``, ``pages 1–4, 7``."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    text = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in spans)
    return f"page{'s' if len(numbers) > 1 else ''} {text}"


def _page_content(page: Any, number: int) -> tuple[PageContent, bool]:
    """The page's lines, pictures and rules; and whether it is a scan (pictures, no text)."""
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        glyphs, unmapped = _glyphs(textpage, height)
    finally:
        textpage.close()
    images, rules = _drawings(page, height)
    visible = sum(1 for g in glyphs if not g.char.isspace())
    covered = sum((b[2] - b[0]) * (b[3] - b[1]) for b in images)
    scanned = visible < SCAN_MAX_CHARS and covered >= SCAN_IMAGE_SHARE * width * height
    return PageContent(number, width, height, glyph_lines(glyphs), images, rules, unmapped=unmapped), scanned


def _glyphs(textpage: Any, height: float) -> tuple[list[Glyph], int]:
    import pypdfium2.raw as raw

    handle = textpage.raw
    glyphs = []
    unmapped = 0
    rect = raw.FS_RECTF()
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    fonts: dict[tuple[bytes, int], bool] = {}
    for k in range(textpage.count_chars()):
        code = raw.FPDFText_GetUnicode(handle, k)
        if not code or raw.FPDFText_IsGenerated(handle, k) == 1:
            continue
        char = chr(code)
        if unicodedata.category(char) == "Co":
            char = "•"  # a symbol font's private code (Wingdings' bullets)
        elif unicodedata.category(char) in ("Cc", "Cf") and not char.isspace():
            unmapped += 1
            continue
        unmapped += raw.FPDFText_HasUnicodeMapError(handle, k) == 1
        if not raw.FPDFText_GetLooseCharBox(handle, k, rect):
            continue
        size = raw.FPDFText_GetFontSize(handle, k)
        raw.FPDFText_GetFontInfo(handle, k, name, len(name), ctypes.byref(flags))
        font = (name.value, flags.value)
        bold = fonts.get(font)
        if bold is None:
            bold = fonts[font] = bool(flags.value & _FORCE_BOLD) or bool(
                _BOLD_FONT.search(name.value.decode("latin-1").split("+")[-1]))
        weight = raw.FPDFText_GetFontWeight(handle, k)
        left, right = min(rect.left, rect.right), max(rect.left, rect.right)
        top, bottom = height - max(rect.top, rect.bottom), height - min(rect.top, rect.bottom)
        glyphs.append(Glyph(char, left, top, right, bottom, size or (bottom - top), bold or weight >= 600))
    return glyphs, unmapped


def _drawings(page: Any, height: float) -> tuple[list[Box], list[Box]]:
    """The page's pictures and its rules (thin lines, a path's straight strokes)."""
    import pypdfium2.raw as raw

    images: list[Box] = []
    rules: list[Box] = []
    for obj in page.get_objects(max_depth=0):
        try:
            left, bottom, right, top = obj.get_bounds()
        except Exception:  # noqa: BLE001 (an object PDFium cannot place is not drawn)
            continue
        box = (left, height - top, right, height - bottom)
        if obj.type == raw.FPDF_PAGEOBJ_IMAGE:
            images.append(box)
        elif obj.type == raw.FPDF_PAGEOBJ_PATH:
            if right - left <= RULE_THICKNESS or top - bottom <= RULE_THICKNESS:
                rules.append(box)
            else:
                rules += _strokes(obj, height)
    return images, rules


def _strokes(obj: Any, height: float) -> list[Box]:
    """The straight horizontal and vertical strokes of a path (a table's grid drawn as one path)."""
    import pypdfium2.raw as raw

    count = raw.FPDFPath_CountSegments(obj.raw)
    if count <= 0 or count > 400:
        return []
    matrix = obj.get_matrix()
    x, y = ctypes.c_float(), ctypes.c_float()
    strokes: list[Box] = []
    previous: tuple[float, float] | None = None
    start: tuple[float, float] | None = None
    for k in range(count):
        segment = raw.FPDFPath_GetPathSegment(obj.raw, k)
        if not raw.FPDFPathSegment_GetPoint(segment, x, y):
            continue
        point = matrix.on_point(x.value, y.value)
        kind = raw.FPDFPathSegment_GetType(segment)
        if kind == raw.FPDF_SEGMENT_LINETO and previous is not None:
            strokes += _stroke(previous, point, height)
        if kind == raw.FPDF_SEGMENT_MOVETO:
            start = point
        previous = point
        if raw.FPDFPathSegment_GetClose(segment) and start is not None:
            strokes += _stroke(point, start, height)
    return strokes


def _stroke(a: tuple[float, float], b: tuple[float, float], height: float) -> list[Box]:
    (x0, y0), (x1, y1) = a, b
    if abs(y0 - y1) <= 0.5 < abs(x0 - x1) or abs(x0 - x1) <= 0.5 < abs(y0 - y1):
        return [(min(x0, x1), height - max(y0, y1), max(x0, x1), height - min(y0, y1))]
    return []


def _is_garbage(content: PageContent) -> bool:
    """Text that is not Chinese, nor a language in Latin letters, nor numbers: what a
    font without a Unicode map leaves."""
    text = "".join(line.text for line in content.lines).replace(" ", "")
    unmapped = content.unmapped
    if len(text) + unmapped < 20:
        return False
    if unmapped >= UNMAPPED_SHARE * (len(text) + unmapped):
        return True
    readable = sum(1 for c in text if is_han(c) or c.isascii() and c.isprintable()
                   or unicodedata.category(c)[0] in "P" or "FULLWIDTH" in unicodedata.name(c, "")
                   or unicodedata.category(c) == "No")
    return readable < READABLE_SHARE * len(text)


def _ocr(page: Any, number: int, tesseract: Tesseract, path: Path) -> PageContent:
    """The page rendered at its pictures' own resolution (300 dpi without one) and read by OCR."""
    import pypdfium2.raw as raw

    from pipeline.read.ocr import ocr_page

    width, height = page.get_size()
    native = 0.0
    for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=1):
        try:
            left, _, right, _ = obj.get_bounds()
            pixels, _ = obj.get_px_size()
        except Exception:  # noqa: BLE001 (a picture PDFium cannot place is not read)
            continue
        if right - left > 0.3 * width:
            native = max(native, pixels / (right - left))
    scale = min(max(native or OCR_DPI / 72, 150 / 72), MAX_DPI / 72)
    # Never more than 40 megapixels, whatever the page's size.
    scale = min(scale, (40e6 / max(width * height, 1)) ** 0.5)
    image = page.render(scale=scale, grayscale=True).to_pil()
    content = ocr_page(image, number, scale, tesseract, path)
    content.width, content.height = width, height
    return content
