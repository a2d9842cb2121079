"""The Word reader: a ``.docx`` file into a :class:`~pipeline.core.model.Document`.

python-docx (MIT) opens the file and names its styles; the parts' XML is walked
with lxml, the same way the writer (:mod:`pipeline.render.docx`) walks it, so
both find the same paragraphs:

- the parts, in order: headers (kind ``header``), the body, footnotes and
  endnotes (kind ``footnote``), footers (kind ``footer``);
- every paragraph of a part in document order (:func:`part_paragraphs`), text
  boxes' paragraphs included (their fallback copy for old Word left out); a
  paragraph's address is ``{"part", "p"}``, its index in that order;
- a table is one block (kind ``table``) whose cells are its translation units:
  ``{"part", "table": [[[paragraph indices of the cell], ...], ...]}``;
- paragraph styles give the kinds: Title, Subtitle, Heading n (also a style
  based on one, or an outline level), List …/numbered paragraphs, Caption,
  Quote, TOC n (``toc``); other paragraphs are classified as text is;
- runs' bold, italic and strikethrough, and hyperlinks, are inline marks; the
  results of fields other than hyperlinks and a table of contents (page
  numbers, cross-references, dates) are left as Word computes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import SourceError
from pipeline.core.model import Document, Mark
from pipeline.read.container import Package
from pipeline.read.formats import ReadOptions
from pipeline.read.pieces import Cell, Piece, Table

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_FIX = "check that the file is a complete .docx that opens in Word or LibreOffice"
#: Elements whose content is not the paragraph's text.
_SKIP = frozenset({f"{{{W}}}del", f"{{{W}}}moveFrom", f"{{{W}}}instrText", f"{{{W}}}delText", f"{{{W}}}p",
                   f"{{{W}}}txbxContent", f"{{{MC}}}Fallback", f"{{{W}}}pPr", f"{{{W}}}rPr"})
#: Fields whose result is text to translate; other fields' results are Word's.
_TEXT_FIELDS = frozenset({"HYPERLINK", "TOC"})
_STYLE_KINDS = (("title", "title"), ("subtitle", "subtitle"), ("caption", "caption"), ("quote", "quote"),
                ("intense quote", "quote"), ("toc heading", "toc"))
_HEADING = re.compile(r"^heading (\d)$")
_TOC = re.compile(r"^toc \d$")
_PART = re.compile(r"^word/(header|footer)(\d*)\.xml$")


def w(name: str) -> str:
    return f"{{{W}}}{name}"


@dataclass
class Item:
    """A piece of a paragraph's content: a text element (``w:t``) of a run, with
    the run and the marks it is under."""

    text: Any  # the w:t element
    run: Any
    kinds: frozenset[str]
    href: str = ""
    link: Any = None  # the w:hyperlink it is in


class FieldState:
    """Complex fields open across the paragraphs of a part (a table of contents spans many)."""

    def __init__(self) -> None:
        self.stack: list[list] = []  # [instruction, in result]

    def hidden(self) -> bool:
        """Text now is the result of a field Word computes (a page number)."""
        return any(result and (instr.split() or [""])[0].upper() not in _TEXT_FIELDS
                   for instr, result in self.stack)


def parts(package: Package) -> list[tuple[str, str]]:
    """The parts with text, in reading order, and the kind their paragraphs get."""
    def number(name: str) -> int:
        match = _PART.match(name)
        return int(match.group(2) or 0) if match else 0

    headers = sorted((n for n in package.names if _PART.match(n) and "header" in n), key=number)
    footers = sorted((n for n in package.names if _PART.match(n) and "footer" in n), key=number)
    out = [(n, "header") for n in headers] + [("word/document.xml", "")]
    out += [(n, "footnote") for n in ("word/footnotes.xml", "word/endnotes.xml") if package.has(n)]
    return out + [(n, "footer") for n in footers]


def part_paragraphs(root: Any) -> list[Any]:
    """Every paragraph of a part in document order, text boxes' included, the
    copies in a compatibility fallback left out."""
    return [p for p in root.iter(w("p")) if not any(a.tag == f"{{{MC}}}Fallback" for a in p.iterancestors())]


def relationships(package: Package, part: str) -> dict[str, str]:
    """A part's relationship ids → targets (hyperlinks' addresses)."""
    folder, name = part.rsplit("/", 1)
    rels = f"{folder}/_rels/{name}.rels"
    if not package.has(rels):
        return {}
    return {e.get("Id"): e.get("Target", "") for e in package.xml(rels).getroot() if e.get("Id")}


def paragraph_items(paragraph: Any, fields: FieldState, rels: dict[str, str]) -> list[Item]:
    """The text of ``paragraph`` as items in order (see :class:`Item`)."""
    items: list[Item] = []

    def walk(element: Any, link: Any, href: str) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == w("hyperlink"):
                target = rels.get(child.get(f"{{{R}}}id", ""), "") or (
                    "#" + child.get(w("anchor")) if child.get(w("anchor")) else "")
                walk(child, child, target)
            elif tag == w("r"):
                kinds = run_kinds(child)
                for part in child:
                    if part.tag == w("fldChar"):
                        kind = part.get(w("fldCharType"))
                        if kind == "begin":
                            fields.stack.append(["", False])
                        elif kind == "separate" and fields.stack:
                            fields.stack[-1][1] = True
                        elif kind == "end" and fields.stack:
                            fields.stack.pop()
                    elif part.tag == w("instrText") and fields.stack:
                        fields.stack[-1][0] += part.text or ""
                    elif part.tag == w("t") and part.text and not fields.hidden():
                        items.append(Item(part, child, kinds | ({"link"} if href else set()), href, link))
            elif tag == w("fldSimple"):
                instr = (child.get(w("instr")) or "").split()
                if instr and instr[0].upper() in _TEXT_FIELDS:
                    walk(child, link, href)
            else:
                walk(child, link, href)

    walk(paragraph, None, "")
    return items


def run_kinds(run: Any) -> frozenset[str]:
    """The marks a run's own formatting gives: strong, em, strike."""
    props = run.find(w("rPr"))
    if props is None:
        return frozenset()
    kinds = set()
    for tag, kind in (("b", "strong"), ("i", "em"), ("strike", "strike"), ("dstrike", "strike")):
        element = props.find(w(tag))
        if element is not None and element.get(w("val"), "true").lower() not in ("false", "0", "off"):
            kinds.add(kind)
    return frozenset(kinds)


def items_content(items: list[Item]) -> tuple[str, list[Mark]]:
    """The text of ``items`` and the marks over it (neighbouring runs of one
    formatting make one mark)."""
    text = ""
    marks: list[Mark] = []
    open_marks: dict[tuple[str, str], int] = {}
    for item in items:
        keys = {(k, item.href if k == "link" else "") for k in item.kinds}
        for key in [k for k in open_marks if k not in keys]:
            marks.append(Mark(key[0], open_marks.pop(key), len(text), href=key[1]))
        for key in keys:
            open_marks.setdefault(key, len(text))
        text += item.text.text or ""
    for key, start in open_marks.items():
        marks.append(Mark(key[0], start, len(text), href=key[1]))
    return _stripped(text, marks)


def _stripped(text: str, marks: list[Mark]) -> tuple[str, list[Mark]]:
    lead = len(text) - len(text.lstrip())
    body = text.strip()
    out = []
    for m in marks:
        start, end = max(m.start - lead, 0), min(m.end - lead, len(body))
        if end > start:
            out.append(Mark(m.kind, start, end, href=m.href))
    return body, sorted(out, key=lambda m: (m.start, -m.end))


def open_docx(path: Path) -> tuple[Package, Any]:
    """The file's package (checked: ZIP safety, encryption) and its python-docx document."""
    package = Package(path, "Word document", _FIX)
    try:
        if not package.has("word/document.xml"):
            raise SourceError(path, "is not a Word document (it has no word/document.xml)", _FIX)
        import docx

        try:
            document = docx.Document(str(path))
        except Exception as exc:  # python-docx raises many kinds on a broken package
            raise SourceError(path, f"is not a valid Word document ({type(exc).__name__}: {exc})", _FIX) from exc
        return package, document
    except BaseException:
        package.close()
        raise


def style_kinds(document: Any) -> dict[str, tuple[str, int | None]]:
    """Paragraph style id → (kind, heading level) for the styles that give one."""
    kinds: dict[str, tuple[str, int | None]] = {}
    for style in document.styles:
        try:
            style_id = style.style_id
        except (AttributeError, KeyError):
            continue
        chain, base = [], style
        while base is not None and len(chain) < 10:
            chain.append(base)
            base = getattr(base, "base_style", None)
        for link in chain:
            name = (link.name or "").lower()
            match = _HEADING.match(name)
            if match:
                kinds[style_id] = ("heading", int(match.group(1)))
                break
            kind = dict(_STYLE_KINDS).get(name) or ("toc" if _TOC.match(name) else None) or (
                "list_item" if name.startswith("list") else None)
            if kind:
                kinds[style_id] = (kind, None)
                break
    return kinds


def paragraph_kind(paragraph: Any, styles: dict[str, tuple[str, int | None]]) -> tuple[str, int | None, bool]:
    """(kind, level, fixed) of a body paragraph from its style and properties."""
    props = paragraph.find(w("pPr"))
    if props is not None:
        style = props.find(w("pStyle"))
        if style is not None and style.get(w("val")) in styles:
            kind, level = styles[style.get(w("val"))]
            return kind, level, True
        outline = props.find(w("outlineLvl"))
        if outline is not None and (outline.get(w("val")) or "9").isdigit() and int(outline.get(w("val"))) < 6:
            return "heading", int(outline.get(w("val"))) + 1, True
        if props.find(w("numPr")) is not None:
            return "list_item", None, True
    return "paragraph", None, False


def nearest(element: Any, tag: str) -> Any:
    return next((a for a in element.iterancestors(w(tag))), None)


def table_rows(table: Any) -> list[list[Any]]:
    """A table's rows of cells (``w:tc``), its own only."""
    return [[c for c in row if c.tag == w("tc")] for row in table if row.tag == w("tr")]


def walk_part(package: Package, part: str) -> Iterator[tuple[str, Any, Any, list]]:
    """The units of a part in reading order: ``("p", index, paragraph, items)`` or
    ``("table", table, [[[(index, items), ...] per cell] per row], None)``.
    The writer walks the same way."""
    tree = package.xml(part)
    rels = relationships(package, part)
    fields = FieldState()
    paragraphs = part_paragraphs(tree.getroot())
    index_of = {p: i for i, p in enumerate(paragraphs)}
    items_of = {}
    for paragraph in paragraphs:
        items_of[paragraph] = paragraph_items(paragraph, fields, rels)
    done: set[Any] = set()
    cells: dict[Any, list[Any]] = {}
    for paragraph in paragraphs:
        cell = owner_cell(paragraph)
        if cell is not None:
            cells.setdefault(cell, []).append(paragraph)
    for i, paragraph in enumerate(paragraphs):
        cell = owner_cell(paragraph)
        if cell is None:
            yield "p", i, paragraph, items_of[paragraph]
            continue
        table = nearest(cell, "tbl")
        if table in done:
            continue
        done.add(table)
        rows = [[[(index_of[p], items_of[p]) for p in cells.get(tc, [])] for tc in row] for row in table_rows(table)]
        yield "table", table, rows, None
    yield "tree", tree, None, None


def owner_cell(paragraph: Any) -> Any:
    """The table cell a paragraph belongs to: its nearest ``w:tc``, unless a text
    box stands between them (a text box's paragraphs are paragraphs of their own)."""
    for ancestor in paragraph.iterancestors():
        if ancestor.tag == w("txbxContent"):
            return None
        if ancestor.tag == w("tc"):
            return ancestor
    return None


def read_docx(path: Path, options: ReadOptions) -> Document:
    """The reader of ``.docx`` sources (:mod:`pipeline.read.formats`)."""
    from pipeline.read.html import structured_document

    package, document = open_docx(path)
    with package:
        styles = style_kinds(document)
        pieces: list[Piece] = []
        for part, part_kind in parts(package):
            for unit, a, b, items in walk_part(package, part):
                if unit == "p":
                    text, marks = items_content(items)
                    if not text:
                        continue
                    kind, level, fixed = (part_kind, None, True) if part_kind else paragraph_kind(b, styles)
                    pieces.append(Piece(text, [a + 1], kind, marks=marks, level=level, fixed=fixed,
                                        address={"part": part, "p": a}))
                elif unit == "table":
                    piece = _table_piece(part, b)
                    if piece is not None:
                        pieces.append(piece)
    if not pieces:
        raise SourceError(path, "has no text to translate", "check that the text is not in pictures only")
    text = "\n".join(p.text for p in pieces[:2000])
    return structured_document(path, text, "utf-8", "docx", pieces)


def _table_piece(part: str, rows: list) -> Piece | None:
    cells_rows, address_rows, first = [], [], None
    for row in rows:
        cells, addresses = [], []
        for cell in row:
            parts_text, marks, indices = [], [], []
            for index, items in cell:
                text, own = items_content(items)
                indices.append(index)
                if not text:
                    continue
                first = index if first is None else first
                offset = sum(len(t) + 1 for t in parts_text)
                marks += [Mark(m.kind, m.start + offset, m.end + offset, href=m.href) for m in own]
                parts_text.append(text)
            cells.append(Cell("\n".join(parts_text), marks, []))
            addresses.append(indices)
        cells_rows.append(cells)
        address_rows.append(addresses)
    if first is None:
        return None
    width = max(len(r) for r in cells_rows)
    text = "\n".join(c.text for r in cells_rows for c in r if c.text)
    return Piece(text, [first + 1], "table", fixed=True, table=Table(0, [""] * width, cells_rows),
                 address={"part": part, "table": address_rows})
