"""The ``openai`` engine's prompt template: a Jinja2 file, rendered as data, not code.

A project and its prompt file travel between colleagues like documents, so a
template must not be able to do more than fill in text:

- the file is read only when it is a regular file (not a FIFO, a device or a
  folder) of at most :data:`MAX_TEMPLATE_BYTES`;
- it is compiled by Jinja2's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`
  (no attribute starting with ``_``, no unsafe method, nothing modified), with no
  globals (``range``, ``dict``, ``namespace``, ... are gone) and no loader;
- it may name only :data:`VARIABLES`, and ``{% include %}``, ``{% import %}``,
  ``{% from %}`` and ``{% extends %}`` are refused when it is loaded, each with
  one line naming the file and line;
- what it makes is bounded: numbers and values built with ``*``, ``**`` and
  ``+`` past :data:`MAX_PROMPT_CHARS`, ``%``-formatting, macros and recursive
  loops (exponential work) are refused, and so is a prompt longer than that.
"""

from __future__ import annotations

import hashlib
import os
import stat
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import PARSE_FAILURES, failure_reason
from pipeline.translate.engines.base import EngineError, Request

__all__ = ["PromptTemplate", "VARIABLES", "MAX_TEMPLATE_BYTES", "MAX_PROMPT_CHARS"]

#: The names a template may use (the shipped ``prompt.txt`` documents them).
VARIABLES = ("text", "terms", "markers", "context", "examples", "source_language", "target_language")
#: The largest prompt template read (the shipped one is about 1.5 KB).
MAX_TEMPLATE_BYTES = 64 * 1024
#: The longest prompt (and the largest value a template may build on the way).
MAX_PROMPT_CHARS = 256 * 1024
#: Template statements that would reach other files: refused.
_REFUSED = {"Include": "include", "Import": "import", "FromImport": "from ... import", "Extends": "extends"}
_FIX = "fix it, or remove prompt from duizhao.toml to use the shipped one"


@dataclass(frozen=True)
class PromptTemplate:
    """A compiled prompt template, the file it came from and the sha256 of its bytes."""

    path: Path
    sha256: str
    template: Any

    @classmethod
    def load(cls, path: str | Path) -> PromptTemplate:
        """The template in ``path``, checked as the module docstring says;
        :class:`EngineError` with one line naming the file (and line) otherwise."""
        import jinja2

        path = Path(path)
        data = _read(path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise EngineError(f"{path}: not UTF-8 (save the prompt template as UTF-8)") from None
        environment = _environment()
        try:
            tree = environment.parse(text)
            _check(tree, path)
            template = environment.from_string(tree)
        except jinja2.TemplateSyntaxError as exc:
            raise EngineError(f"{path}:{exc.lineno}: not a valid template: {exc.message} ({_FIX})") from None
        except EngineError:
            raise
        except PARSE_FAILURES as exc:  # nested past what the parser's recursion takes, ...
            raise EngineError(f"{path}: not a valid template: {failure_reason(exc)} ({_FIX})") from None
        return cls(path, hashlib.sha256(data).hexdigest(), template)

    def render(self, request: Request) -> str:
        """The prompt for ``request``: the template filled with :data:`VARIABLES`."""
        import jinja2

        values = {
            "text": request.text,
            "terms": [{"zh": zh, "en": en} for zh, en in request.terms],
            "markers": [{"marker": marker, "en": en} for marker, en in request.markers],
            "context": list(request.context),
            "examples": [{"zh": zh, "en": en} for zh, en in request.examples],
            "source_language": "Chinese",
            "target_language": "English",
        }
        pieces, size = [], 0
        try:
            for piece in self.template.generate(**values):
                size += len(piece)
                if size > MAX_PROMPT_CHARS:
                    raise _TooLarge()
                pieces.append(piece)
        except (jinja2.TemplateError, _TooLarge, *PARSE_FAILURES) as exc:
            # Jinja2 maps its frames to template lines.
            lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
            where = f"{self.path}:{lines[-1]}" if lines else str(self.path)
            reason = str(exc) if isinstance(exc, jinja2.TemplateError) else failure_reason(exc)
            raise EngineError(f"{where}: the prompt template fails: {reason} ({_FIX})") from None
        return "".join(pieces).strip()


class _TooLarge(Exception):
    def __str__(self) -> str:
        return f"it makes more than {MAX_PROMPT_CHARS:,} characters"


def _read(path: Path) -> bytes:
    """The bytes of ``path`` when it is a regular file of at most
    :data:`MAX_TEMPLATE_BYTES`. Opened without waiting (a FIFO would block a
    plain open for ever) and checked on the open file, so it cannot be swapped."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise EngineError(f"{path}: no such prompt template (check prompt in duizhao.toml)") from None
    except (OSError, ValueError) as exc:
        raise EngineError(f"{path}: the prompt template cannot be read: {failure_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise EngineError(f"{path}: not a regular file, so not read as a prompt template "
                              "(name a text file in prompt in duizhao.toml)")
        if info.st_size > MAX_TEMPLATE_BYTES:
            raise EngineError(f"{path}: {info.st_size:,} bytes, more than the {MAX_TEMPLATE_BYTES:,} a prompt "
                              "template may have (name the right file in prompt in duizhao.toml)")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(MAX_TEMPLATE_BYTES + 1)
    except OSError as exc:
        raise EngineError(f"{path}: the prompt template cannot be read: {failure_reason(exc)}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_TEMPLATE_BYTES:  # it grew since the check
        raise EngineError(f"{path}: more than the {MAX_TEMPLATE_BYTES:,} bytes a prompt template may have")
    return data


def _environment():
    """The sandbox every prompt template is compiled in: no globals, no loader,
    undefined names an error, ``*`` and ``**`` checked."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

    class _Sandbox(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "%" and isinstance(left, str):
                raise SecurityError("%-formatting is not allowed in a prompt template (use ~ and filters)")
            if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64 and left not in (-1, 0, 1):
                raise SecurityError("a power above 64 is not allowed in a prompt template")
            if operator == "**" and isinstance(left, int) and isinstance(right, int) \
                    and abs(left).bit_length() * abs(right) > 64:
                raise SecurityError(f"a number over {MAX_PROMPT_CHARS:,} is not allowed in a prompt template")
            if operator == "*":
                sized, times = (left, right) if hasattr(left, "__len__") else (right, left)
                if hasattr(sized, "__len__") and isinstance(times, int) and len(sized) * times > MAX_PROMPT_CHARS:
                    raise SecurityError(f"a value over {MAX_PROMPT_CHARS:,} long is not allowed in a prompt template")
            result = super().call_binop(context, operator, left, right)
            if isinstance(result, int) and not isinstance(result, bool) and abs(result) > MAX_PROMPT_CHARS:
                raise SecurityError(f"a number over {MAX_PROMPT_CHARS:,} is not allowed in a prompt template")
            if hasattr(result, "__len__") and len(result) > MAX_PROMPT_CHARS:
                raise SecurityError(f"a value over {MAX_PROMPT_CHARS:,} long is not allowed in a prompt template")
            return result

    environment = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False)
    environment.globals.clear()
    return environment


def _check(tree: Any, path: Path) -> None:
    """Refuse statements that reach other files, and names that are not :data:`VARIABLES`."""
    from jinja2 import meta, nodes

    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        statement = _REFUSED[type(node).__name__]
        raise EngineError(f"{path}:{node.lineno}: {{% {statement} %}} is not allowed in a prompt template: it "
                          f"is one file, filled with {', '.join(VARIABLES)} ({_FIX})")
    for node in tree.find_all(nodes.Const):
        if isinstance(node.value, int) and abs(node.value) > MAX_PROMPT_CHARS:
            raise EngineError(f"{path}:{node.lineno}: a number over {MAX_PROMPT_CHARS:,} is not allowed in a "
                              f"prompt template ({_FIX})")
    for node in tree.find_all((nodes.Macro, nodes.CallBlock)):
        raise EngineError(f"{path}:{node.lineno}: macros are not allowed in a prompt template ({_FIX})")
    for node in tree.find_all(nodes.For):
        if node.recursive:
            raise EngineError(f"{path}:{node.lineno}: recursive loops are not allowed in a prompt template ({_FIX})")
    unknown = meta.find_undeclared_variables(tree) - set(VARIABLES)
    if unknown:
        first = min((n for n in tree.find_all(nodes.Name) if n.name in unknown), key=lambda n: n.lineno)
        raise EngineError(f"{path}:{first.lineno}: the prompt template fails: {first.name!r} is undefined (a "
                          f"template may use {', '.join(VARIABLES)}; {_FIX})")
