"""The live review workspace over HTTP, on 127.0.0.1 only.

:class:`ReviewServer` serves the workspace's output folder (:mod:`.workspace`): the
library page and the reader pages in their live mode, and a small JSON API the
live pages use (documented in the README, so a reviewer may script it):

- ``GET /__duizhao/api/doc?file=PAGE``: the document's state (each sentence's
  English and status, review items, counts, fuzzy matches, glossary files);
- ``GET /__duizhao/api/revision?file=PAGE``: ``{"revision", "generation"}``, for polling;
- ``POST /__duizhao/api/edit``, ``status``, ``resolve``: one change to the edits
  file, answered with the document's new state (409 when the English was changed
  meanwhile);
- ``POST /__duizhao/api/term/prepare``, ``term``, ``term/update``: add a glossary
  term, or change one's English, and run again the documents that contain it.

Every request must carry the session's token: the URL the command prints (and
opens) has it as ``?token=``, which sets a cookie for the pages' own requests;
every write must also send it in the ``X-Duizhao-Token`` header and come from the
server's own origin (``Origin``, ``Sec-Fetch-Site``), so another web page cannot
write even with the reviewer's cookie. A request naming another host is refused
(DNS rebinding). Bodies are limited to :data:`MAX_BODY` bytes, requests to a rate
(:class:`RateLimit`), and each is logged in one line without the token.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
import re
import secrets
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from pipeline.core.errors import DuizhaoError
from pipeline.serve.server import (
    HEADER_TIMEOUT,
    HOST,
    BoundedHTTPServer,
    LocalServer,
    inside,
    send_body,
)
from pipeline.serve.workspace import Conflict, Workspace, WorkspaceError

API = "/__duizhao/api/"
TOKEN_HEADER = "X-Duizhao-Token"
COOKIE = "duizhao_token"
#: Largest request body accepted (an edit, a term): far above any sentence.
MAX_BODY = 64 * 1024
#: Requests a second on average, and the burst allowed above it.
RATE, BURST = 50.0, 200
_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&#]*")
#: Where the live data goes into a reader page: before the page's own data, so the
#: page's script finds it when it runs.
_DATA_MARK = b'<script type="application/json" id="reader-data">'


class RateLimit:
    """A token bucket: ``rate`` requests a second on average, ``burst`` at once."""

    def __init__(self, rate: float = RATE, burst: int = BURST):
        self.rate, self.burst = rate, float(burst)
        self.tokens = float(burst)
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


def redact(path: str) -> str:
    """A request path as logged: the token's value left out."""
    return _TOKEN_IN_QUERY.sub(r"\1…", path)


class ReviewServer(LocalServer):
    """The workspace on http://127.0.0.1:``port`` (0: a free port the system picks)."""

    thread_name = "duizhao-review"

    def __init__(self, workspace: Workspace, port: int = 0, *, log: Callable[[str], None] | None = None,
                 token: str | None = None, max_body: int = MAX_BODY, rate: RateLimit | None = None,
                 header_timeout: float = HEADER_TIMEOUT):
        self.workspace = workspace
        self.token = token or secrets.token_urlsafe(24)
        super().__init__(_Handler, workspace.output.resolve(), port, header_timeout)
        self._httpd.review = self
        self.origins = {f"http://{host}" for host in self._httpd.hosts}
        self.log = log or (lambda line: None)
        self.max_body = max_body
        self.rate = rate or RateLimit()

    def url(self, name: str = "index.html") -> str:
        """The URL of ``name`` with the session's token: what the command prints and opens."""
        return f"http://{HOST}:{self.port}/{quote(name)}?token={self.token}"

    def valid(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token.encode(), self.token.encode())


class _Refused(Exception):
    """A request answered with an error status and a one-line message."""

    def __init__(self, status: HTTPStatus, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class _Handler(BaseHTTPRequestHandler):
    server: BoundedHTTPServer
    server_version = "duizhao"
    protocol_version = "HTTP/1.0"

    @property
    def review(self) -> ReviewServer:
        return self.server.review  # type: ignore[attr-defined]

    def setup(self) -> None:
        self.timeout = self.server.header_timeout
        super().setup()

    def log_message(self, format: str, *args: object) -> None:
        """Requests are logged by :meth:`_handle`, without the token."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        self.server.headers_read(self.connection)
        started = time.perf_counter()
        status = HTTPStatus.INTERNAL_SERVER_ERROR
        try:
            status = self._route(method)
        except _Refused as refused:
            status = refused.status
            self._json(status, {"error": refused.message}, method == "HEAD", refused.headers)
        except Conflict as exc:
            status = HTTPStatus.CONFLICT
            self._json(status, {"error": str(exc)}, False)
        except WorkspaceError as exc:
            status = HTTPStatus.NOT_FOUND if "not a document" in str(exc) else HTTPStatus.BAD_REQUEST
            self._json(status, {"error": str(exc)}, method == "HEAD")
        except DuizhaoError as exc:  # bad input (a glossary entry, an edits file): the message says what to fix
            status = HTTPStatus.BAD_REQUEST
            self._json(status, {"error": str(exc)}, method == "HEAD")
        except (ConnectionError, TimeoutError):
            status = HTTPStatus.REQUEST_TIMEOUT
        except Exception as exc:  # a bug: answered and logged, the server goes on
            import traceback

            status = HTTPStatus.INTERNAL_SERVER_ERROR
            self.review.log(traceback.format_exc().rstrip())
            self._json(status, {"error": f"unexpected error ({type(exc).__name__}: {exc}); please report it"}, False)
        finally:
            self.review.log(f'{self.client_address[0]} "{method} {redact(self.path)}" {int(status)} '
                            f"{(time.perf_counter() - started) * 1000:.1f} ms")

    # -- checks ------------------------------------------------------------------------

    def _check(self, method: str, query: dict[str, list[str]]) -> str | None:
        """Refuse a request from another host, without the token, from another
        origin, or over the rate; returns the token given in the URL (to be kept as
        a cookie), if any."""
        if self.headers.get("Host", "") not in self.server.hosts:
            raise _Refused(HTTPStatus.FORBIDDEN, "unknown host")
        if not self.review.rate.take():
            raise _Refused(HTTPStatus.TOO_MANY_REQUESTS, "too many requests; wait a moment", {"Retry-After": "1"})
        given = query.get("token", [None])[0]
        header = self.headers.get(TOKEN_HEADER)
        cookie = _cookie(self.headers.get("Cookie", ""), COOKIE)
        if method == "POST":
            origin = self.headers.get("Origin")
            site = self.headers.get("Sec-Fetch-Site")
            if origin is not None and origin not in self.review.origins or site not in (None, "same-origin", "none"):
                raise _Refused(HTTPStatus.FORBIDDEN, "a write must come from the workspace's own pages")
            if not self.review.valid(header):
                raise _Refused(HTTPStatus.FORBIDDEN, f"a write needs the session's token in the {TOKEN_HEADER} header")
            return None
        if self.review.valid(given):
            return given
        if self.review.valid(header) or self.review.valid(cookie):
            return None
        raise _Refused(HTTPStatus.FORBIDDEN, "open the URL duizhao review printed (it holds the session's token)")

    def _body(self) -> dict[str, Any]:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise _Refused(HTTPStatus.LENGTH_REQUIRED, "send a JSON body with its Content-Length")
        if int(length) > self.review.max_body:
            raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over {self.review.max_body} bytes")
        data = self.rfile.read(int(length))
        try:
            body = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _Refused(HTTPStatus.BAD_REQUEST, "the body is not JSON (UTF-8)") from None
        if not isinstance(body, dict):
            raise _Refused(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        return body

    # -- routes ------------------------------------------------------------------------

    def _route(self, method: str) -> HTTPStatus:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if method == "POST" and not url.path.startswith(API):
            raise _Refused(HTTPStatus.METHOD_NOT_ALLOWED, "only the API takes writes")
        given = self._check(method, query)
        cookie = {"Set-Cookie": f"{COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/"} if given else {}
        workspace = self.review.workspace
        if url.path.startswith(API):
            name = url.path[len(API):]
            if method == "POST":
                return self._json(HTTPStatus.OK, self._write(name, self._body()), False)
            page = query.get("file", [""])[0]
            if name == "doc":
                workspace.refresh(page)
                return self._json(HTTPStatus.OK, workspace.state(page), method == "HEAD")
            if name == "revision":
                live = workspace.live(page)
                return self._json(HTTPStatus.OK, {"revision": live.revision, "generation": live.generation},
                                  method == "HEAD")
            raise _Refused(HTTPStatus.NOT_FOUND, f"no such API: {name}")
        name = unquote(url.path).lstrip("/") or "index.html"
        if name == "favicon.ico":  # browsers ask; there is none
            return self._send(HTTPStatus.NO_CONTENT, b"", "text/plain", True, cookie)
        if given:  # the token goes into the cookie, out of the address bar and the history
            return self._send(HTTPStatus.SEE_OTHER, b"", "text/plain", method == "HEAD",
                              {**cookie, "Location": quote(url.path or "/")})
        if name == "index.html":
            return self._send(HTTPStatus.OK, self._library(), "text/html", method == "HEAD", cookie)
        target = inside(self.server.root, name)
        if target is None or not target.is_file():
            raise _Refused(HTTPStatus.NOT_FOUND, f"{name}: not found")
        if name in workspace.docs:
            workspace.refresh(name)
            workspace.flush()
            return self._send(HTTPStatus.OK, self._live_page(name, target), "text/html", method == "HEAD", cookie)
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return self._send(HTTPStatus.OK, target.read_bytes(), kind, method == "HEAD", cookie)

    def _write(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        workspace = self.review.workspace

        def text(key: str, required: bool = True) -> str:
            value = body.get(key, "")
            if not isinstance(value, str) or required and not value.strip():
                raise _Refused(HTTPStatus.BAD_REQUEST, f"give {key!r} (text)")
            return value

        if name == "edit":
            approve = body.get("approve")
            return workspace.save(text("file"), text("sentence"), text("base", False), text("english", False),
                                  approve=bool(approve))
        if name == "status":
            return workspace.set_status(text("file"), text("sentence"), text("base", False),
                                        body.get("status") == "approved")
        if name == "resolve":
            return workspace.resolve(text("file"), text("scope"), where=text("where", False),
                                     code=text("code", False), resolved=body.get("resolved", True) is not False)
        if name == "term/prepare":
            return workspace.prepare_term(text("zh"), text("variants", False))
        if name == "term":
            return workspace.add_term(text("zh"), text("en"), note=text("note", False),
                                      variants=text("variants", False), file=text("glossary", False) or None)
        if name == "term/update":
            return workspace.change_term(text("entry"), text("zh"), text("en"))
        raise _Refused(HTTPStatus.NOT_FOUND, f"no such API: {name}")

    def _live_page(self, page: str, target: Path) -> bytes:
        """The reader page with its live data (the token, its name) and style added."""
        from pipeline.render.assets import asset, script_json

        data = target.read_bytes()
        live = script_json({"token": self.review.token, "file": page, "api": API,
                            "library": "../" * page.count("/") + "index.html"})
        addition = (f"<style>\n{asset('reader-live.css')}</style>\n"
                    f'<script type="application/json" id="reader-live">{live}</script>\n').encode()
        at = data.find(_DATA_MARK)
        return data + addition if at < 0 else data[:at] + addition + data[at:]

    def _library(self) -> bytes:
        from pipeline.render.index import live_library

        workspace = self.review.workspace
        workspace.flush()
        return live_library(workspace.output, workspace.memory, [live.job.source for live in workspace.docs.values()]
                            ).encode()

    # -- answers -------------------------------------------------------------------------

    def _json(self, status: HTTPStatus, data: Any, head: bool, headers: dict[str, str] | None = None) -> HTTPStatus:
        body = json.dumps(data, ensure_ascii=False).encode()
        return self._send(status, body, "application/json", head, headers)

    def _send(self, status: HTTPStatus, body: bytes, kind: str, head: bool,
              headers: dict[str, str] | None = None) -> HTTPStatus:
        send_body(self, status, body, kind, head, headers)
        return status


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
