"""Build small but genuine Argos Translate packages offline, for tests and benchmarks.

:func:`build_argos_package` trains a SentencePiece model on the fly, fills a
CTranslate2 Transformer with seeded random weights and zips both, with a
``metadata.json``, into a ``.argosmodel`` file that
``argostranslate.package.install_from_path`` accepts. The translations are
nonsense but deterministic: same arguments, same bytes in, same text out. Nothing
is downloaded and torch is not needed.

ctranslate2, sentencepiece and numpy are imported inside the functions so that
importing this module stays cheap.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Weight scale: large enough that attention is peaked and outputs depend on the
#: input (at gain 1 a random model repeats one token whatever it is given).
_WEIGHT_GAIN = 4.0
#: Part of the cache key of :func:`cached_argos_package`: bump it when a change here
#: changes what the same arguments build.
_BUILDER_VERSION = 2
__all__ = [
    "FAMILIES",
    "build_argos_package",
    "build_ct2_model",
    "cached_argos_package",
    "cached_ct2_model",
    "english_training_text",
    "extract_package",
    "generated_training_text",
]

#: Language names written to metadata.json (Argos shows them to users).
_LANGUAGE_NAMES = {"zh": "Chinese", "zt": "Chinese (traditional)", "en": "English"}

# Common Han characters and English words to draw training text from; the text only
# has to give SentencePiece a realistic mix of CJK runs, Latin words, digits and
# punctuation.
_HAN = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年"
    "动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高"
    "自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四"
    "日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此"
    "变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文"
    "总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农"
    "指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导"
    "器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带"
    "安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今"
    "集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验"
    "连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准"
    "精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适"
    "属圆包火住调满县局照参红细引听该铁价严港口台州浙码头箱量突破创"
)
_WORDS = (
    "the of and to in is was for on that with as by at from his it an were are which "
    "this be or has had first one their its new after but who not they have her she two "
    "been other when there all during into school time may years more most only over city "
    "some world would where later up such used many can state about national out known "
    "port container trade growth export industry province company market project million"
).split()
_PUNCT_ZH = "，。、；：！？“”"


def generated_training_text(
    lines: int = 3000, seed: int = 0, symbols: Sequence[str] = (), han_chars: int = 100
) -> str:
    """Deterministic mixed Chinese/English text, one sentence a line, drawing on the
    ``han_chars`` most common Han characters."""
    rng = random.Random(seed)
    han = _HAN[:han_chars]
    out = []
    for _ in range(lines):
        parts: list[str] = []
        for _ in range(rng.randint(3, 9)):
            kind = rng.random()
            if kind < 0.55:
                parts.append("".join(rng.choice(han) for _ in range(rng.randint(1, 6))))
            elif kind < 0.8:
                parts.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 5))))
            elif kind < 0.9:
                parts.append(str(rng.randint(0, 100000)))
            elif symbols:
                parts.append(rng.choice(list(symbols)))
            parts.append(rng.choice(_PUNCT_ZH))
        out.append("".join(parts))
    return "\n".join(out) + "\n"


def english_training_text(lines: int = 2000, seed: int = 0) -> str:
    """Deterministic English-only text, one sentence a line (a target side)."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 16))]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), str(rng.randint(0, 100000)))
        out.append(" ".join(words).capitalize() + rng.choice(".,;:!?"))
    return "\n".join(out) + "\n"


def _character_coverage(lines: Sequence[str], room: int) -> float:
    """The largest coverage whose required characters leave room for multi-character
    pieces (SentencePiece refuses a vocabulary smaller than its character set)."""
    counts = Counter(ch for line in lines for ch in line if not ch.isspace())
    keep = max(1, int(room * 0.7))
    if len(counts) <= keep:
        return 1.0
    frequencies = sorted(counts.values(), reverse=True)
    # SentencePiece accepts no less than 0.98; below that the vocabulary is too small.
    return max(0.98, sum(frequencies[: keep - 1]) / sum(frequencies))


def _train_sentencepiece(
    text: str, vocab_size: int, user_defined_symbols: Sequence[str], model_type: str = "unigram"
) -> bytes:
    import sentencepiece as spm

    lines = [line for line in text.splitlines() if line.strip()]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=vocab_size,
        model_type=model_type,
        character_coverage=_character_coverage(lines, vocab_size - len(user_defined_symbols)),
        user_defined_symbols=list(user_defined_symbols),
        # A short text may not support the requested size; take what it gives.
        hard_vocab_limit=False,
        num_threads=1,  # deterministic and, for these sizes, no slower
        minloglevel=2,
    )
    return model.getvalue()


def _fill_transformer(
    spec: Any,
    *,
    d_model: int,
    ffn: int,
    source_vocab: int,
    target_vocab: int,
    tied: bool,
    seed: int,
    heads: int,
    length_ratio: float | None = None,
    end_bias: float = 0.0,
    eos_id: int = 2,
) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    d = d_model

    def normal(*shape: int) -> Any:
        scale = np.float32(_WEIGHT_GAIN / np.sqrt(shape[-1]))
        return rng.standard_normal(shape, dtype=np.float32) * scale

    def layer_norm(ln: Any, width: int) -> None:
        ln.gamma = np.ones(width, dtype=np.float32)
        ln.beta = np.zeros(width, dtype=np.float32)

    def linear(lin: Any, out: int, inp: int) -> None:
        lin.weight = normal(out, inp)
        lin.bias = rng.standard_normal(out, dtype=np.float32) * np.float32(0.02)

    def ffn_block(block: Any) -> None:
        layer_norm(block.layer_norm, d)
        linear(block.linear_0, ffn, d)
        linear(block.linear_1, d, ffn)

    def self_attention(att: Any) -> None:
        layer_norm(att.layer_norm, d)
        linear(att.linear[0], 3 * d, d)  # fused query/key/value
        linear(att.linear[1], d, d)

    def cross_attention(att: Any) -> None:
        layer_norm(att.layer_norm, d)
        linear(att.linear[0], d, d)  # query
        linear(att.linear[1], 2 * d, d)  # fused key/value over the encoder output
        linear(att.linear[2], d, d)

    target_embedding = normal(target_vocab, d)
    spec.encoder.embeddings[0].weight = (
        target_embedding if tied else normal(source_vocab, d)
    )
    for layer in spec.encoder.layer:
        self_attention(layer.self_attention)
        ffn_block(layer.ffn)
    layer_norm(spec.encoder.layer_norm, d)

    spec.decoder.embeddings.weight = target_embedding
    for layer in spec.decoder.layer:
        self_attention(layer.self_attention)
        cross_attention(layer.attention)
        ffn_block(layer.ffn)
    layer_norm(spec.decoder.layer_norm, d)
    # OpenNMT-style tied generator when the vocabulary is shared (as Argos models are).
    spec.decoder.projection.weight = target_embedding if tied else normal(target_vocab, d)
    spec.decoder.projection.bias = np.zeros(target_vocab, dtype=np.float32)
    spec.decoder.projection.bias[eos_id] = end_bias
    if length_ratio is not None:
        _wire_length(spec, d_model=d, heads=heads, eos_id=eos_id, ratio=length_ratio)


#: Marker value written at the first position of the source and of the target: so
#: large that layer normalisation turns it into ~sqrt(d_model) whatever else the
#: position holds.
_MARKER = 1e5
#: Gain of the two averaging heads and of the end token's logit (see _wire_length).
_LENGTH_HEAD_GAIN = 10.0
_END_LOGIT_GAIN = 3e4
#: Rows of the explicit position tables (longest source and translation).
_POSITIONS = 1024


def _sinusoids(positions: int, width: int) -> Any:
    import numpy as np

    half = width // 2
    frequencies = np.exp(-np.log(10000.0) * np.arange(half) / max(1, half - 1))
    angles = np.arange(positions)[:, None] * frequencies[None, :]
    table = np.zeros((positions, width), dtype=np.float32)
    table[:, :half] = np.sin(angles)
    table[:, half : 2 * half] = np.cos(angles)
    return table


def _wire_length(spec: Any, *, d_model: int, heads: int, eos_id: int, ratio: float) -> None:
    """Make a random model end its translations after about ``ratio`` × the source's
    tokens, as a trained model does (random weights never emit the end token, so
    they always decode to the length limit).

    Three model dimensions are reserved: no random weight reads or writes them.
    ``m`` holds a huge marker at position 0 of the source and of the target (set in
    explicit position tables), which layer normalisation turns into ~sqrt(d) there
    and ~0 elsewhere. In the last decoder layer, head 0 of the cross-attention
    (query zero, so it averages uniformly over the n source positions) reads it as
    sqrt(d)/n, and head 0 of the self-attention (uniform over the t+1 target
    positions so far) as sqrt(d)/(t+1); both write into ``r``, so that
    ``r ∝ 1/(ratio·n) - 1/(t+1)``: negative until t+1 reaches ratio·n, then positive.
    The end token's logit is ``r - q`` (``q`` stays zero, which cancels the layer
    norm's mean) times a large gain. Both averages are ratios of the same
    normalised marker, so the turning point does not depend on the random weights.
    The price: at position 0 the marker swamps the rest, so such a model does not
    see the first source token (NLLB's language token, for one).
    """
    import numpy as np

    d, r, q, m = d_model, d_model - 1, d_model - 2, d_model - 3
    reserved = [r, q, m]
    head = d // heads

    def isolate(linear: Any, *, reads: bool = True, writes: bool = True) -> None:
        weight, bias = np.array(linear.weight), np.array(linear.bias)
        if reads:
            weight[:, reserved] = 0
        if writes:
            weight[reserved, :] = 0
            bias[reserved] = 0
        linear.weight, linear.bias = weight, bias

    cleared: dict[int, Any] = {}  # tied embeddings stay one array

    for side in (spec.encoder, spec.decoder):
        embeddings = side.embeddings[0] if isinstance(side.embeddings, list) else side.embeddings
        if id(embeddings.weight) not in cleared:
            weight = np.array(embeddings.weight)
            weight[:, reserved] = 0
            cleared[id(embeddings.weight)] = weight
        embeddings.weight = cleared[id(embeddings.weight)]
        table = _sinusoids(_POSITIONS, d)
        table[:, reserved] = 0
        table[0, m] = _MARKER
        side.position_encodings.encodings = table
        for layer in side.layer:
            isolate(layer.self_attention.linear[0], writes=False)
            isolate(layer.self_attention.linear[1], reads=False)
            isolate(layer.ffn.linear_0, writes=False)
            isolate(layer.ffn.linear_1, reads=False)
            if hasattr(layer, "attention"):
                isolate(layer.attention.linear[0], writes=False)
                isolate(layer.attention.linear[1], writes=False)
                isolate(layer.attention.linear[2], reads=False)

    def averaging_head(queries: Any, values: Any, value_row: int, output: Any, gain: float) -> None:
        """Head 0 with zero queries (uniform attention), whose first value channel
        (row ``value_row`` of ``values``) reads ``m`` and whose output goes to ``r`` only."""
        weight, bias = np.array(queries.weight), np.array(queries.bias)
        weight[:head] = 0
        bias[:head] = 0
        queries.weight, queries.bias = weight, bias
        weight, bias = np.array(values.weight), np.array(values.bias)
        weight[value_row] = 0
        weight[value_row, m] = 1
        weight[value_row, q] = -1  # cancels the layer norm's mean: exactly 0 off the marker
        bias[value_row] = 0
        values.weight, values.bias = weight, bias
        weight = np.array(output.weight)
        weight[:, 0] = 0
        weight[r, 0] = gain
        output.weight = weight

    last = spec.decoder.layer[-1]
    fused = last.self_attention.linear[0]  # rows: d queries, d keys, d values
    averaging_head(fused, fused, 2 * d, last.self_attention.linear[1], -_LENGTH_HEAD_GAIN)
    cross = last.attention  # linear[1] rows: d keys, d values
    averaging_head(cross.linear[0], cross.linear[1], d, cross.linear[2], _LENGTH_HEAD_GAIN / ratio)

    # The generator gets its own weights (no longer tied to the embeddings), so the
    # end token's input embedding stays clear of the reserved dimensions.
    projection = np.array(spec.decoder.projection.weight)  # a copy
    projection[:, reserved] = 0
    projection[eos_id] = 0
    projection[eos_id, r] = _END_LOGIT_GAIN
    projection[eos_id, q] = -_END_LOGIT_GAIN
    spec.decoder.projection.weight = projection


def _vocabularies(
    pieces: list[str], model_vocab_size: int | None, shared_vocab: bool, seed: int
) -> tuple[list[str], list[str]]:
    source = list(pieces)
    if model_vocab_size is not None and model_vocab_size > len(source):
        # Pads the model to a real model's width; these tokens decode to "⁇".
        source += [f"<extra{i}>" for i in range(model_vocab_size - len(source))]
    if shared_vocab:
        return source, source
    # A distinct target vocabulary: the same pieces in another order, so an engine
    # that confused the two vocabularies would give different text.
    specials, rest = source[:3], source[3:]
    random.Random(seed).shuffle(rest)
    return source, specials + rest


def build_argos_package(
    dest_dir: Path,
    *,
    from_code: str = "zh",
    to_code: str = "en",
    package_version: str = "1.0",
    layers: int | tuple[int, int] = 2,
    d_model: int = 64,
    heads: int = 4,
    ffn: int = 128,
    vocab_size: int = 400,
    quantization: str | None = None,
    seed: int = 0,
    user_defined_symbols: Sequence[str] = (),
    training_text: str | None = None,
    target_prefix: str = "",
    name: str | None = None,
    shared_vocab: bool = True,
    model_vocab_size: int | None = None,
    length_ratio: float | None = None,
    end_bias: float = 0.0,
) -> Path:
    """Write ``<dest_dir>/<name>.argosmodel`` and return its path.

    The zip holds one folder, ``<name>/``, with ``metadata.json``, ``model/`` (a
    CTranslate2 Transformer with seeded random weights), ``sentencepiece.model``
    (trained on ``training_text`` or on generated mixed Chinese/English text) and a
    ``README.md``.

    ``vocab_size`` is the SentencePiece vocabulary size (a short training text may
    give fewer pieces); ``model_vocab_size`` pads the model's vocabulary with extra
    tokens up to that size, to give a benchmark model the width of a real one.
    ``user_defined_symbols`` (e.g. placeholders ``⟦T0⟧``) always stay one piece.
    ``shared_vocab`` ties source and target vocabularies and embeddings, as in the
    published Argos models; otherwise the two vocabularies differ.
    ``quantization`` is a CTranslate2 weight type ("int8", "float16", ...).
    Random weights never emit the end token, so by default every translation runs
    to the length limit; with ``length_ratio`` the model ends each one after about
    that many times the source's tokens, as a trained model does (:func:`_wire_length`).
    ``end_bias`` is added to the end token's logit: a model that ends its
    translations at random steps (sooner the higher it is), so that the hypotheses
    of a beam end at different steps.
    """
    import ctranslate2
    import sentencepiece as spm

    if name is None:
        name = f"translate-{from_code}_{to_code}-{package_version.replace('.', '_')}"
    if training_text is None:
        training_text = generated_training_text(
            seed=seed, symbols=user_defined_symbols, han_chars=max(20, vocab_size // 4)
        )
    sp_bytes = _train_sentencepiece(training_text, vocab_size, user_defined_symbols)
    sp = spm.SentencePieceProcessor(model_proto=sp_bytes)
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    source_vocab, target_vocab = _vocabularies(pieces, model_vocab_size, shared_vocab, seed)

    spec = ctranslate2.specs.TransformerSpec.from_config(layers, heads)
    _fill_transformer(
        spec,
        d_model=d_model,
        ffn=ffn,
        source_vocab=len(source_vocab),
        target_vocab=len(target_vocab),
        tied=shared_vocab,
        seed=seed,
        heads=heads,
        length_ratio=length_ratio,
        end_bias=end_bias,
        eos_id=target_vocab.index("</s>"),
    )
    spec.register_source_vocabulary(source_vocab)
    spec.register_target_vocabulary(target_vocab)
    spec.validate()
    spec.optimize(quantization=quantization)

    metadata: dict[str, Any] = {
        "package_version": package_version,
        "argos_version": "1.0",
        "from_code": from_code,
        "from_name": _LANGUAGE_NAMES.get(from_code, from_code),
        "to_code": to_code,
        "to_name": _LANGUAGE_NAMES.get(to_code, to_code),
        "type": "translate",
    }
    if target_prefix:
        metadata["target_prefix"] = target_prefix
    readme = (
        f"# {name}\n\nA generated test package: random weights (seed {seed}), "
        f"{layers} layers, d_model {d_model}, {heads} heads, FFN {ffn}, "
        f"{len(target_vocab)} target tokens. Its translations are nonsense.\n"
    )

    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    archive = dest_dir / f"{name}.argosmodel"
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".build-") as work:
        root = Path(work) / name
        (root / "model").mkdir(parents=True)
        spec.save(str(root / "model"))
        (root / "sentencepiece.model").write_bytes(sp_bytes)
        (root / "metadata.json").write_text(
            json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (root / "README.md").write_text(readme, encoding="utf-8")
        partial = archive.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as zf:
            for path in sorted(root.rglob("*")):
                # Fixed timestamps: the same arguments give the same archive bytes.
                info = zipfile.ZipInfo(str(path.relative_to(work)), (1980, 1, 1, 0, 0, 0))
                if path.is_dir():
                    info.filename += "/"
                    zf.writestr(info, b"")
                else:
                    info.external_attr = 0o644 << 16
                    zf.writestr(info, path.read_bytes())
        partial.replace(archive)
    return archive


#: The SentencePiece files a CTranslate2 model folder of each family holds, as the
#: user copies them from the original model (pipeline/engines/ctranslate2.py).
FAMILIES = {
    "marian": ("source.spm", "target.spm"),
    "nllb": ("sentencepiece.bpe.model",),
    "m2m100": ("sentencepiece.bpe.model",),
}
#: A few of NLLB-200's 202 language codes and of M2M-100's 100, in their order.
_NLLB_LANGUAGES = ("arb_Arab", "deu_Latn", "eng_Latn", "fra_Latn", "jpn_Jpan", "kor_Hang", "rus_Cyrl",
                   "spa_Latn", "yue_Hant", "zho_Hans", "zho_Hant")
_M2M100_LANGUAGES = ("ar", "de", "en", "es", "fr", "ja", "ko", "ru", "zh")


def _family_vocabulary(family: str, source: list[str], target: list[str]) -> list[str]:
    """The converted model's vocabulary, with the family's conventions.

    ``source`` and ``target`` are SentencePiece pieces (ids 0-2: <unk>, <s>, </s>).
    Marian (OPUS-MT): one joint vocabulary, ``</s>`` and ``<unk>`` first (the
    converter drops Marian's ``<pad>``). NLLB-200 and M2M-100 (fairseq): ``<s>``,
    ``<pad>``, ``</s>``, ``<unk>``, the pieces, then the language tokens
    (``zho_Hans`` / ``__zh__``), and NLLB's ``<mask>`` or M2M-100's made-up words.
    """
    pieces = list(dict.fromkeys(p for p in [*source[3:], *target[3:]]))
    if family == "marian":
        return ["</s>", "<unk>", *pieces]
    head = ["<s>", "<pad>", "</s>", "<unk>", *pieces]
    if family == "nllb":
        return [*head, *_NLLB_LANGUAGES, "<mask>"]
    return [*head, *(f"__{code}__" for code in _M2M100_LANGUAGES), *(f"madeupword{i}" for i in range(4))]


def build_ct2_model(
    dest_dir: Path,
    family: str,
    *,
    layers: int | tuple[int, int] = 2,
    d_model: int = 64,
    heads: int = 4,
    ffn: int = 128,
    vocab_size: int = 400,
    quantization: str | None = None,
    seed: int = 0,
    user_defined_symbols: Sequence[str] = (),
    length_ratio: float | None = None,
    add_source_eos: bool = False,
) -> Path:
    """Write a CTranslate2 model folder of ``family`` ("marian", "nllb" or "m2m100")
    to ``dest_dir`` and return it: ``model.bin``, ``config.json`` and
    ``shared_vocabulary.json`` as ``ct2-transformers-converter`` writes them for
    Helsinki-NLP/opus-mt-*, facebook/nllb-200-* and facebook/m2m100_*, and the
    SentencePiece file(s) the user copies beside them (:data:`FAMILIES`): for
    Marian a source model trained on generated Chinese/English text and a target
    model trained on English; for the others one BPE model trained on both.

    The weights are random (see :func:`build_argos_package` for ``length_ratio``,
    ``user_defined_symbols`` and ``quantization``); the decoder starts from ``</s>``,
    as these models do (Marian from a zero embedding). ``add_source_eos`` writes the
    config of ``ct2-opus-mt-converter``, which has CTranslate2 append ``</s>`` to
    the source itself. The layers are pre-norm whatever the family (a real Marian
    model is post-norm; the engine does not care).
    """
    import ctranslate2
    import sentencepiece as spm

    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}")
    mixed = generated_training_text(seed=seed, symbols=user_defined_symbols, han_chars=max(20, vocab_size // 4))
    if family == "marian":
        models = {
            "source.spm": _train_sentencepiece(mixed, vocab_size, user_defined_symbols),
            "target.spm": _train_sentencepiece(
                english_training_text(seed=seed) + "".join(f"{s}\n" for s in user_defined_symbols) * 20,
                max(100, vocab_size // 2), user_defined_symbols),
        }
    else:
        text = mixed + english_training_text(seed=seed)
        models = {"sentencepiece.bpe.model": _train_sentencepiece(text, vocab_size, user_defined_symbols, "bpe")}
    processors = [spm.SentencePieceProcessor(model_proto=data) for data in models.values()]
    pieces = [[p.id_to_piece(i) for i in range(p.get_piece_size())] for p in processors]
    vocabulary = _family_vocabulary(family, pieces[0], pieces[-1])

    spec = ctranslate2.specs.TransformerSpec.from_config(layers, heads)
    _fill_transformer(
        spec, d_model=d_model, ffn=ffn, source_vocab=len(vocabulary), target_vocab=len(vocabulary), tied=True,
        seed=seed, heads=heads, length_ratio=length_ratio, eos_id=vocabulary.index("</s>"),
    )
    spec.decoder.start_from_zero_embedding = family == "marian"
    spec.config.decoder_start_token = "</s>"
    spec.config.add_source_eos = add_source_eos
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    spec.optimize(quantization=quantization)

    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(dest_dir))
    for file_name, data in models.items():
        (dest_dir / file_name).write_bytes(data)
    return dest_dir


def cached_ct2_model(cache_dir: Path, family: str, **kwargs: Any) -> Path:
    """:func:`build_ct2_model` once per distinct set of arguments, into
    ``cache_dir/<hash of the arguments>/<family>/``."""
    key = hashlib.sha256(
        json.dumps([_BUILDER_VERSION, family, kwargs], sort_keys=True, default=list).encode("utf-8")
    ).hexdigest()[:16]
    folder = Path(cache_dir) / key / family
    if not (folder / "model.bin").is_file():
        partial = folder.parent / ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        build_ct2_model(partial, family, **kwargs)
        partial.replace(folder)
    return folder


def cached_argos_package(cache_dir: Path, **kwargs: Any) -> Path:
    """:func:`build_argos_package` once per distinct set of arguments.

    The package lands in ``cache_dir/<hash of the arguments>/``; a later call with
    the same arguments returns the existing file instead of building again.
    """
    key = hashlib.sha256(
        json.dumps([_BUILDER_VERSION, kwargs], sort_keys=True, default=list).encode("utf-8")
    ).hexdigest()[:16]
    slot = Path(cache_dir) / key
    found = sorted(slot.glob("*.argosmodel")) if slot.is_dir() else []
    if found:
        return found[0]
    shutil.rmtree(slot, ignore_errors=True)
    return build_argos_package(slot, **kwargs)


def extract_package(archive: Path, dest_dir: Path) -> Path:
    """Unzip an ``.argosmodel`` the way Argos installs it; return the package folder."""
    with zipfile.ZipFile(archive) as zf:
        (top,) = {n.split("/", 1)[0] for n in zf.namelist()}
        zf.extractall(dest_dir)
    return Path(dest_dir) / top
