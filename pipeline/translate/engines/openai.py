"""The ``openai`` engine: any server with the OpenAI chat-completions API
(llama.cpp's ``llama-server``, Ollama, vLLM, LM Studio), one request per sentence.

- Each sentence is a :class:`~pipeline.translate.engines.Request`: the text, the glossary
  renderings it needs, the sentences before it when ``context`` > 0. The prompt
  template (Jinja2; :data:`DEFAULT_PROMPT`, or a file of the user's) turns it
  into the one user message of the request.
- **Every request has a budget**: ``max_tokens`` from the sentence's length
  (``answer_tokens`` a character, and :data:`ANSWER_TOKENS_BASE` more), a
  deadline for the whole answer (``timeout``) and a cap on its size
  (:data:`MAX_ANSWER_BYTES`), enforced by :mod:`.exchange`; an answer the
  model did not finish (``finish_reason: "length"``) is never taken.
- **A failure that belongs to one request** comes back as a
  :class:`~pipeline.translate.engines.Failed` in its sentence's place, never
  cached, and the pipeline asks again in smaller forms
  (:mod:`pipeline.translate.enforce`): an empty, cut-off or runaway answer, an
  answer that is not JSON, a prompt the server's context cannot hold, and 429,
  5xx, timeouts and dropped connections once ``retries`` more tries (with
  backoff, honouring ``Retry-After``) failed too.
- **Only what concerns every request stops the run**, one line naming the
  server and the fix: a refused connection, a refused API key (401/403), a model
  the server does not serve, and ``stop_after_failures`` failed requests in a
  row. What finished before is attached to the exception
  (:func:`pipeline.translate.engines.attach_finished`) so the cache keeps it, and
  the exception names the request's text (``text``) for the message.
- **Concurrency follows the server**: unless ``concurrency`` is given, as many
  requests at once as the server says it runs (:mod:`.servers`), else
  :data:`~pipeline.translate.engines.servers.FALLBACK_CONCURRENCY`.
- The answer is cleaned of the usual LLM wrapping
  (:func:`~pipeline.translate.engines.answer.clean_answer`); the answers'
  ``usage`` is added up (:meth:`OpenAIEngine.token_counts`).
- The API key is read from the environment variable named by ``api_key_env``
  and goes nowhere but the ``Authorization`` header: not into the signature, an
  error message, a log or a repr; server text that echoes it is redacted.
- The model's name is checked against the server's ``/v1/models`` once, before
  the first translation, so the name in the signature is one the server reports
  (llama-cpp-python's server answers any model name with its own model).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.core.text import clip
from pipeline.translate.engines.answer import clean_answer, runaway
from pipeline.translate.engines.base import EngineError, Failed, Request, attach_finished, signature_string
from pipeline.translate.engines.exchange import BadAnswer, Interrupted, Unreachable, exchange, printable_json, read_json
from pipeline.translate.engines.prompt import PromptTemplate
from pipeline.translate.engines.servers import FALLBACK_CONCURRENCY, Capacity, context_refusal, probe_capacity

__all__ = ["OpenAIEngine", "clean_answer", "served_models", "DEFAULT_PROMPT", "NoModelListError"]

#: The prompt template shipped with duizhao.
DEFAULT_PROMPT = Path(__file__).with_name("prompt.txt")
#: Bump when :func:`clean_answer` changes what it gives for the same answer.
CLEANING_VERSION = 1
#: ``max_tokens`` = this + ``answer_tokens`` per character of the sentence.
ANSWER_TOKENS_BASE = 64
#: The most bytes of an answer read: a sentence's translation is a few kilobytes
#: even as JSON with every character escaped, so more is a runaway body.
MAX_ANSWER_BYTES = 1024 * 1024
#: Deadline of the small requests that ask the server what it serves.
_PROBE_DEADLINE = 10.0
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


class _RequestFailed(Exception):
    """One request failed for good: ``why`` (with the fix), and its ``cause``
    (:class:`~pipeline.translate.engines.Failed`)."""

    def __init__(self, why: str, cause: str = "server"):
        super().__init__(why)
        self.why = why
        self.cause = cause


class NoModelListError(Exception):
    """The server has no ``/v1/models``."""


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
        concurrency: int | None = None,
        timeout: float = 120.0,
        retries: int = 3,
        temperature: float = 0.0,
        context: int = 0,
        prompt: str | Path | None = None,
        answer_tokens: float = 4.0,
        stop_after_failures: int = 10,
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
        numbers_fine = (concurrency is None or concurrency >= 1) and retries >= 0 and context >= 0 \
            and 0 < timeout < math.inf and 0 <= temperature <= 2 and 0 < answer_tokens < math.inf \
            and stop_after_failures >= 1
        if not numbers_fine:
            raise EngineError("invalid openai settings: concurrency >= 1, retries >= 0, 0 < timeout, 0 <= temperature "
                              "<= 2, context >= 0, 0 < answer_tokens and stop_after_failures >= 1 are needed")
        self.model = model
        self.api_key_env = api_key_env
        self._api_key = _read_key(api_key_env)
        self.given_concurrency = concurrency
        self.timeout = float(timeout)
        self.retries = retries
        self.temperature = float(temperature)
        self.context = context
        self.answer_tokens = float(answer_tokens)
        self.stop_after_failures = stop_after_failures
        self.prompt_path = Path(prompt) if prompt is not None else DEFAULT_PROMPT
        self._template = PromptTemplate.load(self.prompt_path)
        self.prompt_sha256 = self._template.sha256
        # Fails now, before any request, on a variable the template gets wrong.
        self._render(Request("示例。", (("示例", "example"),), (("⟦T0⟧", "example"),), ("上一句。",)))
        self._lock = threading.Lock()
        self._made = 0
        self._retried = 0
        self._tokens = [0, 0]
        self._in_a_row = 0
        self._quiet = 0
        self._worked = False
        self._checked = False
        self._capacity: Capacity | None = None

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
        # max_tokens, the deadline and the cap are not in it: an answer the model
        # finished is the same under any budget, and an unfinished one is not kept.
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

    def token_counts(self) -> tuple[int, int]:
        """Prompt and completion tokens the answers' ``usage`` reported so far."""
        with self._lock:
            return self._tokens[0], self._tokens[1]

    def max_tokens(self, text: str) -> int:
        """The ``max_tokens`` of a request for ``text``: a generous multiple of its
        length, so that only an answer that runs away reaches it."""
        return ANSWER_TOKENS_BASE + math.ceil(self.answer_tokens * len(text))

    @property
    def concurrency(self) -> int:
        """Requests at once: as given, else as many as the server runs (once
        asked), else :data:`FALLBACK_CONCURRENCY`."""
        if self.given_concurrency is not None:
            return self.given_concurrency
        capacity = self._capacity
        return capacity.slots if capacity is not None and capacity.slots else FALLBACK_CONCURRENCY

    @contextlib.contextmanager
    def asking_again(self) -> Iterator[None]:
        """See :func:`pipeline.translate.engines.asking_again`."""
        with self._lock:
            self._quiet += 1
        try:
            yield
        finally:
            with self._lock:
                self._quiet -= 1

    # -- translating ----------------------------------------------------------------

    def translate(self, sentences: Sequence[str],
                  progress: Callable[[int], None] | None = None) -> list[str | Failed]:
        """One cleaned answer per sentence (a :meth:`Request.key`, or plain text), or
        a :class:`Failed`, in input order; requests run :attr:`concurrency` at a time."""
        requests = [Request.from_key(s) for s in sentences]
        results: list[str | Failed | None] = [None if r.text.strip() else "" for r in requests]
        todo = [i for i, r in enumerate(results) if r is None]
        if not todo:
            return [r or "" for r in results]
        self._prepare()
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
                    answer = self._translate_one(requests[index])
                    self._count_failure(answer, requests[index])
                    done.put((index, answer, None))
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
            finished = {sentences[i]: results[i] for i in todo if isinstance(results[i], str)}
            raise attach_finished(failure, finished)
        return [r if r is not None else "" for r in results]

    def _count_failure(self, answer: str | Failed, request: Request) -> None:
        """Keep count of failed requests in a row; too many is the server's failure.
        The model's failures count only while nothing shows that it translates
        (no answer taken yet, nor a cache of its translations: see
        :meth:`asking_again`); a prompt too long for the context never does
        (smaller forms fit): so a model that fails on everything stops the run, one
        that fails on some sentences never does."""
        with self._lock:
            if not isinstance(answer, Failed):
                self._in_a_row = 0
                self._worked = True
                return
            if answer.cause == "context" or (not answer.server and (self._quiet or self._worked)):
                return
            self._in_a_row += 1
            if self._in_a_row < self.stop_after_failures:
                return
        last = answer.message.removeprefix(f"{self.shown_url}: ")
        error = EngineError(f"{self.shown_url}: {self.stop_after_failures} requests in a row failed, the last: {last} "
                            f"(stopped: check the server and its log; with a working server, another model or "
                            "prompt, or raise stop_after_failures in [engine] of duizhao.toml)")
        error.text = request.text  # type: ignore[attr-defined]
        raise error

    def _translate_one(self, request: Request) -> str | Failed:
        prompt = self._render(request)
        budget = self.max_tokens(request.text)
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": self.temperature,
            "max_tokens": budget,
            "stream": False,
        }
        try:
            data = self._call("POST", "/chat/completions", body, deadline=self.timeout, max_tokens=budget)
        except _RequestFailed as exc:
            return Failed(f"{self.shown_url}: {exc.why}", exc.cause)
        except EngineError as exc:
            exc.text = request.text  # type: ignore[attr-defined]
            raise
        completion = self._count_usage(data)
        choice = _first_choice(data)
        content = _answer_content(choice)
        if content is None:
            return Failed(f"{self.shown_url}: the answer is not an OpenAI chat completion (no "
                          "choices[0].message.content) (check that base_url is the server's OpenAI API, usually "
                          "ending in /v1)", "server")
        if choice.get("finish_reason") == "length":
            tokens = f"{completion} tokens" if completion is not None else "its max_tokens"
            return Failed(f"{self.shown_url}: the answer was cut off at {tokens} (finish_reason \"length\"; "
                          f"max_tokens {budget}): the model ran on, or the server's context is full (a model "
                          "that loops needs another model or prompt; a small context, a server started with a "
                          "larger one)")
        english = clean_answer(self._redact(content), request.text)
        if not english:
            return Failed(f"{self.shown_url}: model {self.model!r} gave an empty answer (try another model or "
                          "prompt; a reasoning model may need its thinking turned off)")
        if runaway(english, request.text):
            return Failed(f"{self.shown_url}: model {self.model!r} answered {len(english)} characters for a "
                          f"sentence of {len(request.text)}: not a translation (another model or prompt)")
        return english

    def _count_usage(self, data: Any) -> int | None:
        """Add the answer's ``usage`` to the counts; its completion tokens."""
        usage = data.get("usage") if isinstance(data, dict) else None
        if not isinstance(usage, dict):
            return None
        counts = [usage.get(key) for key in ("prompt_tokens", "completion_tokens")]
        counts = [n if isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 10**9 else 0 for n in counts]
        with self._lock:
            self._tokens[0] += counts[0]
            self._tokens[1] += counts[1]
        return counts[1]

    def _render(self, request: Request) -> str:
        return self._template.render(request)

    # -- the server -------------------------------------------------------------------

    def list_models(self) -> list[str]:
        """The model names the server's ``/v1/models`` lists."""
        try:
            data = self._call("GET", "/models", None, retry=False, deadline=min(self.timeout, _PROBE_DEADLINE))
        except _RequestFailed as exc:
            raise EngineError(f"{self.shown_url}/models: {exc.why}") from None
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise EngineError(f"{self.shown_url}/models: not an OpenAI model list (check that base_url is the "
                              "server's OpenAI API, usually ending in /v1)")
        return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item]

    def check(self) -> str:
        """One line: the server answers, lists the model, and how many requests
        go at once and why; raises otherwise."""
        listed = self._check_model(force=True)
        self._probe_capacity()
        served = (f"answers and serves {self.model!r}" if listed else
                  f"answers (it has no model list to find {self.model!r} in)")
        return f"{self.shown_url} {served}; {self.concurrency} at a time ({self.concurrency_source()})"

    def concurrency_source(self) -> str:
        """Why :attr:`concurrency` is what it is, in a few words."""
        if self.given_concurrency is not None:
            return "concurrency as set"
        return self._capacity.why if self._capacity is not None else "not asked yet"

    def _prepare(self) -> None:
        """Before the first translation: the model is served, the concurrency known."""
        self._check_model()
        self._probe_capacity()

    def _probe_capacity(self) -> None:
        """Once, unless concurrency was given: ask the server how many requests it runs."""
        if self.given_concurrency is not None or self._capacity is not None:
            return
        root = urlsplit(self.url).path.rstrip("/")
        root = root[: -len("/v1")] if root.endswith("/v1") else root

        def get(path: str) -> Any:
            try:
                return self._call("GET", path, None, retry=False, deadline=min(self.timeout, _PROBE_DEADLINE),
                                  root=root)
            except (_RequestFailed, NoModelListError, EngineError):
                return None

        capacity = probe_capacity(get)
        with self._lock:
            self._capacity = capacity

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

    def _call(self, method: str, path: str, body: dict | None, *, deadline: float, retry: bool = True,
              max_tokens: int = 0, root: str | None = None) -> Any:
        """The JSON the server answers ``method path`` with, retrying what is worth
        it; :class:`_RequestFailed` when this request failed for good,
        :class:`EngineError` when the server as a whole did."""
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
                return self._exchange(method, path, body, deadline, max_tokens, root)
            except _Retry as exc:
                last = exc
        assert last is not None
        tries = f"{attempts} {'try' if attempts == 1 else 'tries'}"
        raise _RequestFailed(f"{last.why} ({tries}; {_fix_for(last.why)})")

    def _backoff(self, attempt: int) -> float:
        return min(_BACKOFF_MAX, _BACKOFF_BASE * 2 ** (attempt - 1)) * (1 + 0.25 * random.random())

    def _exchange(self, method: str, path: str, body: dict | None, deadline: float, max_tokens: int,
                  root: str | None) -> Any:
        parts = urlsplit(self.url)
        headers = {"Accept": "application/json", "User-Agent": "duizhao"}
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        base = parts.path.rstrip("/") if root is None else root
        try:
            reply = exchange(parts, method, base + path, payload, headers, deadline=deadline,
                             max_bytes=MAX_ANSWER_BYTES)
        except Unreachable as exc:
            fix = ("start it, e.g. `llama-server -m MODEL.gguf --port 8080`, `ollama serve`, or fix base_url / "
                   "--base-url") if exc.refused else "check base_url / --base-url"
            raise EngineError(f"{self.shown_url}: {exc} ({fix})") from None
        except Interrupted as exc:
            if exc.retry:
                raise _Retry(str(exc)) from None
            raise _RequestFailed(str(exc)) from None
        status = reply.status
        if root is not None:  # a probe: the JSON, or nothing
            if status != 200:
                raise NoModelListError()
            try:
                return read_json(reply.body)
            except BadAnswer:
                return None
        if status == 200:
            try:
                return read_json(reply.body)
            except BadAnswer as exc:
                message = self._redact(printable_json(reply.body))
                raise _RequestFailed(f"{exc} ({clip(message, 60)!r}) (check that base_url is the server's "
                                     "OpenAI API, usually ending in /v1)") from None
        message = self._redact(printable_json(reply.body))  # an error's body, as the server wrote it
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status}: {message}" if message else f"HTTP {status}",
                         _retry_after(reply.headers.get("Retry-After"), self.shown_url))
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
        if status == 400:
            try:
                refusal = context_refusal(read_json(reply.body), message, max_tokens)
            except BadAnswer:
                refusal = None
            if refusal is not None:
                raise _RequestFailed(refusal, "context")
        raise _RequestFailed(f"HTTP {status}: {message or 'no message'} (check the server's log)")

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[API key]") if self._api_key else text


def served_models(base_url: str, api_key_env: str | None = None, timeout: float = 10.0) -> list[str]:
    """The model names the server at ``base_url`` lists (no model needs naming)."""
    return OpenAIEngine(base_url=base_url, model="-", api_key_env=api_key_env, timeout=timeout).list_models()


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


def _first_choice(data: Any) -> dict:
    choices = data.get("choices") if isinstance(data, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    return choice if isinstance(choice, dict) else {}


def _answer_content(choice: dict) -> str | None:
    message = choice.get("message")
    if not isinstance(message, dict) or "content" not in message:
        return None
    content = message["content"]
    if isinstance(content, list):  # content parts
        content = "".join(part["text"] for part in content if isinstance(part, dict)
                          and isinstance(part.get("text"), str))
    return content if isinstance(content, str) else ("" if content is None else None)


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
        except (TypeError, ValueError, OverflowError):
            return None
    if math.isnan(seconds):
        return None
    seconds = max(0.0, seconds)
    if seconds > _RETRY_AFTER_MAX:
        raise EngineError(f"{url}: the server asks to wait {seconds:.0f} s before the next request (Retry-After) "
                          "(try again later, or lower concurrency in [engine] of duizhao.toml)")
    return seconds


def _fix_for(why: str) -> str:
    if why.startswith("no complete answer"):
        return "raise timeout in [engine] of duizhao.toml, lower concurrency, or check the server"
    if why.startswith("HTTP 429"):
        return "the server is rate limiting: lower concurrency in [engine] of duizhao.toml"
    return "check the server's log"
