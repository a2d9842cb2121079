"""Translation: sentences to English through the cache and an engine.
:mod:`.documents` is the stage for whole documents, :mod:`.enforce` keeps the
glossary through it, :mod:`.texts` deduplicates, caches and batches, :mod:`.cache`
is the SQLite translation cache, :mod:`.engines` the engines and
:mod:`.packages` the Argos model packages."""

from pipeline.core.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "cache": ["TranslationCache"],
    "documents": ["translate_document", "translate_documents"],
    "texts": ["Backend", "TranslateStats", "Translator"],
})
