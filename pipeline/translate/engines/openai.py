"""The ``openai`` engine: any server with the OpenAI chat-completions API
(llama.cpp's ``llama-server``, Ollama, vLLM, LM Studio), one request per sentence.

- Each sentence is a :class:`~pipeline.translate.engines.Request`: the text, the glossary
  renderings it needs, the sentences before it when ``context`` > 0. The prompt
  template (Jinja2; :data:`DEFAULT_PROMPT`, or a file of the user's) turns it
  into the one user message of the request.
- Requests run on a bounded pool (``concurrency``), each with a ``timeout``; 429
  and 5xx answers, timeouts and dropped connections are retried with backoff
  (honouring ``Retry-After``) up to ``retries`` times. Every other failure is one
  line naming the server and the fix; what finished before it is attached to the
  exception (:func:`pipeline.translate.engines.attach_finished`) so the cache keeps it.
- The answer is cleaned of the usual LLM wrapping (:func:`clean_answer`).
- The API key is read from the environment variable named by ``api_key_env``
  and goes nowhere but the ``Authorization`` header: not into the signature, an
  error message, a log or a repr; server text that echoes it is redacted.
- The model's name is checked against the server's ``/v1/models`` once, before
  the first translation, so the name in the signature is one the server reports.

HTTP is the standard library's :mod:`http.client` (no proxy: the server is
usually on this machine), a fresh connection per request.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import queue
import random
import socket
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import regex

from pipeline.translate.engines.base import EngineError, Request, attach_finished, signature_string

__all__ = ["OpenAIEngine", "clean_answer", "served_models", "DEFAULT_PROMPT"]

#: The prompt template shipped with duizhao.
DEFAULT_PROMPT = Path(__file__).with_name("prompt.txt")
#: Bump when :func:`clean_answer` changes what it gives for the same answer.
CLEANING_VERSION = 1
#: Backoff before retry n (n = 1, 2, ...) without a Retry-After: 0.5, 1, 2, 4, 8 s (+ jitter).
_BACKOFF_BASE = 0.5
_BACKOFF_MAX = 8.0
#: The longest Retry-After honoured; a server that wants longer gets an error.
_RETRY_AFTER_MAX = 60.0
#: How the engine waits between tries (tests record the waits instead).
_sleep = time.sleep


class _Retry(Exception):
    """A failure worth another try: ``why`` says what happened, ``wait`` how long
    the server asked us to wait (``None``: back off)."""

    def __init__(self, why: str, wait: float | None = None):
        super().__init__(why)
        self.why = why
        self.wait = wait


class OpenAIEngine:
    """Translate through the OpenAI chat-completions API at ``base_url``.

    Nothing is contacted until the first :meth:`translate` (or :meth:`check`), so
    a rerun served from the cache makes no request at all. Safe to share between
    threads.
    """

    name = "openai"
    glossary = "prompt"

    def __init__(
        self,
        *,
        base_url: str,
        model: str | None,
        api_key_env: str | None = None,
        concurrency: int = 4,
        timeout: float = 120.0,
        retries: int = 3,
        temperature: float = 0.0,
        context: int = 0,
        prompt: str | Path | None = None,
        offline: bool = False,
    ):
        self.url = _api_url(base_url)
        parts = urlsplit(self.url)
        if offline and not _is_loopback(parts.hostname or ""):
            raise EngineError(f"{self.shown_url}: not on this machine, and --offline says never touch the network "
                              "(run without --offline, or use a server on 127.0.0.1)")
        if not model:
            raise EngineError(f"the openai engine needs the model's name as the server at {self.shown_url} lists it: "
                              "give --model NAME, or model in the [engine] table of duizhao.toml "
                              "(`duizhao engines` shows what the server serves)")
        if concurrency < 1 or retries < 0 or timeout <= 0 or not 0 <= temperature <= 2 or context < 0:
            raise EngineError("invalid openai settings: concurrency >= 1, retries >= 0, timeout > 0, "
                              "0 <= temperature <= 2 and context >= 0 are needed")
        self.model = model
        self.api_key_env = api_key_env
        self._api_key = _read_key(api_key_env)
        self.concurrency = concurrency
        self.timeout = float(timeout)
        self.retries = retries
        self.temperature = float(temperature)
        self.context = context
        self.prompt_path = Path(prompt) if prompt is not None else DEFAULT_PROMPT
        self._template, self.prompt_sha256 = _load_template(self.prompt_path)
        # Fails now, before any request, on a variable the template gets wrong.
        self._render(Request("示例。", (("示例", "example"),), (("⟦T0⟧", "example"),), ("上一句。",)))
        self._lock = threading.Lock()
        self._made = 0
        self._retried = 0
        self._checked = False

    def __repr__(self) -> str:
        return f"OpenAIEngine({self.shown_url!r}, model={self.model!r})"

    @property
    def shown_url(self) -> str:
        """The base URL as shown to the user: no user name, password or query."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"

    def signature(self) -> str:
        parts = urlsplit(self.url)
        return signature_string(
            {
                "engine": self.name,
                "host": f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}",
                "model": self.model,
                "prompt": self.prompt_sha256[:16],
                "temperature": self.temperature,
                "context": self.context,
                "cleaning": CLEANING_VERSION,
            }
        )

    def request_counts(self) -> tuple[int, int]:
        """HTTP requests made so far, and how many of them were retries."""
        with self._lock:
            return self._made, self._retried

    # -- translating ----------------------------------------------------------------

    def translate(self, sentences: Sequence[str], progress: Callable[[int], None] | None = None) -> list[str]:
        """One cleaned answer per sentence (a :meth:`Request.key`, or plain text),
        in input order; requests run ``concurrency`` at a time."""
        requests = [Request.from_key(s) for s in sentences]
        results: list[str | None] = [None if r.text.strip() else "" for r in requests]
        todo = [i for i, r in enumerate(results) if r is None]
        if not todo:
            return [r or "" for r in results]
        self._check_model()
        jobs: queue.Queue = queue.Queue()
        done: queue.Queue = queue.Queue()
        stop = threading.Event()
        for index in todo:
            jobs.put(index)

        def work() -> None:
            while not stop.is_set():
                try:
                    index = jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    done.put((index, self._translate_one(requests[index]), None))
                except BaseException as exc:  # reported by the caller's thread
                    stop.set()  # no request is sent after a failure
                    done.put((index, None, exc))

        # Daemon threads: Ctrl-C does not wait for a request that hangs.
        for _ in range(min(self.concurrency, len(todo))):
            threading.Thread(target=work, name="duizhao-openai", daemon=True).start()
        failure: BaseException | None = None
        try:
            for _ in todo:
                index, answer, exc = done.get()
                if exc is not None:
                    failure = exc
                    break
                results[index] = answer
                if progress is not None:
                    progress(1)
        except BaseException as exc:  # Ctrl-C while waiting
            failure = exc
        if failure is not None:
            stop.set()  # no new requests; those under way are not waited for
            while True:  # but what came back meanwhile is kept
                try:
                    index, answer, exc = done.get_nowait()
                except queue.Empty:
                    break
                if exc is None:
                    results[index] = answer
            finished = {sentences[i]: results[i] for i in todo if results[i] is not None}
            raise attach_finished(failure, finished)
        return [r or "" for r in results]

    def _translate_one(self, request: Request) -> str:
        prompt = self._render(request)
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": self.temperature,
            "stream": False,
        }
        data = self._call("POST", "/chat/completions", body)
        content = _answer_content(data)
        if content is None:
            raise EngineError(f"{self.shown_url}: the answer is not an OpenAI chat completion (no "
                              "choices[0].message.content) (check that base_url is the server's OpenAI API, "
                              "usually ending in /v1)")
        english = clean_answer(self._redact(content), request.text)
        # An empty second try (placeholders only, all dropped) fails like any
        # other and the sentence is rebuilt from pieces; a first one is an error.
        if not english and not request.markers:
            raise EngineError(f"{self.shown_url}: model {self.model!r} gave an empty answer for "
                              f"{_clip(request.text)!r} (try another model or prompt; a reasoning model may need "
                              "its thinking turned off)")
        return english

    def _render(self, request: Request) -> str:
        import jinja2

        try:
            return self._template.render(
                text=request.text,
                terms=[{"zh": zh, "en": en} for zh, en in request.terms],
                markers=[{"marker": marker, "en": en} for marker, en in request.markers],
                context=list(request.context),
                examples=[{"zh": zh, "en": en} for zh, en in request.examples],
                source_language="Chinese",
                target_language="English",
            ).strip()
        except jinja2.TemplateError as exc:
            # Jinja2 maps its frames to template lines.
            lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
            where = f"{self.prompt_path}:{lines[-1]}" if lines else str(self.prompt_path)
            raise EngineError(f"{where}: the prompt template fails: {exc} (fix it, or remove prompt from "
                              "duizhao.toml to use the shipped one)") from None

    # -- the server -------------------------------------------------------------------

    def list_models(self) -> list[str]:
        """The model names the server's ``/v1/models`` lists."""
        data = self._call("GET", "/models", None, retry=False)
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise EngineError(f"{self.shown_url}/models: not an OpenAI model list (check that base_url is the "
                              "server's OpenAI API, usually ending in /v1)")
        return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item]

    def check(self) -> str:
        """One line: the server answers and lists the model; raises otherwise."""
        if not self._check_model(force=True):
            return f"{self.shown_url} answers (it has no model list to find {self.model!r} in)"
        return f"{self.shown_url} answers and serves {self.model!r}"

    def _check_model(self, force: bool = False) -> bool:
        """Once: the server lists the model (an Ollama name without a tag matches
        its ``:latest``). A server without ``/v1/models`` is not checked (returns False)."""
        with self._lock:
            if self._checked and not force:
                return True
        try:
            served = self.list_models()
        except NoModelListError:
            served = None
        if served is not None and self.model not in served and f"{self.model}:latest" not in served:
            raise self._unknown_model(served)
        with self._lock:
            self._checked = True
        return served is not None

    def _unknown_model(self, served: list[str] | None) -> EngineError:
        listing = f"it serves: {', '.join(served)}" if served else "it lists no models"
        return EngineError(f"{self.shown_url}: the server does not know model {self.model!r} ({listing}) "
                           "(set --model / model in [engine] of duizhao.toml to one of them, or load the model "
                           "into the server, e.g. `ollama pull NAME`)")

    def _call(self, method: str, path: str, body: dict | None, retry: bool = True) -> Any:
        """The JSON the server answers ``method path`` with, retrying what is worth it."""
        attempts = (self.retries if retry else 0) + 1
        last: _Retry | None = None
        for attempt in range(attempts):
            if attempt:
                assert last is not None
                with self._lock:
                    self._retried += 1
                _sleep(last.wait if last.wait is not None else self._backoff(attempt))
            with self._lock:
                self._made += 1
            try:
                return self._exchange(method, path, body)
            except _Retry as exc:
                last = exc
        assert last is not None
        tries = f"{attempts} {'try' if attempts == 1 else 'tries'}"
        raise EngineError(f"{self.shown_url}: {last.why} ({tries}; {_fix_for(last.why)})")

    def _backoff(self, attempt: int) -> float:
        return min(_BACKOFF_MAX, _BACKOFF_BASE * 2 ** (attempt - 1)) * (1 + 0.25 * random.random())

    def _exchange(self, method: str, path: str, body: dict | None) -> Any:
        parts = urlsplit(self.url)
        connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_type(parts.hostname, parts.port, timeout=self.timeout)
        headers = {"Accept": "application/json", "User-Agent": "duizhao"}
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            connection.request(method, parts.path.rstrip("/") + path, body=payload, headers=headers)
            response = connection.getresponse()
            status, reply_headers, raw = response.status, response.headers, response.read()
        except ConnectionRefusedError:
            raise EngineError(f"{self.shown_url}: connection refused, no server is listening there (start it, e.g. "
                              "`llama-server -m MODEL.gguf --port 8080`, `ollama serve`, or fix base_url / "
                              "--base-url)") from None
        except (TimeoutError, socket.timeout):
            raise _Retry(f"no answer within {self.timeout:g} s") from None
        except (http.client.RemoteDisconnected, http.client.IncompleteRead, ConnectionResetError,
                BrokenPipeError, http.client.BadStatusLine):
            raise _Retry("the server closed the connection without a complete answer") from None
        except (OSError, http.client.HTTPException) as exc:
            raise EngineError(f"{self.shown_url}: cannot be reached: {exc} (check base_url / --base-url)") from None
        finally:
            connection.close()
        message = self._redact(_error_message(raw))
        if status == 200:
            try:
                return json.loads(raw)
            except ValueError:
                raise EngineError(f"{self.shown_url}{path}: the answer is not JSON ({_clip(message, 60)!r}) (check "
                                  "that base_url is the server's OpenAI API, usually ending in /v1)") from None
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status}: {message}" if message else f"HTTP {status}",
                         _retry_after(reply_headers.get("Retry-After"), self.shown_url))
        if path == "/models" and status in (404, 405, 501):
            raise NoModelListError()
        if status in (401, 403):
            fix = (f"set the environment variable {self.api_key_env} to a key the server accepts"
                   if self.api_key_env else
                   "the server wants an API key: put it in an environment variable and name that variable "
                   "in api_key_env in the [engine] table of duizhao.toml")
            raise EngineError(f"{self.shown_url}: the server refused the request (HTTP {status}: {message}) ({fix})")
        if status == 404 and path == "/chat/completions":
            try:
                served = self.list_models()
            except (EngineError, NoModelListError):
                served = None
            raise self._unknown_model(served)
        raise EngineError(f"{self.shown_url}{path}: HTTP {status}: {message or 'no message'} (check the server's log)")

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[API key]") if self._api_key else text


def served_models(base_url: str, api_key_env: str | None = None, timeout: float = 10.0) -> list[str]:
    """The model names the server at ``base_url`` lists (no model needs naming)."""
    return OpenAIEngine(base_url=base_url, model="-", api_key_env=api_key_env, timeout=timeout).list_models()


class NoModelListError(Exception):
    """The server has no ``/v1/models``."""


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _api_url(base_url: str) -> str:
    """``base_url`` with ``/v1`` added when it names only the server."""
    text = base_url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EngineError(f"{base_url!r}: not an http(s) URL (give the server's OpenAI API, e.g. "
                          "http://127.0.0.1:8080/v1)")
    try:
        parts.port
    except ValueError:
        raise EngineError(f"{base_url!r}: the port is not a number") from None
    if parts.path in ("", "/"):
        text = text.rstrip("/") + "/v1"
    return text.rstrip("/")


def _read_key(variable: str | None) -> str | None:
    if not variable:
        return None
    value = os.environ.get(variable)
    if not value:
        raise EngineError(f"the environment variable {variable} (api_key_env) is not set: set it to the server's "
                          "API key, or remove api_key_env from duizhao.toml if the server needs none")
    return value.strip()


def _load_template(path: Path):
    """The compiled template in ``path`` and the sha256 of its bytes."""
    import jinja2

    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise EngineError(f"{path}: no such prompt template (check prompt in duizhao.toml)") from None
    except UnicodeDecodeError:
        raise EngineError(f"{path}: not UTF-8 (save the prompt template as UTF-8)") from None
    except OSError as exc:
        raise EngineError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        template = environment.from_string(text)
    except jinja2.TemplateSyntaxError as exc:
        raise EngineError(f"{path}:{exc.lineno}: not a valid template: {exc.message} (fix it, or remove prompt "
                          "from duizhao.toml to use the shipped one)") from None
    return template, hashlib.sha256(data).hexdigest()


def _answer_content(data: Any) -> str | None:
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    if isinstance(content, list):  # content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ("" if content is None else None)


def _error_message(raw: bytes) -> str:
    """The server's error message: ``error.message`` of an OpenAI error body (or
    ``message``, ``detail``, a plain ``error`` string), else the body's first line."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return _clip(text.splitlines()[0] if text else "", 200)
    if isinstance(data, dict):
        error = data.get("error")
        for found in (error.get("message") if isinstance(error, dict) else error, data.get("message"),
                      data.get("detail")):
            if isinstance(found, str) and found:
                return _clip(" ".join(found.split()), 200)
    return _clip(" ".join(text.split()), 200)


def _retry_after(value: str | None, url: str) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    seconds = max(0.0, seconds)
    if seconds > _RETRY_AFTER_MAX:
        raise EngineError(f"{url}: the server asks to wait {seconds:.0f} s before the next request (Retry-After) "
                          "(try again later, or lower concurrency in [engine] of duizhao.toml)")
    return seconds


def _fix_for(why: str) -> str:
    if why.startswith("no answer"):
        return "raise timeout in [engine] of duizhao.toml, lower concurrency, or check the server"
    if why.startswith("HTTP 429"):
        return "the server is rate limiting: lower concurrency in [engine] of duizhao.toml"
    return "check the server's log"


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- cleaning the answer ------------------------------------------------------------------

_THINK = regex.compile(r"<think>.*?</think>", regex.DOTALL | regex.IGNORECASE)
_FENCE = regex.compile(r"^```[\w+-]*[ \t]*\n(.*?)\n?```$", regex.DOTALL)
_LABEL = regex.compile(
    r"^(?:(?:sure|ok|okay|certainly)[!,.]?\s*)?"
    r"(?:(?:here\s+is|here's)\s+(?:the|my|an?)?\s*(?:english\s+)?translation[^:\n]*:"
    r"|(?:english\s+)?translation\s*(?:\(english\))?\s*:"
    r"|english\s*:|译文\s*[:：]|翻译\s*[:：]|英文\s*[:：])\s*",
    regex.IGNORECASE,
)
_NOTE_LINE = regex.compile(
    r"^\s*(?:\(|\*+|_)?\s*(?:notes?|explanation|translator'?s note|translation note|literally|"
    r"this translation|the translation|i (?:have |'ve )?(?:translated|kept|used)|注|说明)\b",
    regex.IGNORECASE,
)
_NOTE_TAIL = regex.compile(r"\s*\((?:notes?|literally|explanation|translator'?s note)\s*:[^()]*\)\s*$",
                           regex.IGNORECASE)
_QUOTES = {'"': '"', "“": "”", "'": "'", "‘": "’", "«": "»", "「": "」", "『": "』", "**": "**"}


def clean_answer(answer: str, source: str = "") -> str:
    """The translation in an LLM's ``answer``, without the usual wrapping: a
    ``<think>`` block, a Markdown code fence, a "Translation:" label, a note or
    explanation after it, and quotes around the whole of it (unless ``source``
    itself is quoted). Lines are joined: the answer is one sentence."""
    text = _THINK.sub("", answer).strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    text = _LABEL.sub("", text, count=1).strip()
    lines = [line for line in text.splitlines()]
    for number, line in enumerate(lines):
        if number and _NOTE_LINE.match(line):
            lines = lines[:number]
            break
    text = " ".join(line.strip() for line in lines if line.strip())
    text = _NOTE_TAIL.sub("", text).strip()
    source = source.strip()
    for opening, closing in _QUOTES.items():
        quoted_source = source.startswith(tuple("\"“'‘「『«")) and source.endswith(tuple("\"”'’」』»"))
        if (len(text) > len(opening) + len(closing) and text.startswith(opening) and text.endswith(closing)
                and not quoted_source and opening not in text[len(opening):-len(closing)]):
            text = text[len(opening):-len(closing)].strip()
            break
    return _LABEL.sub("", text, count=1).strip()
