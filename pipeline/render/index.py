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
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pipeline import __version__
from pipeline.core.model import VERBATIM_KINDS, document_title

INDEX_NAME = "index.html"
#: Rows of the last build, by JSON file (size and mtime_ns): the page of a large
#: library is rebuilt without parsing every document again.
MEMO_NAME = ".duizhao-library.json"
#: Part of the memo: bump when a row gains or changes a field.
_ROW_VERSION = 2
SEVERITIES = ("error", "warning", "info")
#: The columns' names, as the reader's Review panel names the severities.
SEVERITY_LABELS = {"error": "Errors", "warning": "Warnings", "info": "Notes"}


def write_index(output_dir: str | Path, *, now: datetime | None = None) -> Path:
    """Rebuild ``<output_dir>/index.html`` from the document JSON files under it."""
    from pipeline.core.atomic import write_text_atomic

    root = Path(output_dir)
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
        rows.append((stamp[1], row))
    page = render_index(_once_per_source(rows, root), root, now or datetime.now().astimezone())
    written = write_text_atomic(root / INDEX_NAME, page)
    if kept != memo:
        memo_text = json.dumps({"version": _ROW_VERSION, "rows": kept}, ensure_ascii=False, separators=(",", ":"))
        write_text_atomic(root / MEMO_NAME, memo_text + "\n")
    return written


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
    for item in [*blocks, *sentences]:
        for flag in item.get("flags") or []:
            severity = flag.get("severity") if isinstance(flag, dict) else None
            flags[severity if severity in flags else "warning"] += 1
    terms: dict[str, str] = {}
    for sentence in sentences:
        for term in sentence.get("terms") or []:
            if isinstance(term, dict):
                terms.setdefault(str(term.get("entry") or term.get("zh")), f"{term.get('zh', '')} → {term.get('en', '')}")
    edits = data.get("edits") if isinstance(data.get("edits"), dict) else {}
    source = str(data.get("source") or "")
    title = document_title(((str(b.get("kind") or ""), str(b.get("text") or "")) for b in blocks), source)
    reader = path.with_suffix(".html")
    return {
        "title": title,
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
    }


def render_index(rows: list[dict[str, Any]], root: Path, now: datetime) -> str:
    """The library page for ``rows`` as one HTML string."""
    from markupsafe import Markup

    # One Jinja2 environment and one way of inlining assets for both pages.
    from pipeline.render.assets import asset, environment

    totals = {
        "documents": len(rows),
        "sentences": sum(r["sentences"] for r in rows),
        "flags": {s: sum(r["flags"][s] for r in rows) for s in SEVERITIES},
        "terms": len({t for r in rows for t in r["terms"]}),
        "edits": sum(r["edits"] for r in rows),
    }
    shown = [{**row, "href": quote(row["reader"]) if row["reader"] else None} for row in rows]
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
    )

