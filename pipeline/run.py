"""The stages in order, top to bottom.

:func:`run` does:

1. read the source (:mod:`pipeline.source`): bytes → NFC text, encoding, script;
2. repair the layout into blocks and cut sentences (:mod:`pipeline.segment`);
3. find the zh→en model package, installing it on first use unless offline
   (:mod:`pipeline.packages`), and create the engine (:mod:`pipeline.engines`);
4. translate every sentence's Simplified form through the translation cache
   (:mod:`pipeline.translate`, :mod:`pipeline.cache`);
5. write ``<output>/<source>.json`` and ``<output>/<source>.html`` atomically.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.atomic import write_text_atomic
from pipeline.cache import TranslationCache
from pipeline.model import Document
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
) -> TranslateStats:
    """Fill in ``translation`` on every sentence of ``document``."""
    sentences = document.sentences()
    translations, stats = translate_texts([s.simplified for s in sentences], engine, cache, progress=progress)
    for sentence, translation in zip(sentences, translations):
        sentence.translation = translation
    document.signature = engine.signature()
    document.stats = {
        "sentences": stats.sentences,
        "translated": stats.translated,
        "cached": stats.cached,
        "seconds": round(stats.seconds, 3),
    }
    return stats


def write_outputs(document: Document, output_dir: str | Path) -> list[Path]:
    """``<stem>.json`` (the document model) and ``<stem>.html`` (the reader)."""
    from pipeline.render.minimal_html import render

    stem = Path(document.source).stem
    output_dir = Path(output_dir)
    model = json.dumps(document.to_json(), ensure_ascii=False, indent=1) + "\n"
    return [
        write_text_atomic(output_dir / f"{stem}.json", model),
        write_text_atomic(output_dir / f"{stem}.html", render(document)),
    ]


def argos_engine(*, offline: bool, beam_size: int | None = None, progress=None, notify=print):
    """The Argos zh→en engine, installing its package on first use unless offline."""
    from pipeline.engines import DecodeOptions, create_engine
    from pipeline.packages import ensure_package

    package = ensure_package("zh", "en", offline=offline, progress=progress, notify=notify)
    options = DecodeOptions() if beam_size is None else DecodeOptions(beam_size=beam_size)
    return create_engine("argos", package_path=package.path, options=options)


def run(
    source: str | Path,
    output_dir: str | Path,
    make_engine: Callable[[], Translator],
    cache: TranslationCache,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Read, segment and translate ``source``; write its outputs to ``output_dir``.

    ``make_engine`` is called only once the source has been read and cut up, so a
    bad source fails at once, before a model is loaded or downloaded.
    """
    document = load_document(source)
    stats = translate_document(document, make_engine(), cache, progress)
    return RunResult(document, stats, write_outputs(document, output_dir))
