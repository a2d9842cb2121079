"""The parallel-text reader: one self-contained HTML page per document.

:func:`render` does, in order:

1. build the view: a row per block, every sentence in both columns under one id
   (``p12.3``), glossary terms marked in both columns, flags collected for review;
2. compute the reading aids: word boundaries (jieba), the other script (OpenCC),
   pinyin, and the CC-CEDICT entries for the words on the page only;
3. fill the Jinja2 template (autoescaped) with the view, the inline CSS and JS
   from ``static/`` and the aids as escaped JSON.

The page loads nothing: no fonts, scripts or images. Without JavaScript it is
still a readable side-by-side text; the script adds the modes and the aids.

Fields added to the model by later stages (``terms`` and more ``flags`` on a
sentence, ``glossary`` on the document) are read defensively, as objects or
dicts, so the reader works before and after they exist.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import regex

from pipeline import __version__
from pipeline.core.model import Block, Document, Sentence

if TYPE_CHECKING:
    from pipeline.read.dictionary import AidsStore

#: Element that holds a block's text in each column, by kind (a heading's by its level).
_TAGS = {"title": "h1", "heading": "h2", "quote": "blockquote", "code": "pre", "front_matter": "pre",
         "image": "pre", "table": "div"}
_SEVERITIES = ("error", "warning", "info")
#: The review marker's shape per worst open severity (shape, not colour alone).
_MARKS = {"error": "◆", "warning": "▲", "info": "•", "done": "✓"}
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

    view = _View(document)
    conversion = Conversion(document.script, variant, view.term_texts())
    kept = _PageTexts.recall(cache, document, conversion, view.zh_lang)
    conversion.seen = kept.conversions
    view.convert(conversion, kept.notes)
    tokens_json, dict_json = _reading_aids(document, view, conversion, cache)
    edit = _edit_data(document, view)
    # The page's data: {"script", "storageKey", "tokens", "edit", "review"}, the tokens as stored.
    head = script_json({"script": document.script, "storageKey": _STORAGE_KEY})
    tail = script_json({"edit": edit, "review": [r.data(conversion) for r in view.reviews]})
    data_json = f'{head[:-1]},"tokens":{tokens_json},{tail[1:]}'
    counts = review_counts(document)
    template = _environment().get_template("reader.html.j2")
    html = template.render(
        zh=lambda text: _zh_span(str(text), view.zh_lang, conversion),
        zh_marked=lambda text: chinese_marked(str(text), view.zh_lang, conversion),
        title=next((b.text for b in document.blocks if b.kind == "title"), Path(document.source).name),
        library=library,
        zh_lang="zh-Hant" if document.script == "traditional" else "zh-Hans",
        rows=view.rows,
        terms=view.terms(),
        counts=counts,
        codes=_codes(view.reviews),
        orphaned=_orphaned_edits(document, view),
        edit_file=edit["file"],
        edits_file=str(_get(getattr(document, "edits", None) or {}, "file", "") or ""),
        dropped=[_plain(d) for d in document.dropped],
        footer=_footer(document, view, counts, now or datetime.now().astimezone()),
        css=Markup(_asset("reader.css")),
        js=Markup(_asset("reader.js")),
        data_json=Markup(data_json),
        # Parsed by the script only when a word is first looked up: it is the bulk of the page.
        dict_json=Markup(dict_json),
    )
    kept.keep()
    return html


def script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>`` and
    ``&`` escaped, so no text in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_bytecode_cache(),
    )
    from pipeline.render.markup import template_globals

    environment.globals.update(template_globals())
    return environment


def _bytecode_cache():
    """Compiled templates kept beside the translation cache, so a new process (a
    rerun) loads them instead of compiling them again (~0.1 s of a seed rerun).
    Jinja2 keys them by the template's checksum and its own and Python's versions,
    so an edited template or an upgrade is compiled afresh. A folder that cannot
    be written or a damaged file costs only the compile."""
    import jinja2

    from pipeline.core.config import default_cache_path

    class QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # unreadable or damaged (pickle, marshal): compile instead
                bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            try:
                Path(self.directory).mkdir(parents=True, exist_ok=True)
                super().dump_bytecode(bucket)
            except OSError:
                pass

    return QuietBytecodeCache(str(default_cache_path().parent / "templates"))


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    text = resources.files("pipeline.render").joinpath("static", name).read_text(encoding="utf-8")
    closing = "</style" if name.endswith(".css") else "</script"
    if closing in text.lower():  # would end the inline element early
        raise ValueError(f"static/{name} must not contain {closing}")
    return text


# ---- reading the model defensively ---------------------------------------------------


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _plain(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Mapping):
        return dict(obj)
    to_json = getattr(obj, "to_json", None)
    return to_json() if callable(to_json) else dict(vars(obj))


# ---- the view: rows, sentence pairs, terms, flags -------------------------------------


@dataclass
class _Term:
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
class _Piece:
    text: str
    term: _Term | None = None
    occurrence: str = ""
    #: Inline marks around the text, outermost first: ``(tag, class, title)``.
    wrap: tuple[tuple[str, str, str], ...] = ()


@dataclass
class _SentenceView:
    id: str
    text: str
    simplified: str
    zh: list[_Piece]
    en: list[_Piece]
    translated: bool
    review: _Review | None = None
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
class _Row:
    id: str
    kind: str
    tag: str
    text: str
    verbatim: bool
    sentences: list[_SentenceView]
    review: _Review | None
    #: A table's cells in rows, each the sentences it holds, and how many rows are its head.
    table: list[list[list[_SentenceView]]] | None = None
    #: The source lines the block was built from.
    lines: list[int] = field(default_factory=list)
    header: int = 0


@dataclass
class _Review:
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
        return next((level for level in _SEVERITIES if level in levels), "done")

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
                [[f["code"], f["level"], f["message"], int(f["resolved"]), _alt(f["message"], conversion)]
                 for f in self.flags], _alt(self.source, conversion)]


class _View:
    """Everything the template shows, built once from the document."""

    def __init__(self, document: Document):
        self.zh_lang = "zh-Hant" if document.script == "traditional" else "zh-Hans"
        self._terms: dict[str, _Term] = {}
        #: Every sentence and block with flags, in reading order (a block before its sentences).
        self.reviews: list[_Review] = []
        self.rows = [self._row(block) for block in document.blocks]

    def terms(self) -> list[_Term]:
        return sorted(self._terms.values(), key=lambda t: (-t.count, t.zh))

    def term_texts(self) -> set[str]:
        """Every glossary term as the page's text writes it."""
        texts = {t.zh for t in self._terms.values()}
        for row in self.rows:
            for s in row.sentences:
                texts.update(p.text for p in s.zh if p.term is not None)
        return texts

    def convert(self, conversion: Conversion, notes: _Recalled) -> None:
        """Render the notes, whose Chinese is marked with its other-script form (or
        take them from ``notes``, the last page's, rendered with the same conversion)."""
        from markupsafe import Markup

        for term in self._terms.values():
            if (html := notes.get(term.note)) is not None:
                term.note_html = Markup(html) if html else None
                continue
            term.note_html = note_html(term.note, self.zh_lang, conversion)
            notes.put(term.note, str(term.note_html or ""))

    def _row(self, block: Block) -> _Row:
        review = self._review(block.id, block.text, block.flags)
        sentences = [] if not block.translatable else [
            self._sentence(s, f"{block.id}.{n}") for n, s in enumerate(block.sentences, 1)
        ]
        shape = getattr(block, "table", None)
        table = None if not shape else [
            [[sentences[n - 1] for n in cell if 0 < n <= len(sentences)] for cell in row]
            for row in _get(shape, "rows", [])
        ]
        return _Row(
            id=block.id,
            kind=block.kind,
            tag=_tag(block),
            text=block.text,
            verbatim=not block.translatable,
            sentences=sentences,
            review=review,
            table=table,
            header=int(_get(shape, "header", 0) or 0) if shape else 0,
            lines=list(getattr(block, "lines", None) or []),
        )

    def _review(self, where: str, source: str, flags: list[Any]) -> _Review | None:
        if not flags:
            return None
        items = []
        for flag in flags:
            severity = str(_get(flag, "severity", "warning") or "warning")
            items.append({
                "code": str(_get(flag, "code", "") or ""),
                "severity": severity,
                "level": severity if severity in _SEVERITIES else "warning",
                "message": str(_get(flag, "message", "") or ""),
                "resolved": bool(_get(flag, "resolved", False)),
            })
        review = _Review(where, source, items)
        self.reviews.append(review)
        return review

    def _sentence(self, sentence: Sentence, sid: str) -> _SentenceView:
        review = self._review(sid, sentence.text, getattr(sentence, "flags", None) or [])
        flags = review.flags if review else []
        matches = self._term_matches(sentence)
        zh: list[_Piece] = []
        at = 0
        for n, (start, end, term) in enumerate(matches):
            if start > at:
                zh.append(_Piece(sentence.text[at:start]))
            zh.append(_Piece(sentence.text[start:end], term, f"{sid}-{n}"))
            at = end
        if at < len(sentence.text):
            zh.append(_Piece(sentence.text[at:]))
        translation = sentence.translation or ""
        edited = bool(getattr(sentence, "edited", False))
        marks = _shown_marks(getattr(sentence, "marks", None), len(sentence.text))
        english = _english_pieces(translation, [(term, f"{sid}-{n}") for n, (_, _, term) in enumerate(matches)])
        return _SentenceView(
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

    def _term_matches(self, sentence: Sentence) -> list[tuple[int, int, _Term]]:
        """Valid, non-overlapping term spans in the sentence's original text."""
        spans = []
        for match in getattr(sentence, "terms", None) or []:
            start, end = _get(match, "start"), _get(match, "end")
            if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(sentence.text):
                continue
            spans.append((start, -end, match))
        chosen: list[tuple[int, int, _Term]] = []
        at = 0
        for start, neg_end, match in sorted(spans, key=lambda s: (s[0], s[1])):
            if start >= at:  # the longest of several starting here wins; overlaps are dropped
                term = self._term(match, sentence.text[start:-neg_end])
                term.count += 1
                chosen.append((start, -neg_end, term))
                at = -neg_end
        return chosen

    def _term(self, match: Any, matched_text: str) -> _Term:
        zh = str(_get(match, "zh", "") or matched_text)
        en = str(_get(match, "en", "") or "")
        entry = str(_get(match, "entry", "") or "")
        key = entry or f"{zh}\x1f{en}"
        term = self._terms.get(key)
        if term is None:
            n = len(self._terms)
            term = self._terms[key] = _Term(
                id=f"g{n + 1}",
                zh=zh,
                en=en,
                note=str(_get(match, "note", "") or ""),
                file=str(_get(match, "file", "") or entry.rpartition(":")[0]),
                entry=entry,
            )
        return term


def _codes(reviews: list[_Review]) -> list[tuple[str, int]]:
    """The flag codes of the page with how many flags of each are open, worst first."""
    order = {level: n for n, level in enumerate(_SEVERITIES)}
    counts: dict[str, list[int]] = {}
    for review in reviews:
        for f in review.flags:
            entry = counts.setdefault(f["code"], [order[f["level"]], 0])
            entry[0] = min(entry[0], order[f["level"]])
            entry[1] += not f["resolved"]
    return [(code, n) for code, (_, n) in sorted(counts.items(), key=lambda kv: (kv[1][0], kv[0]))]


def _tag(block: Block) -> str:
    level = getattr(block, "level", None)
    if block.kind == "heading" and isinstance(level, int) and level > 2:
        return f"h{min(level, 6)}"
    return _TAGS.get(block.kind, "p")


def _edit_data(document: Document, view: _View) -> dict[str, Any]:
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


def _orphaned_edits(document: Document, view: _View) -> list[dict[str, Any]]:
    """``document.edits["orphaned"]`` for the review panel, each with the id of the
    sentence its ``closest`` text is now (``None`` when there is none)."""
    ids: dict[str, str] = {}
    for row in view.rows:
        for s in row.sentences:
            ids.setdefault(s.text, s.id)
    orphans = []
    for item in (_get(getattr(document, "edits", None) or {}, "orphaned") or []):
        closest = str(_get(item, "closest", "") or "")
        orphans.append({
            "source": str(_get(item, "source", "") or ""),
            "english": str(_get(item, "english", "") or ""),
            "line": _get(item, "line"),
            "closest": closest,
            "closest_id": ids.get(closest) if closest else None,
        })
    return orphans


def _word_char(char: str) -> bool:
    """Whether ``char`` is in ``\\w`` (letters, digits, marks, connectors, joiners)."""
    return char.isalnum() or char in "\u200c\u200d" or unicodedata.category(char) in ("Mn", "Mc", "Me", "Pc")


def _whole_words(english: str, translation: str) -> Iterator[tuple[int, int]]:
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


def _english_pieces(translation: str, terms: list[tuple[_Term, str]]) -> list[_Piece]:
    """The translation cut so each term's English (``en``) is a piece of its own:
    the first free whole-word, case-insensitive occurrence, in the terms' order."""
    taken: list[tuple[int, int, _Term, str]] = []
    for term, occurrence in terms:
        if not term.en.strip():
            continue
        for start, end in _whole_words(term.en.strip(), translation):
            if all(end <= s or start >= e for s, e, _, _ in taken):
                taken.append((start, end, term, occurrence))
                break
    pieces: list[_Piece] = []
    at = 0
    for start, end, term, occurrence in sorted(taken, key=lambda t: t[0]):
        if start > at:
            pieces.append(_Piece(translation[at:start]))
        pieces.append(_Piece(translation[start:end], term, occurrence))
        at = end
    if at < len(translation):
        pieces.append(_Piece(translation[at:]))
    return pieces


#: How each visible inline mark is shown: (tag, class). Links and URLs are text
#: with their target as a tooltip, as in glossary notes: the page loads and links nothing.
_MARK_TAGS = {"strong": ("strong", ""), "em": ("em", ""), "strike": ("s", ""), "code": ("code", ""),
              "note": ("sup", "fn"), "link": ("span", "ln"), "url": ("span", "ln")}


def _shown_marks(marks: Any, length: int) -> list[tuple[int, int, tuple[str, str, str]]]:
    """The marks the page shows (not empty ones), as ``(start, end, (tag, class, title))``."""
    shown = []
    for mark in marks or []:
        kind, start, end = _get(mark, "kind"), _get(mark, "start"), _get(mark, "end")
        if kind in _MARK_TAGS and isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= length:
            tag, css = _MARK_TAGS[kind]
            shown.append((start, end, (tag, css, str(_get(mark, "href", "") or ""))))
    return shown


def _wrapped(pieces: list[_Piece], marks: list[tuple[int, int, tuple[str, str, str]]]) -> list[_Piece]:
    """``pieces`` cut where a mark starts or ends (never inside a term), each with
    the marks around it, outermost (longest) first."""
    if not marks:
        return pieces
    out: list[_Piece] = []
    at = 0
    for piece in pieces:
        start, end = at, at + len(piece.text)
        at = end
        cuts = [start, end] if piece.term else sorted({start, end} | {p for a, b, _ in marks for p in (a, b) if start < p < end})
        for left, right in zip(cuts, cuts[1:]):
            around = sorted((m for m in marks if m[0] <= left and right <= m[1] or (piece.term and m[0] <= left < m[1])),
                            key=lambda m: (m[0], -m[1]))
            out.append(_Piece(piece.text[left - start:right - start], piece.term, piece.occurrence,
                              tuple(m[2] for m in around)))
    return out


def note_html(text: str, zh_lang: str = "zh-Hans", conversion: Conversion | None = None):
    """A glossary note rendered from Markdown, safe to embed: raw HTML in the note
    shows as text, and links and images become plain text (the page loads nothing).
    Chinese in it is marked with ``zh_lang`` (and its other-script form)."""
    from markupsafe import Markup

    if not text.strip():
        return None
    html = _notes_markdown().reset().convert(text)
    return Markup(_HTML_TEXT.sub(lambda m: _mark_chinese(m.group(0), zh_lang, conversion), html))


_HTML_TEXT = regex.compile(r"(?<=^|>)[^<]+")
_HAN_RUN = regex.compile(r"\p{Han}[\p{Han}“”‘’「」『』《》（）【】，。、：；！？·…—]*")


def _mark_chinese(text: str, zh_lang: str, conversion: Conversion | None = None) -> str:
    """``text`` (already escaped) with each run of Chinese in a ``<span lang>``, with
    its other-script form as ``data-alt`` when it has one."""
    def span(match) -> str:
        run = match.group(0)
        alt = _alt(run, conversion) if conversion is not None else ""
        return f'<span lang="{zh_lang}"{_alt_attribute(alt)}>{run}</span>'

    return _HAN_RUN.sub(span, text)


def chinese_marked(text: str, zh_lang: str, conversion: Conversion | None = None):
    """``text`` escaped, with each run of Chinese in a ``<span lang>`` (for English
    text that quotes Chinese: review messages, glossary notes)."""
    from markupsafe import Markup, escape

    return Markup(_mark_chinese(str(escape(text)), zh_lang, conversion))


def _zh_span(text: str, zh_lang: str, conversion: Conversion):
    """Chinese text shown outside the sentences (a term in the Glossary panel, an
    orphaned edit): a ``<span lang>`` with its other-script form as ``data-alt``."""
    from markupsafe import Markup, escape

    return Markup(f'<span lang="{zh_lang}"{_alt_attribute(_alt(text, conversion))}>{escape(text)}</span>')


def _alt(text: str, conversion: Conversion) -> str:
    """``text`` in the page's other script, or ``""`` when it reads the same."""
    other = conversion(text)
    return "" if other == text else other


def _alt_attribute(alt: str) -> str:
    from markupsafe import escape

    return f' data-alt="{escape(alt)}"' if alt else ""


class Conversion:
    """The page's one conversion into its other script: OpenCC's ``variant``
    (``s2t``, ``s2tw``, ``s2twp``, ``s2hk``) for a Simplified text, ``t2s`` for a
    Traditional one, applied to everything the page shows in Chinese (sentences,
    terms, notes, review messages). Glossary terms are converted on their own, once,
    and their form put in wherever they occur, so a term never reads two ways on one
    page (a term inside a longer term is put in the longer one's form the same way)."""

    def __init__(self, script: str, variant: str, terms: Iterable[str] = ()):
        self.config = "t2s" if script == "traditional" else variant
        self.terms = sorted({t for t in terms if t}, key=lambda t: (-len(t), t))
        #: The terms by their first character, longest first.
        self._starting: dict[str, list[str]] = {}
        for term in self.terms:
            self._starting.setdefault(term[0], []).append(term)
        #: Every term, longest first (so the longest term starting at a place wins):
        #: one pattern for the page's texts, compiled once.
        self._every = regex.compile("|".join(map(regex.escape, self.terms)) or r"(?!)")
        self._forms: dict[str, str] = {}
        #: Every text converted for this page, computed or recalled.
        self.seen = _Recalled()

    def __call__(self, text: str) -> str:
        other = self.seen.get(text)
        if other is None:
            other = self._convert(text, len(text) + 1)
            self.seen.put(text, other)
        return other

    def key(self, text: str) -> list[Any]:
        """What converting ``text`` depends on besides the libraries: the configuration
        and the terms it holds."""
        return [self.config, [t for t in self.terms if t in text]]

    def _convert(self, text: str, shorter_than: int) -> str:
        from pipeline.read.dictionary import convert_script

        if not self.terms or shorter_than > len(self.terms[0]):  # any term may be in it
            found = ((m.start(), m.group(0)) for m in self._every.finditer(text))
        else:  # a term itself: the shorter terms inside it
            found = self._shorter_terms(text, shorter_than)
        out, at = [], 0
        for start, term in found:
            out += [convert_script(text[at:start], self.config), self._term(term)]
            at = start + len(term)
        out.append(convert_script(text[at:], self.config))
        return "".join(out)

    def _shorter_terms(self, text: str, shorter_than: int) -> Iterator[tuple[int, str]]:
        """(start, term) of the terms shorter than ``shorter_than`` in ``text``, the
        longest at each place, left to right, as the pattern of every term finds them."""
        here = 0
        while here < len(text):
            term = next((t for t in self._starting.get(text[here], ())
                         if len(t) < shorter_than and text.startswith(t, here)), None)
            if term is None:
                here += 1
            else:
                yield here, term
                here += len(term)

    def _term(self, term: str) -> str:
        if term not in self._forms:
            self._forms[term] = self._convert(term, len(term))
        return self._forms[term]


class _Recalled:
    """Texts made for this page (``text → result``), taken first from those of the
    document's last page (``before``): which of those were used, and whether any
    was made anew, tell whether the page's row of them must be written again."""

    def __init__(self, before: dict[str, str] | None = None):
        self.before = before or {}
        self.used: dict[str, str] = {}
        self.made = False

    def get(self, text: str) -> str | None:
        found = self.used.get(text)
        if found is None and (found := self.before.get(text)) is not None:
            self.used[text] = found
        return found

    def put(self, text: str, result: str) -> None:
        self.used[text] = result
        self.made = True

    def changed(self) -> bool:
        return self.made or len(self.used) != len(self.before)


class _PageTexts:
    """The other-script forms and the rendered notes of a document's last page, kept
    in the aids store (kind ``page-texts``, one row per source), so that a rerun of
    an unchanged page loads neither OpenCC (building a Simplified→Traditional
    converter alone takes 70–150 ms) nor Markdown. They hold while the conversion's
    configuration and terms, the page's language and Markdown's version are the same
    (and, as every stored aid, the libraries of :func:`~pipeline.read.dictionary.aids_version`)."""

    KIND = "page-texts"

    def __init__(self, store: AidsStore | None, source: str, key: list[Any], before: dict[str, Any]):
        self.store, self.source, self.key = store, source, key
        self.conversions = _Recalled(before.get("seen"))
        self.notes = _Recalled(before.get("notes"))

    @classmethod
    def recall(cls, store: AidsStore | None, document: Document, conversion: Conversion,
               zh_lang: str) -> _PageTexts:
        from pipeline.read.dictionary import aids_version, installed_version

        source = str(document.source)
        key = [conversion.config, conversion.terms, zh_lang, installed_version("markdown", "Markdown")]
        before: dict[str, Any] = {}
        if store is not None and (stored := store.get_aids(aids_version(), cls.KIND, [source]).get(source)):
            last = json.loads(stored)
            if last.get("key") == key:
                before = last
        return cls(store, source, key, before)

    def keep(self) -> None:
        """Store this page's texts when they differ from the last page's."""
        from pipeline.read.dictionary import aids_version

        if self.store is None or not (self.conversions.changed() or self.notes.changed()):
            return
        value = {"key": self.key, "seen": self.conversions.used, "notes": self.notes.used}
        self.store.put_aids(aids_version(), self.KIND,
                            {self.source: json.dumps(value, ensure_ascii=False, separators=(",", ":"))})


@lru_cache(maxsize=1)
def _notes_markdown():
    """One converter for every note (reset between notes): building one per note
    cost more than converting it."""
    import markdown

    return markdown.Markdown(extensions=[_safe_notes()])


@lru_cache(maxsize=1)
def _safe_notes():
    """A Markdown extension: no raw HTML; links and images become text."""
    import markdown
    from markdown.treeprocessors import Treeprocessor

    class Unlink(Treeprocessor):
        def run(self, root):
            for element in root.iter():
                if element.tag == "a":
                    href = element.get("href", "")
                    element.attrib.clear()
                    element.tag = "span"
                    if href and not href.startswith("#"):
                        element.tail = f" ({href})" + (element.tail or "")
                elif element.tag == "img":
                    alt = element.get("alt", "")
                    element.attrib.clear()
                    element.tag = "span"
                    element.text = alt

    class SafeNotes(markdown.Extension):
        def extendMarkdown(self, md):  # noqa: N802 (Markdown's API name)
            md.preprocessors.deregister("html_block")
            md.inlinePatterns.deregister("html")
            md.treeprocessors.register(Unlink(md), "duizhao_unlink", 0)

    return SafeNotes()


# ---- reading aids: words, other script, pinyin, dictionary ----------------------------


def _reading_aids(
    document: Document, view: _View, conversion: Conversion, store: AidsStore | None = None
) -> tuple[str, str]:
    """As :func:`script_json` text, the tokens: per sentence id, the words of its original text (see :func:`_words`);
    and the dictionary: the CC-CEDICT entries of every stretch of the page's Chinese
    that is a headword (up to :data:`_LOOKUP` characters from any character, and each
    glossary term whole), as ``e`` (``[traditional, simplified, pinyin, senses]``) and
    ``k`` (text → indexes into ``e``). ``k`` is keyed by the page's own forms, the
    original and the other script: a stretch's entries are those of any of its forms,
    so a look-up in either script finds them.

    With a ``store``, both are read from it whole when the document's sentences are
    the ones of its last page; otherwise a sentence's words and its headwords are read
    from it when the same text (same script, simplified form and term cuts) was seen
    before under the same :func:`~pipeline.read.dictionary.aids_version`, and only new
    sentences load jieba, pypinyin and the dictionary file. The page's row is kept as
    the text that goes into the page, so a rerun embeds it without parsing it."""
    sentences = [s for row in view.rows for s in row.sentences]
    if store is None:
        return tuple(map(script_json, _compute_aids(document.script, conversion, sentences, None)))
    from pipeline.read.dictionary import aids_version

    version = aids_version()
    page = {s.id: _words_key(document.script, conversion, s) for s in sentences}
    digest = hashlib.sha256(json.dumps(page, ensure_ascii=False).encode("utf-8")).hexdigest()
    source = str(document.source)
    stored = store.get_aids(version, "page", [source]).get(source)
    if stored is not None:
        # digest, tokens, dictionary: one a line (JSON text holds no raw line break)
        last_digest, tokens_json, dict_json = stored.split("\n", 2)
        if last_digest == digest:
            return tokens_json, dict_json
    tokens_json, dict_json = map(script_json, _compute_aids(document.script, conversion, sentences, store))
    # One row per source, replaced on every change: the page's aids in one read.
    store.put_aids(version, "page", {source: f"{digest}\n{tokens_json}\n{dict_json}"})
    return tokens_json, dict_json


#: The longest stretch of text looked up from a character (CC-CEDICT's idioms and
#: names are rarely longer); glossary terms are looked up whole, however long.
_LOOKUP = 8


def _compute_aids(
    script: str, conversion: Conversion, sentences: list[_SentenceView], store: AidsStore | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`_reading_aids` from the words and headword stretches of each sentence
    and the entries of each headword. The dictionary is read once: for the stretches
    of new sentences and the headwords of the others together; when every sentence
    was seen before, their headwords' entries come from the store."""
    from pipeline.read.dictionary import aids_version, cedict_entries, prepare

    version = aids_version()
    keys = {s.id: _words_key(script, conversion, s) for s in sentences}
    stored = store.get_aids(version, "words", keys.values()) if store is not None else {}
    known = {key: json.loads(stored[key]) for key in set(keys.values()) & stored.keys()}
    new: dict[str, tuple[list[list[str]], list[frozenset[str]]]] = {}
    todo = [s for s in sentences if keys[s.id] not in known]
    if todo:
        prepare(text for s in todo for text in (s.text, s.simplified))
    for sentence in todo:
        key = keys[sentence.id]
        if key not in known and key not in new:
            new[key] = (_words(sentence, conversion), _stretches(sentence, conversion))
    tokens = {s.id: (known[keys[s.id]] if keys[s.id] in known else new[keys[s.id]])[0] for s in sentences}
    stretches = {(frozenset(forms), frozenset(hits)) for _, found in known.values() for forms, hits in found}
    headwords = {form for _, hits in stretches for form in hits}
    if new:
        found = cedict_entries(headwords | {form for _, forms in new.values() for f in forms for form in f})
        rows = {}
        for key, (words, candidates) in new.items():
            hits = [(f, frozenset(f & found.keys())) for f in candidates if f & found.keys()]
            stretches.update(hits)
            rows[key] = json.dumps([words, [[sorted(f), sorted(h)] for f, h in hits]],
                                   ensure_ascii=False, separators=(",", ":"))
        if store is not None:
            store.put_aids(version, "words", rows)
            store.put_aids(version, "cedict", {h: _entries_json(found[h]) for h in {h for _, hs in stretches for h in hs}})
    else:
        found = cedict_entries(headwords, store)

    entries: list[list[Any]] = []
    position: dict[Any, int] = {}
    index: dict[str, list[int]] = {}
    for forms, hits in sorted(stretches, key=lambda s: (sorted(s[0]), sorted(s[1]))):
        merged = [e for form in sorted(hits) for e in found.get(form, ())]
        for entry in merged:
            if entry not in position:
                position[entry] = len(entries)
                entries.append([entry.traditional, entry.simplified, entry.pinyin, list(entry.senses)])
        for form in forms:
            at = index.setdefault(form, [])
            at.extend(position[e] for e in merged if position[e] not in at)
    return tokens, {"e": entries, "k": dict(sorted(index.items()))}


def _entries_json(entries) -> str:
    return json.dumps([[e.traditional, e.simplified, e.pinyin, list(e.senses)] for e in entries],
                      ensure_ascii=False, separators=(",", ":"))


def _stretches(sentence: _SentenceView, other_script) -> list[frozenset[str]]:
    """Every run of up to :data:`_LOOKUP` Han characters of the sentence, and every
    glossary term whole, as the set of its forms: as written, in the other script,
    and in the Simplified form given to the engine (where the lengths agree)."""
    from pipeline.read.dictionary import is_han

    text = sentence.text
    other = other_script(text)
    forms = [text] + [t for t in (other, sentence.simplified) if len(t) == len(text) and t != text]
    spans = {(start, end) for start, end in zip(sentence.cuts, sentence.cuts[1:]) if _is_term(sentence, start, end)}
    han = [is_han(ch) for ch in text]
    for start in range(len(text)):
        end = start
        while end < len(text) and end - start < _LOOKUP and han[end]:
            end += 1
            spans.add((start, end))
    out = []
    for start, end in sorted(spans):
        out.append(frozenset(f[start:end] for f in forms) | ({other_script(text[start:end])} if len(other) != len(text) else set()))
    return out


def _is_term(sentence: _SentenceView, start: int, end: int) -> bool:
    at = 0
    for piece in sentence.zh:
        if at == start:
            return piece.term is not None and at + len(piece.text) == end
        at += len(piece.text)
    return False


def _words_key(script: str, conversion: Conversion, sentence: _SentenceView) -> str:
    """Everything :func:`_words` depends on besides the libraries' versions."""
    simplified = "" if sentence.simplified == sentence.text else sentence.simplified
    return json.dumps([script, conversion.key(sentence.text), sentence.text, simplified, sentence.cuts],
                      ensure_ascii=False, separators=(",", ":"))


def _words(sentence: _SentenceView, other_script) -> list[list[str]]:
    """The sentence's original text as words: ``[text, other-script form or "",
    pinyin]`` for a Han word, ``[text]`` for anything else. Words never cross a term
    boundary, so each lies inside one text node of the page's markup."""
    from pipeline.read.dictionary import is_han, pinyin, split_words

    text = sentence.text
    # jieba and pypinyin know Simplified best; positions carry over when lengths agree.
    simplified = sentence.simplified if len(sentence.simplified) == len(text) else text
    other = other_script(text)
    aligned = len(other) == len(text)
    cuts = [0, *sentence.cuts, len(text)]
    words: list[list[str]] = []
    for start, end in zip(cuts, cuts[1:]):
        at = start
        for word in split_words(simplified[start:end]):
            stop = at + len(word.text)
            original = text[at:stop]
            if word.han and is_han(original):
                alt = other[at:stop] if aligned else other_script(original)
                words.append([original, "" if alt == original else alt, " ".join(pinyin(simplified[at:stop]))])
            elif words and len(words[-1]) == 1 and at != start:
                words[-1][0] += original
            else:
                words.append([original])
            at = stop
    return words


# ---- footer ---------------------------------------------------------------------------


def _footer(document: Document, view: _View, counts: Any, now: datetime) -> dict[str, Any]:
    signature = _parse_signature(document.signature)
    stats = document.stats or {}
    sentences = [s for row in view.rows for s in row.sentences]
    glossary = [
        {"file": str(_get(g, "file", "") or ""), "sha256": str(_get(g, "sha256", "") or "")}
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
