"""The stages in order, top to bottom.

:func:`run` does:

1. read the source (:mod:`pipeline.read.source`): bytes → NFC text, encoding, script;
2. repair the layout into blocks and cut sentences (:mod:`pipeline.read.layout`);
3. create the engine, only now and only when a sentence needs it (the caller's
   ``make_engine``, usually :func:`pipeline.translate.engines.settings.build_engine`, which
   installs the Argos package on first use unless offline);
4. find glossary terms and mask them, translate every sentence through the
   translation cache, put the renderings back (:mod:`pipeline.terms.glossary`,
   :mod:`pipeline.translate.texts`, :mod:`pipeline.translate.cache`);
5. apply the reviewer's post-edits (:mod:`pipeline.review.edits`), check the result,
   mark resolved the flags the reviewer resolved and approved the sentences the
   reviewer approved, for the same English; with the project translation memory
   (:mod:`pipeline.review.memory`), its exact matches were applied in step 4, before
   any engine call, and the document's approvals are written into it;
6. write ``<output>/<source>.json`` and ``<output>/<source>.html`` atomically, or
   the formats chosen (:mod:`pipeline.render.formats`: also ``.md``, ``.en.md``, ``.tmx``);
7. rebuild the library page ``<output>/index.html`` (:mod:`pipeline.render.index`).

:func:`run_many` does the same stages for many documents, a window at a time.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.archive.jobs import Failure, Job, windows
from pipeline.archive.workers import Workers, worker_cache
from pipeline.core.errors import DuizhaoError
from pipeline.core.heap import return_freed_memory
from pipeline.core.model import Document
from pipeline.read import load_document
from pipeline.read.formats import cut_parts, read_parts
from pipeline.render.formats import DEFAULT_FORMATS, check_output_owner, parse_formats, write_formats
from pipeline.render.index import LibraryEntry, library_entry, write_index
from pipeline.review.edits import Edit, apply_edits, apply_resolved, apply_status, edits_path, read_edits
from pipeline.review.parts import DocumentInParts
from pipeline.review.qa import ReviewCounts, check_document, review_counts
from pipeline.terms.glossary import default_files, glossary_files, load_glossaries
from pipeline.translate.cache import TranslationCache
from pipeline.translate.documents import translate_documents
from pipeline.translate.memory import document_name
from pipeline.translate.texts import Backend, TranslateStats, Translator

if TYPE_CHECKING:
    from pipeline.review.memory import TranslationMemory

#: Sentences per window of :func:`run_many`: large enough for full engine batches
#: across documents (eight chunks of 64), small enough that a window's documents
#: take little memory and that finishing one window while the next is translated
#: leaves little of either waiting at the start and end of a run.
WINDOW_SENTENCES = 500


@dataclass
class RunResult:
    """One document done. ``stats`` are the translation counts of the window it
    was translated in (for :func:`run`, of that document alone)."""

    document: Document
    stats: TranslateStats
    outputs: list[Path]


def write_outputs(
    document: Document,
    output_dir: str | Path,
    formats: Sequence[str] = DEFAULT_FORMATS,
    *,
    cache: TranslationCache | None = None,
    library: str | Path | None = None,
    variant: str | None = None,
) -> list[Path]:
    """``<stem>.<format>`` for each of ``formats`` (:mod:`pipeline.render.formats`;
    by default ``.json``, the document model, and ``.html``, the reader), atomically.
    With ``cache``, the reader reuses the reading aids kept there and adds new ones;
    with ``library`` (the output folder), it links to the library page there;
    ``variant`` is its Traditional script (an OpenCC configuration)."""
    return write_formats(document, output_dir, formats, cache=cache, library=library, variant=variant)


def run(
    source: str | Path,
    output_dir: str | Path | None,
    make_engine: Callable[[], Translator],
    cache: TranslationCache,
    progress: Callable[[int, int], None] | None = None,
    glossaries: Sequence[str | Path] | None = None,
    *,
    formats: Sequence[str] = DEFAULT_FORMATS,
    front_matter: Sequence[str] = (),
    variant: str | None = None,
    keep_boilerplate: bool = False,
    ocr: bool = False,
    password: str | None = None,
    warn: Callable[[str], None] | None = None,
    memory: TranslationMemory | None = None,
    library: str | Path | None = None,
) -> RunResult:
    """Read, segment and translate ``source``, check the result, and write its
    outputs to ``output_dir`` (nothing is written when it is ``None``): a
    :func:`run_many` of one document, whose failure is raised. ``library`` is the
    output folder whose library page lists it (default: ``output_dir``; the
    command line writes a source to a subfolder of it, :func:`pipeline.archive.output_folder`).

    ``glossaries`` are files and folders (a folder: its ``.tsv`` files), by default
    every ``.tsv`` file in ``glossary/``; post-edits come
    from ``<stem>.edits.tsv`` beside the source. The glossaries, the source and the
    edits are read first and ``make_engine`` is called only then, so bad input fails
    at once, before a model is loaded or downloaded. ``memory`` is the project
    translation memory (see :func:`run_many`).
    """
    results: list[RunResult] = []
    job = Job(Path(source), None if output_dir is None else Path(output_dir), tuple(front_matter), variant,
              keep_boilerplate, ocr, password)
    summary = run_many([job], make_engine, cache, glossaries, formats=formats, progress=progress,
                       on_document=results.append, library=job.output_dir if library is None else library,
                       warn=warn, memory=memory)
    if summary.failures:
        raise summary.failures[0].error
    if summary.library_error is not None:
        raise summary.library_error
    return results[0]


@dataclass
class RunSummary:
    """What :func:`run_many` did: documents written (or checked), failures, and
    the translation counts of the whole run: ``translated`` and ``cached`` count
    each distinct text of a window once, so with ``kept`` they add up to
    ``sentences`` less the repeats (:func:`pipeline.review.report.sentence_counts`)."""

    written: int = 0
    failures: list[Failure] = field(default_factory=list)
    sentences: int = 0
    translated: int = 0
    cached: int = 0
    #: Sentences with nothing for the engine (kept as written).
    kept: int = 0
    #: (made, retried) HTTP requests of an engine that makes them, else None.
    requests: tuple[int, int] | None = None
    #: Completion tokens the server reported, for an engine that reports them.
    tokens: int | None = None
    #: Sentences of the documents written that were rebuilt after the engine
    #: failed on them whole, and that kept source text it could not translate.
    engine_rebuilt: int = 0
    engine_failed: int = 0
    #: The flags of every document written (or checked), as one document's are counted.
    review: ReviewCounts = field(default_factory=review_counts)
    #: The library page written at the end, if any, or why it could not be.
    library: Path | None = None
    library_error: DuizhaoError | None = None


@dataclass
class _Loaded:
    """A document read and segmented, with its post-edits; or why it could not be.
    A long document comes as several, one per part, sharing ``whole``."""

    job: Job
    document: Document | None = None
    edits: dict[str, Edit] | None = None
    failure: Failure | None = None
    whole: DocumentInParts | None = None
    #: The document's last part (always, for a document in one part).
    last: bool = True

    @property
    def sentences(self) -> int:
        return len(self.document.sentences()) if self.document is not None else 0


def load_job(job: Job) -> _Loaded:
    """Stages 1–2 for one document, and its post-edits (read now, so a bad edits
    file fails before anything is translated)."""
    try:
        document = load_document(job.source, job.front_matter, keep_boilerplate=job.keep_boilerplate, ocr=job.ocr,
                                 password=job.password)
        if job.output_dir is not None:
            check_output_owner(job.source, job.output_dir)
        return _Loaded(job, document, read_edits(edits_path(job.source)))
    except Exception as exc:  # one document's failure must not stop the others
        return _Loaded(job, failure=Failure(job.source, exc))


def load_parts(job: Job, part_sentences: int, loaded: _Loaded | None = None) -> Iterator[_Loaded]:
    """Stages 1–2 for one document a part at a time (:func:`pipeline.read.formats.read_parts`;
    or ``loaded``, a document a worker read whole, cut into parts): a short
    document is one item, a long one an item per part, the last marked ``last``.
    A part that cannot be read ends the document with a failure; nothing of it
    is written."""
    whole: DocumentInParts | None = None
    edits_file = edits_path(job.source)
    try:
        if loaded is not None:
            if loaded.failure is not None:
                yield loaded
                return
            parts, edits = cut_parts(loaded.document, part_sentences), loaded.edits
            loaded.document = None
        else:
            parts = read_parts(job.source, job.front_matter, part_sentences=part_sentences,
                               keep_boilerplate=job.keep_boilerplate, ocr=job.ocr, password=job.password)
        current = next(parts)
        if loaded is None:
            if job.output_dir is not None:
                check_output_owner(job.source, job.output_dir)
            edits = read_edits(edits_file)
        while True:
            following = next(parts, None)
            if following is None and whole is None:
                yield _Loaded(job, current, edits)
                return
            if whole is None:
                whole = DocumentInParts(edits, edits_file)
            yield _Loaded(job, current, edits, whole=whole, last=following is None)
            if following is None:
                return
            current = following
    except Exception as exc:  # one document's failure must not stop the others
        if whole is not None:
            whole.failed = True
        yield _Loaded(job, failure=Failure(job.source, exc), whole=whole)


def review_document(document: Document, edits: dict[str, Edit], edits_file: Path, always: bool = False) -> None:
    """Stage 5 for a translated document: its post-edits from ``edits`` (the file
    ``edits_file``; only when there are some, unless ``always``: then the document
    records an empty edits file too), the checks, the flags marked resolved and the
    sentences' approval. A run and the review workspace's recomputation both do this."""
    if edits or always:
        apply_edits(document, edits, edits_file)
    check_document(document)
    apply_resolved(document.blocks, edits)
    apply_status(document.blocks, edits)


def finish_job(item: _Loaded, formats: Sequence[str], library: str | Path | None,
               cache: TranslationCache, reviewed: bool = False) -> tuple[Document, list[Path], LibraryEntry | None] | Failure:
    """Stages 5–6 for one translated document: post-edits, checks, outputs
    (only the outputs, when ``reviewed`` already); and the library's entry for its
    JSON (so the library page need not read it back)."""
    document, job = item.document, item.job
    try:
        if not reviewed:
            review_document(document, item.edits or {}, edits_path(job.source))
        outputs = [] if job.output_dir is None else write_outputs(
            document, job.output_dir, formats, cache=cache, library=library, variant=job.variant)
    except Exception as exc:  # one document's failure must not stop the others
        return Failure(job.source, exc)
    written = [path for path in outputs if path.suffix == ".json"]
    entry = library_entry(written[0], Path(library), document) if written and library is not None else None
    return document, outputs, entry


def finish_part(item: _Loaded, formats: Sequence[str], library: str | Path | None,
                cache: TranslationCache) -> tuple[Document, list[Path], LibraryEntry | None] | Failure | None:
    """Stage 5 for a part of a long document (:class:`pipeline.review.parts.DocumentInParts`),
    kept on disk; at its last part, the outputs of the whole (:func:`finish_job`).
    ``None`` for a part that is not the last, or whose document failed before."""
    whole = item.whole
    if whole.failed:
        return None
    try:
        whole.add(item.document)
        item.document = None  # the part is on disk now: let it go
        if not item.last:
            return None
        item.document = whole.finish()
        return finish_job(item, formats, library, cache, reviewed=True)
    except Exception as exc:  # one document's failure must not stop the others
        whole.failed = True
        return Failure(item.job.source, exc)


def load_in_worker(job: Job) -> _Loaded:
    """:func:`load_job` in a ``--jobs`` worker; a failure comes back as its message."""
    loaded = load_job(job)
    if loaded.failure is not None:
        loaded.failure = Failure(job.source, DuizhaoError(str(loaded.failure)))
    return loaded


def finish_in_worker(task: tuple) -> tuple[Document, list[Path], LibraryEntry | None] | Failure:
    """:func:`finish_job` in a ``--jobs`` worker, with the worker's cache. A failure
    comes back as its message (exceptions with arguments of their own do not
    always survive pickling)."""
    item, formats, library = task
    done = finish_job(item, formats, library, worker_cache())
    if isinstance(done, Failure):
        return Failure(done.source, DuizhaoError(str(done)))
    return done



@contextlib.contextmanager
def _finisher(workers: Workers | None, formats: Sequence[str], library: str | Path | None,
              cache: TranslationCache) -> Iterator[Callable[[_Loaded], Future]]:
    """``finish(item)``: :func:`finish_job` started for a translated document, in the
    ``--jobs`` workers, else on one thread of this process (the engine's work and
    the cache's waits release the GIL; the cache takes one caller at a time). The
    parts of a long document are finished on that thread, in order, in any case
    (:func:`finish_part`: they are kept on this process's disk)."""
    with ThreadPoolExecutor(1, thread_name_prefix="duizhao-finish") as pool:
        def finish(item: _Loaded) -> Future:
            if item.whole is not None:
                return pool.submit(finish_part, item, formats, library, cache)
            if workers:
                return workers.submit(finish_in_worker, (item, formats, library))
            return pool.submit(finish_job, item, formats, library, cache)
        try:
            yield finish
        finally:
            pool.shutdown(cancel_futures=True)


def run_many(
    jobs: Iterable[Job],
    make_engine: Callable[[], Translator],
    cache: TranslationCache,
    glossaries: Sequence[str | Path] | None = None,
    *,
    formats: Sequence[str] = DEFAULT_FORMATS,
    progress: Callable[[int, int], None] | None = None,
    on_document: Callable[[RunResult], None] | None = None,
    on_failure: Callable[[Failure], None] | None = None,
    backend: Backend | None = None,
    window_sentences: int = WINDOW_SENTENCES,
    library: str | Path | None = None,
    workers: Workers | None = None,
    warn: Callable[[str], None] | None = None,
    memory: TranslationMemory | None = None,
    on_translated: Callable[[Document], None] | None = None,
    parts: bool = True,
) -> RunSummary:
    """The stages of :func:`run` over many documents, one window at a time.

    The glossaries are loaded once and the engine is created once, on first
    need. Documents are read as a stream and grouped into windows of about
    ``window_sentences`` sentences (:func:`pipeline.archive.windows`); the
    sentences of a window's documents are translated together, then each document
    gets its post-edits, checks and outputs while the next window is read and
    translated, and the window is let go: at most two windows are alive, so
    memory stays flat however many documents there are. A document longer than a
    window goes through them a part at a time, read a part at a time where its
    format allows (:func:`load_parts`), each part kept on disk once reviewed
    (:mod:`pipeline.review.parts`) and the whole written from there, so memory
    stays flat however long a document is too. Without ``parts`` (the review
    workspace, which keeps every document it serves) documents go whole.

    With ``workers`` (:class:`pipeline.archive.Workers`, ``--jobs N``), reading
    and segmenting, and post-edits, checks and rendering, run in other processes;
    translation and the cache's translations stay here.

    A document that cannot be read, segmented, edited or written is reported to
    ``on_failure`` and the others go on; ``on_document`` gets each one finished.
    Errors that concern every document (glossary, engine, cache) stop the run.

    With ``memory``, the project translation memory's exact matches are applied
    before the engine is asked, and each finished document's approvals are written
    into it. ``on_translated`` gets each document as translated, before its
    post-edits and checks (the review workspace keeps that state).
    Last, when the run writes JSON, the library page of the output folder
    ``library`` is rebuilt from the JSON files there (:mod:`pipeline.render.index`),
    whatever else failed, and the readers link to it; a run that wrote no document
    leaves it as it was (nothing it lists changed). ``warn`` gets a line for what
    the library leaves out (files in the output folder that are not ours).
    """
    formats = parse_formats(formats)
    if "json" not in formats:
        library = None  # its rows are read from the JSON files
    glossary = load_glossaries(default_files() if glossaries is None else glossary_files(glossaries))
    summary = RunSummary()
    engine: Translator | None = None

    def failed(failure: Failure) -> None:
        summary.failures.append(failure)
        if on_failure is not None:
            on_failure(failure)

    # When the jobs are counted, the last window is known: see below.
    remaining = len(jobs) if isinstance(jobs, Sized) else None
    # A long document goes through the windows a part at a time (read whole by a worker, then cut).
    if workers:
        loading = workers.map(load_in_worker, jobs)
        if parts:
            loading = (part for loaded in loading for part in load_parts(loaded.job, window_sentences, loaded))
    else:
        loading = (part for job in jobs for part in load_parts(job, window_sentences)) if parts else map(load_job, jobs)
    # A window's post-edits, checks and outputs are made while the next window is
    # read and translated; the results are taken in order, once that is done.
    finishing: deque[tuple[TranslateStats | None, list[Failure], list[tuple[_Loaded, Future]]]] = deque()
    entries: dict[str, dict] = {}  # the library's rows of the documents written, by JSON file

    def collect(keep: int) -> None:
        while len(finishing) > keep:
            stats, unread, futures = finishing.popleft()
            for failure in unread:
                failed(failure)
            for item, future in futures:
                done = future.result()
                if done is None:  # a part of a long document, kept for its last
                    continue
                if isinstance(done, Failure):
                    failed(done)
                    continue
                if memory is not None:
                    try:
                        memory.sync(done[0])
                    except DuizhaoError as exc:  # the document is written; its approvals are in its edits file
                        failed(Failure(item.job.source, exc))
                        continue
                summary.written += 1
                document, outputs, entry = done
                if entry is not None:
                    entries.update([entry])
                stats_of = document.stats or {}
                summary.engine_rebuilt += stats_of.get("engine_rebuilt", 0)
                summary.engine_failed += stats_of.get("engine_failed", 0)
                summary.review += review_counts(document)
                if on_document is not None:
                    on_document(RunResult(document, stats, outputs))

    with _finisher(workers, formats, library, cache) as finish:
        for window in windows(loading, lambda item: item.sentences, window_sentences):
            if remaining is not None:
                remaining -= sum(item.last for item in window)
            unread = [item.failure for item in window if item.failure is not None]
            loaded = [item for item in window if item.failure is None]
            stats = None
            if loaded:
                if engine is None:
                    engine = make_engine()
                rows = {document_name(item.document): {key: edit.machine for key, edit in (item.edits or {}).items()}
                        for item in loaded} if memory is not None else None
                stats = translate_documents([item.document for item in loaded], engine, cache, progress, glossary,
                                            backend, memory=memory, rows=rows)
                if remaining == 0:
                    # Nothing is left to translate: let the model go before the last
                    # reading aids (jieba, pypinyin, CC-CEDICT) are loaded, so a run of
                    # one window peaks at the larger of the two, not their sum. An
                    # engine kept by the caller (watch mode) stays loaded. A rerun
                    # from the cache never loaded one: nothing to hand back.
                    engine = None
                    if stats.translated:
                        return_freed_memory()
                summary.sentences += stats.sentences
                summary.translated += stats.translated
                summary.cached += stats.cached
                summary.kept += stats.blank
                if stats.requests is not None:
                    made, retried = summary.requests or (0, 0)
                    summary.requests = (made + stats.requests[0], retried + stats.requests[1])
                if stats.tokens is not None:
                    summary.tokens = (summary.tokens or 0) + stats.tokens
            if on_translated is not None:
                for item in loaded:
                    on_translated(item.document)
            finishing.append((stats, unread, [(item, finish(item)) for item in loaded]))
            collect(keep=1)  # the previous window, finished while this one was translated
        collect(keep=0)
    if library is not None and summary.written and Path(library).is_dir():
        try:
            summary.library = write_index(library, warn=warn, fresh=entries)
        except DuizhaoError as exc:  # the documents are written; say so rather than hide them
            summary.library_error = exc
    return summary
