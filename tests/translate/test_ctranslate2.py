"""The ctranslate2 engine on generated CTranslate2 model folders of each family
(pipeline.testing.models.build_ct2_model): the files, vocabulary and config conventions of
converted OPUS-MT, NLLB-200 and M2M-100 models, SentencePiece models trained on the
fly, random weights wired to end their translations like trained ones."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import reference

from pipeline.translate.cache import TranslationCache
from pipeline.translate.engines import BrokenPackageError, DecodeOptions, Engine, EngineError, create_engine
from pipeline.translate.engines.ctranslate2 import CTranslate2Engine
from pipeline.translate.engines.seq2seq import Framing
from pipeline.translate.engines.settings import EngineSettings, readiness
from pipeline.core.errors import DuizhaoError
from pipeline.terms.glossary import complies, placeholder_symbols
from pipeline.run import run
from pipeline.testing.models import cached_ct2_model

FAMILIES = ["marian", "nllb", "m2m100"]
#: Tiny, ending after ~1.5x the source's tokens (below the limit, 10 + 2n).
_MODEL = dict(layers=1, d_model=32, heads=2, ffn=64, vocab_size=300, length_ratio=1.5)
#: Per-sentence length limits (10 + 2n), with which batches share a limit.
_PER_SENTENCE = DecodeOptions(beam_size=2, max_decoding_base=10, max_decoding_ratio=2.0)
FRAMING = {
    "marian": Framing(suffix=("</s>",)),
    "nllb": Framing(prefix=("zho_Hans",), suffix=("</s>",), target=("eng_Latn",)),
    "m2m100": Framing(prefix=("__zh__",), suffix=("</s>",), target=("__en__",)),
}
SEED = Path(__file__).resolve().parents[2] / "sources" / "taizhou.txt"
GLOSSARY = SEED.parent.parent / "glossary" / "taizhou.tsv"


@pytest.fixture(scope="session")
def builds(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ct2-builds")


def model(builds: Path, family: str, **change) -> Path:
    """A generated model folder (built once per session), placeholders one token
    each unless ``user_defined_symbols=()``."""
    return cached_ct2_model(builds, family, **{**_MODEL, "user_defined_symbols": placeholder_symbols(), **change})


# -- the folder and its family -------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_the_family_is_told_by_the_files_and_the_table_creates_the_engine(builds, family):
    folder = model(builds, family)
    engine = create_engine("ctranslate2", model_path=folder, options=DecodeOptions(beam_size=3))
    assert isinstance(engine, Engine) and isinstance(engine, CTranslate2Engine)
    assert engine.family == family and engine.framing == FRAMING[family]
    assert engine.signature() == CTranslate2Engine(folder, DecodeOptions(beam_size=3), family=family).signature()
    ready, line = readiness(EngineSettings(name="ctranslate2", model=str(folder)))
    assert ready and line == f"model found: {folder} ({family})"
    assert engine._translator is None  # made and checked, not loaded


@pytest.mark.parametrize(
    ("family", "named", "message"),
    [
        ("marian", "nllb", "sentencepiece.bpe.model is missing (nllb model)"),
        ("nllb", "marian", "source.spm is missing (marian model)"),
        ("nllb", "m2m100", "its vocabulary has no __zh__, which a m2m100 model needs"),
    ],
    ids=["marian-as-nllb", "nllb-as-marian", "nllb-as-m2m100"],
)
def test_a_family_named_wrongly_is_refused_with_what_is_missing(builds, family, named, message):
    folder = model(builds, family)
    with pytest.raises(BrokenPackageError) as caught:
        CTranslate2Engine(folder, family=named)
    assert str(caught.value).startswith(f"{folder}: {message}")


def test_an_unknown_family_or_script_is_an_engine_error(builds):
    folder = model(builds, "nllb")
    with pytest.raises(EngineError, match="unknown model family 'opus' .known: marian, nllb, m2m100"):
        CTranslate2Engine(folder, family="opus")
    with pytest.raises(EngineError, match="source_script must be 'Hans' or 'Hant'"):
        CTranslate2Engine(folder, source_script="Hani")


def _break(folder: Path, tmp_path: Path, how: str) -> Path:
    broken = Path(shutil.copytree(folder, tmp_path / "model"))
    if how == "no-model-bin":
        (broken / "model.bin").unlink()
    elif how == "no-vocabulary":
        (broken / "shared_vocabulary.json").unlink()
    elif how == "bad-config":
        (broken / "config.json").write_text("{not json", encoding="utf-8")
    elif how == "no-spm":
        (broken / "sentencepiece.bpe.model").unlink()
    elif how == "no-target-spm":
        (broken / "target.spm").unlink()
    return broken


@pytest.mark.parametrize(
    ("family", "how", "message"),
    [
        ("nllb", "no-folder", "not a CTranslate2 model folder (no such folder)"),
        ("nllb", "no-model-bin", "not a CTranslate2 model folder (no model.bin here)"),
        ("nllb", "no-vocabulary", "no source vocabulary (shared_vocabulary.json or source_vocabulary.json)"),
        ("nllb", "bad-config", "cannot be read: "),
        ("nllb", "no-spm", "sentencepiece.bpe.model is missing (nllb model)"),
        ("marian", "no-target-spm", "cannot tell the model family: its vocabulary has no eng_Latn"),
    ],
    ids=["no-folder", "no-model-bin", "no-vocabulary", "bad-config", "no-spm", "marian-without-target-spm"],
)
def test_a_broken_folder_gets_one_line_naming_it_and_the_fix(builds, tmp_path, family, how, message):
    folder = tmp_path / "nowhere" if how == "no-folder" else _break(model(builds, family), tmp_path, how)
    with pytest.raises(BrokenPackageError) as caught:
        CTranslate2Engine(folder)
    text = str(caught.value)
    assert isinstance(caught.value, DuizhaoError) and "\n" not in text
    assert text.startswith(str(folder)) and message in text
    assert "ct2-transformers-converter" in text or "family = " in text


def _pieces(path: Path) -> list[str]:
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=str(path))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())
            if not (processor.is_control(i) or processor.is_unknown(i))]


def _write_vocabulary(folder: Path, tokens: list[str]) -> None:
    (folder / "shared_vocabulary.json").write_text(json.dumps(tokens, ensure_ascii=False), encoding="utf-8")


def test_separate_vocabularies_written_as_one_are_refused_with_the_way_to_convert(builds, tmp_path):
    """ct2-transformers-converter writes a Marian model with separate vocabularies
    as one shared_vocabulary, the source's: it loads and translates into nothing."""
    folder = Path(shutil.copytree(model(builds, "marian"), tmp_path / "opus-mt-zh-en"))
    _write_vocabulary(folder, ["</s>", "<unk>", *_pieces(folder / "source.spm")])
    with pytest.raises(BrokenPackageError) as caught:
        CTranslate2Engine(folder)
    text = str(caught.value)
    assert text.startswith(f"{folder}: its shared_vocabulary holds source.spm's pieces but ") and "\n" not in text
    assert "separate source and target vocabularies, which ct2-transformers-converter wrote as one" in text
    assert "ct2-opus-mt-converter --model_dir DIR" in text and "ct2-marian-converter" in text


def test_a_sentencepiece_file_of_another_model_is_refused(builds, tmp_path):
    folder = Path(shutil.copytree(model(builds, "nllb"), tmp_path / "nllb"))
    shutil.copy(model(builds, "marian") / "target.spm", folder / "sentencepiece.bpe.model")
    with pytest.raises(BrokenPackageError, match=r"of the \d+ pieces of sentencepiece.bpe.model are not in its source "
                                                 r"vocabulary: the SentencePiece file does not belong to this model"):
        CTranslate2Engine(folder)


@pytest.mark.parametrize("named", [None, "m2m100"], ids=["detected", "named"])
def test_a_vocabulary_that_lost_its_language_tokens_names_the_transformers_to_convert_with(builds, tmp_path, named):
    """ct2-transformers-converter under transformers 5 writes M2M-100 without its
    language tokens: no way to ask for English."""
    folder = Path(shutil.copytree(model(builds, "m2m100"), tmp_path / "m2m100"))
    tokens = json.loads((folder / "shared_vocabulary.json").read_text(encoding="utf-8"))
    _write_vocabulary(folder, [t for t in tokens if not (t.startswith("__") and t.endswith("__"))])
    with pytest.raises(BrokenPackageError) as caught:
        CTranslate2Engine(folder, family=named)
    text = str(caught.value)
    assert ("its vocabulary has no language tokens" if named is None else
            "its vocabulary has no __zh__, which a m2m100 model needs (it has no language token at all)") in text
    assert "convert the model again with transformers 4 beside the converter (pip install 'transformers<5'" in text


@pytest.mark.parametrize("named", [None, "marian"], ids=["detected", "named"])
def test_an_opus_mt_converter_folder_without_its_sentencepiece_files_says_to_copy_them(builds, tmp_path, named):
    folder = Path(shutil.copytree(model(builds, "marian", add_source_eos=True), tmp_path / "opus-mt"))
    for name in ("source.spm", "target.spm"):
        (folder / name).unlink()
    with pytest.raises(BrokenPackageError) as caught:
        CTranslate2Engine(folder, family=named)
    text = str(caught.value)
    assert "source.spm" in text and "missing" in text and "--copy_files" in text
    assert "copy source.spm and target.spm into it from the OPUS-MT model folder it was converted from (the " \
           "--model_dir given to ct2-opus-mt-converter, which has no --copy_files and does not copy them)" in text


def test_a_corrupt_weights_file_is_a_clear_error_on_first_translate(builds, tmp_path):
    broken = Path(shutil.copytree(model(builds, "m2m100"), tmp_path / "model"))
    (broken / "model.bin").write_bytes(b"\x00garbage" * 50)
    engine = CTranslate2Engine(broken)
    with pytest.raises(BrokenPackageError, match="the CTranslate2 model cannot be loaded"):
        engine.translate(["台州"])


# -- framing, prefix, determinism, batching ------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_each_sentence_is_framed_and_the_target_token_kept_out_of_the_text(builds, seed_sentences, family):
    engine = CTranslate2Engine(model(builds, family))
    recorded = reference.recording(engine)
    pieces = engine.translate_pieces(seed_sentences[:20])
    texts = [engine.detokenize(p) for p in pieces]
    framing = FRAMING[family]
    expected = {tuple([*framing.prefix, *p, *framing.suffix]) for p in engine.tokenize(seed_sentences[:20])}
    assert set(map(tuple, recorded.sources)) == expected
    target = list(framing.target)
    for prefixes in recorded.prefixes:
        assert prefixes == ([target] * len(prefixes) if target else None)
    for token in ("eng_Latn", "__en__", "</s>"):
        assert not any(token in p for p in pieces) and not any(token in t for t in texts)
    assert all(texts)


@pytest.mark.parametrize("family", ["nllb", "m2m100"])
def test_the_language_tokens_change_the_translation(builds, seed_sentences, family):
    """The framing reaches the model: without it (as a Marian model) the text differs."""
    folder = model(builds, family)
    framed = CTranslate2Engine(folder)
    bare = CTranslate2Engine(folder)
    bare.framing = Framing()
    assert framed.translate_pieces(seed_sentences[:10]) != bare.translate_pieces(seed_sentences[:10])


def test_a_config_that_appends_the_end_token_itself_gets_no_second_one(builds, seed_sentences):
    """ct2-opus-mt-converter writes add_source_eos: CTranslate2 appends </s>, so the
    engine does not; the text is that of the same weights framed by the engine."""
    appending = CTranslate2Engine(model(builds, "marian", add_source_eos=True))
    assert appending.framing == Framing()
    assert appending.translate(seed_sentences) == CTranslate2Engine(model(builds, "marian")).translate(seed_sentences)


def test_a_traditional_source_is_framed_zho_hant(builds, seed_sentences):
    # Plain random weights: a model wired to end by length sees only its marker at
    # the first position, where the language token is.
    folder = model(builds, "nllb", length_ratio=None)
    simplified, traditional = CTranslate2Engine(folder), CTranslate2Engine(folder, source_script="Hant")
    assert traditional.framing.prefix == ("zho_Hant",)
    assert json.loads(traditional.signature())["source"] == "zho_Hant"
    assert traditional.signature() != simplified.signature()
    assert traditional.translate(seed_sentences[:10]) != simplified.translate(seed_sentences[:10])


@pytest.mark.parametrize("family", FAMILIES)
def test_batches_give_each_sentence_the_text_of_its_own_limit(builds, seed_sentences, family):
    """~2.2x the source: the longer sentences reach their limit (10 + 2n), the
    others end before it; each batch shares the largest limit of its members."""
    engine = CTranslate2Engine(model(builds, family, length_ratio=2.2), _PER_SENTENCE)
    assert engine.translate_pieces(seed_sentences) == reference.own_limit_pieces(engine, seed_sentences)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_same_input_gives_the_same_text_in_any_order_and_any_batching(builds, seed_sentences, family):
    folder = model(builds, family)
    first = CTranslate2Engine(folder).translate(seed_sentences)
    assert CTranslate2Engine(folder).translate(seed_sentences[::-1]) == first[::-1]
    speed = DecodeOptions(max_batch_size=5, inter_threads=1)
    assert CTranslate2Engine(folder, speed).translate(seed_sentences) == first
    assert len(set(first)) > len(first) // 2 and all(first)


def test_blank_input_never_reaches_the_model(builds):
    engine = CTranslate2Engine(model(builds, "nllb"))
    assert engine.translate(["", "  "]) == ["", ""]
    assert engine._translator is None


# -- signature -------------------------------------------------------------------------


def test_the_signature_names_model_content_family_languages_and_options(builds):
    folder = model(builds, "nllb")
    data = json.loads(CTranslate2Engine(folder).signature())
    assert (data["engine"], data["model"], data["family"]) == ("ctranslate2", "nllb", "nllb")
    assert (data["source"], data["target"]) == ("zho_Hans", "eng_Latn")
    assert data["options"] == DecodeOptions().output_options() and len(data["content"]) == 16
    assert json.loads(CTranslate2Engine(model(builds, "marian")).signature())["target"] == "en"


def _moved(folder: Path) -> Path:
    return Path(shutil.copytree(folder, folder.parent.parent / "moved" / folder.name, copy_function=shutil.copy2))


def _weights_rewritten(folder: Path) -> Path:
    os.utime(folder / "model.bin", ns=(1, 1))
    return folder


def _config_changed(folder: Path) -> Path:
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    (folder / "config.json").write_text(json.dumps({**config, "layer_norm_epsilon": 1e-6}), encoding="utf-8")
    return folder


def _rescored(path: Path) -> bytes:
    """The SentencePiece model in ``path`` with one piece's score changed: the
    same pieces (the folder still works), other bytes."""
    from sentencepiece import sentencepiece_model_pb2

    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(path.read_bytes())
    proto.pieces[-1].score -= 1.0
    return proto.SerializeToString()


def _sentencepiece_changed(folder: Path) -> Path:
    shutil.copyfile(folder.parent.parent / "other.model", folder / "sentencepiece.bpe.model")
    return folder


@pytest.mark.parametrize(
    ("change", "same"),
    [(_moved, True), (_weights_rewritten, False), (_config_changed, False), (_sentencepiece_changed, False)],
    ids=["moved-with-its-times", "weights-rewritten", "config-changed", "sentencepiece-changed"],
)
def test_the_signature_follows_the_model_content(builds, tmp_path, change, same):
    folder = Path(shutil.copytree(model(builds, "nllb"), tmp_path / "a" / "nllb", copy_function=shutil.copy2))
    (tmp_path / "other.model").write_bytes(_rescored(folder / "sentencepiece.bpe.model"))
    before = CTranslate2Engine(folder).signature()
    changed = change(folder)
    assert (CTranslate2Engine(changed).signature() == before) is same


@pytest.mark.parametrize(
    "change", [dict(beam_size=3), dict(length_penalty=1.0), dict(max_decoding_ratio=1.5)],
    ids=lambda change: next(iter(change)),
)
def test_an_output_option_changes_the_signature_and_a_speed_option_does_not(builds, change):
    folder = model(builds, "m2m100")
    base = CTranslate2Engine(folder).signature()
    assert CTranslate2Engine(folder, replace(DecodeOptions(), **change)).signature() != base
    assert CTranslate2Engine(folder, DecodeOptions(max_batch_size=3, inter_threads=1)).signature() == base


# -- the glossary guarantee, the cache ------------------------------------------------------


class _Counting:
    """The engine, counting the sentences it is asked to translate."""

    def __init__(self, engine):
        self.engine, self.asked = engine, 0
        self.name, self.pipelined = engine.name, True

    def signature(self) -> str:
        return self.engine.signature()

    def translate(self, sentences, progress=None):
        self.asked += len(sentences)
        return self.engine.translate(sentences, progress)

    def placeholder_tokens(self) -> bool:
        return self.engine.placeholder_tokens()


@pytest.mark.parametrize("placeholders", [True, False], ids=["placeholders", "no-placeholders"])
@pytest.mark.parametrize("family", FAMILIES)
def test_every_glossary_term_is_rendered_and_a_rerun_asks_the_engine_nothing(builds, tmp_path, family,
                                                                              placeholders):
    """The shipped glossary on the seed. A model whose vocabulary lacks the
    placeholders still gets every rendering, through the rebuild, and its flags
    say why."""
    folder = model(builds, family, **({} if placeholders else dict(user_defined_symbols=())))
    engine = _Counting(CTranslate2Engine(folder))
    assert engine.placeholder_tokens() is placeholders
    with TranslationCache(tmp_path / "cache.sqlite3") as cache:
        first = run(SEED, tmp_path / "out", lambda: engine, cache, glossaries=[GLOSSARY])
        asked = engine.asked
        second = run(SEED, tmp_path / "out", lambda: engine, cache, glossaries=[GLOSSARY])
    with_terms = [s for s in first.document.sentences() if s.terms]
    assert len(with_terms) == 100 and asked > 0
    for sentence in with_terms:
        assert complies(sentence.translation, sentence.terms), (sentence.text, sentence.translation)
        assert "⟦" not in sentence.translation
    rebuilt = [s for s in with_terms if any(f.code == "term-fallback" for f in s.flags)]
    assert len(rebuilt) == first.document.stats["term_fallback"]
    if not placeholders:
        assert rebuilt == with_terms
        assert all("vocabulary has no placeholder tokens" in f.message
                   for s in rebuilt for f in s.flags if f.code == "term-fallback")
    assert engine.asked == asked  # the rerun: every text from the cache
    assert second.document.stats["translated"] == 0
    assert [s.translation for s in second.document.sentences()] == [s.translation for s in first.document.sentences()]


# -- the command line ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["options", "project-file"])
def test_duizhao_run_with_a_ctranslate2_model_folder(builds, tmp_path, monkeypatch, how):
    """`duizhao run --engine ctranslate2 --model DIR` (or duizhao.toml's [engine])
    end to end: the family told by the folder, every glossary term rendered, the
    signature in the JSON, and a rerun from the cache."""
    from click.testing import CliRunner

    from pipeline.cli import cli

    folder = model(builds, "nllb")
    project = tmp_path / "project"
    shutil.copytree(folder, project / "models" / "nllb")
    monkeypatch.chdir(project)
    args = ["run", str(SEED), "-o", "out", "--offline", "-g", str(GLOSSARY)]
    if how == "options":
        args += ["--engine", "ctranslate2", "--model", str(project / "models" / "nllb")]
    else:
        (project / "duizhao.toml").write_text('[engine]\nname = "ctranslate2"\nmodel = "models/nllb"\n',
                                              encoding="utf-8")

    def invoke():
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        return result.output, json.loads((project / "out" / "taizhou.json").read_text(encoding="utf-8"))

    output, document = invoke()
    signature = json.loads(document["signature"])
    assert signature["engine"] == "ctranslate2" and signature["family"] == "nllb"
    sentences = [s for b in document["blocks"] for s in b.get("sentences", [])]
    with_terms = [s for s in sentences if s.get("terms")]
    assert len(with_terms) == 100
    # (a rendering that starts the sentence is capitalised)
    assert all(t["en"].lower() in s["translation"].lower() for s in with_terms for t in s["terms"])
    assert "translated" in output and "Error" not in output
    again, document = invoke()
    assert document["stats"]["translated"] == 0 and document["stats"]["cached"] > 0
    assert json.loads(document["signature"]) == signature
