"""One HTTP exchange with a server, bounded in time and size, and its JSON read
safely: what an LLM server sends is outside data.

- :func:`exchange` gives the whole answer within a **deadline** (not a timeout
  per read: a server that trickles a byte a second would otherwise keep a
  request alive for ever) and up to a **size cap** (a never-ending or huge body
  would otherwise fill the memory). At the deadline a watchdog shuts the socket
  down, which ends whatever read is waiting; a request given up is closed, so a
  server that notices (llama.cpp's ``llama-server``) stops generating it.
- :func:`read_json` parses a body: not JSON, not UTF-8 or nested deeper than
  Python can follow is one :class:`BadAnswer` line; lone surrogates (which JSON
  can spell as ``\\ud800`` and no UTF-8 file or database can store) become
  U+FFFD.

HTTP is the standard library's :mod:`http.client` (no proxy: the server is
usually on this machine), a fresh connection per request.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import SplitResult

import regex

from pipeline.core.text import clip

__all__ = ["BadAnswer", "Interrupted", "Reply", "Unreachable", "exchange", "printable_json", "read_json"]

#: Bytes read at a time: the size cap is checked after each read.
_READ = 64 * 1024
_SURROGATE = regex.compile(r"\p{Cs}")


class Unreachable(Exception):
    """No connection: ``refused`` when nothing listens there."""

    def __init__(self, why: str, refused: bool = False):
        super().__init__(why)
        self.refused = refused


class Interrupted(Exception):
    """The exchange started but no whole answer came: ``why`` says what happened
    (the deadline passed, the connection dropped, the body outgrew the cap);
    ``retry`` whether another try may go better."""

    def __init__(self, why: str, retry: bool = True):
        super().__init__(why)
        self.retry = retry


class BadAnswer(Exception):
    """A body that is not the JSON it should be."""


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes


def exchange(url: SplitResult, method: str, path: str, payload: bytes | None, headers: dict[str, str], *,
             deadline: float, max_bytes: int) -> Reply:
    """``method path`` at the server of ``url``: the status, headers and body,
    all of it within ``deadline`` seconds and at most ``max_bytes`` of body."""
    kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = kind(url.hostname, url.port, timeout=deadline)
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # ends the read that waits, in its own thread
            except OSError:
                pass

    watchdog = threading.Timer(deadline, expire)
    watchdog.daemon = True
    watchdog.start()
    late = f"no complete answer within {deadline:g} s"
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        chunks, size = [], 0
        while True:
            chunk = response.read1(_READ)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise Interrupted(f"the answer is larger than {max_bytes // 1024} KiB; it was cut off "
                                  "(a runaway answer, or not an LLM server)", retry=False)
            chunks.append(chunk)
        if expired.is_set():
            raise Interrupted(late)
        return Reply(response.status, response.headers, b"".join(chunks))
    except ConnectionRefusedError:
        raise Unreachable("connection refused, no server is listening there", refused=True) from None
    except (TimeoutError, socket.timeout):
        raise Interrupted(late) from None
    except (http.client.RemoteDisconnected, http.client.IncompleteRead, ConnectionResetError, BrokenPipeError,
            http.client.BadStatusLine, http.client.LineTooLong):
        raise Interrupted(late if expired.is_set() else
                          "the server closed the connection without a complete answer") from None
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise Interrupted(late) from None
        raise Unreachable(f"cannot be reached: {exc}") from None
    finally:
        watchdog.cancel()
        connection.close()


def read_json(body: bytes) -> Any:
    """The JSON in ``body``, every string in it storable (lone surrogates made
    U+FFFD); :class:`BadAnswer` when it is not JSON."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise BadAnswer("the answer's JSON is nested too deeply to read") from None
    except ValueError:  # also UnicodeDecodeError: not UTF-8
        raise BadAnswer("the answer is not JSON") from None
    return _storable(data)


def _storable(data: Any) -> Any:
    """``data`` with lone surrogates in its strings replaced, iteratively (the
    depth was bounded by the parser)."""
    if isinstance(data, str):
        return _SURROGATE.sub("\ufffd", data)
    if not isinstance(data, (dict, list)):
        return data
    root: list[Any] = [data]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        holder, key = stack.pop()
        value = holder[key]
        if isinstance(value, str):
            holder[key] = _SURROGATE.sub("\ufffd", value)
        elif isinstance(value, list):
            stack.extend((value, index) for index in range(len(value)))
        elif isinstance(value, dict):
            for name in list(value):
                clean = _SURROGATE.sub("\ufffd", name) if isinstance(name, str) else name
                if clean != name:
                    value[clean] = value.pop(name)
                stack.append((value, clean))
    return root[0]


def printable_json(body: bytes, width: int = 200) -> str:
    """A server's error message for a human: ``error.message`` of an OpenAI error
    body (or ``message``, ``detail``, a plain ``error`` string), else the body's
    first line; on one line, at most ``width`` characters."""
    text = body[: 64 * 1024].decode("utf-8", "replace").strip()
    try:
        data = read_json(body) if len(body) <= 64 * 1024 else None
    except BadAnswer:
        data = None
    found = None
    if isinstance(data, dict):
        error = data.get("error")
        for candidate in (error.get("message") if isinstance(error, dict) else error, data.get("message"),
                          data.get("detail")):
            if isinstance(candidate, str) and candidate:
                found = candidate
                break
    if found is None:
        found = text.splitlines()[0] if text and data is None else text
    return clip(" ".join(found.split()), width)
