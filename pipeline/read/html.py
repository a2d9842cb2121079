"""The web page reader: a saved HTML page (a news site's, a WeChat article's) into
a :class:`~pipeline.core.model.Document` whose blocks keep their element paths.

1. decode (:func:`decode_html`): a byte-order mark decides; bytes that are valid
   UTF-8 are UTF-8 whatever the page declares (pages re-saved as UTF-8 keep their
   old ``charset=gb2312``); else the first declared charset (``<meta charset>``,
   ``http-equiv``) that decodes the bytes strictly (GB2312 and GBK read as their
   superset GB18030); else the detection text sources get;
2. parse with lxml's HTML parser (it fetches nothing);
3. find the article with trafilatura (Apache-2.0; it kept as much of the four
   real pages' text as readability-lxml and drops more of their boilerplate, and
   readability-lxml needs the LGPL chardet), then read the blocks from the page's
   own DOM (:mod:`pipeline.read.xhtml`): a block whose text the extractor kept
   is content, the page's title heading too; the others (navigation, share and
   follow prompts, related articles, comments) are listed in ``dropped`` with
   reason ``boilerplate``, or kept with ``keep_boilerplate``.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import regex

from pipeline.core.errors import SourceError
from pipeline.core.model import Document
from pipeline.read.blocks import build_document
from pipeline.read.formats import ReadOptions
from pipeline.read.pieces import Piece
from pipeline.read.source import SourceText, decode_bytes, detect_script, to_simplified
from pipeline.read.xhtml import dom_pieces, local

#: The largest page read: a saved article is well under 1 MB, a long one with
#: inline pictures a few MB; beyond this it is not an article.
MAX_HTML_BYTES = 16 * 1024 * 1024
_CHARSET = regex.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", regex.I)
#: Declared names read as the encoding that decodes them (supersets).
_SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
             "big5": "cp950", "iso-8859-1": "cp1252", "latin1": "cp1252", "ascii": "cp1252"}
_KEY = regex.compile(r"\s+")
_ENTITY = regex.compile(r"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", regex.I)
#: A piece this short must match a whole line the extractor kept.
_MIN_MATCH = 6
_TITLE_HINT = regex.compile(r"title", regex.I)


def read_html(path: Path, options: ReadOptions) -> Document:
    """The reader of ``.html`` and ``.htm`` sources (:mod:`pipeline.read.formats`)."""
    data = _read_bytes(path)
    text, encoding = decode_html(data, path)
    if _ENTITY.search(text[:65536]):
        raise SourceError(path, "declares entities in its DOCTYPE (<!ENTITY>), which duizhao never expands "
                          "(external-entity and entity-expansion attacks)", "remove the declarations")
    tree = parse_html(text, path)
    content, title = _extracted(text)
    body = tree.getroot().find(".//body")
    root = body if body is not None else tree.getroot()
    pieces = dom_pieces(tree, root, path.name)
    keep = [False] * len(pieces)
    titled = False
    for i, piece in enumerate(pieces):
        key = _KEY.sub("", piece.text)
        if not titled and not any(keep) and piece.kind in ("heading", "paragraph") \
                and _is_title(piece, key, title, tree):
            piece.kind, piece.level, piece.fixed, titled = "title", 1, True, True
            keep[i] = True
        elif piece.kind != "image":
            keep[i] = options.keep_boilerplate or _in_content(key, content)
    # A picture belongs to the article when the text on both sides of it does.
    text_at = [i for i, p in enumerate(pieces) if p.kind != "image"]
    for i, piece in enumerate(pieces):
        if piece.kind == "image":
            before = [j for j in text_at if j < i]
            after = [j for j in text_at if j > i]
            keep[i] = options.keep_boilerplate or bool(before and after and keep[before[-1]] and keep[after[0]])
    kept = [p for p, k in zip(pieces, keep) if k]
    removed = [(p, "boilerplate") for p, k in zip(pieces, keep) if not k]
    if not kept:
        raise SourceError(path, "has no text to translate (no article was found in the page)",
                          "save the article's page itself, or give --keep-boilerplate")
    return structured_document(path, text, encoding, "html", kept, removed)


def structured_document(path: Path, text: str, encoding: str, fmt: str, pieces: list[Piece],
                        removed: list[tuple[Piece, str]] = (), *, script: str | None = None,
                        before: Piece | None = None, start: int = 1) -> Document:
    """The document of a structured source's pieces: kinds the format leaves
    open classified by the layout rules (:func:`pipeline.read.layout.classify`),
    never joined or dropped (each block must keep its one address). ``script`` is
    detected in ``text`` unless given. A part of a long source (a book read a few
    chapters at a time) gives the last piece of the part ``before`` (classified
    as its first piece's neighbour, kept as it was) and its first block number."""
    from pipeline.read.layout import classify

    script = script or detect_script(text)
    for piece in pieces:
        piece.simple = to_simplified(piece.text, script)
    source = SourceText(path, text, encoding, script, fmt)
    context = [] if before is None else [replace(before, fixed=True, marks=list(before.marks),
                                                 repairs=list(before.repairs))]
    return build_document(source, classify([*context, *pieces])[len(context):], [], removed, start=start)


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_HTML_BYTES:
            raise SourceError(path, f"is {size / 2**20:.1f} MB, larger than a web page duizhao reads "
                              f"({MAX_HTML_BYTES // 2**20} MB)", "save the article alone (File > Save Page As, "
                              "Web Page, HTML only) or as text")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(path, "no such file", "check the path") from exc
    except IsADirectoryError as exc:
        raise SourceError(path, "is a directory, not a web page", "give the path of one page") from exc
    except OSError as exc:
        raise SourceError(path, f"cannot be read: {exc.strerror}") from exc


def decode_html(data: bytes, path: Path) -> tuple[str, str]:
    """The page's text and the encoding that decoded it (see the module docstring)."""
    if not data.strip():
        raise SourceError(path, "is empty", "nothing to translate")
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, encoding = decode_bytes(data, path)
        return unicodedata.normalize("NFC", text), encoding
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    for declared in _CHARSET.findall(data[:65536]):
        name = declared.decode("ascii", "replace").lower()
        encoding = _SUPERSET.get(name, name)
        try:
            codecs.lookup(encoding)
            return unicodedata.normalize("NFC", data.decode(encoding)), encoding
        except (LookupError, UnicodeDecodeError):
            continue
    text, encoding = decode_bytes(data, path)
    return unicodedata.normalize("NFC", text), encoding


def parse_html(text: str, path: Path) -> Any:
    """The page as an lxml tree (the HTML parser loads nothing from outside)."""
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=lxml.html.HTMLParser(
            encoding="utf-8", no_network=True, remove_comments=False))
    except (lxml.etree.ParserError, ValueError) as exc:
        raise SourceError(path, f"cannot be read as HTML ({exc})") from exc
    return root.getroottree()


def _extracted(text: str) -> tuple[tuple[set[str], str], list[str]]:
    """What the extractor finds to be the article: its lines (whitespace taken
    out) and all of them joined, and the title candidates of the page."""
    import logging

    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    found = trafilatura.bare_extraction(text, include_comments=False, include_tables=True, include_images=False,
                                        with_metadata=True)
    body = (found.text if found is not None else "") or ""
    lines = {_KEY.sub("", line) for line in body.split("\n") if line.strip()}
    titles = [t for t in ((found.title if found is not None else None) or "",) if t]
    for pattern in (r"""<meta[^>]+property=["']og:title["'][^>]+content=["']([^"']+)""",
                    r"""var\s+msg_title\s*=\s*['"]([^'"]+)""", r"<title>([^<]+)</title>"):
        match = regex.search(pattern, text[:200000], regex.I)
        if match:
            titles.append(match.group(1))
    return (lines, "".join(sorted(lines, key=body.find))), [_KEY.sub("", t) for t in titles if t.strip()]


def _in_content(key: str, content: tuple[set[str], str]) -> bool:
    lines, joined = content
    if not key:
        return False
    if key in lines:
        return True
    return len(key) >= _MIN_MATCH and key in joined


def _is_title(piece: Piece, key: str, titles: list[str], tree: Any) -> bool:
    """The page's title heading: its text is (the start of) a title the page
    declares, or it is a heading marked as the title (``class="…title"``)."""
    if any(key and (key == t or t.startswith(key) or key.startswith(t)) for t in titles if len(t) >= 4):
        return True
    if piece.kind != "heading":
        return False
    found = tree.xpath(piece.address["path"]) if piece.address else []
    element = found[0] if found else None
    while element is not None and local(element) != "body":
        if _TITLE_HINT.search(f"{element.get('class', '')} {element.get('id', '')}"):
            return True
        element = element.getparent()
    return False
