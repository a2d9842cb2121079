"""The engine's dependencies stay light: Argos without stanza and torch."""

from __future__ import annotations

import importlib.metadata
import importlib.util


def test_argostranslate_comes_from_the_light_distribution():
    requires = importlib.metadata.requires("duizhao") or []
    assert any(r.startswith("argos-translate-lt") for r in requires)
    assert importlib.util.find_spec("argostranslate") is not None


def test_torch_and_stanza_are_not_installed():
    assert importlib.util.find_spec("torch") is None
    assert importlib.util.find_spec("stanza") is None
