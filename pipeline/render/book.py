"""Books in the reader: an EPUB (or a long Word file) gets one reader page per
chapter and a contents page linking them, so no page holds a whole novel (a
page's reading aids are those of its own text).

:func:`chapters` cuts a document into chapters: an EPUB's by its spine (the
``chapter`` of each block's address; the title and the contents' entries go on
the contents page), a Word file of at least :data:`LONG_BLOCKS` blocks at its
level-1 headings. :func:`reader_pages` is the ``html`` format's exporter: the
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
from pipeline.core.model import Block, Document
from pipeline.render.structured import block_content

#: A Word file this long (in blocks) with level-1 headings is read as a book.
LONG_BLOCKS = 400


def chapters(document: Document) -> tuple[list[Block], list[list[Block]]] | None:
    """``(front, chapters)``: the blocks of the contents page and each chapter's
    blocks, or ``None`` for a document that is one page."""
    if document.format == "epub":
        front = [b for b in document.blocks if "chapter" not in (b.address or {})]
        by_chapter: dict[int, list[Block]] = {}
        for block in document.blocks:
            if "chapter" in (block.address or {}):
                by_chapter.setdefault(int(block.address["chapter"]), []).append(block)
        parts = [by_chapter[k] for k in sorted(by_chapter)]
        return (front, parts) if len(parts) > 1 else None
    if document.format == "docx" and len(document.blocks) >= LONG_BLOCKS:
        starts = [i for i, b in enumerate(document.blocks) if b.kind in ("heading", "title") and b.level == 1]
        if len(starts) < 2:
            return None
        front = document.blocks[: starts[0]]
        bounds = starts + [len(document.blocks)]
        return front, [document.blocks[a:b] for a, b in zip(bounds, bounds[1:])]
    return None


def chapter_name(number: int) -> str:
    return f"ch{number:03d}.html"


def reader_pages(document: Document, *, cache: Any = None, library: str | None = None, variant: str | None = None,
                 now: datetime | None = None) -> str | Iterator[tuple[str, str]]:
    """The reader page, or a book's contents page and chapter pages (see the module docstring)."""
    from pipeline.render.reader import render

    cut = chapters(document)
    if cut is None:
        return render(document, cache=cache, library=library, variant=variant, now=now)
    return _book_pages(document, *cut, cache=cache, library=library, variant=variant, now=now)


def _book_pages(document: Document, front: list[Block], parts: list[list[Block]], *, cache: Any,
                library: str | None, variant: str | None, now: datetime | None) -> Iterator[tuple[str, str]]:
    from pipeline.render.reader import render

    stem = Path(document.source).stem
    deeper = None if library is None else f"../{library}"
    entries = []
    for number, blocks in enumerate(parts, start=1):
        part = replace(document, blocks=blocks, dropped=[d for d in document.dropped
                                                         if (d.address or {}).get("chapter") == number])
        name = f"{stem}/{chapter_name(number)}"
        yield name, render(part, cache=cache, library=deeper, variant=variant, now=now)
        entries.append((name, _chapter_title(blocks, number), sum(len(b.sentences) for b in blocks)))
    yield "", contents_page(document, front, entries, library)


def _chapter_title(blocks: list[Block], number: int) -> tuple[str, str]:
    heading = next((b for b in blocks if b.kind in ("title", "heading")), None) or next(
        (b for b in blocks if b.translatable and b.text.strip()), None)
    if heading is None:
        return f"({number}: no text)", ""
    return heading.text, block_content(heading)[0]


_STYLE = """body{font:16px/1.6 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1d2733}
h1{font-size:1.6rem;margin:.2rem 0}.en{color:#3b5670}ol{padding-left:2.4rem}li{margin:.35rem 0}
a{color:#1f5f99}.n{color:#667;font-size:.85em}.front{color:#445;font-size:.92em}
@media (prefers-color-scheme:dark){body{background:#15191e;color:#dfe5ec}.en{color:#9fb9d3}a{color:#8cc2f5}}"""


def contents_page(document: Document, front: list[Block], entries: list[tuple[str, tuple[str, str], int]],
                  library: str | None) -> str:
    """The book's contents page: its title, and a link to each chapter's page
    with the chapter's title in Chinese and English. Self-contained; fetches nothing."""
    title = next((b for b in front if b.kind == "title"), None)
    zh_title = title.text if title is not None else Path(document.source).name
    en_title = block_content(title)[0] if title is not None else ""
    lang = "zh-Hant" if document.script == "traditional" else "zh-Hans"
    rows = "\n".join(
        f'<li><a href="{escape(name)}"><span lang="{lang}">{escape(zh)}</span></a>'
        + (f' <span class="en" lang="en">{escape(en)}</span>' if en else "")
        + f' <span class="n">{count} sentences</span></li>'
        for name, (zh, en), count in entries)
    back = f'<p><a href="{escape(library)}">Library</a></p>' if library else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="duizhao {escape(__version__)}">
<title>{escape(zh_title)}</title><style>{_STYLE}</style></head>
<body>{back}
<header><h1 lang="{lang}">{escape(zh_title)}</h1>{f'<p class="en">{escape(en_title)}</p>' if en_title else ''}
<p class="front">{escape(Path(document.source).name)}: {len(entries)} chapters, one reader page each.</p></header>
<main><h2>Contents</h2><ol>
{rows}
</ol></main></body></html>
"""
