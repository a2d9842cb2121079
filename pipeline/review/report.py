"""Plain-text reports printed by the command line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from pipeline.core.config import shown_path
from pipeline.core.model import KINDS, Document
from pipeline.core.text import clip, plural


def summarize(document: Document) -> str:
    """One line: encoding, script, blocks per kind, sentences, dropped."""
    counts = Counter(block.kind for block in document.blocks)
    kinds = ", ".join(f"{counts[kind]} {kind}" for kind in KINDS if counts[kind])
    return (
        f"{document.source}: {document.encoding}, {document.script}; "
        f"{plural(len(document.blocks), 'block')} ({kinds}); {plural(sum(1 for _ in document.each_sentence()), 'sentence')}; "
        f"{dropped_summary(document)}"
    )


def dropped_summary(document: Document) -> str:
    """``"6 dropped as duplicates"``, ``"9 dropped (6 duplicates, 3 boilerplate)"``."""
    reasons = Counter("duplicate" if d.duplicate_of is not None else d.reason for d in document.dropped)
    if set(reasons) <= {"duplicate"}:
        return f"{len(document.dropped)} dropped as duplicates"
    names = {"duplicate": "duplicates", "page-furniture": "page furniture"}
    listed = ", ".join(f"{n} {names.get(reason, reason)}" for reason, n in sorted(reasons.items()))
    return f"{len(document.dropped)} dropped ({listed})"


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
        out += ["", "Dropped (repeats of earlier blocks, boilerplate, page furniture):"]
        for item in document.dropped:
            lines = ",".join(map(str, item.lines))
            why = f"{item.reason} of {item.duplicate_of}" if item.duplicate_of is not None else item.reason
            out.append(f"  lines {lines}: {why}: {clip(item.text)}")
    return "\n".join(out)


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
    if stats.get("engine_rebuilt") or stats.get("engine_failed"):
        line += ", " + failures_line(stats.get("engine_rebuilt", 0), stats.get("engine_failed", 0))
    if "requests" in stats:
        line += f", {requests_line(stats['requests'], stats.get('retried', 0))}"
    if stats.get("tokens"):
        line += f", {tokens_line(stats['tokens'], stats.get('seconds', 0.0))}"
    edits = document.edits
    if edits:
        line += f", {plural(edits['applied'], 'post-edit')} applied"
        if edits["orphaned"]:
            line += f", {len(edits['orphaned'])} orphaned"
    return line + f", {stats.get('seconds', 0.0):.1f} s"


def done_line(document: Document, outputs: Sequence[Path]) -> str:
    """The last line of a run of one document: :func:`run_summary` and the files
    written, each as :func:`pipeline.core.config.shown_path` shows paths."""
    line = run_summary(document)
    return line + (" → " + ", ".join(shown_path(p) for p in outputs) if outputs else "")


def requests_line(made: int, retried: int) -> str:
    """``"57 requests (2 retried)"``: an HTTP engine's requests in a run."""
    return f"{plural(made, 'request')} ({retried} retried)"


def failures_line(rebuilt: int, failed: int) -> str:
    """``"3 rebuilt after the engine failed, 1 failed (engine-failed)"``: the
    sentences the engine could not translate whole, and those it could not
    translate at all (a rerun asks for them again)."""
    return f"{rebuilt} rebuilt after the engine failed, {failed} failed (engine-failed)"


def tokens_line(tokens: int, seconds: float) -> str:
    """``"1,204 tokens at 35.2 tokens/s"``: what the server reported generating
    (its answers' ``usage``), over the translation stage's time."""
    rate = f" at {tokens / seconds:.1f} tokens/s" if seconds > 0 else ""
    return f"{tokens:,} {'token' if tokens == 1 else 'tokens'}{rate}"


#: Warning lines about failed sentences shown per document; the rest are counted.
FAILED_LINES = 5


def failed_sentences(document: Document) -> list[str]:
    """A warning line for each sentence flagged ``engine-failed`` (file, block,
    first characters, the engine's message), at most :data:`FAILED_LINES`, then
    one line counting the rest."""
    found = [(block, sentence, flag) for block in document.blocks for sentence in block.sentences
             for flag in sentence.flags if flag.code == "engine-failed"]
    lines = [f"Warning: {document.source} {block.id} “{clip(sentence.text, 20)}”: {flag.message}"
             for block, sentence, flag in found[:FAILED_LINES]]
    if len(found) > FAILED_LINES:
        lines.append(f"Warning: {document.source}: {len(found) - FAILED_LINES} more sentences flagged "
                     "engine-failed (`duizhao check` lists them all)")
    return lines


def document_warnings(document: Document) -> list[str]:
    """A warning line for each flag about the whole document (``not-chinese``), for
    the sentences the engine failed on (:func:`failed_sentences`) and each
    orphaned post-edit (:func:`orphaned_edits`)."""
    from pipeline.review.qa import DOCUMENT_FLAGS

    lines = [f"Warning: {document.source}: {flag.message}"
             for block in document.blocks[:1] for flag in block.flags if flag.code in DOCUMENT_FLAGS]
    return lines + failed_sentences(document) + orphaned_edits(document)


#: Orphaned post-edits named one a line; the rest are counted in one more line.
ORPHANS_SHOWN = 10


def orphaned_edits(document: Document) -> list[str]:
    """A warning line for each post-edit whose source sentence is gone, up to
    :data:`ORPHANS_SHOWN`, then one line counting the rest (20,000 orphans are
    not 20,000 lines; the reader's Review panel lists them all)."""
    edits = document.edits or {}
    orphans = edits.get("orphaned", [])
    lines = []
    for orphan in orphans[:ORPHANS_SHOWN]:
        line = (
            f"Warning: {edits['file']}:{orphan['line']}: orphaned edit, no sentence reads "
            f"{clip(orphan['source'], 30)!r} any more"
        )
        if "closest" in orphan:
            line += f" (changed to {clip(orphan['closest'], 30)!r}?)"
        lines.append(line + "; the edit is kept in the file and was not applied")
    if len(orphans) > ORPHANS_SHOWN:
        lines.append(f"Warning: {edits['file']}: … and {len(orphans) - ORPHANS_SHOWN:,} more orphaned edits, kept "
                     "in the file and not applied (the reader's Review panel lists them all)")
    return lines


def flag_summary(document: Document) -> str:
    """One line: the flags to do and the notes by code, worst first, and how many
    are resolved (:func:`pipeline.review.qa.review_counts`, the count the reader shows)."""
    from pipeline.review.qa import review_counts

    counts = review_counts(document)
    hint = " (duizhao check SOURCE lists them)" if counts.to_do_total or counts.notes_total else ""
    return counts.line() + hint
