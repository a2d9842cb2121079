"""The stages in order, top to bottom.

:func:`run` does:

1. read the source (:mod:`pipeline.source`): bytes → NFC text, encoding, script;
2. repair the layout into blocks and cut sentences (:mod:`pipeline.segment`);
3. find the zh→en model package, installing it on first use unless offline
   (:mod:`pipeline.packages`), and create the engine (:mod:`pipeline.engines`);
4. find glossary terms and mask them, translate every sentence through the
   translation cache, put the renderings back (:mod:`pipeline.glossary`,
   :mod:`pipeline.translate`, :mod:`pipeline.cache`);
5. apply the reviewer's post-edits (:mod:`pipeline.edits`) and check the result;
6. write ``<output>/<source>.json`` and ``<output>/<source>.html`` atomically, or
   the formats chosen (:mod:`pipeline.render.formats`: also ``.md``, ``.en.md``, ``.tmx``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.cache import TranslationCache
from pipeline.edits import apply_edits, edits_path, read_edits
from pipeline.glossary import (
    Glossary,
    annotate_terms,
    assemble_fallback,
    default_files,
    fallback_flag,
    fallback_pieces,
    load_glossaries,
    restore_terms,
    strip_placeholders,
)
from pipeline.model import Document
from pipeline.qa import check_document
from pipeline.render.formats import DEFAULT_FORMATS, parse_formats, write_formats
from pipeline.segment import segment
from pipeline.source import read_source
from pipeline.translate import TranslateStats, Translator, translate_texts


@dataclass
class RunResult:
    document: Document
    stats: TranslateStats
    outputs: list[Path]


def load_document(path: str | Path) -> Document:
    """Read ``path`` and cut it into blocks and sentences (nothing translated yet)."""
    return segment(read_source(path))


def translate_document(
    document: Document,
    engine: Translator,
    cache: TranslationCache,
    progress: Callable[[int, int], None] | None = None,
    glossary: Glossary | None = None,
) -> TranslateStats:
    """Fill in ``translation`` on every sentence of ``document``, enforcing the
    glossary: terms are masked before translation and their renderings put back
    after; a sentence whose placeholders did not survive is rebuilt from pieces."""
    started = time.perf_counter()
    sentences = document.sentences()
    if glossary is not None:
        annotate_terms(sentences, glossary)
        document.glossary = [f.to_json() for f in glossary.files]
    inputs = [s.mt_input or s.simplified for s in sentences]
    translations, stats = translate_texts(inputs, engine, cache, progress=progress)
    rebuild = []
    for sentence, translation in zip(sentences, translations):
        if sentence.terms:
            sentence.translation = restore_terms(translation, sentence)
            if sentence.translation is None:  # a placeholder was dropped or garbled
                rebuild.append(sentence)
        else:
            sentence.translation = strip_placeholders(translation)
    pieces = [p for s in rebuild for p in fallback_pieces(s)]
    translated_pieces, piece_stats = translate_texts(pieces, engine, cache)
    table = dict(zip(pieces, map(strip_placeholders, translated_pieces)))
    for sentence in rebuild:
        sentence.translation = assemble_fallback(sentence, table)
        sentence.flags.append(fallback_flag(sentence))
    stats.seconds = time.perf_counter() - started
    document.signature = engine.signature()
    document.stats = {
        "sentences": stats.sentences,
        "translated": stats.translated,
        "cached": stats.cached,
        "term_fallback": len(rebuild),
        "pieces_translated": piece_stats.translated,
        "seconds": round(stats.seconds, 3),
    }
    return stats


def write_outputs(
    document: Document,
    output_dir: str | Path,
    formats: Sequence[str] = DEFAULT_FORMATS,
    *,
    cache: TranslationCache | None = None,
) -> list[Path]:
    """``<stem>.<format>`` for each of ``formats`` (:mod:`pipeline.render.formats`;
    by default ``.json``, the document model, and ``.html``, the reader), atomically.
    With ``cache``, the reader reuses the reading aids kept there and adds new ones."""
    return write_formats(document, output_dir, formats, cache=cache)


def argos_engine(*, offline: bool, decode: dict | None = None, progress=None, notify=print):
    """The Argos zh→en engine, installing its package on first use unless offline.
    ``decode`` overrides :class:`~pipeline.engines.DecodeOptions` defaults."""
    from pipeline.engines import DecodeOptions, create_engine
    from pipeline.packages import ensure_package

    package = ensure_package("zh", "en", offline=offline, progress=progress, notify=notify)
    options = DecodeOptions(**(decode or {}))
    return create_engine("argos", package_path=package.path, options=options)


def run(
    source: str | Path,
    output_dir: str | Path | None,
    make_engine: Callable[[], Translator],
    cache: TranslationCache,
    progress: Callable[[int, int], None] | None = None,
    glossaries: Sequence[str | Path] | None = None,
    *,
    formats: Sequence[str] = DEFAULT_FORMATS,
) -> RunResult:
    """Read, segment and translate ``source``, check the result, and write its
    outputs to ``output_dir`` (nothing is written when it is ``None``).

    ``glossaries`` defaults to every ``.tsv`` file in ``glossary/``; post-edits come
    from ``<stem>.edits.tsv`` beside the source. The source, the glossaries and the
    edits are read first and ``make_engine`` is called only then, so bad input fails
    at once, before a model is loaded or downloaded.
    """
    formats = parse_formats(formats)
    document = load_document(source)
    glossary = load_glossaries(default_files() if glossaries is None else glossaries)
    edits_file = edits_path(source)
    edits = read_edits(edits_file)
    stats = translate_document(document, make_engine(), cache, progress, glossary)
    if edits:
        apply_edits(document, edits, edits_file)
    check_document(document)
    outputs = write_outputs(document, output_dir, formats, cache=cache) if output_dir is not None else []
    return RunResult(document, stats, outputs)
