"""Argos Translate model packages: where they live, list, install, remove.

Packages live where Argos Translate itself keeps them, so a model installed with
``argospm`` is found here and one installed here is found by ``argospm``:
``$ARGOS_PACKAGES_DIR``, else ``ARGOS_PACKAGES_DIR`` in Argos's ``settings.json``,
else ``$XDG_DATA_HOME/argos-translate/packages`` (``~/.local/share/...``).
:func:`packages_dir` mirrors that rule without importing ``argostranslate``,
whose import creates folders in the home directory.

Installing never leaves a half-installed package: the archive is checked (its
expanded size at most :data:`MAX_EXPANDED_BYTES`), extracted into a temporary
folder beside the packages folder, its models are loaded once (a package with a
garbage ``model.bin`` never replaces a working one), and only then is it renamed
into place. A package for the same language pair is replaced. A temporary folder
left by an install that was killed is removed by the next one.

The index is Argos's own (``$ARGOS_PACKAGE_INDEX`` + ``index.json``) and its entries
are read with ``argostranslate.package.AvailablePackage``. The index and the package
are fetched here rather than with ``update_package_index`` / ``AvailablePackage.download``:
those have no timeout, swallow errors, report no progress and reuse a truncated
download left in the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pipeline.core.errors import PARSE_FAILURES, DuizhaoError, failure_reason

log = logging.getLogger(__name__)

DEFAULT_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"
#: Seconds to wait for a connection or for the next bytes of a response.
DEFAULT_TIMEOUT = 10.0
#: Seconds to wait for a host name to resolve (urllib's timeout does not cover it),
#: so that with no network a run fails well within 30 s.
RESOLVE_TIMEOUT = 8.0
USER_AGENT = "duizhao (ArgosTranslate)"
#: Files every package must hold (``model/`` is a CTranslate2 model folder).
REQUIRED_FILES = ("metadata.json", "model/model.bin", "sentencepiece.model")

#: The most a package may hold once extracted. The real zh→en package
#: (translate-zh_en-1_9) is a ~62 MB archive of ~100 MB (model.bin ~100 MB);
#: the largest Argos packages are a few hundred MB. 1 GiB leaves a tenfold margin
#: and refuses a zip bomb (3 MB that expand to 2 GB) before a byte is written.
MAX_EXPANDED_BYTES = 1 << 30
#: The largest package index read (the public one is about 100 KB).
MAX_INDEX_BYTES = 16_000_000
#: The public index's entries (argospm-index's index.json), named when no index
#: can be read here (offline, or no network): what to fetch on another machine.
PUBLIC_DOWNLOADS = {
    ("zh", "en"): ("translate-zh_en", "1.9", "https://argos-net.com/v1/translate-zh_en-1_9.argosmodel"),
}
#: What a temporary install folder is called, beside the packages folder.
_STAGING = ".{root}-install-"
#: The lock a running install holds inside its temporary folder.
_STAGING_LOCK = ".in-use"

#: ``progress(bytes_done, bytes_total_or_None)`` during a download.
Progress = Callable[[int, "int | None"], None]


class PackageError(DuizhaoError):
    """A model package cannot be used, found, downloaded or installed."""


class PackageIndexError(PackageError):
    """The package index cannot be reached or read."""


class DownloadError(PackageError):
    """A package download failed; nothing was installed."""


class ModelMissingError(PackageError):
    """No model for the language pair is installed and none could be installed."""


@dataclass(frozen=True)
class PackageInfo:
    from_code: str
    to_code: str
    name: str  # folder name, e.g. "translate-zh_en-1_9"
    package_version: str
    path: Path
    size_bytes: int
    from_name: str = ""
    to_name: str = ""

    @property
    def pair(self) -> str:
        return f"{self.from_code}→{self.to_code}"


# -- where things are (Argos's rules, without importing it) -----------------------


def _argos_home() -> Path:
    if "SNAP" in os.environ:
        return Path(os.environ["SNAP_USER_DATA"])
    return Path.home()


def _argos_setting(key: str) -> Any:
    """An Argos setting: the environment first, then Argos's settings.json."""
    value = os.environ.get(key)
    if value is not None:
        return value
    config_dir = Path(os.getenv("XDG_CONFIG_HOME", str(_argos_home() / ".config")))
    settings_file = config_dir / "argos-translate" / "settings.json"
    try:
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
    except PARSE_FAILURES:  # no file, or not one Argos wrote: its defaults apply
        return None
    value = settings.get(key) if isinstance(settings, dict) else None
    return value if isinstance(value, str) and value and "\0" not in value else None


def packages_dir() -> Path:
    """The folder Argos Translate installs packages into (and searches)."""
    configured = _argos_setting("ARGOS_PACKAGES_DIR")
    if configured:
        return Path(configured)
    data_home = Path(os.getenv("XDG_DATA_HOME", str(_argos_home() / ".local" / "share")))
    return data_home / "argos-translate" / "packages"


def local_index_path() -> Path:
    """Argos's copy of the package index (``argospm update`` writes it; so does
    :func:`available_packages`), read when the index cannot be."""
    data_home = Path(os.getenv("XDG_DATA_HOME", str(_argos_home() / ".local" / "share")))
    return data_home / "argos-translate" / "index.json"


def package_index_url() -> str:
    """The base URL of the package index (``index.json`` is fetched from under it)."""
    base = _argos_setting("ARGOS_PACKAGE_INDEX") or DEFAULT_INDEX
    return base if base.endswith("/") else base + "/"


# -- installed packages ------------------------------------------------------------


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _read_installed(folder: Path) -> PackageInfo:
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    return PackageInfo(
        from_code=str(metadata.get("from_code")),
        to_code=str(metadata.get("to_code")),
        name=folder.name,
        package_version=str(metadata.get("package_version", "")),
        path=folder,
        size_bytes=_folder_size(folder),
        from_name=str(metadata.get("from_name", "")),
        to_name=str(metadata.get("to_name", "")),
    )


def installed_packages(root: Path | None = None) -> list[PackageInfo]:
    """Every package installed in ``root`` (default :func:`packages_dir`), by name."""
    root = Path(root) if root is not None else packages_dir()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not (folder / "metadata.json").is_file():
            continue
        try:
            found.append(_read_installed(folder))
        except PARSE_FAILURES as exc:  # another program's folder, a damaged package
            log.warning("ignoring package %s: unreadable metadata.json (%s)", folder, failure_reason(exc))
    return found


def _version_key(version: str) -> tuple:
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def find_package(
    from_code: str = "zh", to_code: str = "en", root: Path | None = None
) -> PackageInfo | None:
    """The installed package for the pair (the newest if several), or None."""
    matches = [p for p in installed_packages(root) if (p.from_code, p.to_code) == (from_code, to_code)]
    return max(matches, key=lambda p: _version_key(p.package_version), default=None)


# -- installing --------------------------------------------------------------------


def _how_to_install(from_code: str, to_code: str) -> str:
    pair = "" if (from_code, to_code) == ("zh", "en") else f" --from {from_code} --to {to_code}"
    return (
        f"Install one with `duizhao models install{pair}` (downloads it; needs the internet) "
        f"or `duizhao models install{pair} --file PATH.argosmodel` (a package file copied "
        f"from elsewhere: {where_to_download(from_code, to_code)})"
    )


def where_to_download(from_code: str, to_code: str) -> str:
    """Which package file to fetch for the pair and from where, for a machine with
    no index: the newest entry of the index as last read (:func:`local_index_path`),
    else the public index's entry, else the index to look in."""
    try:
        entries = _index_entries(json.loads(local_index_path().read_text(encoding="utf-8")))
    except PARSE_FAILURES:  # no copy, or not one of an index
        entries = []
    known = [e for e in entries if (e.from_code, e.to_code) == (from_code, to_code) and e.links]
    if known:
        chosen = max(known, key=lambda p: _version_key(p.package_version))
        name, version, link, source = chosen.argospm_name, chosen.package_version, chosen.links[0], "the package index"
    elif (from_code, to_code) in PUBLIC_DOWNLOADS:
        (name, version, link), source = PUBLIC_DOWNLOADS[from_code, to_code], f"the public index {DEFAULT_INDEX}"
    else:
        return (f"the {from_code}→{to_code} entry of {DEFAULT_INDEX}index.json links to it; "
                "download it on a machine with the internet")
    return f"{source} lists {name} {version} at {link}; download it on a machine with the internet"


@contextlib.contextmanager
def _staging(root: Path) -> Iterator[Path]:
    """A temporary folder beside ``root`` for the time of the block, then removed:
    same file system, so renames are atomic, and outside it, so Argos never sees
    a half-extracted package. It holds a lock while in use, so folders left by an
    install that was killed (the lock went with its process) are removed first."""
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(root)
    staging = Path(tempfile.mkdtemp(prefix=_STAGING.format(root=root.name), dir=root.parent))
    try:
        with open(staging / _STAGING_LOCK, "w") as lock:
            _lock(lock, blocking=True)
            yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _lock(handle, blocking: bool) -> bool:
    """Take an exclusive lock on ``handle``; False if another process holds it."""
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _remove_stale_staging(root: Path) -> None:
    """Remove the temporary install folders beside ``root`` that no running
    install holds (a killed install left one of up to ~1 GB)."""
    import time

    for folder in root.parent.glob(_STAGING.format(root=root.name) + "*"):
        lock_path = folder / _STAGING_LOCK
        try:
            with open(lock_path, "r+") as lock:
                stale = _lock(lock, blocking=False)
        except FileNotFoundError:
            # No lock yet: a folder being made this instant, or one left before
            # its lock was taken (or by an older version).
            try:
                stale = time.time() - folder.stat().st_mtime > 60
            except OSError:
                continue
        except OSError:
            continue
        if stale:
            log.info("removing %s, left by an install that did not finish", folder)
            shutil.rmtree(folder, ignore_errors=True)


def _extract_checked(
    archive: Path, into: Path, from_code: str, to_code: str, label: str, max_bytes: int = MAX_EXPANDED_BYTES
) -> Path:
    """Check ``archive`` is a usable package for the pair of at most ``max_bytes``
    extracted, extract it under ``into``, load its models once and return the
    package folder. ``label`` names the archive in messages."""
    from pipeline.core.text import human_size

    fix = "download the .argosmodel file again, or run `duizhao models install` to fetch it"
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            # zipfile never writes more than an entry's declared size (a longer
            # stream fails its CRC), so the declared sizes bound the extraction.
            expanded = sum(info.file_size for info in zf.infolist())
            if expanded > max_bytes:
                raise PackageError(
                    f"{label}: refusing a package that expands to {human_size(expanded)}, more than the "
                    f"{human_size(max_bytes)} any model package needs (a damaged or hostile archive; {fix})"
                )
            free = shutil.disk_usage(into.parent).free
            if expanded > free:
                raise PackageError(
                    f"{label}: extracting needs {human_size(expanded)} but {into.parent} has "
                    f"{human_size(free)} free (free some space and install again)"
                )
            top, prefix = _package_root(names, archive, label, fix)
            missing = [f for f in REQUIRED_FILES if prefix + f not in names]
            if missing:
                raise PackageError(
                    f"{label}: not an Argos Translate package: it has no {', '.join(missing)} "
                    f"({fix})"
                )
            try:
                metadata = json.loads(zf.read(prefix + "metadata.json").decode("utf-8"))
                if not isinstance(metadata, dict):
                    raise ValueError("not a JSON object")
            except (ValueError, RecursionError) as exc:
                raise PackageError(f"{label}: metadata.json is not valid JSON ({failure_reason(exc)}; {fix})") from exc
            found = (metadata.get("from_code"), metadata.get("to_code"))
            if not all(isinstance(code, str) and code for code in found):
                raise PackageError(
                    f"{label}: metadata.json does not say which languages the package "
                    f"translates (from_code, to_code) ({fix})"
                )
            if found != (from_code, to_code):
                raise PackageError(
                    f"{label}: this is a {found[0]}→{found[1]} package, but a "
                    f"{from_code}→{to_code} model was asked for (use a {from_code}→{to_code} "
                    f"package, or pass --from {found[0]} --to {found[1]} to install this one)"
                )
            bad = zf.testzip()
            if bad is not None:
                raise PackageError(f"{label}: damaged archive: {bad} fails its checksum ({fix})")
            # A flat archive is extracted into a folder of its own.
            try:
                zf.extractall(into if prefix else into / top)
            except OSError as exc:
                raise PackageError(
                    f"{label}: cannot extract into {into.parent}: {exc.strerror or exc} (free some space, "
                    "or make the packages folder writable, and install again)"
                ) from exc
    except PackageError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, *PARSE_FAILURES) as exc:
        # The boundary where an archive from outside is read: an encrypted entry
        # (RuntimeError), an unknown compression (NotImplementedError), ...
        raise PackageError(f"{label}: not a valid .argosmodel zip archive ({failure_reason(exc)}; {fix})") from exc
    _load_checked(into / top, label, fix)
    return into / top


def _load_checked(folder: Path, label: str, fix: str) -> None:
    """Load the package's SentencePiece and CTranslate2 models once, as a run
    would, so one that cannot be loaded never replaces the installed model."""
    import ctranslate2
    import sentencepiece

    def refuse(what: str, exc: BaseException) -> PackageError:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return PackageError(f"{label}: its {what} cannot be loaded ({reason}); the installed model is "
                            f"unchanged ({fix})")

    try:
        sentencepiece.SentencePieceProcessor(model_file=str(folder / "sentencepiece.model"))
    except (OSError, RuntimeError) as exc:
        raise refuse("sentencepiece.model", exc) from exc
    try:
        translator = ctranslate2.Translator(str(folder / "model"), device="cpu", inter_threads=1, intra_threads=1)
    except (OSError, RuntimeError, ValueError) as exc:
        raise refuse("CTranslate2 model (model/model.bin)", exc) from exc
    del translator


def _package_root(names: list[str], archive: Path, label: str, fix: str) -> tuple[str, str]:
    """The package folder name and the prefix of its files inside the archive.

    Argos packages hold one folder; an archive of the bare files is accepted too
    and installed under the archive's name.
    """
    for name in names:
        parts = PurePosixPath(name).parts
        if name.startswith(("/", "\\")) or ".." in parts or ":" in name:
            raise PackageError(f"{label}: refusing unsafe path {name!r} in the archive ({fix})")
    if "metadata.json" in names:
        return archive.stem, ""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) != 1:
        raise PackageError(f"{label}: not an Argos Translate package: no metadata.json ({fix})")
    top = tops.pop()
    return top, top + "/"


def _place(folder: Path, root: Path, staging: Path, from_code: str, to_code: str) -> PackageInfo:
    """Rename ``folder`` into ``root``, replacing packages for the same pair."""
    dest = root / folder.name
    old = [p.path for p in installed_packages(root) if (p.from_code, p.to_code) == (from_code, to_code)]
    if dest.exists() and dest not in old:
        old.append(dest)
    moved: list[tuple[Path, Path]] = []
    try:
        for n, path in enumerate(old):
            aside = staging / f"replaced-{n}"
            os.replace(path, aside)
            moved.append((path, aside))
        os.replace(folder, dest)
    except OSError as exc:
        for path, aside in reversed(moved):
            os.replace(aside, path)
        raise PackageError(f"cannot install into {root}: {exc}") from exc
    # The replaced packages are deleted with the staging folder.
    return _read_installed(dest)


def install_from_file(
    path: str | os.PathLike[str],
    *,
    from_code: str = "zh",
    to_code: str = "en",
    root: Path | None = None,
    max_bytes: int = MAX_EXPANDED_BYTES,
) -> PackageInfo:
    """Install a ``.argosmodel`` file for ``from_code``→``to_code`` into ``root``
    (refused when it would expand to more than ``max_bytes``)."""
    archive = Path(path)
    if not archive.is_file():
        raise PackageError(f"{archive}: no such file (give the path of a .argosmodel package)")
    root = Path(root) if root is not None else packages_dir()
    with _staging(root) as staging:
        folder = _extract_checked(archive, staging / "unpacked", from_code, to_code, str(archive), max_bytes)
        return _place(folder, root, staging, from_code, to_code)


# -- the package index -------------------------------------------------------------


@dataclass(frozen=True)
class AvailablePackage:
    from_code: str
    to_code: str
    package_version: str
    links: tuple[str, ...]
    sha256: str | None  # when the index gives one
    argospm_name: str


def _open_url(url: str, timeout: float):
    import urllib.parse
    import urllib.request  # with http.client and email: only when the network is used

    _resolve(urllib.parse.urlsplit(url).hostname, min(timeout, RESOLVE_TIMEOUT))
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    return urllib.request.urlopen(request, timeout=timeout)


def _resolve(host: str | None, timeout: float) -> None:
    """Look ``host`` up within ``timeout`` seconds, or raise ``OSError``. The lookup
    runs in a daemon thread: a resolver that hangs is left behind, not waited for."""
    import socket

    if not host:
        return
    outcome: list[BaseException | None] = []

    def lookup() -> None:
        try:
            socket.getaddrinfo(host, None)
            outcome.append(None)
        except OSError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=lookup, name="duizhao-resolve", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise OSError(f"looking up {host} took more than {timeout:g} s")
    if outcome[0] is not None:
        raise outcome[0]


def available_packages(index_url: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> list[AvailablePackage]:
    """Fetch the package index and return its entries."""
    import http.client
    import urllib.error

    base = index_url or package_index_url()
    url = (base if base.endswith("/") else base + "/") + "index.json"
    try:
        with _open_url(url, timeout) as response:
            body = response.read(MAX_INDEX_BYTES + 1)
        if len(body) > MAX_INDEX_BYTES:
            raise PackageIndexError(f"package index {url} is larger than {MAX_INDEX_BYTES // 1_000_000} MB, "
                                    "not an index of packages")
        data = json.loads(body.decode("utf-8"))
    except urllib.error.HTTPError as exc:
        exc.close()
        raise PackageIndexError(f"package index {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise PackageIndexError(f"cannot reach the package index {url} ({reason})") from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise PackageIndexError(f"package index {url} is not valid JSON ({failure_reason(exc)})") from exc
    if not isinstance(data, list):
        raise PackageIndexError(f"package index {url} is not a list of packages")
    try:
        entries = _index_entries(data)
    except PARSE_FAILURES as exc:  # the boundary where the index from outside is read
        raise PackageIndexError(f"package index {url} holds an entry that is not a package "
                                f"({failure_reason(exc)})") from exc
    _keep_local_index(data)
    return entries


def _keep_local_index(data: list) -> None:
    """Keep the index just read where Argos keeps its copy, for the next time there
    is no network (a copy that cannot be written only costs that hint)."""
    from pipeline.core.atomic import write_text_atomic

    path = local_index_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    except (OSError, DuizhaoError) as exc:
        log.info("could not keep a copy of the package index in %s: %s", path, exc)


def _index_entries(data: object) -> list[AvailablePackage]:
    """The entries of an index in Argos's format (a list of package metadata).

    Read here rather than with ``argostranslate.package``: importing that reads
    Argos's settings.json, and fails on one that is not an object. An entry
    without language codes, or whose fields are of other types, is not a package
    and is left out."""
    entries = []
    for metadata in data if isinstance(data, list) else ():
        if not isinstance(metadata, dict):
            continue
        from_code, to_code = metadata.get("from_code"), metadata.get("to_code")
        kind, links = metadata.get("type", "translate"), metadata.get("links", [])
        if not all(isinstance(v, str) and v for v in (from_code, to_code, kind)) or not isinstance(links, list):
            continue
        checksum = metadata.get("sha256") or metadata.get("checksum")
        if isinstance(checksum, str) and checksum.startswith("sha256:"):
            checksum = checksum.removeprefix("sha256:")
        entries.append(
            AvailablePackage(
                from_code=from_code,
                to_code=to_code,
                package_version=version if isinstance(version := metadata.get("package_version"), str) else "",
                links=tuple(link for link in links if isinstance(link, str)),
                sha256=checksum.lower() if isinstance(checksum, str) else None,
                argospm_name=f"{kind}-{from_code}_{to_code}",
            )
        )
    return entries


def _download(link: str, dest: Path, progress: Progress | None, timeout: float, sha256: str | None) -> None:
    import http.client
    import urllib.error

    digest = hashlib.sha256()
    done = 0
    total: int | None = None
    try:
        with _open_url(link, timeout) as response, open(dest, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if progress is not None:
                progress(0, total)
            while chunk := response.read(64 * 1024):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DownloadError(f"{link}: HTTP {exc.code} {exc.reason}") from exc
    except http.client.IncompleteRead as exc:
        raise DownloadError(f"{link}: download cut short after {done + len(exc.partial)} bytes") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"{link}: {getattr(exc, 'reason', exc)}") from exc
    if total is not None and done != total:
        raise DownloadError(f"{link}: download cut short: {done} of {total} bytes")
    if sha256 is not None and digest.hexdigest() != sha256:
        raise DownloadError(
            f"{link}: checksum mismatch (index says sha256 {sha256}, got {digest.hexdigest()})"
        )


def install_from_index(
    from_code: str = "zh",
    to_code: str = "en",
    progress: Progress | None = None,
    *,
    root: Path | None = None,
    index_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> PackageInfo:
    """Download the newest ``from_code``→``to_code`` package from the index and install it."""
    try:
        return _install_from_index(from_code, to_code, progress, root, index_url, timeout)
    except PackageError as exc:
        pair = "" if (from_code, to_code) == ("zh", "en") else f" --from {from_code} --to {to_code}"
        raise type(exc)(
            f"{exc} (without the index, install a package file copied from elsewhere: "
            f"`duizhao models install{pair} --file PATH.argosmodel`; {where_to_download(from_code, to_code)})"
        ) from exc


def _install_from_index(
    from_code: str,
    to_code: str,
    progress: Progress | None,
    root: Path | None,
    index_url: str | None,
    timeout: float,
) -> PackageInfo:
    base = index_url or package_index_url()
    candidates = [
        p for p in available_packages(base, timeout) if (p.from_code, p.to_code) == (from_code, to_code)
    ]
    if not candidates:
        raise PackageError(f"the package index {base} has no {from_code}→{to_code} package")
    chosen = max(candidates, key=lambda p: _version_key(p.package_version))
    if not chosen.links:
        raise PackageError(f"the package index {base} lists no download link for {chosen.argospm_name}")

    root = Path(root) if root is not None else packages_dir()
    with _staging(root) as staging:
        archive = staging / f"{chosen.argospm_name}.argosmodel"
        failures = []
        for link in chosen.links:
            try:
                _download(link, archive, progress, timeout, chosen.sha256)
            except DownloadError as exc:
                failures.append(str(exc))
                continue
            label = f"{chosen.argospm_name} downloaded from {link}"
            try:
                folder = _extract_checked(archive, staging / "unpacked", from_code, to_code, label)
            except PackageError as exc:
                raise DownloadError(str(exc)) from exc
            return _place(folder, root, staging, from_code, to_code)
        raise DownloadError(
            f"could not download {chosen.argospm_name}: " + "; ".join(failures)
        )


def ensure_package(
    from_code: str = "zh",
    to_code: str = "en",
    *,
    offline: bool = False,
    progress: Progress | None = None,
    notify: Callable[[str], object] = print,
    root: Path | None = None,
    index_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> PackageInfo:
    """The installed package for the pair; on first use, install it from the index
    (unless ``offline``), saying so through ``notify``."""
    root = Path(root) if root is not None else packages_dir()
    found = find_package(from_code, to_code, root)
    if found is not None:
        return found
    if offline:
        raise ModelMissingError(
            f"No {from_code}→{to_code} translation model is installed in {root}, and "
            f"offline mode does not download one. {_how_to_install(from_code, to_code)}."
        )
    base = index_url or package_index_url()
    notify(f"No {from_code}→{to_code} model installed: downloading one from {base} into {root} (first use only)")
    try:
        return _install_from_index(from_code, to_code, progress, root, base, timeout)
    except PackageError as exc:
        raise ModelMissingError(
            f"No {from_code}→{to_code} translation model is installed in {root}, and "
            f"downloading one failed: {exc}. {_how_to_install(from_code, to_code)}."
        ) from exc


def remove_package(from_code: str = "zh", to_code: str = "en", root: Path | None = None) -> list[PackageInfo]:
    """Uninstall every package for the pair; returns what was removed."""
    root = Path(root) if root is not None else packages_dir()
    matches = [p for p in installed_packages(root) if (p.from_code, p.to_code) == (from_code, to_code)]
    if not matches:
        raise PackageError(
            f"no {from_code}→{to_code} model is installed in {root} "
            "(`duizhao models list` shows what is)"
        )
    with _staging(root) as staging:
        try:
            # Renamed out first, so an interrupted delete never leaves a broken package.
            for n, info in enumerate(matches):
                os.replace(info.path, staging / f"removed-{n}")
        except OSError as exc:
            raise PackageError(f"cannot remove {info.path}: {exc}") from exc
    return matches
