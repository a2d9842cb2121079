"""``duizhao review`` (the live review workspace) and ``duizhao tm`` (the project
translation memory: import, export, stats).
"""

from __future__ import annotations

import click

from pipeline.cli.common import (
    cache_option,
    echo,
    engine_factory,
    engine_options,
    glossary_option,
    memory_in_force,
    memory_option,
    offline_option,
    paths_in_force,
    settings_in_force,
)

@click.command("review")
@click.argument("sources", nargs=-1, type=click.Path(path_type=str), metavar="[SOURCE|DIR]...")
@click.option("-o", "--output", "output_dir", default=None, type=click.Path(file_okay=False, path_type=str),
              help="Folder for the outputs (as for run) [duizhao.toml: output; default: output/].")
@offline_option
@engine_options
@cache_option
@memory_option
@glossary_option
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: a free one the system picks).")
@click.option("--open/--no-open", "open_browser", default=True, show_default=True,
              help="Open the library page in the web browser.")
@click.option("--quiet", is_flag=True, help="Do not log each request on stderr.")
def review_command(sources: tuple[str, ...], output_dir: str | None, offline: bool, config, cache_path: str | None,
                   memory_path: str | None, glossaries: tuple[str, ...], port: int, open_browser: bool,
                   quiet: bool) -> None:
    """Review SOURCE (or every document of DIR; default: sources/) in the browser,
    live: edits are saved as they are made, checks recomputed at once, sentences
    approved with Ctrl+Enter, flags resolved one, one code or one sentence at a
    time, glossary terms added from a selection (the documents that contain them
    are run again at once), and approvals kept in the project translation memory.

    Serves on http://127.0.0.1 only, with a random token in the URL it prints
    (and opens); every request needs it. Ctrl-C stops.
    """
    from pathlib import Path

    from pipeline.review.memory import TranslationMemory
    from pipeline.serve.review import ReviewServer
    from pipeline.serve.workspace import Workspace
    from pipeline.translate.cache import TranslationCache

    source_root = config.source_folder()
    chosen = list(sources) or [str(source_root or "sources")]
    missing = [s for s in chosen if not Path(s).exists()]
    if missing:
        raise click.ClickException(f"{missing[0]}: no such file or folder (give the sources to review)")
    make_engine = engine_factory(config, offline)
    output, cache_path, glossary_paths = paths_in_force(config)
    warn = lambda m: echo(f"Warning: {m}", err=True)  # noqa: E731
    with TranslationCache(cache_path, warn=warn) as cache, \
            TranslationMemory(memory_in_force(config)) as memory:
        workspace = Workspace(chosen, output, make_engine, cache, glossary_paths, memory, variant=config["variant"],
                              report=lambda line: echo(line, err=True), source_root=source_root)
        echo(f"Running {len(workspace.jobs)} document{'s' if len(workspace.jobs) != 1 else ''}…", err=True)
        workspace.start()
        server = ReviewServer(workspace, port, log=None if quiet else lambda line: echo(line, err=True)).start()
        try:
            url = server.url()
            echo(f"Review workspace: {url}")
            echo("  (the token in this address is the session's key; Ctrl-C stops)", err=True)
            if open_browser:
                import webbrowser

                webbrowser.open(url)
            server.wait()
        except KeyboardInterrupt:
            echo("Stopped reviewing.")
        finally:
            server.close()
            workspace.close()


@click.group("tm")
def tm_group() -> None:
    """The project translation memory: every approved sentence, kept beside the
    translation cache; exact matches are applied before any engine call."""


@tm_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=str), metavar="FILE.tmx")
@cache_option
@memory_option
@glossary_option
def tm_import(file: str, cache_path: str | None, memory_path: str | None, glossaries: tuple[str, ...]) -> None:
    """Import the sentence pairs of a TMX file (OmegaT, memoQ, Trados, ...) into the memory."""
    from pipeline.review.memory import TranslationMemory
    from pipeline.review.memory_tmx import import_tmx
    from pipeline.terms.glossary import glossary_files, load_glossaries

    config = settings_in_force({"cache_path": cache_path, "memory_path": memory_path, "glossaries": glossaries or None})
    _, _, glossary_paths = paths_in_force(config)
    glossary = load_glossaries(glossary_files(glossary_paths))
    with TranslationMemory(memory_in_force(config)) as memory:
        result = import_tmx(memory, file, glossary)
        echo(f"{memory.path}: {result.added} added, {result.replaced} replaced, {result.unchanged} unchanged "
             f"from {file}")


@tm_group.command("export")
@click.option("-o", "--output", "path", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="TMX file to write.")
@click.option("--source-lang", default="zh-CN", show_default=True, help="Language code of the Chinese segments.")
@click.option("--target-lang", default="en", show_default=True, help="Language code of the English segments.")
@cache_option
@memory_option
def tm_export(path: str, source_lang: str, target_lang: str, cache_path: str | None, memory_path: str | None) -> None:
    """Write the memory as TMX 1.4 (for OmegaT, memoQ, Trados, ...)."""
    from pipeline.review.memory import TranslationMemory
    from pipeline.review.memory_tmx import export_tmx

    config = settings_in_force({"cache_path": cache_path, "memory_path": memory_path})
    with TranslationMemory(memory_in_force(config)) as memory:
        count = export_tmx(memory, path, source_lang=source_lang, target_lang=target_lang)
    echo(f"Wrote {count} unit{'s' if count != 1 else ''} to {path}")


@tm_group.command("stats")
@cache_option
@memory_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of lines.")
def tm_stats(cache_path: str | None, memory_path: str | None, as_json: bool) -> None:
    """What the memory holds: units, documents, imports and consistency problems."""
    from pipeline.core.text import human_size
    from pipeline.review.memory import TranslationMemory

    config = settings_in_force({"cache_path": cache_path, "memory_path": memory_path})
    with TranslationMemory(memory_in_force(config)) as memory:
        stats = memory.stats()
    if as_json:
        import json

        echo(json.dumps(stats, ensure_ascii=False, indent=2))
        return
    echo(f"Memory: {stats['path']} ({human_size(stats['bytes'])})")
    echo(f"Units: {stats['units']} ({stats['keys']} distinct sources): {stats['approved']} approved in "
         f"{stats['documents']} document{'s' if stats['documents'] != 1 else ''}, "
         f"{stats['units'] - stats['approved']} imported")
    for name, n in stats["imported"].items():
        echo(f"  {name.removeprefix('tmx:')}: {n}")
    echo(f"Newest: {stats['newest'] or 'none'}")
    echo(f"Consistency: {stats['inconsistent_translations']} source(s) approved with different English, "
         f"{stats['inconsistent_sources']} English approved for different sources")
