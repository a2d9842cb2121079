"""`duizhao run` end to end, on a genuine (generated) Argos package."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from pipeline.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_run_translates_every_sentence_and_writes_json_and_html(installed, seed_path, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", seed_path, "-o", out, "--offline", "--cache", tmp_path / "c.sqlite3")
    assert result.exit_code == 0, result.output
    data = json.loads((out / "taizhou.json").read_text(encoding="utf-8"))
    sentences = [s for b in data["blocks"] for s in b["sentences"]]
    assert len(sentences) == 130
    assert all(s["translation"].strip() for s in sentences)
    assert data["schema_version"] == 1 and data["encoding"] == "utf-8"
    assert '"package_version":"1.0"' in data["signature"]
    assert data["stats"]["sentences"] == 130
    assert data["stats"]["translated"] > 100 and data["stats"]["cached"] == 0
    html = (out / "taizhou.html").read_text(encoding="utf-8")
    assert "大麦屿港" in html and sentences[5]["translation"].split()[0] in html
    assert result.output.strip().splitlines()[-1].startswith(
        f"130 sentences: {data['stats']['translated']} translated, 0 from cache")
    assert sorted(p.name for p in out.iterdir()) == [".duizhao-library.json", "index.html", "taizhou.html",
                                                     "taizhou.json"]


def test_every_glossary_term_reaches_the_english_through_the_real_engine(installed, seed_path, tmp_path):
    """The shipped glossary on the seed, through the generated Argos model (whose
    output is nonsense, so placeholders rarely survive and most sentences are rebuilt)."""
    out = tmp_path / "out"
    glossary = seed_path.parent.parent / "glossary" / "taizhou.tsv"
    result = invoke("run", seed_path, "-o", out, "--offline", "--cache", tmp_path / "c.sqlite3", "-g", glossary)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "taizhou.json").read_text(encoding="utf-8"))
    with_terms = [s for b in data["blocks"] for s in b["sentences"] if s.get("terms")]
    assert len(with_terms) == 100
    for sentence in with_terms:
        english = sentence["translation"].casefold()
        for term in sentence["terms"]:
            assert term["en"].casefold() in english, (term, sentence["translation"])


def test_second_run_translates_nothing_and_gives_the_same_output(installed, seed_path, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "c.sqlite3"
    invoke("run", seed_path, "-o", out, "--offline", "--cache", cache)
    first = json.loads((out / "taizhou.json").read_text(encoding="utf-8"))
    result = invoke("run", seed_path, "-o", out, "--offline", "--cache", cache)
    second = json.loads((out / "taizhou.json").read_text(encoding="utf-8"))
    assert second["stats"]["translated"] == 0
    assert second["stats"]["cached"] == first["stats"]["translated"]
    assert " 0 translated, " in result.output
    assert [b["sentences"] for b in second["blocks"]] == [b["sentences"] for b in first["blocks"]]


@pytest.mark.parametrize(
    ("option", "value", "in_signature"),
    [
        ("--beam-size", "1", '"beam_size":1'),
        ("--repetition-penalty", "1.2", '"repetition_penalty":1.2'),
        ("--no-repeat-ngram-size", "3", '"no_repeat_ngram_size":3'),
    ],
)
def test_new_decoding_options_do_not_reuse_cached_text(installed, seed_path, tmp_path, option, value, in_signature):
    out, cache = tmp_path / "out", tmp_path / "c.sqlite3"
    invoke("run", seed_path, "-o", out, "--offline", "--cache", cache)
    invoke("run", seed_path, "-o", out, "--offline", "--cache", cache, option, value)
    data = json.loads((out / "taizhou.json").read_text(encoding="utf-8"))
    assert data["stats"]["cached"] == 0 and data["stats"]["translated"] > 100
    assert in_signature in data["signature"]


@pytest.mark.parametrize("offline", [True, False], ids=["offline", "index-unreachable"])
def test_no_model_fails_naming_both_ways_to_install_and_writes_nothing(models, seed_path, tmp_path, offline):
    out = tmp_path / "out"
    args = ["run", seed_path, "-o", out, "--cache", tmp_path / "c.sqlite3"] + (["--offline"] if offline else [])
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 1
    assert "duizhao models install" in result.output and "--file" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_bad_source_fails_before_any_model_is_needed(models, tmp_path):
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "missing.txt"), "--offline"])
    assert result.exit_code == 1
    assert "missing.txt: no such file" in result.output


def test_source_text_is_escaped_in_the_html(installed, tmp_path):
    source = tmp_path / "evil.txt"
    source.write_text('注意<script>alert(1)</script>安全。\n\n"><img src=x onerror=alert(2)>图片。\n', encoding="utf-8")
    out = tmp_path / "out"
    assert invoke("run", source, "-o", out, "--offline", "--cache", tmp_path / "c.sqlite3").exit_code == 0
    html = (out / "evil.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html


def test_a_failed_write_leaves_the_previous_output_whole(installed, seed_path, tmp_path, monkeypatch):
    out, cache = tmp_path / "out", tmp_path / "c.sqlite3"
    invoke("run", seed_path, "-o", out, "--offline", "--cache", cache)
    before = (out / "taizhou.json").read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    result = CliRunner().invoke(cli, [str(a) for a in ("run", seed_path, "-o", out, "--offline", "--cache", cache)])
    assert result.exit_code == 1
    assert "taizhou.json: cannot be written (no space left on the device" in result.output
    assert "Traceback" not in result.output
    assert (out / "taizhou.json").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [".duizhao-library.json", "index.html", "taizhou.html",
                                                     "taizhou.json"]


@pytest.mark.parametrize("watching", [False, True], ids=["one-run", "engine-kept-by-watch"])
def test_the_model_is_let_go_before_the_outputs_and_reading_aids_are_made(seed_path, tmp_path, monkeypatch,
                                                                            watching):
    """A run's peak memory is the model's or the reading aids', not both: once
    nothing is left to translate, the run holds the engine no longer (watch mode
    keeps its own)."""
    import gc
    import weakref

    from fakes import FakeEngine

    import pipeline.run as run_module
    from pipeline.translate.cache import TranslationCache

    made: list[weakref.ref] = []
    kept = []

    def make_engine():
        engine = FakeEngine()
        made.append(weakref.ref(engine))
        if watching:
            kept.append(engine)
        return engine

    alive_at_write = []
    write_outputs = run_module.write_outputs

    def spy(*args, **kwargs):
        gc.collect()
        alive_at_write.append(made[0]() is not None)
        return write_outputs(*args, **kwargs)

    monkeypatch.setattr(run_module, "write_outputs", spy)
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        run_module.run(seed_path, tmp_path / "out", make_engine, cache, glossaries=[])
    assert alive_at_write == [watching]
