"""``duizhao glossary``: check, list, add, suggest, export and import terms.
"""

from __future__ import annotations

import click

from pipeline.cli.common import echo


@click.group("glossary")
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

    echo(f"OK: {plural(len(glossary), 'entry', 'entries')} in {plural(len(chosen), 'file')}: {', '.join(chosen)}")


def _corpus(sources: tuple[str, ...]):
    """The documents of ``sources`` one at a time, and the failures met on the
    way (each also printed as it happens)."""
    from pipeline.archive import read_documents

    failures: list = []

    def failed(failure) -> None:
        failures.append(failure)
        echo(f"Error: {failure}", err=True)

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

    from pipeline.core.text import plural
    from pipeline.terms.glossary import count_in, load_glossaries

    glossary = load_glossaries(_glossary_files(files))
    entries = sorted(glossary.entries, key=lambda e: (e.file, e.line))
    if not sources:
        for entry in entries:
            echo(f"{entry.zh}\t{entry.en}\t{entry.ref}")
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
        echo(f"{counts[entry.ref]:>4}  {where}{entry.zh}\t{entry.en}\t{entry.ref}")
    if corpus:
        nowhere = [e for e in entries if not counts[e.ref]]
        line = f"{plural(len(nowhere), 'entry', 'entries')} of {len(entries)} occur in none of the {plural(read, 'document')}"
        echo(line + (": " + ", ".join(f"{e.zh} ({e.ref})" for e in nowhere) if nowhere else ""))
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
    echo(f"Added {zh} → {en} as {line}")


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
            echo(f"{candidate.count:>4}  {candidate.kind:<12}  {candidate.zh}\t{candidate.context}")
            continue
        echo(f"{candidate.documents:>4} docs {candidate.count:>5}×  {candidate.kind:<12}  {candidate.zh}")
        for source, context in candidate.contexts:
            echo(f"        {source}: {context}")
    if tsv_path:
        append_drafts(tsv_path, candidates)
        from pipeline.core.text import plural

        echo(f"Appended {plural(len(candidates), 'draft row')} to {tsv_path}: "
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

    echo(f"Wrote {plural(len(glossary), 'entry', 'entries')} to {written} ({fmt})")


@glossary_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=str))
@click.option("--into", type=click.Path(dir_okay=False, path_type=str),
              help="Glossary TSV to append to (created if missing). Default: <stem of FILE>.tsv in the "
                   "project's glossary folder.")
@click.option("-f", "--format", "fmt", type=click.Choice(["tbx", "csv"]), help="Default: from FILE's suffix.")
def glossary_import(file: str, into: str | None, fmt: str | None) -> None:
    """Append the terms of a TBX (v3 or the older martif layout) or CSV FILE to a glossary TSV.

    Each term is compared with the glossary in force (duizhao.toml's glossary, or
    glossary/*.tsv) and the target file: terms already there unchanged are left
    alone; a clash with an entry there refuses the whole import and leaves the
    file as it was.
    """
    from pathlib import Path

    from pipeline.core.config import GLOSSARY_FOLDER, load_config, shown_path
    from pipeline.core.text import plural
    from pipeline.terms.glossary import glossary_files, is_glossary_folder
    from pipeline.terms.termbase import import_termbase

    config = load_config()
    sources = config.paths("glossary")
    if into is None:
        folder = next((p for p in sources if is_glossary_folder(p)), None)
        into = str((folder or (config.root or Path()) / GLOSSARY_FOLDER) / f"{Path(file).stem}.tsv")
    # A file the glossary in force reads (named, or in one of its folders) is
    # compared with the rest of it; another file stands alone.
    target = Path(into).absolute()
    joins = any(target == s.absolute() or (is_glossary_folder(s) and target.parent == s.absolute()) for s in sources)
    result = import_termbase(file, into, fmt, in_force=glossary_files(sources) if joins else ())
    for message in result.skipped:
        echo(f"Skipped {message}", err=True)
    for message in result.differing:
        echo(f"Note: {message}", err=True)
    there = f"{len(result.already_there)} already there"
    if result.elsewhere:
        there += f" ({len(result.elsewhere)} in other files of the glossary in force)"
    echo(f"{shown_path(result.target)}: {plural(len(result.added), 'entry', 'entries')} added, "
         f"{there}, {len(result.skipped)} skipped")
