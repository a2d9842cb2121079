"""OCR: page images read with Tesseract (run as a program, offline), for scanned
PDF pages and for ``.png``, ``.jpg`` and ``.tif`` sources.

Tesseract's TSV output gives every word with its box and confidence; the words
of a line become a :class:`~pipeline.read.geometry.Line` in points (so OCR'd and
text-layer pages go through the same layout, :mod:`pipeline.read.pdflayout`), its
confidence the words' mean weighted by their length. Simplified Chinese data is
tried first; a page that reads as Traditional is read again with the Traditional
data, which the rest of the document then uses.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.errors import SourceError
from pipeline.core.model import Document
from pipeline.read.geometry import Box, Line, PageContent, is_han

if TYPE_CHECKING:
    from PIL.Image import Image

    from pipeline.read.formats import ReadOptions

#: The Debian packages that bring Tesseract and its Chinese data.
TESSERACT_PACKAGES = "tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra"
#: Seconds one page may take before it is given up.
PAGE_TIMEOUT = 600
#: A "line" of dashes alone is a printed rule that was read as text.
_RULE = re.compile(r"^[-_~—–一=·.]{3,}$")
#: An image without a resolution of its own is taken to be a scan at this many dots per inch.
DEFAULT_DPI = 300


@dataclass
class Tesseract:
    """The installed Tesseract: the program, its version and the data it has."""

    program: str
    version: str
    languages: frozenset[str]
    #: The data the document is read with; becomes ``chi_tra`` when a page reads as Traditional.
    language: str = "chi_sim"
    pages: int = field(default=0)

    @property
    def label(self) -> str:
        """What the document's ``encoding`` says of how it was read."""
        return f"ocr (tesseract {self.version}, {self.language})"


def find_tesseract(path: Path) -> Tesseract:
    """The installed Tesseract, or a :class:`SourceError` saying which packages to install."""
    found = _installed()
    if found is None:
        raise SourceError(path, "needs OCR (its pages are images) and Tesseract is not installed",
                          f"install it: apt-get install {TESSERACT_PACKAGES}")
    program, version, languages = found
    if "chi_sim" not in languages:
        raise SourceError(path, "needs OCR and Tesseract has no Chinese data",
                          f"install it: apt-get install {TESSERACT_PACKAGES}")
    return Tesseract(program, version, frozenset(languages))


@lru_cache(maxsize=1)
def _installed() -> tuple[str, str, tuple[str, ...]] | None:
    program = shutil.which("tesseract")
    if program is None:
        return None
    try:
        version = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30)
        listed = subprocess.run([program, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    first = (version.stdout or version.stderr).split("\n", 1)[0].split()
    languages = tuple(x.strip() for x in listed.stdout.splitlines()[1:] if x.strip())
    return program, first[1] if len(first) > 1 else "?", languages


def ocr_page(image: Image, number: int, scale: float, tesseract: Tesseract, path: Path) -> PageContent:
    """Page ``number`` read from ``image`` (``scale`` pixels a point)."""
    lines, rules = _recognise(image, scale, tesseract, path, number)
    if tesseract.pages == 0 and tesseract.language == "chi_sim" and "chi_tra" in tesseract.languages \
            and _reads_traditional(lines):
        tesseract.language = "chi_tra"
        lines, rules = _recognise(image, scale, tesseract, path, number)
    tesseract.pages += 1
    return PageContent(number, image.width / scale, image.height / scale, lines, rules=rules, ocr=True)


def _reads_traditional(lines: list[Line]) -> bool:
    from pipeline.read.source import detect_script

    text = "".join(line.text for line in lines)
    return sum(map(is_han, text)) >= 20 and detect_script(text) == "traditional"


def _recognise(image: Image, scale: float, tesseract: Tesseract, path: Path, number: int
               ) -> tuple[list[Line], list[Box]]:
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="PNG", compress_level=1)
    # The Chinese data reads Latin letters too; adding English makes small Chinese print come out as English.
    language = tesseract.language
    dpi = str(max(70, round(scale * 72)))
    try:
        done = subprocess.run([tesseract.program, "stdin", "stdout", "-l", language, "--psm", "3", "--dpi", dpi,
                               "tsv"], input=buffer.getvalue(), capture_output=True, timeout=PAGE_TIMEOUT,
                              env={**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")})
    except subprocess.TimeoutExpired as exc:
        raise SourceError(path, f"page {number}: OCR took longer than {PAGE_TIMEOUT} s",
                          "split the file, or give a smaller image") from exc
    except OSError as exc:
        raise SourceError(path, f"page {number}: Tesseract could not be run ({exc.strerror})",
                          f"reinstall it: apt-get install {TESSERACT_PACKAGES}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(path, f"page {number}: Tesseract failed ({message[-1] if message else done.returncode})")
    return tsv_lines(done.stdout.decode("utf-8", "replace"), scale)


def tsv_lines(tsv: str, scale: float) -> tuple[list[Line], list[Box]]:
    """Tesseract's TSV as lines in points (words grouped by block, paragraph and
    line), and the printed rules it read as rows of dashes, as rules."""
    words: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        words.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(row)
    lines = []
    rules: list[Box] = []
    for group in words.values():
        x0 = min(int(w["left"]) for w in group)
        top = min(int(w["top"]) for w in group)
        x1 = max(int(w["left"]) + int(w["width"]) for w in group)
        bottom = max(int(w["top"]) + int(w["height"]) for w in group)
        if _RULE.match("".join(w["text"].strip() for w in group)):
            # A rule under a running header or over the notes, read as dashes.
            middle = (top + bottom) / 2 / scale
            rules.append((x0 / scale, middle - 0.5, x1 / scale, middle + 0.5))
            continue
        text = ""
        weight = total = 0.0
        for word in group:
            part = word["text"].strip()
            if text and (text[-1].isascii() and text[-1].isalnum()) and part[0].isascii() and part[0].isalnum():
                text += " "
            text += part
            confidence = float(word["conf"])
            if confidence >= 0:
                weight += len(part)
                total += confidence * len(part)
        heights = sorted(int(w["height"]) for w in group if any(is_han(c) or c.isalnum() for c in w["text"]))
        height = heights[len(heights) // 2] if heights else bottom - top
        lines.append(Line(text, x0 / scale, top / scale, x1 / scale, bottom / scale, height / scale,
                          confidence=round(total / weight, 1) if weight else 0.0))
    # A rule read as a thin line of noise (en-一ma): much lower than the text's lines, and wide.
    if lines:
        usual = sorted(line.height for line in lines)[len(lines) // 2]
        for line in list(lines):
            if line.height < 0.55 * usual and line.x1 - line.x0 > 6 * line.height and (line.confidence or 0) < 70:
                lines.remove(line)
                middle = line.center_y
                rules.append((line.x0, middle - 0.5, line.x1, middle + 0.5))
    return lines, rules


def read_image(path: Path, options: ReadOptions) -> Document:
    """The reader of ``.png``, ``.jpg`` and ``.tif`` sources (every frame of a TIFF a page)."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    from pipeline.read.pdflayout import PageLayout, finish_document

    if not path.is_file():
        raise SourceError(path, "no such file" if not path.exists() else "is not a file", "check the path")
    tesseract = find_tesseract(path)
    layout = PageLayout()
    try:
        with Image.open(path) as image:
            dpi = image.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))[0] or DEFAULT_DPI
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                layout.add(ocr_page(frame.copy(), number, float(dpi) / 72, tesseract, path))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise SourceError(path, f"is not an image that can be read ({exc})",
                          "check the file: it may be cut short") from exc
    except Image.DecompressionBombError as exc:
        raise SourceError(path, f"is too large an image ({exc})", "scale it down to 300 dpi") from exc
    return finish_document(path, layout, tesseract.label, "image")
