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


#: What parsing data from outside can raise besides our own errors: malformed
#: input (``ValueError``, its ``UnicodeError``; ``SyntaxError`` is what an XML
#: parser raises), a value of an unexpected shape (``TypeError``, ``LookupError``,
#: ``AttributeError``, ``ArithmeticError``), input nested deeper than a recursive
#: parser can go (``RecursionError``), input too large to hold (``MemoryError``),
#: a library refusing what it cannot handle (``RuntimeError``: zipfile's encrypted
#: entries, ``NotImplementedError`` its unknown compressions) and reading (``OSError``,
#: ``EOFError``). A boundary where outside data is parsed turns each into its
#: one-line error (:func:`failure_reason`), never a traceback; code in the middle
#: of the pipeline does not catch these.
PARSE_FAILURES: tuple[type[BaseException], ...] = (
    ValueError, SyntaxError, TypeError, LookupError, AttributeError, ArithmeticError,
    RecursionError, RuntimeError, MemoryError, OSError, EOFError,
)
#: The longest reason :func:`failure_reason` gives (a library may quote the input).
_REASON_MAX = 160


def failure_reason(exc: BaseException) -> str:
    """Why parsing failed, in a few words fit for a one-line message: what the
    exception says, on one line and clipped, or what the kind of failure means."""
    if isinstance(exc, RecursionError):
        return "nested too deeply to be read"
    if isinstance(exc, MemoryError):
        return "too large to be read into memory"
    reason = getattr(exc, "strerror", None) if isinstance(exc, OSError) else None
    text = " ".join(str(reason or exc).split())
    if len(text) > _REASON_MAX:
        text = text[: _REASON_MAX - 1] + "…"
    return text or type(exc).__name__
