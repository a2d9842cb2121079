"""The parallel-text reader page: :mod:`.page` renders it from :mod:`.views` (rows,
sentence pairs, terms, flags), :mod:`.chinese` (the page's Chinese in both scripts,
glossary notes), :mod:`.aids` (words, pinyin, dictionary) and :mod:`.markup`."""

from pipeline.core.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "page": ["render"],
    "chinese": ["Conversion", "chinese_marked", "note_html"],
})
