"""Safe access to the packages and markup of structured sources: ZIP packages
(DOCX, EPUB) and XML, for the readers and for the writers that rewrite them.

What a hostile or broken file can do, and what stops it, each as one
:class:`~pipeline.core.errors.SourceError` line naming the file:

- a file that is not a ZIP, or a truncated one: ``zipfile`` refuses it;
- a password-protected Word file (an OLE compound file, not a ZIP) or an
  encrypted ZIP member: said so, with the fix;
- a ZIP bomb: the members' declared sizes are summed before anything is read
  (:data:`MAX_UNPACKED`), and every member is read with that bound, so a header
  that lies about its size cannot unpack more;
- XML that declares entities (``<!ENTITY``: external entities, or the nested
  ones of "billion laughs"): refused before parsing; the parser never loads a
  DTD, never touches the network and keeps libxml2's size limits.
"""

from __future__ import annotations

import html.entities
import zipfile
from pathlib import Path
from typing import Any

import regex

from pipeline.core.errors import SourceError

#: The most a package may unpack to, all members together (a 300-page EPUB with
#: pictures is some 10-50 MB; a Word file with many pictures some 100 MB).
MAX_UNPACKED = 512 * 1024 * 1024
#: The most members a package may have.
MAX_MEMBERS = 20_000
#: The signature of an OLE compound file: a password-protected .docx (or an old .doc).
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENTITY_DECLARATION = regex.compile(rb"<!ENTITY", regex.I)
#: Named character references an XHTML file may use without its DTD (&nbsp;);
#: the five XML ones are left to the parser.
_NAMED = regex.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_NAMED = frozenset({"amp", "lt", "gt", "quot", "apos"})


class Package:
    """A ZIP package opened for reading, checked against bombs and encryption."""

    def __init__(self, path: Path, what: str, fix: str):
        self.path = path
        try:
            with open(path, "rb") as handle:
                head = handle.read(8)
        except FileNotFoundError as exc:
            raise SourceError(path, "no such file", "check the path") from exc
        except IsADirectoryError as exc:
            raise SourceError(path, f"is a directory, not a {what}", "give the path of one file") from exc
        except OSError as exc:
            raise SourceError(path, f"cannot be read: {exc.strerror}") from exc
        if head == OLE_SIGNATURE:
            raise SourceError(path, f"is password-protected (encrypted) or an old binary file, not a {what}",
                              "open it in Word, remove the password and save it as .docx")
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise SourceError(path, f"is not a valid {what} (a damaged or truncated ZIP archive: {exc})", fix) from exc
        if len(infos) > MAX_MEMBERS:
            raise SourceError(path, f"holds {len(infos)} files, more than a {what} has ({MAX_MEMBERS} at most)", fix)
        unpacked = sum(info.file_size for info in infos)
        if unpacked > MAX_UNPACKED:
            raise SourceError(path, f"would unpack to {unpacked / 2**20:.0f} MB, more than duizhao reads "
                              f"({MAX_UNPACKED // 2**20} MB; a ZIP bomb?)", fix)
        self.names = [info.filename for info in infos]
        self._infos = {info.filename: info for info in infos}
        self._what, self._fix = what, fix

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def has(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """A member's bytes, never more than its declared size."""
        info = self._infos.get(name)
        if info is None:
            raise SourceError(self.path, f"is not a valid {self._what}: it lacks {name}", self._fix)
        if info.flag_bits & 0x1:
            raise SourceError(self.path, f"is encrypted ({name} needs a password)", self._fix)
        try:
            with self.zip.open(info) as member:
                data = member.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise SourceError(self.path, f"is damaged: {name} cannot be unpacked ({exc})", self._fix) from exc
        if len(data) > info.file_size:
            raise SourceError(self.path, f"is damaged: {name} unpacks to more than its stated size (a ZIP bomb?)",
                              self._fix)
        return data

    def xml(self, name: str) -> Any:
        """A member parsed as XML (:func:`parse_xml`)."""
        return parse_xml(self.read(name), self.path, name)


def xml_parser() -> Any:
    """An lxml parser that loads no DTD, resolves no entity and fetches nothing."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_blank_text=False)


def parse_xml(data: bytes, path: Path, member: str = "") -> Any:
    """``data`` parsed as XML (an element tree), or a :class:`SourceError` naming
    the file, the member and the line. Entity declarations are refused; named
    HTML character references (``&nbsp;``), which XHTML files use without
    loading their DTD, are read as the characters they stand for."""
    from lxml import etree

    where = f"{member} in it" if member else "it"
    if _ENTITY_DECLARATION.search(data):
        raise SourceError(path, f"declares XML entities in {member or 'the file'} (<!ENTITY>), which duizhao never "
                          "expands (external-entity and entity-expansion attacks)", "remove the declarations")
    try:
        return etree.fromstring(data, xml_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        if "Entity" in str(exc) and b"&" in data:
            try:
                return etree.fromstring(named_references(data), xml_parser()).getroottree()
            except (etree.XMLSyntaxError, ValueError):
                pass
        raise SourceError(path, f"is damaged: {where} is not well-formed XML (line {exc.lineno}: {exc.msg})") from exc
    except ValueError as exc:
        raise SourceError(path, f"is damaged: {where} cannot be read as XML ({exc})") from exc


def named_references(data: bytes) -> bytes:
    """``&nbsp;`` and the other HTML named references as numeric ones (XML knows five)."""
    text = data.decode("utf-8")

    def numeric(match: regex.Match) -> str:
        name = match.group(1)
        if name in _XML_NAMED or name not in html.entities.name2codepoint:
            return match.group(0)
        return f"&#{html.entities.name2codepoint[name]};"

    return _NAMED.sub(numeric, text).encode("utf-8")
