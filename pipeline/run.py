"""The stages in order, top to bottom.

1. read the source (:mod:`pipeline.source`): bytes → NFC text, encoding, script;
2. repair the layout into blocks and cut sentences (:mod:`pipeline.segment`).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.model import Document
from pipeline.segment import segment
from pipeline.source import read_source


def load_document(path: str | Path) -> Document:
    """Read ``path`` and cut it into blocks and sentences (nothing translated yet)."""
    return segment(read_source(path))
