"""Argos model packages: location rule, install from file and from a local index,
validation that never leaves a half-installed package, remove, first-use install.

The index is served from 127.0.0.1 by the test itself and the real download and
install code runs against it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.translate import packages
from pipeline.translate.packages import (
    DownloadError,
    ModelMissingError,
    PackageError,
    PackageIndexError,
    ensure_package,
    find_package,
    install_from_file,
    install_from_index,
    installed_packages,
    remove_package,
)
from package_index import (  # noqa: F401 (fixtures)
    IndexServer,
    en_zh_package,
    index_server,
    package_builds,
    zh_en_newer_package,
    zh_en_package,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty packages folder (beside it: nothing, so leftovers are visible)."""
    folder = tmp_path / "argos" / "packages"
    folder.mkdir(parents=True)
    return folder


def leftovers(root: Path) -> list[str]:
    """Everything in and beside the packages folder except installed packages."""
    beside = [p.name for p in root.parent.iterdir() if p != root]
    inside = [p.name for p in root.iterdir() if not (p / "metadata.json").is_file()]
    return sorted(beside + inside)


def rezip(source: Path, dest: Path, *, drop: str | None = None, metadata: dict | None = None) -> Path:
    """A copy of ``source`` without the member ending in ``drop`` or with other metadata."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w") as zout:
        for item in zin.infolist():
            if drop and item.filename.endswith(drop):
                continue
            data = zin.read(item)
            if metadata is not None and item.filename.endswith("metadata.json"):
                data = json.dumps(metadata).encode()
            zout.writestr(item, data)
    return dest


# -- where packages live --------------------------------------------------------------


def test_packages_dir_is_the_one_argos_uses(tmp_path: Path, monkeypatch):
    # Argos fixes its settings when first imported, so ask a fresh interpreter.
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "from-env"))
    code = "import argostranslate.settings as s; print(s.package_data_dir); print(s.package_index)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    argos_dir, argos_index = done.stdout.splitlines()
    assert packages.packages_dir() == Path(argos_dir) == tmp_path / "from-env"
    assert packages.package_index_url() == argos_index


@pytest.mark.parametrize(
    "env, settings_json, expected",
    [
        ({"ARGOS_PACKAGES_DIR": "{tmp}/env-dir"}, {"ARGOS_PACKAGES_DIR": "{tmp}/json-dir"}, "env-dir"),
        ({}, {"ARGOS_PACKAGES_DIR": "{tmp}/json-dir"}, "json-dir"),
        ({"XDG_DATA_HOME": "{tmp}/data"}, {}, "data/argos-translate/packages"),
        ({}, {}, "home/.local/share/argos-translate/packages"),
    ],
    ids=["env", "settings-json", "xdg-data-home", "home"],
)
def test_packages_dir_follows_argos_rules(monkeypatch, tmp_path: Path, env, settings_json, expected):
    for name in ("ARGOS_PACKAGES_DIR", "XDG_DATA_HOME", "SNAP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    if settings_json:
        (tmp_path / "config" / "argos-translate").mkdir(parents=True)
        (tmp_path / "config" / "argos-translate" / "settings.json").write_text(
            json.dumps({k: v.format(tmp=tmp_path) for k, v in settings_json.items()})
        )
    assert packages.packages_dir() == tmp_path / expected


# -- install from a file ----------------------------------------------------------------


def test_install_from_file_puts_a_usable_package_in_place(root: Path, zh_en_package: Path):
    info = install_from_file(zh_en_package, root=root)
    assert (info.from_code, info.to_code, info.package_version) == ("zh", "en", "1.0")
    assert info.path == root / "translate-zh_en-1_0"
    for name in packages.REQUIRED_FILES:
        assert (info.path / name).is_file()
    assert info.size_bytes == sum(p.stat().st_size for p in info.path.rglob("*") if p.is_file())
    assert find_package("zh", "en", root) == info
    assert installed_packages(root) == [info]
    assert leftovers(root) == []

    # Argos itself sees it as an installed package.
    from argostranslate.package import get_installed_packages

    [argos_view] = get_installed_packages([root])
    assert (argos_view.from_code, argos_view.to_code) == ("zh", "en")


def test_installing_a_newer_version_replaces_the_old_one(root: Path, zh_en_package, zh_en_newer_package):
    install_from_file(zh_en_package, root=root)
    newer = install_from_file(zh_en_newer_package, root=root)
    assert [p.package_version for p in installed_packages(root)] == ["1.1"]
    assert find_package("zh", "en", root) == newer
    assert leftovers(root) == []


def test_a_package_without_a_folder_inside_is_accepted(root: Path, zh_en_package: Path, tmp_path: Path):
    flat = tmp_path / "flat-zh-en.argosmodel"
    with zipfile.ZipFile(zh_en_package) as zin, zipfile.ZipFile(flat, "w") as zout:
        for item in zin.infolist():
            name = item.filename.split("/", 1)[1]
            if name:
                zout.writestr(name, zin.read(item))
    info = install_from_file(flat, root=root)
    assert info.name == "flat-zh-en" and (info.path / "model" / "model.bin").is_file()


def _not_a_zip(src: Path, dest: Path) -> Path:
    dest.write_bytes(b"<html>404 Not Found</html>" * 100)
    return dest


def _truncated(src: Path, dest: Path) -> Path:
    dest.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    return dest


def _damaged_member(src: Path, dest: Path) -> Path:
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo(next(n for n in zf.namelist() if n.endswith("model.bin")))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 100
    data[start : start + 64] = bytes(64)
    dest.write_bytes(bytes(data))
    return dest


@pytest.mark.parametrize(
    "make, message",
    [
        (_not_a_zip, "not a valid .argosmodel zip"),
        (_truncated, "not a valid .argosmodel zip"),
        (_damaged_member, "fails its checksum"),
        (lambda s, d: rezip(s, d, drop="metadata.json"), "no metadata.json"),
        (lambda s, d: rezip(s, d, drop="model.bin"), "no model/model.bin"),
        (lambda s, d: rezip(s, d, drop="sentencepiece.model"), "no sentencepiece.model"),
        (lambda s, d: rezip(s, d, metadata={"from_code": "zh"}), "does not say which languages"),
    ],
    ids=["not-a-zip", "truncated", "damaged-member", "no-metadata", "no-model", "no-sentencepiece", "no-codes"],
)
def test_a_broken_package_file_is_refused_and_leaves_nothing(root, zh_en_package, tmp_path, make, message):
    install_from_file(zh_en_package, root=root)
    before = installed_packages(root)
    bad = make(zh_en_package, tmp_path / "bad.argosmodel")
    with pytest.raises(PackageError, match=message) as caught:
        install_from_file(bad, root=root)
    assert str(bad) in str(caught.value)
    assert installed_packages(root) == before  # the working package is untouched
    assert leftovers(root) == []


def test_a_wrong_language_package_is_refused_with_the_fix(root: Path, en_zh_package: Path):
    with pytest.raises(PackageError) as caught:
        install_from_file(en_zh_package, root=root)
    message = str(caught.value)
    assert "en→zh package" in message and "zh→en model was asked for" in message
    assert "--from en --to zh" in message
    assert installed_packages(root) == [] and leftovers(root) == []
    # ... and installs when that pair is what is asked for.
    assert install_from_file(en_zh_package, from_code="en", to_code="zh", root=root).pair == "en→zh"


def test_a_missing_file_says_so(root: Path, tmp_path: Path):
    with pytest.raises(PackageError, match="no such file"):
        install_from_file(tmp_path / "nope.argosmodel", root=root)


# -- remove -------------------------------------------------------------------------------


def test_remove_uninstalls_only_that_pair(root: Path, zh_en_package, en_zh_package):
    install_from_file(zh_en_package, root=root)
    install_from_file(en_zh_package, from_code="en", to_code="zh", root=root)
    [removed] = remove_package("zh", "en", root)
    assert removed.pair == "zh→en" and not removed.path.exists()
    assert [p.pair for p in installed_packages(root)] == ["en→zh"]
    assert leftovers(root) == []
    with pytest.raises(PackageError, match="no zh→en model is installed"):
        remove_package("zh", "en", root)


# -- install from the index -----------------------------------------------------------------


def test_install_from_index_downloads_with_progress(root, index_server, zh_en_package, zh_en_newer_package):
    index_server.publish(zh_en_package, version="1.0")
    index_server.publish(zh_en_newer_package, version="1.1")
    seen: list[tuple[int, int | None]] = []
    info = install_from_index(
        "zh", "en", lambda done, total: seen.append((done, total)), root=root, index_url=index_server.url
    )
    assert info.package_version == "1.1"  # the newest one
    assert index_server.requests == ["/index.json", f"/packages/{zh_en_newer_package.name}"]
    size = zh_en_newer_package.stat().st_size
    assert seen[0] == (0, size) and seen[-1] == (size, size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert leftovers(root) == []


def test_a_matching_checksum_installs(root, index_server, zh_en_package):
    digest = hashlib.sha256(zh_en_package.read_bytes()).hexdigest()
    index_server.publish(zh_en_package, sha256=digest)
    assert install_from_index(root=root, index_url=index_server.url).pair == "zh→en"


@pytest.mark.parametrize(
    "publish, message",
    [
        (dict(status=404, body=b"gone"), "HTTP 404"),
        (dict(declared_length=10**7), "cut short"),
        (dict(body=b"PK\x03\x04 not really a zip" * 50), "not a valid .argosmodel zip"),
        (dict(sha256="0" * 64), "checksum mismatch"),
    ],
    ids=["http-404", "truncated", "bad-zip", "bad-checksum"],
)
def test_a_failed_download_installs_nothing(root, index_server, zh_en_package, publish, message):
    index_server.publish(zh_en_package, **publish)
    with pytest.raises(DownloadError, match=message) as caught:
        install_from_index(root=root, index_url=index_server.url)
    assert "`duizhao models install --file PATH.argosmodel`" in str(caught.value)
    assert installed_packages(root) == [] and leftovers(root) == []


def test_an_index_without_the_pair_says_so(root, index_server, en_zh_package):
    index_server.publish(en_zh_package, from_code="en", to_code="zh")
    with pytest.raises(PackageError, match="has no zh→en package"):
        install_from_index(root=root, index_url=index_server.url)


def test_a_missing_index_is_an_index_error(root, index_server):
    index_server.routes.clear()
    with pytest.raises(PackageIndexError, match="index.json"):
        install_from_index(root=root, index_url=index_server.url + "nothing-here/")


def test_an_index_that_never_answers_times_out(root):
    with socket.socket() as silent:  # accepts connections, never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        with pytest.raises(PackageIndexError, match=r"cannot reach .* \(timed out\)"):
            install_from_index(root=root, index_url=url, timeout=1.0)


# -- first use ------------------------------------------------------------------------------


def test_ensure_package_installs_on_first_use_and_says_so(root, index_server, zh_en_package):
    index_server.publish(zh_en_package)
    said: list[str] = []
    first = ensure_package(notify=said.append, root=root, index_url=index_server.url)
    assert len(said) == 1 and "zh→en" in said[0] and str(root) in said[0]
    requests = len(index_server.requests)
    again = ensure_package(notify=said.append, root=root, index_url=index_server.url)
    assert again == first and len(said) == 1 and len(index_server.requests) == requests


def _assert_names_both_ways(message: str) -> None:
    assert "`duizhao models install`" in message
    assert "`duizhao models install --file PATH.argosmodel`" in message


def test_offline_without_a_model_names_both_ways_and_downloads_nothing(root, index_server, zh_en_package):
    index_server.publish(zh_en_package)
    with pytest.raises(ModelMissingError) as caught:
        ensure_package(offline=True, root=root, index_url=index_server.url)
    _assert_names_both_ways(str(caught.value))
    assert index_server.requests == [] and installed_packages(root) == []


def test_an_unreachable_index_fails_fast_naming_both_ways(root):
    # conftest points ARGOS_PACKAGE_INDEX at 127.0.0.1:9, where nothing listens.
    assert packages.package_index_url() == os.environ["ARGOS_PACKAGE_INDEX"]
    with pytest.raises(ModelMissingError) as caught:
        ensure_package(notify=lambda _: None, root=root)
    message = str(caught.value)
    _assert_names_both_ways(message)
    assert "cannot reach the package index http://127.0.0.1:9/index.json" in message
    assert installed_packages(root) == [] and leftovers(root) == []


def test_other_language_pairs_name_their_options(root):
    with pytest.raises(ModelMissingError, match="models install --from en --to zh --file"):
        ensure_package("en", "zh", offline=True, root=root)


def test_a_hanging_name_lookup_fails_fast_naming_both_ways_to_install(monkeypatch, root):
    import socket

    monkeypatch.setattr(packages, "RESOLVE_TIMEOUT", 0.2)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: time.sleep(5))
    with pytest.raises(ModelMissingError) as caught:
        ensure_package("zh", "en", root=root, index_url="http://index.invalid/", notify=lambda line: None)
    message = str(caught.value)
    assert "looking up index.invalid took more than 0.2 s" in message
    assert "duizhao models install" in message and "--file" in message
