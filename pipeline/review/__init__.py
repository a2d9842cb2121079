"""Review: :mod:`.qa` checks the English and raises flags, :mod:`.edits` keeps
the reviewer's post-edits, resolved flags and approvals, :mod:`.memory` is the
project translation memory (:mod:`.memory_tmx` its TMX), :mod:`.report` words what
a run found, :mod:`.evaluate` scores engines against references."""

from pipeline.core.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "edits": ["apply_edits", "apply_resolved", "apply_status", "edits_path", "read_edits"],
    "memory": ["TranslationMemory"],
    "qa": ["check_document", "review_counts"],
})
