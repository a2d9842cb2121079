"""Duplicates: a block, or a run of blocks, that repeats earlier ones (a copy cut
short too) is kept once; what was dropped is reported with the copy kept."""

from __future__ import annotations

import bisect
import sys

from pipeline.core.model import VERBATIM_KINDS
from pipeline.read.pieces import Piece, in_front_matter

#: A repeated block this long is a duplicate on its own; shorter ones only in a run.
MIN_DUPLICATE_CHARS = 20
MIN_TRUNCATED_CHARS = 6
#: Kinds never dropped as duplicates (code and tables may repeat on purpose).
NEVER_DROPPED = VERBATIM_KINDS | {"table"}


def drop_duplicates(pieces: list[Piece]) -> tuple[list[Piece], list[tuple[Piece, Piece]]]:
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
    kept: list[Piece] = []
    dropped: list[tuple[Piece, Piece]] = []
    kept_copy: list[int | None] = [None] * len(pieces)  # for a dropped piece: the copy kept
    continued = _continuations(pieces)
    for i, piece in enumerate(pieces):
        j = match[i]
        if j is not None and i not in continued and \
                (len(piece.key) >= MIN_DUPLICATE_CHARS or run_chars[i] >= MIN_DUPLICATE_CHARS):
            j = kept_copy[j] if kept_copy[j] is not None else j
            kept_copy[i] = j
            dropped.append((piece, pieces[j]))
        else:
            kept.append(piece)
    return kept, dropped


def _continuations(pieces: list[Piece]) -> set[int]:
    """The pieces that go on from the paragraph before them (footnotes between
    them passed over), as a page's geometry says (:attr:`Piece.open_end`): half a
    paragraph, never a copy on its own (the whole is judged once they are joined)."""
    out: set[int] = set()
    before: Piece | None = None
    for i, piece in enumerate(pieces):
        if piece.kind == "footnote":
            continue
        if before is not None and before.open_end:
            out.add(i)
        before = piece
    return out


def _earlier_copies(pieces: list[Piece]) -> list[int | None]:
    """For every piece, the first earlier piece it copies: the same key, or (same
    kind, at least :data:`MIN_TRUNCATED_CHARS`) the start or end of a longer key."""
    keys = [p.key for p in pieces]
    starts = _AffixIndex(keys, pieces)
    ends = _AffixIndex([k[::-1] for k in keys], pieces)
    first_seen: dict[str, int] = {}
    match: list[int | None] = []
    for i, key in enumerate(keys):
        if pieces[i].kind in NEVER_DROPPED or in_front_matter(pieces[i]):
            match.append(None)
            continue
        if key in first_seen:
            match.append(first_seen[key])
            continue
        first_seen[key] = i
        if len(key) < MIN_TRUNCATED_CHARS or pieces[i].kind == "caption":  # two pictures' captions may start alike
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

    def __init__(self, keys: list[str], pieces: list[Piece]):
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


def _run_chars(pieces: list[Piece], match: list[int | None]) -> list[int]:
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
