"""Structure that flattened text still shows: enumerations (一、 （一） 1. （1） ①
甲、 第一条 …), tables whose columns are lined up with spaces, and structured data
pasted into text (JSON, YAML, ``key: value`` metadata).

An enumeration marker is an explicit boundary: an item never runs on from the
line before it (a lead-in ending in "：" stays its own paragraph), and is a list
item or, short and unpunctuated, a numbered heading. A law's article (第一条 …)
is a paragraph. A table's rows become one table block whose cells are translated
one by one; pasted data is kept verbatim (kind ``code``), never translated as prose.
"""

from __future__ import annotations

import json

import regex

from pipeline.read.pieces import Cell, Piece, Table

_HAN_NUMBER = "一二三四五六七八九十百零〇两"
#: Enumeration markers at the start of a block, by family (an item of a family
#: follows one of the same family).
_FAMILIES = {
    "han-comma": rf"[{_HAN_NUMBER}]{{1,4}}\s*、",
    "han-paren": rf"[(（]\s*[{_HAN_NUMBER}]{{1,4}}\s*[)）]",
    "number-paren": r"[(（]\s*\d{1,3}\s*[)）]|[\N{PARENTHESIZED DIGIT ONE}-\N{PARENTHESIZED NUMBER TWENTY}]",
    "number": r"\d{1,3}\s*[、．]|\d{1,3}\.(?![\d.])|\d{1,3}\)",
    "circled": r"[\N{CIRCLED DIGIT ONE}-\N{CIRCLED NUMBER TWENTY}"
               r"\N{DINGBAT NEGATIVE CIRCLED DIGIT ONE}-\N{DINGBAT NEGATIVE CIRCLED NUMBER TEN}]",
    "stem": r"[甲乙丙丁戊己庚辛壬癸]\s*[、．.]",
    "bullet": r"[•●○■□◆◇▪▸►✓✔]\s*|-\s+",
    # A law's article, chapter, section ...: 第三条 (a space or 【 after it; 第三条规定 is a reference).
    "article": rf"第[{_HAN_NUMBER}\d]{{1,5}}\s*条(?=[\s\u3000【]|$)",
    "part": rf"第[{_HAN_NUMBER}\d]{{1,5}}\s*[章节编部篇](?:分)?(?=[\s\u3000]|$)",
}
_ENUMERATION = regex.compile("^(?:" + "|".join(f"(?P<{name.replace('-', '_')}>{pattern})"
                                               for name, pattern in _FAMILIES.items()) + ")")
#: A numbered section heading of a paper: 1 引言, 2.3 方法.
_SECTION_NUMBER = regex.compile(r"^\d{1,2}(?:\.\d{1,2}){0,3}\s+(?=[\p{Han}A-Za-z])")
#: Sentence-final or clause-final marks: an item ending on one is a sentence, not a heading.
_ITEM_END = "。！？!?…；;，,、：:”’」』"


def enumeration(simple: str) -> str | None:
    """The family of the enumeration marker ``simple`` starts with, or None."""
    found = _ENUMERATION.match(simple.lstrip())
    if found is None:
        return None
    return next(name for name in _FAMILIES if found.group(name.replace("-", "_")) is not None)


def starts_item(simple: str) -> bool:
    """A block that starts with an enumeration marker (an article, chapter or
    section of a law too): never the continuation of the block before it."""
    return enumeration(simple) is not None


def is_section_heading(simple: str, max_chars: int) -> bool:
    """``1 引言``, ``2.3 方法``: a number, a space and a short title."""
    return len(simple) <= max_chars and simple[-1:] not in _ITEM_END and bool(_SECTION_NUMBER.match(simple))


def item_kind(simple: str, max_heading_chars: int) -> str | None:
    """The kind of a block that starts with an enumeration marker: ``heading``
    when it is short and ends without punctuation (一、总则, 第一章 总 则), else
    ``list_item``; an article of a law (第一条 ……) is a ``paragraph``. None when
    ``simple`` starts with no marker."""
    family = enumeration(simple)
    if family is None:
        return None
    text = simple.rstrip()
    if family == "part":
        return "heading" if len(text) <= max_heading_chars else "paragraph"
    if family == "article":
        return "paragraph"
    if len(text) <= max_heading_chars and text[-1] not in _ITEM_END and family != "bullet":
        return "heading"
    return "list_item"


# -- tables lined up with spaces ---------------------------------------------------------------

#: Two or more spaces (or a tab, or an ideographic space) between the cells of a row.
_CELL_GAP = regex.compile(r"(?:[ \u00a0]{2,}|\t|\u3000)+")
_CELL_TEXT = regex.compile(r"\S(?:.*\S)?")


def table_cells(line: str) -> list[str]:
    """The cells of a row lined up with runs of spaces (one cell for plain text)."""
    return [cell for cell in _CELL_GAP.split(line.strip()) if cell]


def is_table_row(line: str) -> bool:
    """Two or more cells, none of them a sentence (a row of figures or labels)."""
    cells = table_cells(line)
    if len(cells) < 2:
        return False
    return not any(len(cell) > 30 or cell[-1] in "。！？!?；;" for cell in cells)


def table_piece(rows: list[Piece]) -> Piece:
    """Consecutive row lines as one table piece: each cell its own translation unit."""
    cells = [[Cell(text, [], []) for text in table_cells(row.text)] for row in rows]
    text = "\n".join("\t".join(cell.text for cell in row) for row in cells)
    piece = Piece(text, [n for row in rows for n in row.lines], "table", fixed=True)
    piece.table = Table(0, [""] * max(len(row) for row in cells), cells)
    piece.simple = "\n".join(row.simple for row in rows)
    return piece


# -- structured data pasted into text ------------------------------------------------------------

#: ``key: value`` with a machine-style key (title:, date:, author_name =).
_KEY_VALUE = regex.compile(r"^\s*[\"']?[A-Za-z_][\w.-]{0,30}[\"']?\s*[:=]\s*\S?")


def is_key_value(line: str) -> bool:
    """``title: 快速开始``, ``date = 2024-01-01``: a key a machine would write, a value."""
    return bool(_KEY_VALUE.match(line))


def is_json(text: str) -> bool:
    """A JSON object, or a JSON list written over lines ([1] alone is a note's marker)."""
    stripped = text.strip()
    if not (stripped[:1] in "{[" and stripped[-1:] in "}]" and (":" in stripped or "\n" in stripped)):
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True


def is_structured_data(text: str) -> bool:
    """JSON, or two or more lines of which most are ``key: value`` pairs with
    machine-style keys: data to keep as written, not prose to translate."""
    stripped = text.strip()
    if is_json(stripped):
        return True
    lines = [line for line in stripped.split("\n") if line.strip()]
    if len(lines) < 2:
        return False
    pairs = sum(1 for line in lines if _KEY_VALUE.match(line))
    return pairs >= 2 and pairs * 3 >= len(lines) * 2
