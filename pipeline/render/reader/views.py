"""The reader's view of a document: a row per block, every sentence as pieces in
both columns (glossary terms and inline marks placed), and the flags of each
sentence and block for the review panel. The model is read defensively, as
objects or dicts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import regex

from pipeline.core.model import Block, Document, Sentence
from pipeline.render.reader.chinese import Conversion, Recalled, note_html, other_form

#: Element that holds a block's text in each column, by kind (a heading's by its level).
_TAGS = {"title": "h1", "heading": "h2", "quote": "blockquote", "code": "pre", "front_matter": "pre",
         "image": "pre", "table": "div"}
SEVERITIES = ("error", "warning", "info")
#: The review marker's shape per worst open severity (shape, not colour alone).
_MARKS = {"error": "◆", "warning": "▲", "info": "•", "done": "✓"}


# ---- reading the model defensively ---------------------------------------------------


def get_field(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def plain(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Mapping):
        return dict(obj)
    to_json = getattr(obj, "to_json", None)
    return to_json() if callable(to_json) else dict(vars(obj))


# ---- the view: rows, sentence pairs, terms, flags -------------------------------------


@dataclass
class Term:
    """One glossary entry as used in this document."""

    id: str
    zh: str
    en: str
    note: str
    file: str
    entry: str
    count: int = 0
    note_html: Any = None


@dataclass
class Piece:
    text: str
    term: Term | None = None
    occurrence: str = ""
    #: Inline marks around the text, outermost first: ``(tag, class, title)``.
    wrap: tuple[tuple[str, str, str], ...] = ()


@dataclass
class SentenceView:
    id: str
    text: str
    simplified: str
    zh: list[Piece]
    en: list[Piece]
    translated: bool
    review: Review | None = None
    #: The English shown, and the machine output it is (or, when edited, replaced).
    english: str = ""
    machine: str = ""
    #: Post-edited in an earlier run; stale when the machine output changed since.
    edited: bool = False
    stale: bool = False
    #: For a stale edit: the older machine output it was made against (saved as is,
    #: so saving an untouched stale edit does not hide that it is stale).
    against: str = ""
    #: Offsets in the original text where a term starts or ends (word cuts).
    cuts: list[int] = field(default_factory=list)


@dataclass
class Row:
    id: str
    kind: str
    tag: str
    text: str
    verbatim: bool
    sentences: list[SentenceView]
    review: Review | None
    #: A table's cells in rows, each the sentences it holds, and how many rows are its head.
    table: list[list[list[SentenceView]]] | None = None
    #: The source lines the block was built from.
    lines: list[int] = field(default_factory=list)
    header: int = 0
    #: The page of a PDF or image source the block stands on.
    page: int | None = None
    #: A picture's Markdown read as {"alt", "src"}: shown as such, never as Markdown (nor loaded).
    picture: dict[str, str] | None = None
    #: Front matter: its keys, named on the one line it is folded into.
    keys: list[str] | None = None


@dataclass
class Review:
    """The flags of one sentence (``where`` = ``p12.3``) or of one block (``p12``):
    one item of the Review panel and one marker in the text."""

    where: str
    #: The text the edits file keys a resolved mark by: the block's, or the sentence's.
    source: str
    flags: list[dict[str, Any]]

    @property
    def worst(self) -> str:
        """The worst open severity, or ``done`` when every flag is resolved."""
        levels = {f["level"] for f in self.flags if not f["resolved"]}
        return next((level for level in SEVERITIES if level in levels), "done")

    @property
    def mark(self) -> str:
        return _MARKS[self.worst]

    @property
    def label(self) -> str:
        """What the marker says to a screen reader, and as its tooltip."""
        n = len(self.flags)
        listed = "; ".join(f"{f['code']} ({'resolved' if f['resolved'] else f['severity']})" for f in self.flags)
        return f"{n} flag{'s' if n > 1 else ''}: {listed}"

    def data(self, conversion: Conversion) -> list[Any]:
        """``[where, source, [[code, severity, message, resolved 0/1, message in the
        other script], ...], source in the other script]`` for the page's script."""
        return [self.where, self.source,
                [[f["code"], f["level"], f["message"], int(f["resolved"]), other_form(f["message"], conversion)]
                 for f in self.flags], other_form(self.source, conversion)]


class View:
    """Everything the template shows, built once from the document."""

    def __init__(self, document: Document):
        self.zh_lang = "zh-Hant" if document.script == "traditional" else "zh-Hans"
        self._terms: dict[str, Term] = {}
        #: Every sentence and block with flags, in reading order (a block before its sentences).
        self.reviews: list[Review] = []
        self.rows = [self._row(block) for block in document.blocks]

    def terms(self) -> list[Term]:
        return sorted(self._terms.values(), key=lambda t: (-t.count, t.zh))

    def term_texts(self) -> set[str]:
        """Every glossary term as the page's text writes it."""
        texts = {t.zh for t in self._terms.values()}
        for row in self.rows:
            for s in row.sentences:
                texts.update(p.text for p in s.zh if p.term is not None)
        return texts

    def convert(self, conversion: Conversion, notes: Recalled) -> None:
        """Render the notes, whose Chinese is marked with its other-script form (or
        take them from ``notes``, the last page's, rendered with the same conversion)."""
        from markupsafe import Markup

        for term in self._terms.values():
            if (html := notes.get(term.note)) is not None:
                term.note_html = Markup(html) if html else None
                continue
            term.note_html = note_html(term.note, self.zh_lang, conversion)
            notes.put(term.note, str(term.note_html or ""))

    def _row(self, block: Block) -> Row:
        review = self._review(block.id, block.text, block.flags)
        sentences = [] if not block.translatable else [
            self._sentence(s, f"{block.id}.{n}") for n, s in enumerate(block.sentences, 1)
        ]
        shape = getattr(block, "table", None)
        table = None if not shape else [
            [[sentences[n - 1] for n in cell if 0 < n <= len(sentences)] for cell in row]
            for row in get_field(shape, "rows", [])
        ]
        return Row(
            id=block.id,
            kind=block.kind,
            tag=tag(block),
            text=block.text,
            verbatim=not block.translatable,
            sentences=sentences,
            review=review,
            table=table,
            header=int(get_field(shape, "header", 0) or 0) if shape else 0,
            lines=list(getattr(block, "lines", None) or []),
            page=_page(block),
            picture=picture_of(block.text) if block.kind == "image" else None,
            keys=front_matter_keys(block.text) if block.kind == "front_matter" else None,
        )

    def _review(self, where: str, source: str, flags: list[Any]) -> Review | None:
        review = make_review(where, source, flags)
        if review is not None:
            self.reviews.append(review)
        return review

    def _sentence(self, sentence: Sentence, sid: str) -> SentenceView:
        review = self._review(sid, sentence.text, getattr(sentence, "flags", None) or [])
        flags = review.flags if review else []
        matches = self._term_matches(sentence)
        zh: list[Piece] = []
        at = 0
        for n, (start, end, term) in enumerate(matches):
            if start > at:
                zh.append(Piece(sentence.text[at:start]))
            zh.append(Piece(sentence.text[start:end], term, f"{sid}-{n}"))
            at = end
        if at < len(sentence.text):
            zh.append(Piece(sentence.text[at:]))
        translation = sentence.translation or ""
        edited = bool(getattr(sentence, "edited", False))
        marks = _shown_marks(getattr(sentence, "marks", None), len(sentence.text))
        english = _english_pieces(translation, [(term, f"{sid}-{n}") for n, (_, _, term) in enumerate(matches)])
        return SentenceView(
            id=sid,
            text=sentence.text,
            simplified=sentence.simplified,
            zh=_wrapped(zh, marks),
            en=_wrapped(english, _shown_marks(getattr(sentence, "translation_marks", None), len(translation))),
            translated=bool(translation.strip()),
            review=review,
            english=translation,
            machine=str(getattr(sentence, "machine", None) or "") if edited else translation,
            edited=edited,
            stale=edited and any(f["code"] == "edit-stale" for f in flags),
            against=str(getattr(sentence, "edited_against", None) or "") if edited else "",
            cuts=sorted({pos for start, end, _ in matches for pos in (start, end)}
                        | {pos for start, end, _ in marks for pos in (start, end)}),
        )

    def _term_matches(self, sentence: Sentence) -> list[tuple[int, int, Term]]:
        """Valid, non-overlapping term spans in the sentence's original text."""
        spans = []
        for match in getattr(sentence, "terms", None) or []:
            start, end = get_field(match, "start"), get_field(match, "end")
            if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(sentence.text):
                continue
            spans.append((start, -end, match))
        chosen: list[tuple[int, int, Term]] = []
        at = 0
        for start, neg_end, match in sorted(spans, key=lambda s: (s[0], s[1])):
            if start >= at:  # the longest of several starting here wins; overlaps are dropped
                term = self._term(match, sentence.text[start:-neg_end])
                term.count += 1
                chosen.append((start, -neg_end, term))
                at = -neg_end
        return chosen

    def _term(self, match: Any, matched_text: str) -> Term:
        zh = str(get_field(match, "zh", "") or matched_text)
        en = str(get_field(match, "en", "") or "")
        entry = str(get_field(match, "entry", "") or "")
        key = entry or f"{zh}\x1f{en}"
        term = self._terms.get(key)
        if term is None:
            n = len(self._terms)
            term = self._terms[key] = Term(
                id=f"g{n + 1}",
                zh=zh,
                en=en,
                note=str(get_field(match, "note", "") or ""),
                file=str(get_field(match, "file", "") or entry.rpartition(":")[0]),
                entry=entry,
            )
        return term


def make_review(where: str, source: str, flags: list[Any]) -> Review | None:
    """The review item of a sentence or block with ``flags`` (None without any)."""
    if not flags:
        return None
    items = []
    for flag in flags:
        severity = str(get_field(flag, "severity", "warning") or "warning")
        items.append({
            "code": str(get_field(flag, "code", "") or ""),
            "severity": severity,
            "level": severity if severity in SEVERITIES else "warning",
            "message": str(get_field(flag, "message", "") or ""),
            "resolved": bool(get_field(flag, "resolved", False)),
        })
    return Review(where, source, items)


def document_reviews(document: Document) -> list[Review]:
    """Every review item of ``document`` in reading order, as :class:`View` lists
    them (a block before its sentences), without the rest of the view."""
    out = []
    for block in document.blocks:
        found = make_review(block.id, block.text, block.flags)
        if found is not None:
            out.append(found)
        if not block.translatable:
            continue
        for number, sentence in enumerate(block.sentences, 1):
            found = make_review(f"{block.id}.{number}", sentence.text, getattr(sentence, "flags", None) or [])
            if found is not None:
                out.append(found)
    return out


def codes(reviews: list[Review]) -> list[tuple[str, int]]:
    """The flag codes of the page with how many flags of each are open, worst first."""
    order = {level: n for n, level in enumerate(SEVERITIES)}
    counts: dict[str, list[int]] = {}
    for review in reviews:
        for f in review.flags:
            entry = counts.setdefault(f["code"], [order[f["level"]], 0])
            entry[0] = min(entry[0], order[f["level"]])
            entry[1] += not f["resolved"]
    return [(code, n) for code, (_, n) in sorted(counts.items(), key=lambda kv: (kv[1][0], kv[0]))]


#: One Markdown picture, as a block of its own holds it: ``![alt](src "title")``.
_PICTURE = regex.compile(r'^!\[(?P<alt>[^\]\n]*)\]\(\s*<?(?P<src>[^\s>)]*)>?(?:\s+"[^"]*")?\s*\)$')
_KEY = regex.compile(r"^([\w.-]+)\s*[:=]", regex.MULTILINE)


def picture_of(text: str) -> dict[str, str] | None:
    """The alt text and source of a block that is one Markdown picture (else None:
    shown as written)."""
    found = _PICTURE.match(text.strip())
    return {"alt": found["alt"].strip(), "src": found["src"]} if found else None


def front_matter_keys(text: str) -> list[str]:
    """The top-level keys of a YAML or TOML front matter, in order."""
    return list(dict.fromkeys(_KEY.findall(text)))


def tag(block: Block) -> str:
    level = getattr(block, "level", None)
    if block.kind == "heading" and isinstance(level, int) and level > 2:
        return f"h{min(level, 6)}"
    return _TAGS.get(block.kind, "p")


def _word_char(char: str) -> bool:
    """Whether ``char`` is in ``\\w`` (letters, digits, marks, connectors, joiners)."""
    return char.isalnum() or char in "\u200c\u200d" or unicodedata.category(char) in ("Mn", "Mc", "Me", "Pc")


def whole_words(english: str, translation: str) -> Iterator[tuple[int, int]]:
    """Where ``english`` occurs in ``translation`` as whole words, ignoring case
    (start, end), left to right."""
    lowered, wanted = translation.lower(), english.lower()
    if len(lowered) != len(translation) or not wanted:  # lowering moved the indexes
        pattern = regex.compile(r"(?<!\w)" + regex.escape(english) + r"(?!\w)", regex.IGNORECASE)
        yield from (m.span() for m in pattern.finditer(translation))
        return
    at = lowered.find(wanted)
    while at >= 0:
        end = at + len(wanted)
        if (at == 0 or not _word_char(translation[at - 1])) and (end == len(translation) or not _word_char(translation[end])):
            yield at, end
            at = lowered.find(wanted, end)  # as a pattern's matches: one after the other
        else:
            at = lowered.find(wanted, at + 1)


def _english_pieces(translation: str, terms: list[tuple[Term, str]]) -> list[Piece]:
    """The translation cut so each term's English (``en``) is a piece of its own:
    the first free whole-word, case-insensitive occurrence, in the terms' order."""
    taken: list[tuple[int, int, Term, str]] = []
    for term, occurrence in terms:
        if not term.en.strip():
            continue
        for start, end in whole_words(term.en.strip(), translation):
            if all(end <= s or start >= e for s, e, _, _ in taken):
                taken.append((start, end, term, occurrence))
                break
    pieces: list[Piece] = []
    at = 0
    for start, end, term, occurrence in sorted(taken, key=lambda t: t[0]):
        if start > at:
            pieces.append(Piece(translation[at:start]))
        pieces.append(Piece(translation[start:end], term, occurrence))
        at = end
    if at < len(translation):
        pieces.append(Piece(translation[at:]))
    return pieces


#: How each visible inline mark is shown: (tag, class). Links and URLs are text
#: with their target as a tooltip, as in glossary notes: the page loads and links nothing.
_MARK_TAGS = {"strong": ("strong", ""), "em": ("em", ""), "strike": ("s", ""), "code": ("code", ""),
              "note": ("sup", "fn"), "link": ("span", "ln"), "url": ("span", "ln")}


def _shown_marks(marks: Any, length: int) -> list[tuple[int, int, tuple[str, str, str]]]:
    """The marks the page shows (not empty ones), as ``(start, end, (tag, class, title))``."""
    shown = []
    for mark in marks or []:
        kind, start, end = get_field(mark, "kind"), get_field(mark, "start"), get_field(mark, "end")
        if kind in _MARK_TAGS and isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= length:
            tag, css = _MARK_TAGS[kind]
            shown.append((start, end, (tag, css, str(get_field(mark, "href", "") or ""))))
    return shown


def _wrapped(pieces: list[Piece], marks: list[tuple[int, int, tuple[str, str, str]]]) -> list[Piece]:
    """``pieces`` cut where a mark starts or ends (never inside a term), each with
    the marks around it, outermost (longest) first."""
    if not marks:
        return pieces
    out: list[Piece] = []
    at = 0
    for piece in pieces:
        start, end = at, at + len(piece.text)
        at = end
        cuts = [start, end] if piece.term else sorted({start, end} | {p for a, b, _ in marks for p in (a, b) if start < p < end})
        for left, right in zip(cuts, cuts[1:]):
            around = sorted((m for m in marks if m[0] <= left and right <= m[1] or (piece.term and m[0] <= left < m[1])),
                            key=lambda m: (m[0], -m[1]))
            out.append(Piece(piece.text[left - start:right - start], piece.term, piece.occurrence,
                              tuple(m[2] for m in around)))
    return out


def _page(block: Block) -> int | None:
    """The page a block of a paged source (PDF, image) stands on, from its address."""
    page = get_field(getattr(block, "address", None) or {}, "page", None)
    return page if isinstance(page, int) and not isinstance(page, bool) else None
