"""Many documents in one run: discovery and windows.

:func:`discover` turns the sources named on the command line (files and folders,
in any mix) into :class:`Job` objects: a folder means every source file under it
(each suffix of :data:`pipeline.read.formats.SOURCE_SUFFIXES`: text, Markdown, web
pages, Word files, EPUB books, subtitles), recursively, in sorted order, with hidden folders and the output
folder left out; each document's outputs go to the same relative place under the
output folder (``sources/2024/a.txt`` → ``output/2024/a.html``). Two sources that
would write the same outputs are an error before anything runs.

:func:`windows` cuts the stream of jobs into windows of a bounded number of
sentences: :func:`pipeline.run.run_many` loads, translates and writes one window
at a time, so memory stays flat however many documents there are, while the
sentences of a window's documents are still deduplicated and batched together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pipeline.core.errors import DuizhaoError, SourceError
from pipeline.read.formats import SOURCE_SUFFIXES

T = TypeVar("T")



@dataclass
class Failure:
    """A document that could not be run, and why."""

    source: Path
    error: Exception

    def __str__(self) -> str:
        if isinstance(self.error, DuizhaoError):
            message = str(self.error)
            return message if str(self.source) in message else f"{self.source}: {message}"
        return f"{self.source}: unexpected error ({type(self.error).__name__}: {self.error}); please report it"


class ClashError(DuizhaoError):
    """Two sources would write the same output files."""


@dataclass(frozen=True)
class Job:
    """One document to run: its source, and the folder its outputs go to
    (``None``: write nothing, as ``duizhao check`` does)."""

    source: Path
    output_dir: Path | None
    #: A Markdown source's front matter keys whose values are translated too.
    front_matter: tuple[str, ...] = ()
    #: The reader's Traditional script (an OpenCC configuration; ``None``: the default).
    variant: str | None = None
    #: Keep a web page's boilerplate as blocks (``--keep-boilerplate``).
    keep_boilerplate: bool = False
    #: PDF sources: OCR every page (``--ocr``), and an encrypted PDF's password (``--password``).
    ocr: bool = False
    password: str | None = field(default=None, repr=False)


def output_folder(where: Path, output_dir: Path, roots: Sequence[Path]) -> Path:
    """Where the outputs of a source in the folder ``where`` go: its path under the
    first of ``roots`` that holds it, mirrored under ``output_dir``; ``output_dir``
    itself when none does. ``where`` and ``roots`` are resolved paths.

    The roots are, in order, the project's source folder (``sources`` in
    duizhao.toml, default ``sources/``; in a project without one, the working
    directory), then the folder a folder run was given: so ``sources/2024/a.txt``
    writes ``output/2024/a.*`` whether it runs alone or with ``sources/`` (and
    ``notes/a.txt`` of a project without ``sources/`` writes ``output/notes/a.*``
    alone or with ``notes/``); a file outside them writes ``output/<name>.*``."""
    for base in roots:
        if where == base or base in where.parents:
            return output_dir / where.relative_to(base)
    return output_dir


def discover(sources: Sequence[str | Path], output_dir: str | Path | None,
             front_matter: Sequence[str] = (), variant: str | None = None,
             keep_boilerplate: bool = False, ocr: bool = False, password: str | None = None,
             source_root: str | Path | None = None) -> list[Job]:
    """The jobs for ``sources``: files as given, folders searched recursively.

    A file given by name is used whatever its suffix; a folder contributes its
    source files (:data:`~pipeline.read.formats.SOURCE_SUFFIXES`), skipping hidden files and folders and
    ``output_dir``. A file named twice (directly and through its folder) runs once.
    Each job's output folder is :func:`output_folder` with the roots
    ``source_root`` (the project's source folder; without one, the working
    directory) and the folder given. Raises :class:`SourceError` for a source
    that does not exist and :class:`ClashError` when two sources map to the same
    outputs.
    """
    output_root = Path(output_dir) if output_dir is not None else None
    skip = _resolved(output_root) if output_root is not None else None
    seen: set[Path] = set()
    jobs: list[Job] = []
    base = Path(source_root) if source_root is not None else Path.cwd()
    for given in map(Path, sources):
        if given.is_dir():
            found, folder = list(_walk(given, skip, set())), given
        elif given.exists():
            found, folder = [given], None
        else:
            raise SourceError(given, "no such file or folder", "check the path")
        roots = [_resolved(root) for root in (base, folder) if root is not None]  # once for all its files
        for path in found:
            key = _resolved(path)
            if key in seen:
                continue
            seen.add(key)
            target = None if output_root is None else output_folder(key.parent, output_root, roots)
            jobs.append(Job(path, target, tuple(front_matter), variant, keep_boilerplate, ocr, password))
    check_clashes(jobs)
    return jobs


def _walk(folder: Path, skip: Path | None, visited: set[tuple[int, int]]) -> Iterator[Path]:
    """Source files under ``folder`` in sorted order (by path, folder by folder).

    Symbolic links to folders are followed, but every real folder (its device and
    inode) is entered once, the first time it is met: a link back up the tree, or
    two links to each other, cannot make the walk go round or grow exponentially.
    The folders are walked with a stack, so no depth is too deep."""
    stack = [_entries(folder, visited)]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
        elif entry.is_dir():
            if skip is None or _resolved(entry) != skip:
                stack.append(_entries(entry, visited))
        elif entry.suffix.lower() in SOURCE_SUFFIXES and entry.is_file():
            yield entry


def _entries(folder: Path, visited: set[tuple[int, int]]) -> Iterator[Path]:
    """The entries of ``folder`` in name order, hidden ones left out; none when the
    real folder was visited already."""
    try:
        info = folder.stat()
        if (info.st_dev, info.st_ino) in visited:
            return iter(())
        visited.add((info.st_dev, info.st_ino))
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise SourceError(folder, f"cannot be listed: {exc.strerror or exc}") from exc
    return iter([entry for entry in entries if not entry.name.startswith(".")])


def _resolved(path: Path) -> Path:
    """``path`` with its links resolved; as given (absolute) when that cannot be done
    (a link loop raises RuntimeError, an unreadable folder OSError)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def output_key(job: Job) -> tuple[str, str] | None:
    """What a job's outputs are named by: its output folder and its source's stem."""
    if job.output_dir is None:
        return None
    return (str(_resolved(job.output_dir)), job.source.stem)


def check_clashes(jobs: Iterable[Job]) -> None:
    """Raise :class:`ClashError` naming the first two sources whose outputs (or
    edits files, ``<stem>.edits.tsv`` beside them) would be the same files."""
    owners: dict[tuple[str, str], Path] = {}
    for job in jobs:
        key = output_key(job)
        if key is None:
            continue
        earlier = owners.setdefault(key, job.source)
        if earlier is not job.source:
            where = Path(job.output_dir or ".") / job.source.stem
            raise ClashError(
                f"{earlier} and {job.source} would both write {where}.*; rename one of them "
                "(nothing was run)"
            )


def windows(items: Iterable[T], sentences_of: Callable[[T], int], limit: int) -> Iterator[list[T]]:
    """Group ``items`` (loaded documents, in order) into windows of about ``limit``
    sentences. ``sentences_of(item)`` gives an item's sentence count; a window
    closes as soon as it holds ``limit`` sentences, so one large document is a
    window of its own and no window holds more than one document past the limit.
    """
    window: list[T] = []
    count = 0
    for item in items:
        window.append(item)
        count += sentences_of(item)
        if count >= limit:
            yield window
            window, count = [], 0
    if window:
        yield window


def read_documents(sources: Sequence[str | Path], on_failure: Callable[[object], None]) -> Iterator:
    """The documents of ``sources`` (:func:`discover`), read and segmented one at a
    time, in order; a document that cannot be read goes to ``on_failure`` as a
    :class:`Failure` and the others follow. For the corpus-wide
    commands (``glossary suggest``, ``glossary list --source``)."""
    from pipeline.read import load_document

    for job in discover(sources, None):
        try:
            document = load_document(job.source)
        except Exception as exc:  # one document's failure must not stop the others
            on_failure(Failure(job.source, exc))
            continue
        yield document
