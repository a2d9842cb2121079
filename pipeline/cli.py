"""The ``duizhao`` command line. Click only: parse options, call one pipeline
function, print. Heavy libraries are imported inside commands, never at module
level, so ``duizhao --help`` stays instant."""

from __future__ import annotations

import functools
import sys

import click

from pipeline import __version__
from pipeline.core.errors import DuizhaoError


def _echo(message: object = None, **kwargs) -> None:
    """``click.echo`` of text made safe for a terminal (:func:`pipeline.core.text.printable`):
    a source, a file name or a glossary note can hold escape sequences."""
    from pipeline.core.text import printable

    click.echo(None if message is None else printable(str(message)), **kwargs)


class _Group(click.Group):
    """Turns :class:`DuizhaoError` into a clean one-line message and exit status 1;
    every error message is made safe for a terminal."""

    def invoke(self, ctx: click.Context):
        from pipeline.core.text import printable

        try:
            return super().invoke(ctx)
        except DuizhaoError as exc:
            raise click.ClickException(printable(str(exc))) from exc
        except click.ClickException as exc:
            exc.message = printable(exc.message)
            raise


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="duizhao")
def cli() -> None:
    """duizhao (对照): offline Chinese→English parallel-text reader.

    Reads a Chinese article, repairs its layout, translates it offline with an
    Argos Translate model and writes a side-by-side reader to output/.
    """


def _variant_option(command):
    """--variant, the reader's Traditional script (the ``variant`` setting)."""
    from pipeline.core.config import VARIANTS

    return click.option(
        "--variant", type=click.Choice(VARIANTS), default=None,
        help="The reader's Traditional script (OpenCC): s2t (OpenCC's standard), s2tw (Taiwan), s2twp (Taiwan, "
             "with Taiwan's words) or s2hk (Hong Kong) [duizhao.toml: variant; default: s2t].")(command)


_front_matter_option = click.option(
    "--front-matter", "front_matter", default="", callback=lambda ctx, param, value: tuple(
        k.strip() for k in value.split(",") if k.strip()), metavar="KEYS",
    help="Markdown sources: also translate these front matter values, e.g. title,description "
         "(en.md writes them in English, YAML-quoted).")


@cli.command()
@click.argument("source", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the document model) instead of text.")
@_front_matter_option
def segment(source: str, as_json: bool, front_matter: tuple[str, ...]) -> None:
    """Show how SOURCE is cut into blocks and sentences, before any translation.

    Prints every block with its id, kind and sentences, the flags raised for
    review, and the duplicated blocks that were dropped.
    """
    from pipeline.read import load_document

    document = load_document(source, front_matter)
    if as_json:
        import json

        _echo(json.dumps(document.to_json(), ensure_ascii=False, indent=2))
        return
    from pipeline.review.report import describe_segmentation

    _echo(describe_segmentation(document))


#: Setting key → the command's parameter name, for the options every translating command shares.
_SETTING_PARAMS = {
    "engine.name": "engine_name",
    "engine.model": "model",
    "engine.base_url": "base_url",
    "engine.beam_size": "beam_size",
    "engine.repetition_penalty": "repetition_penalty",
    "engine.no_repeat_ngram_size": "no_repeat_ngram_size",
    "output": "output_dir",
    "glossary": "glossaries",
    "cache": "cache_path",
    "variant": "variant",
}


def _engine_options(command=None, *, engine: bool = True):
    """--engine, --model, --base-url and the decoding options; with the command's
    own -o/-g/--cache they become ``config``, the settings in force
    (:func:`pipeline.core.config.load_config`: options over duizhao.toml over defaults).
    ``engine=False`` leaves --engine to the command."""
    if command is None:
        return functools.partial(_engine_options, engine=engine)
    from pipeline.core.config import ENGINE_NAMES

    options = [
        click.option("--engine", "engine_name", type=click.Choice(ENGINE_NAMES), default=None,
                     help="Translation engine [duizhao.toml: engine.name; default: argos]."),
        click.option("--model", default=None, metavar="DIR|NAME",
                     help="ctranslate2: the model folder; openai: the model name as the server lists it; "
                          "argos: a package folder (default: the installed zh→en package)."),
        click.option("--base-url", default=None, metavar="URL",
                     help="openai: the server's OpenAI API [default: http://127.0.0.1:8080/v1, llama-server's]."),
        click.option("--beam-size", type=click.IntRange(1, 16), default=None,
                     help="argos, ctranslate2: beam size for decoding (default 2). Part of the cache key, "
                          "like the options below."),
        click.option("--repetition-penalty", type=click.FloatRange(1.0, 3.0), default=None,
                     help="Penalise tokens already produced (1.0 = off, the default); against looping output."),
        click.option("--no-repeat-ngram-size", type=click.IntRange(0, 10), default=None,
                     help="Never repeat an n-gram of this size (0 = off, the default); against looping output."),
    ]

    if not engine:
        options = options[1:]

    def gather(**kwargs):
        kwargs["config"] = _config(kwargs)
        for key in ("engine_name", "model", "base_url", "beam_size", "repetition_penalty", "no_repeat_ngram_size"):
            kwargs.pop(key, None)
        return command(**kwargs)

    gather = functools.wraps(command)(gather)
    for option in reversed(options):
        gather = option(gather)
    return gather


def _config(params: dict):
    """The settings in force, with the options among ``params`` (command
    parameters, ``None`` when not given) over duizhao.toml."""
    from pipeline.core.config import load_config

    return load_config({key: params.get(name) for key, name in _SETTING_PARAMS.items() if name in params})


_cache_option = click.option(
    "--cache", "cache_path", type=click.Path(dir_okay=False, path_type=str), default=None,
    help="Translation cache file [env DUIZHAO_CACHE; duizhao.toml: cache; default: the user cache folder].")
_glossary_option = click.option(
    "-g", "--glossary", "glossaries", multiple=True, type=click.Path(path_type=str),
    help="Glossary TSV file or folder (its .tsv files); repeat for several (later files win) "
         "[duizhao.toml: glossary; default: every glossary/*.tsv].")


def _paths(config) -> tuple[str, str | None, list[str]]:
    """The output folder, the cache file (``None``: the default) and the glossary
    files and folders in force."""
    cache = config.path("cache")
    return (str(config.path("output")), None if cache is None else str(cache),
            [str(p) for p in config.paths("glossary")])


def _output_formats(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """--format values (repeated or comma-separated) as known format names."""
    from pipeline.render.formats import DEFAULT_FORMATS, FormatError, parse_formats

    try:
        return parse_formats(values) or DEFAULT_FORMATS
    except FormatError as exc:
        raise click.BadParameter(str(exc)) from exc


def _engine_factory(config, offline: bool, name: str | None = None, model: str | None = None):
    """A callable creating the engine in force (or engine ``name`` with ``model``),
    with a download progress bar when the Argos package is installed on first use."""
    from pipeline.translate.engines.settings import EngineSettings

    settings = EngineSettings.from_config(config, name, model)

    def make_engine():
        from pipeline.translate.engines import settings as engine_settings

        with _ProgressBar("Downloading zh→en model") as bar:
            return engine_settings.build_engine(settings, offline=offline, progress=bar,
                                                notify=lambda line: _echo(line, err=True))
    make_engine.settings = settings  # for the workers of --backend ray
    return make_engine


def _watch(source: str, output_dir: str, make_engine, cache_path: str | None,
           glossaries: tuple[str, ...] | None, port: int | None, formats, front_matter: tuple[str, ...] = (),
           variant: str | None = None) -> None:
    """`run --watch`, and `--serve` when ``port`` is given: until Ctrl-C, which exits 0."""
    from pathlib import Path

    from pipeline.translate.cache import TranslationCache
    from pipeline.watch import watch

    server = None
    try:
        with TranslationCache(cache_path, warn=lambda m: _echo(f"Warning: {m}", err=True)) as cache:
            if port is not None:
                from pipeline.serve import ReaderServer

                server = ReaderServer(output_dir, port).start()
                _echo(f"Open {server.url(Path(source).stem + '.html')} (reloads itself after every run)")
            watch(source, output_dir, make_engine, cache, glossaries, formats=formats, front_matter=front_matter,
                  variant=variant, report=_echo,
                  report_error=lambda m: _echo(m, err=True), progress=lambda: _ProgressBar("Translating"))
    except KeyboardInterrupt:
        _echo("Stopped watching.")
    finally:
        if server is not None:
            server.close()


@cli.command()
@click.argument("output_dir", default="output", type=click.Path(file_okay=False, path_type=str))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
def serve(output_dir: str, port: int) -> None:
    """Serve OUTPUT_DIR (default: output) on http://127.0.0.1 until Ctrl-C.

    Pages served this way reload themselves when their file is written again
    (by `duizhao run` or `duizhao run --watch`); the files on disk are not changed.
    """
    from pipeline.serve import ReaderServer

    server = ReaderServer(output_dir, port).start()
    try:
        _echo(f"Serving {output_dir} on {server.url()} (Ctrl-C to stop)")
        for name in server.pages():
            _echo(f"  {server.url(name)}")
        server.wait()
    except KeyboardInterrupt:
        _echo("Stopped serving.")
    finally:
        server.close()


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=str), metavar="SOURCE...")
@click.option("-o", "--output", "output_dir", default=None, type=click.Path(file_okay=False, path_type=str),
              help="Folder for <source>.json and <source>.html (a folder's layout is mirrored under it) "
                   "[duizhao.toml: output; default: output/].")
@click.option("-f", "--format", "formats", multiple=True, callback=_output_formats, metavar="FMT",
              help="Output format: json, html, md (bilingual Markdown), en.md (English Markdown), tmx "
                   "(translation memory); repeat or separate by commas. Default: json,html.")
@click.option("--offline", is_flag=True,
              help="Never touch the network (no model download on first use; openai: only a server on this machine).")
@_engine_options
@_cache_option
@_glossary_option
@_front_matter_option
@_variant_option
@click.option("--watch", is_flag=True,
              help="Keep running: run again whenever the source, a glossary file or the edits file changes.")
@click.option("--serve", is_flag=True,
              help="Also serve OUTPUT on http://127.0.0.1 with pages that reload after every run (implies --watch).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port for --serve (0: any free port).")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where the engine runs: in this process, or on the Ray cluster named by RAY_ADDRESS "
                   "(else a local one); needs the ray extra.")
@click.option("--ray-actors", type=click.IntRange(1), default=None,
              help="Engines on the Ray cluster (default: as many as its CPUs hold).")
@click.option("-j", "--jobs", type=click.IntRange(1), default=1, show_default=True,
              help="Processes for reading, checking and rendering documents (several sources or a folder).")
def run(sources: tuple[str, ...], output_dir: str | None, formats: tuple[str, ...], offline: bool, config,
        cache_path: str | None, glossaries: tuple[str, ...], front_matter: tuple[str, ...], variant: str | None,
        watch: bool, serve: bool,
        port: int, backend: str, ray_actors: int | None, jobs: int) -> None:
    """Translate SOURCE and write OUTPUT/<source>.json and OUTPUT/<source>.html
    (or the --format files: .md, .en.md, .tmx).

    Reads the source, repairs its layout, splits sentences and translates them
    with the engine in force (--engine, or duizhao.toml; default: the Argos zh→en
    model, offline); sentences translated before (same text, same engine, model and
    options) come from the translation cache.

    Several sources, or a folder (every .txt and .md under it), run in one process:
    the model is loaded once, the sentences of all documents are translated
    together, outputs mirror the folders (sources/2024/a.txt → OUTPUT/2024/a.html),
    and a document that fails is reported while the others go on.

    With --backend ray, the sentences not in the cache are translated on a Ray
    cluster (the same text as here); this process alone writes the cache and the outputs.
    """
    from pathlib import Path

    from pipeline.translate.cache import TranslationCache
    from pipeline.run import run as run_pipeline

    make_engine = _engine_factory(config, offline)
    output_dir, cache_path, glossaries = _paths(config)
    if serve and "html" not in formats:
        formats = (*formats, "html")  # the served page is the reader
    single = len(sources) == 1 and not Path(sources[0]).is_dir() and backend == "local"
    if watch or serve:
        if not single:
            raise click.UsageError("--watch and --serve take one source file and the local backend")
        return _watch(sources[0], output_dir, make_engine, cache_path, glossaries, port if serve else None, formats,
                      front_matter, config["variant"])
    if not single:
        ray = None
        if backend == "ray":
            from pipeline.archive import RayBackend

            ray = RayBackend(make_engine.settings, actors=ray_actors)
        summary = _run_many(sources, output_dir, make_engine, cache_path, glossaries, formats, backend=ray,
                            jobs=jobs, front_matter=front_matter, variant=config["variant"])
        if summary.failures or summary.library_error:
            raise SystemExit(1)
        return
    with TranslationCache(cache_path, warn=lambda m: _echo(f"Warning: {m}", err=True)) as cache, \
            _ProgressBar("Translating") as progress:
        result = run_pipeline(sources[0], output_dir, make_engine, cache, progress, glossaries, formats=formats,
                              front_matter=front_matter, variant=config["variant"])
    from pipeline.review.report import document_warnings, flag_summary, run_summary

    for line in document_warnings(result.document):
        _echo(line, err=True)
    _echo(flag_summary(result.document))
    _echo(run_summary(result.document) + " → " + ", ".join(str(p) for p in result.outputs))


def _run_many(sources: tuple[str, ...], output_dir: str | None, make_engine, cache_path: str | None,
              glossaries: tuple[str, ...] | None, formats, on_document=None, backend=None, jobs: int = 1,
              front_matter: tuple[str, ...] = (), variant: str | None = None):
    """`run` (or `check`, with no ``output_dir``) of several documents: failures
    and orphaned edits on stderr as they happen, a progress line on a terminal,
    the counts last. ``on_document(result, echo)`` may print lines of its own;
    ``backend`` (a :class:`~pipeline.archive.RayBackend`) runs the engine elsewhere;
    ``jobs`` > 1 runs the CPU stages in that many processes."""
    import contextlib
    import time

    from pipeline.archive import Workers, discover
    from pipeline.translate.cache import TranslationCache
    from pipeline.review.report import document_warnings
    from pipeline.run import run_many

    started = time.perf_counter()
    documents = discover(sources, output_dir, front_matter, variant)
    display = _RunProgress(len(documents))

    def done(result) -> None:
        for line in document_warnings(result.document):
            display.echo(line)
        if on_document is not None:
            on_document(result, display.echo)
        display.document_done()

    def failed(failure) -> None:
        display.echo(f"Error: {failure}")
        display.document_done()

    with TranslationCache(cache_path, warn=display.echo) as cache, display, backend or contextlib.nullcontext(), \
            Workers(jobs, cache.path) if jobs > 1 else contextlib.nullcontext() as workers:
        summary = run_many(documents, make_engine, cache, glossaries, formats=formats, progress=display.translated,
                           on_document=done, on_failure=failed, library=output_dir, backend=backend,
                           workers=workers)
    if summary.library is not None:
        _echo(f"Library: {summary.library}")
    if summary.library_error is not None:
        _echo(f"Error: the library page was not rebuilt: {summary.library_error}", err=True)
    _echo(_many_summary(summary, time.perf_counter() - started, "written" if output_dir else "checked"))
    return summary


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=str), metavar="SOURCE...")
@click.option("--fail-on", type=click.Choice(["info", "warning", "error"]), default="warning", show_default=True,
              help="Exit with status 1 when an open flag of this severity or worse is present.")
@click.option("--offline", is_flag=True,
              help="Never touch the network (no model download on first use; openai: only a server on this machine).")
@_engine_options
@_cache_option
@_glossary_option
def check(sources: tuple[str, ...], fail_on: str, offline: bool, config, cache_path: str | None,
          glossaries: tuple[str, ...]) -> None:
    """List every review flag of SOURCE's translation; for CI use by teams.

    Runs the pipeline like `duizhao run` (from the cache when nothing changed)
    without writing outputs, prints each flag with its block and sentence, and
    exits with status 1 when any open (not resolved) flag of the --fail-on severity
    or worse is present. The last line is the count the run and the reader show.
    Several sources or a folder are checked in one run, each flag prefixed with its
    source; a document that cannot be read fails the check too.
    """
    from pathlib import Path

    from pipeline.translate.cache import TranslationCache
    from pipeline.review.qa import flags_at_least, review_counts
    from pipeline.run import run as run_pipeline

    make_engine = _engine_factory(config, offline)
    _, cache_path, glossaries = _paths(config)
    if len(sources) > 1 or Path(sources[0]).is_dir():
        counts = {"shown": 0, "failing": 0, "documents": 0}

        def flags_of(result, echo) -> None:
            shown = flags_at_least(result.document, "info")
            failing = flags_at_least(result.document, fail_on, open_only=True)
            for where, flag in shown:
                resolved = " (resolved)" if flag.resolved else ""
                echo(f"{result.document.source}:{where:<8} {flag.severity:<8} {flag.code}: {flag.message}{resolved}",
                     err=False)
            counts["shown"] += len(shown)
            counts["failing"] += len(failing)
            counts["documents"] += bool(failing)

        summary = _run_many(sources, None, make_engine, cache_path, glossaries, ("json",), flags_of)
        from pipeline.core.text import plural

        _echo(f"{plural(counts['shown'], 'flag')}, {counts['failing']} at {fail_on} or worse "
              f"in {counts['documents']} of {plural(summary.written, 'document')}")
        if counts["failing"] or summary.failures:
            raise SystemExit(1)
        return
    with TranslationCache(cache_path, warn=lambda m: _echo(f"Warning: {m}", err=True)) as cache, \
            _ProgressBar("Translating") as progress:
        result = run_pipeline(sources[0], None, make_engine, cache, progress, glossaries)
    for where, flag in flags_at_least(result.document, "info"):
        resolved = " (resolved)" if flag.resolved else ""
        _echo(f"{where:<8} {flag.severity:<8} {flag.code}: {flag.message}{resolved}")
    failing = flags_at_least(result.document, fail_on, open_only=True)
    _echo(f"{review_counts(result.document).line()}; {len(failing)} open at {fail_on} or worse")
    if failing:
        raise SystemExit(1)


def _render_formats(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """`render`'s --format values; the default is the reader alone."""
    from pipeline.render.formats import FormatError, parse_formats

    try:
        return parse_formats(values) or ("html",)
    except FormatError as exc:
        raise click.BadParameter(str(exc)) from exc


@cli.command("render")
@click.argument("document_json", type=click.Path(dir_okay=False, path_type=str), metavar="OUTPUT.json")
@click.option("-o", "--output", "output_dir", default=None, type=click.Path(file_okay=False, path_type=str),
              help="Folder to write to [default: the folder of OUTPUT.json].")
@click.option("-f", "--format", "formats", multiple=True, callback=_render_formats, metavar="FMT",
              help="Output format: html, md, en.md, tmx, json; repeat or separate by commas. Default: html.")
@_variant_option
@_cache_option
def render(document_json: str, output_dir: str | None, formats: tuple[str, ...], variant: str | None,
           cache_path: str | None) -> None:
    """Render OUTPUT.json again: the document model a run wrote (or another tool
    edited, or a newer duizhao made) becomes the reader and the other formats
    again, without translating anything. The page is the one the run made from it."""
    from pathlib import Path

    from pipeline.translate.cache import TranslationCache
    from pipeline.core.model import read_document_json
    from pipeline.render.index import INDEX_NAME
    from pipeline.run import write_outputs

    document = read_document_json(document_json)
    out = Path(output_dir) if output_dir is not None else Path(document_json).parent
    config = _config({"cache_path": cache_path, "variant": variant})
    _, cache_path, _ = _paths(config)
    library = out if (out / INDEX_NAME).exists() else None  # as the run linked to it
    with TranslationCache(cache_path, warn=lambda m: _echo(f"Warning: {m}", err=True)) as cache:
        written = write_outputs(document, out, formats, cache=cache, library=library, variant=config["variant"])
    _echo("Wrote " + ", ".join(str(p) for p in written))


@cli.command("config")
@_engine_options
@click.option("-o", "--output", "output_dir", default=None, type=click.Path(file_okay=False, path_type=str),
              help="As for run: show the settings with this output folder.")
@_cache_option
@_glossary_option
def config_command(config, output_dir: str | None, cache_path: str | None, glossaries: tuple[str, ...]) -> None:
    """Print every setting in force and where it came from.

    Settings come from the command line, the environment, the project file
    duizhao.toml (in this folder or the nearest parent folder that has one; paths
    in it are relative to it) or the defaults, in that order. The options are
    those of `duizhao run`, to see what a run with them would use.
    """
    where = config.project_file or "none (defaults apply; put a duizhao.toml in the project folder)"
    _echo(f"Project file: {where}")
    rows = config.describe()
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for key, value, source in rows:
        _echo(f"{key.ljust(widths[0])}  {value.ljust(widths[1])}  {source}")


@cli.command("eval")
@click.argument("source", type=click.Path(path_type=str))
@click.option("-r", "--reference", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="Reference translations: a TMX file, or a TSV of zh<TAB>en sentence pairs.")
@click.option("--engine", "engine_specs", multiple=True, metavar="NAME[:MODEL]",
              help="An engine to score (argos, ctranslate2 or openai), with its model after a colon "
                   "(ctranslate2:DIR, openai:NAME); repeat to compare. Default: the engine in force.")
@_engine_options(engine=False)
@_cache_option
@_glossary_option
@click.option("--offline", is_flag=True, help="Never touch the network (as for run).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def eval_command(source: str, reference: str, engine_specs: tuple[str, ...], config, cache_path: str | None,
                 glossaries: tuple[str, ...], offline: bool, as_json: bool) -> None:
    """Score engines on SOURCE against reference translations.

    Translates SOURCE's sentences (SOURCE may be a document, or the TMX/TSV file
    itself) with each --engine, through the cache and the glossary as `duizhao run`
    does, and prints per engine sacrebleu's chrF and BLEU over the sentences that
    have a reference, glossary renderings kept, sentences rebuilt to keep terms,
    review flags and the time. This is how to choose an engine on one's own texts.
    """
    import json

    from pipeline.translate.cache import TranslationCache
    from pipeline.core.config import ENGINE_NAMES
    from pipeline.review.evaluate import evaluate, table
    from pipeline.terms.glossary import glossary_files, load_glossaries

    chosen = []
    for spec in engine_specs or (config["engine.name"],):
        name, _, model = spec.partition(":")
        if name not in ENGINE_NAMES:
            raise click.BadParameter(f"{spec!r}: the engine must be one of {', '.join(ENGINE_NAMES)}",
                                     param_hint="--engine")
        chosen.append((spec, _engine_factory(config, offline, name, model or None)))
    _, cache_path, glossary_sources = _paths(config)
    glossary = load_glossaries(glossary_files(glossary_sources))
    with TranslationCache(cache_path, warn=lambda m: _echo(f"Warning: {m}", err=True)) as cache:
        evaluation = evaluate(source, reference, chosen, cache, glossary)
    if as_json:
        _echo(json.dumps(evaluation.to_json(), ensure_ascii=False, indent=2))
    else:
        for line in table(evaluation):
            _echo(line)
    if any(score.error for score in evaluation.engines):
        raise SystemExit(1)


@cli.command("engines")
@_engine_options
def engines_command(config) -> None:
    """List the translation engines: what each needs and whether it is ready.

    Ready means its model is found (argos, ctranslate2) or its server answers
    and serves the model (openai); nothing is downloaded or loaded. The engine in
    force (--engine, duizhao.toml, default argos) is marked with *; the exit status
    is 1 when it is not ready.
    """
    from pipeline.core.config import ENGINE_NAMES
    from pipeline.translate.engines.settings import NEEDS, EngineSettings, readiness

    chosen = config["engine.name"]
    rows = [("", "ENGINE", "NEEDS", "READY")]
    ready_in_force = False
    for name in ENGINE_NAMES:
        ready, detail = readiness(EngineSettings.from_config(config, name))
        ready_in_force = ready_in_force or (ready and name == chosen)
        rows.append(("*" if name == chosen else "", name, NEEDS[name], ("yes: " if ready else "no: ") + detail))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        _echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    if not ready_in_force:
        raise SystemExit(1)


@cli.group("glossary")
def glossary_group() -> None:
    """Check, list, extend and discover glossary terms (glossary/*.tsv).

    A glossary is a UTF-8 TSV file with a header row: zh, en, note, variants.
    """


def _glossary_files(files: tuple[str, ...]) -> list[str]:
    """FILES (files or folders), else the glossary in force; at least one file."""
    from pipeline.core.config import load_config
    from pipeline.terms.glossary import glossary_files

    sources = list(files) or load_config().paths("glossary")
    chosen = [str(p) for p in glossary_files(sources)]
    if not chosen:
        folders = ", ".join(f"{s}/" for s in sources)
        raise click.ClickException(f"no glossary files: give FILES or put .tsv files in {folders}")
    return chosen


@glossary_group.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
def glossary_check(files: tuple[str, ...]) -> None:
    """Validate glossary FILES (default: glossary/*.tsv); errors name file:line."""
    from pipeline.terms.glossary import load_glossaries

    chosen = _glossary_files(files)
    glossary = load_glossaries(chosen)
    from pipeline.core.text import plural

    _echo(f"OK: {plural(len(glossary), 'entry', 'entries')} in {plural(len(chosen), 'file')}: {', '.join(chosen)}")


def _corpus(sources: tuple[str, ...]):
    """The documents of ``sources`` one at a time, and the failures met on the
    way (each also printed as it happens)."""
    from pipeline.archive import read_documents

    failures: list = []

    def failed(failure) -> None:
        failures.append(failure)
        _echo(f"Error: {failure}", err=True)

    return read_documents(sources, failed), failures


def _is_corpus(sources: tuple[str, ...]) -> bool:
    from pathlib import Path

    return len(sources) > 1 or any(Path(s).is_dir() for s in sources)


@glossary_group.command("list")
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
@click.option("--source", "sources", multiple=True, type=click.Path(path_type=str),
              help="Also count each entry's occurrences in this source, or in every document of this "
                   "folder; repeat for several.")
def glossary_list(files: tuple[str, ...], sources: tuple[str, ...]) -> None:
    """List the entries of FILES (default: glossary/*.tsv) with their file:line.

    With --source, each entry's occurrences come first; over several documents,
    also the number of documents it occurs in, and the entries that occur in none
    are named at the end.
    """
    from collections import Counter

    from pipeline.terms.glossary import count_in, load_glossaries
    from pipeline.core.text import plural

    glossary = load_glossaries(_glossary_files(files))
    entries = sorted(glossary.entries, key=lambda e: (e.file, e.line))
    if not sources:
        for entry in entries:
            _echo(f"{entry.zh}\t{entry.en}\t{entry.ref}")
        return
    documents, failures = _corpus(sources)
    counts: Counter = Counter()
    present: Counter = Counter()
    read = 0
    for document in documents:
        found = count_in("\n".join(s.text for s in document.sentences()), glossary)
        counts.update(found)
        present.update(found.keys())
        read += 1
    corpus = _is_corpus(sources)
    for entry in entries:
        where = f"{present[entry.ref]:>4} docs  " if corpus else ""
        _echo(f"{counts[entry.ref]:>4}  {where}{entry.zh}\t{entry.en}\t{entry.ref}")
    if corpus:
        nowhere = [e for e in entries if not counts[e.ref]]
        line = f"{plural(len(nowhere), 'entry', 'entries')} of {len(entries)} occur in none of the {plural(read, 'document')}"
        _echo(line + (": " + ", ".join(f"{e.zh} ({e.ref})" for e in nowhere) if nowhere else ""))
    if failures:
        raise SystemExit(1)


@glossary_group.command("add")
@click.argument("zh")
@click.argument("en")
@click.option("--note", default="", help="What the term means (Markdown).")
@click.option("--variants", default="", help="Other Chinese forms, separated by |.")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=str),
              help="Glossary file to append to (created with a header if missing). Default: the last file of the "
                   "glossary in force (glossary/*.tsv).")
def glossary_add(zh: str, en: str, note: str, variants: str, path: str | None) -> None:
    """Append the entry ZH → EN to a glossary file without disturbing the rest of it."""
    from pathlib import Path

    from pipeline.core.config import load_config
    from pipeline.terms.glossary import add_entry, glossary_files

    if path is None:
        sources = load_config().paths("glossary")
        files = glossary_files(sources)
        path = str(files[-1] if files else (sources or [Path("glossary")])[0] / "glossary.tsv")
    line = add_entry(zh, en, note=note, variants=variants, path=path)
    _echo(f"Added {zh} → {en} as {line}")


@glossary_group.command("suggest")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=str), metavar="SOURCE...")
@click.option("-g", "--glossary", "glossaries", multiple=True, type=click.Path(path_type=str),
              help="Glossary files whose terms are already known. Default: every glossary/*.tsv.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="How many candidates to show.")
@click.option("--tsv", "tsv_path", type=click.Path(dir_okay=False, path_type=str),
              help="Append the candidates to this glossary file as commented-out draft rows to fill in.")
def glossary_suggest(sources: tuple[str, ...], glossaries: tuple[str, ...], limit: int, tsv_path: str | None) -> None:
    """Rank glossary candidates found in SOURCE that the glossary lacks.

    Quoted phrases, numbered slogans (三条路径, 一号工程) and frequent words that
    jieba's general dictionary does not know, each with its count and a context.
    Over several sources or a folder, candidates are ranked by the number of
    documents they occur in, then by count, with a context line from each of up
    to three documents.
    """
    from pipeline.core.config import load_config
    from pipeline.terms.glossary import append_drafts, glossary_files, load_glossaries
    from pipeline.terms.suggest import suggest_terms

    glossary = load_glossaries(glossary_files(list(glossaries) or load_config().paths("glossary")))
    documents, failures = _corpus(sources)
    candidates = suggest_terms(documents, glossary, limit)
    corpus = _is_corpus(sources)
    for candidate in candidates:
        if not corpus:
            _echo(f"{candidate.count:>4}  {candidate.kind:<12}  {candidate.zh}\t{candidate.context}")
            continue
        _echo(f"{candidate.documents:>4} docs {candidate.count:>5}×  {candidate.kind:<12}  {candidate.zh}")
        for source, context in candidate.contexts:
            _echo(f"        {source}: {context}")
    if tsv_path:
        append_drafts(tsv_path, candidates)
        from pipeline.core.text import plural

        _echo(f"Appended {plural(len(candidates), 'draft row')} to {tsv_path}: "
              "remove the leading '# ' and fill in en.")
    if failures:
        raise SystemExit(1)


@glossary_group.command("export")
@click.argument("files", nargs=-1, type=click.Path(path_type=str))
@click.option("-o", "--output", "path", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="File to write (.tbx or .csv).")
@click.option("-f", "--format", "fmt", type=click.Choice(["tbx", "csv"]),
              help="tbx (TBX-Basic, for CAT tools) or csv (zh,en,note,variants). Default: from the -o suffix.")
def glossary_export(files: tuple[str, ...], path: str, fmt: str | None) -> None:
    """Write the entries of FILES (default: glossary/*.tsv) as TBX or CSV."""
    from pipeline.terms.glossary import load_glossaries
    from pipeline.terms.termbase import export_termbase, format_of

    fmt = format_of(path, fmt)
    glossary = load_glossaries(_glossary_files(files))
    written = export_termbase(glossary, path, fmt)
    from pipeline.core.text import plural

    _echo(f"Wrote {plural(len(glossary), 'entry', 'entries')} to {written} ({fmt})")


@glossary_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=str))
@click.option("--into", type=click.Path(dir_okay=False, path_type=str),
              help="Glossary TSV to append to (created if missing). Default: glossary/<stem of FILE>.tsv.")
@click.option("-f", "--format", "fmt", type=click.Choice(["tbx", "csv"]), help="Default: from FILE's suffix.")
def glossary_import(file: str, into: str | None, fmt: str | None) -> None:
    """Append the terms of a TBX (v3 or the older martif layout) or CSV FILE to a glossary TSV.

    Terms already there unchanged are left alone; a clash with an entry there
    refuses the whole import and leaves the file as it was.
    """
    from pipeline.terms.termbase import import_termbase

    result = import_termbase(file, into, fmt)
    for message in result.skipped:
        _echo(f"Skipped {message}", err=True)
    from pipeline.core.text import plural

    _echo(f"{result.target}: {plural(len(result.added), 'entry', 'entries')} added, "
               f"{len(result.already_there)} already there, {len(result.skipped)} skipped")


@cli.group("edits")
def edits_group() -> None:
    """Post-edits: the English a reviewer approved, kept beside the source as
    <stem>.edits.tsv (columns: source, machine, english) and applied on every run."""


@edits_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=str))
@click.option("--source", type=click.Path(exists=True, dir_okay=False, path_type=str),
              help="The source the edits belong to (default: the one named in FILE, there or in sources/).")
def edits_import(file: str, source: str | None) -> None:
    """Merge FILE (saved from the reader) into <stem>.edits.tsv beside its source."""
    from pipeline.review.edits import import_edits, source_of
    from pipeline.core.text import plural

    source = source if source is not None else str(source_of(file))
    target, added, replaced = import_edits(file, source)
    _echo(f"{target}: {plural(added, 'edit')} added, {replaced} replaced; `duizhao run {source}` applies them")


# ---- models and cache commands (pipeline.translate.packages, pipeline.translate.cache) ---------------------


def _many_summary(summary, seconds: float, verb: str = "written") -> str:
    """The last line of a run of many documents: documents written and failed,
    then what was translated and what came from the cache (each distinct text once)."""
    from pipeline.core.text import plural
    from pipeline.review.report import requests_line

    requests = "" if summary.requests is None else ", " + requests_line(*summary.requests)
    return (
        f"{plural(summary.written, 'document')} {verb}, {len(summary.failures)} failed; "
        f"{plural(summary.sentences, 'sentence')}: {summary.translated} translated, "
        f"{summary.cached} from cache{requests}, {seconds:.1f} s"
    )


class _ProgressBar:
    """A click progress bar on stderr for ``progress(done, total)`` callbacks,
    opened on the first call (when the total is known) and only on a terminal."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.shown = 0

    def __enter__(self) -> _ProgressBar:
        return self

    def __call__(self, done: int, total: int | None) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total or 0, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __exit__(self, *exc_info) -> None:
        self.close()


class _RunProgress:
    """The progress of a run of many documents, one line on stderr redrawn in
    place (documents done/total, sentences translated, rate, ETA); nothing when
    stderr is not a terminal. :meth:`echo` prints a line above it."""

    #: Seconds between redraws.
    INTERVAL = 0.2

    def __init__(self, documents: int):
        import time

        self.clock = time.monotonic
        self.total = documents
        self.documents = 0
        self.sentences = 0
        self.last_done = 0
        self.started = self.clock()
        self.drawn = 0.0
        self.live = sys.stderr.isatty()
        self.width = 0

    def __enter__(self) -> _RunProgress:
        return self

    def __exit__(self, *exc_info) -> None:
        self._clear()

    def translated(self, done: int, total: int) -> None:
        """``progress(done, total)`` of one translation call (one window)."""
        self.sentences += done - self.last_done if done >= self.last_done else done
        self.last_done = done if done < total else 0
        self._draw()

    def document_done(self) -> None:
        self.documents += 1
        self._draw(force=self.documents == self.total)

    def echo(self, line: str, err: bool = True) -> None:
        self._clear()
        _echo(line, err=err)
        self._draw(force=True)

    def line(self) -> str:
        from pipeline.core.text import eta

        elapsed = self.clock() - self.started
        rate = self.sentences / elapsed if elapsed > 0 else 0.0
        text = f"{self.documents}/{self.total} documents · {self.sentences} sentences translated"
        if elapsed >= 1:
            text += f" · {rate:.1f} sentences/s"
        if 0 < self.documents < self.total:
            text += f" · ETA {eta(elapsed / self.documents * (self.total - self.documents))}"
        return text

    def _draw(self, force: bool = False) -> None:
        if not self.live or (not force and self.clock() - self.drawn < self.INTERVAL):
            return
        self.drawn = self.clock()
        text = self.line()
        sys.stderr.write("\r" + text + " " * max(0, self.width - len(text)))
        sys.stderr.flush()
        self.width = len(text)

    def _clear(self) -> None:
        if self.live and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()
            self.width = 0


_from_option = click.option(
    "--from", "from_code", default="zh", show_default=True, help="Source language code."
)
_to_option = click.option("--to", "to_code", default="en", show_default=True, help="Target language code.")


@cli.group("models")
def models_group() -> None:
    """List, install and remove Argos Translate models.

    Models live in Argos Translate's own package folder ($ARGOS_PACKAGES_DIR, else
    ~/.local/share/argos-translate/packages), so models installed with argospm are used too.
    """


@models_group.command("list")
def models_list() -> None:
    """Show the installed models: languages, version, size and folder."""
    from pipeline.translate import packages

    installed = packages.installed_packages()
    if not installed:
        _echo(
            f"No models installed in {packages.packages_dir()}. "
            "Install one with `duizhao models install`."
        )
        return
    from pipeline.core.text import human_size

    rows = [("LANGUAGES", "VERSION", "SIZE", "PATH")] + [
        (p.pair, p.package_version, human_size(p.size_bytes), str(p.path)) for p in installed
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        _echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])


@models_group.command("install")
@_from_option
@_to_option
@click.option(
    "--file",
    "package_file",
    type=click.Path(dir_okay=False, path_type=str),
    help="Install this .argosmodel file instead of downloading from the package index.",
)
def models_install(from_code: str, to_code: str, package_file: str | None) -> None:
    """Install a translation model, from the Argos package index or from a file."""
    from pipeline.translate import packages

    if package_file is not None:
        info = packages.install_from_file(package_file, from_code=from_code, to_code=to_code)
    else:
        with _ProgressBar(f"Downloading {from_code}→{to_code} model") as bar:
            info = packages.install_from_index(from_code, to_code, bar)
    from pipeline.core.text import human_size

    _echo(
        f"Installed {info.pair} model {info.name} (version {info.package_version}, "
        f"{human_size(info.size_bytes)}) in {info.path}"
    )


@models_group.command("remove")
@_from_option
@_to_option
def models_remove(from_code: str, to_code: str) -> None:
    """Uninstall the model for a language pair."""
    from pipeline.translate import packages

    for info in packages.remove_package(from_code, to_code):
        _echo(f"Removed {info.pair} model {info.name} (version {info.package_version}) from {info.path}")


@cli.group("cache")
def cache_group() -> None:
    """Inspect or empty the translation cache (SQLite; keyed by engine signature and text)."""


def _existing_cache(cache_path: str | None, if_missing: str):
    """The translation cache at ``cache_path`` (or the default), or ``None`` after
    saying ``if_missing`` when no cache file exists yet (none is created)."""
    from pipeline.translate.cache import TranslationCache
    from pipeline.core.config import default_cache_path
    from pipeline.core.config import load_config

    path = load_config({"cache": cache_path}).path("cache") or default_cache_path()
    if not path.exists():
        _echo(f"Cache: {path} ({if_missing})")
        return None
    return TranslationCache(path, warn=lambda m: _echo(f"Warning: {m}", err=True))


@cache_group.command("info")
@_cache_option
def cache_info(cache_path: str | None) -> None:
    """Show where the cache is, its size, and how many translations per engine signature."""
    cache = _existing_cache(cache_path, "not created yet; 0 translations")
    if cache is None:
        return
    with cache:
        info = cache.info()
    from pipeline.core.text import human_size

    _echo(f"Cache: {info.path}")
    _echo(f"Translations: {info.entries}  ({human_size(info.size_bytes)} on disk)")
    for signature, count in info.by_signature.items():
        _echo(f"  {count:>8}  {signature}")


@cache_group.command("clear")
@_cache_option
def cache_clear(cache_path: str | None) -> None:
    """Delete every cached translation (the next run translates everything again)."""
    cache = _existing_cache(cache_path, "not created yet; nothing to clear")
    if cache is None:
        return
    with cache:
        deleted = cache.clear()
    _echo(f"Removed {deleted} cached translations from {cache.path}")


# ---- end of models and cache commands -------------------------------------------------


def main() -> None:
    cli(prog_name="duizhao")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
