"""Compiled templates are kept between processes (pipeline.render.assets.bytecode_cache)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import jinja2
import pytest

from pipeline.core.model import Block, Document, Sentence
from pipeline.render import assets
from pipeline.render.reader import render

NOW = datetime(2026, 12, 1, 12, 0)


def document() -> Document:
    sentence = Sentence("台州很美。", "台州很美。", translation="Taizhou is beautiful.")
    return Document(source="sources/t.txt", encoding="utf-8", script="simplified",
                    blocks=[Block("p1", "paragraph", sentence.text, sentence.text, [1], [sentence])],
                    signature='{"engine":"argos"}', stats={"sentences": 1})


@pytest.fixture
def template_cache(tmp_path, monkeypatch) -> Path:
    """A fresh process's view: the environment built anew, the cache beside DUIZHAO_CACHE."""
    monkeypatch.setenv("DUIZHAO_CACHE", str(tmp_path / "cache" / "translations.sqlite3"))
    assets.environment.cache_clear()
    yield tmp_path / "cache" / "templates"
    assets.environment.cache_clear()


def fresh_render() -> str:
    assets.environment.cache_clear()
    return render(document(), now=NOW)


def test_a_new_process_loads_the_compiled_template_instead_of_compiling(template_cache, monkeypatch):
    first = fresh_render()
    assert any(template_cache.iterdir())

    def no_compile(*args, **kwargs):
        raise AssertionError("the template was compiled again")

    monkeypatch.setattr(jinja2.Environment, "compile", no_compile)
    assert fresh_render() == first


def test_an_edited_template_is_compiled_afresh(template_cache, monkeypatch):
    fresh_render()
    compiled = []
    original = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, *a, **k: compiled.append(1) or original(self, *a, **k))
    monkeypatch.setattr(jinja2.PackageLoader, "get_source",
                        lambda self, env, name: (jinja2.FileSystemLoader(
                            str(Path(assets.__file__).parent / "templates")).get_source(env, name)[0]
                            + "\n{# edited #}", None, lambda: False))
    fresh_render()
    assert compiled


def test_damaged_or_unwritable_template_cache_costs_only_the_compile(template_cache):
    expected = fresh_render()
    for path in template_cache.iterdir():
        path.write_bytes(path.read_bytes()[:40])  # right header, cut-off code
    assert fresh_render() == expected
    for path in template_cache.iterdir():
        path.unlink()
    template_cache.rmdir()
    template_cache.write_text("a file where the folder should be")
    assert fresh_render() == expected
    os.unlink(template_cache)
