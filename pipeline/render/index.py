"""The library page, ``<output>/index.html``: one row per document in the output folder.

:func:`write_index` does, in order:

1. find every document model (``*.json`` with ``schema_version`` and ``blocks``)
   under the output folder, hidden folders left out;
2. make a row of each (:func:`document_row`): title (the title block, else the
   file name), source path, date of the run (the JSON file's modification time,
   written by the run), sentences, flags by severity, glossary terms used,
   post-edits, and the link to the reader beside it when there is one; a row is
   kept in ``.duizhao-library.json`` under the JSON file's size and mtime, so an
   unchanged document is not parsed again;
3. render the page (autoescaped Jinja2, CSS and JS inline; it fetches nothing and
   works from ``file://``) and write it atomically.

The rows are read from the files, not from the run, so a run of one document
keeps the page complete.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipeline import __version__
from pipeline.core.model import VERBATIM_KINDS

INDEX_NAME = "index.html"
#: Rows of the last build, by JSON file (size and mtime_ns): the page of a large
#: library is rebuilt without parsing every document again.
MEMO_NAME = ".duizhao-library.json"
#: Part of the memo: bump when a row gains or changes a field.
_ROW_VERSION = 2
SEVERITIES = ("error", "warning", "info")


def write_index(output_dir: str | Path, *, now: datetime | None = None) -> Path:
    """Rebuild ``<output_dir>/index.html`` from the document JSON files under it."""
    from pipeline.core.atomic import write_text_atomic

    root = Path(output_dir)
    rows, keep_memo = _rows(root)
    page = render_index(rows, root, now or datetime.now().astimezone())
    written = write_text_atomic(root / INDEX_NAME, page)
    keep_memo()
    return written


def library_rows(root: Path) -> list[dict[str, Any]]:
    """A row for each document JSON under ``root`` (what the library page lists)."""
    rows, keep_memo = _rows(root)
    keep_memo()
    return rows


def _rows(root: Path) -> tuple[list[dict[str, Any]], Any]:
    """The rows, the memo's where a file did not change, and a function that keeps
    the rows in the memo (written only when they changed)."""
    from pipeline.core.atomic import write_text_atomic

    memo = _read_memo(root / MEMO_NAME)
    rows, kept = [], {}
    for path in _json_files(root):
        relative = path.relative_to(root).as_posix()
        try:
            stat = path.stat()
        except OSError:
            continue
        stamp = [stat.st_size, stat.st_mtime_ns]
        known = memo.get(relative)
        if known is not None and known["stamp"] == stamp:
            row = known["row"]
        else:
            row = document_row(path, root)
        if row is None:
            continue
        kept[relative] = {"stamp": stamp, "row": row}
        rows.append(row)

    def keep_memo() -> None:
        if kept != memo:
            memo_text = json.dumps({"version": _ROW_VERSION, "rows": kept}, ensure_ascii=False, separators=(",", ":"))
            write_text_atomic(root / MEMO_NAME, memo_text + "\n")

    return rows, keep_memo


def _json_files(root: Path) -> list[Path]:
    """``*.json`` under ``root`` in sorted order, hidden files and folders left out."""
    found = []
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        found += [Path(folder) / f for f in sorted(files) if f.endswith(".json") and not f.startswith(".")]
    return found


def _read_memo(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _ROW_VERSION or not isinstance(data.get("rows"), dict):
        return {}
    return data["rows"]


def document_row(path: Path, root: Path) -> dict[str, Any] | None:
    """The library row of the document model in ``path``; ``None`` when the file
    is not one (another tool's JSON, a damaged file)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or "schema_version" not in data or not isinstance(data.get("blocks"), list):
        return None
    blocks = [b for b in data["blocks"] if isinstance(b, dict)]
    sentences = [s for b in blocks if b.get("kind") not in VERBATIM_KINDS
                 for s in b.get("sentences") or [] if isinstance(s, dict)]
    flags = {severity: 0 for severity in SEVERITIES}
    open_errors = 0
    for item in [*blocks, *sentences]:
        for flag in item.get("flags") or []:
            severity = flag.get("severity") if isinstance(flag, dict) else None
            flags[severity if severity in flags else "warning"] += 1
            open_errors += severity == "error" and isinstance(flag, dict) and not flag.get("resolved")
    terms: dict[str, str] = {}
    for sentence in sentences:
        for term in sentence.get("terms") or []:
            if isinstance(term, dict):
                terms.setdefault(str(term.get("entry") or term.get("zh")), f"{term.get('zh', '')} → {term.get('en', '')}")
    edits = data.get("edits") if isinstance(data.get("edits"), dict) else {}
    source = str(data.get("source") or "")
    title = next((str(b.get("text") or "") for b in blocks if b.get("kind") == "title"), "") or Path(source).name
    reader = path.with_suffix(".html")
    return {
        "title": " ".join(title.split()),
        "source": source,
        "json": path.relative_to(root).as_posix(),
        "reader": reader.relative_to(root).as_posix() if reader.is_file() else None,
        "date": datetime.fromtimestamp(path.stat().st_mtime).astimezone().strftime("%Y-%m-%d %H:%M"),
        "sentences": len(sentences),
        "translated": sum(bool(str(s.get("translation") or "").strip()) for s in sentences),
        "flags": flags,
        "terms": sorted(terms.values()),
        "edits": int(edits.get("applied") or 0),
        "orphaned": len(edits.get("orphaned") or []),
        "approved": sum(s.get("approved") is True for s in sentences),
        "open_errors": open_errors,
    }


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
    shown = [{**row, "href": quote(row["reader"]) if row["reader"] else None} for row in rows]
    return environment().get_template("index.html.j2").render(
        rows=shown,
        totals=totals,
        severities=SEVERITIES,
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

