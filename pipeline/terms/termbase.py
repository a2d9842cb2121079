"""Glossary exchange with CAT tools and spreadsheets: TBX and CSV, both ways.

Export (:func:`export_termbase`) writes the loaded glossary as

- TBX-Basic (TBX v3, DCT style): one ``<conceptEntry>`` per entry, a ``zh``
  ``<langSec>`` with the term and each variant as a ``<termSec>``, an ``en``
  ``<langSec>`` with the rendering and the note as ``<descrip type="definition">``,
  and the entry's ``file:line`` as ``<admin type="source">``;
- CSV with the header ``zh,en,note,variants`` (variants separated by ``|``),
  UTF-8 with a byte-order mark so spreadsheet programs read the Chinese.

Import (:func:`import_termbase`) reads those, and the older TBX layout that many
CAT tools still write (``<martif>``, ``<termEntry>``, ``<langSet>``, ``<tig>``),
then appends the entries to a glossary TSV. The combined file is validated with
:func:`pipeline.terms.glossary.load_glossaries` before anything is written: a clash
refuses the whole import and leaves the file as it was.

``en`` = ``=`` ("keep the term as written") is exported to TBX as the Chinese
term itself, and an English term equal to the Chinese one is imported as ``=``.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from pipeline.core.errors import PARSE_FAILURES, DuizhaoError, failure_reason
from pipeline.terms.glossary import (
    COLUMNS, DEFAULT_DIR, KEEP_AS_WRITTEN, Entry, Glossary, GlossaryError, glossary_row, glossary_text, load_glossaries,
    match_key, row_problem,
)
from pipeline.core.text import XML_LANG, plural, xml_text
from pipeline.core.xmlfile import XMLFileError, element_text, local_name, outermost, parse_xml

FORMATS = ("tbx", "csv")
TBX_NAMESPACE = "urn:iso:std:iso:30042:ed-2"
_LINE_BREAKS = re.compile(r"\s*[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]\s*")


class TermbaseError(DuizhaoError):
    """A TBX or CSV file cannot be read or written."""


@dataclass(frozen=True)
class Term:
    """An entry as exchanged: no file or line of its own, but where it came from."""

    zh: str
    en: str
    note: str = ""
    variants: tuple[str, ...] = ()
    origin: str = ""  # "FILE:line" (CSV) or "FILE entry ID" (TBX), for messages


@dataclass
class ImportResult:
    target: Path
    added: list[Term] = field(default_factory=list)
    already_there: list[Term] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what could not be used, and why
    #: Of ``already_there``, those found in another file of the glossary in force.
    elsewhere: list[Term] = field(default_factory=list)
    #: Of ``elsewhere``, those whose note or variants differ there: where, and that it is kept.
    differing: list[str] = field(default_factory=list)


# -- export ---------------------------------------------------------------------------------


def format_of(path: str | Path, chosen: str | None = None) -> str:
    """``chosen``, or the format named by ``path``'s suffix (.tbx or .csv)."""
    name = (chosen or Path(path).suffix.lstrip(".")).lower()
    if name not in FORMATS:
        raise TermbaseError(f"{path}: cannot tell the format; name it .tbx or .csv, or give --format tbx|csv")
    return name


def export_termbase(glossary: Glossary, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``glossary``'s entries to ``path`` as TBX or CSV (atomically)."""
    from pipeline.core.atomic import write_text_atomic

    fmt = format_of(path, fmt)
    if Path(path).exists() and not Path(path).is_dir() and not _exported_by_us(Path(path), fmt):
        raise TermbaseError(f"{path}: not a {fmt.upper()} file duizhao exported, so it is left untouched; "
                            "move it away or export to another file")
    entries = ordered_entries(glossary)
    text = glossary_tbx(entries, [f.path for f in glossary.files]) if fmt == "tbx" else glossary_csv(entries)
    return write_text_atomic(path, text)


def _exported_by_us(path: Path, fmt: str) -> bool:
    """Whether ``path`` is an export of ours: a TBX naming duizhao in its header,
    or a CSV that starts with the byte-order mark and header duizhao writes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    if fmt == "tbx":
        return b"Exported by duizhao" in head
    return head.startswith(("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8"))


def ordered_entries(glossary: Glossary) -> list[Entry]:
    """Entries in file order (as given), then line order."""
    order = {f.path: n for n, f in enumerate(glossary.files)}
    return sorted(glossary.entries, key=lambda e: (order.get(e.file, len(order)), e.line))


def glossary_tbx(entries: Iterable[Entry], files: Sequence[str] = ()) -> str:
    """TBX-Basic (TBX v3, DCT style) document of ``entries``."""
    # The namespace is written as a plain attribute so that no prefix is registered globally.
    root = ET.Element("tbx", {"type": "TBX-Basic", "style": "dct", XML_LANG: "en", "xmlns": TBX_NAMESPACE})
    header = ET.SubElement(root, "tbxHeader")
    source = ET.SubElement(ET.SubElement(header, "fileDesc"), "sourceDesc")
    made_from = ", ".join(files) if files else "a glossary"
    ET.SubElement(source, "p").text = xml_text(f"Exported by duizhao {__version__} from {made_from}")
    body = ET.SubElement(ET.SubElement(root, "text"), "body")
    for number, entry in enumerate(entries, start=1):
        concept = ET.SubElement(body, "conceptEntry", id=f"c{number}")
        ET.SubElement(concept, "admin", type="source").text = xml_text(entry.ref)
        zh = ET.SubElement(concept, "langSec", {XML_LANG: "zh"})
        _term(zh, entry.zh)
        for variant in entry.variants:
            _term(zh, variant, term_type="variant")
        en = ET.SubElement(concept, "langSec", {XML_LANG: "en"})
        if entry.note:
            ET.SubElement(en, "descrip", type="definition").text = xml_text(entry.note)
        _term(en, entry.zh if entry.en == KEEP_AS_WRITTEN else entry.en)
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _term(lang_sec: ET.Element, text: str, term_type: str | None = None) -> None:
    term_sec = ET.SubElement(lang_sec, "termSec")
    ET.SubElement(term_sec, "term").text = xml_text(text)
    if term_type:
        ET.SubElement(term_sec, "termNote", type="termType").text = term_type


def glossary_csv(entries: Iterable[Entry]) -> str:
    """CSV with the header zh,en,note,variants, starting with a byte-order mark."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow([entry.zh, entry.en, entry.note, "|".join(entry.variants)])
    return "\ufeff" + out.getvalue()


# -- import ---------------------------------------------------------------------------------


def read_termbase(path: str | Path, fmt: str | None = None) -> tuple[list[Term], list[str]]:
    """The terms in a TBX or CSV file (``fmt``, else by suffix), and a message for
    each entry that had to be skipped (no Chinese or no English term)."""
    path = Path(path)
    fmt = format_of(path, fmt)
    try:
        data = path.read_bytes()
        return read_tbx(data, str(path)) if fmt == "tbx" else read_csv(data, str(path))
    except TermbaseError:
        raise
    except (*PARSE_FAILURES, csv.Error) as exc:  # the boundary where a termbase from outside is read
        raise TermbaseError(f"{path}: cannot be read as {fmt.upper()} ({failure_reason(exc)})") from exc


def read_tbx(data: bytes, name: str = "<tbx>") -> tuple[list[Term], list[str]]:
    """Terms from TBX v3 (``conceptEntry``/``langSec``/``termSec``) or the older
    TBX/MARTIF layout (``termEntry``/``langSet``/``tig`` or ``ntig``); namespaces ignored.
    Within an entry the first Chinese term is ``zh`` and the others its variants;
    the first English term is ``en``; the note is the definition, else the notes.

    Each element is visited a bounded number of times (an entry inside an entry
    is part of the outer one, a term inside a term part of the outer term), so
    the work is linear in the file however deep it nests."""
    try:
        root = parse_xml(data)
    except XMLFileError as exc:
        where = f"{name}:{exc.line}:{exc.column}" if exc.line else name
        raise TermbaseError(f"{where}: {exc.reason}; is it a TBX file?") from None
    if local_name(root.tag) not in ("tbx", "martif"):
        raise TermbaseError(f"{name}: not a TBX file (the root element is <{local_name(root.tag)}>, not <tbx> or <martif>)")
    terms: list[Term] = []
    skipped: list[str] = []
    entries = outermost(root, lambda e: local_name(e.tag) in ("conceptEntry", "termEntry"))
    for number, element in enumerate(entries, start=1):
        origin = f"{name} entry {element.get('id') or number}"
        zh_terms, en_terms = [], []
        for lang_sec in (e for e in element if local_name(e.tag) in ("langSec", "langSet")):
            lang = (lang_sec.get(XML_LANG) or lang_sec.get("lang") or "").lower()
            found = [_clean(element_text(t)) for t in outermost(lang_sec, lambda e: local_name(e.tag) == "term")]
            if lang == "zh" or lang.startswith("zh-"):
                zh_terms += found
            elif lang == "en" or lang.startswith("en-"):
                en_terms += found
        zh_terms = list(dict.fromkeys(t for t in zh_terms if t))
        en_terms = [t for t in en_terms if t]
        if not zh_terms or not en_terms:
            skipped.append(f"{origin}: no {'Chinese' if not zh_terms else 'English'} term; skipped")
            continue
        zh, en = zh_terms[0], en_terms[0]
        terms.append(Term(zh, KEEP_AS_WRITTEN if en == zh else en, _note_of(element),
                          tuple(zh_terms[1:]), origin))
    return terms, skipped


def _is_note(element: ET.Element) -> bool:
    tag = local_name(element.tag)
    return tag == "note" or (tag == "descrip" and (element.get("type") or "").lower() == "definition")


def _note_of(entry: ET.Element) -> str:
    definitions, notes = [], []
    for element in outermost(entry, _is_note):
        text = _clean(element_text(element))
        if text:
            (notes if local_name(element.tag) == "note" else definitions).append(text)
    return " ".join(dict.fromkeys(definitions or notes))


def read_csv(data: bytes, name: str = "<csv>") -> tuple[list[Term], list[str]]:
    """Terms from CSV with a header row naming zh and en (and optionally note, variants)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TermbaseError(f"{name}: not UTF-8 (save the CSV as UTF-8)") from exc
    rows = csv.reader(io.StringIO(text, newline=""))
    header = [c.strip().lower() for c in next(rows, [])]
    if "zh" not in header or "en" not in header or any(c not in COLUMNS for c in header):
        raise TermbaseError(
            f"{name}:1: the first row must name the columns zh, en and optionally note, variants "
            f"(found: {', '.join(header) or 'nothing'})"
        )
    terms: list[Term] = []
    skipped: list[str] = []
    for row in rows:
        where = f"{name}:{rows.line_num}"
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise TermbaseError(f"{where}: {plural(len(row), 'column')}, the header names {len(header)}")
        cells = dict(zip(header, [_clean(c) for c in row] + [""] * (len(header) - len(row))))
        if not cells["zh"] or not cells["en"]:
            skipped.append(f"{where}: empty {'zh' if not cells['zh'] else 'en'}; skipped")
            continue
        variants = tuple(v.strip() for v in cells.get("variants", "").split("|") if v.strip())
        terms.append(Term(cells["zh"], cells["en"], cells.get("note", ""), variants, where))
    return terms, skipped


def import_termbase(path: str | Path, into: str | Path | None = None, fmt: str | None = None,
                    in_force: Sequence[str | Path] = ()) -> ImportResult:
    """Append the terms of the TBX or CSV file ``path`` to the glossary TSV ``into``
    (default ``glossary/<stem>.tsv``, created with a header when missing).

    ``in_force`` are the files of the glossary in force that ``into`` joins: a
    term is compared with them as with ``into``. A term already there with the
    same English (in ``into``: also the same note and variants) is left alone; any
    other clash (the same Chinese with another English, a form that belongs to
    another entry) refuses the whole import and the file is not touched.
    """
    from pipeline.core.atomic import write_text_atomic

    terms, skipped = read_termbase(path, fmt)
    target = Path(into) if into is not None else DEFAULT_DIR / f"{Path(path).stem}.tsv"
    if not terms:
        raise TermbaseError(f"{path}: no entry with both a Chinese and an English term; nothing imported")
    text = _read_target(target)
    header = _header_of(text)
    existing = _load_valid(text, target, {}) if target.exists() else Glossary()
    result = ImportResult(target, skipped=skipped)
    rows: list[str] = []
    known: dict[str, tuple[Term, str]] = {  # matching key -> (term, where)
        match_key(form): (Term(e.zh, e.en, e.note, e.variants), f"{target}:{e.line}")
        for e in existing.entries for form in e.forms()
    }
    # The other files in force: an entry there is one the run already uses.
    others = [Path(f) for f in in_force if not _same_file(Path(f), target)]
    elsewhere = {
        match_key(form): (Term(e.zh, e.en, e.note, e.variants), e.ref)
        for e in (load_glossaries(others).entries if others else ()) for form in e.forms()
    }
    problems = []
    for term in terms:
        same, where = known.get(match_key(term.zh)) or elsewhere.get(match_key(term.zh)) or (None, "")
        if same is not None and same.en == term.en:
            if match_key(term.zh) not in known:  # in another file in force: that entry is used
                result.already_there.append(term)
                result.elsewhere.append(term)
                if (same.zh, same.note, same.variants) != (term.zh, term.note, term.variants):
                    result.differing.append(f"{term.origin}: {term.zh} → {term.en} is at {where} with another "
                                            "note or variants; the entry there is kept")
            elif (same.zh, same.note, same.variants) == (term.zh, term.note, term.variants):
                result.already_there.append(term)
            else:
                problems.append(f"{term.origin}: {term.zh} → {term.en} has another note or variants than at "
                                f"{where}; make them agree (edit {where.rpartition(':')[0]} by hand)")
            continue
        taken = next((elsewhere[match_key(f)] for f in (term.zh, *term.variants)
                      if match_key(f) in elsewhere and match_key(term.zh) not in known), None)
        if taken is not None:
            other, where = taken
            problems.append(f"{term.origin}: {term.zh} → {term.en} clashes with {other.zh} → {other.en} at {where} "
                            "in the glossary in force; change one of them")
            continue
        cells = {"zh": term.zh, "en": term.en, "note": term.note, "variants": "|".join(term.variants)}
        unwritable = row_problem(cells, header)
        if unwritable is not None:
            result.skipped.append(f"{term.origin}: {unwritable}; skipped")
            continue
        known.setdefault(match_key(term.zh), (term, term.origin))
        lost = [c for c in ("note", "variants") if getattr(term, c) and c not in header]
        if lost:
            raise TermbaseError(f"{target}: has no {' or '.join(lost)} column for {term.origin}; "
                                "add it to the header row first")
        rows.append(glossary_row(cells, header))
        result.added.append(term)
    if problems:
        raise GlossaryError([*problems, f"nothing was imported from {path}; {target} is unchanged"])
    if not rows:
        return result
    if text and not text.endswith("\n"):
        text += "\n"
    first_line = text.count("\n") + 1
    combined = text + "\n".join(rows) + "\n"
    origins = {first_line + n: t.origin for n, t in enumerate(result.added)}
    _load_valid(combined, target, origins, source=str(path))
    write_text_atomic(target, combined)
    return result


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a.absolute() == b.absolute()


def _read_target(target: Path) -> str:
    try:
        return glossary_text(target)
    except GlossaryError as exc:
        raise TermbaseError(exc.problems[0]) from None


def _load_valid(text: str, target: Path, origins: dict[int, str], source: str = "") -> Glossary:
    """``text`` loaded as the glossary file ``target`` would be, or a
    :class:`GlossaryError` naming ``target``'s lines (and where imported lines came from)."""
    with tempfile.TemporaryDirectory(prefix="duizhao-import-") as folder:
        probe = Path(folder) / target.name
        probe.write_text(text, encoding="utf-8")
        try:
            return load_glossaries([probe])
        except GlossaryError as exc:
            problems = []
            for problem in exc.problems:
                problem = problem.replace(str(probe), str(target))
                line = re.match(rf"{re.escape(str(target))}:(\d+):", problem)
                if line and int(line.group(1)) in origins:
                    problem += f" [imported from {origins[int(line.group(1))]}]"
                problems.append(problem)
            if source:
                problems.append(f"nothing was imported from {source}; {target} is unchanged")
            raise GlossaryError(problems) from None


def _header_of(text: str) -> list[str]:
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return [c.strip().lower() for c in line.split("\t")]
    return list(COLUMNS)


def _clean(text: str) -> str:
    """One line: a glossary TSV cell holds no tabs or line breaks."""
    return _LINE_BREAKS.sub(" ", text).strip()
