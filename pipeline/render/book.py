"""Books in the reader: an EPUB, or any document of :data:`LONG_BLOCKS` blocks or
more, gets one reader page per chapter and a contents page linking them, so no
page holds a whole novel or a 10,000-page report (a page's reading aids are
those of its own text, and they take memory in proportion to it).

:func:`chapter_starts` cuts a document into chapters: an EPUB's by its spine (the
``chapter`` of each block's address; the title and the contents' entries go on
the contents page); a long Word file at its level-1 headings; any other long
document (or a Word file without them) into sections of :data:`SECTION_BLOCKS`
blocks or more, each opening at a heading, or for a PDF at a page's top, and
none over twice that. :func:`reader_pages` is the ``html`` format's exporter: the
reader page of a document, or for a book ``("<stem>/ch001.html", chapter page),
..., ("", contents page)``, each made only when the writer asks for it
(:func:`pipeline.render.formats.write_formats` writes them as one atomic set,
one page in memory at a time).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import escape

from pipeline import __version__
from pipeline.core.heap import return_freed_memory
from pipeline.core.model import Block, Document, Dropped
from pipeline.core.text import plural
from pipeline.render.structured import block_content

#: A document this long (in blocks) is a book in the reader.
LONG_BLOCKS = 400
#: A section of a long document without chapters has at least this many blocks
#: (unless it is the last) and at most twice as many.
SECTION_BLOCKS = 200


def chapter_starts(document: Document) -> tuple[list[int], str] | None:
    """Where each chapter's blocks begin (the blocks before the first go on the
    contents page) and what the parts are called (``chapter`` or ``section``), or
    ``None`` for a document that is one page. One pass over the blocks, holding
    none of them (a long document's are read from disk)."""
    if document.format == "epub":
        starts, current = [], None
        for index, block in enumerate(document.blocks):
            chapter = (block.address or {}).get("chapter")
            if chapter is not None and chapter != current:
                starts.append(index)
                current = chapter
        return (starts, "chapter") if len(starts) > 1 else None
    if len(document.blocks) < LONG_BLOCKS:
        return None
    if document.format == "docx":
        starts = [i for i, b in enumerate(document.blocks) if b.kind in ("heading", "title") and b.level == 1]
        if len(starts) >= 2:
            return starts, "chapter"
    return _sections(document), "section"


def _sections(document: Document) -> list[int]:
    """Sections of :data:`SECTION_BLOCKS` to twice as many blocks, each opening at
    a heading (a PDF: at a heading or a page's first block) where one comes."""
    starts, page = [0], None
    for index, block in enumerate(document.blocks):
        here = (block.address or {}).get("page") if document.format == "pdf" else None
        size = index - starts[-1]
        opening = block.kind in ("title", "heading") or (here is not None and here != page)
        if size >= 2 * SECTION_BLOCKS or (size >= SECTION_BLOCKS and opening):
            starts.append(index)
        page = here if here is not None else page
    return starts


def _chapters(document: Document, starts: list[int]) -> Iterator[list[Block]]:
    """The blocks before the first chapter (the contents page's), then each
    chapter's, gathered in one pass over the blocks as they are reached."""
    bounds = iter(starts + [len(document.blocks)])
    end = next(bounds)
    blocks: list[Block] = []
    for index, block in enumerate(document.blocks):
        if index == end:
            yield blocks
            blocks = []
            end = next(bounds)
        blocks.append(block)
    yield blocks


def chapter_name(number: int) -> str:
    return f"ch{number:03d}.html"


def reader_pages(document: Document, *, cache: Any = None, library: str | None = None, variant: str | None = None,
                 now: datetime | None = None) -> str | Iterator[tuple[str, str]]:
    """The reader page, or a book's contents page and chapter pages (see the module docstring)."""
    from pipeline.render.reader import render

    plan = chapter_starts(document)
    if plan is None:
        return render(document, cache=cache, library=library, variant=variant, now=now)
    return _book_pages(document, *plan, cache=cache, library=library, variant=variant, now=now)


def _book_pages(document: Document, starts: list[int], noun: str, *, cache: Any,
                library: str | None, variant: str | None, now: datetime | None) -> Iterator[tuple[str, str]]:
    from pipeline.render.reader import render

    stem = Path(document.source).stem
    deeper = None if library is None else f"../{library}"
    entries = []
    cut = _chapters(document, starts)
    front = next(cut)
    for number, blocks in enumerate(cut, start=1):
        pages = [b.address["page"] for b in blocks if "page" in (b.address or {})]
        part = replace(document, blocks=blocks, dropped=_dropped_on(document.dropped, blocks[0], pages))
        name = f"{stem}/{chapter_name(number)}"
        yield name, render(part, cache=cache, library=deeper, variant=variant, now=now)
        entries.append((name, _chapter_title(blocks, number), _extent(blocks, pages)))
        del part, blocks
        return_freed_memory()  # a chapter's reading aids are many small objects: the next page reuses none
    yield "", contents_page(document, front, entries, library, noun)


def _dropped_on(dropped: list[Dropped], first: Block, pages: list[int]) -> list[Dropped]:
    """The dropped text that belongs on a chapter's page: an EPUB's of the same
    chapter (that of its ``first`` block); a PDF's of one of its ``pages``."""
    chapter = (first.address or {}).get("chapter")
    if chapter is not None:
        return [d for d in dropped if (d.address or {}).get("chapter") == chapter]
    if not pages:
        return []
    return [d for d in dropped if pages[0] <= (d.address or {}).get("page", 0) <= pages[-1]]


def _extent(blocks: list[Block], pages: list[int]) -> str:
    """What a contents entry says of a chapter's size: its sentences, and a PDF's ``pages``."""
    sentences = sum(len(b.sentences) for b in blocks)
    shown = "" if not pages else f"p. {pages[0]}, " if pages[0] == pages[-1] else f"pp. {pages[0]}–{pages[-1]}, "
    return f"{shown}{plural(sentences, 'sentence')}"


def _chapter_title(blocks: list[Block], number: int) -> tuple[str, str]:
    heading = next((b for b in blocks if b.kind in ("title", "heading")), None) or next(
        (b for b in blocks if b.translatable and b.text.strip()), None)
    if heading is None:
        return f"({number}: no text)", ""
    return heading.text, block_content(heading)[0]


_STYLE = """body{font:16px/1.6 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1d2733}
h1{font-size:1.6rem;margin:.2rem 0}.en{color:#3b5670}ol{padding-left:2.4rem}li{margin:.35rem 0;overflow-wrap:anywhere}
a{color:#1f5f99}.n{color:#667;font-size:.85em}.front{color:#445;font-size:.92em}
@media (prefers-color-scheme:dark){body{background:#15191e;color:#dfe5ec}.en{color:#9fb9d3}a{color:#8cc2f5}}"""


def contents_page(document: Document, front: list[Block], entries: list[tuple[str, tuple[str, str], str]],
                  library: str | None, noun: str = "chapter") -> str:
    """The book's contents page: its title, and a link to each chapter's page
    with the chapter's title in Chinese and English. Self-contained; fetches nothing."""
    title = next((b for b in front if b.kind == "title"), None)
    zh_title = title.text if title is not None else Path(document.source).name
    en_title = block_content(title)[0] if title is not None else ""
    lang = "zh-Hant" if document.script == "traditional" else "zh-Hans"
    rows = "\n".join(
        f'<li><a href="{escape(name)}"><span lang="{lang}">{escape(zh)}</span></a>'
        + (f' <span class="en" lang="en">{escape(en)}</span>' if en else "")
        + f' <span class="n">{escape(extent)}</span></li>'
        for name, (zh, en), extent in entries)
    back = f'<p><a href="{escape(library)}">Library</a></p>' if library else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="duizhao {escape(__version__)}">
<title>{escape(zh_title)}</title><style>{_STYLE}</style></head>
<body>{back}
<header><h1 lang="{lang}">{escape(zh_title)}</h1>{f'<p class="en">{escape(en_title)}</p>' if en_title else ''}
<p class="front">{escape(Path(document.source).name)}: {plural(len(entries), noun)}, one reader page each.</p></header>
<main><h2>Contents</h2><ol>
{rows}
</ol></main></body></html>
"""
