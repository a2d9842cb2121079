"""TMX 1.4b export: the translated sentence pairs as a translation memory.

One ``<tu>`` per translated sentence (``tuid`` = the reader's sentence id,
``p12.3``; not one the engine failed on, ``engine-failed``, whose English holds source text),
with the block id and kind as ``x-`` properties and the sentence's
review flags as notes, so a CAT tool such as OmegaT can import the memory and
show why a pair needs care. The source language is ``zh-Hans`` or ``zh-Hant``
(the document's script), the target ``en``. Built with ElementTree, so every
text is escaped by construction.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from pipeline import __version__
from pipeline.core.model import Document
from pipeline.core.text import XML_LANG, xml_text



def source_language(document: Document) -> str:
    return "zh-Hant" if document.script == "traditional" else "zh-Hans"


def document_tmx(document: Document, *, now: datetime | None = None) -> str:
    """The TMX 1.4b document of ``document``'s translated sentences."""
    srclang = source_language(document)
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    root = ET.Element("tmx", version="1.4")
    header = ET.SubElement(root, "header", {
        "creationtool": "duizhao",
        "creationtoolversion": __version__,
        "datatype": "plaintext",
        "segtype": "sentence",
        "adminlang": "en",
        "srclang": srclang,
        "o-tmf": "duizhao",
        "creationdate": stamp,
    })
    ET.SubElement(header, "prop", type="x-source").text = xml_text(document.source)
    if document.signature:
        ET.SubElement(header, "prop", type="x-signature").text = xml_text(document.signature)
    body = ET.SubElement(root, "body")
    for block in document.blocks:
        if not block.translatable:
            continue
        for number, sentence in enumerate(block.sentences, start=1):
            translation = (sentence.translation or "").strip()
            # Source text the engine could not translate is kept in the English: no pair for a memory.
            if not translation or any(f.code == "engine-failed" for f in sentence.flags):
                continue
            tu = ET.SubElement(body, "tu", tuid=f"{block.id}.{number}")
            for flag in sentence.flags:  # TMX wants notes before props
                ET.SubElement(tu, "note").text = xml_text(f"{flag.severity} {flag.code}: {flag.message}")
            ET.SubElement(tu, "prop", type="x-block").text = block.id
            ET.SubElement(tu, "prop", type="x-kind").text = block.kind
            for lang, text in ((srclang, sentence.text.strip()), ("en", translation)):
                tuv = ET.SubElement(tu, "tuv", {XML_LANG: lang})
                ET.SubElement(tuv, "seg").text = xml_text(text)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
