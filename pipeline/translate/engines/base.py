"""Translation engines: the :class:`Engine` protocol, decoding options and a
name → engine table.

An engine turns a list of sentences into a list of translations, one for one and in
order, and describes itself with :meth:`Engine.signature`, the string the
translation cache is keyed by: a new model or a new decoding option never serves
stale text. Engines are imported on first use, so importing this module does not
import ctranslate2 or sentencepiece.

An engine also says how glossary terms reach it (:attr:`Engine.glossary`, see
:mod:`pipeline.translate.enforce`): ``"masked"`` (the NMT engines) means it is given each
sentence with its terms replaced by placeholders; ``"prompt"`` (an LLM) means it
is given a :class:`Request` (encoded by :meth:`Request.key`): the sentence as
written, the renderings it must use, and the sentences before it as context.

An engine that fails part way may attach what it finished to the exception it
raises (:func:`attach_finished`); the caller keeps those translations.

An engine whose failures belong to one request (an LLM that answers nothing, or
runs away, for one sentence) returns a :class:`Failed` in that sentence's place
instead of raising: it is never cached, the caller asks again in a smaller form
(:mod:`pipeline.translate.enforce`), and only what concerns every request (the
server unreachable, a refused key, an unknown model, many failures in a row)
is raised.
"""

from __future__ import annotations

import contextlib
import importlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pipeline.core.errors import EngineError, PathError


class BrokenPackageError(EngineError, PathError):
    """An installed model package is missing files, incomplete or unreadable."""


@runtime_checkable
class Engine(Protocol):
    """What the pipeline needs from a translation engine.

    An engine may also have ``glossary = "prompt"`` (default ``"masked"``; see
    :func:`glossary_mode`) and ``context``, the number of previous sentences of a
    block it wants in each :class:`Request`.
    """

    name: str

    def signature(self) -> str:
        """A stable string naming the engine, model package and version and every
        option that changes the output; the translation cache key."""
        ...

    def translate(
        self, sentences: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> list[str]:
        """One translation per sentence, in input order. ``progress`` is called with
        the number of sentences just finished."""
        ...


@dataclass(frozen=True)
class Failed:
    """No translation for one request: ``message`` is one line saying what the
    engine got (the server's own words) and what would fix it; ``cause`` is
    ``"server"`` (an error status, no answer in time, a dropped connection, not
    an answer at all), ``"answer"`` (the model's answer: empty, cut off, runaway)
    or ``"context"`` (the prompt does not fit the server's context)."""

    message: str
    cause: str = "answer"

    @property
    def server(self) -> bool:
        """Whether the server, rather than what the model made of this request, failed."""
        return self.cause == "server"

    def __str__(self) -> str:
        return self.message


def glossary_mode(engine: object) -> str:
    """``"masked"`` or ``"prompt"``: how glossary terms reach ``engine``."""
    return getattr(engine, "glossary", "masked")


@dataclass(frozen=True)
class Request:
    """One sentence for an engine that takes glossary terms in its prompt.

    ``terms`` are ``(Chinese as written in text, rendering)`` pairs; ``markers``
    are ``(placeholder in text, what it stands for)`` pairs, when ``text`` is
    masked (the second try for a sentence whose terms did not come through);
    ``context`` are the sentences before it in its block, for reference only;
    ``examples`` are ``(Chinese, English)`` approved translations of similar
    sentences from the project translation memory.
    """

    text: str
    terms: tuple[tuple[str, str], ...] = ()
    markers: tuple[tuple[str, str], ...] = ()
    context: tuple[str, ...] = ()
    examples: tuple[tuple[str, str], ...] = ()

    def key(self) -> str:
        """The request as canonical JSON: what the engine is given, and the
        translation cache key (so the terms, the context and the examples are part of it)."""
        data: dict[str, Any] = {"text": self.text}
        for name in ("terms", "markers", "context", "examples"):
            if getattr(self, name):
                data[name] = [list(item) if isinstance(item, tuple) else item for item in getattr(self, name)]
        return signature_string(data)

    @classmethod
    def from_key(cls, key: str) -> Request:
        """The request ``key`` encodes; any other string is a request for itself."""
        if key.startswith('{"'):
            try:
                data = json.loads(key)
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("text"), str) and key == signature_string(data):
                return cls(
                    data["text"],
                    tuple(tuple(pair) for pair in data.get("terms", ())),
                    tuple(tuple(pair) for pair in data.get("markers", ())),
                    tuple(data.get("context", ())),
                    tuple(tuple(pair) for pair in data.get("examples", ())),
                )
        return cls(key)


def request_counts(engine: object) -> tuple[int, int] | None:
    """``(made, retried)``: the requests an engine that talks to a server has made
    so far, and how many of them were retries; ``None`` for other engines."""
    counts = getattr(engine, "request_counts", None)
    return counts() if callable(counts) else None


def token_counts(engine: object) -> tuple[int, int] | None:
    """``(prompt, completion)`` tokens an engine that talks to a server was told of
    (the answers' ``usage``) so far; ``None`` for other engines."""
    counts = getattr(engine, "token_counts", None)
    return counts() if callable(counts) else None


@contextlib.contextmanager
def asking_again(engine: object) -> Iterator[None]:
    """While the model's failures say nothing new about the server: sentences
    that already failed asked again in smaller forms, or a run whose other
    sentences the cache shows the model translated (a rerun asks for exactly
    the requests that failed before). An engine that stops after many failures
    in a row does not count the model's failures then; a server's own (an error
    status, no answer) still count."""
    enter = getattr(engine, "asking_again", None)
    if not callable(enter):
        yield
        return
    with enter():
        yield


def attach_finished(exc: BaseException, finished: dict[str, str]) -> BaseException:
    """Record on ``exc`` the translations finished before it (input → output)."""
    exc.finished = finished  # type: ignore[attr-defined]
    return exc


def finished_of(exc: BaseException) -> dict[str, str]:
    """What an engine finished before raising ``exc`` (see :func:`attach_finished`)."""
    finished = getattr(exc, "finished", None)
    return finished if isinstance(finished, dict) else {}


def signature_string(data: dict[str, Any]) -> str:
    """Canonical JSON: the same settings always give the same string."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


#: Engine name → "module:class", imported on first use.
_ENGINES = {
    "argos": "pipeline.translate.engines.argos:ArgosEngine",
    "ctranslate2": "pipeline.translate.engines.ctranslate2:CTranslate2Engine",
    "openai": "pipeline.translate.engines.openai:OpenAIEngine",
}


def engine_names() -> list[str]:
    return sorted(_ENGINES)


def create_engine(name: str, **kwargs: Any) -> Engine:
    """Create the engine called ``name`` with ``kwargs`` (e.g. ``package_path``,
    ``options`` for "argos")."""
    try:
        target = _ENGINES[name]
    except KeyError:
        raise EngineError(
            f"unknown engine {name!r} (available: {', '.join(engine_names())})"
        ) from None
    module_name, class_name = target.split(":")
    engine_class = getattr(importlib.import_module(module_name), class_name)
    return engine_class(**kwargs)
