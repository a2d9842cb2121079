"""The parallel-text reader: one self-contained HTML page per document.

:func:`render` does, in order:

1. build the view: a row per block, every sentence in both columns under one id
   (``p12.3``), glossary terms marked in both columns, flags collected for review
   (:mod:`.views`);
2. compute the reading aids: word boundaries (jieba), the other script (OpenCC),
   pinyin, and the CC-CEDICT entries for the words on the page only (:mod:`.aids`,
   :mod:`.chinese`);
3. fill the Jinja2 template (autoescaped) with the view, the inline CSS and JS
   from ``static/`` and the aids as escaped JSON (:mod:`pipeline.render.assets`).

The page loads nothing: no fonts, scripts or images. Without JavaScript it is
still a readable side-by-side text; the script adds the modes and the aids.

Fields added to the model by later stages (``terms`` and more ``flags`` on a
sentence, ``glossary`` on the document) are read defensively, as objects or
dicts, so the reader works before and after they exist.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import __version__
from pipeline.core.model import Document
from pipeline.render.assets import asset, environment, script_json
from pipeline.render.reader.aids import reading_aids
from pipeline.render.reader.chinese import Conversion, PageTexts, chinese_marked, zh_span
from pipeline.render.reader.views import View, codes, get_field, plain
from pipeline.review.report import dropped_summary

if TYPE_CHECKING:
    from pipeline.read.dictionary import AidsStore


_STORAGE_KEY = "duizhao.reader"


def render(document: Document, *, now: datetime | None = None, cache: AidsStore | None = None,
           library: str | None = None, variant: str | None = None) -> str:
    """The reader page for ``document`` as one HTML string. With a ``cache`` (the
    translation cache), reading aids computed before are reused and new ones kept.
    ``library`` is the relative link to the library page (``index.html``);
    ``variant`` the OpenCC configuration of a Simplified text's Traditional form
    (``s2t``, ``s2tw``, ``s2twp``, ``s2hk``; default: the ``variant`` setting's)."""
    from markupsafe import Markup

    from pipeline.core.config import setting
    from pipeline.review.qa import review_counts

    variant = variant or setting("variant").default

    view = View(document)
    conversion = Conversion(document.script, variant, view.term_texts())
    kept = PageTexts.recall(cache, document, conversion, view.zh_lang)
    conversion.seen = kept.conversions
    view.convert(conversion, kept.notes)
    tokens_json, dict_json = reading_aids(document, view, conversion, cache)
    edit = _edit_data(document, view)
    # The page's data: {"script", "storageKey", "tokens", "edit", "review"}, the tokens as stored.
    head = script_json({"script": document.script, "storageKey": _STORAGE_KEY})
    tail = script_json({"edit": edit, "review": [r.data(conversion) for r in view.reviews]})
    data_json = f'{head[:-1]},"tokens":{tokens_json},{tail[1:]}'
    counts = review_counts(document)
    template = environment().get_template("reader.html.j2")
    html = template.render(
        zh=lambda text: zh_span(str(text), view.zh_lang, conversion),
        zh_marked=lambda text: chinese_marked(str(text), view.zh_lang, conversion),
        title=document.title(),
        library=library,
        zh_lang="zh-Hant" if document.script == "traditional" else "zh-Hans",
        rows=view.rows,
        terms=view.terms(),
        counts=counts,
        codes=codes(view.reviews),
        orphaned=_orphaned_edits(document, view),
        edit_file=edit["file"],
        edits_file=str(get_field(getattr(document, "edits", None) or {}, "file", "") or ""),
        dropped=[plain(d) for d in document.dropped],
        dropped_line=dropped_summary(document),
        footer=_footer(document, view, counts, now or datetime.now().astimezone()),
        css=Markup(asset("reader.css")),
        js=Markup(asset("reader.js")),
        data_json=Markup(data_json),
        # Parsed by the script only when a word is first looked up: it is the bulk of the page.
        dict_json=Markup(dict_json),
    )
    kept.keep()
    return html


def _edit_data(document: Document, view: View) -> dict[str, Any]:
    """What the reader's edit mode needs to write ``<stem>.edits.tsv``: the source
    named in its first line, the file name, and per sentence id ``[source text,
    machine output]``, plus the English when a post-edit from an earlier run is in place,
    and for a stale one the machine output it was made against."""
    from pipeline.review.edits import edits_path

    sentences = {}
    for row in view.rows:
        for s in row.sentences:
            if not s.edited:
                sentences[s.id] = [s.text, s.machine]
            elif s.stale:
                sentences[s.id] = [s.text, s.machine, s.english, s.against]
            else:
                sentences[s.id] = [s.text, s.machine, s.english]
    source = str(document.source)
    return {"source": source, "file": edits_path(source).name, "sentences": sentences}


def _orphaned_edits(document: Document, view: View) -> list[dict[str, Any]]:
    """``document.edits["orphaned"]`` for the review panel, each with the id of the
    sentence its ``closest`` text is now (``None`` when there is none)."""
    ids: dict[str, str] = {}
    for row in view.rows:
        for s in row.sentences:
            ids.setdefault(s.text, s.id)
    orphans = []
    for item in (get_field(getattr(document, "edits", None) or {}, "orphaned") or []):
        closest = str(get_field(item, "closest", "") or "")
        orphans.append({
            "source": str(get_field(item, "source", "") or ""),
            "english": str(get_field(item, "english", "") or ""),
            "line": get_field(item, "line"),
            "closest": closest,
            "closest_id": ids.get(closest) if closest else None,
        })
    return orphans


# ---- footer ---------------------------------------------------------------------------


def _footer(document: Document, view: View, counts: Any, now: datetime) -> dict[str, Any]:
    signature = _parse_signature(document.signature)
    stats = document.stats or {}
    sentences = [s for row in view.rows for s in row.sentences]
    glossary = [
        {"file": str(get_field(g, "file", "") or ""), "sha256": str(get_field(g, "sha256", "") or "")}
        for g in (getattr(document, "glossary", None) or [])
    ]
    return {
        "source": document.source,
        "source_name": Path(document.source).name,
        "source_sha256": getattr(document, "source_sha256", None) or _file_sha256(document.source),
        "encoding": document.encoding,
        "script": document.script,
        "signature": signature,
        "signature_text": document.signature or "",
        "glossary": glossary,
        "date": now.strftime("%Y-%m-%d %H:%M %Z").strip(),
        "version": __version__,
        "counts": {
            "blocks": len(document.blocks),
            "sentences": len(sentences),
            "translated": sum(s.translated for s in sentences),
            "engine": stats.get("translated"),
            "cached": stats.get("cached"),
            "review": counts.line().removeprefix("Review: "),
            "dropped": len(document.dropped),
        },
    }


def _parse_signature(signature: str | None) -> dict[str, str]:
    """``engine``, ``package`` (an Argos package, else the ``model`` of another
    engine), ``package_version`` and the other ``options`` from a signature that
    is the usual JSON object; ``{}`` otherwise (shown as it is)."""
    if not signature:
        return {}
    try:
        data = json.loads(signature)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    if data.get("package") is None and data.get("model") is not None:
        data = {**data, "package": data["model"]}
        del data["model"]
    known = ("engine", "package", "package_version")
    shown = {key: "" if data.get(key) is None else str(data[key]) for key in known}
    rest = {k: v for k, v in data.items() if k not in known and v not in (None, "", {}, [])}
    shown["options"] = json.dumps(rest, ensure_ascii=False, sort_keys=True, separators=(", ", ": ")) if rest else ""
    return shown


def _file_sha256(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
