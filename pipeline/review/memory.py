"""The project translation memory: every approved sentence of every document, in
SQLite beside the translation cache (``<cache stem>.memory.sqlite3``, or the
``memory`` setting).

A unit is keyed by the sentence's Simplified text with its glossary terms masked
(:func:`pipeline.translate.memory.memory_key`) and holds the approved English, the
same English as a template of the terms' placeholders where that is unambiguous,
the document it was approved in (or the TMX file it was imported from), the date
and the engine signature of that document. One unit per key and document.

:class:`TranslationMemory` answers, in order of use:

- :meth:`~TranslationMemory.exact`: the translation stage's exact matches
  (:mod:`pipeline.translate.memory` applies them before any engine call);
- :meth:`~TranslationMemory.fuzzy`: approvals of sentences at least
  :data:`FUZZY_CUTOFF` % alike (rapidfuzz's normalised Indel similarity on the
  characters), with the source differences, for the reviewer to take;
- :meth:`~TranslationMemory.examples`: the same, for an LLM's prompt;
- :meth:`~TranslationMemory.sync`: a document's approvals (from its edits file)
  written in, those withdrawn taken out;
- :meth:`~TranslationMemory.consistency`: Xbench's two project checks, the same
  source approved with different English in two documents, and the same English
  approved for different sources.

The edits files beside the sources stay the truth of what was approved; the
memory is their index across documents (plus what was imported from TMX), so it
can be rebuilt by running the documents again.
"""

from __future__ import annotations

import difflib
import os
import sqlite3
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline.core.errors import DuizhaoError
from pipeline.core.model import Document
from pipeline.translate.memory import MemoryMatch, document_name, english_template, memory_key

#: Fuzzy matches below this similarity (percent) are not shown.
FUZZY_CUTOFF = 75.0
#: Seconds a writer waits for another process's transaction.
BUSY_TIMEOUT = 30.0
_QUERY_BATCH = 500
#: Where a unit came from.
DOCUMENT, IMPORT = "document", "import"

MIGRATIONS: list[tuple[str, str]] = [
    (
        "create units",
        """
        CREATE TABLE units (
            key       TEXT NOT NULL,
            document  TEXT NOT NULL,
            source    TEXT NOT NULL,
            english   TEXT NOT NULL,
            template  TEXT,
            date      TEXT NOT NULL,
            signature TEXT NOT NULL DEFAULT '',
            origin    TEXT NOT NULL,
            PRIMARY KEY (key, document)
        ) WITHOUT ROWID
        """,
    ),
    ("index documents", "CREATE INDEX units_document ON units (document)"),
]
_COLUMNS = "key, document, source, english, template, date, signature, origin"


class TranslationMemoryError(DuizhaoError):
    """The translation memory cannot be used."""


@dataclass(frozen=True)
class Unit:
    """One approved translation in the memory."""

    key: str
    document: str
    source: str
    english: str
    template: str | None
    date: str
    signature: str = ""
    origin: str = DOCUMENT

    def match(self) -> MemoryMatch:
        return MemoryMatch(self.english, self.template, self.source, self.document, self.date, self.signature)


@dataclass(frozen=True)
class FuzzyMatch:
    """An approval of a similar sentence: its similarity (percent), source and
    English, and the differences of its source from the sentence looked up:
    ``[(op, text), ...]`` with op ``=`` (both), ``-`` (only the memory's source)
    or ``+`` (only the sentence's)."""

    score: float
    source: str
    english: str
    document: str
    date: str
    diff: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {"score": round(self.score), "source": self.source, "english": self.english,
                "document": Path(self.document).name, "date": self.date[:10], "diff": [list(d) for d in self.diff]}


@dataclass
class Issue:
    """A project consistency problem: ``kind`` ``source`` (one source approved with
    different English) or ``target`` (one English approved for different sources);
    ``text`` is what they share, ``variants`` each differing text with the
    documents it was approved in."""

    kind: str
    text: str
    variants: list[tuple[str, list[str]]] = field(default_factory=list)

    def line(self) -> str:
        """One line for ``duizhao check``."""
        shown = "; ".join(f"{text!r} in {', '.join(Path(d).name for d in docs)}" for text, docs in self.variants)
        if self.kind == "source":
            return f"inconsistent-translation: {self.text} is approved as {shown}"
        return f"inconsistent-source: {self.text!r} is approved for {shown}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text,
                "variants": [{"text": t, "documents": list(d)} for t, d in self.variants]}


def memory_path(cache_path: str | os.PathLike[str]) -> Path:
    """The default memory beside the cache file: ``<stem>.memory.sqlite3``."""
    cache = Path(cache_path)
    return cache.with_name(cache.stem + ".memory.sqlite3")


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _normal(text: str) -> str:
    """English compared for consistency: NFC, case folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def source_diff(memory_source: str, text: str) -> tuple[tuple[str, str], ...]:
    """How ``memory_source`` differs from ``text``, character by character."""
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, memory_source, text, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("=", memory_source[a1:a2]))
            continue
        if a2 > a1:
            out.append(("-", memory_source[a1:a2]))
        if b2 > b1:
            out.append(("+", text[b1:b2]))
    return tuple(out)


class TranslationMemory:
    """The memory in the SQLite file ``path`` (created on first write). One
    connection serves the threads of a process one operation at a time; other
    processes may read and write it at the same time (WAL)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if self.path.is_dir():
            raise TranslationMemoryError(f"{self.path}: is a folder, not a translation memory; move it away or choose "
                              "another file with --memory PATH")
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        #: Sources for fuzzy search, rebuilt when the file changed.
        self._choices: tuple[Any, list[str], list[list[Unit]]] | None = None
        self._writes = 0

    # -- connection ---------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None,
                                       check_same_thread=False)
                tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            except (OSError, sqlite3.Error) as exc:
                raise TranslationMemoryError(f"{self.path}: the translation memory cannot be opened ({exc}); check the "
                                  "file and its folder, or choose another with --memory PATH") from exc
            if tables - {"units"}:
                conn.close()
                raise TranslationMemoryError(f"{self.path}: not a duizhao translation memory (it holds the tables "
                                  f"{', '.join(sorted(tables - {'units'}))}); it was left untouched")
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > len(MIGRATIONS):
                    raise TranslationMemoryError(f"{self.path}: translation memory schema {version} is newer than this "
                                      "duizhao understands; upgrade duizhao")
                if version < len(MIGRATIONS):
                    conn.execute("BEGIN IMMEDIATE")
                    version = conn.execute("PRAGMA user_version").fetchone()[0]
                    for number, (_name, sql) in enumerate(MIGRATIONS[version:], start=version + 1):
                        conn.execute(sql)
                        conn.execute(f"PRAGMA user_version = {number}")
                    conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise TranslationMemoryError(f"{self.path}: the translation memory cannot be read ({exc}); move it "
                                  "away (it is rebuilt from the edits files by running the documents) or choose "
                                  "another with --memory PATH") from exc
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> TranslationMemory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            if self._conn is None and not self.exists:
                return []  # nothing approved yet: no file is made for a read
            try:
                return self._db().execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise TranslationMemoryError(f"{self.path}: the translation memory cannot be read ({exc})") from exc

    def _write(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        with self._lock:
            db = self._db()
            try:
                db.execute("BEGIN IMMEDIATE")
                for sql, params in statements:
                    db.execute(sql, params)
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise TranslationMemoryError(f"{self.path}: the translation memory cannot be written ({exc}); check the "
                                  "file's permissions and the free space") from exc
            self._writes += 1

    def version(self) -> tuple[int, int]:
        """Changes when the memory changed, here or in another process."""
        with self._lock:
            if self._conn is None and not self.exists:
                return (0, 0)
            return (self._writes, self._db().execute("PRAGMA data_version").fetchone()[0])

    # -- reading -----------------------------------------------------------------------

    def units(self, document: str | None = None) -> list[Unit]:
        """Every unit (of ``document``), by key."""
        if document is None:
            rows = self._query(f"SELECT {_COLUMNS} FROM units ORDER BY key, date DESC")
        else:
            rows = self._query(f"SELECT {_COLUMNS} FROM units WHERE document = ? ORDER BY key", (document,))
        return [Unit(*row) for row in rows]

    def exact(self, keys: Sequence[str], document: str) -> dict[str, list[MemoryMatch]]:
        """The approvals of each key, newest first, those of ``document`` left out."""
        found: dict[str, list[MemoryMatch]] = defaultdict(list)
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), _QUERY_BATCH):
            batch = wanted[start:start + _QUERY_BATCH]
            rows = self._query(f"SELECT {_COLUMNS} FROM units WHERE document != ? AND key IN "
                               f"({','.join('?' * len(batch))}) ORDER BY date DESC, document", [document, *batch])
            for row in rows:
                unit = Unit(*row)
                found[unit.key].append(unit.match())
        return dict(found)

    def _fuzzy_choices(self) -> tuple[list[str], list[list[Unit]]]:
        """The distinct sources and their units (newest first), kept until the file changes."""
        version = self.version()
        if self._choices is None or self._choices[0] != version:
            by_source: dict[str, list[Unit]] = defaultdict(list)
            for row in self._query(f"SELECT {_COLUMNS} FROM units ORDER BY date DESC"):
                unit = Unit(*row)
                by_source[unit.source].append(unit)
            self._choices = (version, list(by_source), list(by_source.values()))
        return self._choices[1], self._choices[2]

    def fuzzy(self, text: str, *, document: str | None = None, limit: int = 3,
              cutoff: float = FUZZY_CUTOFF) -> list[FuzzyMatch]:
        """Approvals of sentences at least ``cutoff`` % like ``text`` (a Simplified
        sentence), best first, the sentence's own approval (same text, same
        ``document``) left out."""
        return self.fuzzy_many([text], document=document, limit=limit, cutoff=cutoff).get(text, [])

    def fuzzy_many(self, texts: Sequence[str], *, document: str | None = None, limit: int = 3,
                   cutoff: float = FUZZY_CUTOFF) -> dict[str, list[FuzzyMatch]]:
        """:meth:`fuzzy` of each of ``texts`` (one pass over the memory's sources)."""
        from rapidfuzz import fuzz, process

        sources, units = self._fuzzy_choices()
        out: dict[str, list[FuzzyMatch]] = {}
        if not sources:
            return out
        for text in dict.fromkeys(t.strip() for t in texts if t.strip()):
            matches = []
            for source, score, at in process.extract(text, sources, scorer=fuzz.ratio, score_cutoff=cutoff,
                                                     limit=limit + 1):
                unit = next((u for u in units[at] if not (source == text and u.document == document)), None)
                if unit is None:
                    continue
                matches.append(FuzzyMatch(score, source, unit.english, unit.document, unit.date,
                                          source_diff(source, text)))
            if matches:
                out[text] = matches[:limit]
        return out

    def examples(self, texts: Sequence[str], document: str, limit: int = 3) -> dict[str, list[tuple[str, str]]]:
        """For an LLM's prompt: approvals of sentences like each text (not the text itself)."""
        found = self.fuzzy_many(texts, document=document, limit=limit + 1)
        return {text: [(m.source, m.english) for m in matches if m.source != text][:limit]
                for text, matches in found.items()}

    # -- writing -----------------------------------------------------------------------

    def sync(self, document: Document) -> tuple[int, int]:
        """Make the memory hold exactly ``document``'s own approvals (sentences
        approved in its edits file, not those taken from the memory): new and changed
        ones written with today's date, withdrawn ones removed. Returns (written, removed).
        Nothing is written, and no file made, when nothing changed."""
        name = document_name(document)
        wanted: dict[str, Unit] = {}
        for sentence in document.each_sentence():
            english = (sentence.translation or "").strip()
            if not sentence.approved or sentence.memory is not None or not english:
                continue
            key = memory_key(sentence)
            wanted[key] = Unit(key, name, sentence.simplified.strip(), english, english_template(english, sentence),
                               "", document.signature or "", DOCUMENT)
        if not wanted and not self.exists:
            return 0, 0
        have = {u.key: u for u in self.units(name)}
        stamp = now_iso()
        writes = [u for k, u in wanted.items() if k not in have or (have[k].english, have[k].template, have[k].source)
                  != (u.english, u.template, u.source)]
        removed = [k for k in have if k not in wanted]
        if not writes and not removed:
            return 0, 0
        statements = [(f"INSERT OR REPLACE INTO units ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (u.key, u.document, u.source, u.english, u.template, stamp, u.signature, u.origin))
                      for u in writes]
        statements += [("DELETE FROM units WHERE key = ? AND document = ?", (k, name)) for k in removed]
        self._write(statements)
        return len(writes), len(removed)

    def put(self, units: Iterable[Unit]) -> int:
        """Write ``units`` (an import), replacing those of the same key and document."""
        rows = [(f"INSERT OR REPLACE INTO units ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (u.key, u.document, u.source, u.english, u.template, u.date, u.signature, u.origin)) for u in units]
        if rows:
            self._write(rows)
        return len(rows)

    # -- the project -------------------------------------------------------------------

    def consistency(self, documents: Iterable[str] | None = None) -> list[Issue]:
        """The same source approved with different English in two documents, and
        the same English approved for different sources, among the approvals of
        ``documents`` (their :func:`~pipeline.translate.memory.document_name`; all when None)."""
        return _issues(self.units(), None if documents is None else set(documents))

    def stats(self) -> dict[str, Any]:
        """Units, documents, imports, and the consistency problems of the whole memory."""
        units = self.units()
        documents = {u.document for u in units if u.origin == DOCUMENT}
        imports: dict[str, int] = defaultdict(int)
        for unit in units:
            if unit.origin == IMPORT:
                imports[unit.document] += 1
        issues = _issues(units, None)
        return {
            "path": str(self.path),
            "units": len(units),
            "keys": len({u.key for u in units}),
            "approved": sum(u.origin == DOCUMENT for u in units),
            "documents": len(documents),
            "imported": dict(sorted(imports.items())),
            "newest": max((u.date for u in units), default=None),
            "inconsistent_translations": sum(i.kind == "source" for i in issues),
            "inconsistent_sources": sum(i.kind == "target" for i in issues),
            "bytes": self.path.stat().st_size if self.exists else 0,
        }


def _issues(all_units: list[Unit], chosen: set[str] | None) -> list[Issue]:
    """:meth:`TranslationMemory.consistency` of ``all_units``: among the approvals
    of the documents ``chosen`` (all when None)."""
    units = [u for u in all_units if u.origin == DOCUMENT and (chosen is None or u.document in chosen)]
    issues = []
    by_key: dict[str, dict[str, list[Unit]]] = defaultdict(lambda: defaultdict(list))
    for unit in units:
        by_key[unit.key][_normal(unit.english)].append(unit)
    for key, renderings in sorted(by_key.items()):
        if len(renderings) > 1:
            source = next(iter(renderings.values()))[0].source
            issues.append(Issue("source", source, [(group[0].english, sorted({u.document for u in group}))
                                                   for group in renderings.values()]))
    by_english: dict[str, dict[str, list[Unit]]] = defaultdict(lambda: defaultdict(list))
    for unit in units:
        by_english[_normal(unit.english)][unit.key].append(unit)
    for english, sources in sorted(by_english.items()):
        if len(sources) > 1:
            issues.append(Issue("target", next(iter(sources.values()))[0].english,
                                [(group[0].source, sorted({u.document for u in group}))
                                 for group in sources.values()]))
    return issues
