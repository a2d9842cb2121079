"""Serve the output folder on 127.0.0.1, with pages that reload themselves.

:class:`ReaderServer` runs :mod:`http.server` in a thread, bound to 127.0.0.1
only (never all interfaces), and answers:

- ``/NAME``: a file inside the folder; anything resolving outside it (``..``,
  symbolic links) is 404. An HTML page gets a small script added to the response
  (never to the file on disk) that asks for the page's version every second and
  reloads when it changes, keeping the scroll position; a page that does not
  exist yet is a 404 waiting page with the same script, so it appears by itself
  after the first run;
- ``/__duizhao/version?file=NAME``: ``{"file": NAME, "version": ...}``, made from
  the file's inode, size and modification time (``null`` while it does not exist),
  so a poll costs one ``stat`` however large the page; every write (atomic, a new
  inode) gives a new version;
- ``/`` (and a subfolder's ``/NAME/``): the library page ``index.html`` there,
  with the same script; in a folder without one, a list of its pages and
  subfolders. A folder named without its final ``/`` is redirected to it, so the
  relative links of the page it serves work.

A request naming another host is refused, so a web page cannot reach the server
through a DNS name bound to 127.0.0.1. The reader file opened from disk stays
network-free: nothing here changes it.

Many or misbehaving clients cannot exhaust it: the listen backlog takes a burst
of :data:`BACKLOG` connections, at most :data:`MAX_THREADS` are served at once
(the others wait in the backlog), and a client that has not sent its request
headers within ``header_timeout`` seconds, or stalls for that long, is dropped.
"""

from __future__ import annotations

import html
import json
import mimetypes
import os
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qs, quote, unquote, urlsplit

from pipeline.core.errors import DuizhaoError
from pipeline.core.text import printable

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
VERSION_PATH = "/__duizhao/version"
#: How often an open page asks whether it changed, in milliseconds.
POLL_MS = 1000
#: Connections the kernel queues while every thread is busy (Python's default is 5).
BACKLOG = 512
#: Connections served at once; more wait in the backlog.
MAX_THREADS = 32
#: Seconds a client has to send its request headers, and may stall at any point.
HEADER_TIMEOUT = 10.0

_RELOAD_SCRIPT = """<script data-duizhao-reload>
(function () {
  var file = %(file)s, version = %(version)s, key = "duizhao.reload.scroll:" + file;
  try {
    var saved = sessionStorage.getItem(key);
    if (saved !== null) {
      sessionStorage.removeItem(key);
      window.addEventListener("load", function () { window.scrollTo(0, Number(saved)); });
    }
  } catch (e) { /* storage disabled: reload without keeping the place */ }
  function poll() {
    fetch(%(endpoint)s + "?file=" + encodeURIComponent(file), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.version !== version) {
          try { sessionStorage.setItem(key, String(window.scrollY)); } catch (e) { /* as above */ }
          location.reload();
        } else {
          setTimeout(poll, %(every)d);
        }
      }, function () { setTimeout(poll, %(every)d); });
  }
  setTimeout(poll, %(every)d);
})();
</script>
"""


class ServeError(DuizhaoError):
    """The server cannot start (port taken, no permission)."""


def content_version(path: Path) -> str | None:
    """The version of ``path`` (inode, size, modification time), or None when there
    is no such file."""
    try:
        return _version(os.stat(path))
    except OSError:
        return None


def _version(info: os.stat_result) -> str:
    return f"{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}"


def _shown(name: str) -> str:
    """A file name in a page: control characters and undecodable bytes as escapes, HTML escaped."""
    return html.escape(printable(name))


def reload_script(file: str, version: str | None) -> str:
    """The script added to a served page ``file`` (a path inside the folder)."""
    def js(value) -> str:
        return json.dumps(value).replace("<", "\\u003c")

    return _RELOAD_SCRIPT % {"file": js(file), "version": js(version), "endpoint": js(VERSION_PATH),
                             "every": POLL_MS}


def inject(page: bytes, script: str) -> bytes:
    """``page`` with ``script`` before its last ``</body>`` (or at the end)."""
    at = page.lower().rfind(b"</body>")
    if at < 0:
        return page + script.encode()
    return page[:at] + script.encode() + page[at:]


def inside(root: Path, name: str) -> Path | None:
    """The path ``name`` names inside the folder ``root`` (resolved), or None when
    it would leave it (``..``, a symbolic link out) or cannot be a file name."""
    parts = name.split("/")
    if "\\" in name or "\0" in name or any(part in (".", "..") for part in parts):
        return None
    if any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in parts):
        return None  # no file of that name can exist
    target = (root / name).resolve()
    return target if target == root or root in target.parents else None


class LocalServer:
    """A :class:`BoundedHTTPServer` on 127.0.0.1:``port`` (0 = any free port) run in a
    thread of its own: what the reader server and the review workspace share."""

    thread_name = "duizhao-serve"

    def __init__(self, handler: type[BaseHTTPRequestHandler], root: Path, port: int, header_timeout: float):
        try:
            self._httpd = BoundedHTTPServer((HOST, port), handler, header_timeout=header_timeout)
        except OSError as exc:
            raise ServeError(
                f"cannot serve on {HOST}:{port} ({exc.strerror or exc}); choose another port with --port"
            ) from exc
        self._httpd.root = root
        self.port: int = self._httpd.server_address[1]
        self._httpd.hosts = {f"{HOST}:{self.port}", f"localhost:{self.port}"}
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        self._httpd.start_reaper()
        return self

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C raises KeyboardInterrupt here)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def close(self) -> None:
        self._httpd.closing.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ReaderServer(LocalServer):
    """The output folder over HTTP on 127.0.0.1:``port`` (0 = any free port)."""

    def __init__(self, directory: str | Path, port: int = DEFAULT_PORT, *, header_timeout: float = HEADER_TIMEOUT):
        self.directory = Path(directory)
        try:
            root = self.directory.resolve()
        except (OSError, RuntimeError) as exc:  # a link loop raises RuntimeError
            raise ServeError(f"{directory}: cannot be served ({exc}); give a real folder") from None
        super().__init__(_Handler, root, port, header_timeout)

    def url(self, name: str = "") -> str:
        # A name's undecodable bytes (surrogate escapes) are quoted as the bytes they are.
        return f"http://{HOST}:{self.port}/{quote(os.fsencode(name))}"

    def pages(self) -> list[str]:
        """What to open: the library page (served at ``/``) when the folder has one,
        else the HTML pages at its top, by name."""
        if (self.directory / "index.html").is_file():
            return [""]
        return sorted(p.name for p in self.directory.glob("*.html")) if self.directory.is_dir() else []


class BoundedHTTPServer(ThreadingHTTPServer):
    """One thread per connection, at most :data:`MAX_THREADS` at once, and a reaper
    that drops connections past their header deadline (a socket timeout alone
    would let a client trickling a byte at a time hold its thread for ever)."""

    daemon_threads = True
    request_queue_size = BACKLOG
    root: Path
    hosts: set[str]

    def __init__(self, address, handler, *, header_timeout: float):
        self.header_timeout = header_timeout
        self.closing = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_THREADS)
        self._deadlines: dict[socket.socket, float] = {}
        self._deadlines_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        while not self._slots.acquire(timeout=0.2):  # the others wait in the backlog
            if self.closing.is_set():
                self.shutdown_request(request)
                return
        self.expect_headers(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.headers_read(request)
            self._slots.release()

    def expect_headers(self, request: socket.socket) -> None:
        with self._deadlines_lock:
            self._deadlines[request] = time.monotonic() + self.header_timeout

    def headers_read(self, request: socket.socket) -> None:
        with self._deadlines_lock:
            self._deadlines.pop(request, None)

    def start_reaper(self) -> None:
        threading.Thread(target=self._reap, name="duizhao-serve-reaper", daemon=True).start()

    def _reap(self) -> None:
        while not self.closing.wait(min(0.25, self.header_timeout / 4)):
            now = time.monotonic()
            with self._deadlines_lock:
                late = [sock for sock, deadline in self._deadlines.items() if deadline < now]
                for sock in late:
                    del self._deadlines[sock]
            for sock in late:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # the handler's read returns at once
                except OSError:
                    pass

    def handle_error(self, request, client_address) -> None:
        """A browser closing a connection early is not worth a traceback."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: BoundedHTTPServer
    server_version = "duizhao"

    def setup(self) -> None:
        self.timeout = self.server.header_timeout  # a stalled read or write gives up
        super().setup()

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal belongs to the watch loop's reports."""

    def _answer(self, head: bool) -> None:
        self.server.headers_read(self.connection)
        try:
            self._route(head)
        except (OSError, RuntimeError, ValueError):  # a name the file system refuses (too long, a link loop): not here
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", head)

    def _route(self, head: bool) -> None:
        if self.headers.get("Host", next(iter(self.server.hosts))) not in self.server.hosts:
            return self._send(HTTPStatus.FORBIDDEN, b"unknown host\n", "text/plain", head)
        url = urlsplit(self.path)
        if url.path == VERSION_PATH:
            name = parse_qs(url.query, errors="surrogateescape").get("file", [""])[0]
            target = self._inside(name)
            if target is None:
                return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", head)
            body = json.dumps({"file": name, "version": content_version(target)}).encode()
            return self._send(HTTPStatus.OK, body, "application/json", head)
        name = unquote(url.path, errors="surrogateescape").lstrip("/")
        target = self._inside(name)
        if target is not None and target.is_dir():
            if name and not name.endswith("/"):
                return self._redirect("/" + quote(os.fsencode(name)) + "/")  # a name's undecodable bytes too
            if (target / "index.html").is_file():  # the library page of that folder
                name, target = name + "index.html", target / "index.html"
            else:
                return self._send(HTTPStatus.OK, self._listing(target, name), "text/html", head)
        is_page = name.endswith((".html", ".htm"))
        if target is None or not target.is_file():
            if target is not None and is_page:  # not written yet: wait for it
                page = f"<!DOCTYPE html><title>Waiting</title><body><p>Waiting for {_shown(name)}…</p></body>"
                body = inject(page.encode(), reload_script(name, None))
                return self._send(HTTPStatus.NOT_FOUND, body, "text/html", head)
            return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", head)
        try:
            with open(target, "rb") as handle:
                version = _version(os.fstat(handle.fileno()))
                body = handle.read()
        except OSError:
            return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain", head)
        if is_page:
            return self._send(HTTPStatus.OK, inject(body, reload_script(name, version)), "text/html", head)
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return self._send(HTTPStatus.OK, body, kind, head)

    def _inside(self, name: str) -> Path | None:
        return inside(self.server.root, name)

    def _listing(self, folder: Path, name: str) -> bytes:
        base = name.rstrip("/") + "/" if name else ""
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith(".")
                         and (p.is_dir() or p.suffix == ".html"))
        items = "".join(
            f'<li><a href="/{quote(os.fsencode(base + p.name))}{"/" if p.is_dir() else ""}">'
            f'{_shown(p.name)}{"/" if p.is_dir() else ""}</a></li>'
            for p in entries
        )
        return (f"<!DOCTYPE html><meta charset=utf-8><title>duizhao</title>"
                f"<h1>Readers in {_shown(base or '/')}</h1><ul>{items}</ul>").encode()

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, body: bytes, kind: str, head: bool) -> None:
        send_body(self, status, body, kind, head)


def send_body(handler: BaseHTTPRequestHandler, status: HTTPStatus, body: bytes, kind: str, head: bool,
              headers: dict[str, str] | None = None) -> None:
    """Answer with ``body`` of media type ``kind`` (text in UTF-8), never cached,
    sniffed or framed, with ``headers`` besides; HEAD gets the headers only."""
    if kind.startswith("text/") or kind == "application/json":
        kind += "; charset=utf-8"
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Cache-Control", "no-store")
    handler.send_header("X-Content-Type-Options", "nosniff")
    handler.send_header("Referrer-Policy", "no-referrer")
    handler.send_header("X-Frame-Options", "DENY")
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    if not head:
        handler.wfile.write(body)
