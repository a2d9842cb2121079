"""Source formats: a file's suffix → the reader that turns it into a
:class:`~pipeline.core.model.Document`, in a name → reader table with lazy imports.

Every reader is a function ``(path, options) -> Document`` whose blocks keep
their place in the source (:attr:`~pipeline.core.model.Block.address`) so the
format's writer (:mod:`pipeline.render.formats`) can put the English back; what it
leaves out is listed in ``Document.dropped`` with its reason. A format is added by
adding a reader here and a writer there, never by a branch in the pipeline.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import PARSE_FAILURES, DuizhaoError, SourceError, failure_reason
from pipeline.core.model import Document
from pipeline.read.source import MARKDOWN_SUFFIXES


@dataclass(frozen=True)
class ReadOptions:
    """What a run asks of every reader."""

    #: A Markdown source's front matter keys whose values are translated too.
    front_matter: tuple[str, ...] = ()
    #: Keep a web page's boilerplate (follow prompts, share buttons, related
    #: articles) as blocks instead of dropping it (it is listed either way).
    keep_boilerplate: bool = False
    #: Read every page of a PDF as an image, with OCR (scanned pages are read so anyway).
    ocr: bool = False
    #: The password of an encrypted PDF.
    password: str | None = None


@dataclass(frozen=True)
class SourceFormat:
    name: str
    suffixes: tuple[str, ...]  # lower case, with the dot
    reader: str  # "module:function", imported on first use
    help: str

    def read(self, path: Path, options: ReadOptions) -> Document:
        module, function = self.reader.split(":")
        reader: Callable[[Path, ReadOptions], Document] = getattr(importlib.import_module(module), function)
        return reader(path, options)


SOURCE_FORMATS: dict[str, SourceFormat] = {
    f.name: f
    for f in (
        SourceFormat("text", (".txt",), "pipeline.read.layout:read_text", "plain text, any common encoding"),
        SourceFormat("markdown", tuple(sorted(MARKDOWN_SUFFIXES)), "pipeline.read.layout:read_text",
                     "Markdown (CommonMark, tables, footnotes, front matter)"),
        SourceFormat("pdf", (".pdf",), "pipeline.read.pdf:read_pdf",
                     "PDF: the text layer with its geometry; scanned pages by OCR (Tesseract)"),
        SourceFormat("image", (".png", ".jpg", ".jpeg", ".tif", ".tiff"), "pipeline.read.ocr:read_image",
                     "a scanned page or a picture of text, by OCR (Tesseract)"),
        SourceFormat("html", (".html", ".htm", ".xhtml"), "pipeline.read.html:read_html",
                     "a saved web page (the article; the page's boilerplate listed as dropped)"),
        SourceFormat("docx", (".docx",), "pipeline.read.docx:read_docx",
                     "a Word file (paragraphs, tables, text boxes, footnotes, headers and footers)"),
        SourceFormat("epub", (".epub",), "pipeline.read.epub:read_epub", "an EPUB 2 or 3 book (spine and contents)"),
        SourceFormat("subtitles", (".srt", ".vtt", ".ass", ".ssa"), "pipeline.read.subtitles:read_subtitles",
                     "subtitles (SubRip, WebVTT, ASS/SSA): a cue is a block"),
    )
}
_BY_SUFFIX = {suffix: f for f in SOURCE_FORMATS.values() for suffix in f.suffixes}
#: The suffixes a folder run picks up (lower case).
SOURCE_SUFFIXES = frozenset(_BY_SUFFIX)


def source_format(path: str | Path) -> SourceFormat:
    """The format of ``path`` by its suffix; a file of another suffix, given by
    name, is read as text."""
    return _BY_SUFFIX.get(Path(path).suffix.lower(), SOURCE_FORMATS["text"])


def load_document(path: str | Path, front_matter: tuple[str, ...] | list[str] = (), *,
                  keep_boilerplate: bool = False, ocr: bool = False, password: str | None = None) -> Document:
    """Read ``path`` in its format and cut it into blocks and sentences (nothing
    translated yet)."""
    path = Path(path)
    try:
        return source_format(path).read(path, ReadOptions(tuple(front_matter), keep_boilerplate, ocr, password))
    except DuizhaoError:
        raise
    except PARSE_FAILURES as exc:  # bytes from outside: any failure of reading them is one line
        raise SourceError(path, f"cannot be read: {failure_reason(exc)}",
                          f"check that it is a {source_format(path).name} document") from exc
