"""A long document's blocks kept on disk, so a run holds one window of them.

A document read in parts (a book's chapters, a long PDF's pages) goes through
translation and review a part at a time (:mod:`pipeline.review.parts`); each
part's finished blocks are appended to a :class:`BlockSpill` and let go. The
writers then read the document through it: a :class:`BlockSpill` is a sequence
of blocks like the list a short document keeps, each block read back from disk
when it is asked for and dropped when the caller lets it go, so iterating over
the blocks takes the memory of one block.

The file is an anonymous temporary file (gone when the spill is closed or the
process ends, even when killed), written and read only by this process: each
block is pickled, as the standard library's multiprocessing does across
processes. What becomes known about a block only when the whole document is
(a flag that compares it with the document's other sentences) is added with
:meth:`BlockSpill.amend`, applied each time the block is read.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import overload

from pipeline.core.model import Block


class BlockSpill(Sequence[Block]):
    """Blocks appended in order and read back by position (see the module docstring)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="duizhao-blocks-")
        # Closed when the spill is let go (the document written, or failed), or by close().
        self._closer = weakref.finalize(self, self._file.close)
        self._ends = array("q")
        self._amends: dict[int, list[Callable[[Block], None]]] = {}

    def extend(self, blocks: Iterable[Block]) -> None:
        """Append ``blocks`` (they may be let go afterwards: the spill holds copies)."""
        for block in blocks:
            data = pickle.dumps(block, pickle.HIGHEST_PROTOCOL)
            self._file.write(data)
            self._ends.append((self._ends[-1] if self._ends else 0) + len(data))
        self._file.flush()

    def amend(self, index: int, change: Callable[[Block], None]) -> None:
        """Apply ``change`` to block ``index`` each time it is read."""
        self._amends.setdefault(index, []).append(change)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> Block: ...

    @overload
    def __getitem__(self, index: slice) -> list[Block]: ...

    def __getitem__(self, index: int | slice) -> Block | list[Block]:
        if isinstance(index, slice):
            return [self._read(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("block index out of range")
        return self._read(index)

    def __iter__(self) -> Iterator[Block]:
        return (self._read(i) for i in range(len(self)))

    def _read(self, index: int) -> Block:
        start = self._ends[index - 1] if index else 0
        block: Block = pickle.loads(os.pread(self._file.fileno(), self._ends[index] - start, start))
        for change in self._amends.get(index, ()):
            change(block)
        return block

    def close(self) -> None:
        self._closer()

    def __reduce__(self):  # a spill is this process's own file: other processes get the blocks
        return list, (list(self),)
