"""Post-edits: the English a reviewer approved, applied on every run.

An edits file is UTF-8 TSV beside the source, ``<stem>.edits.tsv``, with a header
row ``source  machine  english``: the source sentence (original script), the machine
translation the edit replaced, and the approved English. The reader's "Save edits"
control writes this file; ``duizhao edits import`` merges one into place.

An edit is keyed by the source sentence's text, not by its position, so it
survives layout changes and reruns. :func:`apply_edits` then:

- puts the edit in place of the machine translation and keeps the machine output
  beside it (``machine``), marking the sentence ``edited``;
- flags ``edit-stale`` when the machine output has changed since the edit was made
  (a new model or glossary), so the reviewer can look again;
- reports every edit whose source sentence is gone as *orphaned*, with the most
  similar sentence of the document when there is one — never dropped silently,
  never applied to the wrong sentence.

An optional fourth column, ``resolved``, holds the codes of the flags the reviewer
marked resolved on that sentence (or on a block, whose text is then the source),
separated by spaces; ``english`` may then be empty (no edit). :func:`apply_resolved`
marks those flags resolved after the checks ran, as long as the sentence's English
is still the one they were resolved for (``english``, else ``machine``).
"""

from __future__ import annotations

import difflib
import errno
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.core.errors import DuizhaoError
from pipeline.core.model import Document, Flag
from pipeline.core.text import plural

COLUMNS = ("source", "machine", "english")
#: The optional column of flag codes marked resolved.
RESOLVED = "resolved"
SUFFIX = ".edits.tsv"
#: How alike a sentence must be to be offered as "the source changed to this?".
SIMILAR = 0.6


class EditsError(DuizhaoError):
    """An edits file cannot be read; every problem is named with file:line."""


@dataclass(frozen=True)
class Edit:
    source: str
    machine: str
    english: str  # "" when the row only marks flags resolved
    line: int
    resolved: tuple[str, ...] = ()


def edits_path(source: str | Path) -> Path:
    """Where the edits of ``source`` live: ``<folder>/<stem>.edits.tsv``."""
    source = Path(source)
    return source.with_name(source.stem + SUFFIX)


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _unescape(cell: str) -> str:
    return cell.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


def _escape(cell: str) -> str:
    return cell.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _read_text(path: Path) -> str | None:
    """The text of the edits file ``path``; None when there is none (no file, or a
    name no file can have); :class:`EditsError` when it cannot be read."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError as exc:
        raise EditsError(f"{path}: is a folder, not an edits file (move it away; edits are read from there)") from exc
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return None  # no file of that name can exist
        raise EditsError(f"{path}: the edits file cannot be read ({exc.strerror}): make it readable "
                         "or move it away") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EditsError(f"{path}: not UTF-8 (save the edits file as UTF-8 TSV)") from exc


def read_edits(path: str | Path) -> dict[str, Edit]:
    """The edits in ``path`` by source sentence (a later line wins); ``{}`` when
    the file does not exist."""
    path = Path(path)
    text = _read_text(path)
    if text is None:
        return {}
    edits: dict[str, Edit] = {}
    header: list[str] | None = None
    problems = []
    # Lines end at "\n" only: str.splitlines would also cut at U+2028 and other
    # characters that may stand inside a sentence.
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if header is None:
            header = [c.strip().lower() for c in cells]
            if [c for c in COLUMNS if c not in header]:
                raise EditsError(
                    f"{path}:{number}: the first row must be the header: source, machine, english "
                    "(tab-separated)"
                )
            continue
        if len(cells) != len(header):
            problems.append(f"{path}:{number}: {plural(len(cells), 'column')}, expected {len(header)} (tab-separated)")
            continue
        row = {name: _unescape(cell) for name, cell in zip(header, cells)}
        if not row["source"].strip() or not (row["english"].strip() or RESOLVED in header):
            problems.append(f"{path}:{number}: empty source or english")
            continue
        edits[_key(row["source"])] = Edit(_key(row["source"]), row["machine"].strip(), row["english"].strip(), number,
                                          tuple(row.get(RESOLVED, "").split()))
    if problems:
        raise EditsError("invalid edits file:\n  " + "\n  ".join(problems))
    return edits


def format_edits(edits: Iterable[Edit], source_name: str = "") -> str:
    edits = list(edits)
    lines = [f"# duizhao edits for {source_name}"] if source_name else []
    resolved = any(e.resolved or not e.english for e in edits)
    lines.append("\t".join(COLUMNS + ((RESOLVED,) if resolved else ())))
    for e in edits:
        cells = (e.source, e.machine, e.english) + ((" ".join(e.resolved),) if resolved else ())
        lines.append("\t".join(_escape(c) for c in cells))
    return "\n".join(lines) + "\n"


def write_edits(path: str | Path, edits: Iterable[Edit], source_name: str = "") -> Path:
    from pipeline.core.atomic import write_text_atomic

    return write_text_atomic(path, format_edits(edits, source_name))


@dataclass(frozen=True)
class Imported:
    """What :func:`import_edits` merged: edits (rows with English) and resolved
    flags are counted apart, as the reader's Save button counts them."""

    target: Path
    added: int  # edits of sentences the file had none for
    replaced: int  # edits that replaced the file's edit of the same sentence
    resolved: int  # flags marked resolved, on rows with or without an edit


def import_edits(incoming: str | Path, source: str | Path) -> Imported:
    """Merge the edits of ``incoming`` into the edits file of ``source`` (a row
    for the same source sentence is replaced by the incoming one), whose first
    line then names ``source`` as the reader writes it."""
    new = read_edits(incoming)
    if not new:
        raise EditsError(f"{incoming}: no edits in this file (is it the file the reader saved?)")
    target = edits_path(source)
    merged = read_edits(target)
    edits = [key for key, edit in new.items() if edit.english]
    replaced = sum(1 for key in edits if merged.get(key) is not None and merged[key].english)
    merged.update(new)
    write_edits(target, merged.values(), str(source))
    return Imported(target, len(edits) - replaced, replaced, sum(len(edit.resolved) for edit in new.values()))


def source_named_in(path: str | Path) -> str | None:
    """The source recorded in an edits file's first comment (``# duizhao edits for X``)."""
    for line in (_read_text(Path(path)) or "").splitlines()[:3]:
        if line.startswith("# duizhao edits for "):
            return line.removeprefix("# duizhao edits for ").strip() or None
    return None


def source_of(path: str | Path) -> Path:
    """The source the edits file ``path`` belongs to: the one its first comment
    names, at that path or else in ``sources/``; :class:`EditsError` when it names
    none or neither exists."""
    named = source_named_in(path)
    if named is None:
        raise EditsError(f"{path}: does not say which source it belongs to; give --source SOURCE")
    candidates = [Path(named), Path("sources") / Path(named).name]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise EditsError(f"{path}: its source {named} is not there nor in sources/; run this in the folder "
                         "the source was translated from, or give --source SOURCE")
    return found


def apply_edits(document: Document, edits: dict[str, Edit], path: str | Path) -> None:
    """Apply ``edits`` to the translated ``document`` and record the outcome in
    ``document.edits``: the file, how many were applied, and the orphans."""
    sentences = document.sentences()
    applied = 0
    used = set()
    for sentence in sentences:
        edit = edits.get(_key(sentence.text))
        if edit is None or not edit.english:
            continue
        used.add(_key(sentence.text))
        machine = sentence.translation or ""
        sentence.machine = machine
        sentence.translation = edit.english
        sentence.translation_marks = []  # the reviewer's English is plain text
        sentence.edited = True
        sentence.edited_against = edit.machine
        sentence.flags = [f for f in sentence.flags if f.code != "term-fallback"]
        if edit.machine and edit.machine != machine:
            sentence.flags.append(Flag(
                "edit-stale",
                f"edited against an older machine translation ({edit.machine!r}); "
                f"the machine now says {machine!r}: check that the edit still fits",
                "info",
            ))
        applied += 1
    orphaned = []
    texts = [s.text for s in sentences]
    for key, edit in edits.items():
        if key in used or not edit.english:
            continue
        closest = difflib.get_close_matches(edit.source, texts, n=1, cutoff=SIMILAR)
        orphaned.append({
            "source": edit.source, "english": edit.english, "line": edit.line,
            **({"closest": closest[0]} if closest else {}),
        })
    document.edits = {"file": str(path), "applied": applied, "orphaned": orphaned}


def apply_resolved(document: Document, edits: dict[str, Edit]) -> None:
    """Mark resolved the flags whose codes an edit row lists for its sentence (while
    the sentence's English is the one they were resolved for) or for its block."""
    for block in document.blocks:
        edit = edits.get(_key(block.text))
        if edit is not None and edit.resolved:
            block.flags = [_resolved(f, edit) for f in block.flags]
        for sentence in block.sentences:
            edit = edits.get(_key(sentence.text))
            if edit is not None and edit.resolved and (edit.english or edit.machine) == (sentence.translation or ""):
                sentence.flags = [_resolved(f, edit) for f in sentence.flags]


def _resolved(flag: Flag, edit: Edit) -> Flag:
    return replace(flag, resolved=True) if flag.code in edit.resolved else flag
