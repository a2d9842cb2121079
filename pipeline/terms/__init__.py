"""Glossary terms: :mod:`.glossary` loads, checks and matches the project's terms
and masks them for the engine, :mod:`.termbase` imports and exports TBX and CSV,
:mod:`.suggest` finds candidate terms in a corpus."""

from pipeline.terms.glossary import Glossary, GlossaryError, load_glossaries

__all__ = ["Glossary", "GlossaryError", "load_glossaries"]
