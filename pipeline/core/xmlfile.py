"""XML files from outside (TBX termbases, TMX references), parsed with bounds.

:func:`parse_xml` builds the ElementTree of a document whose elements nest at
most :data:`MAX_DEPTH` deep: the formats duizhao reads nest under ten levels,
and a deeper file is a damaged or hostile one. (The standard library's expat
already refuses entity expansion bombs and never fetches external entities.)
:func:`outermost` and :func:`element_text` walk a tree so that each element is
visited a bounded number of times, whatever the nesting: a reader that looked
for its elements under each of their ancestors was quadratic in the depth.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

#: Elements deeper than this are refused (TBX nests about 8, TMX about 6).
MAX_DEPTH = 256


class XMLFileError(ValueError):
    """An XML document that cannot be read: where (``line``, ``column``, 1-based;
    0 when unknown) and why."""

    def __init__(self, line: int, column: int, reason: str):
        super().__init__(reason)
        self.line, self.column, self.reason = line, column, reason


class _TooDeep(Exception):
    pass


class _Builder(ET.TreeBuilder):
    """A tree builder that counts how deep it is and stops past :data:`MAX_DEPTH`."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def start(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep()
        return super().start(tag, attrs)

    def end(self, tag):  # type: ignore[no-untyped-def]
        self.depth -= 1
        return super().end(tag)


def parse_xml(data: bytes) -> ET.Element:
    """The root element of the XML document ``data``; :class:`XMLFileError` when it
    is not well-formed or nests deeper than :data:`MAX_DEPTH`."""
    parser = ET.XMLParser(target=_Builder())
    try:
        parser.feed(data)
        return parser.close()
    except ET.ParseError as exc:
        line, column = exc.position
        raise XMLFileError(line, column + 1, f"not well-formed XML ({str(exc.msg).split(':')[0]})") from None
    except _TooDeep:
        raise XMLFileError(0, 0, f"elements nested more than {MAX_DEPTH} deep") from None


def outermost(element: ET.Element, wanted: Callable[[ET.Element], bool]) -> Iterator[ET.Element]:
    """The descendants of ``element`` that are ``wanted``, in document order, but
    none inside another one found: the walk does not go into what it finds. With a
    stack, so any depth is fine."""
    stack = [iter(element)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif wanted(child):
            yield child
        else:
            stack.append(iter(child))


def element_text(element: ET.Element) -> str:
    """All the text inside ``element``, its descendants' too (one walk)."""
    return "".join(element.itertext())


def local_name(tag: object) -> str:
    """An element's name without its namespace (``""`` for a comment or a
    processing instruction, whose tag is a function)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
