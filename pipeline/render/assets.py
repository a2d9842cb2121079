"""The pages' shared parts: the Jinja2 environment of ``templates/`` (with compiled
templates kept between processes), the inline CSS and JS of ``static/``, and JSON
safe inside a page's ``<script>``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any


def script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>`` and
    ``&`` escaped, so no text in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@lru_cache(maxsize=1)
def environment():
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=bytecode_cache(),
    )
    from pipeline.render.reader.markup import template_globals

    environment.globals.update(template_globals())
    return environment


def bytecode_cache():
    """Compiled templates kept beside the translation cache, so a new process (a
    rerun) loads them instead of compiling them again (~0.1 s of a seed rerun).
    Jinja2 keys them by the template's checksum and its own and Python's versions,
    so an edited template or an upgrade is compiled afresh. A folder that cannot
    be written or a damaged file costs only the compile."""
    import jinja2

    from pipeline.core.config import default_cache_path

    class QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # unreadable or damaged (pickle, marshal): compile instead
                bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            try:
                Path(self.directory).mkdir(parents=True, exist_ok=True)
                super().dump_bytecode(bucket)
            except OSError:
                pass

    return QuietBytecodeCache(str(default_cache_path().parent / "templates"))


#: The reader's script, one file per concern under ``static/reader/``, joined in
#: this order into the one inline script of the page (each part continues the one
#: before it: the first opens the script's scope, the last closes it). ``live`` is
#: dormant unless the review workspace serves the page (:mod:`pipeline.serve.review`).
READER_SCRIPT = ("core", "pairs", "dictionary", "panels", "edit", "review", "keys", "find", "live", "start")
#: Assets made of parts: name -> the files under ``static/`` joined in order.
_JOINED = {"reader.js": tuple(f"reader/{part}.js" for part in READER_SCRIPT)}


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    """``static/<name>`` (or the parts it is joined from) as the page inlines it."""
    static = resources.files("pipeline.render").joinpath("static")
    text = "".join(static.joinpath(part).read_text(encoding="utf-8") for part in _JOINED.get(name, (name,)))
    closing = "</style" if name.endswith(".css") else "</script"
    if closing in text.lower():  # would end the inline element early
        raise ValueError(f"static/{name} must not contain {closing}")
    return text
