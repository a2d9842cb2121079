"""A package's public names, imported from its modules on first use.

Each stage package's ``__init__.py`` names what other packages may use, module by
module, with :func:`lazy_exports`; nothing is imported until a name is asked for,
so importing one module of a package never imports its siblings (``duizhao
segment`` loads no translation code, ``duizhao --help`` stays instant)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(package: str, modules: Mapping[str, Sequence[str]]) -> tuple[list[str], Callable[[str], Any]]:
    """``__all__`` and a module ``__getattr__`` for ``package``: each name of
    ``modules[module]`` is ``package.module.name`` (or ``module.name`` for a module
    named in full, ``pipeline.core...``), imported when first asked for."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = where[name]
        return getattr(importlib.import_module(module if module.startswith("pipeline.") else f"{package}.{module}"),
                       name)

    return sorted(where), __getattr__
