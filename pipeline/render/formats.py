"""Output formats of ``duizhao run``: a name → exporter table with lazy imports.

Every exporter is a function ``document -> str``; the module that holds it is
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import DuizhaoError
from pipeline.core.model import Document


class FormatError(DuizhaoError):
    """An output format name that duizhao does not know."""


#: The last line of every Markdown file duizhao writes: a link reference definition,
#: which no Markdown renderer shows, so that a later run knows the file is its own.
MARKDOWN_MARK = "[//]: # (made by duizhao: each run writes this file again)"
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

    def render(self, document: Document, **options: Any) -> str:
        """The exporter's text for ``document``; ``options`` it does not take are ignored."""
        module, function = self.exporter.split(":")
        exporter: Callable[..., str] = getattr(importlib.import_module(module), function)
        return exporter(document, **{k: v for k, v in options.items() if k in self.options})

    def file_text(self, document: Document, **options: Any) -> str:
        """What is written to the file: :meth:`render`'s text and the trailer."""
        text = self.render(document, **options)
        if not self.trailer:
            return text
        if not text:
            return self.trailer + "\n"
        return text + ("" if text.endswith("\n") else "\n") + "\n" + self.trailer + "\n"

    def made_by_us(self, path: Path) -> bool:
        """Whether the existing file ``path`` is one duizhao wrote in this format."""
        if self.name == "json":
            return document_source(path) is not None
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
        Format("json", ".json", "pipeline.render.formats:document_json",
               "the document model (schema: pipeline/render/document.schema.json)"),
        Format("html", ".html", "pipeline.render.reader:render", "the parallel-text reader",
               ("cache", "library", "variant"), mark='<meta name="generator" content="duizhao'),
        Format("md", ".md", "pipeline.render.markdown_export:bilingual_markdown",
               "bilingual Markdown: each block in Chinese, then its English as a block quote",
               mark=MARKDOWN_MARK, trailer=MARKDOWN_MARK),
        Format("en.md", ".en.md", "pipeline.render.markdown_export:english_markdown",
               "the English only, as Markdown", mark=MARKDOWN_MARK, trailer=MARKDOWN_MARK),
        Format("tmx", ".tmx", "pipeline.render.tmx:document_tmx",
               "TMX 1.4b translation memory of the sentence pairs (for CAT tools)", mark='creationtool="duizhao"'),
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
    OpenCC's ``variant`` makes it."""
    from pipeline.core.atomic import write_texts_atomic

    chosen = [FORMATS[name] for name in parse_formats(formats)]
    stem = Path(document.source).stem
    link = None
    if library is not None:
        from pipeline.render.index import INDEX_NAME

        link = Path(os.path.relpath(Path(library) / INDEX_NAME, output_dir)).as_posix()
    check_outputs_ours(document.source, output_dir, [f.name for f in chosen])
    rendered = [(Path(output_dir) / f"{stem}{f.suffix}",
                 f.file_text(document, cache=cache, library=link, variant=variant)) for f in chosen]
    return write_texts_atomic(rendered)


def check_outputs_ours(source: str | Path, output_dir: str | Path, formats: Iterable[str]) -> None:
    """Refuse, with one line and nothing written, to replace an existing output of
    ``source`` in ``output_dir`` that duizhao did not make (another program's file,
    one of the user's, the source itself): each format knows its own files
    (:meth:`Format.made_by_us`). A Markdown output written before it carried its
    mark is ours when the document JSON beside it is."""
    from pipeline.core.atomic import OutputError

    stem = Path(source).stem
    for name in parse_formats(formats):
        target = Path(output_dir) / f"{stem}{FORMATS[name].suffix}"
        if not target.exists() or target.is_dir():  # a folder: the writer says so
            continue
        if FORMATS[name].made_by_us(target):
            continue
        if FORMATS[name].trailer and FORMATS["json"].made_by_us(Path(output_dir) / f"{stem}.json"):
            continue
        raise OutputError(
            f"{target}: not a file duizhao made, so it is left untouched; move it away, or give another "
            f"output folder with -o"
        )


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
    compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    lines = []
    for key, value in document.to_json().items():
        if key == "blocks" and isinstance(value, list) and value:
            inner = ",\n".join(f"  {compact(block)}" for block in value)
            lines.append(f' {compact(key)}: [\n{inner}\n ]')
        else:
            lines.append(f" {compact(key)}: {compact(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def schema() -> dict:
    """The JSON Schema (draft 2020-12) of :func:`document_json`'s output."""
    from importlib import resources

    text = resources.files("pipeline.render").joinpath("document.schema.json").read_text(encoding="utf-8")
    return json.loads(text)
