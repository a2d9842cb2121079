"""Read a source document: bytes → text in a known encoding, NFC, ``\\n`` line ends.

Encoding detection is a strict cascade, because the usual suspects for Chinese
text overlap badly (almost any Big5 byte string is also valid GB18030):

1. a byte-order mark (UTF-8, UTF-16, UTF-32) decides;
2. otherwise strict UTF-8;
3. otherwise every legacy Chinese encoding that decodes the bytes strictly is a
   candidate, and charset-normalizer, restricted to those candidates, picks one.

The script (Simplified or Traditional) is detected too, and :func:`to_simplified`
gives the Simplified form used for glossary matching and machine translation
(the Argos ``zh`` model is trained on Simplified Chinese).
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.core.errors import SourceError

#: Legacy encodings tried after UTF-8, all strict. cp950 is Big5 with the
#: Microsoft extensions most Big5 files written on Windows actually use.
LEGACY_ENCODINGS = ("gb18030", "big5", "cp950")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
_SAVE_AS_UTF8 = "save it as UTF-8, GB18030 or Big5 text"


@dataclass(frozen=True)
class SourceText:
    """A decoded source document."""

    path: Path
    text: str  # NFC, "\n" line ends, no BOM
    encoding: str  # codec that decoded it, e.g. "utf-8", "gb18030"
    script: str  # "simplified" | "traditional"
    format: str  # "text" | "markdown"


def read_source(path: str | Path) -> SourceText:
    """Read and decode ``path``; raise :class:`SourceError` naming the file and
    what is wrong when it is missing, a directory, empty, binary or undecodable."""
    path = Path(path)
    if not path.exists():
        raise SourceError(path, "no such file", "check the path")
    if path.is_dir():
        raise SourceError(path, "is a directory, not a text file", "give the path of one document")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot be read: {exc.strerror}") from exc
    text, encoding = decode_bytes(data, path)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.strip():
        raise SourceError(path, "contains only whitespace", "nothing to translate")
    fmt = "markdown" if path.suffix.lower() in MARKDOWN_SUFFIXES else "text"
    return SourceText(path, text, encoding, detect_script(text), fmt)


def decode_bytes(data: bytes, path: str | Path = "<bytes>") -> tuple[str, str]:
    """Decode ``data`` with the cascade described in the module docstring."""
    if not data:
        raise SourceError(path, "is empty", "nothing to translate")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff"), encoding
            except UnicodeDecodeError as exc:
                raise SourceError(
                    path, f"starts with a {encoding} byte-order mark but is not valid {encoding} "
                    f"(byte {exc.start})", _SAVE_AS_UTF8) from exc
    if b"\x00" in data:
        raise SourceError(path, "looks like a binary file (it contains NUL bytes)", _SAVE_AS_UTF8)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    candidates = {}
    for encoding in LEGACY_ENCODINGS:
        try:
            candidates[encoding] = data.decode(encoding)
        except UnicodeDecodeError:
            continue
    if not candidates:
        line = data.count(b"\n", 0, utf8_error.start) + 1
        raise SourceError(
            path, f"cannot be decoded as UTF-8, GB18030 or Big5 (first bad byte on line {line})",
            _SAVE_AS_UTF8)
    if len(candidates) == 1:
        (encoding, text), = candidates.items()
        return text, encoding
    encoding = _rank_candidates(data, list(candidates))
    return candidates[encoding], encoding


def _rank_candidates(data: bytes, encodings: list[str]) -> str:
    import charset_normalizer

    # cp950 is a superset of big5; let the detector choose between families only.
    families = [e for e in encodings if e != "cp950"] or encodings
    best = charset_normalizer.from_bytes(data, cp_isolation=families).best()
    if best is None:
        return families[0]
    chosen = codecs.lookup(best.encoding).name
    for encoding in encodings:
        if codecs.lookup(encoding).name == chosen:
            return encoding
    return families[0]


def detect_script(text: str) -> str:
    """``"traditional"`` when converting to Simplified changes more Han characters
    than converting to Traditional does, else ``"simplified"``."""
    sample = text[:20000]
    to_s = _converter("t2s").convert(sample)
    changed_by_t2s = sum(a != b for a, b in zip(sample, to_s))
    if not changed_by_t2s:
        # Nothing Traditional-only: Simplified, whatever s2t would change. This
        # spares building the s2t converter (~45 ms, 20x t2s) for most sources.
        return "simplified"
    to_t = _converter("s2t").convert(sample)
    changed_by_s2t = sum(a != b for a, b in zip(sample, to_t))
    return "traditional" if changed_by_t2s > changed_by_s2t else "simplified"


def to_simplified(text: str, script: str) -> str:
    """The Simplified form of ``text`` (unchanged when it already is Simplified)."""
    if script != "traditional" or not text:
        return text
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text)


@lru_cache(maxsize=None)
def _converter(config: str):
    import opencc  # heavy: loaded on first use, never by `duizhao --help`

    return opencc.OpenCC(config)
