"""Blocks of a Markdown source, parsed with the ``markdown`` package.

Markdown is rendered to HTML by Python-Markdown, and the HTML is walked to
collect block-level elements: headings (the first level-1 heading is the title),
paragraphs, list items, block quotes, and code blocks. Code blocks and YAML front
matter are carried through untranslated. Inline markup (emphasis, links) is kept
as its text only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_BLOCK_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote", "ul", "ol",
     "hr", "table", "tr", "td", "th", "div", "dl", "dt", "dd"}
)
_MARKUP = re.compile(r"[\s*_`#>\[\]()!+\-|~=]")


def markdown_pieces(text: str) -> list[tuple[str, list[int], str]]:
    """``(text, source lines, kind)`` for every block of the Markdown ``text``."""
    import markdown

    pieces: list[tuple[str, str]] = []
    offset_lines = 0
    front = _FRONT_MATTER.match(text)
    if front:
        pieces.append((front.group(0).rstrip("\n"), "front_matter"))
        offset_lines = front.group(0).count("\n")
        body = text[front.end():]
    else:
        body = text
    html = markdown.markdown(body, extensions=["fenced_code", "tables", "sane_lists"])
    walker = _BlockWalker()
    walker.feed(html)
    walker.close()
    if walker.first_heading_level == 1:
        walker.pieces[0] = (walker.pieces[0][0], "title")
    pieces.extend(walker.pieces)
    return _with_lines(pieces, text, offset_lines)


class _BlockWalker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.buffer: list[str] = []
        self.pieces: list[tuple[str, str]] = []
        self.first_heading_level: int | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "br":
            self.buffer.append("\n")
        elif tag not in ("img", "hr", "input"):
            self.stack.append(tag)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and self.first_heading_level is None and not self.pieces:
            self.first_heading_level = int(tag[1])

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        raw = "".join(self.buffer)
        self.buffer = []
        kind = self._kind()
        if kind == "code":
            text = raw.rstrip("\n")
        else:
            text = _join_soft_breaks(raw.strip())
        if text.strip():
            self.pieces.append((text, kind))

    def _kind(self) -> str:
        for tag in reversed(self.stack):
            if tag == "pre":
                return "code"
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                return "heading"
            if tag in ("li", "dd", "dt"):
                return "list_item"
            if tag == "blockquote":
                return "quote"
        return "paragraph"


def _join_soft_breaks(text: str) -> str:
    """A soft line break inside Chinese text is no space; between Latin words it is."""
    def join(match: re.Match) -> str:
        left, right = match.group(1), match.group(2)
        return left + (" " if left.isascii() and right.isascii() else "") + right

    return re.sub(r"(\S)[ \t]*\n[ \t]*(\S)", join, text)


def _with_lines(pieces: list[tuple[str, str]], text: str, body_start: int) -> list[tuple[str, list[int], str]]:
    """Find the source lines of each block: its start by searching its first
    characters (markup ignored) from where the previous block started, its end
    where the next one starts."""
    lines = text.split("\n")
    normalised = [_MARKUP.sub("", line) for line in lines]
    starts = []
    cursor = 0
    for piece, kind in pieces:
        if kind == "front_matter":
            starts.append(0)
            cursor = body_start
            continue
        probe = _MARKUP.sub("", piece)[:6]
        found = next((n for n in range(cursor, len(lines)) if probe and probe in normalised[n]), cursor)
        if kind == "code" and found > cursor and lines[found - 1].lstrip().startswith(("```", "~~~")):
            found -= 1  # the opening fence belongs to the code block
        starts.append(found)
        cursor = found + 1
    result = []
    for index, (piece, kind) in enumerate(pieces):
        start = starts[index]
        end = starts[index + 1] if index + 1 < len(pieces) else len(lines)
        numbers = [n + 1 for n in range(start, max(end, start + 1)) if n < len(lines) and lines[n].strip()]
        result.append((piece, numbers or [start + 1], kind))
    return result
