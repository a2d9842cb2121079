"""The page's Chinese: each run marked with its language and its other-script form
(OpenCC), glossary notes rendered from Markdown, and the texts of the last page
recalled from the reading-aids store so a rerun converts nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import regex

from pipeline.core.model import Document

if TYPE_CHECKING:
    from pipeline.read.dictionary import AidsStore


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
        alt = other_form(run, conversion) if conversion is not None else ""
        return f'<span lang="{zh_lang}"{_alt_attribute(alt)}>{run}</span>'

    return _HAN_RUN.sub(span, text)


def chinese_marked(text: str, zh_lang: str, conversion: Conversion | None = None):
    """``text`` escaped, with each run of Chinese in a ``<span lang>`` (for English
    text that quotes Chinese: review messages, glossary notes)."""
    from markupsafe import Markup, escape

    return Markup(_mark_chinese(str(escape(text)), zh_lang, conversion))


def zh_span(text: str, zh_lang: str, conversion: Conversion):
    """Chinese text shown outside the sentences (a term in the Glossary panel, an
    orphaned edit): a ``<span lang>`` with its other-script form as ``data-alt``."""
    from markupsafe import Markup, escape

    return Markup(f'<span lang="{zh_lang}"{_alt_attribute(other_form(text, conversion))}>{escape(text)}</span>')


def other_form(text: str, conversion: Conversion) -> str:
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
        self.seen = Recalled()

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


class Recalled:
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


class PageTexts:
    """The other-script forms and the rendered notes of a document's last page, kept
    in the aids store (kind ``page-texts``, one row per source), so that a rerun of
    an unchanged page loads neither OpenCC (building a Simplified→Traditional
    converter alone takes 70–150 ms) nor Markdown. They hold while the conversion's
    configuration and terms, the page's language and Markdown's version are the same
    (and, as every stored aid, the libraries of :func:`~pipeline.read.dictionary.aids_version`)."""

    KIND = "page-texts"

    def __init__(self, store: AidsStore | None, source: str, key: list[Any], before: dict[str, Any]):
        self.store, self.source, self.key = store, source, key
        self.conversions = Recalled(before.get("seen"))
        self.notes = Recalled(before.get("notes"))

    @classmethod
    def recall(cls, store: AidsStore | None, document: Document, conversion: Conversion,
               zh_lang: str) -> PageTexts:
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
