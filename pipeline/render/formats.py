"""Output formats of ``duizhao run``: a name → exporter table with lazy imports.

Every exporter is a function ``document -> str`` (or ``bytes``, for the
formats that are ZIP packages or keep the source's encoding; or, for a book's
reader pages, ``(name, text)`` pairs made one at a time: ``"<stem>/ch001.html"``,
..., and ``""`` for the main output); the module that holds it is
imported only when that format is asked for, so choosing formats costs nothing.
An exporter that can use the translation cache (the reader keeps its reading
aids there) names it in ``options`` and is given it as ``cache=``.
:func:`write_formats` writes ``<output>/<stem><suffix>`` for each chosen format,
atomically.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.core.atomic import Chunks
from pipeline.core.errors import DuizhaoError
from pipeline.core.model import Document


class FormatError(DuizhaoError):
    """An output format name that duizhao does not know."""


#: The last line of every Markdown file duizhao writes: a link reference definition,
#: which no Markdown renderer shows, so that a later run knows the file is its own.
MARKDOWN_MARK = "[//]: # (made by duizhao: each run writes this file again)"
#: The comment of every zip archive duizhao writes (DOCX, EPUB): readers ignore it.
ZIP_MARK = "made by duizhao"
#: How much of a file's start (and, for a Markdown output, its end) is read to find its mark.
_MARK_WINDOW = 64 * 1024


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str  # appended to the source's stem: "<stem>.en.md"
    exporter: str  # "module:function", imported on first use
    help: str
    options: tuple[str, ...] = ()  # keyword arguments the exporter takes, e.g. ("cache",)
    #: What a file of this format that duizhao wrote holds near its start (or, with
    #: ``trailer``, as its last line); ``json``'s files are recognised by their shape.
    mark: str = ""
    #: Appended to what the exporter gives when the file is written.
    trailer: str = ""
    #: The source formats (:mod:`pipeline.read.formats`) the format is written for
    #: (it follows the source file); empty: every source.
    sources: tuple[str, ...] = ()

    def applies(self, document: Document) -> bool:
        return not self.sources or document.format in self.sources

    def output_suffix(self, document: Document) -> str:
        """``suffix``, with ``{ext}`` the source's own extension (subtitles)."""
        return self.suffix.replace("{ext}", Path(document.source).suffix.lower())

    def render(self, document: Document, **options: Any) -> str | bytes:
        """The exporter's text for ``document``; ``options`` it does not take are ignored."""
        module, function = self.exporter.split(":")
        exporter: Callable[..., str | bytes] = getattr(importlib.import_module(module), function)
        return exporter(document, **{k: v for k, v in options.items() if k in self.options})

    def file_output(self, document: Document, **options: Any) -> str | bytes | Iterable[tuple[str, str]]:
        """What is written: :meth:`render`'s output with the format's trailer (a
        text) or its mark as the archive's comment (a zip: DOCX, EPUB)."""
        made = self.render(document, **options)
        if isinstance(made, bytes) and self.mark == ZIP_MARK:
            return _zip_with_comment(made, ZIP_MARK.encode("ascii"))
        if not self.trailer or not isinstance(made, str):
            return made
        if not made:
            return self.trailer + "\n"
        return made + ("" if made.endswith("\n") else "\n") + "\n" + self.trailer + "\n"

    def made_by_us(self, path: Path) -> bool:
        """Whether the existing file ``path`` is one duizhao wrote in this format."""
        if self.name == "json":
            return document_source(path) is not None
        if not self.mark:
            return False
        if self.mark == ZIP_MARK:
            return _zip_comment(path) == ZIP_MARK.encode("ascii")
        try:
            with open(path, "rb") as handle:
                head = handle.read(_MARK_WINDOW)
                size = os.fstat(handle.fileno()).st_size
                if self.trailer and size > _MARK_WINDOW:
                    handle.seek(size - _MARK_WINDOW)
                    head = handle.read(_MARK_WINDOW)
        except OSError:
            return False
        return self.mark.encode("utf-8") in head


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", ".json", "pipeline.render.formats:document_json_stream",
               "the document model (schema: pipeline/render/document.schema.json)"),
        Format("html", ".html", "pipeline.render.book:reader_pages",
               "the parallel-text reader (a book: a contents page and a page per chapter)",
               ("cache", "library", "variant"), mark='<meta name="generator" content="duizhao'),
        Format("md", ".md", "pipeline.render.markdown_export:bilingual_markdown",
               "bilingual Markdown: each block in Chinese, then its English as a block quote",
               mark=MARKDOWN_MARK, trailer=MARKDOWN_MARK),
        Format("en.md", ".en.md", "pipeline.render.markdown_export:english_markdown",
               "the English only, as Markdown", mark=MARKDOWN_MARK, trailer=MARKDOWN_MARK),
        Format("tmx", ".tmx", "pipeline.render.tmx:document_tmx",
               "TMX 1.4b translation memory of the sentence pairs (for CAT tools)", mark='creationtool="duizhao"'),
        Format("docx", ".docx", "pipeline.render.docx:bilingual_docx",
               "bilingual Word file: each paragraph followed by its English (any source)", mark=ZIP_MARK),
        Format("en.docx", ".en.docx", "pipeline.render.docx:english_docx",
               "the English Word file (a Word source with its styles, tables and headers; any other source built)", mark=ZIP_MARK),
        Format("epub", ".epub", "pipeline.render.epub:bilingual_epub",
               "bilingual EPUB: each block followed by its English (EPUB sources)", sources=("epub",),
               mark=ZIP_MARK),
        Format("en.epub", ".en.epub", "pipeline.render.epub:english_epub", "the English EPUB (EPUB sources)",
               sources=("epub",), mark=ZIP_MARK),
        Format("en.html", ".en.html", "pipeline.render.page:english_page",
               "the saved web page with the English in place (web page sources)", sources=("html",)),
        Format("bi.html", ".bi.html", "pipeline.render.page:bilingual_page",
               "the saved web page with the English under each block (web page sources)", sources=("html",)),
        Format("subs", "{ext}", "pipeline.render.subtitles:bilingual_subtitles",
               "bilingual subtitles in the source's format: Chinese line, then English (subtitle sources)",
               sources=("srt", "vtt", "ass")),
        Format("en.subs", ".en{ext}", "pipeline.render.subtitles:english_subtitles",
               "English subtitles in the source's format (subtitle sources)", sources=("srt", "vtt", "ass")),
    )
}
#: What ``duizhao run`` writes when no format is chosen. ``json`` is the stable
#: model other tools read, so it is always among the defaults.
DEFAULT_FORMATS = ("json", "html")


def parse_formats(values: Iterable[str]) -> tuple[str, ...]:
    """Format names from ``values``, each a name or comma-separated names, in the
    order given and without repeats. Raises :class:`FormatError` on an unknown name."""
    names = [n.strip().lower() for value in values for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise FormatError(
            f"unknown output format {', '.join(repr(n) for n in dict.fromkeys(unknown))}; "
            f"choose from {', '.join(FORMATS)} (several: --format md,tmx)"
        )
    return tuple(dict.fromkeys(names))


def write_formats(
    document: Document, output_dir: str | Path, formats: Iterable[str] = DEFAULT_FORMATS, *, cache: Any = None,
    library: str | Path | None = None, variant: str | None = None,
) -> list[Path]:
    """Write ``<output_dir>/<stem><suffix>`` for each format, as one atomic set:
    every output is rendered, then written to a temporary file, and only when all
    are complete are they renamed into place, so a failing exporter, a full disk
    or a kill leaves the previous files as they were. ``cache`` (a translation cache) goes to the
    exporters that take it; the reader links to the library page in the folder
    ``library`` (:mod:`pipeline.render.index`) and shows Traditional script as
    OpenCC's ``variant`` makes it. A format written for other source formats
    (``epub`` for a text source) is skipped."""
    from pipeline.core.atomic import write_texts_atomic

    chosen = [FORMATS[name] for name in parse_formats(formats)]
    stem = Path(document.source).stem
    link = None
    if library is not None:
        from pipeline.render.index import INDEX_NAME

        link = Path(os.path.relpath(Path(library) / INDEX_NAME, output_dir)).as_posix()
    targets = [(Path(output_dir) / f"{stem}{f.output_suffix(document)}", f) for f in chosen if f.applies(document)]
    for target, _ in targets:
        if _same_file(target, document.source):
            from pipeline.core.atomic import OutputError

            raise OutputError(f"{target}: is the source itself; give another output folder with -o")
    check_outputs_ours(document, output_dir, [f.name for _, f in targets])

    def rendered():  # one output at a time: each is written before the next is made
        for target, f in targets:
            made = f.file_output(document, cache=cache, library=link, variant=variant)
            if isinstance(made, (str, bytes, Chunks)):
                yield target, made
            else:  # a book's pages: (name, text) pairs, "" the main one, the others beside it
                yield from ((target if not name else target.parent / name, text) for name, text in made)

    return write_texts_atomic(rendered())


def check_outputs_ours(document: Document, output_dir: str | Path, formats: Iterable[str]) -> None:
    """Refuse, with one line and nothing written, to replace an existing output of
    ``document`` in ``output_dir`` that duizhao did not make (another program's
    file, one of the user's, the source itself): each format knows its own files
    (:meth:`Format.made_by_us`). A file of a format that carries no mark (a web
    page or subtitles written back in the source's own shape), or a Markdown
    output written before it carried its mark, is ours when the document JSON
    beside it is ours and was made from the same source."""
    from pipeline.core.atomic import OutputError

    stem = Path(document.source).stem
    beside = document_source(Path(output_dir) / f"{stem}.json")
    for name in parse_formats(formats):
        target = Path(output_dir) / f"{stem}{FORMATS[name].output_suffix(document)}"
        if not target.exists() or target.is_dir():  # a folder: the writer says so
            continue
        if FORMATS[name].made_by_us(target):
            continue
        if (FORMATS[name].trailer or not FORMATS[name].mark) and name != "json" and beside is not None \
                and Path(beside).name == Path(document.source).name:
            continue
        raise OutputError(
            f"{target}: not a file duizhao made, so it is left untouched; move it away, or give another "
            f"output folder with -o"
        )


def _zip_with_comment(data: bytes, comment: bytes) -> bytes:
    """The zip archive ``data`` with ``comment`` as its archive comment (readers of
    DOCX and EPUB ignore it; a later run recognises its own file by it)."""
    import io
    import zipfile

    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.comment = comment
    return buffer.getvalue()


def _zip_comment(path: Path) -> bytes | None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return archive.comment
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return None


def document_source(path: str | Path) -> str | None:
    """The source a document JSON that duizhao wrote names (``None`` when ``path``
    is not one: no file, not JSON, another program's JSON)."""
    from pipeline.core.errors import PARSE_FAILURES

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except PARSE_FAILURES:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("schema_version"), int) \
            or not isinstance(data.get("blocks"), list) or not isinstance(data.get("source"), str):
        return None
    return data["source"]


def check_output_owner(source: str | Path, output_dir: str | Path) -> None:
    """Refuse to write ``source``'s outputs over those of another source that
    still exists (``x.md`` and ``x.txt`` both write ``x.json``): the existing
    ``<stem>.json`` names the source it was made from."""
    from pipeline.core.atomic import OutputError

    made = Path(output_dir) / f"{Path(source).stem}.json"
    other = document_source(made)
    if other is None or not _exists(other) or _same_file(other, source):
        return  # no document model of ours there, or made from this source or a gone one
    raise OutputError(
        f"{made}: made from {other}, which still exists, and {source} would overwrite its outputs; "
        f"give one of them another output folder with -o, or rename one"
    )


def _exists(path: str) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):  # a name no file can have
        return False


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).samefile(b)
    except (OSError, ValueError):
        return False


def document_json(document: Document) -> str:
    """The document model as JSON text (``schema_version`` and all): one line per
    top-level key and per block, so a diff of two runs shows the blocks that
    changed. Each line is written by json's C encoder (``indent`` would select
    the pure-Python one, several times slower on a long document)."""
    return "".join(document_json_pieces(document))


def document_json_stream(document: Document) -> Chunks:
    """:func:`document_json` as it is made, a block at a time: what ``-f json``
    writes (a long document's JSON is never held whole)."""
    return Chunks(document_json_pieces(document))


def document_json_pieces(document: Document) -> Iterator[str]:
    """The text of :func:`document_json` in pieces, each block's line made only when asked."""
    compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    head = replace(document, blocks=[]).to_json()  # the blocks come one at a time below
    yield "{\n"
    for number, key in enumerate(head):
        comma = ",\n" if number else ""
        if key != "blocks":
            yield f"{comma} {compact(key)}: {compact(head[key])}"
            continue
        first = True
        for block in document.blocks:
            yield (f"{comma} {compact(key)}: [\n  " if first else ",\n  ") + compact(block.to_json())
            first = False
        yield f"{comma} {compact(key)}: []" if first else "\n ]"
    yield "\n}\n"


def schema() -> dict:
    """The JSON Schema (draft 2020-12) of :func:`document_json`'s output."""
    from importlib import resources

    text = resources.files("pipeline.render").joinpath("document.schema.json").read_text(encoding="utf-8")
    return json.loads(text)
