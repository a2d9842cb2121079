"""Markdown exports: bilingual (``<stem>.md``) and English only (``<stem>.en.md``).

For a Markdown source, both follow the source itself (:func:`_follow_source`):
``en.md`` is the source with the English of every block put where its Chinese
was, so front matter, heading levels and ``{#id}`` attributes, lists, tables,
quotes, ``:::`` containers, code fences (byte for byte), images and link
targets stay as written; the inline marks (bold, links, inline code, footnote
references) are written around the English where the engine put them. The
bilingual file keeps the Chinese as written and puts each block's English under
it as a block quote inside the same container (a table cell: after ``<br>``).
Duplicates layout repair dropped are left out; a paragraph joined across a
picture is written whole where it starts.

For a text source, the exports are made from the blocks: the bilingual file
gives each block in Chinese, then its English as a block quote under it (a list
item's English is quoted inside the item), so both Python-Markdown and GitHub
show the pairs without any extension. Kinds map to Markdown as: title → ``#``,
heading → ``##``, subtitle → bold, caption → italics, footnote → ``<small>``,
byline and paragraph → a paragraph, list item → ``-``, quote → ``>``, table → a
pipe table, code and front matter → an indented code block, untranslated; an
image's reference is shown as written.

Source and translation text is escaped (:func:`escape`), so ``*``, ``_``,
``<script>``, ``|``, a leading ``#`` or ``1.`` are shown as written and can
never change the structure.
"""

from __future__ import annotations

import regex

from pipeline.core.model import ATOMIC_MARKS, Block, Document, Mark, Sentence

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
    if document.markdown is not None:
        return _follow_source(document, bilingual=True)
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
    if document.markdown is not None:
        return _follow_source(document, bilingual=False) if any(
            s.translation for s in document.each_sentence()) else ""
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
    return _line_start(line.strip())


def _escape_inline(text: str) -> str:
    return "".join(_INLINE.get(c, c) for c in text)


def _line_start(text: str) -> str:
    """``text`` escaped, and escaped where it would open a list or a setext
    heading at the start of a line."""
    out = _escape_inline(text)
    if text[:1] in _LINE_START:
        out = _LINE_START[text[0]] + out[1:]
    digits = len(text) - len(text.lstrip("0123456789"))
    if digits and text[digits : digits + 1] in (".", ")"):
        out = out[:digits] + "\\" + out[digits:]  # "1984. " would open a numbered list
    return out


# -- a Markdown source: the exports follow it -------------------------------------------------


def _follow_source(document: Document, bilingual: bool) -> str:
    """The source with each block's English in place (``bilingual``: under its
    Chinese); see the module docstring."""
    source = document.markdown or ""
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) of source text
    removed: list[int] = []  # offsets whose line may be left holding nothing
    front = _FRONT_MATTER.match(source)
    for block in document.blocks:
        if not block.translatable:
            continue
        if front and block.spans and block.spans[0][1] <= front.end():
            if not bilingual:  # a value asked for (title, description): YAML-quoted English
                start, end = block.spans[0]
                edits.append(_yaml_value(source, start, end, _sentences_plain(block.sentences)))
            continue
        if block.table is not None:
            for row, row_spans in zip(block.table["rows"], block.cell_spans):
                for cell, spans in zip(row, row_spans):
                    if spans:
                        english = _sentences_markdown([block.sentences[n - 1] for n in cell], "", True,
                                                      in_table=True)
                        start, end = spans[0]
                        edits.append((start, end, source[start:end] + "<br>" + english if bilingual and english
                                      else source[start:end] if bilingual else english))
            continue
        if not block.spans:
            continue
        (start, end), *rest = block.spans
        english = _sentences_markdown(block.sentences, block.prefix, True)
        if not bilingual:
            edits.append((start, end, english))
        elif _ADMONITION.match(source, source.rfind("\n", 0, start) + 1):
            edits.append((start, end, source[start:end] + (" / " + english if english else "")))
        else:
            chinese = source[start:end] if not rest else _sentences_markdown(block.sentences, block.prefix, False)
            line_end = source.find("\n", _after_heading(source, end, block))
            line_end = len(source) if line_end < 0 else line_end
            edits.append((start, end, chinese))
            if english:
                next_end = source.find("\n", line_end + 1)
                following = source[line_end + 1 : next_end if next_end >= 0 else len(source)]
                after = "\n" + block.prefix.rstrip() if following.strip() else ""
                edits.append((line_end, line_end, _quoted(block, english) + after))
        for span in rest:
            edits.append((*span, ""))
            removed.append(span[0])
    for dropped in document.dropped:
        for span in dropped.spans:
            edits.append((*span, ""))
            removed.append(span[0])
    return _emptied_lines_out(_applied(source, edits), source, edits, removed)


_FRONT_MATTER = regex.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", regex.S)


def _yaml_value(source: str, start: int, end: int, english: str) -> tuple[int, int, str]:
    """An edit putting ``english`` in a front matter value, quoted as YAML needs."""
    quote = source[start - 1 : start] if start and source[start - 1 : start] in ("'", '"') else ""
    if quote == "'":
        return start, end, english.replace("'", "''")
    escaped = english.replace("\\", "\\\\").replace('"', '\\"')
    return (start, end, escaped) if quote else (start, end, f'"{escaped}"')


def _sentences_plain(sentences: list[Sentence]) -> str:
    return " ".join(t for s in sentences if (t := (s.translation or "").strip()))


#: The first line of a ``:::`` container: its title is written "Chinese / English".
_ADMONITION = regex.compile(r"[ \t>]*:{3,}")


def _after_heading(source: str, end: int, block: Block) -> int:
    """Where the English quote goes after: a setext heading's underline line."""
    if block.kind in ("heading", "title") and block.lines and len(block.lines) > 1:
        line = source.find("\n", end)
        return len(source) if line < 0 else line + 1
    return end


def _quoted(block: Block, english: str) -> str:
    """A block's English as a block quote of its own in the block's containers."""
    prefix = block.prefix
    heading = "#" * (block.level or 2) + " " if block.kind in ("heading", "title") else ""
    lines = english.split("\n")
    body = "\n".join(f"{prefix}> {heading if i == 0 else ''}{line.removeprefix(prefix)}" for i, line in enumerate(lines))
    return f"\n{prefix.rstrip()}\n{body}"


def _applied(source: str, edits: list[tuple[int, int, str]]) -> str:
    out, at = [], 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
        out += [source[at:start], text]
        at = max(at, end)
    out.append(source[at:])
    return "".join(out)


_EMPTY_CONTAINER = regex.compile(r"[ \t>]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]*)?")


def _emptied_lines_out(text: str, source: str, edits, removed: list[int]) -> str:
    """Take out the lines a removed block left holding nothing but its
    containers' markers (a dropped list item's ``- ``, a quote's ``>``)."""
    if not removed:
        return text
    targets = {source.count("\n", 0, start) for start in removed}
    source_line = _line_shift(source, edits)
    return "\n".join(
        line for number, line in enumerate(text.split("\n"))
        if not (source_line.get(number) in targets and _EMPTY_CONTAINER.fullmatch(line))
    )


def _line_shift(source: str, edits) -> dict[int, int]:
    """For each line of the edited text, the source line it is (lines a
    replacement added map to none)."""
    mapping: dict[int, int] = {}
    line_new = line_old = 0
    at = 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1])):
        unchanged = source[at:start]
        for _ in range(unchanged.count("\n")):
            mapping[line_new] = line_old
            line_new += 1
            line_old += 1
        line_old += source[start:end].count("\n")
        line_new += replacement.count("\n")
        at = max(at, end)
    for _ in range(source[at:].count("\n") + 1):
        mapping[line_new] = line_old
        line_new += 1
        line_old += 1
    return mapping


def _sentences_markdown(sentences: list[Sentence], prefix: str, english: bool, in_table: bool = False) -> str:
    """Sentences as Markdown text with their marks: the English joined by spaces,
    the Chinese without."""
    parts = []
    for sentence in sentences:
        text = (sentence.translation or "").strip() if english else sentence.text
        marks = sentence.translation_marks if english else sentence.marks
        if text:
            parts.append(_inline_markdown(text, marks, prefix, in_table))
    joined = (" " if english else "").join(parts)
    return _escape_start(joined)


def _escape_start(markdown: str) -> str:
    """Escape what would open a list or a heading at the start of a block's text."""
    if markdown[:1] in _LINE_START:
        return _LINE_START[markdown[0]] + markdown[1:]
    digits = len(markdown) - len(markdown.lstrip("0123456789"))
    if digits and markdown[digits : digits + 1] in (".", ")"):
        return markdown[:digits] + "\\" + markdown[digits:]
    return markdown


def _inline_markdown(text: str, marks: list[Mark], prefix: str, in_table: bool) -> str:
    """``text`` escaped, with each mark's Markdown around (or, kept as written, in
    place of) its span; a hard break continues the block's containers."""
    events: list[tuple[int, int, Mark]] = []
    for mark in marks:
        if mark.kind in ATOMIC_MARKS:
            events.append((mark.start, 1, mark))
        else:
            events += [(mark.end, 0, mark), (mark.start, 2, mark)]
    out: list[str] = []
    at = 0

    def plain(upto: int) -> None:
        piece = _escape_inline(text[at:upto])
        out.append(piece.replace("&#124;", "\\|") if in_table else piece)

    for position, order, mark in sorted(events, key=lambda e: (e[0], e[1], -e[2].end if e[1] == 2 else 0)):
        if position < at:
            continue
        plain(position)
        at = position
        if order == 1:
            if mark.kind == "break":
                out.append(mark.markup.split("\n")[0] + "\n" + prefix)
            else:
                out.append(mark.markup or _escape_inline(text[mark.start:mark.end]))
            at = max(at, mark.end)
        else:
            out.append(mark.markup if order == 2 else mark.close)
    plain(len(text))
    return "".join(out)


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
