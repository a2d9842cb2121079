"""The Word writers: English (``<stem>.en.docx``) and bilingual (``<stem>.docx``).

For a Word source, both follow the source file: the parts are walked as the
reader walked them (:func:`pipeline.read.docx.walk_part`) and each block's
paragraph gets its English in place of its text (English), or a paragraph of
the same style with the English after it (bilingual; in a table, after each of
the cell's paragraphs). Every style, table, picture, field, header and footer
stays: a paragraph's text elements are replaced, its other runs (pictures,
tabs, footnote references, page-number fields) are left where they were. The
English takes the formatting of the paragraph's first run, with bold, italic,
strikethrough and hyperlinks where the engine put them. Text boxes' fallback
copies for very old Word are left out of a rewritten part.

For any other source (text, Markdown, a web page, a PDF reader's document), a
Word file is built from the blocks: title, headings, lists, quotes, captions
and tables in Word's own styles, each block followed by its English
(bilingual) or the English alone.
"""

from __future__ import annotations

import copy
import io
import zipfile
from typing import Any

from pipeline.core.model import Block, Document, Mark
from pipeline.render.structured import block_content, cell_sentences, sentences_content, source_file


def english_docx(document: Document) -> bytes:
    """The English Word file."""
    return _follow(document, bilingual=False) if document.format == "docx" else built_docx(document, False)


def bilingual_docx(document: Document) -> bytes:
    """The bilingual Word file."""
    return _follow(document, bilingual=True) if document.format == "docx" else built_docx(document, True)


# ---- a Word source: the file itself, rewritten ------------------------------------------------


def _follow(document: Document, bilingual: bool) -> bytes:
    from lxml import etree

    from pipeline.read.docx import MC, open_docx, parts, walk_part

    path = source_file(document, "Word file")
    by_part: dict[str, dict] = {}
    for block in document.blocks:
        address = block.address or {}
        if "part" in address and block.translatable:
            by_part.setdefault(address["part"], {})[_key(address)] = block
    package, _ = open_docx(path)
    changed: dict[str, bytes] = {}
    with package:
        for part, _kind in parts(package):
            wanted = by_part.get(part)
            if not wanted:
                continue
            edits = []
            tree = None
            for unit, a, b, items in walk_part(package, part):
                if unit == "p" and ("p", a) in wanted:
                    edits.append(("p", b, items, wanted[("p", a)]))
                elif unit == "table":
                    first = next((i for row in b for cell in row for i, _ in cell), None)
                    if ("table", first) in wanted:
                        edits.append(("table", a, b, wanted[("table", first)]))
                elif unit == "tree":
                    tree = a
            for unit, element, items, block in reversed(edits):
                if unit == "p":
                    text, marks = block_content(block)
                    _write_paragraph(element, items, text, marks, bilingual)
                else:
                    _write_table(block, items, bilingual)
            for fallback in list(tree.iter(f"{{{MC}}}Fallback")):
                if fallback.find(".//{*}txbxContent") is not None:
                    fallback.getparent().remove(fallback)
            changed[part] = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for name in package.names:
                info = package.zip.getinfo(name)
                target.writestr(info, changed.get(name) or package.read(name), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _key(address: dict) -> tuple:
    if "table" in address:
        first = next((i for row in address["table"] for cell in row for i in cell), None)
        return ("table", first)
    return ("p", address.get("p"))


def _write_paragraph(paragraph: Any, items: list, text: str, marks: list[Mark], bilingual: bool) -> None:
    if not text or not items:
        return
    if bilingual:
        paragraph.addnext(_twin(paragraph, items, text, marks))
        return
    replace_text(paragraph, items, text, marks)


def _twin(paragraph: Any, items: list, text: str | None = None, marks: list[Mark] | None = None) -> Any:
    """A new paragraph with ``paragraph``'s properties (no section break) holding the English."""
    from lxml import etree

    from pipeline.read.docx import w

    twin = etree.Element(w("p"))
    props = paragraph.find(w("pPr"))
    if props is not None:
        props = copy.deepcopy(props)
        for section in props.findall(w("sectPr")):
            props.remove(section)
        twin.append(props)
    template = items[0].run.find(w("rPr")) if items else None
    return twin if text is None else _fill(twin, template, text, marks or [], {})


def replace_text(paragraph: Any, items: list, text: str, marks: list[Mark]) -> None:
    """Put ``text`` in place of the paragraph's text elements (see the module docstring)."""
    from lxml import etree

    from pipeline.read.docx import w

    first = items[0]
    anchor = first.link if first.link is not None and first.link.getparent() is not None else first.run
    marker = etree.Element(w("bookmarkEnd"))  # a placeholder, replaced below
    anchor.addprevious(marker)
    template = first.run.find(w("rPr"))
    links = {item.href: item.link for item in items if item.link is not None}
    for item in items:
        run = item.text.getparent()
        run.remove(item.text)
        if not any(child.tag != w("rPr") for child in run):
            parent = run.getparent()
            parent.remove(run)
            if parent.tag == w("hyperlink") and parent.find(w("r")) is None and parent.getparent() is not None:
                parent.getparent().remove(parent)
    holder = etree.Element(w("p"))
    _fill(holder, template, text, marks, links)
    for node in list(holder):
        marker.addprevious(node)
    marker.getparent().remove(marker)


def _fill(holder: Any, template: Any, text: str, marks: list[Mark], links: dict[str, Any]) -> Any:
    """Runs for ``text`` with ``marks`` appended to ``holder`` (links in a copy of the source's hyperlink)."""
    from lxml import etree

    from pipeline.read.docx import w

    cuts = sorted({0, len(text)} | {p for m in marks if m.kind in ("strong", "em", "strike", "link")
                                    for p in (m.start, m.end) if 0 <= p <= len(text)})
    for start, end in zip(cuts, cuts[1:]):
        if end <= start:
            continue
        kinds = {m.kind for m in marks if m.start <= start and end <= m.end}
        href = next((m.href for m in marks if m.kind == "link" and m.start <= start and end <= m.end), "")
        run = etree.Element(w("r"))
        props = copy.deepcopy(template) if template is not None else etree.Element(w("rPr"))
        for tag, kind in (("b", "strong"), ("bCs", "strong"), ("i", "em"), ("iCs", "em"), ("strike", "strike")):
            for old in props.findall(w(tag)):
                props.remove(old)
            if kind in kinds:
                props.append(etree.Element(w(tag)))
        _order(props)
        if len(props):
            run.append(props)
        element = etree.SubElement(run, w("t"))
        element.text = text[start:end]
        element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        container = holder
        if href and href in links:
            last = holder[-1] if len(holder) else None
            if last is not None and last.tag == w("hyperlink") and last.get("_href") == href:
                container = last
            else:
                container = etree.SubElement(holder, links[href].tag, dict(links[href].attrib))
                container.set("_href", href)
        container.append(run)
    for link in holder.iter(w("hyperlink")):
        link.attrib.pop("_href", None)
    return holder


#: The order the schema gives run properties (Word refuses a file with them out of order).
_RPR_ORDER = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline",
              "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w",
              "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign",
              "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath"]


def _order(props: Any) -> None:
    rank = {name: n for n, name in enumerate(_RPR_ORDER)}
    children = list(props)
    children.sort(key=lambda e: rank.get(e.tag.rpartition("}")[2], len(rank)) if isinstance(e.tag, str) else 0)
    for child in children:
        props.append(child)


def _write_table(block: Block, rows: list, bilingual: bool) -> None:
    """Each cell's sentences back into the paragraphs they came from."""
    from pipeline.read.docx import items_content

    cells = cell_sentences(block)
    for row, row_sentences in zip(rows, cells):
        for cell, sentences in zip(row, row_sentences):
            # Which paragraph of the cell each sentence starts in (the cell's text
            # is its paragraphs' joined by line breaks, as the reader made it).
            texts = [(items, items_content(items)[0]) for _, items in cell]
            owner: list[list] = [[] for _ in texts]
            at, paragraph = 0, 0
            for sentence in sentences:
                while paragraph < len(texts) and sentence.text not in texts[paragraph][1][at:]:
                    paragraph, at = paragraph + 1, 0
                if paragraph == len(texts):
                    break
                owner[paragraph].append(sentence)
                at = texts[paragraph][1].find(sentence.text, at) + len(sentence.text)
            for (items, source), own in reversed(list(zip(texts, owner))):
                if not items or not own:
                    continue
                text, marks = sentences_content(own, source)
                paragraph_element = items[0].run
                while paragraph_element.tag.rpartition("}")[2] != "p":
                    paragraph_element = paragraph_element.getparent()
                if bilingual:
                    paragraph_element.addnext(_twin(paragraph_element, items, text, marks))
                else:
                    replace_text(paragraph_element, items, text, marks)


# ---- any other source: a Word file built from the blocks -------------------------------------


_STYLES = {"title": "Title", "subtitle": "Subtitle", "list_item": "List Bullet", "quote": "Quote",
           "caption": "Caption", "toc": "Normal", "cue": "Normal"}


def built_docx(document: Document, bilingual: bool) -> bytes:
    """A Word file of the document's blocks (see the module docstring)."""
    import docx
    from docx.shared import Pt

    word = docx.Document()
    word.core_properties.language = "zh-CN, en" if bilingual else "en"
    for block in document.blocks:
        style = _STYLES.get(block.kind, "Normal")
        if block.kind in ("heading",):
            style = f"Heading {min(max(block.level or 2, 1), 9)}"
        if block.table is not None:
            _built_table(word, block, bilingual)
            continue
        if not block.translatable:
            paragraph = word.add_paragraph(style="Normal")
            run = paragraph.add_run(block.text)
            run.font.name = "Courier New"
            run.font.size = Pt(9)
            continue
        if bilingual:
            _paragraph(word.add_paragraph(style=style), block.text, [])
        text, marks = block_content(block)
        if text:
            _paragraph(word.add_paragraph(style=style), text, marks)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _paragraph(paragraph: Any, text: str, marks: list[Mark]) -> None:
    cuts = sorted({0, len(text)} | {p for m in marks if m.kind in ("strong", "em", "strike", "link")
                                    for p in (m.start, m.end) if 0 <= p <= len(text)})
    for start, end in zip(cuts, cuts[1:]):
        if end > start:
            kinds = {m.kind for m in marks if m.start <= start and end <= m.end}
            run = paragraph.add_run(text[start:end])
            run.bold = True if "strong" in kinds else None
            run.italic = True if "em" in kinds else None
            run.font.strike = True if "strike" in kinds else None
            run.underline = True if "link" in kinds else None


def _built_table(word: Any, block: Block, bilingual: bool) -> None:
    rows = cell_sentences(block)
    width = max((len(r) for r in rows), default=0)
    if not width:
        return
    table = word.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, sentences in enumerate(row):
            cell = table.cell(r, c)
            chinese = "".join(s.text for s in sentences)
            text, marks = sentences_content(sentences, chinese)
            first = cell.paragraphs[0]
            if bilingual:
                _paragraph(first, chinese, [])
                if text:
                    _paragraph(cell.add_paragraph(), text, marks)
            else:
                _paragraph(first, text, marks)
