"""``duizhao segment``, ``run``, ``check``, ``render`` and ``serve``: the pipeline on
sources, its outputs and the reader pages.
"""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.common import (
    ProgressBar,
    RunProgress,
    cache_option,
    echo,
    engine_factory,
    engine_options,
    formats_in_force,
    front_matter_option,
    keep_boilerplate_option,
    ocr_option,
    password_option,
    glossary_option,
    memory_in_force,
    memory_option,
    offline_option,
    output_formats,
    paths_in_force,
    settings_in_force,
    variant_option,
    warn_without_glossary,
)


@click.command()
@click.argument("source", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the document model) instead of text.")
@front_matter_option
@keep_boilerplate_option
@ocr_option
@password_option
def segment(source: str, as_json: bool, front_matter: tuple[str, ...], keep_boilerplate: bool, ocr: bool,
            password: str | None) -> None:
    """Show how SOURCE is cut into blocks and sentences, before any translation.

    Prints every block with its id, kind and sentences, the flags raised for
    review, and the duplicated blocks that were dropped.
    """
    from pipeline.read import load_document

    document = load_document(source, front_matter, keep_boilerplate=keep_boilerplate, ocr=ocr, password=password)
    if as_json:
        import json

        echo(json.dumps(document.to_json(), ensure_ascii=False, indent=2))
        return
    from pipeline.review.report import describe_segmentation

    echo(describe_segmentation(document))


def _watch(source: str, output_dir: str, folder: Path, make_engine, cache_path: str | None,
           glossaries: tuple[str, ...] | None, port: int | None, formats, front_matter: tuple[str, ...] = (),
           variant: str | None = None, keep_boilerplate: bool = False, ocr: bool = False,
           password: str | None = None, memory_path=None) -> None:
    """`run --watch`, and `--serve` when ``port`` is given: until Ctrl-C, which exits 0.
    ``folder`` is where the source's outputs go (under ``output_dir``, the library's)."""
    from pipeline.review.memory import TranslationMemory
    from pipeline.serve.watch import watch
    from pipeline.translate.cache import TranslationCache

    server = None
    try:
        with TranslationCache(cache_path, warn=lambda m: echo(f"Warning: {m}", err=True)) as cache, \
                TranslationMemory(memory_path) as memory:
            if port is not None:
                from pipeline.serve.server import ReaderServer

                server = ReaderServer(output_dir, port).start()
                page = (folder / (Path(source).stem + ".html")).relative_to(output_dir).as_posix()
                echo(f"Open {server.url(page)} (reloads itself after every run)")
            watch(source, folder, make_engine, cache, glossaries, formats=formats, front_matter=front_matter,
                  variant=variant, keep_boilerplate=keep_boilerplate, ocr=ocr, password=password,
                  library=output_dir, memory=memory, report=echo,
                  report_error=lambda m: echo(m, err=True), progress=lambda: ProgressBar("Translating"))
    except KeyboardInterrupt:
        echo("Stopped watching.")
    finally:
        if server is not None:
            server.close()


@click.command()
@click.argument("output_dir", default="output", type=click.Path(file_okay=False, path_type=str))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
def serve(output_dir: str, port: int) -> None:
    """Serve OUTPUT_DIR (default: output) on http://127.0.0.1 until Ctrl-C.

    / is the library page (OUTPUT_DIR/index.html, every document, in subfolders
    too). Pages served this way reload themselves when their file is written again
    (by `duizhao run` or `duizhao run --watch`); the files on disk are not changed.
    """
    from pipeline.serve.server import ReaderServer

    server = ReaderServer(output_dir, port).start()
    try:
        echo(f"Serving {output_dir} on {server.url()} (Ctrl-C to stop)")
        for name in server.pages():
            echo(f"  {server.url(name)}" + ("  (the library: every document)" if not name else ""))
        server.wait()
    except KeyboardInterrupt:
        echo("Stopped serving.")
    finally:
        server.close()


@click.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=str), metavar="SOURCE...")
@click.option("-o", "--output", "output_dir", default=None, type=click.Path(file_okay=False, path_type=str),
              help="Folder for <source>.json and <source>.html (a folder's layout is mirrored under it) "
                   "[duizhao.toml: output; default: output/].")
@click.option("-f", "--format", "formats", multiple=True, callback=output_formats, metavar="FMT",
              help="Output format: json, html, md (bilingual Markdown), en.md (English Markdown), tmx "
                   "(translation memory), docx and en.docx (Word, bilingual and English), epub and en.epub, "
                   "bi.html and en.html (the saved web page), subs and en.subs (subtitles in the source's "
                   "format); repeat or separate by commas [duizhao.toml: formats; default: json,html].")
@offline_option
@engine_options
@cache_option
@memory_option
@glossary_option
@front_matter_option
@keep_boilerplate_option
@ocr_option
@password_option
@variant_option
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
        cache_path: str | None, memory_path: str | None, glossaries: tuple[str, ...], front_matter: tuple[str, ...],
        keep_boilerplate: bool, ocr: bool, password: str | None, variant: str | None, watch: bool, serve: bool,
        port: int, backend: str, ray_actors: int | None, jobs: int) -> None:
    """Translate SOURCE and write OUTPUT/<source>.json and OUTPUT/<source>.html
    (or the --format files: .md, .en.md, .tmx).

    Reads the source, repairs its layout, splits sentences and translates them
    with the engine in force (--engine, or duizhao.toml; default: the Argos zh→en
    model, offline); sentences translated before (same text, same engine, model and
    options) come from the translation cache.

    Several sources, or a folder (every source file under it: text, Markdown,
    web pages, Word files, EPUB books, subtitles), run in one process:
    the model is loaded once, the sentences of all documents are translated
    together, outputs mirror the folders (sources/2024/a.txt → OUTPUT/2024/a.html),
    and a document that fails is reported while the others go on.

    With --backend ray, the sentences not in the cache are translated on a Ray
    cluster (the same text as here); this process alone writes the cache and the outputs.

    Sentences approved in another document (the project translation memory,
    --memory) are taken from there, without an engine call, and marked tm-exact.
    """
    from pipeline.review.memory import TranslationMemory
    from pipeline.run import run as run_pipeline
    from pipeline.translate.cache import TranslationCache

    make_engine = engine_factory(config, offline)
    output_dir, cache_path, glossaries = paths_in_force(config)
    formats = formats_in_force(config)
    source_root = config.source_folder()
    if serve and "html" not in formats:
        formats = (*formats, "html")  # the served page is the reader
    single = len(sources) == 1 and not Path(sources[0]).is_dir() and backend == "local"
    if (watch or serve) and not single:
        raise click.UsageError("--watch and --serve take one source file and the local backend")
    if not single:
        ray = None
        if backend == "ray":
            from pipeline.archive import RayBackend

            ray = RayBackend(make_engine.settings, actors=ray_actors)
        summary = _run_many(sources, output_dir, make_engine, cache_path, glossaries, formats, backend=ray,
                            jobs=jobs, front_matter=front_matter, variant=config["variant"],
                            keep_boilerplate=keep_boilerplate, ocr=ocr, password=password,
                            memory_path=memory_in_force(config), source_root=source_root)
        if summary.failures or summary.library_error:
            raise SystemExit(1)
        return
    from pipeline.archive import discover

    job = discover(sources, output_dir, front_matter, config["variant"], keep_boilerplate, ocr, password,
                   source_root=source_root)[0]
    warn_without_glossary(glossaries)
    if watch or serve:
        return _watch(sources[0], output_dir, job.output_dir, make_engine, cache_path, glossaries,
                      port if serve else None, formats, front_matter, config["variant"], keep_boilerplate, ocr,
                      password, memory_in_force(config))
    with TranslationCache(cache_path, warn=lambda m: echo(f"Warning: {m}", err=True)) as cache, \
            TranslationMemory(memory_in_force(config)) as memory, ProgressBar("Translating") as progress:
        result = run_pipeline(job.source, job.output_dir, make_engine, cache, progress, glossaries, formats=formats,
                              front_matter=front_matter, variant=config["variant"],
                              keep_boilerplate=keep_boilerplate, ocr=ocr, password=password, library=output_dir,
                              warn=lambda m: echo(f"Warning: {m}", err=True), memory=memory)
    from pipeline.review.report import document_warnings, done_line, flag_summary

    for line in document_warnings(result.document):
        echo(line, err=True)
    echo(flag_summary(result.document))
    echo(done_line(result.document, result.outputs))


def _run_many(sources: tuple[str, ...], output_dir: str | None, make_engine, cache_path: str | None,
              glossaries: tuple[str, ...] | None, formats, on_document=None, backend=None, jobs: int = 1,
              front_matter: tuple[str, ...] = (), variant: str | None = None, keep_boilerplate: bool = False,
              ocr: bool = False, password: str | None = None, memory_path=None, on_memory=None, source_root=None):
    """`run` (or `check`, with no ``output_dir``) of several documents: failures
    and orphaned edits on stderr as they happen, a progress line on a terminal,
    the counts last. ``on_document(result, echo)`` may print lines of its own;
    ``backend`` (a :class:`~pipeline.archive.RayBackend`) runs the engine elsewhere;
    ``jobs`` > 1 runs the CPU stages in that many processes; ``memory_path`` is the
    project translation memory, given to ``on_memory(memory, documents)`` at the end."""
    import contextlib
    import time

    from pipeline.archive import Workers, discover
    from pipeline.core.config import shown_path
    from pipeline.review.report import document_warnings
    from pipeline.run import run_many
    from pipeline.translate.cache import TranslationCache

    started = time.perf_counter()
    documents = discover(sources, output_dir, front_matter, variant, keep_boilerplate, ocr, password,
                         source_root=source_root)
    warn_without_glossary(glossaries)
    display = RunProgress(len(documents))

    def done(result) -> None:
        for line in document_warnings(result.document):
            display.echo(line)
        if on_document is not None:
            on_document(result, display.echo)
        display.document_done()

    def failed(failure) -> None:
        display.echo(f"Error: {failure}")
        display.document_done()

    from pipeline.review.memory import TranslationMemory

    with TranslationCache(cache_path, warn=display.echo) as cache, display, backend or contextlib.nullcontext(), \
            Workers(jobs, cache.path) if jobs > 1 else contextlib.nullcontext() as workers, \
            TranslationMemory(memory_path) if memory_path else contextlib.nullcontext() as memory:
        summary = run_many(documents, make_engine, cache, glossaries, formats=formats, progress=display.translated,
                           on_document=done, on_failure=failed, library=output_dir, backend=backend,
                           workers=workers, warn=lambda m: display.echo(f"Warning: {m}"), memory=memory)
        if on_memory is not None and memory is not None:
            on_memory(memory, documents)
    if summary.library is not None:
        echo(f"Library: {shown_path(summary.library)}")
    if summary.library_error is not None:
        echo(f"Error: the library page was not rebuilt: {summary.library_error}", err=True)
    if output_dir is not None:  # `check` prints its own Review line, with what fails
        echo(summary.review.line())
    echo(_many_summary(summary, time.perf_counter() - started, "written" if output_dir else "checked"))
    return summary


@click.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=str), metavar="SOURCE...")
@click.option("--fail-on", type=click.Choice(["info", "warning", "error"]), default="warning", show_default=True,
              help="Exit with status 1 when an open flag of this severity or worse is present.")
@offline_option
@engine_options
@cache_option
@memory_option
@glossary_option
@keep_boilerplate_option
@ocr_option
@password_option
def check(sources: tuple[str, ...], fail_on: str, offline: bool, config, cache_path: str | None,
          memory_path: str | None, glossaries: tuple[str, ...], keep_boilerplate: bool, ocr: bool,
          password: str | None) -> None:
    """List every review flag of SOURCE's translation; for CI use by teams.

    Runs the pipeline like `duizhao run` (from the cache when nothing changed)
    without writing outputs, prints each flag with its block and sentence, and
    exits with status 1 when any open (not resolved) flag of the --fail-on severity
    or worse is present. The last line is the count the run and the reader show.
    Several sources or a folder are checked in one run, each flag prefixed with its
    source; a document that cannot be read fails the check too. Over several
    documents, the project's consistency is checked too (warnings): a source
    approved with different English in two documents, one English approved for
    different sources (the project translation memory, --memory).
    """
    from pipeline.review.qa import flags_at_least, review_counts
    from pipeline.run import run as run_pipeline
    from pipeline.translate.cache import TranslationCache

    make_engine = engine_factory(config, offline)
    _, cache_path, glossaries = paths_in_force(config)
    if len(sources) > 1 or Path(sources[0]).is_dir():
        counts = {"failing": 0, "documents": 0, "project": 0}

        def flags_of(result, echo) -> None:
            shown = flags_at_least(result.document, "info")
            failing = flags_at_least(result.document, fail_on, open_only=True)
            for where, flag in shown:
                resolved = " (resolved)" if flag.resolved else ""
                echo(f"{result.document.source}:{where:<8} {flag.severity:<8} {flag.code}: {flag.message}{resolved}",
                     err=False)
            counts["failing"] += len(failing)
            counts["documents"] += bool(failing)

        def consistency(memory, documents) -> None:
            from pipeline.translate.memory import document_name

            issues = memory.consistency({document_name(job.source) for job in documents})
            for issue in issues:
                echo(f"project:{'':<4} warning  {issue.line()}")
            counts["project"] += len(issues)
            if fail_on in ("info", "warning"):
                counts["failing"] += len(issues)

        summary = _run_many(sources, None, make_engine, cache_path, glossaries, ("json",), flags_of,
                            keep_boilerplate=keep_boilerplate, ocr=ocr, password=password,
                            memory_path=memory_in_force(config), on_memory=consistency)
        from pipeline.core.text import plural

        project = f", {plural(counts['project'], 'project warning')}" if counts["project"] else ""
        echo(f"{summary.review.line()}{project}; {counts['failing']} open at {fail_on} or worse "
             f"in {counts['documents']} of {plural(summary.written, 'document')}")
        if counts["failing"] or summary.failures:
            raise SystemExit(1)
        return
    from pipeline.review.memory import TranslationMemory

    warn_without_glossary(glossaries)
    with TranslationCache(cache_path, warn=lambda m: echo(f"Warning: {m}", err=True)) as cache, \
            TranslationMemory(memory_in_force(config)) as memory, ProgressBar("Translating") as progress:
        result = run_pipeline(sources[0], None, make_engine, cache, progress, glossaries, memory=memory,
                              keep_boilerplate=keep_boilerplate, ocr=ocr, password=password)
    for where, flag in flags_at_least(result.document, "info"):
        resolved = " (resolved)" if flag.resolved else ""
        echo(f"{where:<8} {flag.severity:<8} {flag.code}: {flag.message}{resolved}")
    failing = flags_at_least(result.document, fail_on, open_only=True)
    echo(f"{review_counts(result.document).line()}; {len(failing)} open at {fail_on} or worse")
    if failing:
        raise SystemExit(1)


def _render_formats(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """`render`'s --format values; the default is the reader alone."""
    from pipeline.render.formats import FormatError, parse_formats

    try:
        return parse_formats(values) or ("html",)
    except FormatError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command("render")
@click.argument("document_json", type=click.Path(dir_okay=False, path_type=str), metavar="OUTPUT.json")
@click.option("-o", "--output", "output_dir", default=None, type=click.Path(file_okay=False, path_type=str),
              help="Folder to write to [default: the folder of OUTPUT.json].")
@click.option("-f", "--format", "formats", multiple=True, callback=_render_formats, metavar="FMT",
              help="Output format: html, md, en.md, tmx, json, docx, en.docx, epub, en.epub, bi.html, en.html, "
                   "subs, en.subs; repeat or separate by commas. Default: html.")
@variant_option
@cache_option
def render(document_json: str, output_dir: str | None, formats: tuple[str, ...], variant: str | None,
           cache_path: str | None) -> None:
    """Render OUTPUT.json again: the document model a run wrote (or another tool
    edited, or a newer duizhao made) becomes the reader and the other formats
    again, without translating anything. The page is the one the run made from it."""
    from pipeline.core.model import read_document_json
    from pipeline.render.index import INDEX_NAME
    from pipeline.run import write_outputs
    from pipeline.translate.cache import TranslationCache

    document = read_document_json(document_json)
    out = Path(output_dir) if output_dir is not None else Path(document_json).parent
    config = settings_in_force({"cache_path": cache_path, "variant": variant})
    _, cache_path, _ = paths_in_force(config)
    library = out if (out / INDEX_NAME).exists() else None  # as the run linked to it
    with TranslationCache(cache_path, warn=lambda m: echo(f"Warning: {m}", err=True)) as cache:
        written = write_outputs(document, out, formats, cache=cache, library=library, variant=config["variant"])
    from pipeline.core.config import shown_path

    echo("Wrote " + ", ".join(shown_path(p) for p in written))


# ---- models and cache commands (pipeline.translate.packages, pipeline.translate.cache) ---------------------


def _many_summary(summary, seconds: float, verb: str = "written") -> str:
    """The last line of a run of many documents: documents written and failed,
    then the sentences counted as for one document (:func:`pipeline.review.report.sentence_counts`)."""
    from pipeline.core.text import plural
    from pipeline.review.report import failures_line, requests_line, sentence_counts, tokens_line

    failures = ""
    if summary.engine_rebuilt or summary.engine_failed:
        failures = ", " + failures_line(summary.engine_rebuilt, summary.engine_failed)
    requests = "" if summary.requests is None else ", " + requests_line(*summary.requests)
    tokens = f", {tokens_line(summary.tokens, seconds)}" if summary.tokens else ""
    return (
        f"{plural(summary.written, 'document')} {verb}, {len(summary.failures)} failed; "
        f"{sentence_counts(summary.sentences, summary.translated, summary.cached, summary.kept)}"
        f"{failures}{requests}{tokens}, {seconds:.1f} s"
    )

