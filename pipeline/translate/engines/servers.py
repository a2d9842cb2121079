"""What an OpenAI-compatible server says about itself: how many requests it
runs at once, and what a refusal for a too-long prompt means.

- llama.cpp's ``llama-server`` reports its slots (``-np``): ``total_slots`` in
  ``GET /props``, or one entry per slot in ``GET /slots``;
- llama-cpp-python's server (``python -m llama_cpp.server``) runs one request at
  a time (a lock around its one model) and says so nowhere: it is known by the
  title of its ``/openapi.json``;
- Ollama (``GET /api/version``) runs ``OLLAMA_NUM_PARALLEL`` requests at once,
  1 unless set, and does not report it: the variable is read from this
  environment, which is the server's when it runs here;
- any other server: :data:`FALLBACK_CONCURRENCY`.

Requests beyond what the server runs at once only queue there, and the time
they queue counts against their deadline.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["FALLBACK_CONCURRENCY", "Capacity", "context_refusal", "probe_capacity"]

#: Requests at once when the server does not say how many it runs.
FALLBACK_CONCURRENCY = 4


@dataclass(frozen=True)
class Capacity:
    """How many requests the server runs at once (``None``: it does not say),
    and which server said so, for ``duizhao engines``."""

    slots: int | None
    why: str


def probe_capacity(get: Callable[[str], Any]) -> Capacity:
    """Ask the server at ``get`` (path from the server's root → its JSON, or
    ``None`` when the path is not there) how many requests it runs at once."""
    props = get("/props")
    if isinstance(props, dict) and _count(props.get("total_slots")):
        return Capacity(_count(props.get("total_slots")), f"llama-server reports {props['total_slots']} slots")
    slots = get("/slots")
    if isinstance(slots, list) and slots:
        return Capacity(min(len(slots), 64), f"llama-server reports {len(slots)} slots")
    version = get("/api/version")
    if isinstance(version, dict) and isinstance(version.get("version"), str):
        given = _count(os.environ.get("OLLAMA_NUM_PARALLEL", "").strip())
        if given:
            return Capacity(given, f"Ollama with OLLAMA_NUM_PARALLEL={given}")
        return Capacity(1, "Ollama runs 1 request at a time unless OLLAMA_NUM_PARALLEL says more")
    api = get("/openapi.json")
    info = api.get("info") if isinstance(api, dict) else None
    if isinstance(info, dict) and "llama.cpp python" in str(info.get("title", "")).casefold():
        return Capacity(1, "llama-cpp-python's server runs one request at a time")
    return Capacity(None, f"the server does not say how many requests it runs at once; {FALLBACK_CONCURRENCY} assumed")


def _count(value: Any) -> int | None:
    """A positive count up to 64 from a number or its text, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return min(value, 64) if isinstance(value, int) and value > 0 else None


_LLAMA_CPP_PYTHON = re.compile(r"maximum context length is (\d+) tokens.*?(\d+) in the messages", re.DOTALL)


def context_refusal(data: Any, message: str, max_tokens: int) -> str | None:
    """When a 400 body says the prompt does not fit the server's context, one
    line saying so with the context to start the server with; else ``None``.
    Knows llama-cpp-python's ``context_length_exceeded`` and llama-server's
    ``exceed_context_size_error`` (with ``n_prompt_tokens`` and ``n_ctx``)."""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None
    prompt = context = None
    if error.get("code") == "context_length_exceeded":
        found = _LLAMA_CPP_PYTHON.search(message)
        if found:
            context, prompt = int(found.group(1)), int(found.group(2))
    elif error.get("type") == "exceed_context_size_error":
        prompt, context = _count_any(error.get("n_prompt_tokens")), _count_any(error.get("n_ctx"))
    else:
        return None
    if prompt is None or context is None:
        return f"the prompt does not fit the server's context: {message} (start the server with a larger context)"
    need = math.ceil((prompt + max_tokens) / 256) * 256
    return (f"the prompt ({prompt} tokens) and its answer (up to {max_tokens}) do not fit the server's context of "
            f"{context} tokens: the server says {message!r} (start the server with a context of at least {need} "
            f"tokens a request: llama-server -c {need} times its -np, python -m llama_cpp.server --n_ctx {need}, "
            "Ollama's num_ctx)")


def _count_any(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
