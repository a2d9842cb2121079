"""Reading: a source file becomes a :class:`~pipeline.core.model.Document` of
blocks and sentences. :mod:`.source` decodes the bytes, :mod:`.markdown` and
:mod:`.pieces` cut them into pieces, :mod:`.layout` repairs the layout,
:mod:`.blocks` and :mod:`.sentences` make the blocks and their sentences;
:mod:`.dictionary` holds the words, pinyin and dictionary the stages share."""

from pipeline.core.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "formats": ["ReadOptions", "SOURCE_FORMATS", "SOURCE_SUFFIXES", "load_document", "source_format"],
    "layout": ["segment"],
    "source": ["read_source"],
})
