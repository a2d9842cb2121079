"""Atomic file writes: a reader or a crash never sees a half-written output.

:func:`write_texts_atomic` writes a set of files (a run's ``.json`` and ``.html``)
to temporary files beside their targets, flushes them to disk, and renames them
over the targets only when every one is complete, so a full disk or a kill leaves
the previous set whole. A new file gets the mode the umask gives; a replaced file
keeps the mode it had. Temporary names are ``.<name>.dz<8 random>.tmp``, shortened
so that they fit wherever the final name fits; those a killed writer left behind
(unlocked and older than :data:`STALE_AFTER`) are removed on the next write to
their folder.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
import stat
import string
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from pipeline.core.errors import DuizhaoError


class OutputError(DuizhaoError):
    """An output file could not be written (the previous one is left whole)."""


#: A temporary file nobody holds locked is a killed writer's after this many seconds
#: (a writer locks its file the moment it creates it).
STALE_AFTER = 2.0
_TOKEN = string.ascii_lowercase + string.digits
_TEMP_OVERHEAD = len("..dz00000000.tmp")
_OURS = re.compile(r"\..*\.dz[0-9a-z]{8}\.tmp", re.DOTALL)
#: Earlier versions used tempfile.mkstemp: ``.<name>.<8 of [a-z0-9_]>.tmp``.
_EARLIER = re.compile(r"\.(?P<name>.+)\.[0-9a-z_]{8}\.tmp", re.DOTALL)
_cleaned: set[str] = set()


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`write_texts_atomic`)."""
    return write_texts_atomic([(path, text)])[0]


class Chunks:
    """A text written as it is made, a piece at a time (a long document's JSON):
    for :func:`write_texts_atomic`, which then never holds the whole text."""

    def __init__(self, pieces: Iterable[str]) -> None:
        self.pieces = pieces


def write_texts_atomic(files: Iterable[tuple[str | os.PathLike[str], str | bytes | Chunks]]) -> list[Path]:
    """Write each ``(path, text)`` (text as UTF-8; bytes as they are; :class:`Chunks`
    as UTF-8, each piece as it comes) through a temporary file in the same
    folder; rename the temporary files over their targets only when all are
    written and flushed. On failure nothing is replaced and no temporary file is
    left; raises :class:`OutputError` naming the file and the reason. ``files``
    is taken one at a time, so a generator that renders each output only when
    asked holds one output in memory, not the set (a book's chapter pages).
    What UTF-8 cannot carry in a text (a lone surrogate: the undecodable bytes of
    a file name) is written as its escape, \\udcb5, which JSON reads back as the
    same character: every text file written is valid UTF-8."""
    targets: list[Path] = []
    written: list[tuple[int, Path, Path]] = []  # (locked fd, temporary, target)
    made: list[Path] = []  # folders made for the outputs, removed again when nothing is written
    try:
        for path, text in files:
            targets.append(Path(path))
            made += _missing_folders(targets[-1].parent)
            if isinstance(text, Chunks):
                data: Iterable[bytes] = _buffered(piece.encode("utf-8", "backslashreplace") for piece in text.pieces)
            else:
                data = [text if isinstance(text, bytes) else text.encode("utf-8", "backslashreplace")]
            written.append(_write_temporary(targets[-1], data))
        for fd, temporary, target in written:
            try:
                os.replace(temporary, target)
            except OSError as exc:
                raise OutputError(f"{target}: cannot be written ({_reason(exc)}); it is left as it was") from exc
        for folder in dict.fromkeys(target.parent for _, _, target in written):
            _sync_folder(folder)
    except BaseException:
        for fd, temporary, _ in written:
            os.close(fd)
            temporary.unlink(missing_ok=True)
        written = []
        for folder in sorted(set(made), key=lambda p: len(p.parts), reverse=True):
            try:
                folder.rmdir()  # only if empty: nothing of anyone else's is removed
            except OSError:
                pass
        raise
    finally:
        for fd, temporary, _ in written:
            os.close(fd)
            temporary.unlink(missing_ok=True)  # gone after a rename
    return targets


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def temporary_name(name: str, limit: int = 255) -> str:
    """A fresh temporary name for ``name`` of at most ``limit`` bytes: the name is
    shortened (at a character boundary) when the whole would not fit."""
    encoded = os.fsencode(name)
    budget = max(limit - _TEMP_OVERHEAD, 0)
    if len(encoded) > budget:
        while budget and (encoded[budget] & 0xC0) == 0x80:  # inside a UTF-8 sequence
            budget -= 1
        name = os.fsdecode(encoded[:budget])
    return f".{name}.dz{''.join(secrets.choice(_TOKEN) for _ in range(8))}.tmp"


def _buffered(pieces: Iterable[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """``pieces`` gathered into writes of about ``size`` bytes."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        if len(buffer) >= size:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def _write_temporary(target: Path, data: Iterable[bytes]) -> tuple[int, Path, Path]:
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        try:
            os.stat(folder)  # "File exists" hides a link that loops: stat names it
        except OSError as named:
            exc = named
        raise OutputError(f"{folder}: the output folder cannot be created ({_reason(exc)})") from exc
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    if len(os.fsencode(target.name)) > name_max:
        raise OutputError(f"{target}: the name is longer than the file system allows ({name_max} bytes); "
                          "rename the source to something shorter")
    if target.is_dir():
        raise OutputError(f"{target}: is a folder, so the output cannot be written there (move the folder away)")
    _remove_stale(folder)
    try:
        before: os.stat_result | None = os.stat(target)
    except OSError:
        before = None  # a new file: 0o666 less the umask, as open() gives
    while True:
        temporary = folder / temporary_name(target.name, name_max)
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"{target}: cannot be written ({_reason(exc)}); nothing was changed") from exc
    try:
        _lock(fd)
        if before is not None:
            _keep_owner_and_mode(fd, before)
        for piece in data:
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException as exc:
        os.close(fd)
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"{target}: cannot be written ({_reason(exc)}); nothing was changed") from exc
        raise
    return fd, temporary, target


def _keep_owner_and_mode(fd: int, before: os.stat_result) -> None:
    """Give the new file the replaced one's mode, and its owner and group where
    allowed (a shared glossary stays the group's)."""
    for uid in (before.st_uid, -1):
        try:
            os.fchown(fd, uid, before.st_gid)
            break
        except OSError:
            continue
    os.fchmod(fd, stat.S_IMODE(before.st_mode))


def _lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; ``False`` when another
    process holds one (or the file system has no locks)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _remove_stale(folder: Path) -> None:
    """Remove temporary files of ours that a killed writer left in ``folder``
    (once per folder and process: a folder of many outputs is listed once)."""
    key = os.path.abspath(folder)
    if key in _cleaned:
        return
    _cleaned.add(key)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    names = {entry.name for entry in entries}
    now = time.time()
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(".tmp")):
            continue
        earlier = _EARLIER.fullmatch(entry.name)
        if not (_OURS.fullmatch(entry.name) or (earlier and earlier["name"] in names)):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < STALE_AFTER:
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            if _lock(fd):
                os.unlink(entry.path)
        except OSError:
            pass  # not ours to remove after all (a read-only folder): leave it
        finally:
            os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Flush the renames in ``folder`` to disk (best effort: not every system can)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device: free some space and run again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{exc.strerror.lower()}: check the permissions of the file and its folder"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long for the file system: rename the source to something shorter"
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link that loops: give a real folder"
    return exc.strerror or str(exc)
