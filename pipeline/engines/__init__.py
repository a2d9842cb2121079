"""Translation engines: the :class:`Engine` protocol, decoding options and a
name → engine table.

An engine turns a list of sentences into a list of translations, one for one and in
order, and describes itself with :meth:`Engine.signature`, the string the
translation cache is keyed by: a new model or a new decoding option never serves
stale text. Engines are imported on first use, so importing this package does not
import ctranslate2 or sentencepiece.

An engine also says how glossary terms reach it (:attr:`Engine.glossary`, see
:mod:`pipeline.enforce`): ``"masked"`` (the NMT engines) means it is given each
sentence with its terms replaced by placeholders; ``"prompt"`` (an LLM) means it
is given a :class:`Request` (encoded by :meth:`Request.key`): the sentence as
written, the renderings it must use, and the sentences before it as context.

An engine that fails part way may attach what it finished to the exception it
raises (:func:`attach_finished`); the caller keeps those translations.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Protocol, runtime_checkable

from pipeline.errors import DuizhaoError, PathError

__all__ = [
    "DecodeOptions",
    "Engine",
    "EngineError",
    "BrokenPackageError",
    "Request",
    "attach_finished",
    "create_engine",
    "engine_names",
    "finished_of",
    "glossary_mode",
    "request_counts",
    "signature_string",
]


class EngineError(DuizhaoError):
    """An engine cannot be created or cannot translate."""


class BrokenPackageError(EngineError, PathError):
    """An installed model package is missing files, incomplete or unreadable."""


_SPEED_ONLY = {"speed_only": True}


@dataclass(frozen=True)
class DecodeOptions:
    """How an engine decodes.

    Fields that change the text (beam size, penalties, the length limit, compute
    type) enter the engine signature; fields marked speed-only (batching and
    threads) do not, because the engine gives the same text whatever their values
    (tests/test_engine.py checks this).

    The defaults are the fastest settings measured on the 2-core reference machine
    (bench/README.md).
    """

    beam_size: int = 2
    #: Argos Translate's own value: its models were tuned with it.
    length_penalty: float = 0.2
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    #: Length limit for an input of n tokens:
    #: ``max_decoding_base + ceil(max_decoding_ratio * n)`` tokens, at most
    #: :attr:`MAX_DECODING_TOKENS`. Stops a model that loops ("the the the ...")
    #: from decoding 256 tokens for a short sentence.
    max_decoding_base: int = 10
    max_decoding_ratio: float = 2.0
    #: Unknown target tokens become the most attended source token (as in Argos).
    replace_unknowns: bool = True
    #: CTranslate2 compute type; "default" keeps the weights as the package saved them.
    compute_type: str = "default"
    #: Batches of at most 512 padded source tokens: about half the peak memory of
    #: batches of 24 sentences on the seed (the longest batches go first, two at
    #: once), since a batch of long sentences holds no more positions than one of
    #: short ones, at about 0.85x their translation speed (bench/README.md).
    max_batch_size: int = field(default=512, metadata=_SPEED_ONLY)
    batch_type: str = field(default="tokens", metadata=_SPEED_ONLY)
    #: Two translators of one thread each beat one translator of two threads by
    #: about 1.5x on 2 cores: beam-search steps on small batches do not keep two
    #: threads busy.
    inter_threads: int = field(default=2, metadata=_SPEED_ONLY)
    intra_threads: int = field(default=1, metadata=_SPEED_ONLY)

    def __post_init__(self) -> None:
        problems = []
        if self.beam_size < 1:
            problems.append(f"beam_size must be at least 1, not {self.beam_size}")
        if self.max_batch_size < 1:
            problems.append(f"max_batch_size must be at least 1, not {self.max_batch_size}")
        if self.batch_type not in ("examples", "tokens"):
            problems.append(f"batch_type must be 'examples' or 'tokens', not {self.batch_type!r}")
        if self.max_decoding_base < 1 or self.max_decoding_ratio < 0:
            problems.append("the length limit needs max_decoding_base >= 1 and max_decoding_ratio >= 0")
        if self.inter_threads < 1 or self.intra_threads < 0:
            problems.append("inter_threads must be >= 1 and intra_threads >= 0")
        if problems:
            raise EngineError("invalid decoding options: " + "; ".join(problems))

    #: The absolute cap, whatever the input: CTranslate2's own default, which Argos
    #: Translate decodes with. Ample for a unit of the longest sentence
    #: (pipeline.sentences.MAX_SENTENCE_CHARS: ~100 English words, ~150 pieces),
    #: and it bounds the work of any input. Not in the signature: a translation
    #: that ends before the cap is the same with or without it (beam search takes
    #: the same steps up to the last), so only runaway translations change.
    MAX_DECODING_TOKENS: ClassVar[int] = 256

    def max_decoding_length(self, input_tokens: int) -> int:
        """The most tokens a translation of ``input_tokens`` tokens may have."""
        wanted = self.max_decoding_base + math.ceil(self.max_decoding_ratio * input_tokens)
        return min(wanted, self.MAX_DECODING_TOKENS)

    def output_options(self) -> dict[str, Any]:
        """The options that change the text, for a signature."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if not f.metadata.get("speed_only")
        }

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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


def glossary_mode(engine: object) -> str:
    """``"masked"`` or ``"prompt"``: how glossary terms reach ``engine``."""
    return getattr(engine, "glossary", "masked")


@dataclass(frozen=True)
class Request:
    """One sentence for an engine that takes glossary terms in its prompt.

    ``terms`` are ``(Chinese as written in text, rendering)`` pairs; ``markers``
    are ``(placeholder in text, what it stands for)`` pairs, when ``text`` is
    masked (the second try for a sentence whose terms did not come through);
    ``context`` are the sentences before it in its block, for reference only.
    """

    text: str
    terms: tuple[tuple[str, str], ...] = ()
    markers: tuple[tuple[str, str], ...] = ()
    context: tuple[str, ...] = ()

    def key(self) -> str:
        """The request as canonical JSON: what the engine is given, and the
        translation cache key (so the terms and the context are part of it)."""
        data: dict[str, Any] = {"text": self.text}
        for name in ("terms", "markers", "context"):
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
                )
        return cls(key)


def request_counts(engine: object) -> tuple[int, int] | None:
    """``(made, retried)``: the requests an engine that talks to a server has made
    so far, and how many of them were retries; ``None`` for other engines."""
    counts = getattr(engine, "request_counts", None)
    return counts() if callable(counts) else None


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
    "argos": "pipeline.engines.argos:ArgosEngine",
    "ctranslate2": "pipeline.engines.ctranslate2:CTranslate2Engine",
    "openai": "pipeline.engines.openai:OpenAIEngine",
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
