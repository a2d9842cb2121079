"""`duizhao run DIR --backend ray` on a local Ray cluster of two CPUs, with the
generated model: the same outputs as the local backend, the driver alone writing
the cache, and clear errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from test_archive import article, long_article, write


@pytest.fixture(scope="module")
def ray_cluster():
    """One local Ray of two CPUs for the module (starting one takes seconds); the
    backend uses it rather than start its own, and leaves it running."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING",
             configure_logging=False)
    yield ray
    ray.shutdown()


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def documents(out: Path) -> dict[str, dict]:
    """Every document JSON under ``out`` without its timing."""
    found = {}
    for path in sorted(out.rglob("*.json")):
        if path.name.startswith("."):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        data["stats"].pop("seconds")
        found[path.relative_to(out).as_posix()] = data
    return found


def test_the_ray_backend_gives_the_local_backends_outputs_byte_for_byte(installed, ray_cluster, tmp_path):
    src = tmp_path / "src"
    for n in range(6):
        write(src, f"{n % 2}/{n}.txt", long_article(n, paragraphs=3) if n % 3 else article(n, "每篇都有的一句。"))
    common = ["--offline", "-g", tmp_path / "none.tsv"]
    write(tmp_path, "none.tsv", "zh\ten\tnote\tvariants\n第\tNo.\t\t\n")  # placeholders go to the workers too
    local = invoke("run", src, "-o", tmp_path / "local", "--cache", tmp_path / "local.sqlite3", *common)
    assert local.exit_code == 0, local.output
    distributed = invoke("run", src, "-o", tmp_path / "ray", "--cache", tmp_path / "ray.sqlite3", "--backend", "ray",
                         *common)
    assert distributed.exit_code == 0, distributed.output
    assert distributed.stdout.splitlines()[-1].split(", 0 from cache")[0] == \
        local.stdout.splitlines()[-1].split(", 0 from cache")[0]
    assert documents(tmp_path / "ray") == documents(tmp_path / "local")
    # the driver filled the cache: a local rerun on it translates nothing
    again = invoke("run", src, "-o", tmp_path / "again", "--cache", tmp_path / "ray.sqlite3", *common)
    assert " 0 translated, " in again.stdout.splitlines()[-1]


def test_several_actors_share_the_chunks(installed, ray_cluster, tmp_path):
    """Two actors of one CPU each on the two-CPU cluster, more chunks than actors."""
    from pipeline.archive import RayBackend
    from pipeline.translate.cache import TranslationCache
    from pipeline.translate.engines import DecodeOptions
    from pipeline.translate.engines.settings import EngineSettings, build_engine
    from pipeline.translate.texts import translate_texts

    settings = EngineSettings(decode=DecodeOptions(inter_threads=1))
    texts = [f"第{n}句话说台州。" for n in range(300)]
    engine = build_engine(settings, offline=True)
    with TranslationCache(tmp_path / "local.sqlite3") as cache:
        expected, _ = translate_texts(texts, engine, cache)
    backend = RayBackend(settings, actors=2)
    assert backend.cpus_per_actor() == 1 and backend.actor_count(5) == 2
    with backend, TranslationCache(tmp_path / "ray.sqlite3") as cache:
        got, stats = translate_texts(texts, engine, cache, backend=backend)
    assert got == expected and stats.translated == 300


def test_one_pool_of_actors_serves_every_window_of_a_run(installed, ray_cluster, tmp_path):
    """The actors (each loads the model) are started once per run, not per window."""
    from pipeline.archive import Job, RayBackend
    from pipeline.translate.cache import TranslationCache
    from pipeline.translate.engines.settings import EngineSettings, build_engine
    from pipeline.run import run_many

    settings = EngineSettings()
    paths = [write(tmp_path, f"src/{n}.txt", article(n)) for n in range(6)]
    backend = RayBackend(settings, actors=1)
    pools: list[list[str]] = []
    started = backend._actors

    def actors(engine, chunks):
        pool = started(engine, chunks)
        pools.append([actor._actor_id.hex() for actor in pool])
        return pool

    backend._actors = actors
    with backend, TranslationCache(tmp_path / "c.sqlite3") as cache:
        summary = run_many([Job(p, tmp_path / "out") for p in paths], lambda: build_engine(settings, offline=True),
                           cache, [], backend=backend, window_sentences=8)
    assert summary.written == 6 and summary.translated == 24
    assert len(pools) == 3  # three windows of two documents (four sentences each)
    assert len({actor for pool in pools for actor in pool}) == 1


def test_the_driver_translates_until_the_cluster_is_there(installed, ray_cluster, tmp_path):
    """While the cluster is being joined, the driver's engine takes the chunks; the
    actors take the rest once it is there. The text is the local backend's."""
    from concurrent.futures import Future

    from pipeline.archive import RayBackend
    from pipeline.translate.cache import TranslationCache
    from pipeline.translate.engines import DecodeOptions
    from pipeline.translate.engines.settings import EngineSettings, build_engine
    from pipeline.translate.texts import translate_texts

    settings = EngineSettings(decode=DecodeOptions(inter_threads=1))
    texts = [f"第{n}句话说台州。" for n in range(300)]  # five chunks of 64
    engine = build_engine(settings, offline=True)
    with TranslationCache(tmp_path / "local.sqlite3") as cache:
        expected, _ = translate_texts(texts, engine, cache)
    connecting: Future = Future()
    calls = 0
    translate = engine.translate

    def driver(chunk, *args):
        nonlocal calls
        calls += 1
        if calls == 2:
            connecting.set_result(None)  # connected after the driver's second chunk
        return translate(chunk, *args)

    engine.translate = driver
    backend = RayBackend(settings, actors=1)
    with backend, TranslationCache(tmp_path / "ray.sqlite3") as cache:
        backend._connecting = connecting
        got, stats = translate_texts(texts, engine, cache, backend=backend)
    assert got == expected and stats.translated == 300
    assert calls == 2 and backend.driver_chunks == 2  # the other three chunks went to the actor


def test_a_worker_with_another_model_stops_the_run(installed, ray_cluster, tmp_path):
    from dataclasses import replace

    from pipeline.archive import RayBackend, RayBackendError
    from pipeline.translate.cache import TranslationCache
    from pipeline.translate.engines import DecodeOptions
    from pipeline.translate.engines.settings import EngineSettings, build_engine
    from pipeline.translate.texts import translate_texts

    settings = EngineSettings(decode=DecodeOptions(inter_threads=1))
    engine = build_engine(settings, offline=True)
    backend = RayBackend(settings, actors=1)
    # the worker would build a different engine (another beam size) than the driver's
    backend.worker_settings = lambda engine: replace(settings, model=str(engine.package_path),
                                                     decode=replace(settings.decode, beam_size=1))
    with backend, TranslationCache(tmp_path / "c.sqlite3") as cache:
        with pytest.raises(RayBackendError, match="the engine on this worker differs from the driver's"):
            translate_texts(["台州很美。"], engine, cache, backend=backend)
        assert cache.info().entries == 0


def test_without_ray_the_backend_says_how_to_install_it(installed, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as if it were not installed
    write(tmp_path, "src/a.txt", article(1))
    result = invoke("run", tmp_path / "src", "-o", tmp_path / "out", "--offline", "--backend", "ray",
                    "--cache", tmp_path / "c.sqlite3")
    assert result.exit_code == 1
    assert "--backend ray needs Ray, which is not installed: pip install -e '.[ray]'" in result.output
    assert "Traceback" not in result.output


def test_without_ray_address_the_run_starts_and_stops_a_local_cluster(installed, tmp_path):
    """No RAY_ADDRESS: the backend starts a local cluster (on a thread of its own,
    while the driver reads) and stops it; a process of its own, so no cluster of
    this module is running in it. The outputs are the local backend's."""
    import os
    import subprocess

    src = tmp_path / "src"
    for n in range(3):
        write(src, f"{n}.txt", article(n))
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    command = [sys.executable, "-m", "pipeline", "run", str(src), "--offline", "-g", str(tmp_path / "none.tsv")]
    write(tmp_path, "none.tsv", "zh\ten\tnote\tvariants\n")
    distributed = subprocess.run([*command, "-o", str(tmp_path / "ray"), "--cache", str(tmp_path / "ray.sqlite3"),
                                  "--backend", "ray", "--ray-actors", "1"],
                                 env=env, capture_output=True, text=True, timeout=300)
    assert distributed.returncode == 0, distributed.stderr
    assert "Traceback" not in distributed.stderr and "SIGTERM" not in distributed.stderr
    local = subprocess.run([*command, "-o", str(tmp_path / "local"), "--cache", str(tmp_path / "local.sqlite3")],
                           env=env, capture_output=True, text=True, timeout=300)
    assert local.returncode == 0, local.stderr
    assert documents(tmp_path / "ray") == documents(tmp_path / "local")
