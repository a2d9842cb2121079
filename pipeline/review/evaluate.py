"""Comparing engines on one's own texts: ``duizhao eval``.

:func:`evaluate` does, for each engine in turn:

1. read the source (a document, or a TMX / ``zh<TAB>en`` TSV file whose Chinese
   side is the text) and cut it into sentences as ``duizhao run`` does;
2. translate it with the engine, through the translation cache and the glossary
   (:func:`pipeline.translate.documents.translate_documents`), and check it (:mod:`pipeline.review.qa`);
3. score the sentences that have a reference translation (matched by their
   Chinese text, in Simplified form, whitespace ignored) with sacrebleu's chrF
   and BLEU, count glossary renderings kept and review flags, and time it.

sacrebleu is imported only here: it is the ``eval`` extra (from a clone,
``.venv/bin/pip install -e '.[eval]'``).
"""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.config import shown_path
from pipeline.core.errors import PARSE_FAILURES, DuizhaoError, PathError, failure_reason
from pipeline.core.text import XML_LANG, plural

#: File suffixes read as parallel text rather than as a document.
PARALLEL_SUFFIXES = (".tmx", ".tsv")


class ReferenceFileError(PathError):
    """A reference file cannot be read."""


@dataclass
class EngineScore:
    """One engine's row of the table."""

    engine: str
    signature: str = ""
    scored: int = 0
    chrf: float | None = None
    bleu: float | None = None
    terms: int = 0
    terms_kept: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    term_fallback: int = 0
    translated: int = 0
    cached: int = 0
    seconds: float = 0.0
    requests: tuple[int, int] | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "requests"}
        if self.requests is not None:
            data["requests"], data["retried"] = self.requests
        return data


@dataclass
class Evaluation:
    source: str
    reference: str
    sentences: int
    with_reference: int
    engines: list[EngineScore]

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "reference": self.reference, "sentences": self.sentences,
                "with_reference": self.with_reference, "engines": [e.to_json() for e in self.engines]}


def _key(text: str) -> str:
    from pipeline.terms.glossary import match_key

    return "".join(match_key(unicodedata.normalize("NFC", text)).split())


def read_reference(path: str | Path) -> list[tuple[str, str]]:
    """The ``(zh, en)`` pairs of a TMX file or a ``zh<TAB>en`` TSV file (blank
    lines and ``#`` comments skipped; a header row ``zh  en`` allowed). The
    boundary where a reference from outside is read: any failure is one line."""
    path = Path(path)
    try:
        return _read_pairs(path)
    except ReferenceFileError:
        raise
    except PARSE_FAILURES as exc:
        raise ReferenceFileError(path, f"cannot be read: {failure_reason(exc)}",
                                 "give a .tmx or zh<TAB>en .tsv file") from exc


def _read_pairs(path: Path) -> list[tuple[str, str]]:
    data = path.read_bytes()
    if path.suffix.lower() == ".tmx" or data.lstrip().startswith(b"<"):
        return _read_tmx(data, path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReferenceFileError(f"{path}:{line}", "not UTF-8", "save the reference as UTF-8") from None
    pairs = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 2 or not cells[0].strip() or not cells[1].strip():
            raise ReferenceFileError(f"{path}:{number}", f"{len(cells)} column(s), expected zh<TAB>en",
                                 "one sentence pair a line, separated by one tab")
        if number == 1 and [c.strip().lower() for c in cells] == ["zh", "en"]:
            continue
        pairs.append((cells[0].strip(), cells[1].strip()))
    if not pairs:
        raise ReferenceFileError(path, "holds no sentence pairs", "one zh<TAB>en pair a line")
    return pairs


def _read_tmx(data: bytes, path: Path) -> list[tuple[str, str]]:
    """The pairs of a TMX file: each unit's first segment per language (a unit
    inside a unit, a variant inside a variant, is part of the outer one, so the
    work is linear however deep the file nests)."""
    from pipeline.core.xmlfile import XMLFileError, element_text, local_name, outermost, parse_xml

    try:
        root = parse_xml(data)
    except XMLFileError as exc:
        where = f"{path}:{exc.line}:{exc.column}" if exc.line else str(path)
        raise ReferenceFileError(where, exc.reason, "is it a TMX file?") from None
    pairs = []
    for unit in outermost(root, lambda e: local_name(e.tag) == "tu"):
        texts: dict[str, str] = {}
        for variant in outermost(unit, lambda e: local_name(e.tag) == "tuv"):
            lang = (variant.get(XML_LANG) or variant.get("lang") or "").lower()
            segment = next((e for e in variant if local_name(e.tag) == "seg"), None)
            if segment is not None:
                texts.setdefault(lang.split("-")[0], " ".join(element_text(segment).split()))
        if texts.get("zh") and texts.get("en"):
            pairs.append((texts["zh"], texts["en"]))
    if not pairs:
        raise ReferenceFileError(path, "holds no translation unit with both a zh and an en segment",
                             "give a TMX with <tuv xml:lang=\"zh...\"> and <tuv xml:lang=\"en...\">")
    return pairs


def load_source(path: str | Path):
    """The document to translate: a TMX or TSV file is a document of its Chinese
    segments, one paragraph each; anything else is read as ``duizhao run`` reads it."""
    from pipeline.core.model import Block, Document, Sentence
    from pipeline.read import load_document
    from pipeline.read.source import detect_script, to_simplified

    path = Path(path)
    if path.suffix.lower() not in PARALLEL_SUFFIXES:
        return load_document(path)
    pairs = read_reference(path)
    script = detect_script("".join(zh for zh, _ in pairs))
    blocks = []
    for number, (zh, _) in enumerate(pairs, start=1):
        simplified = to_simplified(zh, script)
        blocks.append(Block(f"p{number}", "paragraph", zh, simplified, [number], [Sentence(zh, simplified)]))
    return Document(str(path), "utf-8", script, blocks)


def evaluate(
    source: str | Path,
    reference: str | Path,
    engines: Sequence[tuple[str, Callable[[], Any]]],
    cache,
    glossary=None,
) -> Evaluation:
    """Score each of ``engines`` (``(label, make_engine)``) on ``source`` against
    ``reference``. An engine that fails gets its error in its row; the others go on."""
    try:
        import sacrebleu
    except ImportError:
        raise DuizhaoError(missing_sacrebleu()) from None
    from pipeline.terms.glossary import term_counts
    from pipeline.review.qa import check_document, review_counts
    from pipeline.translate.documents import translate_documents

    references = {}
    for zh, en in read_reference(reference):
        references.setdefault(_key(zh), en)
    probe = load_source(source)
    sentences = len(probe.sentences())
    matched = sum(_key(s.text) in references for s in probe.sentences())
    if not matched:
        raise ReferenceFileError(reference, f"none of the {plural(sentences, 'sentence')} of {source} is in it",
                             "the reference pairs must have the same Chinese sentences as the source")
    scores = []
    for label, make_engine in engines:
        score = EngineScore(label)
        started = time.perf_counter()
        try:
            document = load_source(source)
            engine = make_engine()
            stats = translate_documents([document], engine, cache, glossary=glossary)
            check_document(document)
        except DuizhaoError as exc:
            score.error = str(exc)
            scores.append(score)
            continue
        score.seconds = round(time.perf_counter() - started, 3)
        score.signature = document.signature or ""
        score.translated, score.cached = stats.translated, stats.cached
        score.requests = stats.requests
        hypotheses, refs = [], []
        for sentence in document.sentences():
            english = sentence.translation or ""
            expected = Counter(t.en for t in sentence.terms)
            found = term_counts(english, expected)
            score.terms += sum(expected.values())
            score.terms_kept += sum(min(found[r], n) for r, n in expected.items())
            if _key(sentence.text) in references:
                hypotheses.append(english)
                refs.append(references[_key(sentence.text)])
        score.scored = len(hypotheses)
        score.chrf = round(sacrebleu.corpus_chrf(hypotheses, [refs]).score, 2)
        score.bleu = round(sacrebleu.corpus_bleu(hypotheses, [refs]).score, 2)
        counts = review_counts(document)  # the count run, check and the reader show
        score.flags = {"error": counts.errors, "warning": counts.warnings, "info": sum(counts.notes.values())}
        score.term_fallback = sum(any(f.code == "term-fallback" for f in s.flags) for s in document.sentences())
        scores.append(score)
    return Evaluation(str(source), str(reference), sentences, matched, scores)


def missing_sacrebleu() -> str:
    """What to do when sacrebleu is not installed, for this environment: the
    ``eval`` extra, installed with the pip of the environment duizhao runs in."""
    import sys

    pip = Path(sys.prefix) / "bin" / "pip"
    return (f"duizhao eval needs sacrebleu, the eval extra: in the duizhao folder, {shown_path(pip)} install -e "
            f"'.[eval]' (or {shown_path(pip)} install sacrebleu)")


def table(evaluation: Evaluation) -> list[str]:
    """The plain-text table ``duizhao eval`` prints, one engine a row; a row
    whose engine failed keeps the columns (–) and ends with its error."""
    header = ("ENGINE", "chrF", "BLEU", "TERMS", "FALLBACK", "ERRORS", "WARNINGS", "TIME", "NEW/CACHED")
    rows = [header]
    for score in evaluation.engines:
        if score.error is not None:
            rows.append((score.engine, *("–" for _ in header[1:]), "error: " + score.error))
            continue
        terms = f"{score.terms_kept}/{score.terms}" + (f" {100 * score.terms_kept / score.terms:.0f}%" if score.terms else "")
        seconds = f"{score.seconds:.1f} s"
        if score.requests is not None:
            seconds += f" ({score.requests[0]} req)"
        rows.append((score.engine, f"{score.chrf:.1f}", f"{score.bleu:.1f}", terms, str(score.term_fallback),
                     str(score.flags.get("error", 0)), str(score.flags.get("warning", 0)), seconds,
                     f"{score.translated}/{score.cached}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [f"{evaluation.with_reference} of {plural(evaluation.sentences, 'sentence')} of {evaluation.source} have a "
             f"reference in {evaluation.reference}"]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)] + list(row[len(header):])
        lines.append("  ".join(cells).rstrip())
    return lines
