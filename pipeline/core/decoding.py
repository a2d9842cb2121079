"""How an NMT engine decodes: :class:`DecodeOptions`, shared by the project
file's settings (their defaults) and the engines (what they decode with)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from pipeline.core.errors import EngineError

_SPEED_ONLY = {"speed_only": True}


@dataclass(frozen=True)
class DecodeOptions:
    """How an engine decodes.

    Fields that change the text (beam size, penalties, the length limit, compute
    type) enter the engine signature; fields marked speed-only (batching and
    threads) do not, because the engine gives the same text whatever their values
    (tests/translate/test_engine.py checks this).

    The defaults that change the text are argostranslate's own (beam 4, length
    penalty 0.2, CTranslate2's limit of 256 tokens whatever the input), so the
    ``argos`` engine's English is the English an Argos Translate or
    LibreTranslate user gets from the same package (tests/test_engine.py checks
    it sentence by sentence). ``beam_size = 2`` in duizhao.toml is faster
    (README); the speed-only fields are the fastest measured on the 2-core
    reference machine (bench/README.md).
    """

    #: argostranslate's ``ARGOS_BEAM_SIZE`` default.
    beam_size: int = 4
    #: Argos Translate's own value: its models were tuned with it.
    length_penalty: float = 0.2
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    #: Length limit for an input of n tokens:
    #: ``max_decoding_base + ceil(max_decoding_ratio * n)`` tokens, at most
    #: :attr:`MAX_DECODING_TOKENS`. By default the cap alone, as argostranslate
    #: decodes; ``max_decoding_base = 10, max_decoding_ratio = 2.0`` stops a model
    #: that loops ("the the the ...") from decoding 256 tokens for a short
    #: sentence, at the price of text that differs from argostranslate's then.
    max_decoding_base: int = 256
    max_decoding_ratio: float = 0.0
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
    #: (pipeline.read.sentences.MAX_SENTENCE_CHARS: ~100 English words, ~150 pieces),
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
