"""Scoring the layout repair against a corpus of real documents with hand-made gold.

The corpus (``tests/data/corpus/<shape>/<id>.txt|.md``) has beside every document
a gold file ``<id>.gold.tsv``: a first line ``kind<TAB>text``, then one block per
line in reading order, its kind and its text (Markdown syntax left out), and
``drop:boilerplate``, ``drop:page-furniture`` or ``drop:duplicate`` for what should
be left out of the translation. ``bench/layout_score.py`` prints the scores and
``tests/read/test_layout_corpus.py`` holds every document to its recorded baseline.

What is measured, per document (block texts are compared by :func:`key`: markup,
Markdown syntax and whitespace left out, so only the cut and the kind count):

- **body F1**: the body blocks (kinds :data:`BODY_KINDS`) of the gold and of the
  tool, as two multisets of keys; a tool body block is right when the gold has a
  body block with the same key (each gold block matched once). Precision is the
  right ones over the tool's body blocks, recall over the gold's, F1 their
  harmonic mean (1.0 when neither has a body block). A paragraph cut in two, two
  glued together or a caption glued into one are all wrong blocks.
- **captions and footnotes separated**: gold captions and footnotes that the tool
  gives as a block of their own, with the same key, of kind caption or footnote.
- **headings**: gold headings and titles the tool gives as a heading or title.
- **list items kept apart**: gold list items the tool gives as a block of their own
  (kind list_item, paragraph or heading: the cut counts, not the styling).
- **boilerplate kept**: gold ``drop:boilerplate`` blocks the tool did not leave out
  (their key is not inside the tool's left-out text); **furniture kept** likewise
  for ``drop:page-furniture``.
- **wrongly dropped**: gold blocks to keep that no tool block has and whose key is
  inside the tool's left-out text (boilerplate or page furniture: a rule that
  drops real text).
- **characters lost**: characters of the source (markup and whitespace aside) that
  are neither in a block nor in what was left out (a multiset difference).
"""

from __future__ import annotations

import html
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import regex

from pipeline.core.errors import DuizhaoError
from pipeline.core.model import Document

#: Kinds whose blocks are the body text of a document.
BODY_KINDS = frozenset({"paragraph", "list_item", "quote"})
GOLD_KINDS = frozenset({
    "title", "subtitle", "byline", "heading", "paragraph", "caption", "footnote", "image", "list_item", "quote",
    "table", "code", "front_matter", "drop:boilerplate", "drop:page-furniture", "drop:duplicate",
})
SUFFIXES = (".txt", ".md")

_IMAGE = regex.compile(r"\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)|!\[[^\]]*\]\([^)]*\)")
_LINK_TAIL = regex.compile(r"\]\((?:[^()]|\([^)]*\))*\)")
_TAG = regex.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", regex.S)
_SYNTAX = regex.compile(r"[\s#*_>`\[\]()\-|\\~^=]")
#: Markdown syntax at the start of a line: container and list markers, a footnote's label.
_LINE_SYNTAX = regex.compile(r"^(?:[ \t]*(?:>|[-*+](?=\s)|\d{1,9}[.)](?=\s)))*[ \t]*(?:\[\^[^\]]+\]:)?")
#: A heading's attribute list: {#id .class}.
_HEADING_ATTRS = regex.compile(r"^(\s{0,3}#.*?)[ \t]+\{[^{}]*\}[ \t]*$")
#: Lines that are syntax only: a fence (with its info string), a table's delimiter row.
_SYNTAX_LINE = regex.compile(r"^[ \t>]*(?:```|~~~).*$|^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")


class GoldError(DuizhaoError):
    """A gold file that cannot be read: its file, line and what is wrong."""


@dataclass(frozen=True)
class GoldBlock:
    kind: str
    text: str
    line: int  # in the gold file


def key(text: str) -> str:
    """A block's text as compared: entities decoded, images, link targets, tags,
    Markdown syntax characters and whitespace left out (applied to both sides)."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    text = _TAG.sub("", _LINK_TAIL.sub("]", _IMAGE.sub("", text)))
    return _SYNTAX.sub("", text)


def visible(source: str, markdown: bool) -> str:
    """The characters of a source a reader sees (for Markdown, its syntax left
    out), as :func:`key` compares them."""
    if markdown:
        source = "\n".join(_LINE_SYNTAX.sub("", _HEADING_ATTRS.sub(r"\1", line)) for line in source.split("\n")
                           if not _SYNTAX_LINE.match(line))
    return key(source)


def read_gold(path: Path) -> list[GoldBlock]:
    """The gold blocks of ``path``, in order."""
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines[0] != "kind\ttext":
        raise GoldError(f"{path}:1: the first line must be 'kind<TAB>text'")
    blocks = []
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        kind, tab, text = line.partition("\t")
        if not tab or kind not in GOLD_KINDS or not text.strip():
            raise GoldError(f"{path}:{number}: expected a kind ({', '.join(sorted(GOLD_KINDS))}), a tab and the text")
        blocks.append(GoldBlock(kind, text, number))
    return blocks


@dataclass(frozen=True)
class CorpusDocument:
    shape: str
    source: Path
    gold: Path

    @property
    def name(self) -> str:
        return f"{self.shape}/{self.source.stem}"


def corpus_documents(root: Path) -> list[CorpusDocument]:
    """Every document under ``root`` that has a gold file, by shape and name."""
    found = []
    for gold in sorted(root.glob("*/*.gold.tsv")):
        stem = gold.name.removesuffix(".gold.tsv")
        sources = [gold.with_name(stem + suffix) for suffix in SUFFIXES if gold.with_name(stem + suffix).exists()]
        if len(sources) != 1:
            raise GoldError(f"{gold}: expected one source beside it ({stem}.txt or {stem}.md), found {len(sources)}")
        found.append(CorpusDocument(gold.parent.name, sources[0], gold))
    return found


@dataclass
class Score:
    """One document's (or a shape's pooled) counts; see the module's docstring."""

    body_right: int = 0
    body_tool: int = 0
    body_gold: int = 0
    notes_separated: int = 0
    notes: int = 0
    headings_kept: int = 0
    headings: int = 0
    items_apart: int = 0
    items: int = 0
    boilerplate_kept: int = 0
    boilerplate: int = 0
    furniture_kept: int = 0
    furniture: int = 0
    wrongly_dropped: int = 0
    chars_lost: int = 0
    #: The gold blocks missed, for a diagnosis (not pooled).
    misses: list[str] = field(default_factory=list, repr=False)

    @property
    def body_f1(self) -> float:
        if not self.body_tool and not self.body_gold:
            return 1.0
        if not self.body_right:
            return 0.0
        precision, recall = self.body_right / self.body_tool, self.body_right / self.body_gold
        return 2 * precision * recall / (precision + recall)

    def add(self, other: Score) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> dict[str, float | int]:
        """What the baseline records: the F1 and the counts."""
        data = {name: value for name, value in asdict(self).items() if name != "misses"}
        data["body_f1"] = round(self.body_f1, 4)
        return data


COUNTS = tuple(name for name in Score.__dataclass_fields__ if name != "misses")


def _matched(gold: list[str], tool: list[str]) -> int:
    """How many of ``gold`` have a partner in ``tool`` (each used once)."""
    return sum((Counter(gold) & Counter(tool)).values())


def score_document(document: Document, gold: list[GoldBlock], source_text: str, markdown: bool) -> Score:
    """The scores of one segmented ``document`` against its ``gold``."""
    score = Score()
    blocks = [(b.kind, key(b.text)) for b in document.blocks]
    left_out = "".join(key(d.text) for d in document.dropped if d.reason in ("boilerplate", "page-furniture"))
    gold_keys = [(g.kind, key(g.text), g) for g in gold]

    def count(gold_kinds: set[str], tool_kinds: set[str]) -> tuple[int, int]:
        wanted = [k for kind, k, _ in gold_keys if kind in gold_kinds and k]
        offered = [k for kind, k in blocks if kind in tool_kinds]
        have = Counter(offered)
        for kind, k, g in gold_keys:
            if kind in gold_kinds and k:
                if have[k]:
                    have[k] -= 1
                else:
                    score.misses.append(f"{g.kind} (gold line {g.line}): {g.text[:60]}")
        return _matched(wanted, offered), len(wanted)

    body_gold = [k for kind, k, _ in gold_keys if kind in BODY_KINDS and k]
    body_tool = [k for kind, k in blocks if kind in BODY_KINDS and k]
    score.body_right, score.body_tool, score.body_gold = _matched(body_gold, body_tool), len(body_tool), len(body_gold)
    score.notes_separated, score.notes = count({"caption", "footnote"}, {"caption", "footnote"})
    score.headings_kept, score.headings = count({"heading", "title"}, {"heading", "title"})
    score.items_apart, score.items = count({"list_item"}, {"list_item", "paragraph", "heading"})
    for reason, field_name in (("drop:boilerplate", "boilerplate"), ("drop:page-furniture", "furniture")):
        wanted = [(k, g) for kind, k, g in gold_keys if kind == reason and k]
        kept = [g for k, g in wanted if k not in left_out]
        setattr(score, field_name, len(wanted))
        setattr(score, field_name + "_kept", len(kept))
        score.misses += [f"{g.kind} kept (gold line {g.line}): {g.text[:60]}" for g in kept]
    unmatched = Counter(k for _, k in blocks)
    wrong = []
    for kind, k, g in gold_keys:
        if kind.startswith("drop:") or len(k) < 2:
            continue
        if unmatched[k]:
            unmatched[k] -= 1
        elif k in left_out:
            wrong.append(g)
    score.wrongly_dropped = len(wrong)
    score.misses += [f"{g.kind} dropped (gold line {g.line}): {g.text[:60]}" for g in wrong]
    out = Counter(key("".join([*(b.text for b in document.blocks), *(d.text for d in document.dropped)])))
    score.chars_lost = sum((Counter(visible(source_text, markdown)) - out).values())
    return score
