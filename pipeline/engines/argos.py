"""The Argos Translate engine: an installed Argos package run directly through
CTranslate2 and SentencePiece.

``argostranslate.translate()`` is not used: it splits every paragraph with a
sentence-boundary model that it downloads on first use, and it translates one
paragraph per CTranslate2 call. Here the pipeline has already cut sentences, so a
whole document goes to the model in a few large, length-sorted batches. The
``argostranslate`` module is not imported either: importing it creates folders
from the environment.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pipeline.engines import DecodeOptions, EngineError, BrokenPackageError, signature_string

__all__ = ["ArgosEngine"]

_REINSTALL = "reinstall the Argos package (argospm install translate-zh_en)"


def _read_metadata(package_path: Path) -> dict[str, Any]:
    """The package's metadata.json, after checking the files the engine needs."""
    if not package_path.is_dir():
        raise BrokenPackageError(
            package_path,
            "no Argos package folder here",
            "give the folder of an installed package, e.g. "
            "~/.local/share/argos-translate/packages/translate-zh_en-1_9",
        )
    metadata_path = package_path / "metadata.json"
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BrokenPackageError(
            package_path, "metadata.json is missing; this is not an Argos package", _REINSTALL
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BrokenPackageError(metadata_path, f"cannot be read: {exc}", _REINSTALL) from exc
    if not isinstance(metadata, dict):
        raise BrokenPackageError(metadata_path, "does not hold a JSON object", _REINSTALL)
    for needed in ("model/model.bin", "sentencepiece.model"):
        if not (package_path / needed).is_file():
            raise BrokenPackageError(package_path, f"{needed} is missing", _REINSTALL)
    return metadata


class ArgosEngine:
    """Translate with the installed Argos package in ``package_path``.

    The CTranslate2 translator and the SentencePiece processor are loaded on the
    first :meth:`translate` call, once. Instances are safe to share between threads.
    """

    name = "argos"
    #: Its batches queue on a pool of translators: give it the next chunk early
    #: (pipeline.translate.LocalBackend).
    pipelined = True

    def __init__(self, package_path: Path | str, options: DecodeOptions | None = None):
        self.package_path = Path(package_path)
        self.options = options if options is not None else DecodeOptions()
        self.metadata = _read_metadata(self.package_path)
        self.target_prefix: str = self.metadata.get("target_prefix") or ""
        self._translator: Any = None
        self._processor: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ArgosEngine({str(self.package_path)!r}, {self.options!r})"

    def signature(self) -> str:
        return signature_string(
            {
                "engine": self.name,
                "package": self.package_path.name,
                "from_code": self.metadata.get("from_code"),
                "to_code": self.metadata.get("to_code"),
                "package_version": self.metadata.get("package_version"),
                "target_prefix": self.target_prefix,
                "options": self.options.output_options(),
            }
        )

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._translator is None:
                import ctranslate2
                import sentencepiece

                sp_path = self.package_path / "sentencepiece.model"
                try:
                    processor = sentencepiece.SentencePieceProcessor(model_file=str(sp_path))
                except (OSError, RuntimeError) as exc:
                    raise BrokenPackageError(sp_path, f"cannot be loaded: {exc}", _REINSTALL) from exc
                model_path = self.package_path / "model"
                try:
                    translator = ctranslate2.Translator(
                        str(model_path),
                        device="cpu",
                        compute_type=self.options.compute_type,
                        inter_threads=self.options.inter_threads,
                        intra_threads=self.options.intra_threads,
                    )
                except (OSError, RuntimeError, ValueError) as exc:
                    raise BrokenPackageError(
                        model_path, f"the CTranslate2 model cannot be loaded: {exc}", _REINSTALL
                    ) from exc
                self._processor = processor
                self._translator = translator
        return self._translator, self._processor

    def tokenize(self, sentences: Sequence[str]) -> list[list[str]]:
        """SentencePiece pieces of each sentence, as the model sees them."""
        _, processor = self._load()
        return processor.encode(list(sentences), out_type=str)

    def translate(
        self, sentences: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> list[str]:
        pieces = self.translate_pieces(sentences, progress)
        if not any(pieces):
            return [""] * len(sentences)
        _, processor = self._load()
        return [processor.decode(p) if p else "" for p in pieces]

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
        translator, processor = self._load()
        tokens = dict(zip(todo, processor.encode([sentences[i] for i in todo], out_type=str)))
        prefix = [self.target_prefix] if self.target_prefix else []
        decoded = decode_batched(translator, tokens, prefix, self.options, progress, str(self.package_path))
        for index, hypothesis in decoded.items():
            results[index] = hypothesis[len(prefix) :] if hypothesis[: len(prefix)] == prefix else hypothesis
        return results


def length_sorted_batches(tokens: dict[int, list[str]], options: DecodeOptions) -> list[list[int]]:
    """The sentences in ``tokens`` by increasing length, cut into batches of at most
    ``options.max_batch_size`` examples (or padded tokens)."""
    batches: list[list[int]] = []
    batch: list[int] = []
    for index in sorted(tokens, key=lambda i: (len(tokens[i]), i)):
        length = len(tokens[index])
        if options.batch_type == "examples":
            full = len(batch) >= options.max_batch_size
        else:  # padded size: the sorted order puts the longest last
            full = (len(batch) + 1) * length > options.max_batch_size
        if batch and full:
            batches.append(batch)
            batch = []
        batch.append(index)
    if batch:
        batches.append(batch)
    return batches


def _split_by_limit(batch: list[int], caps: dict[int, int]) -> list[list[int]]:
    """``batch`` cut into runs of one length limit each (it is sorted by length)."""
    runs: list[list[int]] = []
    for index in batch:
        if runs and caps[runs[-1][-1]] == caps[index]:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def decode_batched(
    translator: Any,
    tokens: dict[int, list[str]],
    target_prefix: list[str],
    options: DecodeOptions,
    progress: Callable[[int], None] | None,
    what: str,
) -> dict[int, list[str]]:
    """Decode every source in ``tokens`` exactly as if it were decoded with its own
    length limit, in batches of similar lengths that share one limit.

    Each sentence's limit is ``options.max_decoding_length`` of its length (plus the
    target prefix, which CTranslate2 counts). A batch is decoded with the largest
    limit of its members. A member with a smaller limit gets the same translation
    as with its own limit if its search ended before that limit's last step: up to
    then both searches take the same steps (the limit only decides which step is the
    last, where every live hypothesis is registered). CTranslate2's beam search ends
    a sentence at the step its ``beam_size``-th hypothesis is registered, and with
    ``num_hypotheses=beam_size`` one of the hypotheses returned was registered at
    that step, so the longest returned hypothesis gives the step: a hypothesis ended
    by the end token at step s has s tokens. Members whose search reached their own
    last step are decoded again with their own limit. Results are collected in
    submission order, so the text never depends on timing.

    With ``length_penalty`` 0 and a beam, CTranslate2 may stop a sentence as soon as
    its best hypothesis ends, which the hypotheses returned do not show: then every
    batch holds one limit only.
    """
    caps = {i: options.max_decoding_length(len(t)) + len(target_prefix) for i, t in tokens.items()}
    observable = options.beam_size == 1 or options.length_penalty != 0
    hypotheses = options.beam_size if observable else 1

    def submit(batch: list[int]) -> tuple[list[int], int, Any]:
        limit = max(caps[i] for i in batch)
        try:
            handles = translator.translate_batch(
                [tokens[i] for i in batch],
                target_prefix=[target_prefix] * len(batch) if target_prefix else None,
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
        return batch, limit, handles

    # Every batch is queued at once so that inter_threads > 1 runs them in parallel.
    pending = deque(
        submit(run)
        for batch in length_sorted_batches(tokens, options)
        for run in ([batch] if observable else _split_by_limit(batch, caps))
    )
    decoded: dict[int, list[str]] = {}
    while pending:
        batch, limit, handles = pending.popleft()
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
        pending.extend(submit(run) for run in _split_by_limit(again, caps))
        if progress is not None and len(batch) > len(again):
            progress(len(batch) - len(again))
    return decoded
