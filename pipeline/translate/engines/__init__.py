"""Translation engines. :mod:`.base` holds the :class:`Engine` protocol, the
requests an LLM is given and the name → engine table; :mod:`.argos`,
:mod:`.ctranslate2` (on :mod:`.seq2seq`) and :mod:`.openai` are the engines;
:mod:`.settings` builds the engine in force from the project's settings."""

from pipeline.core.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "pipeline.core.decoding": ["DecodeOptions"],
    "base": ["BrokenPackageError", "Engine", "EngineError", "Failed", "Request", "asking_again", "attach_finished",
             "create_engine", "engine_names", "finished_of", "glossary_mode", "request_counts",
             "signature_string", "token_counts"],
})
