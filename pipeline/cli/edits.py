"""``duizhao edits``: the reviewer's post-edits.
"""

from __future__ import annotations

import click

from pipeline.cli.common import echo


@click.group("edits")
def edits_group() -> None:
    """Post-edits: the English a reviewer approved, kept beside the source as
    <stem>.edits.tsv (columns: source, machine, english) and applied on every run."""


@edits_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=str))
@click.option("--source", type=click.Path(exists=True, dir_okay=False, path_type=str),
              help="The source the edits belong to (default: the one named in FILE, from here, the project folder or by its name in the source folder).")
def edits_import(file: str, source: str | None) -> None:
    """Merge FILE (saved from the reader) into <stem>.edits.tsv beside its source."""
    from pipeline.cli.common import settings_in_force
    from pipeline.core.config import shown_path
    from pipeline.core.text import plural
    from pipeline.review.edits import import_edits, source_of

    if source is None:
        config = settings_in_force({})  # it found the project folder
        source = shown_path(source_of(file, config.root, config.source_folder()))
    done = import_edits(file, source)
    echo(f"{shown_path(done.target)}: {plural(done.added, 'edit')} added, {done.replaced} replaced, "
         f"{plural(done.resolved, 'flag')} marked resolved; `duizhao run {source}` applies them")
