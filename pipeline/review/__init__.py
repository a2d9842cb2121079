"""Review: :mod:`.qa` checks the English and raises flags, :mod:`.edits` keeps
the reviewer's post-edits and resolved flags, :mod:`.report` words what a run
found, :mod:`.evaluate` scores engines against references."""

from pipeline.core.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "edits": ["apply_edits", "apply_resolved", "edits_path", "read_edits"],
    "qa": ["check_document", "review_counts"],
})
