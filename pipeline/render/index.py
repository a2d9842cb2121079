"""The library page, ``<output>/index.html``: one row per document in the output folder.

:func:`write_index` does, in order:

1. find every document model (``*.json`` with ``schema_version`` and ``blocks``)
   under the output folder, hidden folders left out;
2. make a row of each (:func:`document_row`): title (the title block, else the
   file name), source path and format, date of the run (the JSON file's modification time,
   written by the run), sentences, flags by severity, glossary terms used,
   post-edits, and the link to the reader beside it when there is one; a row is
   kept in ``.duizhao-library.json`` under the JSON file's size and mtime, so an
   unchanged document is not parsed again;
3. list each source once: outputs of one source in two places (written before
   runs of one document and of a folder put them in the same place) give the row
   of the newest, which names the older copies;
4. render the page (autoescaped Jinja2, CSS and JS inline; it fetches nothing and
   works from ``file://``) and write it atomically.

The rows are read from the files, not from the run, so a run of one document
keeps the page complete.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipeline import __version__
from pipeline.core.model import VERBATIM_KINDS, Document, DocumentJSONError, TitleFinder

INDEX_NAME = "index.html"
#: Rows of the last build, by JSON file (size and mtime_ns): the page of a large
#: library is rebuilt without parsing every document again.
MEMO_NAME = ".duizhao-library.json"
#: Part of the memo: bump when a row gains or changes a field.
ROW_VERSION = 2
SEVERITIES = ("error", "warning", "info")
#: The columns' names, as the reader's Review panel names the severities.
SEVERITY_LABELS = {"error": "Errors", "warning": "Warnings", "info": "Notes"}


#: ``(JSON file relative to the library folder, memo entry)``: see :func:`library_entry`.
LibraryEntry = tuple[str, dict[str, Any]]


def library_entry(path: Path, root: str | Path, document: Document) -> LibraryEntry | None:
    """The library's entry for the document JSON ``path`` a run has just written
    from ``document``: the row :func:`document_row` would read back, stamped with
    the file as it is now, so :func:`write_index` need not read it again (a large
    document's JSON read back doubled a run's peak memory; its blocks are taken
    one at a time). ``None`` when ``path`` is not under ``root`` or the row is not one."""
    root = Path(root)
    try:
        relative = path.relative_to(root).as_posix()
        stat = path.stat()
    except (ValueError, OSError):
        return None
    head = {key: value for key, value in (("source", document.source), ("format", document.format),
                                          ("edits", document.edits)) if value is not None}
    row = _row(head, (block.to_json() for block in document.blocks), path, root)
    return (relative, {"stamp": [stat.st_size, stat.st_mtime_ns], "row": row}) if _row_ok(row) else None


def write_index(output_dir: str | Path, *, now: datetime | None = None,
                warn: Callable[[str], None] | None = None, fresh: dict[str, dict[str, Any]] | None = None) -> Path:
    """Rebuild ``<output_dir>/index.html`` from the document JSON files under it.

    What is not ours is never trusted: a JSON file that is not a document model
    duizhao wrote (another tool's, a damaged one) is left out, and ``warn`` gets one
    line naming such files (summarised past a few); a damaged memo (a bad row, not
    JSON) is rebuilt; an ``index.html`` that is not a library page duizhao made is
    left untouched (:class:`OutputError`). ``fresh`` holds the entries of the JSON
    files the run has just written (:func:`library_entry`), used while the file is
    as stamped."""
    from pipeline.core.atomic import OutputError, write_text_atomic

    root = Path(output_dir)
    page_path = root / INDEX_NAME
    if page_path.exists() and not page_path.is_dir() and not _made_by_us(page_path):
        raise OutputError(f"{page_path}: not a library page duizhao made, so it is left untouched; move it away, "
                          "or give another output folder with -o")
    rows, keep_memo = _rows(root, warn, fresh)
    page = render_index(rows, root, now or datetime.now().astimezone())
    written = write_text_atomic(page_path, page)
    keep_memo()
    return written


def library_rows(root: Path, warn: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """A row for each document JSON under ``root`` (what the library page lists)."""
    rows, keep_memo = _rows(root, warn)
    keep_memo()
    return rows


def _rows(root: Path, warn: Callable[[str], None] | None,
          fresh: dict[str, dict[str, Any]] | None = None) -> tuple[list[dict[str, Any]], Callable[[], None]]:
    """The rows, the memo's where a file did not change (what is not a document
    model duizhao wrote left out, with one warning), and a function that keeps the
    rows in the memo (written only when they changed or the memo was damaged)."""
    from pipeline.core.atomic import write_text_atomic

    memo, damaged = _read_memo(root / MEMO_NAME)
    rows, kept, skipped = [], {}, []
    for path in _json_files(root):
        relative = path.relative_to(root).as_posix()
        try:
            stat = path.stat()
        except OSError:
            continue
        stamp = [stat.st_size, stat.st_mtime_ns]
        known = (fresh or {}).get(relative) or memo.get(relative)
        if known is not None and known["stamp"] != stamp:
            known = memo.get(relative)
        if known is not None and known["stamp"] == stamp:
            row = known["row"]
        else:
            row = document_row(path, root)
        if row is None:
            skipped.append(relative)
            continue
        kept[relative] = {"stamp": stamp, "row": row}
        rows.append((stamp[1], row))
    if skipped and warn is not None:
        warn(f"{root}: left out of the library, not document models duizhao wrote: {summarise(skipped)}")

    def keep_memo() -> None:
        memo_path = root / MEMO_NAME
        if (kept != memo or damaged) and not memo_path.is_symlink() and not memo_path.is_dir():
            if damaged and warn is not None:
                warn(f"{memo_path}: damaged ({damaged}); rebuilt from the documents")
            memo_text = json.dumps({"version": ROW_VERSION, "rows": kept}, ensure_ascii=False, separators=(",", ":"))
            write_text_atomic(memo_path, memo_text + "\n")

    return _once_per_source(rows, root), keep_memo


def summarise(items: list[str], shown: int = 3) -> str:
    """``a, b, c and 7 more``: a list named in one line however long it is."""
    from pipeline.core.text import printable

    named = ", ".join(printable(item) for item in items[:shown])
    return named if len(items) <= shown else f"{named} and {len(items) - shown:,} more"


def _made_by_us(page: Path) -> bool:
    """Whether ``page`` is a library page duizhao wrote (its generator mark)."""
    try:
        with open(page, "rb") as handle:
            return b'<meta name="generator" content="duizhao' in handle.read(16384)
    except OSError:
        return False


def _once_per_source(rows: list[tuple[int, dict[str, Any]]], root: Path) -> list[dict[str, Any]]:
    """The rows, one per source file: of several, the newest (by the JSON file's
    mtime), with ``older`` naming the others' JSON files; in the order given."""
    newest: dict[str, tuple[int, dict[str, Any]]] = {}
    older: dict[str, list[str]] = {}
    for mtime, row in rows:
        key = _source_key(row["source"], root)
        if key in newest:
            best = max(newest[key], (mtime, row), key=lambda item: item[0])
            worse = row if best[1] is not row else newest[key][1]
            older.setdefault(key, []).append(worse["json"])
            newest[key] = best
        else:
            newest[key] = (mtime, row)
    chosen = {id(row): sorted(older.get(key, [])) for key, (_, row) in newest.items()}
    return [{**row, "older": chosen[id(row)]} for _, row in rows if id(row) in chosen]


def _source_key(source: str, root: Path) -> str:
    """The file ``source`` names (as the run was given it: absolute, or relative to
    the folder it ran in, usually the one that holds the output folder), else the
    name itself."""
    path = Path(source)
    for candidate in ([path] if path.is_absolute() else [root.absolute().parent / path, Path.cwd() / path]):
        try:
            if candidate.is_file():
                return str(candidate.resolve())
        except OSError:
            continue
    return source


def _json_files(root: Path) -> list[Path]:
    """``*.json`` under ``root`` in sorted order, hidden files and folders left out
    (symbolic links to folders are not followed: a loop cannot trap the walk)."""
    found = []
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        found += [Path(folder) / f for f in sorted(files) if f.endswith(".json") and not f.startswith(".")]
    return found


def _read_memo(path: Path) -> tuple[dict[str, Any], str]:
    """The memo's rows that are whole, and what was damaged in it ("" when nothing):
    a memo that is not JSON, has another shape or holds a bad row is rebuilt."""
    from pipeline.core.errors import PARSE_FAILURES, failure_reason

    if not path.is_file():
        return {}, ""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except PARSE_FAILURES as exc:
        return {}, f"not JSON: {failure_reason(exc)}"
    if not isinstance(data, dict) or not isinstance(data.get("rows"), dict):
        return {}, "not a memo of rows"
    if data.get("version") != ROW_VERSION:
        return {}, ""  # another version's rows: built again, quietly
    rows = {key: value for key, value in data["rows"].items() if _memo_entry_ok(value)}
    bad = len(data["rows"]) - len(rows)
    return rows, f"{bad} bad row{'s' if bad != 1 else ''}" if bad else ""


def _memo_entry_ok(entry: Any) -> bool:
    stamp = entry.get("stamp") if isinstance(entry, dict) else None
    return (isinstance(stamp, list) and len(stamp) == 2 and all(_is_int(n) for n in stamp)
            and _row_ok(entry.get("row")))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _row_ok(row: Any) -> bool:
    """Whether ``row`` has every field the page shows, each of its type."""
    if not isinstance(row, dict):
        return False
    texts = all(isinstance(row.get(key), str) for key in ("title", "source", "json", "date"))
    numbers = all(_is_int(row.get(key)) and row[key] >= 0 for key in ("sentences", "translated", "edits", "orphaned"))
    flags = row.get("flags")
    return (texts and numbers and (row.get("reader") is None or isinstance(row.get("reader"), str))
            and isinstance(flags, dict) and all(_is_int(flags.get(s)) and flags[s] >= 0 for s in SEVERITIES)
            and isinstance(row.get("terms"), list) and all(isinstance(t, str) for t in row["terms"]))


def document_row(path: Path, root: Path) -> dict[str, Any] | None:
    """The library row of the document model in ``path``; ``None`` when the file
    is not one (another tool's JSON, a damaged file, fields of the wrong shape:
    whatever :meth:`Document.from_json` would not read)."""
    from pipeline.core.errors import PARSE_FAILURES

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        row = _row_of(data, path, root) if isinstance(data, dict) else None
    except PARSE_FAILURES:
        return None
    return row if _row_ok(row) else None


def _row_of(data: dict[str, Any], path: Path, root: Path) -> dict[str, Any] | None:
    """The row of the document model ``data`` (``path``'s), or ``None`` unless
    ``duizhao render`` would read it (a file from outside)."""
    if "schema_version" not in data or not isinstance(data.get("blocks"), list):
        return None
    try:
        Document.from_json(data, str(path), keep_blocks=False)  # what duizhao render would read: ours
    except DocumentJSONError:
        return None
    return _row(data, data["blocks"], path, root)


def _row(head: dict[str, Any], blocks: Iterable[Any], path: Path, root: Path) -> dict[str, Any]:
    """The library row of a document model: ``head`` its top-level fields, ``blocks``
    its blocks' JSON, taken once, one at a time."""
    flags = {severity: 0 for severity in SEVERITIES}
    open_errors = sentences = translated = approved = 0
    terms: dict[str, str] = {}
    title = TitleFinder()

    def count(item: dict) -> None:
        nonlocal open_errors
        for flag in _list(item.get("flags")):
            severity = flag.get("severity") if isinstance(flag, dict) else None
            flags[severity if severity in flags else "warning"] += 1
            open_errors += severity == "error" and isinstance(flag, dict) and not flag.get("resolved")

    for block in blocks:
        if not isinstance(block, dict):
            continue
        kind, text = str(block.get("kind") or ""), str(block.get("text") or "")
        title.add(kind, text)
        count(block)
        if kind in VERBATIM_KINDS:
            continue
        for sentence in _list(block.get("sentences")):
            if not isinstance(sentence, dict):
                continue
            sentences += 1
            translated += bool(str(sentence.get("translation") or "").strip())
            approved += sentence.get("approved") is True
            count(sentence)
            for term in _list(sentence.get("terms")):
                if isinstance(term, dict):
                    terms.setdefault(str(term.get("entry") or term.get("zh")), f"{term.get('zh', '')} → {term.get('en', '')}")
    edits = head.get("edits") if isinstance(head.get("edits"), dict) else {}
    source = str(head.get("source") or "")
    reader = path.with_suffix(".html")
    applied = edits.get("applied")
    return {
        "title": title.title(source),
        "source": source,
        "format": str(head.get("format") or "text"),
        "json": path.relative_to(root).as_posix(),
        "reader": reader.relative_to(root).as_posix() if reader.is_file() else None,
        "date": datetime.fromtimestamp(path.stat().st_mtime).astimezone().strftime("%Y-%m-%d %H:%M"),
        "sentences": sentences,
        "translated": translated,
        "flags": flags,
        "terms": sorted(terms.values()),
        "edits": applied if _is_int(applied) and applied >= 0 else 0,
        "orphaned": len(_list(edits.get("orphaned"))),
        "approved": approved,
        "open_errors": open_errors,
    }


def _list(value: Any) -> list:
    """``value`` when it is a list, else nothing: a field of another shape is ignored."""
    return value if isinstance(value, list) else []


def render_index(rows: list[dict[str, Any]], root: Path, now: datetime, live: dict[str, Any] | None = None) -> str:
    """The library page for ``rows`` as one HTML string; with ``live`` (the review
    workspace's), also each document's approved sentences and open errors, a
    filter for those with open errors, and the project's consistency problems."""
    from markupsafe import Markup

    # One Jinja2 environment and one way of inlining assets for both pages.
    from pipeline.render.assets import asset, environment

    totals = {
        "documents": len(rows),
        "sentences": sum(r["sentences"] for r in rows),
        "flags": {s: sum(r["flags"][s] for r in rows) for s in SEVERITIES},
        "terms": len({t for r in rows for t in r["terms"]}),
        "edits": sum(r["edits"] for r in rows),
        "approved": sum(r.get("approved", 0) for r in rows),
        "open_errors": sum(r.get("open_errors", 0) for r in rows),
    }
    # A name's undecodable bytes (surrogate escapes) are quoted as the bytes they are.
    shown = [{**row, "href": quote(os.fsencode(row["reader"])) if row["reader"] else None} for row in rows]
    return environment().get_template("index.html.j2").render(
        rows=shown,
        totals=totals,
        severities=SEVERITIES,
        labels=SEVERITY_LABELS,
        folder=str(root),
        date=now.strftime("%Y-%m-%d %H:%M %Z").strip(),
        version=__version__,
        css=Markup(asset("index.css")),
        js=Markup(asset("index.js")),
        live=live,
    )


def live_library(root: Path, memory: Any, sources: list[Path]) -> str:
    """The library page of the review workspace: the rows of ``root`` and the
    consistency problems of ``memory`` (a :class:`~pipeline.review.memory.TranslationMemory`)
    among the approvals of ``sources``."""
    from pipeline.translate.memory import document_name

    rows = library_rows(root)
    names = {document_name(s) for s in sources}
    issues = []
    for issue in memory.consistency(names):
        issues.append({"kind": issue.kind, "text": issue.text,
                       "variants": [{"text": text, "documents": [_reader_of(root, rows, d) for d in docs]}
                                    for text, docs in issue.variants]})
    return render_index(rows, root, datetime.now().astimezone(), {"issues": issues})


def _reader_of(root: Path, rows: list[dict[str, Any]], document: str) -> dict[str, Any]:
    """``{"name", "href"}`` of the reader of the source ``document`` (an absolute path)."""
    import os

    for row in rows:
        if row["reader"] and os.path.abspath(row["source"]) == document:
            return {"name": Path(document).name, "href": quote(row["reader"])}
    return {"name": Path(document).name, "href": None}

