"""The web page writers: the saved page with the English in place
(``<stem>.en.html``), and bilingual (``<stem>.bi.html``: the English under each
block, styled apart). The source page is read again as the reader read it
(:mod:`pipeline.read.html`); each block's unit (its element path) gets its
English (:mod:`pipeline.render.dom`), and nothing else changes: scripts,
styles, pictures and every asset reference are written as they were, nothing is
fetched. The page is written in the encoding it was read in (characters it
cannot hold as character references)."""

from __future__ import annotations

from typing import Any

from pipeline.core.model import Document
from pipeline.read.xhtml import find_unit
from pipeline.render.dom import EN_CLASS, add_english, replace_unit
from pipeline.render.structured import block_content, source_file

#: How the bilingual page sets the English apart.
BILINGUAL_STYLE = (f".{EN_CLASS}{{color:#3b5670;border-left:3px solid #9fb6cc;padding-left:.5em;"
                   "margin-top:.2em;font-style:normal}")


def english_page(document: Document) -> bytes:
    """The source page with each block's English in place of its Chinese."""
    return _page(document, bilingual=False)


def bilingual_page(document: Document) -> bytes:
    """The source page with each block's English under it."""
    return _page(document, bilingual=True)


def _page(document: Document, bilingual: bool) -> bytes:
    from pipeline.read.html import decode_html, parse_html

    path = source_file(document, "web page")
    text, encoding = decode_html(path.read_bytes(), path)
    tree = parse_html(text, path)
    apply_blocks(tree, document, bilingual, path.name)
    root = tree.getroot()
    if not bilingual:
        root.set("lang", "en")
    else:
        _add_style(root)
    return serialize_html(tree, encoding)


def apply_blocks(tree: Any, document: Document, bilingual: bool, file: str) -> int:
    """Write the English of the document's blocks addressed in ``file`` into
    ``tree``; the number of blocks written. Units are found first, then written
    last to first, so writing one never moves another."""
    from pipeline.read.xhtml import namespaces

    prefixes = namespaces(tree)
    found = []
    for block in document.blocks:
        address = block.address or {}
        if address.get("file") != file or not block.translatable:
            continue
        unit = find_unit(tree, address, prefixes)
        if unit is not None:
            found.append((unit, block))
    for unit, block in reversed(found):
        text, marks = block_content(block)
        if bilingual:
            add_english(unit, text, marks)
        elif text:
            replace_unit(unit, text, marks)
    return len(found)


def _add_style(root: Any) -> None:
    from lxml import etree

    head = root.find("head")
    if head is None:
        head = etree.Element("head")
        root.insert(0, head)
    style = etree.SubElement(head, "style")
    style.text = BILINGUAL_STYLE


def serialize_html(tree: Any, encoding: str) -> bytes:
    """The page as bytes in ``encoding``, its doctype kept."""
    import lxml.html

    text = lxml.html.tostring(tree, encoding="unicode", method="html", doctype=tree.docinfo.doctype or None)
    codec = "utf-8" if encoding in ("utf-8-sig", "utf-16", "utf-32") else encoding
    return text.encode(codec, errors="xmlcharrefreplace")
