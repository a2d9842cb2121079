"""Plain-text reports printed by the command line."""

from __future__ import annotations

from collections import Counter

from pipeline.core.model import KINDS, Document
from pipeline.core.text import plural


def summarize(document: Document) -> str:
    """One line: encoding, script, blocks per kind, sentences, dropped."""
    counts = Counter(block.kind for block in document.blocks)
    kinds = ", ".join(f"{counts[kind]} {kind}" for kind in KINDS if counts[kind])
    return (
        f"{document.source}: {document.encoding}, {document.script}; "
        f"{plural(len(document.blocks), 'block')} ({kinds}); {plural(len(document.sentences()), 'sentence')}; "
        f"{len(document.dropped)} dropped as duplicates"
    )


def describe_segmentation(document: Document) -> str:
    out = [summarize(document), ""]
    for block in document.blocks:
        lines = ",".join(map(str, block.lines))
        out.append(f"{block.id:<5} {block.kind:<12} lines {lines}")
        if block.sentences:
            out.extend(f"      {n}. {s.text}" for n, s in enumerate(block.sentences, start=1))
        else:
            out.extend(f"      | {line}" for line in block.text.split("\n"))
        out.extend(f"      ! {flag.code}: {flag.message}" for flag in block.flags)
    if document.dropped:
        out += ["", "Dropped (repeats of earlier blocks):"]
        for item in document.dropped:
            lines = ",".join(map(str, item.lines))
            out.append(f"  lines {lines}: {item.reason} of {item.duplicate_of}: {_clip(item.text)}")
    return "\n".join(out)


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def sentence_counts(sentences: int, translated: int, cached: int, kept: int = 0) -> str:
    """``208 sentences: 0 translated, 143 from cache, 65 repeats``: the counts of a
    run of one document and of many, worded alike, adding up to the sentences.
    ``translated`` and ``cached`` count each distinct text once; a repeat is a
    sentence whose text another one of the run already has; ``kept`` sentences
    have nothing for the engine (only text kept as written)."""
    repeats = sentences - translated - cached - kept
    line = f"{plural(sentences, 'sentence')}: {translated} translated, {cached} from cache"
    if repeats:
        line += f", {plural(repeats, 'repeat')}"
    if kept:
        line += f", {kept} kept as written"
    return line


def run_summary(document: Document) -> str:
    """The run's last line: what was translated and what came from the cache."""
    stats = document.stats or {}
    line = sentence_counts(stats.get("sentences", 0), stats.get("translated", 0), stats.get("cached", 0),
                           stats.get("kept", 0))
    if stats.get("term_retried"):
        line += f", {stats['term_retried']} asked again with placeholders to keep glossary terms"
    if stats.get("term_fallback"):
        line += (
            f", {stats['term_fallback']} rebuilt to keep glossary terms "
            f"({plural(stats.get('pieces_translated', 0), 'piece')} translated)"
        )
    if "requests" in stats:
        line += f", {requests_line(stats['requests'], stats.get('retried', 0))}"
    edits = document.edits
    if edits:
        line += f", {plural(edits['applied'], 'post-edit')} applied"
        if edits["orphaned"]:
            line += f", {len(edits['orphaned'])} orphaned"
    return line + f", {stats.get('seconds', 0.0):.1f} s"


def done_line(document: Document, outputs) -> str:
    """The last line of a run of one document: :func:`run_summary` and the files
    written, each as :func:`pipeline.core.config.shown_path` shows paths."""
    from pipeline.core.config import shown_path

    line = run_summary(document)
    return line + (" → " + ", ".join(shown_path(p) for p in outputs) if outputs else "")


def requests_line(made: int, retried: int) -> str:
    """``"57 requests (2 retried)"``: an HTTP engine's requests in a run."""
    return f"{plural(made, 'request')} ({retried} retried)"


def document_warnings(document: Document) -> list[str]:
    """A warning line for each flag about the whole document (``not-chinese``) and
    each orphaned post-edit (:func:`orphaned_edits`)."""
    from pipeline.review.qa import DOCUMENT_FLAGS

    lines = [f"Warning: {document.source}: {flag.message}"
             for block in document.blocks[:1] for flag in block.flags if flag.code in DOCUMENT_FLAGS]
    return lines + orphaned_edits(document)


def orphaned_edits(document: Document) -> list[str]:
    """A warning line for every post-edit whose source sentence is gone."""
    edits = document.edits or {}
    lines = []
    for orphan in edits.get("orphaned", []):
        line = (
            f"Warning: {edits['file']}:{orphan['line']}: orphaned edit, no sentence reads "
            f"{_clip(orphan['source'], 30)!r} any more"
        )
        if "closest" in orphan:
            line += f" (changed to {_clip(orphan['closest'], 30)!r}?)"
        lines.append(line + "; the edit is kept in the file and was not applied")
    return lines


def flag_summary(document: Document) -> str:
    """One line: the flags to do and the notes by code, worst first, and how many
    are resolved (:func:`pipeline.review.qa.review_counts`, the count the reader shows)."""
    from pipeline.review.qa import review_counts

    counts = review_counts(document)
    hint = " (duizhao check SOURCE lists them)" if counts.to_do_total or counts.notes_total else ""
    return counts.line() + hint
