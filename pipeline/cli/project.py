"""``duizhao config``, ``engines`` and ``eval``: the settings in force, the engines
and how well they translate.
"""

from __future__ import annotations

import click

from pipeline.cli.common import cache_option, echo, engine_factory, engine_options, glossary_option, paths_in_force


@click.command("config")
@engine_options
@click.option("-o", "--output", "output_dir", default=None, type=click.Path(file_okay=False, path_type=str),
              help="As for run: show the settings with this output folder.")
@cache_option
@glossary_option
def config_command(config, output_dir: str | None, cache_path: str | None, glossaries: tuple[str, ...]) -> None:
    """Print every setting in force and where it came from.

    Settings come from the command line, the environment, the project file
    duizhao.toml (in this folder or the nearest parent folder that has one; paths
    in it are relative to it) or the defaults, in that order. The options are
    those of `duizhao run`, to see what a run with them would use.
    """
    where = config.project_file or "none (defaults apply; put a duizhao.toml in the project folder)"
    echo(f"Project file: {where}")
    rows = config.describe()
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for key, value, source in rows:
        echo(f"{key.ljust(widths[0])}  {value.ljust(widths[1])}  {source}")


@click.command("eval")
@click.argument("source", type=click.Path(path_type=str))
@click.option("-r", "--reference", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="Reference translations: a TMX file, or a TSV of zh<TAB>en sentence pairs.")
@click.option("--engine", "engine_specs", multiple=True, metavar="NAME[:MODEL]",
              help="An engine to score (argos, ctranslate2 or openai), with its model after a colon "
                   "(ctranslate2:DIR, openai:NAME); repeat to compare. Default: the engine in force.")
@engine_options(engine=False)
@cache_option
@glossary_option
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

    from pipeline.core.config import ENGINE_NAMES
    from pipeline.review.evaluate import evaluate, table
    from pipeline.terms.glossary import glossary_files, load_glossaries
    from pipeline.translate.cache import TranslationCache

    chosen = []
    for spec in engine_specs or (config["engine.name"],):
        name, _, model = spec.partition(":")
        if name not in ENGINE_NAMES:
            raise click.BadParameter(f"{spec!r}: the engine must be one of {', '.join(ENGINE_NAMES)}",
                                     param_hint="--engine")
        chosen.append((spec, engine_factory(config, offline, name, model or None)))
    _, cache_path, glossary_sources = paths_in_force(config)
    glossary = load_glossaries(glossary_files(glossary_sources))
    with TranslationCache(cache_path, warn=lambda m: echo(f"Warning: {m}", err=True)) as cache:
        evaluation = evaluate(source, reference, chosen, cache, glossary)
    if as_json:
        echo(json.dumps(evaluation.to_json(), ensure_ascii=False, indent=2))
    else:
        for line in table(evaluation):
            echo(line)
    if any(score.error for score in evaluation.engines):
        raise SystemExit(1)


@click.command("engines")
@engine_options
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
        echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    if not ready_in_force:
        raise SystemExit(1)
