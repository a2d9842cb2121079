"""Typed errors. Library code raises these with a message a user can act on;
only ``pipeline.cli`` turns them into exit codes."""

from __future__ import annotations


class DuizhaoError(Exception):
    """Base class: a problem the user can fix (bad input, missing model, ...)."""


class PathError(DuizhaoError):
    """A problem with one named file or folder: ``path: problem (fix)``."""

    def __init__(self, path: object, problem: str, fix: str | None = None):
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        message = f"{self.path}: {problem}"
        if fix:
            message += f" ({fix})"
        super().__init__(message)


class SourceError(PathError):
    """A source document cannot be read."""


class EngineError(DuizhaoError):
    """An engine cannot be created or cannot translate."""
