"""The ctranslate2 engine: any CTranslate2 model folder written by
``ct2-transformers-converter`` (or ``ct2-opus-mt-converter``), with the original
model's SentencePiece file(s) copied beside ``model.bin``.

Three families, told apart by the files and the vocabulary, or named with
``family``:

- ``marian`` (OPUS-MT, e.g. Helsinki-NLP/opus-mt-zh-en): ``source.spm`` and
  ``target.spm``; the source is its pieces and ``</s>`` (unless ``config.json``
  has CTranslate2 add it, as ``ct2-opus-mt-converter`` writes);
- ``nllb`` (NLLB-200, e.g. facebook/nllb-200-distilled-600M): one
  ``sentencepiece.bpe.model``; the source is ``zho_Hans``, its pieces and ``</s>``;
  the translation is forced to start with ``eng_Latn``, which is removed;
- ``m2m100`` (facebook/m2m100_418M, 1.2B): the same with ``__zh__`` and ``__en__``.

The pipeline gives every engine the Simplified form of each sentence (glossary
terms are matched and masked on it, and the cache is keyed by it), so NLLB is told
``zho_Hans``: the language token names the script of the text it is given, and
``source_script="Hant"`` (``zho_Hant``) is only right for text kept in Traditional.

Tokenising, batching, length limits, threads and decoding are the argos engine's
(:mod:`pipeline.translate.engines.seq2seq`). The signature names the model folder, a hash of
its small files (config, vocabulary, SentencePiece models) with the size and
modification time of ``model.bin`` (hashing gigabytes on every run would cost
seconds; a re-converted model has a new time), the family, the language tokens
and the decoding options.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pipeline.core.decoding import DecodeOptions
from pipeline.translate.engines.base import BrokenPackageError, EngineError, signature_string
from pipeline.translate.engines.seq2seq import Framing, Seq2SeqEngine, read_vocabulary

__all__ = ["CTranslate2Engine", "FAMILIES", "detect_family"]

#: Family → (SentencePiece files, source language token, target language token).
FAMILIES: dict[str, tuple[tuple[str, ...], str | None, str | None]] = {
    "marian": (("source.spm", "target.spm"), None, None),
    "nllb": (("sentencepiece.bpe.model",), "zho_Hans", "eng_Latn"),
    "m2m100": (("sentencepiece.bpe.model",), "__zh__", "__en__"),
}
_SCRIPTS = ("Hans", "Hant")
_CONVERT = (
    "convert the model with ct2-transformers-converter --model NAME --output_dir DIR --copy_files FILES, "
    "where FILES are source.spm target.spm (OPUS-MT) or sentencepiece.bpe.model (NLLB-200, M2M-100)"
)
#: Language tokens of the families that have them: a vocabulary with none of them
#: lost them in the conversion.
_LANGUAGE_TOKENS = ("eng_Latn", "zho_Hans", "__en__", "__zh__")
_RECONVERT_LANGUAGES = (
    "convert the model again with transformers 4 beside the converter (pip install 'transformers<5', then "
    "ct2-transformers-converter --model NAME --output_dir DIR --copy_files sentencepiece.bpe.model): under "
    "transformers 5 the converter fails on M2M-100 or writes its vocabulary without the language tokens"
)
_COPY_OPUS_SPM = (
    "copy source.spm and target.spm into it from the OPUS-MT model folder it was converted from (the "
    "--model_dir given to ct2-opus-mt-converter, which has no --copy_files and does not copy them)"
)
_SEPARATE_VOCABULARIES = (
    "convert the original Marian release instead, whose two vocabularies the converters keep apart: "
    "ct2-opus-mt-converter --model_dir DIR --output_dir OUT (then copy source.spm and target.spm), or "
    "ct2-marian-converter --model_path MODEL.npz --vocab_paths SOURCE.yml TARGET.yml"
)
#: More than this share of a SentencePiece model's pieces missing from the model's
#: vocabulary: the two do not belong together (the model would write unknowns).
_MISSING_SHARE = 0.1


def _read_config(model_dir: Path) -> dict[str, Any]:
    path = model_dir / "config.json"
    if not path.is_file():
        return {}  # written by the converters since CTranslate2 2.x; older folders have none
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BrokenPackageError(path, f"cannot be read: {exc}", _CONVERT) from exc
    if not isinstance(config, dict):
        raise BrokenPackageError(path, "does not hold a JSON object", _CONVERT)
    return config


def _vocabulary(model_dir: Path, side: str) -> list[str]:
    try:
        tokens = read_vocabulary(model_dir, side)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BrokenPackageError(model_dir, f"its {side} vocabulary cannot be read: {exc}", _CONVERT) from exc
    if tokens is None:
        raise BrokenPackageError(
            model_dir, f"no {side} vocabulary (shared_vocabulary.json or {side}_vocabulary.json)", _CONVERT)
    return tokens


def _opus_mt_converted(config: dict[str, Any]) -> bool:
    """Whether the folder is what ``ct2-opus-mt-converter`` writes: a config that
    has CTranslate2 append the end token itself."""
    return bool(config.get("add_source_eos"))


def detect_family(model_dir: Path, vocabulary: set[str], config: dict[str, Any] | None = None) -> str:
    """The family of the model in ``model_dir`` from its language tokens and its
    SentencePiece files (:data:`FAMILIES`); a folder that cannot work is refused
    with the reason: one whose conversion lost the language tokens, one from
    ``ct2-opus-mt-converter`` without its SentencePiece files."""
    if "eng_Latn" in vocabulary:
        return "nllb"
    if "__en__" in vocabulary:
        return "m2m100"
    if all((model_dir / name).is_file() for name in FAMILIES["marian"][0]):
        return "marian"
    if (model_dir / "sentencepiece.bpe.model").is_file():
        raise BrokenPackageError(
            model_dir, "its vocabulary has no language tokens (no eng_Latn of NLLB-200, no __en__ of M2M-100), "
            "so the model cannot be told to write English", _RECONVERT_LANGUAGES)
    if _opus_mt_converted(config or {}):
        raise BrokenPackageError(model_dir, "source.spm and target.spm are missing (an OPUS-MT model written by "
                                            "ct2-opus-mt-converter)", _COPY_OPUS_SPM)
    raise BrokenPackageError(
        model_dir,
        "cannot tell the model family: its vocabulary has no eng_Latn (NLLB-200) or __en__ (M2M-100) "
        "and there is no source.spm + target.spm (OPUS-MT)",
        "copy the original model's SentencePiece file(s) into the folder, or name the family "
        "(family = \"marian\", \"nllb\" or \"m2m100\" in [engine] of duizhao.toml)",
    )


def _missing_pieces(spm_path: Path, vocabulary: set[str]) -> tuple[int, int]:
    """How many of the SentencePiece model's ordinary pieces the vocabulary lacks,
    and how many it has in all."""
    import sentencepiece

    try:
        processor = sentencepiece.SentencePieceProcessor(model_file=str(spm_path))
    except (OSError, RuntimeError) as exc:
        raise BrokenPackageError(spm_path, f"cannot be loaded: {exc}", _CONVERT) from exc
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())
              if not (processor.is_control(i) or processor.is_unknown(i) or processor.is_byte(i))]
    return sum(piece not in vocabulary for piece in pieces), len(pieces)


class CTranslate2Engine(Seq2SeqEngine):
    """Translate with the CTranslate2 model folder ``model_path`` (module docstring).

    The folder's files are checked when the engine is made; the model is loaded on
    the first :meth:`translate` call.
    """

    name = "ctranslate2"

    def __init__(
        self,
        model_path: Path | str,
        options: DecodeOptions | None = None,
        family: str | None = None,
        source_script: str = "Hans",
    ):
        model_dir = Path(model_path)
        if not (model_dir / "model.bin").is_file():
            problem = "no model.bin here" if model_dir.is_dir() else "no such folder"
            raise BrokenPackageError(model_dir, f"not a CTranslate2 model folder ({problem})", _CONVERT)
        if family is not None and family not in FAMILIES:
            raise EngineError(f"unknown model family {family!r} (known: {', '.join(FAMILIES)})")
        if source_script not in _SCRIPTS:
            raise EngineError(f"source_script must be 'Hans' or 'Hant', not {source_script!r}")
        self.config = _read_config(model_dir)
        self.source_vocabulary = _vocabulary(model_dir, "source")
        self.target_vocabulary = _vocabulary(model_dir, "target")
        self.family = family or detect_family(model_dir, set(self.target_vocabulary), self.config)
        files, source_token, target_token = FAMILIES[self.family]
        for name in files:
            if not (model_dir / name).is_file():
                opus = self.family == "marian" and _opus_mt_converted(self.config)
                raise BrokenPackageError(model_dir, f"{name} is missing ({self.family} model)",
                                         _COPY_OPUS_SPM if opus else _CONVERT)
        if source_token == "zho_Hans":
            source_token = f"zho_{source_script}"
        for token, vocabulary in ((source_token, self.source_vocabulary), (target_token, self.target_vocabulary)):
            if token is not None and token not in vocabulary:
                lost = not any(t in vocabulary for t in _LANGUAGE_TOKENS)
                raise BrokenPackageError(
                    model_dir, f"its vocabulary has no {token}, which a {self.family} model needs"
                    + (" (it has no language token at all)" if lost else ""),
                    _RECONVERT_LANGUAGES if lost else "check the family, or convert the model again")
        self._check_vocabularies(model_dir, files)
        self.source_token, self.target_token = source_token, target_token
        suffix = () if self.config.get("add_source_eos") else ("</s>",)
        framing = Framing(
            prefix=(source_token,) if source_token else (),
            suffix=suffix,
            target=(target_token,) if target_token else (),
        )
        super().__init__(model_dir, model_dir / files[0], model_dir / files[-1], framing, options, _CONVERT)
        self._content: str | None = None

    def __repr__(self) -> str:
        return f"CTranslate2Engine({str(self.model_dir)!r}, {self.options!r}, family={self.family!r})"

    def _check_vocabularies(self, model_dir: Path, files: tuple[str, ...]) -> None:
        """Each SentencePiece model's pieces are in the vocabulary of its side, else
        the folder is refused: the model would read or write unknown tokens. A
        Marian model with separate vocabularies that ``ct2-transformers-converter``
        wrote as one (the source's) is told apart, with the way to convert it."""
        source, target = set(self.source_vocabulary), set(self.target_vocabulary)
        for side, name, vocabulary in (("source", files[0], source), ("target", files[-1], target)):
            missing, total = _missing_pieces(model_dir / name, vocabulary)
            if missing <= _MISSING_SHARE * total:
                continue
            one_file = not any((model_dir / f"{kind}_vocabulary.{ext}").is_file()
                               for kind in ("source", "target") for ext in ("json", "txt"))
            if side == "target" and self.family == "marian" and one_file:
                lacking, pieces = _missing_pieces(model_dir / files[0], vocabulary)
                if lacking <= _MISSING_SHARE * pieces:
                    raise BrokenPackageError(
                        model_dir, f"its shared_vocabulary holds source.spm's pieces but {missing} of target.spm's "
                        f"{total} are not in it: the model has separate source and target vocabularies, which "
                        "ct2-transformers-converter wrote as one (the source's), so it cannot write English",
                        _SEPARATE_VOCABULARIES)
            raise BrokenPackageError(
                model_dir, f"{missing} of the {total} pieces of {name} are not in its {side} vocabulary: the "
                "SentencePiece file does not belong to this model", "copy in the one of the model it was "
                "converted from, or " + _CONVERT)

    def content_hash(self) -> str:
        """sha256 of the folder's small files and of model.bin's size and time."""
        if self._content is None:
            digest = hashlib.sha256()
            for path in sorted(self.model_dir.iterdir()):
                if not path.is_file():
                    continue
                digest.update(path.name.encode("utf-8") + b"\0")
                if path.name == "model.bin":
                    stat = path.stat()
                    digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
                elif path.suffix in (".json", ".txt", ".spm", ".model"):
                    digest.update(path.read_bytes())
            self._content = digest.hexdigest()[:16]
        return self._content

    def signature(self) -> str:
        return signature_string(
            {
                "engine": self.name,
                "model": self.model_dir.name,
                "content": self.content_hash(),
                "family": self.family,
                "source": self.source_token or "zh",
                "target": self.target_token or "en",
                "options": self.options.output_options(),
            }
        )
