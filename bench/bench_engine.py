"""Translation throughput: the engine and `duizhao run`'s translation stage against
CTranslate2's own ceiling, on a generated model of a real model's size.

Prints figures; not a test. Run: .venv/bin/python bench/bench_engine.py [--rounds N]
[--quick] [--never-ends] [--compare CHECKOUT] [--argos]

Model: a generated Argos package with the shape of the published zh→en one
(Transformer base: 6+6 layers, d_model 512, 8 heads, FFN 2048, 32,000-token shared
vocabulary, int8), built once into bench/.work/ by pipeline.testing.models. Its weights are
random, but it ends each translation after about 1.2x the source's tokens, as a
trained model does (``length_ratio``); ``--never-ends`` uses plain random weights,
which never emit the end token and so decode every sentence to its length limit.

Inputs: the 148 sentences of sources/taizhou.txt (pipeline.read.sentences), and the texts
that `duizhao run` sends to the engine for the seed and for a 10x longer seed
(bench/variants.py: masked sentences and glossary fallback pieces, shipped glossary).

Arms, all in this process, each warmed up before it is timed, interleaved over
rounds (rotating their order), best and median reported:

- ceiling: one bare ``Translator.translate_batch`` over pre-tokenised inputs, with
  the same decoding options as the engine and a length limit no sentence reaches
  before the engine's would; translators x threads x compute type, then batch size
  in examples and in tokens, each timed once on the seed (:func:`sweep`); the
  three fastest go into the rounds;
- engine: ``ArgosEngine.translate_pieces`` over the whole input, default
  ``DecodeOptions`` (pieces, as the ceiling returns them: detokenising is not timed);
- run: ``pipeline.translate.documents.translate_documents``, the translation stage of `duizhao run`
  (glossary masking, the translation cache in chunks, fallback pieces), on a fresh
  cache each round, with the engine loaded beforehand; and the same with batches of
  128 tokens (what README.md suggests to a user short of memory) and with batches of
  24 sentences (the old default: faster, at twice the default's peak memory), each
  against the ceiling and against the default;
- ``--compare CHECKOUT``: the engine of another checkout (e.g. an older commit), for
  before/after figures under the same conditions;
- the ctranslate2 engine against the ceiling on a generated model folder in
  NLLB-200's layout (language tokens, ``</s>``, forced ``eng_Latn``) of the same shape;
- ``--argos``: ``argostranslate.translate`` paragraph by paragraph, once.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.terms.glossary import placeholder_symbols

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import figure  # noqa: E402
from variants import longer  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work"
SOURCE = REPO / "sources" / "taizhou.txt"
PLACEHOLDERS = placeholder_symbols()
BASE_MODEL = dict(
    layers=6, d_model=512, heads=8, ffn=2048, vocab_size=4000, model_vocab_size=32000,
    quantization="int8", user_defined_symbols=PLACEHOLDERS,
)
#: Target tokens per source token of the generated model's translations.
LENGTH_RATIO = 1.2
#: The batches (in tokens) README.md suggests to a user short of memory.
SAVING_TOKENS = 128
#: The old default batches (in sentences): faster than the default, twice its peak memory.
OLD_SENTENCES = 24

def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def seed_sentences() -> list[str]:
    from pipeline.read.sentences import split_sentences

    lines = [line.strip() for line in SOURCE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [s for line in lines for s in split_sentences(line)]


def build_ct2(never_ends: bool) -> Path:
    """A generated CTranslate2 folder in NLLB-200's layout, of the same Transformer
    base shape (its own 4,000-piece vocabulary and language tokens)."""
    from pipeline.testing.models import cached_ct2_model

    kwargs = {k: v for k, v in BASE_MODEL.items() if k != "model_vocab_size"}
    if not never_ends:
        kwargs["length_ratio"] = LENGTH_RATIO
    folder = cached_ct2_model(WORK / "ct2", "nllb", **kwargs)
    size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    print(f"\nmodel: {folder.relative_to(REPO)} (NLLB-200 layout, {size:.0f} MB)")
    return folder


def build_package(never_ends: bool) -> Path:
    """The generated package, unpacked; built once into bench/.work/packages."""
    from pipeline.testing.models import cached_argos_package, extract_package, generated_training_text

    text = SOURCE.read_text(encoding="utf-8") + generated_training_text(lines=3000, han_chars=600)
    kwargs = dict(BASE_MODEL, training_text=text)
    if not never_ends:
        kwargs["length_ratio"] = LENGTH_RATIO
    start = time.perf_counter()
    archive = cached_argos_package(WORK / "packages", **kwargs)
    folder = archive.parent / "unpacked"
    if not folder.is_dir():
        extract_package(archive, folder)
    print(f"model: {archive.relative_to(REPO)} ({archive.stat().st_size / 1e6:.0f} MB, ready in "
          f"{time.perf_counter() - start:.1f} s), "
          + ("random weights: decodes every sentence to its limit" if never_ends
             else f"ends its translations after ~{LENGTH_RATIO}x the source's tokens"))
    return next(folder.iterdir())


# -- timing ------------------------------------------------------------------------


@dataclass
class Arm:
    """Something timed: ``run()`` translates the arm's input once and returns the
    number of target tokens it decoded (None when unknown). Wall time and this
    process's CPU time (all threads) are kept for every timed run."""

    label: str
    run: Callable[[], int | None]
    inputs: int
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    tokens: int | None = None

    def time_once(self) -> None:
        start, start_cpu = time.perf_counter(), time.process_time()
        decoded = self.run()
        self.seconds.append(time.perf_counter() - start)
        self.cpu.append(time.process_time() - start_cpu)
        if decoded is not None:
            self.tokens = decoded

    def rate(self, pick: Callable, cpu: bool = False) -> float:
        """Inputs per second (or per CPU second) of the run ``pick`` chooses."""
        return self.inputs / pick(self.cpu if cpu else self.seconds)


def rounds(arms: list[Arm], count: int) -> None:
    """Warm every arm, then time them ``count`` times, rotating their order."""
    for arm in arms:
        arm.run()
    for number in range(count):
        shift = number % len(arms)
        for arm in arms[shift:] + arms[:shift]:
            arm.time_once()


def report(title: str, arms: list[Arm]) -> None:
    print(f"\n{title}")
    print(f"  {'':44} {'sentences/s':>17}  {'tokens/s':>15}  tokens/  {'sentences/CPU-s':>17}")
    print(f"  {'':44} {'best':>8} {'median':>8}  {'best':>7} {'median':>7}  sentence  {'best':>8} {'median':>8}")
    for arm in arms:
        best, median = arm.rate(min), arm.rate(statistics.median)
        if arm.tokens is None:
            tokens = f"{'':7} {'':7}  {'':8}"
        else:
            per = arm.tokens / arm.inputs
            tokens = f"{best * per:7.0f} {median * per:7.0f}  {per:8.1f}"
        print(f"  {arm.label:44} {best:8.2f} {median:8.2f}  {tokens}  {arm.rate(min, True):8.2f} "
              f"{arm.rate(statistics.median, True):8.2f}   ({len(arm.seconds)} runs)")


def ratio_line(name: str, arm: Arm, ceilings: list[Arm], rounds: int, target: str = "≥ 0.9") -> None:
    """``arm`` against the fastest ceiling (by median), in wall time and in CPU time
    (sentences per CPU second of this process: what a loaded machine disturbs least)."""
    for cpu, unit in ((False, "wall"), (True, "CPU")):
        median = arm.rate(statistics.median, cpu) / max(c.rate(statistics.median, cpu) for c in ceilings)
        best = arm.rate(min, cpu) / max(c.rate(min, cpu) for c in ceilings)
        print(f"  {name} / ceiling ({unit} time): median {median:.2f}, best {best:.2f}")
        figure(f"{name} / ceiling, {unit} time", best, median, unit="ratio", target=target,
               options=f"{rounds} rounds")


# -- arms --------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    inter: int
    intra: int
    batch: int
    batch_type: str
    compute: str

    def __str__(self) -> str:
        unit = "ex" if self.batch_type == "examples" else "tok"
        return f"{self.inter}x{self.intra} threads, batch {self.batch} {unit}, {self.compute}"


THREADS = [(2, 1), (1, 2), (2, 2), (1, 1)]
BATCHES = [(8, "examples"), (16, "examples"), (24, "examples"), (32, "examples"), (64, "examples"),
           (512, "tokens"), (1024, "tokens"), (2048, "tokens")]
#: "default" keeps the model's int8 weights (int8 with float32 elsewhere on a CPU).
COMPUTES = ["default", "float32"]


def sweep(engine, texts: list[str], quick: bool) -> list[tuple[float, Setting]]:
    """Time ceiling settings once each (warmed), in two passes: translators x
    threads x compute type at batches of 16, then every batching with the best of
    those. Returns (seconds, setting), fastest first."""
    def timed(setting: Setting) -> tuple[float, Setting]:
        arm = ceiling_arm(engine, setting, texts, "ceiling")
        arm.run()
        arm.time_once()
        print(f"  {arm.rate(min):7.2f} sentences/s  {arm.rate(min, True):7.2f} per CPU-s  {setting}", flush=True)
        return arm.seconds[0], setting

    threads = THREADS[:2] if quick else THREADS
    computes = COMPUTES[:1] if quick else COMPUTES
    batches = [BATCHES[1], BATCHES[2], BATCHES[6]] if quick else BATCHES
    first = [timed(Setting(i, t, 16, "examples", c)) for (i, t), c in itertools.product(threads, computes)]
    best = min(first, key=lambda pair: pair[0])[1]
    second = [timed(Setting(best.inter, best.intra, b, bt, best.compute)) for b, bt in batches if (b, bt) != (16, "examples")]
    return sorted(first + second, key=lambda pair: pair[0])


def ceiling_arm(engine, setting: Setting, texts: list[str], label: str) -> Arm:
    """Bare translate_batch on ``engine``'s model with ``setting``: the inputs
    tokenised and framed as the engine does (not timed), its decoding options, and
    a length limit above every sentence's own (so it never stops one sooner)."""
    import ctranslate2

    options, framing = engine.options, engine.framing
    translator = ctranslate2.Translator(str(engine.model_dir), compute_type=setting.compute,
                                        inter_threads=setting.inter, intra_threads=setting.intra)
    pieces = engine.tokenize(texts)
    tokens = [[*framing.prefix, *p, *framing.suffix] for p in pieces]
    target = list(framing.target)
    limit = max(options.max_decoding_length(len(p)) for p in pieces) + len(target)

    def run() -> int:
        results = translator.translate_batch(
            tokens, target_prefix=[target] * len(tokens) if target else None,
            max_batch_size=setting.batch, batch_type=setting.batch_type,
            beam_size=options.beam_size, length_penalty=options.length_penalty,
            repetition_penalty=options.repetition_penalty, no_repeat_ngram_size=options.no_repeat_ngram_size,
            replace_unknowns=options.replace_unknowns, max_decoding_length=limit,
        )
        return sum(len(r.hypotheses[0]) - len(target) for r in results)

    return Arm(f"{label} {setting}", run, len(texts))


def engine_module(checkout: Path | None):
    """pipeline.translate.engines.argos from this checkout, or from ``checkout``."""
    if checkout is None:
        from pipeline.translate.engines import argos

        return argos
    spec = importlib.util.spec_from_file_location(
        "compared_argos", checkout / "pipeline" / "engines" / "argos.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def engine_arm(engine, texts: list[str], label: str) -> Arm:
    return Arm(label, lambda: sum(map(len, engine.translate_pieces(texts))), len(texts))


class RecordingEngine:
    """The engine, noting every text `duizhao run` sends it."""

    def __init__(self, engine):
        self.engine = engine
        self.texts: list[str] = []

    def signature(self) -> str:
        return self.engine.signature()

    def translate(self, sentences, progress=None):
        self.texts.extend(sentences)
        return self.engine.translate(sentences, progress)


def run_arm(engine, source: Path, label: str) -> tuple[Arm, list[str]]:
    """translate_documents on ``source`` with a fresh cache per call; also returns
    the texts it sends to the engine (recorded on a first run)."""
    from pipeline.translate.cache import TranslationCache
    from pipeline.terms.glossary import default_files, load_glossaries
    from pipeline.translate.documents import translate_documents
    from pipeline.read import load_document

    glossary = load_glossaries(default_files(REPO / "glossary"))
    scratch = Path(tempfile.mkdtemp(prefix="bench-engine-", dir=WORK))

    def translate(using) -> None:
        document = load_document(source)
        with tempfile.NamedTemporaryFile(dir=scratch, suffix=".sqlite3") as db:
            with contextlib.closing(TranslationCache(db.name)) as cache:
                translate_documents([document], using, cache, glossary=glossary)

    recorder = RecordingEngine(engine)
    translate(recorder)  # also loads the model
    return Arm(label, lambda: translate(engine), len(recorder.texts)), recorder.texts


def argos_once(folder: Path) -> None:
    """argostranslate.translate paragraph by paragraph, once (it is slow)."""
    home = Path(tempfile.mkdtemp(prefix="bench-argos-", dir=WORK))
    # Argos reads its settings when first imported: the environment comes first.
    os.environ.update(ARGOS_PACKAGES_DIR=str(folder.parent), XDG_DATA_HOME=str(home / "data"),
                      XDG_CACHE_HOME=str(home / "cache"), XDG_CONFIG_HOME=str(home / "config"),
                      ARGOS_PACKAGE_INDEX="http://127.0.0.1:9/", ARGOS_BEAM_SIZE="2")
    from argostranslate import sbd
    from argostranslate import translate as argos_translate

    from pipeline.read.sentences import split_sentences

    class LocalSentencizer(sbd.ISentenceBoundaryDetectionModel):
        """Argos's MiniSBD downloads a model: the project's splitter instead."""

        def __init__(self, pkg):
            self.pkg = pkg

        def split_sentences(self, text: str) -> list[str]:
            return split_sentences(text) or [text]

    argos_translate.MiniSBDSentencizer = LocalSentencizer
    paragraphs = [p.strip() for p in SOURCE.read_text(encoding="utf-8").splitlines() if p.strip()]
    argos_translate.translate(paragraphs[0], "zh", "en")
    start = time.perf_counter()
    for paragraph in paragraphs:
        argos_translate.translate(paragraph, "zh", "en")
    seconds = time.perf_counter() - start
    count = len(seed_sentences())
    print(f"\nargostranslate.translate, paragraph by paragraph (Argos defaults, its own length limit): "
          f"{count / seconds:.2f} sentences/s ({seconds:.1f} s, once)")


# -- the driver ---------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per arm (default 5)")
    parser.add_argument("--rounds-10x", type=int, default=3, help="timed rounds on the 10x seed (default 3)")
    parser.add_argument("--quick", action="store_true", help="a smaller ceiling sweep, no 10x seed")
    parser.add_argument("--never-ends", action="store_true", help="plain random weights (decode to the limit)")
    parser.add_argument("--compare", type=Path, metavar="CHECKOUT", help="also time this checkout's engine")
    parser.add_argument("--argos", action="store_true", help="also time argostranslate.translate once")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {load_average()}   cores: {os.cpu_count()}")
    folder = build_package(args.never_ends)
    from pipeline.translate.engines import DecodeOptions

    print(f"engine defaults: {DecodeOptions()}")
    sentences = seed_sentences()
    from pipeline.translate.engines.argos import ArgosEngine

    engine = ArgosEngine(folder)

    print(f"\nceiling sweep on the {len(sentences)} seed sentences (warmed, once each):")
    best_settings = [setting for _, setting in sweep(engine, sentences, args.quick)[:3]]
    defaults = DecodeOptions()
    own = Setting(defaults.inter_threads, defaults.intra_threads, defaults.max_batch_size, defaults.batch_type,
                  defaults.compute_type)
    if own not in best_settings:  # the engine's own settings, like for like
        best_settings.append(own)
    print("  into the rounds: " + "; ".join(map(str, best_settings)))

    ceilings = [ceiling_arm(engine, s, sentences, "ceiling") for s in best_settings]
    timed_engine = engine_arm(engine, sentences, "engine (defaults)")
    arms = [*ceilings, timed_engine]
    if args.compare:
        old = engine_module(args.compare).ArgosEngine(folder)
        arms.append(engine_arm(old, sentences, f"engine of {args.compare}"))
    rounds(arms, args.rounds)
    report(f"seed sentences ({len(sentences)}), load average now {load_average()}:", arms)
    ratio_line("engine, seed sentences", timed_engine, ceilings, args.rounds)
    if args.compare:
        before = arms[-1].rate(statistics.median)
        print(f"  engine / engine of {args.compare}: median {timed_engine.rate(statistics.median) / before:.2f}")
    del arms, ceilings

    documents = [("seed", SOURCE, args.rounds)]
    if not args.quick:
        ten = WORK / "taizhou10.txt"
        ten.write_text(longer(SOURCE.read_text(encoding="utf-8"), 10), encoding="utf-8")
        documents.append(("10x seed", ten, args.rounds_10x))
    # Other batchings, for what they cost against the default: the memory-saving one
    # README.md suggests, and the old default of OLD_SENTENCES (the fastest ceiling's
    # batches, at twice the default's peak memory).
    others = {f"batches of {SAVING_TOKENS} tokens": DecodeOptions(batch_type="tokens", max_batch_size=SAVING_TOKENS),
              f"batches of {OLD_SENTENCES} sentences": DecodeOptions(batch_type="examples", max_batch_size=OLD_SENTENCES)}
    for name, source, count in documents:
        run, texts = run_arm(engine, source, f"duizhao run's translation stage ({name})")
        variants = {label: run_arm(ArgosEngine(folder, options), source, f"  the same, {label}")[0]
                    for label, options in others.items()}
        ceilings = [ceiling_arm(engine, s, texts, "ceiling") for s in dict.fromkeys([*best_settings[:2], own])]
        arms = [*ceilings, engine_arm(engine, texts, "engine (defaults), one call"), run, *variants.values()]
        rounds(arms, count)
        report(f"the {len(texts)} texts duizhao run translates for the {name} (load average now "
               f"{load_average()}):", arms)
        ratio_line(f"duizhao run's translation stage, {name}", run, ceilings, count)
        for label, arm in variants.items():
            ratio_line(f"duizhao run's translation stage, {name}, {label}", arm, ceilings, count, target="")
            cost = arm.rate(statistics.median) / run.rate(statistics.median)
            print(f"  {label} / default batching: median {cost:.2f}")
            figure(f"duizhao run's translation stage, {name}: {label} / default",
                   arm.rate(min) / run.rate(min), cost, unit="ratio", options=f"{count} rounds, wall time")
        del arms, ceilings, run, variants

    from pipeline.translate.engines.ctranslate2 import CTranslate2Engine

    nllb = CTranslate2Engine(build_ct2(args.never_ends))
    ceilings = [ceiling_arm(nllb, s, sentences, "ceiling") for s in dict.fromkeys([*best_settings[:2], own])]
    timed_nllb = engine_arm(nllb, sentences, "ctranslate2 engine (defaults)")
    arms = [*ceilings, timed_nllb]
    rounds(arms, args.rounds)
    report(f"a generated NLLB-200 model folder, seed sentences (load average now {load_average()}):", arms)
    ratio_line("ctranslate2 engine (NLLB-200 layout), seed", timed_nllb, ceilings, args.rounds)

    if args.argos:
        argos_once(folder)
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
