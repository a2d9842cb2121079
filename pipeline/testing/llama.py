"""A real llama.cpp server for tests: llama-cpp-python's OpenAI-compatible
server (``python -m llama_cpp.server``) on 127.0.0.1, serving a model a test
wrote with :mod:`pipeline.testing.gguf`.

:class:`LlamaServer` starts it on a free port and waits until ``/v1/models``
answers (about a second, mostly imports); :meth:`~LlamaServer.kill` and
:meth:`~LlamaServer.start` stop it and start it again on the same port (a
server that dies mid-run and comes back). It never outlives the ``with``
block. What this server does, measured: one request at a time, ``usage`` in
every answer, ``finish_reason: "length"`` when ``max_tokens`` or the context
ends an answer, HTTP 400 ``context_length_exceeded`` for a prompt as long as
the context, and HTTP 200 for a model name it does not serve.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["LlamaServer"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LlamaServer:
    """``python -m llama_cpp.server`` serving ``model`` with a context of
    ``n_ctx`` tokens (a multiple of 256: llama-cpp-python sizes its buffers with
    the value given while llama.cpp rounds it up) under the name ``alias``.
    Use as a context manager."""

    def __init__(self, model: str | Path, *, n_ctx: int = 1024, alias: str = "test-model",
                 log: str | Path | None = None, startup: float = 60.0):
        if n_ctx % 256:
            raise ValueError(f"n_ctx must be a multiple of 256, not {n_ctx}")
        self.model = Path(model)
        self.n_ctx = n_ctx
        self.alias = alias
        self.log = Path(log) if log is not None else None
        self.startup = startup
        self.port = _free_port()
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The OpenAI API's base URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LlamaServer:
        """Start the server (on the same port as before) and wait until it answers."""
        if self._process is not None and self._process.poll() is None:
            return self
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model), "--model_alias",
                   self.alias, "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
                   "--verbose", "False"]
        output = open(self.log, "ab") if self.log is not None else subprocess.DEVNULL
        try:
            self._process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        finally:
            if self.log is not None:
                output.close()
        deadline = time.monotonic() + self.startup
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as answer:
                    answer.read()
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if self._process.poll() is not None:
                    raise RuntimeError(f"llama_cpp.server exited with status {self._process.returncode} "
                                       f"({' '.join(command)})") from None
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"llama_cpp.server did not answer within {self.startup:g} s") from None
                time.sleep(0.05)

    def kill(self) -> None:
        """Kill the server at once (as a crash would) and wait for it."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait(30)
            self._process = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.kill()
