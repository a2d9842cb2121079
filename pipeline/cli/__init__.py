"""The ``duizhao`` command line. Click only: parse options, call one pipeline
function, print. One module per command group; this one builds the group. Heavy
libraries are imported inside commands, never at module level, so ``duizhao
--help`` stays instant."""

from __future__ import annotations

import sys

import click

from pipeline import __version__
from pipeline.cli import edits, glossary, models, project, review, run
from pipeline.cli.common import DuizhaoGroup


@click.group(cls=DuizhaoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="duizhao")
def cli() -> None:
    """duizhao (对照): offline Chinese→English parallel-text reader.

    Reads a Chinese article, repairs its layout, translates it offline with an
    Argos Translate model and writes a side-by-side reader to output/.
    """


for _command in (run.segment, run.run, run.check, run.render, run.serve, project.config_command,
                 project.eval_command, project.engines_command, glossary.glossary_group, edits.edits_group,
                 models.models_group, models.cache_group, review.review_command, review.tm_group):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="duizhao")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
