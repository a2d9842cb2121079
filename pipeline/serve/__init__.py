"""Front ends that keep running: :mod:`.server` serves the output folder on
127.0.0.1, :mod:`.watch` runs the pipeline again whenever an input changes, and
:mod:`.review` serves the live review workspace (:mod:`.workspace`)."""

from pipeline.core.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {"server": ["ReaderServer"], "watch": ["watch"],
                                                 "workspace": ["Workspace"], "review": ["ReviewServer"]})
