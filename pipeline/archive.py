"""Many documents in one run: discovery and windows.

:func:`discover` turns the sources named on the command line (files and folders,
in any mix) into :class:`~pipeline.run.Job` objects: a folder means every
``.txt`` and ``.md`` file under it, recursively, in sorted order, with hidden
folders and the output folder left out; each document's outputs go to the same
relative place under the output folder (``sources/2024/a.txt`` →
``output/2024/a.html``). Two sources that would write the same outputs are an
error before anything runs.

:func:`windows` cuts the stream of jobs into windows of a bounded number of
sentences: :func:`pipeline.run.run_many` loads, translates and writes one window
at a time, so memory stays flat however many documents there are, while the
sentences of a window's documents are still deduplicated and batched together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pipeline.core.errors import DuizhaoError, SourceError
from pipeline.read.source import MARKDOWN_SUFFIXES

T = TypeVar("T")

#: File suffixes a folder is searched for (lower case).
SOURCE_SUFFIXES = frozenset({".txt", *MARKDOWN_SUFFIXES})


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


def discover(sources: Sequence[str | Path], output_dir: str | Path | None,
             front_matter: Sequence[str] = (), variant: str | None = None) -> list[Job]:
    """The jobs for ``sources``: files as given, folders searched recursively.

    A file given by name is used whatever its suffix; a folder contributes its
    ``.txt``/``.md``/``.markdown`` files, skipping hidden files and folders and
    ``output_dir``. A file named twice (directly and through its folder) runs once.
    Raises :class:`SourceError` for a source that does not exist and
    :class:`ClashError` when two sources map to the same outputs.
    """
    output_root = Path(output_dir) if output_dir is not None else None
    skip = _resolved(output_root) if output_root is not None else None
    seen: set[Path] = set()
    jobs: list[Job] = []
    for given in map(Path, sources):
        if given.is_dir():
            found = [(path, path.relative_to(given).parent) for path in _walk(given, skip)]
        elif given.exists():
            found = [(given, Path())]
        else:
            raise SourceError(given, "no such file or folder", "check the path")
        for path, relative in found:
            key = _resolved(path)
            if key in seen:
                continue
            seen.add(key)
            jobs.append(Job(path, None if output_root is None else output_root / relative, tuple(front_matter),
                            variant))
    check_clashes(jobs)
    return jobs


def _walk(folder: Path, skip: Path | None) -> Iterator[Path]:
    """Source files under ``folder`` in sorted order (by path, folder by folder)."""
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise SourceError(folder, f"cannot be listed: {exc.strerror or exc}") from exc
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if skip is not None and _resolved(entry) == skip:
                continue
            yield from _walk(entry, skip)
        elif entry.suffix.lower() in SOURCE_SUFFIXES and entry.is_file():
            yield entry


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
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
    :class:`~pipeline.run.Failure` and the others follow. For the corpus-wide
    commands (``glossary suggest``, ``glossary list --source``)."""
    from pipeline.run import Failure
    from pipeline.read import load_document

    for job in discover(sources, None):
        try:
            document = load_document(job.source)
        except Exception as exc:  # one document's failure must not stop the others
            on_failure(Failure(job.source, exc))
            continue
        yield document


# ---- --jobs N: the CPU stages in worker processes ---------------------------------------------

#: The worker's own connection to the translation cache (reading aids), opened once.
_worker_cache = None


class Workers:
    """``--jobs N``: reading and segmenting, and post-edits, checks and rendering,
    in ``jobs`` processes (the translation stays with the engine in the main
    process). Each worker opens the translation cache once, for the reader's
    reading aids; SQLite's WAL mode and busy timeout let them write beside the
    main process. Use as a context manager."""

    def __init__(self, jobs: int, cache_path: str | Path):
        self.jobs = jobs
        self.cache_path = str(cache_path)
        self.pool = None

    def __enter__(self) -> Workers:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: the main process holds SQLite connections and engine threads.
        self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_open_worker_cache, initargs=(self.cache_path,))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def submit(self, function: Callable[[T], object], item: T):
        """``function(item)`` started in a worker: its future."""
        return self.pool.submit(function, item)

    def map(self, function: Callable[[T], object], items: Iterable[T]) -> Iterator:
        """``function`` over ``items`` in the workers, results in order, with at most
        four tasks per worker ahead of the consumer (so a stream of documents is
        read ahead while the engine translates, but never all at once)."""
        from collections import deque

        pending: deque = deque()
        for item in items:
            pending.append(self.pool.submit(function, item))
            if len(pending) >= 4 * self.jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _open_worker_cache(path: str) -> None:
    global _worker_cache
    from pipeline.translate.cache import TranslationCache

    _worker_cache = TranslationCache(path)


def load_in_worker(job: Job) -> object:
    """:func:`pipeline.run._load` in a worker; a failure comes back as its message."""
    from pipeline.run import Failure, _load

    loaded = _load(job)
    if loaded.failure is not None:
        loaded.failure = Failure(job.source, DuizhaoError(str(loaded.failure)))
    return loaded


def finish_in_worker(task: tuple) -> object:
    """:func:`pipeline.run._finish` in a worker, with the worker's cache. A failure
    comes back as its message (exceptions with arguments of their own do not
    always survive pickling)."""
    from pipeline.run import Failure, _finish

    item, formats, library = task
    done = _finish(item, formats, library, _worker_cache)
    if isinstance(done, Failure):
        return Failure(done.source, DuizhaoError(str(done)))
    return done


# ---- the Ray backend ----------------------------------------------------------------------

#: How to get the optional dependency, for the message when it is missing.
RAY_INSTALL = "pip install -e '.[ray]' in a checkout, or pip install 'duizhao[ray]'"


class RayBackendError(DuizhaoError):
    """The Ray backend cannot start or a worker failed."""


class RayBackend:
    """Translate the cache misses on a Ray cluster: a pool of actors, each holding
    one loaded engine, started once for the run and kept for all its windows;
    each chunk of texts goes to the next free actor (two chunks in flight per
    actor, so an actor never waits for the driver between chunks).

    The cluster is the one ``RAY_ADDRESS`` names, else a local one started for
    the run (and stopped after it). Connecting starts on entering, on a thread of
    its own, so the driver reads, segments and loads its engine meanwhile, and
    until it is done the driver's engine translates the chunks itself (that
    thread stays until the end: a local cluster's processes die with the thread
    that started them). Workers re-create the driver's engine from its
    picklable :class:`~pipeline.translate.engines.settings.EngineSettings`, with the model
    folder the driver resolved: the model is expected at the same path on every
    node (a shared or identically provisioned file system), not shipped, because
    models are 0.1–3 GB and a cluster keeps them on its nodes; an actor whose
    engine signature differs from the driver's (another model there) stops the
    run. Each chunk is translated whole by one engine call, as the local backend
    does, so the text is the same byte for byte. Only the driver writes the
    cache and the outputs. Use as a context manager.
    """

    #: Chunks sent to an actor before it has answered: it starts the next at once.
    in_flight = 2

    def __init__(self, settings, *, actors: int | None = None, address: str | None = None):
        import os

        self.settings = settings
        self.actors = actors
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self._started = False
        self._thread = None  # the thread that connects (and keeps a local cluster alive)
        self._connecting = None
        self._pool: list = []
        self._pool_for = None  # (worker settings, signature) the pool's engines were built from
        #: Chunks the driver's engine translated while the cluster was not yet there.
        self.driver_chunks = 0

    def __enter__(self) -> RayBackend:
        ray = _ray()  # a missing Ray is said at once, before anything runs
        if not ray.is_initialized():
            from concurrent.futures import ThreadPoolExecutor

            self._thread = ThreadPoolExecutor(1, thread_name_prefix="duizhao-ray")
            self._connecting = self._thread.submit(self._connect)
        return self

    def _connect(self) -> None:
        import logging

        ray = _ray()
        # Ray says at WARNING that a thread other than the main one sets no SIGTERM handler.
        quiet = logging.getLogger("ray._private.worker")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                     logging_level="WARNING", configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local cluster"
            raise RayBackendError(f"Ray: cannot connect to {where} ({exc}); check RAY_ADDRESS") from exc
        finally:
            quiet.setLevel(level)
        self._started = True

    def _ready(self) -> None:
        """Wait for the connection started on entering; raise what it raised."""
        if self._connecting is not None:
            connecting, self._connecting = self._connecting, None
            connecting.result()

    def __exit__(self, *exc_info: object) -> None:
        ray = _ray()
        try:
            self._ready()
        except RayBackendError:
            pass  # it never connected: nothing to stop
        finally:
            if self._started:
                ray.shutdown()
                self._started = False
            elif self._pool and ray.is_initialized():
                for actor in self._pool:  # a cluster we joined keeps running; our actors go
                    ray.kill(actor)
            self._pool = []
            if self._thread is not None:
                self._thread.shutdown()
                self._thread = None

    def worker_settings(self, engine):
        """The settings a worker builds the engine from: the driver's, with the
        model folder the driver found (an installed Argos package) made explicit."""
        from dataclasses import replace

        package = getattr(engine, "package_path", None)
        if self.settings.model is None and package is not None:
            return replace(self.settings, model=str(package))
        return self.settings

    def cpus_per_actor(self) -> int:
        decode = self.settings.decode
        return max(1, decode.inter_threads * max(1, decode.intra_threads))

    def actor_count(self, chunks: int) -> int:
        """``actors``, else as many as the cluster's CPUs hold; never more than chunks."""
        if self.actors is not None:
            wanted = self.actors
        else:
            cpus = int(_ray().cluster_resources().get("CPU", 1))
            wanted = max(1, cpus // self.cpus_per_actor())
        return max(1, min(wanted, chunks))

    def _actors(self, engine, chunks: int) -> list:
        """The pool, started on the first window (sized for its chunks) and kept."""
        ray = _ray()
        wanted = (self.worker_settings(engine), engine.signature())
        if self._pool and self._pool_for != wanted:  # another engine (not in one run): start again
            for actor in self._pool:
                ray.kill(actor)
            self._pool = []
        if not self._pool:
            remote = ray.remote(num_cpus=self.cpus_per_actor())(TranslateActor)
            self._pool = [remote.remote(*wanted) for _ in range(self.actor_count(chunks))]
            self._pool_for = wanted
        return self._pool

    def translate_chunks(self, engine, chunks):
        """Each chunk with its translations, as the actors finish them."""
        from collections import deque

        if not chunks:
            return
        sent = 0
        # Until the cluster is joined (or a local one started: seconds), the driver's
        # own engine translates: the same engine, one call a chunk, so the same text.
        while sent < len(chunks) and self._connecting is not None and not self._connecting.done():
            yield chunks[sent], engine.translate(chunks[sent])
            self.driver_chunks += 1
            sent += 1
        if sent == len(chunks):
            return
        self._ready()
        ray = _ray()
        try:
            actors = self._actors(engine, len(chunks) - sent)
            free = deque(actor for _ in range(self.in_flight) for actor in actors)
            running: dict = {}
            while sent < len(chunks) or running:
                while free and sent < len(chunks):
                    actor = free.popleft()
                    running[actor.translate.remote(chunks[sent])] = (sent, actor)
                    sent += 1
                done, _ = ray.wait(list(running), num_returns=1)
                index, actor = running.pop(done[0])
                free.append(actor)
                translations = ray.get(done[0])
                yield chunks[index], translations
        except Exception as exc:  # Ray wraps what a worker raised
            if isinstance(exc, DuizhaoError):
                raise
            cause = _duizhao_cause(exc)
            if cause is not None:
                raise RayBackendError(f"Ray worker: {cause}") from exc
            raise RayBackendError(f"Ray: translation on the cluster failed ({type(exc).__name__}: {exc})") from exc


class TranslateActor:
    """A Ray actor: one engine, built once from the driver's ``settings``,
    translating one chunk per call; it refuses to start when its engine's
    signature is not the driver's ``signature`` (another model at that path)."""

    def __init__(self, settings, signature: str):
        from pipeline.translate.engines.settings import build_engine

        self.engine = build_engine(settings, offline=True)
        if self.engine.signature() != signature:
            raise RayBackendError(
                f"the engine on this worker differs from the driver's (worker {self.engine.signature()}, "
                f"driver {signature}); install the same model at {settings.model} on every node"
            )

    def translate(self, texts: list[str]) -> list[str]:
        return self.engine.translate(texts)


def _ray():
    try:
        import ray
    except ImportError as exc:
        raise RayBackendError(f"--backend ray needs Ray, which is not installed: {RAY_INSTALL}") from exc
    return ray


def _duizhao_cause(exc: BaseException) -> DuizhaoError | None:
    """The DuizhaoError a Ray worker raised, found in the chain Ray wraps it in."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DuizhaoError):
            return exc
        exc = getattr(exc, "cause", None) or exc.__cause__ or exc.__context__
    return None
