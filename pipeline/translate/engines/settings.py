"""Engine settings and the one function that creates an engine from them.

:class:`EngineSettings` holds everything an engine is made from, as plain
values: it is frozen and picklable, so a worker process (a Ray actor) can
re-create the same engine with :func:`build_engine`. Its defaults are those of
:data:`pipeline.core.config.SETTINGS`; :meth:`EngineSettings.from_config` takes the
settings in force (project file, options).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.core.config import Config, setting
from pipeline.core.decoding import DecodeOptions
from pipeline.translate.engines.base import Engine, EngineError, create_engine

__all__ = ["EngineSettings", "build_engine", "readiness", "NEEDS"]

#: What each engine needs, in a few words, for `duizhao engines`.
NEEDS = {
    "argos": "the Argos zh→en package (`duizhao models install`)",
    "ctranslate2": "a CTranslate2 model folder (--model DIR): OPUS-MT, NLLB-200 or M2M-100",
    "openai": "an OpenAI-compatible server (--base-url URL) serving the model (--model NAME)",
}


def _default(key: str) -> Any:
    return setting(key).default


@dataclass(frozen=True)
class EngineSettings:
    """What :func:`build_engine` needs; see :data:`pipeline.core.config.SETTINGS` for
    the meaning of each field (``engine.<field>``). ``model`` is a folder for
    argos and ctranslate2 (absolute once resolved), a model name for openai."""

    name: str = _default("engine.name")
    model: str | None = None
    family: str | None = None
    base_url: str = _default("engine.base_url")
    api_key_env: str | None = None
    concurrency: int | None = _default("engine.concurrency")
    timeout: float = _default("engine.timeout")
    retries: int = _default("engine.retries")
    answer_tokens: float = _default("engine.answer_tokens")
    stop_after_failures: int = _default("engine.stop_after_failures")
    temperature: float = _default("engine.temperature")
    context: int = _default("engine.context")
    prompt: str | None = None
    decode: DecodeOptions = field(default_factory=DecodeOptions)

    @classmethod
    def from_config(cls, config: Config, name: str | None = None, model: str | None = None) -> EngineSettings:
        """The settings in force for engine ``name`` (default: ``engine.name``);
        ``model`` overrides ``engine.model`` (relative to the working directory).
        ``engine.model`` belongs to ``engine.name``: another engine does not get it."""
        name = name or config["engine.name"]
        if model is None and config["engine.model"] is not None and name == config["engine.name"]:
            # A model folder is a path, relative to the file that names it.
            model = config["engine.model"] if name == "openai" else str(config.path("engine.model"))
        if model is not None and name != "openai":
            model = str(Path(model).expanduser().absolute())
        prompt = config.path("engine.prompt")
        return cls(
            name=name,
            model=model,
            family=config["engine.family"],
            base_url=config["engine.base_url"],
            api_key_env=config["engine.api_key_env"],
            concurrency=config["engine.concurrency"],
            timeout=config["engine.timeout"],
            retries=config["engine.retries"],
            answer_tokens=config["engine.answer_tokens"],
            stop_after_failures=config["engine.stop_after_failures"],
            temperature=config["engine.temperature"],
            context=config["engine.context"],
            prompt=None if prompt is None else str(prompt),
            decode=replace(
                DecodeOptions(),
                beam_size=config["engine.beam_size"],
                repetition_penalty=config["engine.repetition_penalty"],
                no_repeat_ngram_size=config["engine.no_repeat_ngram_size"],
                max_batch_size=config["engine.max_batch_size"],
                batch_type=config["engine.batch_type"],
            ),
        )

    def describe(self) -> str:
        """``argos``, ``ctranslate2 /models/nllb``, ``openai hy-mt at http://...``: for messages."""
        if self.name == "openai":
            return f"openai {self.model or '(no model)'} at {self.base_url}"
        return f"{self.name} {self.model}" if self.model else self.name


def build_engine(
    settings: EngineSettings,
    *,
    offline: bool = False,
    progress: Callable[[int, int | None], None] | None = None,
    notify: Callable[[str], None] = print,
) -> Engine:
    """Create the engine ``settings`` describe. For argos without a ``model``,
    the installed zh→en package is used, installed first unless ``offline``
    (``progress`` and ``notify`` report the download)."""
    if settings.name == "argos":
        package_path = settings.model
        if package_path is None:
            from pipeline.translate.packages import ensure_package

            package_path = ensure_package("zh", "en", offline=offline, progress=progress, notify=notify).path
        return create_engine("argos", package_path=Path(package_path), options=settings.decode)
    if settings.name == "ctranslate2":
        if not settings.model:
            raise EngineError("the ctranslate2 engine needs a model folder: give --model DIR, or model in the "
                              "[engine] table of duizhao.toml")
        return create_engine("ctranslate2", model_path=Path(settings.model), options=settings.decode,
                             family=settings.family)
    if settings.name == "openai":
        return create_engine(
            "openai", base_url=settings.base_url, model=settings.model, api_key_env=settings.api_key_env,
            concurrency=settings.concurrency, timeout=settings.timeout, retries=settings.retries,
            answer_tokens=settings.answer_tokens, stop_after_failures=settings.stop_after_failures,
            temperature=settings.temperature, context=settings.context, prompt=settings.prompt, offline=offline,
        )
    return create_engine(settings.name)  # raises, naming the engines there are


def readiness(settings: EngineSettings) -> tuple[bool, str]:
    """Whether the engine ``settings`` describe can translate now, and one line
    saying why (or why not): its model found, its server answering. Nothing is
    downloaded; the model is not loaded."""
    from pipeline.core.errors import DuizhaoError

    try:
        if settings.name == "openai" and not settings.model:
            from pipeline.translate.engines.openai import NoModelListError, served_models

            try:
                served = ", ".join(served_models(settings.base_url, settings.api_key_env)) or "none"
            except NoModelListError:
                served = "(it has no model list)"
            return False, f"give the model's name (--model NAME, or model in [engine]); {settings.base_url} serves: {served}"
        engine = build_engine(settings, offline=True, notify=lambda line: None)
        if settings.name == "openai":
            return True, engine.check()  # type: ignore[attr-defined]
    except DuizhaoError as exc:
        return False, str(exc)
    if settings.name == "argos":
        version = engine.metadata.get("package_version", "?")  # type: ignore[attr-defined]
        return True, f"package {engine.package_path.name} version {version} in {engine.package_path.parent}"  # type: ignore[attr-defined]
    family = getattr(engine, "family", None)
    return True, f"model found: {settings.model}" + (f" ({family})" if family else "")
