"""What the engine tests compare with: each sentence decoded alone by CTranslate2
itself, with its own length limit and the engine's framing."""

from __future__ import annotations

from pathlib import Path

import ctranslate2

SEED = Path(__file__).resolve().parent.parent / "sources" / "taizhou.txt"


def seed_sentences() -> list[str]:
    """The 148 sentences of the seed article, line by line."""
    from pipeline.read.sentences import split_sentences

    text = SEED.read_text(encoding="utf-8")
    return [s for line in text.splitlines() if line.strip() for s in split_sentences(line.strip())]


def own_limit_pieces(engine, sentences: list[str]) -> list[list[str]]:
    """Each sentence alone, framed as ``engine`` frames it, with its own length
    limit and the engine's decoding options: the text batching must give."""
    options, framing = engine.options, engine.framing
    # One thread: OpenMP's spinning threads make one-sentence calls crawl on a busy machine.
    translator = ctranslate2.Translator(str(engine.model_dir), intra_threads=1, compute_type=options.compute_type)
    target = list(framing.target)
    out = []
    for pieces in engine.tokenize(sentences):
        (result,) = translator.translate_batch(
            [[*framing.prefix, *pieces, *framing.suffix]], target_prefix=[target] if target else None,
            beam_size=options.beam_size, length_penalty=options.length_penalty,
            repetition_penalty=options.repetition_penalty, no_repeat_ngram_size=options.no_repeat_ngram_size,
            replace_unknowns=options.replace_unknowns,
            max_decoding_length=options.max_decoding_length(len(pieces)) + len(target),
        )
        hypothesis = result.hypotheses[0]
        out.append(hypothesis[len(target):] if hypothesis[:len(target)] == target else hypothesis)
    return out


class Recording:
    """A CTranslate2 translator that records what each call is given: the sources,
    and each call's batch size, length limit and target prefixes."""

    def __init__(self, translator):
        self.translator = translator
        self.calls: list[tuple[int, int]] = []
        self.batches: list[list[list[str]]] = []
        self.prefixes: list = []

    @property
    def sources(self) -> list[list[str]]:
        """Every source given, in call order."""
        return [source for batch in self.batches for source in batch]

    def translate_batch(self, source, **kwargs):
        self.calls.append((len(source), kwargs["max_decoding_length"]))
        self.batches.append(list(source))
        self.prefixes.append(kwargs.get("target_prefix"))
        return self.translator.translate_batch(source, **kwargs)


def recording(engine) -> Recording:
    """Load ``engine`` and put a :class:`Recording` in front of its translator."""
    engine._load()
    engine._translator = Recording(engine._translator)
    return engine._translator
