"""Persistent translation cache: SQLite, keyed by (engine signature, MT input text).

The signature names the engine, model package and version and options, so a new
model never serves stale text. The database is in WAL mode with a busy timeout so
two ``duizhao`` processes can write at once; each :meth:`TranslationCache.put_many`
is one transaction, so a run killed half way keeps every batch it finished.

The same file keeps the reader's reading aids (table ``reading_aids``: words
with pinyin per sentence, CC-CEDICT entries per headword, a page's other-script
forms and rendered notes; see :func:`pipeline.read.dictionary.aids_version`), so a
rerun's page needs neither jieba, pypinyin, OpenCC, Markdown nor the dictionary file.

A cache is only a cache: a corrupt file that is recognisably ours (SQLite's
header and our application id or schema, :func:`is_our_cache`) is moved aside
(``<name>.corrupt-<time>``) with a warning and rebuilt empty rather than stopping a
run. A path that cannot hold a cache (a folder, a read-only folder, another
program's database, any file that is not recognisably ours, which is never
renamed or replaced) stops the run before anything is translated; a cache that cannot take new rows (read-only
file, full disk) is still read, and one warning says that this run's new
translations were not stored (they are in its outputs).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.config import default_cache_path
from pipeline.core.errors import DuizhaoError

log = logging.getLogger(__name__)

#: Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT = 30.0
#: Host parameters per query; well under SQLite's limit.
_QUERY_BATCH = 500

#: Ordered schema migrations: the n-th one brings ``PRAGMA user_version`` to n.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "create translations",
        """
        CREATE TABLE translations (
            signature   TEXT NOT NULL,
            source      TEXT NOT NULL,
            translation TEXT NOT NULL,
            created     REAL NOT NULL,
            PRIMARY KEY (signature, source)
        ) WITHOUT ROWID
        """,
    ),
    (
        "create reading_aids",
        """
        CREATE TABLE reading_aids (
            version TEXT NOT NULL,
            kind    TEXT NOT NULL,
            key     TEXT NOT NULL,
            value   TEXT NOT NULL,
            PRIMARY KEY (version, kind, key)
        ) WITHOUT ROWID
        """,
    ),
]

#: SQLite primary result codes that mean the file itself is damaged.
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
#: ... and those that mean it cannot be written (permissions, full disk, I/O).
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 3, 8, 10, 13, 14
_SQLITE_READONLY_DIRECTORY = 1544
#: The first bytes of every SQLite database file.
_SQLITE_HEADER = b"SQLite format 3\x00"
#: ``PRAGMA application_id`` of a duizhao cache ("DZTC"), written with the schema: it
#: makes a damaged cache of ours recognisable by its first 100 bytes alone.
APPLICATION_ID = 0x445A5443
#: Our schema as SQLite keeps it on a database's first page (caches made before
#: the application id are recognised by it).
_OUR_SCHEMA = b"CREATE TABLE translations"
#: The tables of our own schema (a database holding others is not ours to migrate).
_OUR_TABLES = frozenset({"translations", "reading_aids"})
#: "Choose another" hint shared by the messages below.
_ELSEWHERE = "or choose another file with --cache PATH (or DUIZHAO_CACHE)"


class CacheError(DuizhaoError):
    """The cache cannot be used (e.g. it was written by a newer duizhao)."""


class CacheUnwritable(CacheError):
    """The cache cannot take new rows (read-only, full disk); it can still be read."""


@dataclass
class CacheInfo:
    path: Path
    entries: int
    size_bytes: int
    by_signature: dict[str, int] = field(default_factory=dict)


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    message = str(exc)
    return "not a database" in message or "malformed" in message


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _code(exc: sqlite3.Error) -> int:
    """SQLite's primary result code of ``exc`` (0 when unknown)."""
    return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def _is_unwritable(exc: sqlite3.Error) -> bool:
    return _code(exc) in (_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN) \
        or "readonly" in str(exc) or "disk is full" in str(exc)


#: A lone surrogate: the undecodable bytes of a file name, which SQLite's UTF-8 cannot hold.
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` as the cache stores it: each lone surrogate as its escape (``\\udce9``),
    so a key or value holding one (a page that names a file whose name is not
    UTF-8) is stored and found again rather than failing the write."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", text) if _SURROGATE.search(text) else text


def is_our_cache(path: str | os.PathLike[str]) -> bool:
    """Whether the file ``path`` is recognisably a duizhao translation cache,
    damaged or not: SQLite's header, and our application id in it or our schema on
    the first page. Read-only: the file is only looked at."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
            if len(header) < 100 or not header.startswith(_SQLITE_HEADER):
                return False
            if int.from_bytes(header[68:72], "big") == APPLICATION_ID:
                return True
            page_size = int.from_bytes(header[16:18], "big")
            first_page = header + handle.read((65536 if page_size == 1 else max(page_size, 512)) - 100)
    except OSError:
        return False
    return _OUR_SCHEMA in first_page


class TranslationCache:
    """Translations keyed by (engine signature, exact MT input text).

    Use as a context manager, or call :meth:`close`. ``warn`` receives a one-line
    message when a corrupt file is moved aside (default: the module logger).
    One connection serves the threads of a process one operation at a time (a
    run finishes one window's documents while it translates the next).
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, warn: Callable[[str], None] | None = None
    ):
        self.path = Path(path) if path is not None else default_cache_path()
        self._warn = warn or log.warning
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        #: False once a write failed: the cache is still read, new rows are dropped.
        self.writable = True
        if self.path.is_dir():
            raise CacheError(f"{self.path}: is a folder, not a cache file; move it away, {_ELSEWHERE}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            blocker = next((p for p in (self.path.parent, *self.path.parent.parents) if p.is_file()), None)
            why = f"{blocker} is a file, not a folder" if blocker is not None else exc.strerror or str(exc)
            raise CacheError(f"{self.path}: the cache cannot be created because {why}; {_ELSEWHERE}") from exc
        try:
            self._guarded(self._open, retry=False)  # _recover opens the fresh file itself
        except CacheUnwritable as exc:
            raise CacheError(self._open_problem(exc.__cause__)) from exc
        except sqlite3.OperationalError as exc:
            raise CacheError(self._open_problem(exc)) from exc

    # -- connection ----------------------------------------------------------------

    def _open(self) -> None:
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
        # check_same_thread=False: operations are serialised by self._lock instead.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        try:
            # Before anything is written (journal_mode changes the file's header).
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables - _OUR_TABLES:
                raise CacheError(
                    f"{self.path}: not a duizhao translation cache (it holds the tables "
                    f"{', '.join(sorted(tables - _OUR_TABLES))}); it was left untouched: {_ELSEWHERE}"
                )
            self._switch_to_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._migrate(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    @staticmethod
    def _switch_to_wal(conn: sqlite3.Connection) -> None:
        """``PRAGMA journal_mode=WAL``, retried while another process switches a new
        file too: SQLite answers that race "locked" at once rather than wait (two
        readers both wanting the write lock would deadlock), so the busy timeout
        does not cover it."""
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        # Reads the schema too, which is what detects a file that is not a database.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise CacheError(
                f"{self.path}: cache schema version {version} is newer than this duizhao "
                f"understands ({len(MIGRATIONS)}); upgrade duizhao or use another --cache path"
            )
        if version == len(MIGRATIONS):
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, (_name, sql) in enumerate(MIGRATIONS[version:], start=version + 1):
                conn.execute(sql)
                conn.execute(f"PRAGMA user_version = {number}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _recover(self, exc: sqlite3.DatabaseError) -> None:
        """Move a corrupt file (and its WAL side files) aside, then start afresh;
        only a file that is recognisably a cache of ours (:func:`is_our_cache`):
        anything else is another program's, or the user's, and stays as it is."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if not is_our_cache(self.path):
            raise CacheError(
                f"{self.path}: not a duizhao translation cache ({exc}), so it was left untouched; move it away, "
                f"{_ELSEWHERE}"
            )
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    os.replace(side, aside.with_name(aside.name + suffix))
        except OSError as problem:
            raise CacheError(
                f"{self.path}: the translation cache is corrupt ({exc}) and cannot be moved aside "
                f"({problem.strerror or problem}); delete it, {_ELSEWHERE}"
            ) from problem
        self._warn(
            f"translation cache {self.path} was corrupt ({exc}); moved it to {aside.name} "
            "and started an empty cache"
        )
        self._open()

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise CacheError(f"{self.path}: the translation cache is closed")
        return self._conn

    def _run(self, operation: Callable[[sqlite3.Connection], object]):
        """Run ``operation``; if the file turns out corrupt, rebuild and retry once."""
        with self._lock:
            return self._guarded(lambda: operation(self._db))

    def _guarded(self, call: Callable[[], object], retry: bool = True):
        """``call()``, with a lock held past the busy timeout turned into a
        :class:`CacheError`, and a corrupt file moved aside, rebuilt and (when
        ``retry``) ``call`` made once more on the fresh file."""
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise self._locked_error() from exc
            if _is_unwritable(exc):
                raise CacheUnwritable(f"{self.path}: cannot be written ({self._reason(exc)}); "
                                      f"{self._fix(exc)}") from exc
            raise
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise
            self._recover(exc)
            return call() if retry else None

    def _open_problem(self, exc: sqlite3.OperationalError) -> str:
        """What is wrong with a cache file SQLite could not open, and the fix."""
        folder = self.path.parent
        if getattr(exc, "sqlite_errorcode", 0) == _SQLITE_READONLY_DIRECTORY:
            return (f"{self.path}: the cache's folder {folder} is read-only, and SQLite needs to write "
                    f"its journal there; make the folder writable, {_ELSEWHERE}")
        if not self.path.exists():
            return f"{self.path}: the cache cannot be created ({self._reason(exc)}); {self._fix(exc)}"
        return f"{self.path}: the cache cannot be opened ({self._reason(exc)}); {self._fix(exc)}"

    def _reason(self, exc: sqlite3.Error) -> str:
        if _code(exc) == _SQLITE_FULL or self._disk_full():
            return "no space left on the device"
        if _code(exc) == _SQLITE_READONLY:
            return "the file or its folder is read-only"
        return str(exc)

    def _fix(self, exc: sqlite3.Error) -> str:
        if _code(exc) == _SQLITE_FULL or self._disk_full():
            return f"free some space, {_ELSEWHERE}"
        return f"check the permissions of the file and its folder, {_ELSEWHERE}"

    def _disk_full(self) -> bool:
        try:
            return shutil.disk_usage(self.path.parent).free < 64 * 1024
        except OSError:
            return False

    def _locked_error(self) -> CacheError:
        return CacheError(
            f"{self.path}: the translation cache stayed locked by another process for "
            f"{BUSY_TIMEOUT:g} s; try again when it has finished"
        )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> TranslationCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- reading and writing -------------------------------------------------------

    def get_many(self, signature: str, texts: Iterable[str]) -> dict[str, str]:
        """The cached translations of ``texts`` under ``signature`` (hits only)."""
        return self._select_in(
            "SELECT source, translation FROM translations WHERE signature = ? AND source IN ({})",
            [signature], texts,
        )

    def put_many(self, signature: str, pairs: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        """Store ``(source, translation)`` pairs in one transaction."""
        items = list(pairs.items() if isinstance(pairs, Mapping) else pairs)
        now = time.time()
        self._write_rows(
            "INSERT OR REPLACE INTO translations (signature, source, translation, created) VALUES (?, ?, ?, ?)",
            [(signature, source, translation, now) for source, translation in items],
        )

    def get_aids(self, version: str, kind: str, keys: Iterable[str]) -> dict[str, str]:
        """Stored reading aids of ``kind`` under ``version`` for ``keys`` (hits only)."""
        return self._select_in(
            "SELECT key, value FROM reading_aids WHERE version = ? AND kind = ? AND key IN ({})",
            [version, kind], keys,
        )

    def put_aids(self, version: str, kind: str, items: Mapping[str, str]) -> None:
        """Store reading aids in one transaction, dropping any of another version."""
        self._write_rows(
            "INSERT OR REPLACE INTO reading_aids (version, kind, key, value) VALUES (?, ?, ?, ?)",
            [(version, kind, key, value) for key, value in items.items()],
            # Not "version != ?": that scans the whole table on every write (quadratic
            # over a run of many documents); two ranges are two index searches.
            before=("DELETE FROM reading_aids WHERE version < ? OR version > ?", (version, version)),
        )

    def _select_in(self, sql: str, params: list[str], keys: Iterable[str]) -> dict[str, str]:
        """``key → value`` rows of ``sql`` (whose ``IN ({})`` takes the keys), asked
        in batches that stay under SQLite's limit on bound parameters."""
        asked = {storable(key): key for key in keys}
        wanted = list(asked)

        def query(db: sqlite3.Connection) -> dict[str, str]:
            found: dict[str, str] = {}
            for start in range(0, len(wanted), _QUERY_BATCH):
                batch = wanted[start : start + _QUERY_BATCH]
                found.update(db.execute(sql.format(",".join("?" * len(batch))), [*map(storable, params), *batch]))
            return found

        return {asked[key]: value for key, value in self._run(query).items()}

    def _write_rows(self, sql: str, rows: list[tuple], before: tuple[str, tuple] | None = None) -> None:
        """``executemany(sql, rows)`` (after the ``before`` statement) in one
        immediate transaction: all of it is stored, or none."""
        if not rows or not self.writable:
            return
        rows = [tuple(storable(v) if isinstance(v, str) else v for v in row) for row in rows]

        def write(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            try:
                if before is not None:
                    db.execute(*before)
                db.executemany(sql, rows)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

        try:
            self._run(write)
        except CacheUnwritable as exc:
            self.writable = False
            self._warn(
                f"translation cache {self.path} could not be written ({self._reason(exc.__cause__)}); "
                f"this run's new translations are in its outputs but not cached: {self._fix(exc.__cause__)}"
            )

    def info(self) -> CacheInfo:
        """Path, number of entries, bytes on disk, and entries per signature."""

        def count(db: sqlite3.Connection) -> dict[str, int]:
            rows = db.execute(
                "SELECT signature, count(*) FROM translations GROUP BY signature ORDER BY signature"
            )
            return dict(rows)

        by_signature = self._run(count)
        size = sum(
            p.stat().st_size
            for p in (self.path, self.path.with_name(self.path.name + "-wal"))
            if p.exists()
        )
        return CacheInfo(
            path=self.path,
            entries=sum(by_signature.values()),
            size_bytes=size,
            by_signature=by_signature,
        )

    def clear(self) -> int:
        """Delete every entry and shrink the file; returns how many were deleted."""

        def delete(db: sqlite3.Connection) -> int:
            deleted = db.execute("DELETE FROM translations").rowcount
            db.execute("DELETE FROM reading_aids")
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return deleted

        return self._run(delete)
