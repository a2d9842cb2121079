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

Another optional column, ``status``, says ``approved`` when the reviewer approved
the sentence: its post-edit, or (``english`` empty) the machine output in
``machine``. :func:`apply_status` marks the sentence approved while its English is
still the one approved. The live review workspace writes rows one at a time under
:func:`locked_edits`, so two writers never lose each other's rows.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import fcntl
import os
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import regex

from pipeline.core.errors import PARSE_FAILURES, DuizhaoError, failure_reason
from pipeline.core.model import Block, Document, Flag, Sentence
from pipeline.core.text import plural, problem_list

COLUMNS = ("source", "machine", "english")
#: The optional column of flag codes marked resolved.
RESOLVED = "resolved"
#: The optional column of the sentence's review status ("approved", or empty: a draft).
STATUS = "status"
APPROVED = "approved"
SUFFIX = ".edits.tsv"
#: The first line of a saved edits file names its source after this.
_NAMED = "# duizhao edits for"
#: How alike a sentence must be to be offered as "the source changed to this?".
SIMILAR = 0.6


class EditsError(DuizhaoError):
    """An edits file cannot be read; every problem is named with file:line."""


@dataclass(frozen=True)
class Edit:
    source: str
    machine: str
    english: str  # "" when the row only marks flags resolved or approves the machine output
    line: int
    resolved: tuple[str, ...] = ()
    status: str = ""  # "approved", or "" (a draft)

    @property
    def approved(self) -> bool:
        return self.status == APPROVED

    @property
    def shown(self) -> str:
        """The English this row is about: the edit, else the machine output it keeps."""
        return self.english or self.machine


def edits_path(source: str | Path) -> Path:
    """Where the edits of ``source`` live: ``<folder>/<stem>.edits.tsv``."""
    source = Path(source)
    return source.with_name(source.stem + SUFFIX)


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


#: One escape of an edits file's cell: ``\\`` ``\t`` ``\n`` ``\r`` ``\#`` or a lone
#: surrogate's ``\udcb5``; any other backslash stands for itself.
_ESCAPE = regex.compile(r"\\(?:[\\tnr#]|u[dD][89a-fA-F][0-9a-fA-F]{2})")
_ESCAPED = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_NEEDS_ESCAPE = regex.compile(r"[\\\t\n\r\p{Cs}]")


def edit_key(text: str) -> str:
    """What an edit row is keyed by: the source sentence's text, NFC, stripped."""
    return _key(text)


def escape_cell(text: str) -> str:
    r"""``text`` as one cell of an edits file: a backslash, a tab, a line feed and a
    carriage return as ``\\``, ``\t``, ``\n`` and ``\r``, and a lone surrogate (which
    UTF-8 cannot carry) as ``\udcb5``. :func:`unescape_cell` is its exact inverse;
    the reader's "Save edits" writes the same escapes."""
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPED.get(m[0]) or f"\\u{ord(m[0]):04x}", text)


def unescape_cell(cell: str) -> str:
    r"""The text of an edits file's cell: each escape of :func:`escape_cell` (and
    ``\#``, a row's first ``#``) undone, left to right, so ``\\n`` is a backslash and
    an ``n``. Files written before this was exact (whose only escapes were ``\\``,
    ``\t`` and ``\n``) read the same; a backslash before anything else is itself."""

    def one(match: regex.Match) -> str:
        code = match[0][1:]
        if code[0] in "uU":
            return chr(int(code[1:], 16))
        return {"t": "\t", "n": "\n", "r": "\r"}.get(code, code)

    return _ESCAPE.sub(one, cell)


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
    except ValueError:  # a NUL in the name: no file can have it
        return None
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
    try:
        return _parse(path, text)
    except EditsError:
        raise
    except PARSE_FAILURES as exc:  # the boundary where an edits file from outside is read
        raise EditsError(f"{path}: cannot be read as an edits file ({failure_reason(exc)})") from exc


def _parse(path: Path, text: str) -> dict[str, Edit]:
    edits: dict[str, Edit] = {}
    header: list[str] | None = None
    problems = []
    # Lines end at "\n" only: str.splitlines would also cut at U+2028 and other
    # characters that may stand inside a sentence.
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not raw.strip():
            continue
        if raw.startswith("#") and (header is None or raw.count("\t") != len(header) - 1):
            # A comment. A "#" line as wide as the header is a row whose source
            # starts with "#", as duizhao wrote it before it escaped that "#".
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
        row = {name: unescape_cell(cell) for name, cell in zip(header, cells)}
        if not row["source"].strip() or not (row["english"].strip() or RESOLVED in header or STATUS in header):
            problems.append(f"{path}:{number}: empty source or english")
            continue
        status = row.get(STATUS, "").strip().lower()
        if status not in ("", APPROVED):
            problems.append(f"{path}:{number}: status {status!r}: write {APPROVED} or leave it empty")
            continue
        edits[_key(row["source"])] = Edit(_key(row["source"]), row["machine"].strip(), row["english"].strip(), number,
                                          tuple(row.get(RESOLVED, "").split()), status)
    if problems:
        raise EditsError(problem_list("invalid edits file:", problems))
    return edits


def format_edits(edits: Iterable[Edit], source_name: str = "") -> str:
    """The edits file of ``edits``, as the reader's "Save edits" writes it: the
    source named in a first comment line, the header, one escaped row per edit
    (a row's leading ``#`` as ``\\#``, so it is never taken for a comment).
    :func:`read_edits` gives back exactly these edits."""
    edits = list(edits)
    lines = [f"{_NAMED} {escape_cell(source_name)}"] if source_name else []
    status = any(e.status for e in edits)
    resolved = any(e.resolved for e in edits) or any(not e.english for e in edits) and not status
    lines.append("\t".join(COLUMNS + ((RESOLVED,) if resolved else ()) + ((STATUS,) if status else ())))
    for e in edits:
        cells = (e.source, e.machine, e.english) + ((" ".join(e.resolved),) if resolved else ()) \
            + ((e.status,) if status else ())
        row = "\t".join(escape_cell(c) for c in cells)
        lines.append("\\" + row if row.startswith("#") else row)
    return "\n".join(lines) + "\n"


def write_edits(path: str | Path, edits: Iterable[Edit], source_name: str = "") -> Path:
    from pipeline.core.atomic import write_text_atomic

    return write_text_atomic(path, format_edits(edits, source_name))


@contextlib.contextmanager
def locked_edits(path: str | Path) -> Iterator[Path]:
    """Hold the lock of the edits file ``path`` while reading and writing it, so two
    writers (two tabs, two reviewers, an import) take turns and never lose each
    other's rows. The lock is on the file's folder (the file itself is replaced by
    every atomic write, so a lock on it would not exclude the next writer), and it
    is let go when the process dies."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise EditsError(f"{path}: its folder cannot be opened ({exc.strerror or exc}); check that it exists "
                         "and is readable") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        os.close(fd)  # closing lets the lock go


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
    existing = _read_text(target)
    if existing is not None and existing.strip() and not any(
            line.strip() and not line.startswith("#") for line in existing.split("\n")):
        raise EditsError(f"{target}: not an edits file (it has no header row), so it is left untouched; move it "
                         "away and import again")
    with locked_edits(target):
        merged = read_edits(target)
        edits = [key for key, edit in new.items() if edit.english]
        replaced = sum(1 for key in edits if merged.get(key) is not None and merged[key].english)
        merged.update(new)
        write_edits(target, merged.values(), str(source))
    return Imported(target, len(edits) - replaced, replaced, sum(len(edit.resolved) for edit in new.values()))


def source_named_in(path: str | Path) -> str | None:
    """The source recorded in an edits file's first comment (``# duizhao edits for X``)."""
    for line in (_read_text(Path(path)) or "").split("\n")[:3]:
        if line.startswith(_NAMED + " "):
            return unescape_cell(line.removeprefix(_NAMED + " ").strip()) or None
    return None


def source_of(path: str | Path, project: Path | None = None, source_folder: Path | None = None) -> Path:
    """The source the edits file ``path`` belongs to: the one its first comment
    names (as the run was given it), from the working directory, else from the
    ``project`` folder (where runs are made), else by its name in ``source_folder``
    (the project's) or ``sources/``; :class:`EditsError` when it names none or
    none of those exists."""
    named = source_named_in(path)
    if named is None:
        raise EditsError(f"{path}: does not say which source it belongs to; give --source SOURCE")
    name = Path(named).name
    candidates = [Path(named), *([project / named] if project is not None else []),
                  *([source_folder / name] if source_folder is not None else []), Path("sources") / name]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise EditsError(f"{path}: its source {named} is not there, in the project nor in its source folder; run "
                         "this in the folder the source was translated from, or give --source SOURCE")
    return found


def apply_edits(document: Document, edits: dict[str, Edit], path: str | Path) -> None:
    """Apply ``edits`` to the translated ``document`` and record the outcome in
    ``document.edits``: the file, how many were applied, and the orphans. A
    document read in parts is edited a part at a time (:mod:`pipeline.review.parts`)."""
    sentences = document.sentences()
    applied, used = edit_sentences(sentences, edits)
    document.edits = edits_outcome(path, applied, orphaned_edits(edits, used, [s.text for s in sentences]))


def edit_sentences(sentences: Iterable[Sentence], edits: dict[str, Edit]) -> tuple[int, set[str]]:
    """Put each edit's English in place of the machine's on its sentences.
    Returns how many sentences were edited and the keys of the edits used."""
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
        # The reviewer's English replaces what the machine rebuilt, could not translate or the memory gave.
        sentence.flags = [f for f in sentence.flags
                          if f.code not in ("term-fallback", "engine-rebuilt", "engine-failed", "tm-exact")]
        # The reviewer's English, not the translation memory's: approved again only by its row.
        sentence.memory, sentence.approved = None, False
        if edit.machine and edit.machine != machine:
            sentence.flags.append(Flag(
                "edit-stale",
                f"edited against an older machine translation ({edit.machine!r}); "
                f"the machine now says {machine!r}: check that the edit still fits",
                "info",
            ))
        applied += 1
    return applied, used


def orphaned_edits(edits: dict[str, Edit], used: set[str], texts: Iterable[str]) -> list[dict]:
    """The edits with English that no sentence used, each with the closest of
    ``texts`` (the document's sentences) when one is close: the ``orphaned`` rows."""
    lost = [edit for key, edit in edits.items() if key not in used and edit.english]
    if not lost:
        return []
    nearest = closest_sentences([edit.source for edit in lost], list(texts))
    return [{"source": edit.source, "english": edit.english, "line": edit.line,
             **({"closest": closest} if closest is not None else {})} for edit, closest in zip(lost, nearest)]


def edits_outcome(path: str | Path, applied: int, orphaned: list[dict]) -> dict:
    """``Document.edits``: the edits file, how many sentences it edited, and its orphans."""
    return {"file": str(path), "applied": applied, "orphaned": orphaned}


#: The rarest character pairs of an orphaned edit looked up, the sentences read
#: from each one's list, and the candidates then compared in full: together they
#: bound the work for one orphan, however many orphans and sentences there are.
_RARE_PAIRS, _POSTINGS, _CANDIDATES = 12, 256, 8
#: Characters of each side compared in full (a ratio is quadratic in the lengths;
#: sentences are cut at about 150 characters, so this is the whole of nearly all).
_COMPARED = 500


def closest_sentences(queries: list[str], texts: list[str]) -> list[str | None]:
    """For each of ``queries`` (orphaned edits' sources), the most similar of
    ``texts`` with a :class:`difflib.SequenceMatcher` ratio of at least
    :data:`SIMILAR`, or ``None``.

    Comparing every query with every text was quadratic (20,000 orphans took a
    minute); instead the texts are indexed by their character pairs, and each
    query is compared in full only with the few texts that share most of its
    rarest pairs (a text at ratio 0.6 shares many of them). Work is linear in
    the queries and the texts."""
    index: dict[str, list[int]] = {}
    for number, text in enumerate(texts):
        for pair in _pairs(text):
            index.setdefault(pair, []).append(number)
    found: list[str | None] = []
    matcher = difflib.SequenceMatcher(autojunk=False)
    for query in queries:
        pairs = sorted((p for p in _pairs(query) if p in index), key=lambda p: len(index[p]))[:_RARE_PAIRS]
        shared: dict[int, int] = {}
        for pair in pairs:
            for number in index[pair][:_POSTINGS]:
                shared[number] = shared.get(number, 0) + 1
        candidates = sorted(shared, key=lambda n: (-shared[n], n))[:_CANDIDATES]
        best, best_ratio = None, SIMILAR
        matcher.set_seq2(query[:_COMPARED])
        for number in sorted(candidates):
            matcher.set_seq1(texts[number][:_COMPARED])
            if matcher.real_quick_ratio() >= best_ratio and matcher.quick_ratio() >= best_ratio:
                ratio = matcher.ratio()
                if ratio > best_ratio or (ratio == best_ratio and best is None):
                    best, best_ratio = texts[number], ratio
        found.append(best)
    return found


def _pairs(text: str) -> set[str]:
    """The character pairs of ``text`` (its one character when that is all)."""
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def apply_resolved(blocks: Iterable[Block], edits: dict[str, Edit]) -> None:
    """Mark resolved the flags whose codes an edit row lists for its sentence (while
    the sentence's English is the one they were resolved for) or for its block."""
    for block in blocks:
        resolve_block_flags(block, edits)
        for sentence in block.sentences:
            resolve_sentence_flags(sentence, edits)


def resolve_block_flags(block: Block, edits: dict[str, Edit]) -> None:
    edit = edits.get(_key(block.text))
    if edit is not None and edit.resolved:
        block.flags = [_resolved(f, edit) for f in block.flags]


def resolve_sentence_flags(sentence: Sentence, edits: dict[str, Edit]) -> None:
    edit = edits.get(_key(sentence.text))
    if edit is not None and edit.resolved and (edit.english or edit.machine) == (sentence.translation or ""):
        sentence.flags = [_resolved(f, edit) for f in sentence.flags]


def apply_status(blocks: Iterable[Block], edits: dict[str, Edit]) -> None:
    """Mark approved the sentences whose edit row approves the English they have now
    (a sentence whose English changed since is a draft again). A sentence already
    approved elsewhere (an exact translation-memory match) stays approved."""
    for sentence in (s for b in blocks if b.translatable for s in b.sentences):
        edit = edits.get(_key(sentence.text))
        if edit is not None and edit.approved and edit.shown == (sentence.translation or ""):
            sentence.approved = True


def _resolved(flag: Flag, edit: Edit) -> Flag:
    return replace(flag, resolved=True) if flag.code in edit.resolved else flag
