"""The block stream of a Markdown source, read with markdown-it-py (CommonMark).

markdown-it gives every block token the source lines it covers, so every piece
knows its exact lines. The walk yields the same kind of pieces the plain-text
path makes (:class:`pipeline.read.pieces.Piece`), and :mod:`pipeline.read.layout`
repairs them with the same rules. What the Markdown says is kept as given
(``fixed``): headings with their level and ``{#id}``, list items, block quotes,
footnote definitions, tables (one cell a unit), code and front matter
(verbatim). A paragraph is cut at its soft line breaks into line pieces
(``continues``), so that a photo's image line, caption and credit can stand
apart from the body; segmentation joins the other lines back.

Inline structure becomes :class:`~pipeline.core.model.Mark` spans on the plain text:
bold, italic, strikethrough and links (their text is translated), and inline
code, images, footnote references, autolinks, inline HTML and hard breaks,
which are kept as written. Every mark remembers its Markdown exactly as the
source writes it, and every piece the source offsets of its text (``spans``),
so the Markdown exports can put the English in its place and leave every other
byte alone.
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import regex

from pipeline.core.model import Mark
from pipeline.read.pieces import Cell, Piece, Table, joiner

#: A heading's trailing attribute list (VitePress, pandoc, markdown-it-attrs): {#id .class}.
_ATTRS = regex.compile(r"[ \t]+\{\s*((?:[#.][\w:-]+|[\w-]+=\S+)(?:\s+(?:[#.][\w:-]+|[\w-]+=\S+))*)\s*\}[ \t]*$")
_TAG = regex.compile(r"<!--.*?-->|<[A-Za-z/!?][^<>]*>", regex.S)
_IMG_TAG = regex.compile(r"<img\b", regex.I)
#: A line that opens with a block element's tag.
_BLOCK_TAG = regex.compile(
    r"^\s*<(?:p|div|li|h[1-6]|section|article|figure|figcaption|blockquote|tr|td|th|dd|dt|table|ul|ol)\b", regex.I)
#: The tags of a figure's caption (HTML in Markdown): its text is a caption.
_FIGCAPTION = regex.compile(r"<(/?)figcaption\b", regex.I)
#: A top-level ``key: value`` line of YAML front matter, the value quoted or not.
_YAML_VALUE = regex.compile(
    r"""^(?P<key>[A-Za-z_][\w-]*):[ \t]+(?:(?P<quote>["'])(?P<value>.*)(?P=quote)[ \t]*|(?P<value>.*?))(?:[ \t]+\#.*)?[ \t]*$"""
)
#: Kinds of block tokens whose paragraphs take the container's kind.
_CONTAINER_KINDS = {"list_item": "list_item", "blockquote": "quote", "footnote_reference": "footnote"}


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.container import container_plugin
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.use(front_matter_plugin).use(footnote_plugin, inline=False, move_to_end=False, always_match_refs=True)
    # Any ::: name (VitePress tip/warning/danger/details, or a custom one).
    md.use(container_plugin, name="admonition", validate=lambda params, *rest: bool(params.strip()))
    # Escapes and entities stay separate tokens holding their source form, so
    # every token's text can be found in the source.
    md.disable("text_join")
    return md


def markdown_pieces(text: str, front_matter: Sequence[str] = ()) -> list[Piece]:
    """The pieces of the Markdown ``text``, in source order. The values of the
    ``front_matter`` keys (``title``, ``description``) become pieces too."""
    walker = _Walker(text, front_matter)
    tokens = _parser().parse(text)
    walker.walk(tokens)
    # The first piece under a thematic break (---) knows it: a repost's note stands above one.
    rules = iter(sorted(token.map[1] for token in tokens if token.type == "hr" and token.map))
    rule = next(rules, None)
    for piece in walker.pieces:
        while rule is not None and piece.lines[0] > rule:
            piece.after_rule = True
            rule = next(rules, None)
    return walker.pieces


class _Walker:
    def __init__(self, source: str, front_matter: Sequence[str] = ()):
        self.source = source
        self.front_matter = tuple(front_matter)
        self.lines = source.split("\n")
        self.line_starts = [0]
        for line in self.lines:
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)
        self.pieces: list[Piece] = []
        self.containers: list[str] = []
        #: A footnote definition's label, given to its first piece.
        self.label: str | None = None

    def walk(self, tokens) -> None:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "front_matter":
                self._verbatim("front_matter", token.map, self._raw(token.map))
                self._front_matter_values(token.map)
            elif kind in ("fence", "code_block"):
                self._verbatim("code", token.map, token.content.rstrip("\n"))
            elif kind == "html_block":
                self._html_block(token)
            elif kind == "heading_open":
                self._heading(token, tokens[i + 1])
                i += 2
            elif kind == "paragraph_open":
                self._paragraph(tokens[i + 1])
                i += 2
            elif kind == "table_open":
                i = self._table(tokens, i)
                continue
            elif kind.startswith("container_admonition"):
                if token.nesting == 1:
                    self._admonition_title(token)
                    self.containers.append("admonition")
                else:
                    self.containers.pop()
            elif kind == "footnote_reference_open":
                self.containers.append("footnote_reference")
                self.label = str(token.meta.get("label", ""))
            elif token.nesting == 1 and kind.endswith("_open"):
                self.containers.append(kind[: -len("_open")])
            elif token.nesting == -1 and kind.endswith("_close") and self.containers:
                self.containers.pop()
            i += 1

    # -- blocks -----------------------------------------------------------------------

    def _raw(self, lines: list[int]) -> str:
        return "\n".join(self.lines[lines[0] : lines[1]]).rstrip("\n")

    def _numbers(self, lines: list[int]) -> list[int]:
        """1-based numbers of the non-blank lines in ``[start, end)``; the first one at least."""
        numbers = [n + 1 for n in range(lines[0], lines[1]) if self.lines[n].strip()]
        return numbers or [lines[0] + 1]

    def _verbatim(self, kind: str, lines: list[int], text: str) -> None:
        if text.strip():
            self.pieces.append(Piece(text, self._numbers(lines), kind, fixed=True,
                                     container=tuple(self.containers)))

    def _front_matter_values(self, lines: list[int]) -> None:
        """A piece for the value of each asked key written on one line at the top
        level of the YAML (``title: 快速开始``, ``description: "……"``): kind title
        for ``title``, subtitle for ``description``, paragraph for another key."""
        for number in range(lines[0] + 1, lines[1] - 1):
            found = _YAML_VALUE.match(self.lines[number])
            if not found or found.group("key") not in self.front_matter:
                continue
            quote = found.group("quote") or ""
            value = found.group("value")
            if not value.strip() or value.startswith(("|", ">", "[", "{", "&", "*", "!")):
                continue
            start = self.line_starts[number] + found.start("value")
            text = value.replace("''", "'") if quote == "'" else _unquoted(value) if quote else value
            kind = {"title": "title", "description": "subtitle"}.get(found.group("key"), "paragraph")
            self.pieces.append(Piece(text, [number + 1], kind, spans=[(start, start + len(value))], fixed=True,
                                     container=("front_matter", quote)))

    def _kind(self) -> str:
        for container in reversed(self.containers):
            if container in _CONTAINER_KINDS:
                return _CONTAINER_KINDS[container]
        return "paragraph"

    def _heading(self, token, inline) -> None:
        content, children = inline.content, list(inline.children or [])
        anchor = None
        attrs = _ATTRS.search(content)
        if attrs:
            content = content[: attrs.start()]
            ids = [a[1:] for a in attrs.group(1).split() if a.startswith("#")]
            anchor = ids[0] if ids else None
            children = _without_suffix(children, len(inline.content) - len(content))
        for line in _Scanner(self, inline.map, content, children, joined=True).lines():
            piece = line.piece(self._numbers(token.map), "heading")
            piece.level, piece.anchor, piece.fixed = int(token.tag[1]), anchor, True
            piece.container = tuple(self.containers)
            self.pieces.append(piece)

    def _paragraph(self, inline) -> None:
        self._lines(_Scanner(self, inline.map, inline.content, inline.children).lines())

    def _lines(self, lines: list[_Line]) -> None:
        """A paragraph's lines as pieces: the second and later ones continue the
        first, an image alone on its line is an image block, and text inside a
        ``<figcaption>`` (an HTML block's or inline HTML) is a caption."""
        kind = self._kind()
        in_caption = False
        for index, line in enumerate(lines):
            caption, in_caption = _figcaption(line, in_caption)
            if line.image_only:
                start, end = line.spans[0]
                piece = Piece(self.source[start:end], line.numbers, "image", fixed=True)
            elif caption:
                piece = line.piece(line.numbers, "caption")
                piece.fixed = True
            else:
                piece = line.piece(line.numbers, kind)
                piece.fixed = kind != "paragraph"
            piece.continues = index > 0
            piece.container = tuple(self.containers)
            if kind == "footnote" and self.label is not None:
                piece.anchor, self.label = self.label, None
            self.pieces.append(piece)

    def _admonition_title(self, token) -> None:
        """``::: tip 提示``: the title after the type word, a heading of the box."""
        number = token.map[0]
        found = regex.match(r"^(\s*:{3,}\s*\S+[ \t]+)(\S.*?)\s*$", self.lines[number])
        if not found:
            return
        start = self.line_starts[number] + found.end(1)
        title = found.group(2)
        self.pieces.append(Piece(title, [number + 1], "heading", spans=[(start, start + len(title))],
                                 fixed=True, container=tuple(self.containers)))

    def _table(self, tokens, i: int) -> int:
        """One piece for the whole table; every cell its text, marks and source span."""
        table = tokens[i]
        rows: list[list[Cell]] = []
        header = 0
        align: list[str] = []
        i += 1
        while tokens[i].type != "table_close":
            token = tokens[i]
            if token.type == "tr_open":
                row_number = token.map[0]
                raw_cells = _row_cells(self.lines[row_number])
                rows.append([])
            elif token.type in ("th_open", "td_open"):
                if len(rows) == 1:
                    align.append(str(token.attrs.get("style", "")).removeprefix("text-align:"))
                column = len(rows[-1])
                start, end = raw_cells[column] if column < len(raw_cells) else (0, 0)
                scan = _Scanner(self, [row_number, row_number + 1], self.lines[row_number][start:end],
                                tokens[i + 1].children, at=self.line_starts[row_number] + start, table_cell=True)
                lines = scan.lines()
                rows[-1].append(lines[0].cell() if lines else Cell("", [], []))
                i += 1
            elif token.type == "thead_close":
                header = len(rows)
            i += 1
        text = "\n".join("\t".join(c.text for c in row) for row in rows)
        if text.strip():
            piece = Piece(text, self._numbers(table.map), "table", fixed=True, container=tuple(self.containers))
            piece.table = Table(header, align, rows)
            self.pieces.append(piece)
        return i + 1

    def _html_block(self, token) -> None:
        """Raw HTML: the tags are markup; the text between them (a caption after an
        ``<img>``, say) is cut into lines like a paragraph's, a new block at each line
        that opens with a block element (``<p>``, ``<figcaption>``). Its pieces are in
        an ``html`` container: a paragraph outside never runs on into them."""
        self.containers.append("html")
        lines: list[_Line] = []
        for n in range(token.map[0], token.map[1]):
            source_line = self.lines[n]
            if not source_line.strip() or (lines and _BLOCK_TAG.match(source_line)):
                self._lines(lines)
                lines = []
                if not source_line.strip():
                    continue
            line = _Line([n + 1])
            at = self.line_starts[n]
            position = 0
            for found in [*_TAG.finditer(source_line), None]:
                stop = found.start() if found else len(source_line)
                run = source_line[position:stop]
                if run:
                    line.parts.append(html.unescape(run))
                    if run.strip():
                        lead = len(run) - len(run.lstrip())
                        line.first = at + position + lead if line.first is None else line.first
                        line.last = at + position + len(run.rstrip())
                if found is None:
                    break
                tag = found.group(0)
                length = len(line.text)
                line.marks.append(Mark("image" if _IMG_TAG.match(tag) else "html", length, length, tag))
                line.first = at + found.start() if line.first is None else line.first
                line.last = at + found.end()
                position = found.end()
            lines.append(line)  # a line of tags only keeps them between its neighbours
        self._lines(lines)
        self.containers.pop()


def _figcaption(line: _Line, inside: bool) -> tuple[bool, bool]:
    """Whether ``line`` has text inside a ``<figcaption>`` (opened on it or on an
    earlier line of its block), and whether one is still open at its end."""
    caption = inside and bool(line.text.strip())
    for mark in line.marks:
        found = _FIGCAPTION.match(mark.markup) if mark.kind == "html" else None
        if found is None:
            continue
        inside = not found.group(1)
        caption |= inside and bool(line.text[mark.start :].strip())
    return caption, inside


def _unquoted(value: str) -> str:
    """A double-quoted YAML scalar's text (the common escapes)."""
    return regex.sub(r'\\(["\\/nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), value)


def _without_suffix(children: list, length: int) -> list:
    """Inline tokens less their last ``length`` characters of text (a heading's ``{#id}``)."""
    children = list(children)
    while length > 0 and children and children[-1].type == "text":
        last = children.pop()
        if len(last.content) > length:
            children.append(last.copy(content=last.content[:-length]))
        length -= len(last.content)
    return children


def _row_cells(line: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each cell's text in a table row, trimmed, as GFM splits
    it: at every ``|`` not escaped with a backslash, outer pipes optional."""
    cuts = []
    escaped = False
    for i, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            cuts.append(i)
    bounds = [-1, *cuts, len(line)]
    cells = []
    for left, right in zip(bounds, bounds[1:]):
        start, end = left + 1, right
        while start < end and line[start] in " \t":
            start += 1
        while end > start and line[end - 1] in " \t":
            end -= 1
        cells.append((start, end))
    if cells and cuts and not line[: cuts[0]].strip():
        cells = cells[1:]
    if cells and cuts and not line[cuts[-1] + 1 :].strip():
        cells = cells[:-1]
    return cells


# -- inline content ---------------------------------------------------------------------


@dataclass
class _Line:
    """One line of a paragraph (or a whole heading or cell): plain text, marks on
    it, and the source offsets of its first and last character of content."""

    numbers: list[int]
    parts: list[str] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    first: int | None = None
    last: int | None = None
    #: The hard line break (``\\`` or two spaces) that ends the line before, as written.
    hard_break: str = ""

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def spans(self) -> list[tuple[int, int]]:
        return [] if self.first is None else [(self.first, self.last)]

    @property
    def image_only(self) -> bool:
        return not self.text.strip() and any(m.kind == "image" for m in self.marks)

    def piece(self, numbers: list[int], kind: str) -> Piece:
        text, marks = _stripped(self.text, self.marks)
        return Piece(text, numbers, kind, marks=marks, spans=self.spans, hard_break=self.hard_break)

    def cell(self) -> Cell:
        text, marks = _stripped(self.text, self.marks)
        return Cell(text, marks, self.spans)


def _stripped(text: str, marks: list[Mark]) -> tuple[str, list[Mark]]:
    """``text`` without surrounding whitespace, the marks moved with it."""
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()

    def clip(at: int) -> int:
        return min(max(at - lead, 0), len(stripped))

    return stripped, [Mark(m.kind, clip(m.start), clip(m.end), m.markup, m.close, m.href) for m in marks]


#: Inline tokens that open and close a mark whose text is translated.
_PAIRED = {"strong_open": "strong", "em_open": "em", "s_open": "strike", "link_open": "link"}
_CLOSING = {"strong_close", "em_close", "s_close", "link_close"}


class _Scanner:
    """Walks an inline token's children along its source text.

    ``content`` is the text markdown-it parsed (container markers removed); each
    of its lines is found in the source, so a position in it maps to a source
    offset. Every child token's source form is matched at the cursor, which
    gives each mark its Markdown exactly as written.
    """

    def __init__(self, walker: _Walker, lines: list[int], content: str, children, *,
                 joined: bool = False, at: int | None = None, table_cell: bool = False):
        self.walker = walker
        self.content = content
        self.children = children or []
        #: Soft breaks join the text (a heading or a cell is one line).
        self.joined = joined or table_cell
        self.table_cell = table_cell
        self.first_line = lines[0]
        self.breaks = [0] + [i + 1 for i, c in enumerate(content) if c == "\n"]
        # Source offset of the start of each line of ``content``.
        self.offsets = [at] if at is not None else self._line_offsets(lines[0], content)

    def _line_offsets(self, first: int, content: str) -> list[int]:
        offsets = []
        for k, part in enumerate(content.split("\n")):
            number = min(first + k, len(self.walker.lines) - 1)
            line = self.walker.lines[number]
            stripped = part.strip()
            lead = len(part) - len(part.lstrip())
            if stripped and line.rstrip().endswith(part.rstrip()):
                column = len(line.rstrip()) - len(part.rstrip())
            elif stripped:
                column = max(line.find(stripped), 0) - lead
            else:
                column = len(line)
            offsets.append(self.walker.line_starts[number] + column)
        return offsets

    def _source(self, cursor: int) -> int:
        """The source offset of ``content[cursor]``."""
        line = bisect.bisect_right(self.breaks, cursor) - 1
        return self.offsets[min(line, len(self.offsets) - 1)] + cursor - self.breaks[line]

    def lines(self) -> list[_Line]:
        """The content as lines: a new line starts at each soft break outside
        paired marks (a bold phrase wrapped over two lines stays one line)."""
        content, children = self.content, self.children
        cursor = 0
        lines = [_Line([self.first_line + 1])]
        opened: list[tuple[str, int, str, str]] = []  # kind, start, markup, href

        def seen(start: int, end: int) -> None:
            """Source ``content[start:end]`` is part of the current line."""
            line = lines[-1]
            if line.first is None:
                line.first = self._source(start)
            line.last = self._source(end)

        def atom(kind: str, start: int, end: int, plain: str, href: str = "") -> None:
            line = lines[-1]
            at = len(line.text)
            line.parts.append(plain)
            line.marks.append(Mark(kind, at, at + len(plain), content[start:end], "", href))
            seen(start, end)

        def find(text: str) -> int:
            found = content.find(text, cursor)
            return cursor if found < 0 else found

        k = 0
        while k < len(children):
            token = children[k]
            kind = token.type
            if kind == "text" and token.content:
                raw = _cell_source(content, cursor, token.content) if self.table_cell else token.content
                start = cursor if self.table_cell else find(raw)
                lines[-1].parts.append(token.content)
                cursor = start + len(raw)
                if token.content.strip():
                    seen(start + len(raw) - len(raw.lstrip()), start + len(raw.rstrip()))
            elif kind == "text_special":
                start = find(token.markup)
                lines[-1].parts.append(token.content)
                cursor = start + len(token.markup)
                seen(start, cursor)
            elif kind in ("softbreak", "hardbreak"):
                start = cursor
                while cursor < len(content) and content[cursor] in " \t\\":
                    cursor += 1
                cursor += content[cursor : cursor + 1] == "\n"
                while cursor < len(content) and content[cursor] in " \t":
                    cursor += 1
                number = self.first_line + bisect.bisect_right(self.breaks, cursor)
                if opened or self.joined:
                    if kind == "hardbreak":
                        at = len(lines[-1].text)
                        lines[-1].marks.append(Mark("break", at, at, content[start:cursor]))
                    else:
                        lines[-1].parts.append(joiner(lines[-1].text, _following_text(children, k)))
                    if number not in lines[-1].numbers:
                        lines[-1].numbers.append(number)
                else:
                    lines.append(_Line([number], hard_break=content[start:cursor] if kind == "hardbreak" else ""))
            elif kind == "link_open" and token.markup == "autolink":
                start = find("<")
                end = content.find(">", start) + 1 or len(content)
                url = content[start + 1 : end - 1]
                atom("url", start, end, url, url)
                cursor = end
                while k + 1 < len(children) and children[k].type != "link_close":
                    k += 1
            elif kind in _PAIRED:
                markup = "[" if kind == "link_open" else token.markup
                start = find(markup)
                cursor = start + len(markup)
                opened.append((_PAIRED[kind], len(lines[-1].text), markup, str(token.attrs.get("href", ""))))
                seen(start, cursor)
            elif kind in _CLOSING and opened:
                start = find("]" if kind == "link_close" else token.markup)
                cursor = _link_tail(content, start) if kind == "link_close" else start + len(token.markup)
                mark_kind, begin, markup, href = opened.pop()
                lines[-1].marks.append(Mark(mark_kind, begin, len(lines[-1].text), markup, content[start:cursor], href))
                seen(start, cursor)
            elif kind == "image":
                start = find("![")
                label_end = start + 2 + len(token.content)
                end = _link_tail(content, label_end) if content[label_end : label_end + 1] == "]" else label_end
                atom("image", start, end, "", str(token.attrs.get("src", "")))
                cursor = end
            elif kind == "code_inline":
                start = find(token.markup)
                cursor = _code_end(content, start, token.markup)
                atom("code", start, cursor, token.content)
            elif kind == "footnote_ref":
                start = find("[^")
                cursor = content.find("]", start) + 1 or len(content)
                atom("note", start, cursor, "[" + content[start + 2 : cursor - 1] + "]")
            elif kind == "html_inline":
                start = find(token.content)
                cursor = start + len(token.content)
                atom("html", start, cursor, "")
            k += 1
        return [line for line in lines if line.text.strip() or line.marks]


def _following_text(children, k: int) -> str:
    for token in children[k + 1 :]:
        if token.type in ("text", "text_special", "code_inline") and token.content:
            return token.content
    return ""


def _cell_source(content: str, cursor: int, text: str) -> str:
    """The source form of a table cell's ``text`` at ``cursor``: ``\\|`` where the
    parsed cell says ``|``."""
    out, i = [], cursor
    for char in text:
        step = 2 if char == "|" and content.startswith("\\|", i) else 1
        out.append(content[i : i + step])
        i += step
    return "".join(out)


def _code_end(content: str, start: int, ticks: str) -> int:
    """The end of the code span opened by the backtick run ``ticks`` at ``start``:
    after the next run of exactly as many backticks."""
    at = start + len(ticks)
    while True:
        found = content.find(ticks, at)
        if found < 0:
            return len(content)
        end = found + len(ticks)
        if content[end : end + 1] != "`":
            return end
        at = end
        while content[at : at + 1] == "`":
            at += 1


def _link_tail(content: str, close: int) -> int:
    """The end of a link's or image's destination after the ``]`` at ``close``:
    ``(dest "title")``, ``[label]``, or nothing (a shortcut reference), read as
    markdown-it reads it."""
    from markdown_it.helpers import parseLinkDestination, parseLinkTitle

    n = len(content)
    pos = close + 1
    if pos < n and content[pos] == "(":
        at = _skip_space(content, pos + 1)
        destination = parseLinkDestination(content, at, n)
        if destination.ok:
            at = destination.pos
            spaced = _skip_space(content, at)
            title = parseLinkTitle(content, spaced, n)
            at = _skip_space(content, title.pos) if spaced != at and title.ok else spaced
        if at < n and content[at] == ")":
            return at + 1
    if pos < n and content[pos] == "[":
        at = pos + 1
        while at < n and content[at] != "]":
            at += 2 if content[at] == "\\" else 1
        return min(at + 1, n)
    return pos


def _skip_space(content: str, at: int) -> int:
    while at < len(content) and content[at] in " \t\n":
        at += 1
    return at
