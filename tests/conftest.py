"""Test-session isolation: no test reads or writes the real home directory.

Argos Translate reads its settings from the environment when it is first
imported, so the environment is pointed at a throw-away folder here, at
collection time, before any test module imports it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="duizhao-test-home-"))
for _name, _sub in {
    "HOME": "home",
    "XDG_DATA_HOME": "home/.local/share",
    "XDG_CACHE_HOME": "home/.cache",
    "XDG_CONFIG_HOME": "home/.config",
    "ARGOS_PACKAGES_DIR": "argos-packages",
    "DUIZHAO_CACHE": "home/.cache/duizhao/translations.sqlite3",
}.items():
    os.environ[_name] = str(_SESSION_HOME / _sub)
    if _name != "DUIZHAO_CACHE":
        (_SESSION_HOME / _sub).mkdir(parents=True, exist_ok=True)
# Never reach for the network from a test: an index URL that cannot be served.
os.environ["ARGOS_PACKAGE_INDEX"] = "http://127.0.0.1:9/"

REPO = Path(__file__).resolve().parent.parent


def pytest_unconfigure(config):
    """The session's home folder goes with the session (it held the packages, caches
    and settings of its tests; tests/reliability/test_leftovers.py checks this)."""
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)
DATA = Path(__file__).resolve().parent / "data"
#: Browser tests: the viewports, and where their screenshots go (git-ignored).
DESKTOP = {"width": 1440, "height": 900}
NARROW = {"width": 390, "height": 844}
SHOTS = REPO / "output"


@pytest.fixture
def seed_path() -> Path:
    return REPO / "sources" / "taizhou.txt"


@pytest.fixture(scope="session")
def seed_sentences() -> list[str]:
    """The 148 sentences of the seed article, line by line (tests/reference.py)."""
    import reference

    return reference.seed_sentences()


@pytest.fixture(scope="session")
def argos_package(tmp_path_factory) -> Path:
    """A small genuine zh→en ``.argosmodel`` (random weights; placeholders ⟦T0⟧…⟦T9⟧
    are single pieces), built once per session. Not installed anywhere."""
    from pipeline.terms.glossary import placeholder_symbols
    from pipeline.testing.models import cached_argos_package

    return cached_argos_package(tmp_path_factory.mktemp("argos-package"), user_defined_symbols=placeholder_symbols())


#: The generated model of the end-to-end run tests: tiny, and ending its translations
#: like a trained model (after about 1.5 times the source's tokens), so a run at
#: argostranslate's length limit of 256 tokens takes a second.
SMALL_MODEL = dict(layers=1, d_model=32, heads=2, ffn=64, vocab_size=300, length_ratio=1.5)


@pytest.fixture(scope="session")
def run_package(tmp_path_factory) -> Path:
    """A tiny genuine zh→en ``.argosmodel`` (:data:`SMALL_MODEL`), built once per session."""
    from pipeline.testing.models import cached_argos_package

    return cached_argos_package(tmp_path_factory.mktemp("run-package"), **SMALL_MODEL)


@pytest.fixture
def models(tmp_path, monkeypatch) -> Path:
    """An empty Argos package folder, in force for this test."""
    folder = tmp_path / "packages"
    folder.mkdir()
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(folder))
    return folder


@pytest.fixture
def installed(models, run_package) -> Path:
    """:func:`run_package` installed in :func:`models`."""
    from pipeline.translate.packages import install_from_file

    install_from_file(run_package)
    return models


#: Debian's chromium, driven by Playwright; no browser is ever downloaded.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session. A missing browser fails the tests
    (the README's test command installs it); it never skips them."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), "
                    "as the README's test command does")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


#: Prepended to a child's code: SIGINT raises KeyboardInterrupt even when pytest runs
#: in the background (a background job ignores SIGINT, and children inherit that).
INTERRUPTIBLE = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)"


@contextlib.contextmanager
def child_process(command: list[str], **kwargs):
    """A text-mode child with piped stdout/stderr, killed after 60 s so a hung
    child fails its test instead of hanging it, and never left behind."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"}, **kwargs)
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        yield process
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.communicate()


GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser):
    parser.addoption("--regen-golden", action="store_true",
                     help="rewrite the files in tests/golden/ from the current output instead of comparing")


@pytest.fixture
def golden(request):
    """``golden(name, text)``: assert ``text`` equals ``tests/golden/<name>``; with
    ``--regen-golden`` the file is written instead (and the test still passes)."""
    regen = request.config.getoption("--regen-golden")

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if regen:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"{path} is missing: run pytest --regen-golden once and review the file"
        assert text == path.read_text(encoding="utf-8"), f"differs from {path} (pytest --regen-golden rewrites it)"

    return check


@pytest.fixture
def term_doc(tmp_path) -> tuple[Path, Path]:
    """A small source and a glossary in which 台州 (twice) and 大麦屿港 are terms;
    the source's four sentences: 台州的大麦屿港很大。港口很新。/ 台州增长了50万。/ 今年很好。"""
    source = tmp_path / "doc.txt"
    source.write_text("台州的大麦屿港很大。港口很新。\n\n台州增长了50万。\n\n今年很好。\n", encoding="utf-8")
    glossary = tmp_path / "g.tsv"
    glossary.write_text("zh\ten\tnote\tvariants\n台州\tTaizhou\t\t\n大麦屿港\tDamaiyu Port\t\t\n", encoding="utf-8")
    return source, glossary


@pytest.fixture(scope="session")
def validator():
    """A JSON Schema validator of the document model's schema (pipeline/render/document.schema.json)."""
    import jsonschema

    from pipeline.render.formats import schema

    document_schema = schema()
    jsonschema.Draft202012Validator.check_schema(document_schema)
    return jsonschema.Draft202012Validator(document_schema)
