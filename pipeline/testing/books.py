"""EPUB books built for tests and benchmarks: chapters of given paragraphs, a
navigation document listing them, and a package file; optionally one chapter
that declares an external entity, which the reader refuses."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

_CONTAINER = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:'
              'container"><rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"/>'
              '</rootfiles></container>')
#: A DOCTYPE that declares an external entity: an XML reader must refuse it.
EXTERNAL_ENTITY = '<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


def epub_book(path: str | Path, chapters: Sequence[tuple[str, Sequence[str]]], title: str = "长篇小说",
              refused: int | None = None) -> Path:
    """An EPUB 3 at ``path`` of ``chapters``, each ``(heading, paragraphs)``, in
    spine order (files ``c1.xhtml``, ...); chapter number ``refused`` (from 1)
    declares an external entity."""
    spine, manifest, nav = [], [], []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml", _CONTAINER)
        for c, (heading, paragraphs) in enumerate(chapters, start=1):
            body = "".join(f"<p>{text}</p>" for text in paragraphs)
            doctype = EXTERNAL_ENTITY if c == refused else ""
            z.writestr(f"c{c}.xhtml", f'<?xml version="1.0" encoding="utf-8"?>{doctype}<html xmlns="http://www.w3.org/'
                       f'1999/xhtml"><head><title>{heading}</title></head><body><h1>{heading}</h1>{body}</body></html>')
            manifest.append(f'<item id="c{c}" href="c{c}.xhtml" media-type="application/xhtml+xml"/>')
            spine.append(f'<itemref idref="c{c}"/>')
            nav.append(f'<li><a href="c{c}.xhtml">{heading}</a></li>')
        z.writestr("nav.xhtml", '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml" '
                   'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>目录</title></head><body><nav epub:type='
                   f'"toc"><ol>{"".join(nav)}</ol></nav></body></html>')
        z.writestr("content.opf", '<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" '
                   'version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
                   f'<dc:identifier id="id">duizhao-test</dc:identifier><dc:title>{title}</dc:title><dc:language>zh'
                   '</dc:language></metadata><manifest><item id="nav" href="nav.xhtml" media-type="application/'
                   f'xhtml+xml" properties="nav"/>{"".join(manifest)}</manifest><spine>{"".join(spine)}</spine>'
                   '</package>')
    return Path(path)
