"""Layout repair: a decoded source → a :class:`~pipeline.model.Document` of blocks.

Real sources are text pulled out of newspaper pages and web CMSs. The steps, in order:

1. cut the text into non-blank lines (*pieces*), each remembering its line number;
2. classify every piece: title, byline, heading, paragraph or caption, from its
   shape and its neighbours (photo credits, short picture names, two-phrase heads);
3. drop blocks, or runs of blocks, that repeat earlier ones (a truncated copy too);
4. join body paragraphs broken across a page or column: a paragraph that ends
   without sentence-final punctuation continues in the next body paragraph, even
   with photo captions standing between the halves (they move after it);
5. drop duplicates again (a copy broken at different places only shows now);
6. cut every block into sentences and flag damage (U+FFFD, stray Latin words).

Nothing is lost: every non-whitespace character of the input ends up in a block or
in ``Document.dropped``, and each block lists the source lines it was built from.
"""

from __future__ import annotations

import bisect
import sys
from dataclasses import dataclass, field

import regex

from pipeline.model import Block, Document, Dropped, Flag, Sentence
from pipeline.sentences import split_sentences
from pipeline.source import SourceText, to_simplified

#: Sentence-final marks, full-width and the ASCII forms used in Chinese text.
FINAL_MARKS = "。！？!?…"
#: Closing quotes and brackets that may follow a final mark.
CLOSERS = "”’」』）)》〉】]\"'"
#: A body paragraph ending on one of these continues in the next one.
CONTINUING_MARKS = "，,、：:；;“‘「『（(《〈【—-"

#: Lines longer than this are never headings, bylines or picture names.
MAX_HEADING_CHARS = 30
MAX_PICTURE_NAME_CHARS = 15
MAX_CAPTION_CHARS = 80
#: A repeated block this long is a duplicate on its own; shorter ones only in a run.
MIN_DUPLICATE_CHARS = 20
MIN_TRUNCATED_CHARS = 6

_CREDIT = regex.compile(
    r"""(?x)
    (?:^|[\s(（》”])(?:[\p{Han}]{0,8}记者\s*)?[\p{Han}·]{2,5}(?:\s+[\p{Han}·]{2,4})*\s*摄\s*[)）]?$
    | 供图\s*[)）]?$
    | (?:效果图|示意图|资料图|资料图片|航拍图|规划图|设计图|鸟瞰图)\s*[)）]?$
    | ^[(（]?(?:摄影|图片来源|图源|图|图片)\s*[:：/／]
    | ^图为
    """
)
_LABEL = regex.compile(r"^[\p{Han}\p{L}\p{N}\s·“”‘’「」《》\"'+\-]+$")
_BYLINE = regex.compile(
    r"^(?:(?:本报|本刊|特约)?(?:记者|通讯员|作者|文|撰文|编辑)\s*[:：/／]?\s*)?"
    r"[\p{Han}·]{1,4}(?:[\s、，,]+[\p{Han}·]{1,4}){0,4}$"
)
_STRAY_LATIN = regex.compile(r"(?<=[\p{Han}\p{P}]\s*)\b[a-z]{2,}\b(?=\s*[\p{Han}\p{N}])")
_SPACE = regex.compile(r"\s+")


@dataclass
class _Piece:
    """A run of source text on its way to becoming a block."""

    text: str
    lines: list[int]
    kind: str = "paragraph"
    captions_after: list[_Piece] = field(default_factory=list)

    @property
    def key(self) -> str:
        return _SPACE.sub("", self.text)


def segment(source: SourceText) -> Document:
    """Repair the layout of ``source`` and cut it into blocks and sentences."""
    if source.format == "markdown":
        from pipeline.markdown_source import markdown_pieces

        pieces = [_Piece(text, lines, kind) for text, lines, kind in markdown_pieces(source.text)]
        dropped: list[tuple[_Piece, _Piece]] = []
    else:
        pieces = classify(text_pieces(source.text))
        pieces, dropped = drop_duplicates(pieces)
        pieces = join_broken_paragraphs(pieces)
        pieces, dropped_joined = drop_duplicates(pieces)
        dropped += dropped_joined
    return _document(source, pieces, dropped)


def text_pieces(text: str) -> list[_Piece]:
    """Non-blank lines, stripped, with their 1-based line numbers."""
    return [
        _Piece(line.strip(), [number])
        for number, line in enumerate(text.split("\n"), start=1)
        if line.strip()
    ]


def is_unfinished(text: str) -> bool:
    """True when a body paragraph ends mid-sentence: on a comma, 、, colon, an open
    quotation or bracket, or in the middle of a word. A closing quotation or a
    sentence-final mark ends it."""
    text = text.rstrip()
    if not text:
        return False
    last = text[-1]
    return last in CONTINUING_MARKS or last.isalnum()


def classify(pieces: list[_Piece]) -> list[_Piece]:
    """Give every piece its kind from its shape and its neighbours."""
    for piece in pieces:
        if len(piece.text) <= MAX_CAPTION_CHARS and _CREDIT.search(piece.text):
            piece.kind = "caption"
    if pieces and pieces[0].kind != "caption" and _looks_like_title(pieces[0].text):
        pieces[0].kind = "title"
        if len(pieces) > 1 and _BYLINE.match(pieces[1].text) and len(pieces[1].text) <= 20:
            pieces[1].kind = "byline"

    labels = [
        i for i, p in enumerate(pieces)
        if p.kind == "paragraph" and _is_label(p.text)
    ]
    for i in labels:
        pieces[i].kind = "heading" if _is_two_phrase_heading(pieces[i].text) else "label"
    # A short label next to a caption, at the very end, or standing between the
    # halves of a broken paragraph names a picture; a label next to a picture name
    # is one too, so a chain of picture names next to one credit is found.
    inside = _inside_broken_paragraphs(pieces)
    pending = [
        i for i in labels
        if _is_picture_name(pieces[i]) and (_next_to_caption(pieces, i) or i == len(pieces) - 1 or inside[i])
    ]
    while pending:
        i = pending.pop()
        if pieces[i].kind != "label":
            continue
        pieces[i].kind = "caption"
        pending.extend(j for j in (i - 1, i + 1) if 0 <= j < len(pieces) and _is_picture_name(pieces[j]))
    for piece in pieces:
        if piece.kind == "label":
            piece.kind = "heading"
    return pieces


def _looks_like_title(text: str) -> bool:
    return len(text) <= 50 and not text.endswith("。")


def _is_label(text: str) -> bool:
    """Short, no sentence punctuation: a heading or a picture name."""
    return (
        len(text) <= MAX_HEADING_CHARS
        and bool(_LABEL.match(text))
        and all(text.count(a) == text.count(b) for a, b in ("“”", "‘’", "《》", "「」"))
    )


def _is_two_phrase_heading(text: str) -> bool:
    parts = text.split()
    return len(parts) >= 2 and all(len(p) >= 3 for p in parts) and len(text) >= 8


def _is_picture_name(piece: _Piece) -> bool:
    return piece.kind == "label" and len(piece.text) <= MAX_PICTURE_NAME_CHARS


def _next_to_caption(pieces: list[_Piece], i: int) -> bool:
    return any(0 <= j < len(pieces) and pieces[j].kind == "caption" for j in (i - 1, i + 1))


def _inside_broken_paragraphs(pieces: list[_Piece]) -> list[bool]:
    """For every piece: the nearest body piece before it (captions and labels
    skipped) is an unfinished paragraph and the nearest one after it a paragraph."""
    body = [p.kind not in ("caption", "label") for p in pieces]
    before: list[_Piece | None] = []
    last = None
    for piece, is_body in zip(pieces, body):
        before.append(last)
        if is_body:
            last = piece
    inside = [False] * len(pieces)
    after = None
    for i in range(len(pieces) - 1, -1, -1):
        previous = before[i]
        inside[i] = (
            previous is not None and previous.kind == "paragraph" and is_unfinished(previous.text)
            and after is not None and after.kind == "paragraph"
        )
        if body[i]:
            after = pieces[i]
    return inside


def join_broken_paragraphs(pieces: list[_Piece]) -> list[_Piece]:
    """Join a paragraph that ends mid-sentence with the next body paragraph,
    skipping the captions between them (they are put right after the joined one)."""
    out: list[_Piece] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        i += 1
        if piece.kind != "paragraph":
            out.append(piece)
            continue
        parts, lines, between = [piece.text], list(piece.lines), []
        while is_unfinished(parts[-1]):
            j = i
            while j < len(pieces) and pieces[j].kind == "caption":
                j += 1
            if j == len(pieces) or pieces[j].kind != "paragraph":
                break
            between.extend(pieces[i:j])
            following = pieces[j]
            parts += [joiner(parts[-1], following.text), following.text]
            lines += following.lines
            i = j + 1
        out.append(piece if len(parts) == 1 else _Piece("".join(parts), lines))
        out.extend(between)
    return out


def joiner(left: str, right: str) -> str:
    """Chinese joins with nothing; two Latin words or numbers need a space."""
    return " " if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum() else ""


def drop_duplicates(pieces: list[_Piece]) -> tuple[list[_Piece], list[tuple[_Piece, _Piece]]]:
    """Keep the first copy of a repeated block or run of blocks.

    A piece repeats an earlier one when its text (whitespace ignored) is the same,
    or is the beginning or end of it (a truncated copy). Long pieces are dropped on
    their own; short ones (a one-line lead such as 激发创新活力。 may recur on
    purpose) only as part of a run that repeats consecutive earlier pieces.
    Returns the kept pieces and ``(dropped, original)`` pairs.

    Near-linear: exact copies are found by hashing, truncated ones in sorted
    indexes of the keys and of the reversed keys (:class:`_AffixIndex`), and runs
    are measured in one pass.
    """
    match = _earlier_copies(pieces)  # index of the earlier piece each one repeats
    run_chars = _run_chars(pieces, match)
    kept: list[_Piece] = []
    dropped: list[tuple[_Piece, _Piece]] = []
    kept_copy: list[int | None] = [None] * len(pieces)  # for a dropped piece: the copy kept
    for i, piece in enumerate(pieces):
        j = match[i]
        if j is not None and (len(piece.key) >= MIN_DUPLICATE_CHARS or run_chars[i] >= MIN_DUPLICATE_CHARS):
            j = kept_copy[j] if kept_copy[j] is not None else j
            kept_copy[i] = j
            dropped.append((piece, pieces[j]))
        else:
            kept.append(piece)
    return kept, dropped


def _earlier_copies(pieces: list[_Piece]) -> list[int | None]:
    """For every piece, the first earlier piece it copies: the same key, or (same
    kind, at least :data:`MIN_TRUNCATED_CHARS`) the start or end of a longer key."""
    keys = [p.key for p in pieces]
    starts = _AffixIndex(keys, pieces)
    ends = _AffixIndex([k[::-1] for k in keys], pieces)
    first_seen: dict[str, int] = {}
    match: list[int | None] = []
    for i, key in enumerate(keys):
        if key in first_seen:
            match.append(first_seen[key])
            continue
        first_seen[key] = i
        if len(key) < MIN_TRUNCATED_CHARS:
            match.append(None)
            continue
        found = [j for j in (starts.first_extending(i), ends.first_extending(i)) if j is not None]
        match.append(min(found) if found else None)
    return match


class _AffixIndex:
    """Which earlier piece of the same kind has a key that extends a given piece's key.

    The keys of each kind are sorted once; the keys that start with ``k`` and are
    longer form one range of that order, and a sparse table gives the smallest
    piece index in any range in constant time.
    """

    def __init__(self, keys: list[str], pieces: list[_Piece]):
        self.keys = keys
        self.kinds = [p.kind for p in pieces]
        self.sorted: dict[str, list[str]] = {}
        self.table: dict[str, list[list[int]]] = {}
        by_kind: dict[str, list[int]] = {}
        for i, kind in enumerate(self.kinds):
            by_kind.setdefault(kind, []).append(i)
        for kind, indices in by_kind.items():
            indices.sort(key=keys.__getitem__)
            self.sorted[kind] = [keys[i] for i in indices]
            levels = [indices]
            while 2 ** len(levels) <= len(indices):
                previous, step = levels[-1], 2 ** (len(levels) - 1)
                levels.append(list(map(min, previous, previous[step:])))
            self.table[kind] = levels

    def first_extending(self, i: int) -> int | None:
        """The smallest ``j < i`` whose key starts with ``keys[i]`` and is longer."""
        key, kind = self.keys[i], self.kinds[i]
        order = self.sorted[kind]
        low = bisect.bisect_right(order, key)  # equal keys sort first: skip them
        following = _successor(key)
        high = len(order) if following is None else bisect.bisect_left(order, following, low)
        if low >= high:
            return None
        levels = self.table[kind]
        level = (high - low).bit_length() - 1
        j = min(levels[level][low], levels[level][high - 2 ** level])
        return j if j < i else None


def _successor(key: str) -> str | None:
    """The least string greater than every string that starts with ``key``."""
    key = key.rstrip(chr(sys.maxunicode))
    return key[:-1] + chr(ord(key[-1]) + 1) if key else None


def _run_chars(pieces: list[_Piece], match: list[int | None]) -> list[int]:
    """For every piece, the characters of the run of two or more consecutive pieces
    it belongs to that repeat consecutive earlier pieces (0 outside such a run)."""
    chars = [0] * len(pieces)
    start = 0
    for end in range(1, len(pieces) + 1):
        if end < len(pieces) and match[end] is not None and match[end - 1] is not None \
                and match[end] == match[end - 1] + 1:
            continue
        if end - start >= 2:
            total = sum(len(pieces[k].key) for k in range(start, end))
            chars[start:end] = [total] * (end - start)
        start = end
    return chars


def _document(source: SourceText, pieces: list[_Piece], dropped) -> Document:
    blocks: list[Block] = []
    block_of_line: dict[int, str] = {}
    for number, piece in enumerate(pieces, start=1):
        block_id = f"p{number}"
        simplified = to_simplified(piece.text, source.script)
        block = Block(block_id, piece.kind, piece.text, simplified, piece.lines)
        if block.translatable:
            block.sentences = [
                Sentence(text, to_simplified(text, source.script))
                for text in split_sentences(piece.text)
            ]
        block.flags = block_flags(piece, repaired=source.format == "text")
        blocks.append(block)
        for line in piece.lines:
            block_of_line[line] = block_id
    block_by_id = {block.id: block for block in blocks}
    report = []
    for piece, original in dropped:
        kept = block_by_id[block_of_line[original.lines[0]]]
        # Judge against the block as finally kept: a copy of one half of a
        # paragraph that was joined later is a truncated copy of that paragraph.
        same = piece.key == _SPACE.sub("", kept.text)
        report.append(Dropped(piece.text, piece.lines, kept.id, "duplicate" if same else "truncated duplicate"))
    return Document(str(source.path), source.encoding, source.script, blocks, report)


def block_flags(piece: _Piece, repaired: bool) -> list[Flag]:
    """Damage a reviewer should see: lost characters, stray Latin words, repairs."""
    flags = []
    if "\ufffd" in piece.text:
        flags.append(Flag(
            "replacement-char",
            "contains U+FFFD (a character was lost before this file was made); check the original",
        ))
    stray = _STRAY_LATIN.findall(piece.text)
    if stray:
        flags.append(Flag(
            "stray-latin",
            "Latin word(s) inside Chinese text, probably damage: " + ", ".join(dict.fromkeys(stray)),
        ))
    if repaired and len(piece.lines) > 1:
        flags.append(Flag(
            "joined",
            "joined from lines " + ", ".join(map(str, piece.lines)) + " (broken across a page or column)",
            severity="info",
        ))
    return flags
