"""The reader's sentence markup: the pieces of a sentence, its post-edit and review
marks, and the sentences of a cell, written as strings here rather than as
template macros (a Jinja macro call costs about as much as the markup it writes;
on a long page these run tens of thousands of times). The template calls them
by the same names (:func:`template_globals`). Every value is escaped; inside a
sentence no whitespace is added: the page's script maps its text onto words.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from pipeline.render.reader.views import Piece, Review, SentenceView


def pieces(items: Iterable[Piece]) -> Markup:
    """A sentence's text: each piece in its inline marks, glossary terms in ``<mark>``."""
    out: list[str] = []
    for piece in items:
        for tag, css, title in piece.wrap:
            out.append(f"<{escape(tag)}{_attribute('class', css)}{_attribute('title', title)}>")
        if piece.term:
            out.append(f'<mark class="term" data-term="{escape(piece.term.id)}" data-o="{escape(piece.occurrence)}">'
                       f"{escape(piece.text)}</mark>")
        else:
            out.append(escape(piece.text))
        for tag, _, _ in reversed(piece.wrap):
            out.append(f"</{escape(tag)}>")
    return Markup("".join(out))


def flag_mark(review: Review | None) -> Markup:
    """The review marker of a block or sentence with flags (its shape says the worst)."""
    if not review:
        return Markup("")
    label = escape(review.label)
    return Markup(f'<span class="fm sev-{escape(review.worst)}" id="fm-{escape(review.where)}" '
                  f'data-g="{escape(review.where)}" role="img" title="{label}" aria-label="{label}">'
                  f"{escape(review.mark)}</span>")


def edit_mark(sentence: SentenceView) -> Markup:
    """✎ on a post-edited sentence, saying what the machine said (and whether that changed)."""
    if not sentence.edited:
        return Markup("")
    machine = escape(sentence.machine)
    if sentence.stale:
        return Markup(f'<span class="em stale" role="img" title="post-edited, but the machine translation has '
                      f'changed since the edit; the machine now says: {machine}" aria-label="post-edited; the '
                      f'machine translation has changed since: {machine}">✎</span>')
    return Markup(f'<span class="em" role="img" title="post-edited; machine said: {machine}" '
                  f'aria-label="post-edited; machine said: {machine}">✎</span>')


def zh_sentences(items: Iterable[SentenceView]) -> Markup:
    """The Chinese sentences of a cell, one ``<span class="s">`` each."""
    return Markup("".join(
        f'<span class="s{" flagged" if s.review else ""}" data-s="{escape(s.id)}" tabindex="-1">{pieces(s.zh)}</span>'
        for s in items))


def en_sentences(items: Iterable[SentenceView]) -> Markup:
    """The English sentences of a cell, each with its marks, one space apart."""
    out: list[str] = []
    for s in items:
        if out:
            out.append(" ")
        css = "s" + (" flagged" if s.review else "") + ("" if s.translated else " missing") + (" edited" if s.edited else "")
        described = f' aria-describedby="fm-{escape(s.id)}"' if s.review else ""
        text = pieces(s.en) if s.translated else "[not translated]"
        out.append(f'<span class="u"><span class="{css}" data-s="{escape(s.id)}" tabindex="-1"{described}>{text}'
                   f"</span>{edit_mark(s)}{flag_mark(s.review)}</span>")
    return Markup("".join(out))


def template_globals() -> dict[str, Any]:
    """The functions above, by the names the template calls them."""
    return {f.__name__: f for f in (pieces, flag_mark, edit_mark, zh_sentences, en_sentences)}


def _attribute(name: str, value: str) -> str:
    return f' {name}="{escape(value)}"' if value else ""
