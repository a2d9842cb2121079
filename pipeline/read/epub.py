"""The EPUB reader: an EPUB 2 or 3 book, read with ``zipfile`` and lxml (EbookLib
is AGPL; this project is MIT), into a :class:`~pipeline.core.model.Document`.

The blocks, in order: the book's title (``dc:title`` in the package file), the
entries of its table of contents (the EPUB 3 navigation document's ``toc``
``nav``, else the EPUB 2 NCX: kind ``toc``), then the spine's XHTML documents
in reading order, each a run of blocks read from its DOM
(:mod:`pipeline.read.xhtml`). Every block's address names its file in the
package and its element path there (``{"file", "path"}``), so the writer
(:mod:`pipeline.render.epub`) puts the English back in the same element.

A book with DRM (``META-INF/rights.xml``, or ``META-INF/encryption.xml``
encrypting more than fonts) is refused in one line: its text cannot be read.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pipeline.core.errors import SourceError
from pipeline.core.model import Document
from pipeline.read.container import Package
from pipeline.read.formats import ReadOptions
from pipeline.read.pieces import Piece, sentences_about
from pipeline.read.xhtml import Unit, dom_pieces, local, unit_content

_FIX = "check that the file is a complete .epub that opens in a reader such as Calibre"
OPF_NS = "http://www.idpf.org/2007/opf"
DC_NS = "http://purl.org/dc/elements/1.1/"
NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"
OPS_NS = "http://www.idpf.org/2007/ops"
#: Font obfuscation (IDPF, Adobe): an encryption.xml of these only is no DRM.
FONT_OBFUSCATION = frozenset({"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"})
XHTML_TYPES = frozenset({"application/xhtml+xml", "text/html", "application/x-dtbook+xml"})


@dataclass
class Book:
    """What the package file says: where it is, the spine's files in order, the
    contents files (NCX, navigation document)."""

    package: Package
    opf: str
    spine: list[str] = field(default_factory=list)
    ncx: str | None = None
    nav: str | None = None
    manifest: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> (file, media type, properties)


def open_book(path: Path) -> Book:
    """The book's package, checked (ZIP safety, DRM), and its package file read."""
    package = Package(path, "EPUB book", _FIX)
    try:
        _refuse_drm(package)
        container = package.xml("META-INF/container.xml")
        rootfile = next((e.get("full-path") for e in container.iter() if local(e) == "rootfile" and e.get("full-path")),
                        None)
        if rootfile is None:
            raise SourceError(path, "is not a valid EPUB book: META-INF/container.xml names no package file", _FIX)
        book = Book(package, rootfile)
        opf = package.xml(rootfile)
        base = posixpath.dirname(rootfile)
        for item in opf.iter(f"{{{OPF_NS}}}item"):
            href = item.get("href")
            if href and item.get("id"):
                member = posixpath.normpath(posixpath.join(base, unquote(href.split("#")[0])))
                book.manifest[item.get("id")] = (member, item.get("media-type", ""), item.get("properties", ""))
        spine = opf.find(f"{{{OPF_NS}}}spine")
        if spine is None:
            raise SourceError(path, f"is not a valid EPUB book: {rootfile} has no spine", _FIX)
        for itemref in spine.iter(f"{{{OPF_NS}}}itemref"):
            entry = book.manifest.get(itemref.get("idref", ""))
            if entry and entry[1] in XHTML_TYPES and package.has(entry[0]) and entry[0] not in book.spine:
                book.spine.append(entry[0])
        ncx = book.manifest.get(spine.get("toc", ""))
        book.ncx = ncx[0] if ncx and package.has(ncx[0]) else None
        book.nav = next((f for f, _, props in book.manifest.values() if "nav" in props.split() and package.has(f)),
                        None)
        if not book.spine:
            raise SourceError(path, "is not a valid EPUB book: its spine lists no XHTML document", _FIX)
        return book
    except BaseException:
        package.close()
        raise


def _refuse_drm(package: Package) -> None:
    if package.has("META-INF/rights.xml"):
        raise SourceError(package.path, "is protected by DRM (META-INF/rights.xml: Adobe ADEPT), so its text cannot "
                          "be read", "translate a copy without DRM, such as the publisher's DRM-free edition")
    if not package.has("META-INF/encryption.xml"):
        return
    encryption = package.xml("META-INF/encryption.xml")
    methods = {e.get("Algorithm", "") for e in encryption.iter() if local(e) == "encryptionmethod"}
    if methods - FONT_OBFUSCATION:
        raise SourceError(package.path, "is protected by DRM (META-INF/encryption.xml encrypts its content), so its "
                          "text cannot be read", "translate a copy without DRM, such as the publisher's DRM-free edition")


def title_element(opf: Any) -> Any:
    """The package file's first ``dc:title``."""
    return next(iter(opf.iter(f"{{{DC_NS}}}title")), None)


def toc_elements(book: Book, tree: Any, file: str) -> list[Any]:
    """The elements holding the contents' titles: a navigation document's ``toc``
    links, or an NCX's ``navLabel/text``."""
    if file == book.nav:
        navs = [e for e in tree.iter() if local(e) == "nav"]
        toc = next((n for n in navs if "toc" in (n.get(f"{{{OPS_NS}}}type") or "").split()), navs[0] if navs else None)
        return [] if toc is None else [a for a in toc.iter() if local(a) in ("a", "span") and
                                       local(a.getparent()) == "li"]
    return [t for t in tree.iter(f"{{{NCX_NS}}}text") if local(t.getparent()) == "navlabel"
            and local(t.getparent().getparent()) == "navpoint"]


def read_epub(path: Path, options: ReadOptions) -> Document:
    """The reader of ``.epub`` sources (:mod:`pipeline.read.formats`): the whole book."""
    return next(read_epub_parts(path, options))


def read_epub_parts(path: Path, options: ReadOptions, part_sentences: int | None = None) -> Iterator[Document]:
    """The book a few chapters at a time: each part holds whole spine documents,
    closed once it has about ``part_sentences`` sentences (``None``: one part, the
    whole book), so a long book is never held whole. The title and the contents'
    entries open the first part; the script is the first part's; a part's first
    piece is classified with the part before's last piece as its neighbour."""
    from pipeline.read.html import structured_document

    book = open_book(path)
    with book.package as package:
        pieces: list[Piece] = []
        opf = package.xml(book.opf)
        title = title_element(opf)
        if title is not None and (title.text or "").strip():
            pieces.append(Piece(" ".join(title.text.split()), [max(title.sourceline or 1, 1)], "title", fixed=True,
                                address={"file": book.opf, "path": opf.getpath(title)}))
        contents = book.nav or book.ncx
        if contents is not None:
            tree = package.xml(contents)
            for element in toc_elements(book, tree, contents):
                text, marks = unit_content(Unit(element))
                if text.strip():
                    pieces.append(Piece(text, [max(element.sourceline or 1, 1)], "toc", marks=marks, fixed=True,
                                        address={"file": contents, "path": tree.getpath(element)}))
        script: str | None = None
        before: Piece | None = None
        start = 1
        has_text = False
        size = sentences_about(pieces)  # about how many sentences the part holds
        spine = [file for file in book.spine if file != book.nav]  # the nav's contents are read above
        for index, file in enumerate(spine):
            tree = package.xml(file)
            body = next((e for e in tree.iter() if local(e) == "body"), None)
            if body is not None:
                chapter = book.spine.index(file) + 1
                found = dom_pieces(tree, body, file)
                for piece in found:
                    piece.address["chapter"] = chapter
                pieces += found
                size += sentences_about(found)
            del tree, body
            last = index == len(spine) - 1
            if not last and (part_sentences is None or size < part_sentences):
                continue
            has_text = has_text or any(p.kind not in ("toc", "title", "image") for p in pieces)
            if last and not has_text:
                raise SourceError(path, "has no text to translate in its spine's documents", _FIX)
            if not pieces:
                continue
            text = "\n".join(p.text for p in pieces[:2000])
            part = structured_document(path, text, "utf-8", "epub", pieces, script=script, before=before,
                                       start=start)
            script, before, start = part.script, pieces[-1], start + len(pieces)
            pieces, size = [], 0
            yield part
        if not spine:
            raise SourceError(path, "has no text to translate in its spine's documents", _FIX)
