"""A plain, self-contained side-by-side page: Chinese left, English right.

Every piece of text is escaped. This is the interim reader until the full
parallel-text reader lands; it needs no network and no script.
"""

from __future__ import annotations

from html import escape

from pipeline.model import Document

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;line-height:1.6;color:#1a1a1a;background:#fff}
.row{display:grid;grid-template-columns:1fr 1fr;gap:2rem;padding:.4rem 0;border-bottom:1px solid #eee}
.title{font-size:1.6rem;font-weight:700}.heading{font-size:1.2rem;font-weight:700}
.caption,.byline{color:#555;font-size:.9rem;font-style:italic}
.flag{color:#8a4b00;font-size:.8rem}
@media (max-width:50rem){.row{grid-template-columns:1fr}}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}.row{border-color:#333}.caption,.byline{color:#bbb}.flag{color:#f5b971}}
"""


def render(document: Document) -> str:
    lang = "zh-Hant" if document.script == "traditional" else "zh-Hans"
    title = next((b.text for b in document.blocks if b.kind == "title"), document.source)
    rows = []
    for block in document.blocks:
        if block.translatable:
            zh = "".join(f"<span>{escape(s.text)}</span>" for s in block.sentences)
            en = " ".join(escape(s.translation or "") for s in block.sentences)
        else:
            zh = en = f"<pre>{escape(block.text)}</pre>"
        flags = "".join(f'<div class="flag">{escape(f.code)}: {escape(f.message)}</div>' for f in block.flags)
        rows.append(
            f'<div class="row {escape(block.kind)}" id="{escape(block.id)}">'
            f'<div lang="{lang}">{zh}{flags}</div><div lang="en">{en}</div></div>'
        )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>\n"
        + "\n".join(rows)
        + f'\n<footer><p>{escape(document.source)} · {escape(document.encoding)}</p></footer></body></html>\n'
    )
