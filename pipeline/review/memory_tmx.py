"""The translation memory to and from TMX 1.4, the exchange format of CAT tools.

:func:`read_tmx` reads the shapes OmegaT, memoQ and Trados write: TMX 1.4 with
``xml:lang`` (or 1.1 with ``lang``, as OmegaT's project memory), any language
code spelling (``zh-CN``, ``ZH-CN``, ``zh_Hans``, ``zh-TW``; ``en``, ``EN-US``), any
encoding the file declares (Trados writes UTF-16), dates on the unit or the
variant, and inline tags: the native codes in ``<bpt>``, ``<ept>``, ``<ph>``,
``<it>`` and ``<ut>`` are left out of the text, ``<hi>`` keeps its text, and
OmegaT's own tags written as text in its project memory (``<b0>``, ``</b0>``,
``<x1/>``) are left out too.

:func:`import_tmx` keys each pair as a document's sentence is keyed (its
Simplified text with today's glossary terms masked) and writes it as an import
of that file; :func:`export_tmx` writes every unit, one ``<tu>`` each, with its
document, date and engine signature as properties.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pipeline import __version__
from pipeline.core.errors import DuizhaoError
from pipeline.core.model import Sentence
from pipeline.core.text import XML_LANG, xml_text
from pipeline.read.source import to_simplified
from pipeline.review.memory import IMPORT, TranslationMemory, Unit, now_iso
from pipeline.terms.glossary import Glossary, annotate_terms
from pipeline.translate.memory import english_template, memory_key

#: Inline elements whose content is the original's markup, not text.
_NATIVE_CODE = frozenset({"bpt", "ept", "ph", "it", "ut"})
_TMX_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
#: OmegaT's tags as its project memory writes them, in the text: <b0>, </b0>, <x1/>.
_OMEGAT_TAG = re.compile(r"</?[a-zA-Z]\d+/?>")


class TmxError(DuizhaoError):
    """A TMX file that cannot be read or written."""


@dataclass(frozen=True)
class Pair:
    """One translation unit of a TMX file: Chinese, English and its date (ISO 8601, or empty)."""

    zh: str
    en: str
    date: str


@dataclass
class ImportResult:
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)


def _segment_text(seg: ET.Element) -> str:
    """The text of a ``<seg>``: its text and that of ``<hi>`` and other wrappers,
    without the native codes inside ``<bpt>``/``<ept>``/``<ph>``/``<it>``/``<ut>``."""
    out = [seg.text or ""]
    for child in seg:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag not in _NATIVE_CODE and tag != "sub":
            out.append(_segment_text(child))
        out.append(child.tail or "")
    return "".join(out)


def _language(tuv: ET.Element) -> str:
    lang = (tuv.get(XML_LANG) or tuv.get("lang") or "").strip().lower().replace("_", "-")
    return lang.split("-")[0]


def _date(*elements: ET.Element | None) -> str:
    """The newest changedate or creationdate on the elements, as ISO 8601 (empty when none)."""
    found = []
    for element in elements:
        if element is None:
            continue
        for name in ("changedate", "creationdate"):
            match = _TMX_DATE.fullmatch((element.get(name) or "").strip())
            if match:
                y, mo, d, h, mi, s = match.groups()
                found.append(f"{y}-{mo}-{d}T{h}:{mi}:{s}Z")
    return max(found, default="")


def read_tmx(path: str | Path) -> list[Pair]:
    """The Chinese-English pairs of the TMX file ``path``, in file order."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TmxError(f"{path}: cannot be read ({exc.strerror or exc}); give a TMX file") from exc
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = exc.position
        raise TmxError(f"{path}:{line}:{column + 1}: not well-formed XML ({str(exc.msg).split(':')[0]}); "
                       "is it a TMX file?") from None
    if root.tag.rsplit("}", 1)[-1] != "tmx":
        raise TmxError(f"{path}: the root element is <{root.tag}>, not <tmx>; give a TMX file")
    header = root.find("header")
    omegat = header is not None and (header.get("creationtool") or "").lower() == "omegat"
    pairs = []
    for unit in root.iter("tu"):
        texts: dict[str, tuple[str, ET.Element]] = {}
        for variant in unit.iter("tuv"):
            lang = _language(variant)
            seg = variant.find("seg")
            if lang in ("zh", "en") and seg is not None and lang not in texts:
                text = _segment_text(seg)
                if omegat:
                    text = _OMEGAT_TAG.sub("", text)
                texts[lang] = (" ".join(text.split()), variant)
        if "zh" in texts and "en" in texts and texts["zh"][0] and texts["en"][0]:
            date = _date(texts["en"][1], unit, texts["zh"][1]) or _date(header)
            pairs.append(Pair(texts["zh"][0], texts["en"][0], date))
    return pairs


def import_tmx(memory: TranslationMemory, path: str | Path, glossary: Glossary | None = None) -> ImportResult:
    """Write the pairs of the TMX file ``path`` into ``memory`` as imports of that
    file (a pair already there unchanged is left alone; a later pair of the same
    source in the file wins)."""
    path = Path(path)
    pairs = read_tmx(path)
    if not pairs:
        raise TmxError(f"{path}: holds no translation unit with both a Chinese (zh…) and an English (en…) "
                       "segment; nothing imported")
    name = f"tmx:{path.name}"
    have = {u.key: u for u in memory.units(name)}
    units: dict[str, Unit] = {}
    result = ImportResult()
    for pair in pairs:
        simplified = to_simplified(pair.zh, "traditional")
        sentence = Sentence(pair.zh, simplified)
        annotate_terms([sentence], glossary or Glossary())
        key = memory_key(sentence)
        units[key] = Unit(key, name, simplified.strip(), pair.en, english_template(pair.en, sentence),
                          pair.date or now_iso(), "", IMPORT)
    for key, unit in units.items():
        old = have.get(key)
        if old is None:
            result.added += 1
        elif (old.english, old.template) == (unit.english, unit.template):
            result.unchanged += 1
        else:
            result.replaced += 1
    memory.put(u for k, u in units.items() if k not in have or (have[k].english, have[k].template)
               != (u.english, u.template))
    return result


def _tmx_date(iso: str) -> str:
    digits = re.sub(r"[^0-9]", "", iso)
    if len(digits) >= 14:
        return f"{digits[:8]}T{digits[8:14]}Z"
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def tmx_text(memory: TranslationMemory, *, source_lang: str = "zh-CN", target_lang: str = "en") -> tuple[str, int]:
    """The memory as a TMX 1.4 document, and the number of units in it."""
    root = ET.Element("tmx", version="1.4")
    ET.SubElement(root, "header", {
        "creationtool": "duizhao", "creationtoolversion": __version__, "datatype": "plaintext",
        "segtype": "sentence", "adminlang": "en", "srclang": source_lang, "o-tmf": "duizhao",
        "creationdate": _tmx_date(now_iso()),
    })
    body = ET.SubElement(root, "body")
    count = 0
    for unit in memory.units():
        stamp = _tmx_date(unit.date)
        tu = ET.SubElement(body, "tu", {"creationdate": stamp, "changedate": stamp, "creationid": "duizhao"})
        ET.SubElement(tu, "prop", type="x-document").text = xml_text(unit.document)
        ET.SubElement(tu, "prop", type="x-origin").text = unit.origin
        if unit.signature:
            ET.SubElement(tu, "prop", type="x-signature").text = xml_text(unit.signature)
        for lang, text in ((source_lang, unit.source), (target_lang, unit.english)):
            tuv = ET.SubElement(tu, "tuv", {XML_LANG: lang})
            ET.SubElement(tuv, "seg").text = xml_text(text)
        count += 1
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n", count


def export_tmx(memory: TranslationMemory, path: str | Path, *, source_lang: str = "zh-CN",
               target_lang: str = "en") -> int:
    """Write the memory to ``path`` as TMX 1.4 (atomically); returns the number of
    units. A file already there is replaced only when duizhao wrote it."""
    from pipeline.core.atomic import write_text_atomic

    target = Path(path)
    if target.exists() and not _ours(target):
        raise TmxError(f"{target}: already exists and was not written by duizhao; choose another file name "
                       "(or move that one away)")
    text, count = tmx_text(memory, source_lang=source_lang, target_lang=target_lang)
    write_text_atomic(path, text)
    return count


def _ours(path: Path) -> bool:
    """Whether ``path`` is a TMX file duizhao wrote (its header names duizhao)."""
    try:
        head = path.read_bytes()[:2048].decode("utf-8", "replace")
    except OSError:
        return False
    return "<tmx" in head and 'creationtool="duizhao"' in head
