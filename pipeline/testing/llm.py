"""A loopback OpenAI-compatible server for tests and benchmarks: what a real
server cannot be made to do on demand.

The real thing runs in the tests too (:mod:`pipeline.testing.llama`:
llama-cpp-python's server with a model written by :mod:`pipeline.testing.gguf`),
for empty and runaway answers, small contexts, one request at a time, a server
killed and restarted, an unknown model. :class:`FakeLLM` is for the rest, and
answers in the real one's shape (llama-cpp-python 0.3.36's): ``finish_reason``
(``"length"`` when ``max_tokens`` cuts the answer), ``usage`` (a token every
four characters), error bodies
``{"error": {"message", "type", "param", "code"}}``, and a model name it does not
serve answered with its own model (HTTP 200), as that server does.

It serves ``/v1/models`` and ``/v1/chat/completions`` on 127.0.0.1 (standard
library :mod:`http.server`, a thread per request). Its "model" is deterministic:
it reads the sentence, the glossary renderings and the placeholders from
duizhao's prompt (:data:`pipeline.translate.engines.openai.DEFAULT_PROMPT`, or
any template that ends with ``Text:`` and the text), writes each listed term as
its rendering, keeps each placeholder, and turns every other Han character into
an English word. It can be told to misbehave:

- ``terms``: ``"obey"`` (default), ``"drop"`` (ignore the renderings) or
  ``"alter"`` (write them a letter short);
- ``markers``: ``"keep"`` (default) or ``"drop"`` the placeholders of a retry;
- ``wrap``: wrap every answer (``"quotes"``, ``"label"``, ``"fence"``, ``"note"``,
  ``"think"``), ``keep_han``: leave the first Han character untranslated;
- ``script``: what the next chat requests get instead of an answer, one item
  each: ``"500"``/``"503"`` (a passing server error), ``"429:SECONDS"`` (with
  ``Retry-After``), ``"hang:SECONDS"``, ``"close"`` (drop the connection),
  ``"malformed"``, ``"nochoices"``, ``"trickle:SECONDS[:BYTES]"`` (a body sent a
  byte at a time, one every SECONDS, BYTES in all or without end), ``"huge:MB"``
  (a 200 whose body is that many megabytes), ``"endless"`` (a body without end),
  ``"nested:DEPTH"`` (JSON nested that deep), ``"surrogate"`` (an answer with a
  lone surrogate escaped in its JSON), ``"answer:TEXT"`` (TEXT as the answer);
- ``fail_on``: a text → script item applied to every request for that text;
- ``slots``: answer ``/props`` and ``/slots`` as llama.cpp's ``llama-server``
  with that many slots (else 404, as llama-cpp-python's server);
- ``api_key``: answer 401 (echoing the key given, as some servers do) unless
  ``Authorization: Bearer <api_key>``; ``latency``: seconds before each answer.

Every request is recorded in :attr:`FakeLLM.requests`; :attr:`FakeLLM.sent`
counts the body bytes each misbehaving answer got out before the client hung up.

``python -m pipeline.testing.llm [--latency S] [--port N]`` runs one until
Ctrl-C and prints its URL (the benchmark runs it in its own process).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import regex

from pipeline.terms.glossary import PLACEHOLDER_PATTERN

_HAN = regex.compile(r"\p{Han}")
_TERM_LINE = regex.compile(r'^(.+?) → "(.*)"$')
_MARKER_LINE = regex.compile(rf'^({PLACEHOLDER_PATTERN.pattern}) = "(.*)"$')
_WORDS = (
    "port city trade growth harbour new high first road sea bay bridge county river ship box line "
    "work plan open year month day people state power market build strong great good field project"
).split()
_PUNCTUATION = str.maketrans({"，": ",", "。": ".", "、": ",", "：": ":", "；": ";", "！": "!", "？": "?",
                              "“": '"', "”": '"', "（": "(", "）": ")", "《": '"', "》": '"'})


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any = None

    @property
    def prompt(self) -> str:
        return self.body["messages"][-1]["content"] if isinstance(self.body, dict) else ""

    @property
    def text(self) -> str:
        return parse_prompt(self.prompt)[0]


def parse_prompt(prompt: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The text, the listed renderings (Chinese → English) and the placeholders
    (placeholder → what it stands for) in a prompt made from duizhao's template."""
    head, _, text = prompt.rpartition("\nText:\n")
    terms: dict[str, str] = {}
    markers: dict[str, str] = {}
    for line in head.splitlines():
        found = _MARKER_LINE.match(line)
        if found:
            markers[found.group(1)] = found.group(3)
            continue
        found = _TERM_LINE.match(line)
        if found:
            terms[found.group(1)] = found.group(2)
    return text.strip(), terms, markers


def fake_translate(text: str, terms: dict[str, str], *, alter: bool = False, drop_markers: bool = False,
                   keep_han: bool = False) -> str:
    """The fake model's English for ``text``: renderings for the listed terms,
    placeholders kept, a word per other Han character."""
    out = text
    for zh, en in sorted(terms.items(), key=lambda item: -len(item[0])):
        out = out.replace(zh, f" {en[:-1] if alter else en} ")
    if drop_markers:
        out = PLACEHOLDER_PATTERN.sub(" ", out)
    kept = [False]

    def word(match: regex.Match) -> str:
        if keep_han and not kept[0]:
            kept[0] = True
            return match.group(0)
        return f" {_WORDS[ord(match.group(0)) % len(_WORDS)]} "

    out = _HAN.sub(word, out).translate(_PUNCTUATION)
    out = regex.sub(r"\s+([,.:;!?)])", r"\1", regex.sub(r"\s+", " ", out)).strip()
    return out[:1].upper() + out[1:]


_WRAPS = {
    "quotes": '"{}"',
    "label": "Translation: {}",
    "fence": "```\n{}\n```",
    "note": "{}\n\nNote: the names were kept as they are.",
    "think": "<think>The user wants English.</think>\n{}",
}


@dataclass
class FakeLLM:
    """The server; use as a context manager (or :meth:`start` / :meth:`close`)."""

    models: tuple[str, ...] = ("test-model",)
    latency: float = 0.0
    api_key: str | None = None
    terms: str = "obey"
    markers: str = "keep"
    wrap: str | None = None
    keep_han: bool = False
    port: int = 0
    slots: int | None = None
    script: deque = field(default_factory=deque)
    fail_on: dict[str, str] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    #: The most chat requests being answered at once.
    max_in_flight: int = 0
    #: Body bytes written by each trickled or huge answer before the client hung up.
    sent: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._in_flight = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def chat_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> FakeLLM:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-llm", daemon=True).start()
        return self

    def close(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- answering ------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = Recorded(method, handler.path, dict(handler.headers.items()), body)
        with self._lock:
            self.requests.append(record)
        if self.api_key is not None and handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            given = (handler.headers.get("Authorization") or "").removeprefix("Bearer ")
            return _send(handler, 401, _error(f"Incorrect API key provided: {given}", "invalid_request_error"))
        if method == "GET" and handler.path.rstrip("/").endswith("/v1/models"):
            return _send(handler, 200, {"object": "list", "data": [
                {"id": m, "object": "model", "owned_by": "me", "permissions": []} for m in self.models]})
        if method == "GET" and handler.path in ("/props", "/slots") and self.slots:
            slot = {"n_ctx": 4096, "is_processing": False}
            return _send(handler, 200, {"default_generation_settings": slot, "total_slots": self.slots}
                         if handler.path == "/props" else [{"id": n, **slot} for n in range(self.slots)])
        if method != "POST" or not handler.path.endswith("/v1/chat/completions") or not isinstance(body, dict):
            return _send(handler, 404, {"detail": "Not Found"})
        # An unknown model is answered by the served one, its name echoed (llama-cpp-python).
        model = body.get("model")
        with self._lock:
            item = self.script.popleft() if self.script else self.fail_on.get(record.text)
        if item is not None and self._misbehave(handler, item, model):
            return
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
        finally:
            with self._lock:
                self._in_flight -= 1
        text, terms, markers = parse_prompt(record.prompt)
        english = fake_translate(
            text, {} if self.terms == "drop" else terms, alter=self.terms == "alter",
            drop_markers=bool(markers) and self.markers == "drop", keep_han=self.keep_han,
        )
        content = _WRAPS[self.wrap].format(english) if self.wrap else english
        _send(handler, 200, _completion(model, record.prompt, content, body.get("max_tokens")))

    def _misbehave(self, handler: BaseHTTPRequestHandler, item: str, model: str) -> bool:
        """Answer as ``item`` says; ``False`` when the request is then answered normally."""
        kind, _, argument = item.partition(":")
        if kind in ("500", "503"):
            _send(handler, int(kind), _error(f"scripted {kind}", "internal_server_error"))
        elif kind == "429":
            _send(handler, 429, _error("too many requests", "rate_limit_error"), {"Retry-After": argument or "1"})
        elif kind == "hang":
            self._closing.wait(float(argument or 30))
            handler.close_connection = True
        elif kind == "close":
            handler.close_connection = True  # nothing written: the client sees the connection dropped
        elif kind == "malformed":
            _send_raw(handler, 200, b'{"id": "x", "choices": [', "application/json")
        elif kind == "nochoices":
            _send(handler, 200, {"id": "x", "object": "chat.completion"})
        elif kind == "nested":
            depth = int(argument or 100_000)
            _send_raw(handler, 200, b"[" * depth + b"]" * depth, "application/json")
        elif kind == "surrogate":  # JSON may escape a lone surrogate; no UTF-8 can hold it
            body = json.dumps(_completion(model, "", "The port \ud800 is big.", None)).encode("ascii")
            _send_raw(handler, 200, body, "application/json")
        elif kind == "trickle":
            pause, _, total = argument.partition(":")
            self._stream(handler, float(pause or 0.05), 1, int(total) if total else None)
        elif kind == "huge":
            self._stream(handler, 0.0, 64 * 1024, int(float(argument or 60) * 1024 * 1024))
        elif kind == "endless":
            self._stream(handler, 0.0, 64 * 1024, None)
        elif kind == "answer":  # a 200 whose content is the rest of the item, as written
            _send(handler, 200, _completion(model, "", argument, None))
        else:
            raise ValueError(f"unknown scripted behaviour {item!r}")
        return True

    def _stream(self, handler: BaseHTTPRequestHandler, pause: float, chunk: int, total: int | None) -> None:
        """A 200 whose JSON body comes ``chunk`` bytes at a time, a ``pause`` apart,
        ``total`` bytes in all (``None``: until the client hangs up or the server
        closes); the bytes written are recorded in :attr:`sent`."""
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if total is not None:
            handler.send_header("Content-Length", str(total))
        handler.end_headers()
        handler.close_connection = True
        written = 0
        head = b'{"choices": [{"message": {"content": "'
        try:
            handler.wfile.write(head)
            written = len(head)
            while (total is None or written < total) and not self._closing.is_set():
                size = chunk if total is None else min(chunk, total - written)
                handler.wfile.write(b"a" * size)
                handler.wfile.flush()
                written += size
                if pause:
                    self._closing.wait(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up
        with self._lock:
            self.sent.append(written)

    def sent_bodies(self, count: int = 1, wait: float = 10.0) -> list[int]:
        """:attr:`sent` once ``count`` bodies are recorded: a body the client gave up
        on is recorded only when the server's next write finds the connection gone."""
        deadline = time.monotonic() + wait
        while len(self.sent) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        with self._lock:
            return list(self.sent)


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    """An error body as llama-cpp-python's server writes it."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _tokens(text: str) -> int:
    """Tokens of ``text`` as the fake counts them: one per four characters, the
    usual rule of thumb for English."""
    return -(-len(text) // 4)


def _completion(model: str, prompt: str, content: str, max_tokens: int | None) -> dict[str, Any]:
    """A chat completion as llama-cpp-python's server writes it; ``max_tokens``
    cuts the answer (``finish_reason: "length"``)."""
    finish = "stop"
    if isinstance(max_tokens, int) and 0 < max_tokens < _tokens(content):
        content, finish = content[:4 * max_tokens], "length"
    prompt_tokens, completion_tokens = _tokens(prompt) + 1, _tokens(content)
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"content": content, "role": "assistant"}, "logprobs": None,
                     "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def _send(handler: BaseHTTPRequestHandler, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
    _send_raw(handler, status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json", headers)


def _send_raw(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up (a timeout)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="A loopback OpenAI-compatible server with a fake model.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--model", action="append", help="model name to serve (repeatable; default test-model)")
    args = parser.parse_args()
    server = FakeLLM(models=tuple(args.model or ["test-model"]), latency=args.latency, port=args.port).start()
    print(server.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.close()


if __name__ == "__main__":
    main()
