"""Glossary terms: :mod:`.glossary` loads, checks and matches the project's terms
and masks them for the engine, :mod:`.termbase` imports and exports TBX and CSV,
:mod:`.suggest` finds candidate terms in a corpus."""

from pipeline.core.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "glossary": ["Glossary", "GlossaryError", "default_files", "glossary_files", "load_glossaries"],
})
