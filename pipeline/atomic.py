"""Atomic file writes: a reader or a crash never sees a half-written output."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pipeline.errors import DuizhaoError


class OutputError(DuizhaoError):
    """An output file could not be written (the previous one is left whole)."""


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same
    folder, flushed to disk and then renamed over the target."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(
            f"{path}: cannot be written ({exc.strerror or exc}); any previous version is left as it was"
        ) from exc
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
