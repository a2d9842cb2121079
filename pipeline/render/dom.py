"""Writing English into an HTML or XHTML tree at a block's unit
(:mod:`pipeline.read.xhtml`), for the web page and EPUB writers.

The unit's inline content is replaced by the English with its marks as
elements: a mark's element is the source's own (``<b>`` stays ``<b>``, a link
keeps its ``href``, ``class`` and ``target``) when the source has one of that
kind and target, else a plain ``strong``/``em``/``s``/``a``; marks kept as
written (code, footnote references, pictures) are the source's elements
themselves. Only the unit's content changes: the element, its attributes and
everything around it stay as they were.
"""

from __future__ import annotations

import copy
from typing import Any

from pipeline.core.model import ATOMIC_MARKS, Mark
from pipeline.core.text import XML_LANG
from pipeline.read.xhtml import Unit, content_root, local

_TAG_OF = {"strong": "strong", "em": "em", "strike": "s", "link": "a", "code": "code", "note": "sup", "image": "img",
           "break": "br"}
_KIND_OF = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "s": "strike", "strike": "strike",
            "del": "strike", "a": "link", "code": "code", "kbd": "code", "samp": "code", "tt": "code", "sup": "note",
            "img": "image", "br": "break"}
#: Elements an English sibling cannot follow (it would add a cell or break the
#: structure): the English goes inside them, after a line break.
INSIDE = frozenset({"td", "th", "caption", "figcaption", "summary", "dt", "dd", "a", "span", "text", "title",
                    "option", "label", "li"})
EN_CLASS = "duizhao-en"


class _Templates:
    """The source's elements of the unit, by mark kind and target."""

    def __init__(self, nodes: list[Any]):
        self.paired: dict[tuple[str, str], Any] = {}
        self.atomic: list[tuple[str, str, Any]] = []
        for node in nodes:
            for element in ([node] + list(node.iterdescendants())) if isinstance(node.tag, str) else []:
                if not isinstance(element.tag, str):
                    continue
                kind = _KIND_OF.get(local(element))
                if kind is None:
                    continue
                if kind in ATOMIC_MARKS:
                    key = element.get("src", "") if kind == "image" else "".join(element.itertext())
                    self.atomic.append((kind, key, element))
                else:
                    self.paired.setdefault((kind, element.get("href", "") if kind == "link" else ""), element)

    def paired_element(self, mark: Mark, namespace: str) -> Any:
        from lxml import etree

        source = self.paired.get((mark.kind, mark.href if mark.kind == "link" else ""))
        if source is not None:
            element = etree.Element(source.tag, dict(source.attrib), nsmap=None)
            element.attrib.pop("id", None)
            return element
        element = etree.Element(namespace + _TAG_OF[mark.kind])
        if mark.kind == "link" and mark.href:
            element.set("href", mark.href)
        return element

    def atomic_element(self, mark: Mark, text: str, namespace: str) -> Any:
        from lxml import etree

        key = mark.href if mark.kind == "image" else text
        for n, (kind, known, element) in enumerate(self.atomic):
            if kind == mark.kind and (known == key or mark.kind == "break"):
                del self.atomic[n]
                made = copy.deepcopy(element)
                made.tail = None
                return made
        element = etree.Element(namespace + _TAG_OF[mark.kind])
        if mark.kind == "image":
            element.set("src", mark.href)
            element.set("alt", "")
        elif mark.kind != "break":
            element.text = text
        return element


def _namespace(element: Any) -> str:
    tag = element.tag
    return tag[: tag.index("}") + 1] if isinstance(tag, str) and tag.startswith("{") else ""


def fill(container: Any, text: str, marks: list[Mark], templates: _Templates) -> list[Any]:
    """Build the inline content of ``text`` with ``marks`` and return it as
    ``[leading text, node, node, ...]`` (each node's tail set)."""
    namespace = _namespace(container)
    events: list[tuple[int, int, int, Mark]] = []
    for mark in marks:
        if mark.kind not in _TAG_OF:
            continue
        if mark.kind in ATOMIC_MARKS:
            events.append((mark.start, 1, 0, mark))
        elif mark.end > mark.start:
            events += [(mark.end, 0, 0, mark), (mark.start, 2, -mark.end, mark)]
    from lxml import etree

    root = etree.Element("holder")
    stack = [root]
    at = 0

    def put(piece: str) -> None:
        if not piece:
            return
        current = stack[-1]
        if len(current):
            current[-1].tail = (current[-1].tail or "") + piece
        else:
            current.text = (current.text or "") + piece

    for position, order, _, mark in sorted(events, key=lambda e: (e[0], e[1], e[2])):
        if position < at:
            continue
        put(text[at:position])
        at = position
        if order == 2:
            element = templates.paired_element(mark, namespace)
            stack[-1].append(element)
            stack.append(element)
        elif order == 0:
            if len(stack) > 1:
                stack.pop()
        else:
            content = text[mark.start:mark.end]
            stack[-1].append(templates.atomic_element(mark, content, namespace))
            at = max(at, mark.end)
    put(text[at:])
    return [root.text or ""] + list(root)


def replace_unit(unit: Unit, text: str, marks: list[Mark]) -> None:
    """Put ``text`` with ``marks`` in place of the unit's inline content."""
    if unit.after is None:
        element = content_root(unit.element)
        templates = _Templates(list(element))
        built = fill(element, text, marks, templates)
        for child in list(element):
            element.remove(child)
        element.text = built[0]
        for node in built[1:]:
            element.append(node)
        return
    parent = unit.element
    nodes = unit.nodes()
    templates = _Templates(nodes)
    built = fill(parent, text, marks, templates)
    trailing = nodes[-1].tail if nodes else None
    lead, new = built[0], built[1:]
    # Whitespace the run ended on (before the next block) is kept.
    end_space = "" if nodes and trailing is None else _space_after(unit)
    if unit.after < 0:
        parent.text = lead
        position = 0
    else:
        parent[unit.after].tail = lead
        position = unit.after + 1
    for node in nodes:
        parent.remove(node)
    for offset, node in enumerate(new):
        parent.insert(position + offset, node)
    last = new[-1] if new else None
    if last is not None:
        last.tail = (last.tail or "") + end_space
    elif unit.after < 0:
        parent.text = (parent.text or "") + end_space
    else:
        parent[unit.after].tail = (parent[unit.after].tail or "") + end_space


def _space_after(unit: Unit) -> str:
    nodes = unit.nodes()
    text = (nodes[-1].tail if nodes else unit.lead()) or ""
    return text[len(text.rstrip()):]


def add_english(unit: Unit, text: str, marks: list[Mark]) -> None:
    """Put the English after the unit: a copy of its element (no ``id``) with
    ``class="duizhao-en" lang="en"``, or, where a sibling would break the
    structure, inside it after a line break."""
    from lxml import etree

    if not text:
        return
    element = unit.element
    namespace = _namespace(element)
    if unit.after is None and local(element) not in INSIDE and element.getparent() is not None:
        twin = etree.Element(element.tag, {k: v for k, v in element.attrib.items() if k not in ("id", "name")})
        twin.set("class", (twin.get("class", "") + " " + EN_CLASS).strip())
        twin.set("lang", "en")
        if namespace:
            twin.set(XML_LANG, "en")
        built = fill(twin, text, marks, _Templates(list(content_root(element))))
        twin.text = built[0]
        for node in built[1:]:
            twin.append(node)
        twin.tail = element.tail
        element.tail = None
        element.addnext(twin)
        return
    span = etree.Element(namespace + "span", {"class": EN_CLASS, "lang": "en"})
    built = fill(span, text, marks, _Templates(unit.nodes() if unit.after is not None else list(element)))
    span.text = built[0]
    for node in built[1:]:
        span.append(node)
    brk = etree.Element(namespace + "br")
    if unit.after is None:
        target = content_root(element)
        target.append(brk)
        target.append(span)
        return
    nodes = unit.nodes()
    position = (unit.after + 1 + len(nodes)) if nodes else unit.after + 1
    tail = (nodes[-1].tail if nodes else unit.lead()) or ""
    if nodes:
        nodes[-1].tail = tail.rstrip()
    elif unit.after < 0:
        element.text = tail.rstrip()
    else:
        element[unit.after].tail = tail.rstrip()
    element.insert(position, brk)
    element.insert(position + 1, span)
    span.tail = tail[len(tail.rstrip()):]
