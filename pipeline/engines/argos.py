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
from collections.abc import Callable, Iterator, Sequence
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

    def _batches(self, order: list[int], tokens: list[list[str]]) -> Iterator[list[int]]:
        """Cut the length-sorted ``order`` into batches of one length limit each, so
        that a sentence's limit, hence its translation, never depends on its
        neighbours."""
        options = self.options
        batch: list[int] = []
        limit = None
        for index in order:
            length = len(tokens[index])
            this_limit = options.max_decoding_length(length)
            if options.batch_type == "examples":
                full = len(batch) >= options.max_batch_size
            else:  # padded size: the sorted order puts the longest last
                full = (len(batch) + 1) * length > options.max_batch_size
            if batch and (full or this_limit != limit):
                yield batch
                batch = []
            batch.append(index)
            limit = this_limit
        if batch:
            yield batch

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
        options = self.options
        tokens = dict(zip(todo, processor.encode([sentences[i] for i in todo], out_type=str)))
        order = sorted(todo, key=lambda i: len(tokens[i]))
        prefix = [self.target_prefix] if self.target_prefix else []

        # Every batch is queued at once so that inter_threads > 1 can run them in
        # parallel; results are collected in submission order.
        pending = []
        for batch in self._batches(order, tokens):
            source = [tokens[i] for i in batch]
            try:
                handles = translator.translate_batch(
                    source,
                    target_prefix=[prefix] * len(batch) if prefix else None,
                    asynchronous=True,
                    beam_size=options.beam_size,
                    length_penalty=options.length_penalty,
                    repetition_penalty=options.repetition_penalty,
                    no_repeat_ngram_size=options.no_repeat_ngram_size,
                    # CTranslate2 counts the prefix in the limit.
                    max_decoding_length=options.max_decoding_length(len(source[-1]))
                    + len(prefix),
                    replace_unknowns=options.replace_unknowns,
                )
            except (RuntimeError, ValueError) as exc:
                raise EngineError(f"{self.package_path}: translation failed: {exc}") from exc
            pending.append((batch, handles))

        for batch, handles in pending:
            for index, handle in zip(batch, handles):
                try:
                    hypothesis = handle.result().hypotheses[0]
                except (RuntimeError, ValueError) as exc:
                    raise EngineError(f"{self.package_path}: translation failed: {exc}") from exc
                if prefix and hypothesis[: len(prefix)] == prefix:
                    hypothesis = hypothesis[len(prefix) :]
                results[index] = hypothesis
            if progress is not None:
                progress(len(batch))
        return results
