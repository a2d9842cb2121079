"""Argos packages for tests, and a package index served on 127.0.0.1: the
fixtures the package, model-command and offline-model tests share."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.testing.models import cached_argos_package

_SMALL = dict(layers=1, d_model=32, heads=2, ffn=64, vocab_size=200)


# -- packages, built once per session ----------------------------------------------


@pytest.fixture(scope="session")
def package_builds(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("argos-builds")


@pytest.fixture(scope="session")
def zh_en_package(package_builds: Path) -> Path:
    return cached_argos_package(package_builds, package_version="1.0", **_SMALL)


@pytest.fixture(scope="session")
def zh_en_newer_package(package_builds: Path) -> Path:
    return cached_argos_package(package_builds, package_version="1.1", seed=1, **_SMALL)


@pytest.fixture(scope="session")
def en_zh_package(package_builds: Path) -> Path:
    return cached_argos_package(package_builds, from_code="en", to_code="zh", **_SMALL)


# -- a package index on 127.0.0.1 ---------------------------------------------------


class IndexServer:
    """Serves ``index.json`` in Argos's format and package files, and records requests.

    ``routes`` maps a URL path to ``(status, body, declared_length)``; a declared
    length larger than the body makes a download that is cut short.
    """

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, int]] = {}
        self.index: list[dict] = []
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                if self.path == "/index.json":
                    body = json.dumps(server.index).encode()
                    status, length = 200, len(body)
                else:
                    status, body, length = server.routes.get(self.path, (404, b"not found", 9))
                self.send_response(status)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def publish(
        self,
        archive: Path,
        *,
        from_code: str = "zh",
        to_code: str = "en",
        version: str = "1.0",
        body: bytes | None = None,
        status: int = 200,
        declared_length: int | None = None,
        sha256: str | None = None,
    ) -> None:
        path = f"/packages/{archive.name}"
        data = archive.read_bytes() if body is None else body
        self.routes[path] = (status, data, len(data) if declared_length is None else declared_length)
        entry = {
            "package_version": version,
            "argos_version": "1.0",
            "from_code": from_code,
            "from_name": "Chinese",
            "to_code": to_code,
            "to_name": "English",
            "links": [self.url.rstrip("/") + path],
        }
        if sha256 is not None:
            entry["sha256"] = sha256
        self.index.append(entry)


@pytest.fixture
def index_server() -> Iterator[IndexServer]:
    server = IndexServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join()
