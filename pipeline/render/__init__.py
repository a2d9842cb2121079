"""Renderers of a translated :class:`~pipeline.model.Document`."""
