"""The EPUB writers: bilingual (``<stem>.epub``: each block followed by its
English, styled apart, as bilingual_book_maker's users expect) and English only
(``<stem>.en.epub``).

The source book is copied member by member (``mimetype`` first and stored, as
the standard asks); the documents that hold blocks (:mod:`pipeline.read.epub`:
the spine's XHTML files, the contents, the package file) are rewritten with the
English at each block's element path (:mod:`pipeline.render.dom`). The package
file's language says English (``dc:language`` ``en``; the bilingual book keeps
its Chinese one first and adds English), the XHTML roots' ``lang`` too. The
contents' and the title's entries of the bilingual book read "中文 / English".
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from pipeline.core.model import Document
from pipeline.core.text import XML_LANG
from pipeline.read.xhtml import find_unit, local, namespaces
from pipeline.render.dom import EN_CLASS, add_english, replace_unit
from pipeline.render.structured import block_content, source_file

BILINGUAL_CSS = f".{EN_CLASS} {{ color: #3b5670; font-style: italic; margin-top: 0.2em; }}"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def bilingual_epub(document: Document) -> bytes:
    """The source book with each block's English after it."""
    return _book(document, bilingual=True)


def english_epub(document: Document) -> bytes:
    """The source book in English."""
    return _book(document, bilingual=False)


def _book(document: Document, bilingual: bool) -> bytes:
    from lxml import etree

    from pipeline.read.epub import DC_NS, open_book

    path = source_file(document, "EPUB book")
    book = open_book(path)
    # Each file's blocks by position: a long book's blocks are read from disk a file at a time.
    by_file: dict[str, list[int]] = {}
    for index, block in enumerate(document.blocks):
        file = (block.address or {}).get("file")
        if file and block.translatable:
            by_file.setdefault(file, []).append(index)
    out = io.BytesIO()
    with book.package as package, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr(zipfile.ZipInfo("mimetype"), package.read("mimetype") if package.has("mimetype")
                        else b"application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name in package.names:
            if name == "mimetype" or name.endswith("/"):
                continue
            if name not in by_file and name != book.opf:
                target.writestr(package.zip.getinfo(name), package.read(name))
                continue
            tree = package.xml(name)
            prefixes = namespaces(tree)
            blocks = (document.blocks[index] for index in by_file.get(name, []))
            found = [(find_unit(tree, b.address, prefixes), b) for b in blocks]
            for unit, block in reversed([f for f in found if f[0] is not None]):
                text, marks = block_content(block)
                if not text:
                    continue
                simple = block.kind in ("toc", "title") or local(unit.element) in ("text", "title")
                if bilingual and simple:
                    replace_unit(unit, f"{block.text} / {text}", [])
                elif bilingual:
                    add_english(unit, text, marks)
                else:
                    replace_unit(unit, text, marks)
            if name == book.opf:
                _language(tree, DC_NS, bilingual)
            elif tree.getroot().tag == f"{{{XHTML_NS}}}html":
                _xhtml_language(tree, bilingual)
            data = etree.tostring(tree, xml_declaration=True, encoding="utf-8")
            info = zipfile.ZipInfo(name, date_time=package.zip.getinfo(name).date_time)
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _language(opf: Any, dc: str, bilingual: bool) -> None:
    from lxml import etree

    languages = list(opf.iter(f"{{{dc}}}language"))
    metadata = next((e for e in opf.getroot() if local(e) == "metadata"), None)
    if not bilingual:
        for language in languages:
            language.text = "en"
        if not languages and metadata is not None:
            etree.SubElement(metadata, f"{{{dc}}}language").text = "en"
        return
    if metadata is not None and not any((e.text or "").strip().lower().startswith("en") for e in languages):
        english = etree.Element(f"{{{dc}}}language")
        english.text = "en"
        if languages:
            english.tail = languages[-1].tail
            languages[-1].addnext(english)
        else:
            metadata.append(english)


def _xhtml_language(tree: Any, bilingual: bool) -> None:
    from lxml import etree

    root = tree.getroot()
    if not bilingual:
        root.set(XML_LANG, "en")
        if root.get("lang") is not None:
            root.set("lang", "en")
        return
    for name in (XML_LANG, "lang"):
        if root.get(name) is not None and not root.get(name).strip():
            root.set(name, "zh")  # an empty language is invalid; the source's text is Chinese
    head = next((e for e in root if local(e) == "head"), None)
    if head is not None:
        style = etree.SubElement(head, f"{{{XHTML_NS}}}style", {"type": "text/css"})
        style.text = BILINGUAL_CSS
