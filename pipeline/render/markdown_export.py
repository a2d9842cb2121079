"""Markdown exports: bilingual (``<stem>.md``) and English only (``<stem>.en.md``).

The bilingual file gives each block in Chinese, then its English as a block
quote under it (a list item's English is quoted inside the item), so both
Python-Markdown and GitHub show the pairs without any extension. Kinds map to
Markdown as: title → ``#``, heading → ``##``, subtitle → bold, caption →
italics, footnote → ``<small>``, byline and paragraph → a paragraph, list item →
``-``, quote → ``>``, table → a pipe table, code and front matter → an indented
code block, untranslated; an image's reference is shown as written.

Source and translation text is escaped (:func:`escape`), so ``*``, ``_``,
``<script>``, ``|``, a leading ``#`` or ``1.`` are shown as written and can
never change the structure.
"""

from __future__ import annotations

from pipeline.model import Block, Document

#: Escaped with a backslash (both Python-Markdown and GitHub honour these escapes).
_BACKSLASHED = frozenset("\\`*_[]#")
#: Characters Python-Markdown cannot backslash-escape: written as character references.
_REFERENCES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "~": "&#126;", "$": "&#36;"}
_INLINE = {c: "\\" + c for c in _BACKSLASHED} | _REFERENCES
#: What would open a list item or a setext underline at the start of a line.
_LINE_START = {"-": "\\-", "+": "\\+", "=": "&#61;"}
_HEADINGS = {"title": "# ", "heading": "## "}
_VERBATIM = frozenset({"code", "front_matter", "image"})


def bilingual_markdown(document: Document) -> str:
    """Every block in Chinese, each followed by its English as a block quote (a
    table's cells hold the Chinese and the English one under the other)."""
    chunks: list[str] = []
    previous = None
    for block in document.blocks:
        if block.kind in _VERBATIM and previous == "list_item":
            chunks.append("<!-- -->")  # or the indented code would continue the list item
        if block.table is not None:
            chunks.append(_table(block, lambda cell: _cell_text(block, cell, english=False) + (
                "<br>" + english if (english := _cell_text(block, cell, english=True)) else "")))
            previous = block.kind
            continue
        chunks.append(_block(block.kind, block.text))
        english = block_english(block)
        if english:
            quoted = _prefixed(_block(_unlisted(block.kind), english), "> ")
            chunks.append(_prefixed(quoted, "    ") if block.kind == "list_item" else quoted)
        previous = block.kind
    return "\n\n".join(chunks) + "\n"


def english_markdown(document: Document) -> str:
    """The English only, with the source's structure: headings, captions in
    italics, byline, lists, quotes; code and front matter as they are."""
    chunks: list[str] = []
    previous = None
    for block in document.blocks:
        if block.table is not None:
            if block_english(block):
                chunks.append(_table(block, lambda cell: _cell_text(block, cell, english=True)))
                previous = block.kind
            continue
        text = block.text if block.kind in _VERBATIM else block_english(block)
        if not text:
            continue
        if block.kind in _VERBATIM and previous == "list_item":
            chunks.append("<!-- -->")
        chunks.append(_block(block.kind, text))
        previous = block.kind
    return "\n\n".join(chunks) + "\n" if chunks else ""


def block_english(block: Block) -> str:
    """The block's translation: its sentences' translations joined by spaces
    (empty for untranslated blocks and verbatim kinds)."""
    if not block.translatable:
        return ""
    return " ".join(t for s in block.sentences if (t := (s.translation or "").strip()))


def _cell_text(block: Block, cell: list[int], english: bool) -> str:
    sentences = [block.sentences[n - 1] for n in cell]
    if english:
        return " ".join(escape(t) for s in sentences if (t := (s.translation or "").strip()))
    return " ".join(escape(s.text) for s in sentences)


def _table(block: Block, cell_text) -> str:
    """A pipe table of the block's cells (GFM needs a head row: the first row is one)."""
    rows = block.table["rows"]
    width = max((len(row) for row in rows), default=0)
    lines = ["| " + " | ".join([cell_text(c) for c in row] + [""] * (width - len(row))) + " |" for row in rows]
    align = (block.table.get("align") or []) + [""] * width
    rule = {"left": ":---", "center": ":---:", "right": "---:"}
    lines.insert(1, "| " + " | ".join(rule.get(a, "---") for a in align[:width]) + " |")
    return "\n".join(lines)


def escape(line: str) -> str:
    """``line`` as Markdown text that renders as written: inline markup and HTML
    escaped everywhere, list and heading markers escaped at the start."""
    line = line.strip()
    out = "".join(_INLINE.get(c, c) for c in line)
    if line[:1] in _LINE_START:
        out = _LINE_START[line[0]] + out[1:]
    digits = len(line) - len(line.lstrip("0123456789"))
    if digits and line[digits : digits + 1] in (".", ")"):
        out = out[:digits] + "\\" + out[digits:]  # "1984. " would open a numbered list
    return out


def _block(kind: str, text: str) -> str:
    if kind == "image":
        return escape(text)  # a picture's reference in a text source, shown as written
    if kind in _VERBATIM:
        return "\n".join(("    " + line).rstrip() for line in text.split("\n"))
    lines = [escape(line) for line in text.split("\n") if line.strip()]
    if kind in _HEADINGS:
        return _HEADINGS[kind] + " ".join(lines)
    if kind == "caption":
        return "*" + " ".join(lines) + "*"
    if kind == "subtitle":
        return "**" + " ".join(lines) + "**"
    if kind == "footnote":
        return "<small>" + " ".join(lines) + "</small>"
    body = "  \n".join(lines)  # a line break in the source stays one (two trailing spaces)
    if kind == "list_item":
        return "- " + body.replace("\n", "\n  ")
    if kind == "quote":
        return _prefixed(body, "> ")
    return body


def _unlisted(kind: str) -> str:
    """A list item's English is a paragraph quoted inside the item."""
    return "paragraph" if kind == "list_item" else kind


def _prefixed(text: str, prefix: str) -> str:
    return "\n".join((prefix + line) if line else prefix.rstrip() for line in text.split("\n"))
