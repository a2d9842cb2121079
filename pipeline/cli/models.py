"""``duizhao models`` and ``duizhao cache``: the Argos packages and the translation cache.
"""

from __future__ import annotations

import click

from pipeline.cli.common import ProgressBar, cache_option, echo

_from_option = click.option(
    "--from", "from_code", default="zh", show_default=True, help="Source language code."
)
_to_option = click.option("--to", "to_code", default="en", show_default=True, help="Target language code.")


@click.group("models")
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
        echo(
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
        echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3])


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
        with ProgressBar(f"Downloading {from_code}→{to_code} model") as bar:
            info = packages.install_from_index(from_code, to_code, bar)
    from pipeline.core.text import human_size

    echo(
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
        echo(f"Removed {info.pair} model {info.name} (version {info.package_version}) from {info.path}")


@click.group("cache")
def cache_group() -> None:
    """Inspect or empty the translation cache (SQLite; keyed by engine signature and text)."""


def _existing_cache(cache_path: str | None, if_missing: str):
    """The translation cache at ``cache_path`` (or the default), or ``None`` after
    saying ``if_missing`` when no cache file exists yet (none is created)."""
    from pipeline.core.config import default_cache_path, load_config
    from pipeline.translate.cache import TranslationCache

    path = load_config({"cache": cache_path}).path("cache") or default_cache_path()
    if not path.exists():
        echo(f"Cache: {path} ({if_missing})")
        return None
    return TranslationCache(path, warn=lambda m: echo(f"Warning: {m}", err=True))


@cache_group.command("info")
@cache_option
def cache_info(cache_path: str | None) -> None:
    """Show where the cache is, its size, and how many translations per engine signature."""
    cache = _existing_cache(cache_path, "not created yet; 0 translations")
    if cache is None:
        return
    with cache:
        info = cache.info()
    from pipeline.core.text import human_size

    echo(f"Cache: {info.path}")
    echo(f"Translations: {info.entries}  ({human_size(info.size_bytes)} on disk)")
    for signature, count in info.by_signature.items():
        echo(f"  {count:>8}  {signature}")


@cache_group.command("clear")
@cache_option
@click.option("-y", "--yes", is_flag=True, help="Clear without asking (for scripts; on a terminal it asks first).")
def cache_clear(cache_path: str | None, yes: bool) -> None:
    """Delete every cached translation (the next run translates everything again).

    On a terminal it says how many there are and asks first; elsewhere (a script,
    a pipe) it clears only with --yes.
    """
    import sys

    cache = _existing_cache(cache_path, "not created yet; nothing to clear")
    if cache is None:
        return
    with cache:
        if not yes:
            entries = cache.info().entries
            if not sys.stdin.isatty():
                raise click.ClickException(f"{cache.path}: not cleared ({entries} cached translations): nothing "
                                           "to ask on, stdin is not a terminal; add --yes to clear it from a script")
            if not click.confirm(f"Remove all {entries} cached translations from {cache.path}? The next runs "
                                 "translate everything again", default=False, err=True):
                echo("Nothing removed.")
                return
        deleted = cache.clear()
    echo(f"Removed {deleted} cached translations from {cache.path}")
