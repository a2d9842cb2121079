"""The project file ``duizhao.toml`` and the settings in force.

:data:`SETTINGS` is the one place a setting is defined: its key in the file
(``output``, ``engine.model``), type, default, help, and the command-line option
and environment variable that may override it. :func:`load_config` finds the
project file (``duizhao.toml`` in the working directory or the nearest parent
folder that has one), reads it with :mod:`tomllib`, checks every key and value,
and applies, in order of precedence: a command-line option, an environment
variable, the file, the default.

The project folder is found the way git finds its repository: the nearest
folder, from the working directory up, that holds ``duizhao.toml``, else the
nearest that holds a ``glossary/`` folder (:func:`find_project_root`). The
defaults (``output/``, ``glossary/``, ``sources/``) are in that folder, so a run
from a subfolder of the project writes, reads and translates as a run from its top. Every value remembers where it came from, which
``duizhao config`` prints.

Paths written in the file are relative to the file's folder, and the defaults
are relative to the project folder, so ``duizhao run`` gives the same result from
any working directory of the project. Outside any project, paths are relative to
the working directory. Options given on the command line are relative to the
working directory.

A bad file gets one line naming the file, the line and the key.

To add a setting, add a :class:`Setting` to :data:`SETTINGS`; ``duizhao config``
shows it and the file accepts it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.decoding import DecodeOptions
from pipeline.core.errors import DuizhaoError

PROJECT_FILE = "duizhao.toml"
#: A folder holding this marks a project folder that has no project file.
GLOSSARY_FOLDER = "glossary"


class ConfigError(DuizhaoError):
    """The project file cannot be read or holds a bad key or value."""


@dataclass(frozen=True)
class Setting:
    """One setting: ``key`` in the project file (``table.key`` inside a table),
    its ``kind`` (``str``, ``int``, ``float``, ``path``, ``paths``, ``names``, ``choice``, ``url``),
    default, help, and the option / environment variable that override it."""

    key: str
    kind: str
    default: Any
    help: str
    option: str | None = None
    env: str | None = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    #: Engines the setting applies to (empty: not an engine setting).
    engines: tuple[str, ...] = ()


ENGINE_NAMES = ("argos", "ctranslate2", "openai")
_NMT = ("argos", "ctranslate2")
_DECODE = DecodeOptions()
#: The Traditional-script variants the reader can show (OpenCC configurations).
VARIANTS = ("s2t", "s2tw", "s2twp", "s2hk")

SETTINGS: tuple[Setting, ...] = (
    Setting("output", "path", "output", "Folder for the outputs.", option="--output"),
    Setting("sources", "path", "sources",
            "The project's source folder: a source under it writes its outputs to the same relative place "
            "under the output folder (sources/2024/a.txt → output/2024/a.html), whether it runs alone or "
            "with its folder."),
    Setting("glossary", "paths", (GLOSSARY_FOLDER,),
            "Glossary TSV files and folders (a folder: every .tsv in it, in name order); later files win.",
            option="--glossary"),
    Setting("cache", "path", None, "Translation cache file (default: the user cache folder).",
            option="--cache", env="DUIZHAO_CACHE"),
    Setting("formats", "names", ("json", "html"), "What `duizhao run` writes: json, html, md, en.md, tmx, docx, "
            "en.docx, epub, en.epub, bi.html, en.html, subs, en.subs (a list, or one string with commas).",
            option="--format"),
    Setting("memory", "path", None, "Project translation memory, SQLite (default: <cache stem>.memory.sqlite3 "
            "beside the translation cache).", option="--memory"),
    Setting("variant", "choice", "s2t", "Traditional script the reader shows: OpenCC's s2t, s2tw (Taiwan), "
            "s2twp (Taiwan, with phrases) or s2hk (Hong Kong).", option="--variant", choices=VARIANTS),
    Setting("engine.name", "choice", "argos", "Translation engine.", option="--engine", choices=ENGINE_NAMES),
    Setting("engine.model", "str", None,
            "argos: package folder (default: the installed zh→en package); ctranslate2: model folder; "
            "openai: model name as the server lists it. The file's model belongs to the file's engine: "
            "with another engine chosen by --engine it is not used.", option="--model", engines=ENGINE_NAMES),
    Setting("engine.family", "choice", None, "ctranslate2: model family (default: detected from the files).",
            choices=("marian", "nllb", "m2m100"), engines=("ctranslate2",)),
    Setting("engine.base_url", "url", "http://127.0.0.1:8080/v1",
            "openai: the server's OpenAI API (llama-server's default shown).", option="--base-url",
            engines=("openai",)),
    Setting("engine.api_key_env", "str", None,
            "openai: name of the environment variable holding the API key (the key itself never goes in a file).",
            engines=("openai",)),
    Setting("engine.concurrency", "int", None, "openai: requests in flight at once (default: as many as the server "
            "says it runs at once, else 4).", minimum=1, maximum=64, engines=("openai",)),
    Setting("engine.timeout", "float", 120.0, "openai: seconds for one whole answer (a deadline, not a wait per "
            "read; time queued at the server counts).", minimum=1, maximum=3600, engines=("openai",)),
    Setting("engine.retries", "int", 3, "openai: retries of a request that got 429, 5xx, a timeout or a "
            "dropped connection.", minimum=0, maximum=10, engines=("openai",)),
    Setting("engine.answer_tokens", "float", 4.0, "openai: max_tokens of a request, per character of its "
            "sentence (64 more): generous, so only an answer that runs away reaches it; such an answer is "
            "never kept.", minimum=0.5, maximum=100, engines=("openai",)),
    Setting("engine.stop_after_failures", "int", 10, "openai: stop the run after this many failed requests in "
            "a row (the server as a whole failing); fewer only flag their sentences.", minimum=1, maximum=1000,
            engines=("openai",)),
    Setting("engine.temperature", "float", 0.0, "openai: sampling temperature (0: the most likely answer).",
            minimum=0, maximum=2, engines=("openai",)),
    Setting("engine.context", "int", 0, "openai: previous sentences of the block sent along as context.",
            minimum=0, maximum=10, engines=("openai",)),
    Setting("engine.prompt", "path", None, "openai: prompt template file (default: the one shipped).",
            engines=("openai",)),
    Setting("engine.beam_size", "int", _DECODE.beam_size, "argos, ctranslate2: beam size for decoding.", option="--beam-size",
            minimum=1, maximum=16, engines=_NMT),
    Setting("engine.repetition_penalty", "float", _DECODE.repetition_penalty, "argos, ctranslate2: penalise tokens already produced "
            "(1.0 = off).", option="--repetition-penalty", minimum=1.0, maximum=3.0, engines=_NMT),
    Setting("engine.no_repeat_ngram_size", "int", _DECODE.no_repeat_ngram_size, "argos, ctranslate2: never repeat an n-gram of this size "
            "(0 = off).", option="--no-repeat-ngram-size", minimum=0, maximum=10, engines=_NMT),
    Setting("engine.max_batch_size", "int", _DECODE.max_batch_size, "argos, ctranslate2: padded source tokens (or "
            "sentences, see batch_type) decoded together at most. Fewer take less memory for decoding (each "
            "position holds its beams' states), more may be faster; the text is the same whatever the value, so "
            "it is not part of the cache key.",
            minimum=1, maximum=4096, engines=_NMT),
    Setting("engine.batch_type", "choice", _DECODE.batch_type, "argos, ctranslate2: what max_batch_size counts: "
            "padded source tokens (tokens: a batch's size times its longest input, which bounds decoding memory "
            "whatever the sentences' length) or sentences (examples).",
            choices=("examples", "tokens"), engines=_NMT),
)

_BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class Value:
    """A setting's value and where it came from: ``default``, ``FILE:LINE``,
    ``option --x`` or ``env NAME``. ``base`` is the folder relative paths in it
    are relative to (``None``: the working directory; they stay relative)."""

    value: Any
    source: str
    base: Path | None


class Config:
    """The settings in force. ``config["engine.model"]`` is the value;
    :meth:`path` resolves a path setting; :meth:`origin` says where it came from."""

    def __init__(self, values: Mapping[str, Value], project_file: Path | None, root: Path | None = None):
        self.values = dict(values)
        self.project_file = project_file
        #: The project folder (:func:`find_project_root`), ``None`` outside any project.
        self.root = root

    def __getitem__(self, key: str) -> Any:
        return self.values[key].value

    def origin(self, key: str) -> str:
        return self.values[key].source

    def path(self, key: str) -> Path | None:
        """A path setting (or ``engine.model`` of an NMT engine) made absolute
        against the folder it is relative to; ``None`` when unset."""
        item = self.values[key]
        return None if item.value is None else _resolve(item.base, item.value)

    def paths(self, key: str) -> list[Path]:
        item = self.values[key]
        return [_resolve(item.base, p) for p in item.value]

    def source_folder(self) -> Path | None:
        """The project's source folder (the ``sources`` setting) when it exists."""
        folder = self.path("sources")
        return folder if folder is not None and folder.is_dir() else None

    def missing(self, key: str) -> list[Path]:
        """The paths of setting ``key`` that name nothing on disk, for the settings
        whose files must exist beforehand (glossaries, a prompt, a model folder,
        the source folder when the project file names it)."""
        setting = _BY_KEY[key]
        item = self.values[key]
        if item.value is None or setting.kind not in ("path", "paths") and key != "engine.model":
            return []
        if key in ("output", "cache", "memory") or (key == "sources" and item.source == "default"):
            return []  # made by the run, or optional
        if key == "engine.model" and (self["engine.name"] == "openai" or item.source == "default"):
            return []  # openai's model is a name on the server
        paths = self.paths(key) if setting.kind == "paths" else [self.path(key)]
        return [p for p in paths if not p.exists()]

    def describe(self) -> list[tuple[str, str, str]]:
        """``(key, value as shown, where it came from)`` for every setting."""
        engine = self["engine.name"]
        rows = []
        for setting in SETTINGS:
            item = self.values[setting.key]
            shown = _show(setting, item, self)
            source = item.source
            if setting.engines and engine not in setting.engines:
                source += f" (not used by {engine})"
            rows.append((setting.key, shown, source))
        return rows


def _resolve(base: Path | None, value: str | Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() or base is None else base / path


def _show(setting: Setting, item: Value, config: Config) -> str:
    if item.value is None:
        return {"engine.model": "(none)", "engine.prompt": "(shipped default)", "cache": "(user cache folder)",
                "memory": "(beside the cache)",
                "engine.family": "(detected)", "engine.api_key_env": "(none)",
                "engine.concurrency": "(what the server runs at once)"}.get(setting.key, "(none)")
    if setting.key == "engine.api_key_env":
        # The variable's name only, never its value.
        return f"{item.value} ({'set' if os.environ.get(item.value) else 'not set'})"
    missing = set(config.missing(setting.key))

    def shown(path: Path) -> str:
        return shown_path(path) + (" (missing)" if path in missing else "")

    if setting.kind == "path":
        return shown(config.path(setting.key))
    if setting.kind == "paths":
        return ", ".join(shown(p) for p in config.paths(setting.key)) or "(none)"
    if setting.kind == "names":
        return ",".join(item.value)
    if setting.key == "engine.model" and missing:
        return f"{item.value} (missing)"
    return str(item.value)


def find_project_root(start: Path | None = None) -> tuple[Path | None, Path | None]:
    """``(project folder, project file)`` as git finds a repository: from ``start``
    (default: the working directory) up, the nearest folder with ``duizhao.toml``,
    else the nearest with a ``glossary/`` folder (then no project file); ``(None,
    None)`` outside any project."""
    project_file = find_project_file(start)
    if project_file is not None:
        return project_file.parent, project_file
    folder = (start or Path.cwd()).absolute()
    for candidate in (folder, *folder.parents):
        if (candidate / GLOSSARY_FOLDER).is_dir():
            return candidate, None
    return None, None


def shown_path(path: str | Path, start: Path | None = None) -> str:
    """``path`` as every message shows it: relative to the working directory
    (``start``) when it is inside it, or inside the project folder the working
    directory is in (``../output/a.html`` from ``sources/``); absolute otherwise."""
    target = Path(path).absolute()
    here = (start or Path.cwd()).absolute()
    if target == here or here in target.parents:
        return target.relative_to(here).as_posix() or "."
    root, _ = find_project_root(here)
    if root is not None and (target == root or root in target.parents):
        return Path(os.path.relpath(target, here)).as_posix()
    return str(target)


def find_project_file(start: Path | None = None) -> Path | None:
    """``duizhao.toml`` in ``start`` (default: the working directory) or the
    nearest parent folder that has one."""
    folder = (start or Path.cwd()).absolute()
    for candidate in (folder, *folder.parents):
        path = candidate / PROJECT_FILE
        if path.is_file():
            return path
    return None


def load_config(
    options: Mapping[str, Any] | None = None,
    *,
    start: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """The settings in force: ``options`` (setting key → value given on the
    command line, ``None`` for not given) over the environment over the project
    file found from ``start`` over the defaults."""
    options = options or {}
    environ = os.environ if environ is None else environ
    unknown = [k for k in options if k not in _BY_KEY]
    if unknown:
        raise KeyError(f"not settings: {', '.join(unknown)}")
    root, project_file = find_project_root(start)
    from_file = _read_project_file(project_file) if project_file else {}
    cwd = None if start is None else start.absolute()
    default_base = root if root is not None else cwd
    values = {}
    for setting in SETTINGS:
        given = options.get(setting.key)
        if given is not None and given != ():
            value = Value(_check(setting, given, f"{setting.option or setting.key}"), f"option {setting.option}", cwd)
        elif setting.env and environ.get(setting.env):
            value = Value(environ[setting.env], f"env {setting.env}", cwd)
        elif setting.key in from_file:
            value = from_file[setting.key]
        else:
            value = Value(setting.default, "default", default_base)
        values[setting.key] = value
    file_engine = from_file["engine.name"].value if "engine.name" in from_file else _BY_KEY["engine.name"].default
    chosen = values["engine.name"].value
    if "engine.model" in from_file and values["engine.model"] is from_file["engine.model"] and chosen != file_engine:
        # A model folder of one engine is not a model name of another: switching
        # engines on the command line leaves the file's model to its own engine.
        values["engine.model"] = Value(None, f"default ({from_file['engine.model'].source} names a model "
                                             f"for {file_engine})", default_base)
    return Config(values, project_file, root)


#: The largest project file read: it holds a few settings (bounds tomllib's work).
MAX_PROJECT_BYTES = 256 * 1024
#: Arrays and inline tables nested deeper than this are refused before parsing
#: (no setting takes more than a list; tomllib's recursion would fail far deeper).
MAX_NESTING = 16
#: Keys of more dotted parts than this are refused before parsing (no setting has
#: more than two, and tomllib's work grows with the square of the parts).
MAX_KEY_PARTS = 16
_TOML_FIX = "fix that line; see the README's duizhao.toml examples"


def _read_project_file(path: Path) -> dict[str, Value]:
    import tomllib

    from pipeline.core.errors import PARSE_FAILURES, failure_reason

    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PROJECT_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    if len(data) > MAX_PROJECT_BYTES:
        raise ConfigError(f"{path}: over {MAX_PROJECT_BYTES // 1024} KB, too large for a project file of settings "
                          "(is it the right file?)")
    try:
        text = data.decode("utf-8-sig")  # an editor's byte-order mark is no statement
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 (save the project file as UTF-8)") from None
    _check_shape(text, path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        where = f"{path}:{found.group(1)}" if found else str(path)
        problem = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) if found else message
        raise ConfigError(f"{where}: not valid TOML: {problem} ({_TOML_FIX})") from None
    except PARSE_FAILURES as exc:
        raise ConfigError(f"{path}: not valid TOML: {failure_reason(exc)} ({_TOML_FIX})") from None
    lines = _key_lines(text)
    values: dict[str, Value] = {}
    for key, raw in _flatten(data):
        where = f"{path}:{lines.get(key, 1)}"
        setting = _BY_KEY.get(key)
        if setting is None:
            table = key.rpartition(".")[0]
            known = [s.key.rpartition(".")[2] for s in SETTINGS if s.key.rpartition(".")[0] == table]
            if not table:
                known += sorted({f"[{s.key.partition('.')[0]}]" for s in SETTINGS if "." in s.key})
            elif not known:
                tables = sorted({s.key.partition(".")[0] for s in SETTINGS if "." in s.key})
                raise ConfigError(f"{where}: {key}: unknown table [{table}] (known: {', '.join(tables)})")
            raise ConfigError(f"{where}: {key}: unknown key (known{' in [' + table + ']' if table else ''}: "
                              f"{', '.join(known)})")
        values[key] = Value(_check(setting, raw, where + f": {key}"), where, path.parent)
    return values


def _flatten(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """``(key, value)`` of the file's settings: a table's keys as ``table.key``.
    A table inside a table is no setting (no key has more than one dot), so it is
    one unknown key, however deep it goes."""
    out = []
    for key, value in data.items():
        if isinstance(value, dict) and key not in _BY_KEY:
            out += [(f"{key}.{inner}", item) for inner, item in value.items()]
        else:
            out.append((key, value))
    return out


def _check_shape(text: str, path: Path) -> None:
    """Refuse, naming the line, nesting past :data:`MAX_NESTING` and keys of more
    than :data:`MAX_KEY_PARTS` dotted parts, before tomllib spends its time on
    them. One pass over the text, strings and comments skipped."""
    code = _without_strings(text)
    depth, line = 0, 1
    for char in code:
        if char == "\n":
            line += 1
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise ConfigError(f"{path}:{line}: arrays or tables nested more than {MAX_NESTING} deep; no setting "
                                  f"takes that ({_TOML_FIX})")
        elif char in "]}":
            depth = max(depth - 1, 0)
    long_key = _LONG_KEY.search(code)
    if long_key:
        line = code.count("\n", 0, long_key.start()) + 1
        raise ConfigError(f"{path}:{line}: a key of more than {MAX_KEY_PARTS} dotted parts; duizhao's keys have at "
                          f"most two, like engine.model ({_TOML_FIX})")


#: :data:`MAX_KEY_PARTS` + 1 dotted parts (a string is ``""`` once :func:`_without_strings` ran).
_LONG_KEY = re.compile(r"(?<![A-Za-z0-9_\-\"'])(?:(?:[A-Za-z0-9_\-]++|\"\"|'')[ \t]*+\.[ \t]*+){%d}"
                          % MAX_KEY_PARTS)


def _without_strings(text: str) -> str:
    """``text`` with each TOML string reduced to its quotes (``""``) and each
    comment removed, line ends kept: what is left is keys, values and brackets."""
    out: list[str] = []
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char == "#":
            end = text.find("\n", i)
            i = size if end < 0 else end
            continue
        if char not in "\"'":
            out.append(char)
            i += 1
            continue
        quote = char * 3 if text.startswith(char * 3, i) else char
        j = i + len(quote)
        while j < size and not text.startswith(quote, j):
            if char == '"' and text[j] == "\\":
                j += 1  # an escaped character, maybe the quote
            elif len(quote) == 1 and text[j] == "\n":
                break  # an unclosed string: tomllib says so
            j += 1
        out.append(char * 2 + "\n" * text.count("\n", i, min(j, size)))
        i = j + len(quote)
    return "".join(out)


_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _key_lines(text: str) -> dict[str, int]:
    """The line each key is written on (``table.key``), for messages."""
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header:
            table = _dotted(header.group(1))
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            full = (table + "." if table else "") + _dotted(key.group(1))
            lines.setdefault(full, number)
    return lines


def _dotted(key: str) -> str:
    """``a . "b.c"`` as ``a.b.c``: the parts of a dotted key, split at the dots
    outside quotes (in one pass) and unquoted."""
    parts, current, quote = [], [], ""
    for char in key:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ".":
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return ".".join(part.strip().strip("\"'") for part in parts)


def _check(setting: Setting, raw: Any, where: str) -> Any:
    """``raw`` as the setting's type, or a :class:`ConfigError` saying what is expected."""

    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where}: must be {expected}, not {_shown(raw)}")

    kind = setting.kind
    if kind in ("str", "path", "url"):
        if not isinstance(raw, (str, Path)) or not str(raw).strip():
            raise bad("a non-empty string")
        if "\0" in str(raw):
            raise bad("text without NUL characters")
        if kind == "url":
            return _check_url(str(raw).strip(), where)
        return str(raw).strip() if kind == "str" else raw
    if kind == "paths":
        items = [raw] if isinstance(raw, (str, Path)) else raw
        if not isinstance(items, (list, tuple)) or not all(isinstance(p, (str, Path)) and str(p).strip()
                                                           and "\0" not in str(p) for p in items):
            raise bad("a path or a list of paths")
        return tuple(items)
    if kind == "names":
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, (list, tuple)) or not all(isinstance(n, str) and n.strip() for n in items) \
                or not items:
            raise bad("a name or a list of names")
        return tuple(n.strip() for n in items)
    if kind == "choice":
        if not isinstance(raw, str) or raw not in setting.choices:
            raise bad("one of " + ", ".join(setting.choices))
        return raw
    if kind in ("int", "float"):
        number_types = (int,) if kind == "int" else (int, float)
        if isinstance(raw, bool) or not isinstance(raw, number_types):
            raise bad("an integer" if kind == "int" else "a number")
        if isinstance(raw, float) and not math.isfinite(raw):
            raise bad("a finite number")
        low, high = setting.minimum, setting.maximum
        if (low is not None and raw < low) or (high is not None and raw > high):
            raise bad(f"{'an integer' if kind == 'int' else 'a number'} from {low:g} to {high:g}")
        return float(raw) if kind == "float" else raw
    raise AssertionError(f"unknown kind {kind!r} of setting {setting.key}")


def _shown(raw: Any) -> str:
    """A value as an error message shows it: its repr, clipped (a file can hold a
    megabyte string or lists nested hundreds deep)."""
    import reprlib

    shown = reprlib.Repr()
    shown.maxlevel, shown.maxstring, shown.maxother, shown.maxlist = 3, 60, 60, 6
    return shown.repr(raw)


def _check_url(url: str, where: str) -> str:
    """``url`` when it is an http(s) URL with a host and a numeric port, and no user
    name or password: those are refused rather than sent (a password in a project
    file travels with it; the key goes in the environment variable api_key_env)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        parts, host, port = None, None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"{where}: must be an http:// or https:// URL such as http://127.0.0.1:8080/v1, not "
                          f"{_shown(redact_url(url))}")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{where}: {redact_url(url)} holds a user name or password, which duizhao does not send "
                          "and never keeps in a file: remove it, put the server's key in an environment variable "
                          "and name that variable in api_key_env")
    del port  # checked: a port that is not a number raised above
    return url


def redact_url(url: str) -> str:
    """``url`` with any user name and password shown as ``***``: for messages."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}://***@{authority.rpartition('@')[2]}{slash}{path}"


def setting(key: str) -> Setting:
    """The definition of the setting ``key``."""
    return _BY_KEY[key]


def default_cache_path() -> Path:
    """``$DUIZHAO_CACHE``, else ``<user cache dir>/duizhao/translations.sqlite3``."""
    env = os.environ.get("DUIZHAO_CACHE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("duizhao")) / "translations.sqlite3"
