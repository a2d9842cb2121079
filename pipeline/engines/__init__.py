"""Translation engines: the :class:`Engine` protocol, decoding options and a
name → engine table.

An engine turns a list of sentences into a list of translations, one for one and in
order, and describes itself with :meth:`Engine.signature`, the string the
translation cache is keyed by: a new model or a new decoding option never serves
stale text. Engines are imported on first use, so importing this package does not
import ctranslate2 or sentencepiece.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

from pipeline.errors import DuizhaoError, PathError

__all__ = [
    "DecodeOptions",
    "Engine",
    "EngineError",
    "BrokenPackageError",
    "create_engine",
    "engine_names",
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
    #: ``max_decoding_base + ceil(max_decoding_ratio * n)`` tokens. Stops a model
    #: that loops ("the the the ...") from decoding 256 tokens for a short sentence.
    max_decoding_base: int = 10
    max_decoding_ratio: float = 2.0
    #: Unknown target tokens become the most attended source token (as in Argos).
    replace_unknowns: bool = True
    #: CTranslate2 compute type; "default" keeps the weights as the package saved them.
    compute_type: str = "default"
    max_batch_size: int = field(default=24, metadata=_SPEED_ONLY)
    batch_type: str = field(default="examples", metadata=_SPEED_ONLY)
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

    def max_decoding_length(self, input_tokens: int) -> int:
        """The most tokens a translation of ``input_tokens`` tokens may have."""
        return self.max_decoding_base + math.ceil(self.max_decoding_ratio * input_tokens)

    def output_options(self) -> dict[str, Any]:
        """The options that change the text, for a signature."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if not f.metadata.get("speed_only")
        }

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class Engine(Protocol):
    """What the pipeline needs from a translation engine."""

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


def signature_string(data: dict[str, Any]) -> str:
    """Canonical JSON: the same settings always give the same string."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


#: Engine name → "module:class", imported on first use.
_ENGINES = {
    "argos": "pipeline.engines.argos:ArgosEngine",
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
