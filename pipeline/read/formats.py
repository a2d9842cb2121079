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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
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
    #: ``"module:function"`` reading the source a part at a time,
    #: ``(path, options, part_sentences) -> Iterator[Document]``; empty: read whole, then cut.
    parts_reader: str = ""

    def read(self, path: Path, options: ReadOptions) -> Document:
        reader: Callable[[Path, ReadOptions], Document] = _function(self.reader)
        return reader(path, options)

    def read_parts(self, path: Path, options: ReadOptions, part_sentences: int) -> Iterator[Document]:
        if self.parts_reader:
            return _function(self.parts_reader)(path, options, part_sentences)
        return cut_parts(self.read(path, options), part_sentences)


def _function(name: str) -> Callable:
    module, function = name.split(":")
    return getattr(importlib.import_module(module), function)


SOURCE_FORMATS: dict[str, SourceFormat] = {
    f.name: f
    for f in (
        SourceFormat("text", (".txt",), "pipeline.read.layout:read_text", "plain text, any common encoding"),
        SourceFormat("markdown", tuple(sorted(MARKDOWN_SUFFIXES)), "pipeline.read.layout:read_text",
                     "Markdown (CommonMark, tables, footnotes, front matter)"),
        SourceFormat("pdf", (".pdf",), "pipeline.read.pdf:read_pdf",
                     "PDF: the text layer with its geometry; scanned pages by OCR (Tesseract)",
                     "pipeline.read.pdf:read_pdf_parts"),
        SourceFormat("image", (".png", ".jpg", ".jpeg", ".tif", ".tiff"), "pipeline.read.ocr:read_image",
                     "a scanned page or a picture of text, by OCR (Tesseract)"),
        SourceFormat("html", (".html", ".htm", ".xhtml"), "pipeline.read.html:read_html",
                     "a saved web page (the article; the page's boilerplate listed as dropped)"),
        SourceFormat("docx", (".docx",), "pipeline.read.docx:read_docx",
                     "a Word file (paragraphs, tables, text boxes, footnotes, headers and footers)"),
        SourceFormat("epub", (".epub",), "pipeline.read.epub:read_epub", "an EPUB 2 or 3 book (spine and contents)",
                     "pipeline.read.epub:read_epub_parts"),
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
        raise unreadable(path, exc) from exc


def unreadable(path: Path, exc: BaseException) -> SourceError:
    """The one line for a source whose bytes the reader of its format could not parse."""
    return SourceError(path, f"cannot be read: {failure_reason(exc)}",
                       f"check that it is a {source_format(path).name} document")


def read_parts(path: str | Path, front_matter: tuple[str, ...] | list[str] = (), *, part_sentences: int,
               keep_boilerplate: bool = False, ocr: bool = False, password: str | None = None
               ) -> Iterator[Document]:
    """:func:`load_document` in parts of about ``part_sentences`` sentences, for a
    run that takes a long document in windows (:func:`pipeline.run.run_many`): a
    format that can read a part at a time does (an EPUB's chapters, a PDF's pages:
    the source is never held whole); any other is read whole and cut
    (:func:`cut_parts`). A short document is one part. The parts' blocks are
    numbered on from each other; the dropped text comes with the part it was
    found in."""
    path = Path(path)
    options = ReadOptions(tuple(front_matter), keep_boilerplate, ocr, password)
    try:
        yield from source_format(path).read_parts(path, options, part_sentences)
    except DuizhaoError:
        raise
    except PARSE_FAILURES as exc:  # as load_document: bytes from outside fail in one line
        raise unreadable(path, exc) from exc


def cut_parts(document: Document, part_sentences: int) -> Iterator[Document]:
    """``document`` in parts of whole blocks, each closed once it holds
    ``part_sentences`` sentences; the document itself when it is no longer. Each
    block is let go with its part."""
    if sum(len(b.sentences) for b in document.blocks if b.translatable) <= part_sentences:
        yield document
        return
    pending = list(reversed(document.blocks))
    dropped = document.dropped
    document = replace(document, blocks=[], dropped=[])
    while pending:
        blocks, count = [], 0
        while pending and count < part_sentences:
            block = pending.pop()
            blocks.append(block)
            count += len(block.sentences) if block.translatable else 0
        yield replace(document, blocks=blocks, dropped=dropped)
        dropped = []
