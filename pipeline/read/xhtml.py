"""Blocks from an HTML or XHTML element tree, shared by the web page and EPUB
readers, and the definitions the writers use to find the same places again.

A *unit* is where one block's text lives in the tree:

- a leaf block element (``p``, ``h1``–``h6``, ``li``, ``blockquote``,
  ``figcaption``, ``caption``, ``td``, ``th``, ``pre``, ``dt``, ``dd``, or a
  ``div``/``section`` holding only inline content): its address is
  ``{"file", "path"}``, the element's path in the tree (``tree.getpath``);
- a run of inline content inside an element that also holds blocks (text
  straight in a ``div`` between two ``p``): ``{"file", "path", "after", "count"}``,
  the run starting at the tail of child ``after`` (``-1``: the element's own
  text) and holding ``count`` inline children.

Inline elements become the marks the Markdown reader makes (:class:`Mark`):
``strong``/``b`` → strong, ``em``/``i`` → em, ``s``/``del`` → strike, ``a`` →
link (its ``href``), ``code``/``kbd``/``samp`` → code, a ``sup`` holding a link
or a number → note, ``img`` → image, ``br`` → break; others (``span``, ``font``)
only carry their text. A block whose content is one wrapper (``<p><span
style=…>text</span></p>``, as WeChat writes every paragraph) is read, and
written, inside that wrapper, so its style stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import regex

from pipeline.core.model import Mark
from pipeline.read.pieces import Piece

#: Elements that hold blocks or are blocks themselves.
BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol p pre section summary table tbody td tfoot "
    "th thead tr ul".split()
)
#: Elements whose content is never text to translate (nor written back).
SKIPPED_TAGS = frozenset("script style noscript template svg math iframe object embed select textarea head "
                         "title button canvas video audio map".split())
#: Wrappers a block's content may sit in, as a whole.
WRAPPER_TAGS = frozenset("span font section div strong b em i u".split())
_PAIRED = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "s": "strike", "strike": "strike",
           "del": "strike", "a": "link"}
_CODE = frozenset({"code", "kbd", "samp", "tt"})
_KIND_OF = {"li": "list_item", "blockquote": "quote", "figcaption": "caption", "caption": "caption",
            "pre": "code", "header": "header", "footer": "footer"}
_NOTE_TEXT = regex.compile(r"^\s*[\[［(（]?\s*\d{1,3}\s*[\]］)）]?\s*$")
_SPACE = regex.compile(r"\s+")
_BROKEN = "\x1f"
_SPACES = (" ", _BROKEN)
_WIDE = regex.compile(r"[\p{Han}\p{Bopomofo}\p{Hiragana}\p{Katakana}\u3000-\u303f\uff00-\uffef]")


def local(element: Any) -> str:
    """An element's tag without its namespace, lower case (``""`` for comments)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2].lower()


@dataclass
class Unit:
    """One block's place: ``element`` whole (``after`` is None), or the run of
    inline content starting after child ``after`` and holding ``count`` children."""

    element: Any
    after: int | None = None
    count: int = 0

    def nodes(self) -> list[Any]:
        """The inline children the unit's content is made of."""
        children = list(self.element)
        if self.after is None:
            return children
        return children[self.after + 1 : self.after + 1 + self.count]

    def lead(self) -> str:
        """The text before the first child of the unit."""
        if self.after is None:
            return self.element.text or ""
        return (self.element.text if self.after < 0 else self.element[self.after].tail) or ""


def content_root(element: Any) -> Any:
    """``element``, or the single wrapper its whole content sits in (nested wrappers too)."""
    while True:
        children = [c for c in element if isinstance(c.tag, str)]
        if len(children) != 1 or len(element) != 1 or (element.text or "").strip():
            return element
        child = children[0]
        if local(child) not in WRAPPER_TAGS or (child.tail or "").strip() or local(child) in _PAIRED:
            return element
        if any(local(e) in BLOCK_TAGS for e in child.iterdescendants() if isinstance(e.tag, str)):
            return element
        element = child


def units(root: Any) -> Iterator[tuple[Unit, str]]:
    """Every unit under ``root`` in document order, with the tag of the element it is in."""
    holds_blocks: set[Any] = set()
    for element in root.iter():
        if isinstance(element.tag, str) and local(element) in BLOCK_TAGS:
            parent = element.getparent()
            while parent is not None and parent not in holds_blocks:
                holds_blocks.add(parent)
                parent = parent.getparent()
    yield from _walk(root, holds_blocks)


def _walk(element: Any, holds_blocks: set[Any]) -> Iterator[tuple[Unit, str]]:
    tag = local(element)
    if tag in SKIPPED_TAGS:
        return
    if element not in holds_blocks:
        yield Unit(element), tag
        return
    children = list(element)
    start, count = -1, 0
    for i, child in enumerate(children):
        if isinstance(child.tag, str) and (local(child) in BLOCK_TAGS or child in holds_blocks):
            if _run_has_text(element, start, count):
                yield Unit(element, start, count), tag
            yield from _walk(child, holds_blocks)
            start, count = i, 0
        else:
            count += 1
    if _run_has_text(element, start, count):
        yield Unit(element, start, count), tag


def _run_has_text(element: Any, after: int, count: int) -> bool:
    unit = Unit(element, after, count)
    if unit.lead().strip():
        return True
    return any(isinstance(n.tag, str) and local(n) not in SKIPPED_TAGS and
               ("".join(n.itertext()).strip() or local(n) == "img" or n.find(".//{*}img") is not None
                or n.find(".//img") is not None)
               for n in unit.nodes())


class _Text:
    """Inline content read into text and marks, whitespace collapsed as a browser does."""

    def __init__(self, verbatim: bool = False):
        self.parts: list[str] = []
        self.length = 0
        self.marks: list[Mark] = []
        self.verbatim = verbatim
        self.images: list[Any] = []

    def add(self, text: str | None) -> None:
        if not text:
            return
        if not self.verbatim:
            # A run of white space with a line break in it is marked: between two
            # Chinese characters it is no space (the markup's line break), else one.
            text = _SPACE.sub(lambda m: _BROKEN if "\n" in m.group(0) else " ", text)
            last = self.parts[-1][-1:] if self.parts else ""
            if text[:1] in _SPACES and (not last or last in _SPACES):
                text = text[1:]
            if not text:
                return
        self.parts.append(text)
        self.length += len(text)

    def node(self, node: Any) -> None:
        tag = local(node)
        if tag and tag not in SKIPPED_TAGS:
            kind = _PAIRED.get(tag)
            if tag == "a" and not node.get("href"):
                kind = None
            if tag in _CODE or (tag == "sup" and _is_note(node)):
                start = self.length
                self.add("".join(node.itertext()))
                end = self.length
                self.marks.append(Mark("code" if tag in _CODE else "note", start, end,
                                       href=node.get("href", "") if tag != "sup" else _note_target(node)))
            elif tag == "img":
                self.marks.append(Mark("image", self.length, self.length, href=node.get("src", "")))
                self.images.append(node)
            elif tag == "br":
                self.marks.append(Mark("break", self.length, self.length))
            else:
                start = self.length
                self.add(node.text)
                for child in node:
                    self.node(child)
                if kind is not None and self.length > start:
                    self.marks.append(Mark(kind, start, self.length, href=node.get("href", "") if kind == "link"
                                           else ""))
        self.add(node.tail)

    def result(self) -> tuple[str, list[Mark]]:
        text = "".join(self.parts)
        if self.verbatim:
            return text, self.marks
        return _tidy(text, self.marks)


def _is_note(node: Any) -> bool:
    return node.find(".//{*}a") is not None or node.find(".//a") is not None \
        or bool(_NOTE_TEXT.match("".join(node.itertext())))


def _note_target(node: Any) -> str:
    link = next((e for e in node.iter() if local(e) == "a"), None)
    return link.get("href", "") if link is not None else ""


def _tidy(text: str, marks: list[Mark]) -> tuple[str, list[Mark]]:
    """Strip the ends, and drop the white space between two wide (CJK) characters
    where a line break in the markup made it; marks follow."""
    keep = []
    for i, char in enumerate(text):
        if char in _SPACES and (i == 0 or i == len(text) - 1 or char == _BROKEN and _WIDE.match(text[i - 1])
                                and _WIDE.match(text[i + 1])):
            continue
        keep.append(i)
    if len(keep) == len(text):
        return text.replace(_BROKEN, " "), marks
    position = {old: new for new, old in enumerate(keep)}

    def moved(offset: int) -> int:
        while offset < len(text) and offset not in position:
            offset += 1
        return position.get(offset, len(keep))

    out = "".join(text[i] for i in keep).replace(_BROKEN, " ")
    return out, [Mark(m.kind, moved(m.start), max(moved(m.start), moved(m.end)), m.markup, m.close, m.href)
                 for m in marks]


def unit_content(unit: Unit, verbatim: bool = False) -> tuple[str, list[Mark]]:
    """The unit's text and inline marks (a whole element is read inside its wrapper)."""
    reader = _Text(verbatim)
    if unit.after is None:
        root = content_root(unit.element)
        reader.add(root.text)
        for child in root:
            reader.node(child)
    else:
        reader.add(unit.lead())
        for node in unit.nodes():
            reader.node(node)
    return reader.result()


def unit_address(tree: Any, unit: Unit, file: str) -> dict[str, Any]:
    address: dict[str, Any] = {"file": file, "path": tree.getpath(unit.element)}
    if unit.after is not None:
        address.update(after=unit.after, count=unit.count)
    return address


def find_unit(tree: Any, address: dict[str, Any], prefixes: dict[str, str] | None = None) -> Unit | None:
    """The unit an address names in ``tree`` (``None`` when the tree has no such
    place); ``prefixes`` are :func:`namespaces` of the tree, when known."""
    found = find_path(tree, address.get("path"), prefixes)
    if found is None:
        return None
    after = address.get("after")
    if after is None:
        return Unit(found)
    return Unit(found, int(after), int(address.get("count", 0)))


def namespaces(tree: Any) -> dict[str, str]:
    """Every namespace prefix the tree declares (``tree.getpath`` writes them)."""
    return {p: ns for e in tree.iter() if isinstance(e.tag, str) for p, ns in e.nsmap.items() if p}


def find_path(tree: Any, path: Any, prefixes: dict[str, str] | None = None) -> Any:
    """The one element at ``path`` (as ``tree.getpath`` writes it, namespace
    prefixes included), or ``None``."""
    from lxml import etree

    if not isinstance(path, str):
        return None
    if prefixes is None:
        prefixes = namespaces(tree)
    try:
        found = tree.xpath(path, namespaces=prefixes)
    except etree.XPathError:
        return None
    return found[0] if isinstance(found, list) and len(found) == 1 else None


def dom_pieces(tree: Any, root: Any, file: str) -> list[Piece]:
    """The pieces of ``root``'s units, in order, each with its kind from its tag
    and its address; empty units are left out."""
    pieces = []
    for unit, tag in units(root):
        verbatim = unit.after is None and tag == "pre"
        text, marks = unit_content(unit, verbatim)
        line = max(int(getattr(unit.element, "sourceline", 1) or 1), 1)
        address = unit_address(tree, unit, file)
        if not text.strip():
            images = [m for m in marks if m.kind == "image"]
            if images:
                nodes = [unit.element] if unit.after is None else unit.nodes()
                image = next((e for n in nodes if isinstance(n.tag, str) for e in n.iter() if local(e) == "img"), None)
                alt = (image.get("alt") or "").strip() if image is not None else ""
                source = (image.get("src") or image.get("data-src") or "") if image is not None else ""
                pieces.append(Piece(alt or source or "[image]", [line], "image", fixed=True, address=address))
            continue
        kind, level, fixed = "paragraph", None, False
        if unit.after is None:
            if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
                kind, level, fixed = "heading", int(tag[1]), True
            elif tag in _KIND_OF:
                kind, fixed = _KIND_OF[tag], True
        if kind == "code":
            marks = []
        pieces.append(Piece(text, [line], kind, marks=marks, level=level, fixed=fixed, address=address))
    return pieces
