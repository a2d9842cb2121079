"""The core the argos and ctranslate2 engines share: a CTranslate2 sequence-to-
sequence model with its SentencePiece model(s), and one way of tokenising,
framing, batching, limiting and decoding.

An engine built on :class:`Seq2SeqEngine` names its files (model folder, source
and target SentencePiece models) and its :class:`Framing` (the tokens around each
sentence: NLLB-200 wants ``zho_Hans`` before the source and ``</s>`` after it, and
``eng_Latn`` forced at the start of the translation); everything else is here:

- sentences are cut into SentencePiece pieces and framed;
- they are sorted by length and cut into batches of at most
  ``DecodeOptions.max_batch_size`` (the longest batch first), decoded with the
  batch's largest length limit, and what reached a smaller limit of its own is
  decoded again with it (:func:`decode_batched`), so every sentence gets the text of its own limit;
- batches are queued a few at a time on CTranslate2's pool of ``inter_threads``
  translators of ``intra_threads`` threads each (a model that keeps running to
  its limit gets batches of one limit each: :class:`LimitLog`);
- the forced target prefix is removed and the pieces are joined by the target
  SentencePiece model.

ctranslate2 and sentencepiece are imported when the model is first used.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.decoding import DecodeOptions
from pipeline.translate.engines.base import BrokenPackageError, EngineError

__all__ = ["Framing", "LimitLog", "Seq2SeqEngine", "decode_batched", "length_sorted_batches", "read_vocabulary"]


@dataclass(frozen=True)
class Framing:
    """Tokens around every sentence: ``prefix`` and ``suffix`` of the source, and
    ``target``, the prefix the translation is forced to start with (removed from
    the output)."""

    prefix: tuple[str, ...] = ()
    suffix: tuple[str, ...] = ()
    target: tuple[str, ...] = ()


def read_vocabulary(model_dir: Path, side: str) -> list[str] | None:
    """The ``"source"`` or ``"target"`` vocabulary of the CTranslate2 model in
    ``model_dir`` (``shared_vocabulary`` when both are one), as written by the
    converters (``.json``, or ``.txt`` one token a line); None when there is none."""
    for stem in (f"{side}_vocabulary", "shared_vocabulary"):
        json_path, text_path = model_dir / f"{stem}.json", model_dir / f"{stem}.txt"
        if json_path.is_file():
            tokens = json.loads(json_path.read_text(encoding="utf-8"))
            if not isinstance(tokens, list):
                raise ValueError(f"{json_path} does not hold a list of tokens")
            return [str(t) for t in tokens]
        if text_path.is_file():
            return text_path.read_text(encoding="utf-8").split("\n")[:-1] or None
    return None


class Seq2SeqEngine:
    """A CTranslate2 model and its SentencePiece model(s), loaded on the first
    :meth:`translate` call, once. Instances are safe to share between threads.

    ``fix`` is what an error about a broken file tells the user to do.
    """

    name = "seq2seq"
    #: Its batches queue on a pool of translators: give it the next chunk early
    #: (pipeline.translate.texts.LocalBackend).
    pipelined = True

    def __init__(
        self,
        model_dir: Path,
        source_model: Path,
        target_model: Path,
        framing: Framing,
        options: DecodeOptions | None,
        fix: str,
    ):
        self.model_dir = model_dir
        self.source_model = source_model
        self.target_model = target_model
        self.framing = framing
        self.options = options if options is not None else DecodeOptions()
        self.fix = fix
        self._translator: Any = None
        self._source: Any = None
        self._target: Any = None
        self._placeholders: bool | None = None
        self._limits = LimitLog()
        self._lock = threading.Lock()

    def _load_sentencepiece(self, path: Path) -> Any:
        import sentencepiece

        try:
            return sentencepiece.SentencePieceProcessor(model_file=str(path))
        except (OSError, RuntimeError) as exc:
            raise BrokenPackageError(path, f"cannot be loaded: {exc}", self.fix) from exc

    def _tokenizers(self) -> tuple[Any, Any]:
        """The source and target SentencePiece processors, loaded once."""
        with self._lock:
            if self._source is None:
                source = self._load_sentencepiece(self.source_model)
                same = self.target_model == self.source_model
                self._target = source if same else self._load_sentencepiece(self.target_model)
                self._source = source
        return self._source, self._target

    def _load(self) -> Any:
        """The CTranslate2 translator (and the tokenizers), loaded once."""
        self._tokenizers()
        with self._lock:
            if self._translator is None:
                import ctranslate2

                try:
                    self._translator = ctranslate2.Translator(
                        str(self.model_dir),
                        device="cpu",
                        compute_type=self.options.compute_type,
                        inter_threads=self.options.inter_threads,
                        intra_threads=self.options.intra_threads,
                    )
                except (OSError, RuntimeError, ValueError) as exc:
                    raise BrokenPackageError(
                        self.model_dir, f"the CTranslate2 model cannot be loaded: {exc}", self.fix
                    ) from exc
        return self._translator

    def tokenize(self, sentences: Sequence[str]) -> list[list[str]]:
        """The source SentencePiece pieces of each sentence (without the framing)."""
        source, _ = self._tokenizers()
        return source.encode(list(sentences), out_type=str)

    def placeholder_tokens(self) -> bool:
        """Whether every glossary placeholder (``⟦T0⟧``...) is one piece that the
        model knows on both sides, so that it can pass through a translation. When
        not, a sentence with terms comes back without them and is rebuilt from
        pieces (pipeline.translate.enforce), which the flag then says."""
        from pipeline.terms.glossary import placeholder_symbols

        if self._placeholders is None:
            symbols = placeholder_symbols()
            try:
                known = [set(read_vocabulary(self.model_dir, side) or ()) for side in ("source", "target")]
            except (OSError, UnicodeDecodeError, ValueError):
                known = [set(), set()]
            self._placeholders = all(
                symbol in pieces and all(symbol in side for side in known)
                for symbol, pieces in zip(symbols, self.tokenize(symbols))
            )
        return self._placeholders

    def detokenize(self, pieces: Sequence[str]) -> str:
        """Target pieces as text. A piece the target model does not know (one the
        model copied from the source, with a separate target vocabulary) comes back
        as written, so its word boundary mark is turned into a space here."""
        _, target = self._tokenizers()
        return target.decode(list(pieces)).replace("\u2581", " ").strip()

    def translate(
        self, sentences: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> list[str]:
        return [self.detokenize(p) if p else "" for p in self.translate_pieces(sentences, progress)]

    def translate_pieces(
        self, sentences: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> list[list[str]]:
        """Like :meth:`translate`, but each translation as the model's target pieces
        (target prefix removed), before detokenisation."""
        results: list[list[str]] = [[] for _ in sentences]
        todo = [i for i, sentence in enumerate(sentences) if sentence.strip()]
        if len(todo) < len(sentences) and progress is not None:
            progress(len(sentences) - len(todo))
        if not todo:
            return results
        translator = self._load()
        framing = self.framing
        pieces = dict(zip(todo, self.tokenize([sentences[i] for i in todo])))
        decoded = decode_batched(
            translator, pieces, framing, self.options, progress, str(self.model_dir), self._limits
        )
        target = list(framing.target)
        for index, hypothesis in decoded.items():
            results[index] = hypothesis[len(target):] if hypothesis[: len(target)] == target else hypothesis
        return results


def length_sorted_batches(lengths: dict[int, int], options: DecodeOptions) -> list[list[int]]:
    """The sentences of ``lengths`` (index → tokens) cut by length into batches of
    at most ``options.max_batch_size`` examples (or padded tokens): the longest
    batch first, each batch by increasing length.

    Longest first is the order that ends soonest on a pool of translators: the
    batches that take longest start first, and what is left at the end, when a
    translator may have nothing else to do, is the shortest batch (the remainder
    of the cut). In increasing order the last batch held the longest sentences and
    one translator decoded them while the others waited.
    """
    batches: list[list[int]] = []
    batch: list[int] = []
    for index in sorted(lengths, key=lambda i: (-lengths[i], i)):
        if batch and (len(batch) >= options.max_batch_size if options.batch_type == "examples"
                      # padded size: the first member is the batch's longest
                      else (len(batch) + 1) * lengths[batch[0]] > options.max_batch_size):
            batches.append(batch[::-1])
            batch = []
        batch.append(index)
    if batch:
        batches.append(batch[::-1])
    return batches


def _split_by_limit(batch: list[int], caps: dict[int, int]) -> list[list[int]]:
    """``batch`` (sorted by length) cut into runs of one length limit each."""
    runs: list[list[int]] = []
    for index in batch:
        if runs and caps[runs[-1][-1]] == caps[index]:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def probe_size(batch: list[int], caps: dict[int, int], evidence: int) -> int:
    """How many sentences of ``batch`` (sorted by length) a probe of shared limits
    takes: the fewest of which ``evidence`` have a smaller limit than the largest
    of them, and no more than twice ``evidence``."""
    below = 0  # members with a smaller limit than the current one
    for size, index in enumerate(batch[:2 * evidence], 1):
        if size > 1 and caps[index] > caps[batch[size - 2]]:
            below = size - 1
        if below >= evidence:
            return size
    return min(len(batch), 2 * evidence)


class LimitLog:
    """What sharing a length limit has cost a model so far, kept across calls: of
    the sentences decoded with a larger limit than their own (``shared``), how many
    reached their own last step and were decoded again (``again``).

    A trained model ends nearly every sentence well before its limit, so sharing
    costs nothing; a model that runs to the limit (a looping one, or random
    weights) would decode most sentences twice. Until :attr:`EVIDENCE` sentences
    have shown which it is, one probe at a time shares its limit: a few short
    sentences (:func:`probe_size`; a whole batch at its largest limit would hold the
    run's largest decoding buffers); then batches share limits unless more than a
    third came back.
    Either way every sentence gets the text of its own limit: this only decides
    how much decoding that takes.
    """

    EVIDENCE = 8

    def __init__(self) -> None:
        self.shared = 0
        self.again = 0
        self._probing = 0
        self._lock = threading.Lock()

    def decide(self, observable: bool) -> tuple[bool, bool]:
        """Whether the next batch of several limits shares its largest one, and
        whether it is the probe (while the evidence is out: then :meth:`add` must be
        called with ``probe=True`` when it is done). ``observable``: whether the
        hypotheses show where a search ended (see :func:`decode_batched`)."""
        if not observable:
            return False, False
        with self._lock:
            if self.shared >= self.EVIDENCE:
                return 3 * self.again <= self.shared, False
            if self._probing:
                return False, False
            self._probing += 1
            return True, True

    def add(self, shared: int, again: int, probe: bool) -> None:
        with self._lock:
            self.shared += shared
            self.again += again
            self._probing -= probe

    @property
    def learning(self) -> bool:
        """Whether the evidence is still out (the next batch of several limits
        may be a probe)."""
        return self.shared < self.EVIDENCE


def decode_batched(
    translator: Any,
    pieces: dict[int, list[str]],
    framing: Framing,
    options: DecodeOptions,
    progress: Callable[[int], None] | None,
    what: str,
    log: LimitLog | None = None,
) -> dict[int, list[str]]:
    """Decode every sentence of ``pieces`` (framed by ``framing``) exactly as if it
    were decoded with its own length limit, in batches of similar lengths that
    share one limit. Returns each sentence's best hypothesis, target prefix included.

    Each sentence's limit is ``options.max_decoding_length`` of its pieces (plus
    the target prefix, which CTranslate2 counts). A batch is decoded with the
    largest limit of its members. A member with a smaller limit gets the same
    translation as with its own limit if its search ended before that limit's last
    step: up to then both searches take the same steps (the limit only decides
    which step is the last, where every live hypothesis is registered).
    CTranslate2's beam search ends a sentence at the step its ``beam_size``-th
    hypothesis is registered, and with ``num_hypotheses=beam_size`` one of the
    hypotheses returned was registered at that step, so the longest returned gives
    the step: a hypothesis ended by the end token at step s has s tokens. Members
    whose search reached their own last step are decoded again with their own
    limit. Results are collected in submission order, so the text never depends
    on timing. (tests/translate/test_engine.py checks all of this against decoding each
    sentence alone.)

    ``log`` (the engine's :class:`LimitLog`, kept across calls) decides whether a
    batch shares its largest limit or is cut into runs of one limit: a model that
    keeps running to its limits would decode most sentences twice. Batches are
    queued a few at a time (enough for every translator of the pool), and none
    while this call's probe is out, so the ones not yet queued follow what the log
    has learnt.

    With ``length_penalty`` 0 and a beam, CTranslate2 may stop a sentence as soon
    as its best hypothesis ends, which the hypotheses returned do not show: then
    every batch holds one limit only.
    """
    source = {i: [*framing.prefix, *p, *framing.suffix] for i, p in pieces.items()}
    target = list(framing.target)
    caps = {i: options.max_decoding_length(len(p)) + len(target) for i, p in pieces.items()}
    observable = options.beam_size == 1 or options.length_penalty != 0
    hypotheses = options.beam_size if observable else 1
    log = log if log is not None else LimitLog()

    def submit(batch: list[int], probe: bool = False) -> tuple[list[int], int, bool, Any]:
        limit = max(caps[i] for i in batch)
        try:
            handles = translator.translate_batch(
                [source[i] for i in batch],
                target_prefix=[target] * len(batch) if target else None,
                asynchronous=True,
                beam_size=options.beam_size,
                num_hypotheses=hypotheses,
                length_penalty=options.length_penalty,
                repetition_penalty=options.repetition_penalty,
                no_repeat_ngram_size=options.no_repeat_ngram_size,
                max_decoding_length=limit,
                replace_unknowns=options.replace_unknowns,
            )
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"{what}: translation failed: {exc}") from exc
        return batch, limit, probe, handles

    lengths = {i: len(s) for i, s in source.items()}
    # While the log has no answer, the call's shortest sentences go first, alone,
    # as the probe: it costs least (on a model that runs to its limits it is decoded
    # twice) and comes back soonest, and the batches after it wait for its answer
    # (else they would go out in runs of one limit).
    order = sorted(lengths, key=lambda i: (lengths[i], i))
    first = order[:probe_size(order, caps, log.EVIDENCE)] if observable and log.learning else []
    planned = deque(length_sorted_batches({i: lengths[i] for i in order[len(first):]}, options))
    if first:
        planned.appendleft(first)
    # Enough batches queued to keep every translator of the pool busy, and no more,
    # so the ones not yet queued can still be cut by limit.
    ahead = options.inter_threads + 1
    pending: deque[tuple[list[int], int, bool, Any]] = deque()
    decoded: dict[int, list[str]] = {}
    probes = 0  # probes of this call not yet reported to the log
    try:
        while planned or pending:
            while planned and len(pending) < ahead and not probes:
                batch = planned.popleft()
                share, probe = (True, False) if len({caps[i] for i in batch}) == 1 else log.decide(observable)
                probes += probe
                # What shares the largest limit: the whole batch, or for a probe as
                # few sentences as give the evidence (on a model that runs to its
                # limits, a whole batch at its largest limit held the run's largest
                # decoding buffers); the rest go in runs of one limit.
                head = batch[:probe_size(batch, caps, log.EVIDENCE)] if probe else batch if share else []
                if head:
                    pending.append(submit(head, probe))
                pending.extend(submit(run) for run in _split_by_limit(batch[len(head):], caps))
            batch, limit, probe, handles = pending.popleft()
            again = []
            for index, handle in zip(batch, handles):
                try:
                    found = handle.result().hypotheses
                except (RuntimeError, ValueError) as exc:
                    raise EngineError(f"{what}: translation failed: {exc}") from exc
                if caps[index] == limit or max(map(len, found)) <= caps[index] - 2:
                    decoded[index] = found[0]
                else:
                    again.append(index)
            log.add(sum(caps[i] < limit for i in batch), len(again), probe)
            probes -= probe
            pending.extend(submit(run) for run in _split_by_limit(again, caps))
            if progress is not None and len(batch) > len(again):
                progress(len(batch) - len(again))
    finally:
        for _ in range(probes):  # a probe that failed gives its turn back
            log.add(0, 0, True)
    return decoded
