"""Translation: sentences to English through the cache and an engine.
:mod:`.documents` is the stage for whole documents, :mod:`.enforce` keeps the
glossary through it, :mod:`.texts` deduplicates, caches and batches, :mod:`.cache`
is the SQLite translation cache, :mod:`.engines` the engines and
:mod:`.packages` the Argos model packages."""

from pipeline.translate.cache import TranslationCache
from pipeline.translate.documents import translate_document, translate_documents
from pipeline.translate.texts import Backend, TranslateStats, Translator

__all__ = ["Backend", "TranslateStats", "TranslationCache", "Translator", "translate_document", "translate_documents"]
