"""The Argos Translate engine: an installed Argos package run directly through
CTranslate2 and SentencePiece.

``argostranslate.translate()`` is not used: it splits every paragraph with a
sentence-boundary model that it downloads on first use, and it translates one
paragraph per CTranslate2 call. Here the pipeline has already cut sentences, so a
whole document goes to the model in a few large, length-sorted batches
(:mod:`pipeline.translate.engines.seq2seq`, shared with the ctranslate2 engine). The
``argostranslate`` module is not imported either: importing it creates folders
from the environment.

The English of each sentence is the one argostranslate gives for it: the same
decoding options by default (:class:`~pipeline.core.decoding.DecodeOptions`) and
the same decoding of the pieces (:meth:`ArgosEngine.detokenize`);
tests/test_engine.py compares the two on the seed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.core.decoding import DecodeOptions
from pipeline.translate.engines.base import BrokenPackageError, signature_string
from pipeline.translate.engines.seq2seq import Framing, Seq2SeqEngine

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


class ArgosEngine(Seq2SeqEngine):
    """Translate with the installed Argos package in ``package_path``: its
    ``model/`` and ``sentencepiece.model`` (both sides), with the target prefix its
    metadata names, through the shared core (:class:`~pipeline.translate.engines.seq2seq.Seq2SeqEngine`)."""

    name = "argos"
    #: Its batches queue on a pool of translators: give it the next chunk early
    #: (pipeline.translate.texts.LocalBackend).
    pipelined = True

    def __init__(self, package_path: Path | str, options: DecodeOptions | None = None):
        self.package_path = Path(package_path)
        self.metadata = _read_metadata(self.package_path)
        self.target_prefix: str = self.metadata.get("target_prefix") or ""
        sentencepiece_model = self.package_path / "sentencepiece.model"
        super().__init__(
            self.package_path / "model", sentencepiece_model, sentencepiece_model,
            Framing(target=(self.target_prefix,) if self.target_prefix else ()), options, _REINSTALL,
        )

    def __repr__(self) -> str:
        return f"ArgosEngine({str(self.package_path)!r}, {self.options!r})"

    def detokenize(self, pieces: Sequence[str]) -> str:
        """Target pieces as text, exactly as argostranslate's SentencePiece
        tokenizer decodes them: a piece the model copied from the source keeps its
        ``▁``, which becomes a space, and so does ``_``; then the one space the
        tokenizer puts at the start is removed (any other, and a space at the end,
        stay, as argostranslate leaves them)."""
        _, target = self._tokenizers()
        text = target.decode(list(pieces)).replace("\u2581", " ").replace("_", " ")
        return text[1:] if text.startswith(" ") else text

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
