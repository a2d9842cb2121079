"""Translation throughput: argostranslate.translate vs ArgosEngine vs bare CTranslate2.

Prints figures; not a test. Run: .venv/bin/python bench/bench_engine.py [--sweep]

A package with a real model's shape (Transformer base: 6+6 layers, d_model 512, 8
heads, FFN 2048, 32k vocabulary, int8, random weights) is generated once into
bench/.work/. The sentences of sources/taizhou.txt are translated three ways, each
in its own subprocess so that peak memory (maxrss) is per way:

(a) ``argostranslate.translate.translate`` paragraph by paragraph, as a user of
    Argos would; its sentence splitter (MiniSBD, which downloads a model) is
    replaced by the same local splitter the other two use;
(b) ``ArgosEngine.translate`` over the whole list of sentences;
(c) ``Translator.translate_batch`` over pre-tokenised sentences, in one call: the
    ceiling.

Random weights never emit end-of-sentence, so every way uses the same fixed
``max_decoding_length`` (--max-length) and the same beam size. ``--sweep`` times
ArgosEngine under thread and batch settings instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.glossary import placeholder_symbols

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work"
SOURCE = REPO / "sources" / "taizhou.txt"
BASE_MODEL = dict(
    layers=6, d_model=512, heads=8, ffn=2048, vocab_size=4000, model_vocab_size=32000,
    quantization="int8", user_defined_symbols=placeholder_symbols(),
)


def split_sentences(paragraph: str) -> list[str]:
    """The project's splitter when present, else a cut after 。！？!?"""
    try:
        from pipeline.sentences import split_sentences as project_split
    except ImportError:
        return [s.strip() for s in re.split(r"(?<=[。！？!?])", paragraph) if s.strip()]
    return project_split(paragraph)


def paragraphs() -> list[str]:
    return [line.strip() for line in SOURCE.read_text(encoding="utf-8").splitlines() if line.strip()]


def all_sentences() -> list[str]:
    return [s for p in paragraphs() for s in split_sentences(p)]


def maxrss_mb() -> float:
    """Peak resident memory of this process. ru_maxrss survives exec on Linux (a child
    would report its parent's peak), so the per-process VmHWM is read when present."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_package() -> Path:
    from pipeline.testing import cached_argos_package, generated_training_text

    text = SOURCE.read_text(encoding="utf-8") + generated_training_text(lines=3000, han_chars=600)
    start = time.perf_counter()
    archive = cached_argos_package(WORK / "packages", training_text=text, **BASE_MODEL)
    print(f"package: {archive.relative_to(REPO)} ({archive.stat().st_size / 1e6:.0f} MB, "
          f"ready in {time.perf_counter() - start:.1f} s)")
    return archive


# -- one way each, run in a subprocess ----------------------------------------------


def run_argos(archive: Path, beam: int, max_length: int) -> dict:
    # Argos reads its settings when first imported: the environment comes first.
    home = Path(tempfile.mkdtemp(prefix="bench-argos-", dir=WORK))
    os.environ.update(
        ARGOS_PACKAGES_DIR=str(home / "packages"), XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"), XDG_CONFIG_HOME=str(home / "config"),
        ARGOS_PACKAGE_INDEX="http://127.0.0.1:9/", ARGOS_BEAM_SIZE=str(beam),
    )
    import ctranslate2
    from argostranslate import package, sbd
    from argostranslate import translate as argos_translate

    class LocalSentencizer(sbd.ISentenceBoundaryDetectionModel):
        def __init__(self, pkg):
            self.pkg = pkg

        def split_sentences(self, text: str) -> list[str]:
            return split_sentences(text) or [text]

    recorded: dict[tuple[str, ...], list[str]] = {}

    class LimitedTranslator:
        """Argos's translator with the bench's length limit, recording each sentence."""

        def __init__(self, *args, **kwargs):
            self._translator = ctranslate2.Translator(*args, **kwargs)

        def translate_batch(self, source, **kwargs):
            kwargs["max_decoding_length"] = max_length
            results = self._translator.translate_batch(source, **kwargs)
            for tokens, result in zip(source, results):
                recorded[tuple(tokens)] = result.hypotheses[0]
            return results

    argos_translate.MiniSBDSentencizer = LocalSentencizer
    argos_translate.ctranslate2 = type("ctranslate2", (), {"Translator": LimitedTranslator})

    package.install_from_path(archive)
    paras = paragraphs()
    start = time.perf_counter()
    translation = argos_translate.get_translation_from_codes("zh", "en")
    translation.translate(paras[0])
    load_s = time.perf_counter() - start  # package scan, tokenizer and model load, 1 paragraph
    start = time.perf_counter()
    for paragraph in paras:
        argos_translate.translate(paragraph, "zh", "en")
    elapsed = time.perf_counter() - start
    pkg = translation.underlying.pkg

    def sentence_output(sentence: str) -> str:
        # As apply_packaged_translation builds the text of a one-sentence paragraph.
        value = pkg.tokenizer.decode(recorded[tuple(pkg.tokenizer.encode(sentence))])
        return value[1:] if value.startswith(" ") else value

    sentences = all_sentences()
    return dict(seconds=elapsed, load_s=load_s, sentences=len(sentences), maxrss_mb=maxrss_mb(),
                outputs=[sentence_output(s) for s in sentences])


def _engine_options(beam: int, max_length: int, **speed):
    from pipeline.engines import DecodeOptions

    return DecodeOptions(beam_size=beam, max_decoding_base=max_length, max_decoding_ratio=0.0, **speed)


def unpack(archive: Path) -> Path:
    from pipeline.testing import extract_package

    folder = archive.parent / "unpacked"
    if not folder.is_dir():
        extract_package(archive, folder)
    return next(folder.iterdir())


def run_engine(archive: Path, beam: int, max_length: int, speed: dict | None = None) -> dict:
    from pipeline.engines.argos import ArgosEngine

    engine = ArgosEngine(unpack(archive), _engine_options(beam, max_length, **(speed or {})))
    sentences = all_sentences()
    start = time.perf_counter()
    engine.translate(sentences[:1])
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    outputs = engine.translate(sentences)
    elapsed = time.perf_counter() - start
    return dict(seconds=elapsed, load_s=load_s, sentences=len(sentences), maxrss_mb=maxrss_mb(),
                outputs=outputs)


def run_ceiling(archive: Path, beam: int, max_length: int) -> dict:
    import ctranslate2
    import sentencepiece

    from pipeline.engines import DecodeOptions

    folder = unpack(archive)
    defaults = DecodeOptions()
    start = time.perf_counter()
    translator = ctranslate2.Translator(
        str(folder / "model"), inter_threads=defaults.inter_threads, intra_threads=defaults.intra_threads
    )
    processor = sentencepiece.SentencePieceProcessor(model_file=str(folder / "sentencepiece.model"))
    load_s = time.perf_counter() - start
    sentences = all_sentences()
    tokens = processor.encode(sentences, out_type=str)
    start = time.perf_counter()
    translator.translate_batch(
        tokens, max_batch_size=defaults.max_batch_size, batch_type=defaults.batch_type,
        beam_size=beam, length_penalty=defaults.length_penalty, max_decoding_length=max_length,
    )
    elapsed = time.perf_counter() - start
    return dict(seconds=elapsed, load_s=load_s, sentences=len(sentences), maxrss_mb=maxrss_mb())


def run_sweep(archive: Path, beam: int, max_length: int, count: int) -> dict:
    """ArgosEngine under thread/batch settings, each in this process, on ``count`` sentences."""
    from pipeline.engines.argos import ArgosEngine

    settings = [
        dict(inter_threads=1, intra_threads=0, max_batch_size=32),
        dict(inter_threads=1, intra_threads=2, max_batch_size=64),
        dict(inter_threads=1, intra_threads=2, max_batch_size=2048, batch_type="tokens"),
        dict(inter_threads=2, intra_threads=1, max_batch_size=8),
        dict(inter_threads=2, intra_threads=1, max_batch_size=16),
        dict(inter_threads=2, intra_threads=1, max_batch_size=24),
        dict(inter_threads=2, intra_threads=1, max_batch_size=32),
        dict(inter_threads=2, intra_threads=1, max_batch_size=48),
        dict(inter_threads=2, intra_threads=1, max_batch_size=64),
        dict(inter_threads=2, intra_threads=1, max_batch_size=512, batch_type="tokens"),
        dict(inter_threads=2, intra_threads=1, max_batch_size=1024, batch_type="tokens"),
        dict(inter_threads=2, intra_threads=1, max_batch_size=32, compute_type="int8_float32"),
        dict(inter_threads=2, intra_threads=1, max_batch_size=32),  # repeat: noise
    ]
    sentences = all_sentences()[:count]
    rows = []
    for speed in settings:
        engine = ArgosEngine(unpack(archive), _engine_options(beam, max_length, **speed))
        engine.translate(sentences[:1])
        start = time.perf_counter()
        engine.translate(sentences)
        rows.append(dict(speed, per_s=len(sentences) / (time.perf_counter() - start)))
    return dict(rows=rows, sentences=len(sentences))


# -- the driver ---------------------------------------------------------------------


def in_subprocess(mode: str, archive: Path, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--mode", mode, "--archive", str(archive),
               "--beam", str(args.beam), "--max-length", str(args.max_length),
               "--count", str(args.count)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beam", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=24)
    parser.add_argument("--sweep", action="store_true", help="time thread/batch settings instead")
    parser.add_argument("--count", type=int, default=200, help="sentences for --sweep")
    parser.add_argument("--mode", choices=["argos", "engine", "ceiling", "sweep"], help=argparse.SUPPRESS)
    parser.add_argument("--archive", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.mode:
        run = {"argos": run_argos, "engine": run_engine, "ceiling": run_ceiling}.get(args.mode)
        result = (run_sweep(args.archive, args.beam, args.max_length, args.count) if args.mode == "sweep"
                  else run(args.archive, args.beam, args.max_length))
        print(json.dumps(result, ensure_ascii=False))
        return

    WORK.mkdir(parents=True, exist_ok=True)
    archive = build_package()
    print(f"cores: {os.cpu_count()}, beam {args.beam}, max_decoding_length {args.max_length}")
    if args.sweep:
        result = in_subprocess("sweep", archive, args)
        print(f"ArgosEngine on {result['sentences']} sentences:")
        for row in result["rows"]:
            per_s = row.pop("per_s")
            print(f"  {per_s:7.2f} sentences/s  {row}")
        return

    results = {mode: in_subprocess(mode, archive, args) for mode in ("argos", "engine", "ceiling")}
    a, b, c = (results[m]["sentences"] / results[m]["seconds"] for m in ("argos", "engine", "ceiling"))
    n = results["engine"]["sentences"]
    same = sum(x == y for x, y in zip(results["argos"]["outputs"], results["engine"]["outputs"]))
    labels = {"argos": "(a) argostranslate.translate", "engine": "(b) ArgosEngine",
              "ceiling": "(c) ctranslate2 translate_batch"}
    print(f"{n} sentences from {SOURCE.relative_to(REPO)}")
    for mode, label in labels.items():
        r = results[mode]
        print(f"{label:32} {r['sentences'] / r['seconds']:7.2f} sentences/s  "
              f"{r['seconds']:6.1f} s  load {r['load_s']:5.2f} s  peak {r['maxrss_mb']:4.0f} MB")
    print(f"b/a = {b / a:.1f}   b/c = {b / c:.2f}")
    print(f"identical outputs (a) vs (b): {same}/{n}")


if __name__ == "__main__":
    main()
