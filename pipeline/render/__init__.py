"""Renderers of a translated :class:`~pipeline.core.model.Document`."""
