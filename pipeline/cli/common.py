"""What the commands share: terminal-safe output, the group that turns errors into
one line, the options every translating command takes, the engine factory and
the progress bars.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from pipeline.core.errors import DuizhaoError


def echo(message: object = None, **kwargs) -> None:
    """``click.echo`` of text made safe for a terminal (:func:`pipeline.core.text.printable`):
    a source, a file name or a glossary note can hold escape sequences."""
    from pipeline.core.text import printable

    click.echo(None if message is None else printable(str(message)), **kwargs)


class DuizhaoGroup(click.Group):
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


def variant_option(command):
    """--variant, the reader's Traditional script (the ``variant`` setting)."""
    from pipeline.core.config import VARIANTS

    return click.option(
        "--variant", type=click.Choice(VARIANTS), default=None,
        help="The reader's Traditional script (OpenCC): s2t (OpenCC's standard), s2tw (Taiwan), s2twp (Taiwan, "
             "with Taiwan's words) or s2hk (Hong Kong) [duizhao.toml: variant; default: s2t].")(command)


front_matter_option = click.option(
    "--front-matter", "front_matter", default="", callback=lambda ctx, param, value: tuple(
        k.strip() for k in value.split(",") if k.strip()), metavar="KEYS",
    help="Markdown sources: also translate these front matter values, e.g. title,description "
         "(en.md writes them in English, YAML-quoted).")
ocr_option = click.option(
    "--ocr", is_flag=True,
    help="PDF sources: read every page as an image with OCR (Tesseract), not its text layer; scanned pages are "
         "read so anyway. For a PDF whose fonts give garbage text.")
password_option = click.option(
    "--password", metavar="PASSWORD", default=None,
    help="PDF sources: the password of an encrypted PDF.")
keep_boilerplate_option = click.option(
    "--keep-boilerplate", is_flag=True,
    help="Keep a web page's boilerplate (follow and share prompts, QR codes, related articles, credits) as "
         "blocks to translate; by default it is dropped and listed in the JSON's dropped.")


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
    "memory": "memory_path",
    "variant": "variant",
    "formats": "formats",
}


def engine_options(command=None, *, engine: bool = True):
    """--engine, --model, --base-url and the decoding options; with the command's
    own -o/-g/--cache they become ``config``, the settings in force
    (:func:`pipeline.core.config.load_config`: options over duizhao.toml over defaults).
    ``engine=False`` leaves --engine to the command."""
    if command is None:
        return functools.partial(engine_options, engine=engine)
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
                     help="argos, ctranslate2: beam size for decoding (default 4, argostranslate's; 2 is faster). Part of "
                          "the cache key, "
                          "like the options below."),
        click.option("--repetition-penalty", type=click.FloatRange(1.0, 3.0), default=None,
                     help="Penalise tokens already produced (1.0 = off, the default); against looping output."),
        click.option("--no-repeat-ngram-size", type=click.IntRange(0, 10), default=None,
                     help="Never repeat an n-gram of this size (0 = off, the default); against looping output."),
    ]

    if not engine:
        options = options[1:]

    def gather(**kwargs):
        kwargs["config"] = settings_in_force(kwargs)
        for key in ("engine_name", "model", "base_url", "beam_size", "repetition_penalty", "no_repeat_ngram_size"):
            kwargs.pop(key, None)
        return command(**kwargs)

    gather = functools.wraps(command)(gather)
    for option in reversed(options):
        gather = option(gather)
    return gather


def settings_in_force(params: dict):
    """The settings in force, with the options among ``params`` (command
    parameters, ``None`` when not given) over duizhao.toml."""
    from pipeline.core.config import load_config

    return load_config({key: params.get(name) for key, name in _SETTING_PARAMS.items() if name in params})


cache_option = click.option(
    "--cache", "cache_path", type=click.Path(dir_okay=False, path_type=str), default=None,
    help="Translation cache file [env DUIZHAO_CACHE; duizhao.toml: cache; default: the user cache folder].")
glossary_option = click.option(
    "-g", "--glossary", "glossaries", multiple=True, type=click.Path(path_type=str),
    help="Glossary TSV file or folder (its .tsv files); repeat for several (later files win) "
         "[duizhao.toml: glossary; default: every glossary/*.tsv].")


offline_option = click.option(
    "--offline", is_flag=True,
    help="Never touch the network (no model download on first use; openai: only a server on this machine).")
memory_option = click.option(
    "--memory", "memory_path", type=click.Path(dir_okay=False, path_type=str), default=None,
    help="Project translation memory (SQLite) [duizhao.toml: memory; default: <cache stem>.memory.sqlite3 "
         "beside the translation cache].")


def memory_in_force(config):
    """The translation memory file in force: the ``memory`` setting, else beside
    the cache in force."""
    from pipeline.core.config import default_cache_path
    from pipeline.review.memory import memory_path as beside

    chosen = config.path("memory")
    return chosen if chosen is not None else beside(config.path("cache") or default_cache_path())


def paths_in_force(config) -> tuple[str, str | None, list[str]]:
    """The output folder, the cache file (``None``: the default) and the glossary
    files and folders in force."""
    cache = config.path("cache")
    return (str(config.path("output")), None if cache is None else str(cache),
            [str(p) for p in config.paths("glossary")])


def warn_without_glossary(glossaries: list[str]) -> None:
    """One warning line when the glossary in force has no file at all: terms are
    then not enforced, and a run from the wrong folder would say nothing of it."""
    from pipeline.core.config import shown_path
    from pipeline.terms.glossary import glossary_files, is_glossary_folder

    if glossaries and glossary_files(glossaries):
        return
    named = ", ".join(shown_path(g) + ("/" if is_glossary_folder(Path(g)) else "") for g in glossaries) or "none given"
    echo(f"Warning: no glossary file ({named}: no .tsv there); glossary terms are not enforced. "
         "Put .tsv files in glossary/ of the project, or give -g FILE", err=True)


def output_formats(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """--format values (repeated or comma-separated) as known format names; none
    given: empty (duizhao.toml's ``formats``, else the defaults, are in force)."""
    from pipeline.render.formats import FormatError, parse_formats

    try:
        return parse_formats(values)
    except FormatError as exc:
        raise click.BadParameter(str(exc)) from exc


def formats_in_force(config) -> tuple[str, ...]:
    """The output formats in force (--format > duizhao.toml's ``formats`` > json,html)."""
    from pipeline.core.config import ConfigError
    from pipeline.render.formats import FormatError, parse_formats

    try:
        return parse_formats(config["formats"])
    except FormatError as exc:
        raise ConfigError(f"{config.origin('formats')}: formats: {exc}") from exc


def engine_factory(config, offline: bool, name: str | None = None, model: str | None = None):
    """A callable creating the engine in force (or engine ``name`` with ``model``),
    with a download progress bar when the Argos package is installed on first use."""
    from pipeline.translate.engines.settings import EngineSettings

    settings = EngineSettings.from_config(config, name, model)

    def make_engine():
        from pipeline.translate.engines import settings as engine_settings

        with ProgressBar("Downloading zh→en model") as bar:
            return engine_settings.build_engine(settings, offline=offline, progress=bar,
                                                notify=lambda line: echo(line, err=True))
    make_engine.settings = settings  # for the workers of --backend ray
    return make_engine


class ProgressBar:
    """A click progress bar on stderr for ``progress(done, total)`` callbacks,
    opened on the first call (when the total is known) and only on a terminal."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.shown = 0

    def __enter__(self) -> ProgressBar:
        return self

    def __call__(self, done: int, total: int | None) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total or 0, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def finish(self) -> None:
        """Show the bar full: the work it counted is done (what the engine was
        given may be fewer than the total it was opened with, e.g. when a
        concurrent run filled the cache meanwhile)."""
        if self.bar is not None and self.bar.length:
            self.bar.update(self.bar.length - self.bar.pos)
            self.shown = self.bar.length

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __exit__(self, exc_type, *exc_info) -> None:
        if exc_type is None:
            self.finish()
        self.close()


class RunProgress:
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

    def __enter__(self) -> RunProgress:
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
        echo(line, err=err)
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
