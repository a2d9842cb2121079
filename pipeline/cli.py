"""The ``duizhao`` command line. Click only: parse options, call one pipeline
function, print. Heavy libraries are imported inside commands, never at module
level, so ``duizhao --help`` stays instant."""

from __future__ import annotations

import sys

import click

from pipeline import __version__
from pipeline.errors import DuizhaoError


class _Group(click.Group):
    """Turns :class:`DuizhaoError` into a clean one-line message and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DuizhaoError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="duizhao")
def cli() -> None:
    """duizhao (对照): offline Chinese→English parallel-text reader.

    Reads a Chinese article, repairs its layout, translates it offline with an
    Argos Translate model and writes a side-by-side reader to output/.
    """


@cli.command()
@click.argument("source", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the document model) instead of text.")
def segment(source: str, as_json: bool) -> None:
    """Show how SOURCE is cut into blocks and sentences, before any translation.

    Prints every block with its id, kind and sentences, the flags raised for
    review, and the duplicated blocks that were dropped.
    """
    from pipeline.run import load_document

    document = load_document(source)
    if as_json:
        import json

        click.echo(json.dumps(document.to_json(), ensure_ascii=False, indent=2))
        return
    from pipeline.report import describe_segmentation

    click.echo(describe_segmentation(document))


def main() -> None:
    cli(prog_name="duizhao")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
