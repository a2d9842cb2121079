"""The Ray backend: the translation stage on a Ray cluster.
"""

from __future__ import annotations

from pipeline.core.errors import DuizhaoError

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
