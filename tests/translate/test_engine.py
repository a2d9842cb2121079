"""The Argos engine, run on small but genuine Argos packages built offline
(pipeline.testing.models): random weights, so the text is nonsense, but real CTranslate2
and SentencePiece models loaded and decoded the way a published package is."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import ctranslate2
import pytest
import reference
import sentencepiece

from pipeline.translate.engines import DecodeOptions, Engine, EngineError, BrokenPackageError, create_engine
from pipeline.translate.engines.argos import ArgosEngine
from pipeline.translate.engines.seq2seq import LimitLog
from pipeline.core.errors import DuizhaoError
from pipeline.terms.glossary import placeholder_symbols
from pipeline.testing.models import build_argos_package, cached_argos_package, extract_package

PLACEHOLDERS = placeholder_symbols(3)
SENTENCES = [
    "台州主城区。",
    "“在台州,你可以链接全球。”站在台州玉环大麦屿港,面对望不到边际的集装箱。",
    "2023年,大麦屿港区集装箱吞吐量突破50万箱,同比增加17.3%。",
    "龙行龘龘,欣欣家国。",
    "the port of Taizhou",
    "一",
    "台州不仅制造业家底厚实,是资源潜力巨大的投资宝地,也是让人心向往之的宜居胜地。",
]
_PACKAGE = dict(user_defined_symbols=PLACEHOLDERS, target_prefix="")
#: Per-sentence length limits (10 + 2n), with which batches share a limit: what the
#: limit machinery below is about. No longer the default (argostranslate's flat 256).
_PER_SENTENCE = DecodeOptions(beam_size=2, max_decoding_base=10, max_decoding_ratio=2.0)


@pytest.fixture(scope="session")
def engine_builds(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("engine-builds")


def _installed(builds: Path, **kwargs) -> Path:
    """Build (once per session) and unpack a package; return its folder."""
    archive = cached_argos_package(builds, **kwargs)
    folder = archive.parent / "unpacked"
    if not folder.is_dir():
        extract_package(archive, folder)
    return next(folder.iterdir())


@pytest.fixture(scope="session")
def package_dir(engine_builds: Path) -> Path:
    return _installed(engine_builds, **_PACKAGE)


@pytest.fixture(scope="session")
def prefixed_package_dir(engine_builds: Path) -> Path:
    return _installed(
        engine_builds, user_defined_symbols=(*PLACEHOLDERS, "__en__"), target_prefix="__en__"
    )


@pytest.fixture
def engine(package_dir: Path) -> ArgosEngine:
    return ArgosEngine(package_dir)


# -- the generated package ------------------------------------------------------


def test_package_is_one_folder_with_what_argos_expects(engine_builds: Path):
    archive = cached_argos_package(engine_builds, **_PACKAGE)
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        metadata = json.loads(zf.read("translate-zh_en-1_0/metadata.json"))
    assert {n.split("/")[0] for n in names} == {"translate-zh_en-1_0"}
    for needed in ("metadata.json", "sentencepiece.model", "README.md", "model/model.bin"):
        assert f"translate-zh_en-1_0/{needed}" in names
    assert metadata["from_code"] == "zh" and metadata["to_code"] == "en"
    assert metadata["package_version"] == "1.0"
    assert metadata["type"] == "translate"
    assert "target_prefix" not in metadata


def test_argos_installs_the_generated_package(engine_builds: Path, tmp_path: Path, monkeypatch):
    from argostranslate import package, settings

    archive = cached_argos_package(engine_builds, target_prefix="__en__", user_defined_symbols=["__en__"])
    monkeypatch.setattr(settings, "package_data_dir", tmp_path)
    package.install_from_path(archive)
    (installed,) = package.get_installed_packages(path=[tmp_path])
    assert (installed.from_code, installed.to_code, installed.package_version) == ("zh", "en", "1.0")
    assert installed.target_prefix == "__en__"
    assert installed.tokenizer.encode("台州") != []


def test_same_arguments_give_the_same_archive(tmp_path: Path):
    small = dict(layers=1, d_model=32, heads=2, ffn=64, vocab_size=200)
    first = build_argos_package(tmp_path / "a", **small)
    second = build_argos_package(tmp_path / "b", **small)
    other_seed = build_argos_package(tmp_path / "c", seed=1, **small)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other_seed.read_bytes()


@pytest.mark.parametrize(
    ("shared", "files"),
    [
        (True, {"shared_vocabulary.json"}),
        (False, {"source_vocabulary.json", "target_vocabulary.json"}),
    ],
    ids=["shared", "separate"],
)
def test_vocabularies_shared_or_separate_and_int8_loads(engine_builds, shared, files):
    folder = _installed(engine_builds, shared_vocab=shared, quantization="int8", **_PACKAGE)
    assert {p.name for p in (folder / "model").glob("*vocabulary*")} == files
    (out,) = ArgosEngine(folder).translate(["台州港口。"])
    assert out


# -- translating ----------------------------------------------------------------


def test_translates_one_output_per_input_in_input_order(engine: ArgosEngine, package_dir):
    batched = engine.translate(SENTENCES)
    one_by_one = [ArgosEngine(package_dir).translate([s])[0] for s in SENTENCES]
    assert len(batched) == len(SENTENCES)
    # Inputs of different lengths give different text, so a mix-up would show.
    assert len(set(batched)) == len(SENTENCES)
    assert batched == one_by_one


def test_empty_input_and_blank_sentences_never_reach_the_model(package_dir: Path):
    engine = ArgosEngine(package_dir)
    assert engine.translate([]) == []
    assert engine.translate(["", "   "]) == ["", ""]
    assert engine._translator is None  # nothing loaded for blank input
    out = engine.translate(["", SENTENCES[0], "  "])
    assert out[0] == "" and out[2] == "" and out[1] == engine.translate([SENTENCES[0]])[0] != ""


def test_progress_counts_every_sentence_once(engine: ArgosEngine):
    reports: list[int] = []
    sentences = ["", *SENTENCES, ""]
    engine.translate(sentences, progress=reports.append)
    assert sum(reports) == len(sentences)
    assert all(n > 0 for n in reports)


def test_two_engine_instances_give_the_same_text(package_dir: Path):
    first = ArgosEngine(package_dir).translate(SENTENCES)
    second = ArgosEngine(package_dir).translate(list(reversed(SENTENCES)))
    assert first == list(reversed(second))


@pytest.mark.parametrize(
    "speed",
    [
        dict(max_batch_size=1, batch_type="examples"),
        dict(max_batch_size=3, batch_type="examples"),
        dict(max_batch_size=40, batch_type="tokens"),
        dict(inter_threads=2, intra_threads=1),
    ],
    ids=["batch-1", "batch-3", "tokens-40", "two-translators"],
)
def test_speed_options_change_neither_text_nor_signature(package_dir, engine, speed):
    fast = ArgosEngine(package_dir, DecodeOptions(**speed))
    assert fast.signature() == engine.signature()
    assert fast.translate(SENTENCES) == engine.translate(SENTENCES)


def test_engine_matches_the_protocol_and_the_table(package_dir: Path):
    engine = create_engine("argos", package_path=package_dir, options=DecodeOptions(beam_size=3))
    assert isinstance(engine, Engine)
    assert engine.signature() == ArgosEngine(package_dir, DecodeOptions(beam_size=3)).signature()


def test_an_unknown_engine_name_lists_the_known_ones():
    with pytest.raises(EngineError, match="argos"):
        create_engine("deepl")


def test_importing_engines_loads_no_model_library():
    code = (
        "import sys, pipeline.translate.engines.base, pipeline.translate.engines.argos, pipeline.translate.engines.ctranslate2, pipeline.testing.models;"
        "print(sorted(m for m in ('ctranslate2', 'sentencepiece', 'argostranslate', 'numpy')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- signature --------------------------------------------------------------------


def test_signature_is_stable_json_naming_package_and_options(engine, package_dir):
    signature = engine.signature()
    assert signature == ArgosEngine(package_dir).signature()
    data = json.loads(signature)
    assert data["engine"] == "argos"
    assert (data["from_code"], data["to_code"], data["package_version"]) == ("zh", "en", "1.0")
    assert data["options"]["beam_size"] == DecodeOptions().beam_size


@pytest.mark.parametrize(
    "change",
    [
        dict(beam_size=3),
        dict(length_penalty=1.0),
        dict(repetition_penalty=1.2),
        dict(no_repeat_ngram_size=3),
        dict(max_decoding_base=5),
        dict(max_decoding_ratio=1.5),
        dict(replace_unknowns=False),
        dict(compute_type="float32"),
    ],
    ids=lambda change: next(iter(change)),
)
def test_every_output_option_changes_the_signature(package_dir, engine, change):
    assert ArgosEngine(package_dir, replace(DecodeOptions(), **change)).signature() != engine.signature()


def test_a_new_package_version_changes_the_signature(engine_builds, engine):
    newer = _installed(engine_builds, package_version="1.1", **_PACKAGE)
    assert ArgosEngine(newer).signature() != engine.signature()


def test_a_decoding_option_changes_the_text(package_dir, engine):
    penalised = ArgosEngine(package_dir, DecodeOptions(no_repeat_ngram_size=2))
    assert penalised.translate(SENTENCES) != engine.translate(SENTENCES)


# -- the English argostranslate gives --------------------------------------------


class _OneSentence:
    """argostranslate's sentence splitter, for text already cut into sentences
    (its own, MiniSBD, downloads a model; duizhao cuts sentences itself)."""

    def split_sentences(self, text: str) -> list[str]:
        return [text]


def _argostranslate(folder: Path, sentences: list[str]) -> list[str]:
    """argostranslate's own translation of each sentence, by its own code, with
    its own settings (beam 4, CTranslate2's limit, length penalty 0.2, its decoding)."""
    from argostranslate.package import Package
    from argostranslate.translate import apply_packaged_translation

    package = Package(folder)
    translator = ctranslate2.Translator(str(folder / "model"), device="cpu")
    return [apply_packaged_translation(package, s, translator, _OneSentence(), 1)[0].value for s in sentences]


@pytest.mark.parametrize("ending", ["ends-early", "ends-at-random"])
def test_the_default_english_is_argostranslates_sentence_for_sentence(engine_builds, seed_sentences, ending):
    """Every sentence of the seed, on a generated package that ends its sentences
    like a trained model (and one that ends them at random steps, so beams and
    lengths matter): identical to what Argos Translate and LibreTranslate give."""
    folder = _installed(engine_builds, **{**_TINY, **_ENDINGS[ending]})
    ours = ArgosEngine(folder).translate(seed_sentences)
    theirs = _argostranslate(folder, seed_sentences)
    assert [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b] == []
    # ... and beam 2, the faster setting, is another text.
    assert ArgosEngine(folder, replace(DecodeOptions(), beam_size=2)).translate(seed_sentences) != theirs


@pytest.mark.parametrize(
    "pieces",
    [["▁The", "▁port", "▁"], ["▁▁", "The"], ["▁snake", "_", "case", "▁", "▁end"], ["港", "口"], ["▁"], []],
    ids=["trailing-space", "two-leading-spaces", "underscore", "copied-source", "only-a-space", "nothing"],
)
def test_pieces_are_decoded_as_argostranslate_decodes_them(package_dir, pieces):
    from argostranslate.tokenizer import SentencePieceTokenizer

    theirs = SentencePieceTokenizer(package_dir / "sentencepiece.model").decode(pieces)
    theirs = theirs[1:] if theirs.startswith(" ") else theirs  # apply_packaged_translation's one space
    assert ArgosEngine(package_dir).detokenize(pieces) == theirs


# -- batching: shared length limits, each sentence's own text ---------------------

_TINY = dict(layers=1, d_model=32, heads=2, ffn=64, vocab_size=300, user_defined_symbols=PLACEHOLDERS)
#: How the generated models end their translations: after ~1.2x the source's tokens
#: (as a trained model does), after ~2.2x (the longer sentences reach their limit,
#: 10 + 2n), at random steps, or never.
_ENDINGS = {
    "ends-early": dict(length_ratio=1.2),
    "ends-by-length": dict(length_ratio=2.2),
    "ends-at-random": dict(end_bias=8.0),
    "never-ends": dict(),
    "prefix": dict(length_ratio=1.5, target_prefix="__en__", user_defined_symbols=(*PLACEHOLDERS, "__en__")),
}


@pytest.mark.parametrize(
    ("ending", "change"),
    [
        ("ends-by-length", {}),
        ("never-ends", {}),
        ("prefix", {}),
        ("ends-at-random", {}),
        ("ends-at-random", dict(beam_size=1)),
        ("ends-at-random", dict(beam_size=4)),
        ("ends-at-random", dict(length_penalty=0.0)),
        ("ends-at-random", dict(no_repeat_ngram_size=2, repetition_penalty=1.3)),
        ("ends-at-random", dict(max_batch_size=300, batch_type="tokens")),
        ("ends-at-random", dict(max_batch_size=24, batch_type="examples")),
        ("ends-at-random", dict(max_batch_size=200, batch_type="examples")),
        ("ends-at-random", dict(max_batch_size=200, batch_type="examples", beam_size=1)),
    ],
    ids=["by-length", "never", "prefix", "random", "greedy", "beam-4", "no-length-penalty",
         "penalties", "tokens-300", "sentences-24", "one-batch", "one-batch-greedy"],
)
def test_shared_limits_give_every_sentence_the_text_of_its_own_limit(
    engine_builds, seed_sentences, ending, change
):
    folder = _installed(engine_builds, **{**_TINY, **_ENDINGS[ending]})
    engine = ArgosEngine(folder, replace(_PER_SENTENCE, **change))
    assert engine.translate_pieces(seed_sentences) == reference.own_limit_pieces(engine, seed_sentences)


def _decoding_work(calls) -> int:
    """Steps of decoding the calls asked for at most: batch size x length limit."""
    return sum(size * limit for size, limit in calls)


def test_batches_of_similar_lengths_share_the_largest_limit(engine_builds, seed_sentences):
    """A model that ends its sentences needs one call per 24 sentences (the old way
    made one batch per distinct limit), after a probe of the shortest sentences
    shows that the model ends them; the longest batch goes first, so the last one
    to run is the shortest. In a later call, no probe."""
    engine = ArgosEngine(_installed(engine_builds, **{**_TINY, **_ENDINGS["ends-early"]}),
                         replace(_PER_SENTENCE, max_batch_size=24, batch_type="examples"))
    recorded = reference.recording(engine)
    engine.translate_pieces(seed_sentences)
    limits = sorted(engine.options.max_decoding_length(len(t)) for t in engine.tokenize(seed_sentences))

    def longest_first(limits):  # batches of 24 cut from the longest, each by increasing length
        longest = limits[::-1]
        return [(len(b), b[0]) for b in (longest[start:start + 24] for start in range(0, len(longest), 24))]

    # The probe: the 9 shortest sentences, the fewest of which 8 (the evidence
    # needed) have a smaller limit than the largest; the rest wait for its answer.
    probe = 9
    assert [sum(limit < limits[size - 1] for limit in limits[:size]) for size in (probe - 1, probe)] == [
        6, LimitLog.EVIDENCE]
    assert recorded.calls == [(probe, limits[probe - 1]), *longest_first(limits[probe:])]
    assert recorded.calls[1][1] == limits[-1] and recorded.calls[-1][0] < 24
    assert len(set(limits)) > 3 * len(recorded.calls)
    recorded.calls.clear()
    engine.translate_pieces(seed_sentences)
    assert recorded.calls == longest_first(limits)


def test_default_batches_hold_at_most_512_padded_tokens(engine_builds, seed_sentences):
    """By default a batch is cut at 512 padded source tokens (its size times its
    longest input), so a batch of long sentences holds as many positions as one of
    short sentences, not 24 long ones; each batch is as full as that allows."""
    engine = ArgosEngine(_installed(engine_builds, **{**_TINY, **_ENDINGS["ends-early"]}), _PER_SENTENCE)
    assert (engine.options.batch_type, engine.options.max_batch_size) == ("tokens", 512)
    recorded = reference.recording(engine)
    engine.translate_pieces(seed_sentences)  # the first call has its probe
    recorded.batches.clear()
    engine.translate_pieces(seed_sentences)
    padded = [len(batch) * max(map(len, batch)) for batch in recorded.batches]
    assert max(padded) <= 512
    assert sum(map(len, recorded.batches)) == len(seed_sentences)
    # Full: one more input (the next batch's longest) would not have fitted; the last is the rest.
    assert all((len(batch) + 1) * max(map(len, batch)) > 512 for batch in recorded.batches[:-1])
    sizes = [len(batch) for batch in recorded.batches]
    assert sizes[0] < sizes[-2], "the longest sentences go fewer to a batch"


def test_a_model_that_runs_to_its_limits_stops_sharing_them(engine_builds, seed_sentences):
    """Random weights never end a sentence: sharing limits would decode each
    sentence below its batch's limit twice (2.1x the work of its own limit on the
    seed). Once the first batch shows it, the rest hold one limit each, also in
    later calls."""
    engine = ArgosEngine(_installed(engine_builds, **{**_TINY, **_ENDINGS["never-ends"]}), _PER_SENTENCE)
    recorded = reference.recording(engine)
    half = len(seed_sentences) // 2
    engine.translate_pieces(seed_sentences[:half])
    first = list(recorded.calls)
    engine.translate_pieces(seed_sentences[half:])
    later = recorded.calls[len(first):]

    def own_work(sentences):
        return sum(engine.options.max_decoding_length(len(t)) for t in engine.tokenize(sentences))

    def always_shared(sentences):
        limits = sorted(engine.options.max_decoding_length(len(t)) for t in engine.tokenize(sentences))
        batches = [limits[start:start + 24] for start in range(0, len(limits), 24)]
        return sum(len(b) * b[-1] + sum(limit for limit in b if limit < b[-1]) for b in batches)

    assert always_shared(seed_sentences) > 1.9 * own_work(seed_sentences)
    # The first call paid for the probe: the first few sentences (the evidence needed,
    # not a whole batch, whose buffers at its largest limit were the run's largest)
    # shared a limit and were decoded again (1.1x in all) ...
    probe_size, _ = first[0]
    assert probe_size <= 2 * LimitLog.EVIDENCE < 24
    assert _decoding_work(first) < 1.15 * own_work(seed_sentences[:half])
    # ... the second call shares nothing: each sentence is decoded once, to its own limit.
    assert _decoding_work(later) == own_work(seed_sentences[half:])


def test_the_test_model_tells_a_shared_limit_from_an_own_one(engine_builds, seed_sentences):
    """On the model that ends at random, neither shortcut gives the text of each
    sentence's own limit: keeping what a larger limit gave when it is shorter than
    the own limit, and cutting what a larger limit gave. So the test above can fail."""
    folder = _installed(engine_builds, **{**_TINY, **_ENDINGS["ends-at-random"]})
    engine = ArgosEngine(folder, _PER_SENTENCE)
    own = reference.own_limit_pieces(engine, seed_sentences)
    larger = reference.own_limit_pieces(ArgosEngine(folder, replace(_PER_SENTENCE, max_decoding_base=50)),
                                        seed_sentences)
    limits = [engine.options.max_decoding_length(len(t)) for t in engine.tokenize(seed_sentences)]
    kept_shorter = [big if len(big) < limit else mine for big, mine, limit in zip(larger, own, limits)]
    cut = [big[:limit] for big, limit in zip(larger, limits)]
    assert kept_shorter != own
    assert cut != own


# -- target prefix, length limit, placeholders ----------------------------------


def test_target_prefix_is_given_to_the_model_and_kept_out_of_the_text(prefixed_package_dir):
    engine = ArgosEngine(prefixed_package_dir)
    assert engine.target_prefix == "__en__"
    pieces = engine.translate_pieces(SENTENCES)
    texts = engine.translate(SENTENCES)
    assert all(p and p[0] != "__en__" for p in pieces)
    assert not any("__en__" in t for t in texts)
    # Decoding after the forced prefix is not decoding without it.
    translator = ctranslate2.Translator(str(prefixed_package_dir / "model"))
    source = engine.tokenize(SENTENCES[:1])
    forced = translator.translate_batch(source, target_prefix=[["__en__"]], beam_size=engine.options.beam_size,
                                        length_penalty=0.2, replace_unknowns=True,
                                        max_decoding_length=len(pieces[0]) + 1)
    assert forced[0].hypotheses[0] == ["__en__", *pieces[0]]


@pytest.mark.parametrize("base,ratio", [(10, 2.0), (3, 0.5), (1, 0.0)], ids=["per-sentence", "tight", "floor"])
def test_length_limit_stops_runaway_output(package_dir, base, ratio):
    options = DecodeOptions(max_decoding_base=base, max_decoding_ratio=ratio)
    engine = ArgosEngine(package_dir, options)
    lengths = [len(t) for t in engine.tokenize(SENTENCES)]
    pieces = engine.translate_pieces(SENTENCES)
    limits = [options.max_decoding_length(n) for n in lengths]
    assert all(len(p) <= limit for p, limit in zip(pieces, limits))
    # A random model never stops by itself, so the limit is what ended decoding.
    assert sum(len(p) == limit for p, limit in zip(pieces, limits)) >= len(SENTENCES) // 2


def test_limit_is_proportional_to_input_length():
    options = DecodeOptions(max_decoding_base=10, max_decoding_ratio=2.0)
    assert [options.max_decoding_length(n) for n in (0, 1, 5, 100)] == [10, 12, 20, 210]


def test_placeholders_stay_one_piece(engine: ArgosEngine, package_dir):
    text = "台州⟦T0⟧港口⟦T1⟧突破50万箱⟦T2⟧。"
    (pieces,) = engine.tokenize([text])
    for placeholder in PLACEHOLDERS:
        assert pieces.count(placeholder) == 1
    processor = sentencepiece.SentencePieceProcessor(model_file=str(package_dir / "sentencepiece.model"))
    assert processor.decode(pieces) == text


# -- broken packages ----------------------------------------------------------------


def _copy(package_dir: Path, dest: Path) -> Path:
    return Path(shutil.copytree(package_dir, dest / package_dir.name))


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda p: p.joinpath("metadata.json").unlink(), "metadata.json is missing"),
        (lambda p: p.joinpath("metadata.json").write_text("{not json"), "cannot be read"),
        (lambda p: p.joinpath("metadata.json").write_text("[]"), "JSON object"),
        (lambda p: p.joinpath("model", "model.bin").unlink(), "model/model.bin is missing"),
        (lambda p: p.joinpath("sentencepiece.model").unlink(), "sentencepiece.model is missing"),
    ],
    ids=["no-metadata", "bad-metadata", "metadata-not-object", "no-model", "no-sentencepiece"],
)
def test_an_incomplete_package_is_refused_when_the_engine_is_made(package_dir, tmp_path, break_it, message):
    broken = _copy(package_dir, tmp_path)
    break_it(broken)
    with pytest.raises(BrokenPackageError, match=message) as caught:
        ArgosEngine(broken)
    assert isinstance(caught.value, DuizhaoError)
    assert str(broken) in str(caught.value) and "reinstall" in str(caught.value)


@pytest.mark.parametrize(
    ("file", "message"),
    [("model/model.bin", "CTranslate2 model cannot be loaded"), ("sentencepiece.model", "cannot be loaded")],
    ids=["model", "sentencepiece"],
)
def test_a_corrupt_model_file_is_a_clear_error_on_first_translate(package_dir, tmp_path, file, message):
    broken = _copy(package_dir, tmp_path)
    (broken / file).write_bytes(b"\x00garbage" * 50)
    engine = ArgosEngine(broken)
    with pytest.raises(BrokenPackageError, match=message) as caught:
        engine.translate(["台州"])
    assert "reinstall" in str(caught.value)


def test_a_missing_folder_says_what_to_give(tmp_path: Path):
    with pytest.raises(BrokenPackageError, match="no Argos package folder") as caught:
        ArgosEngine(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(caught.value)


@pytest.mark.parametrize(
    "bad",
    [dict(beam_size=0), dict(batch_type="sentences"), dict(max_batch_size=0), dict(max_decoding_base=0)],
    ids=["beam", "batch-type", "batch-size", "limit"],
)
def test_invalid_options_are_an_engine_error(bad):
    with pytest.raises(EngineError, match="invalid decoding options"):
        DecodeOptions(**bad)


def test_the_shared_fixture_package_translates_with_placeholders(argos_package: Path, tmp_path: Path):
    engine = ArgosEngine(extract_package(argos_package, tmp_path))
    (pieces,) = engine.tokenize(["台州⟦T9⟧港口"])
    assert "⟦T9⟧" in pieces
    assert engine.translate(["台州⟦T9⟧港口"]) != [""]
