"""No model and no network (issue 13): the error said to use
``duizhao models install --file PATH.argosmodel`` but not where to get one. It now
names the package and its download link, from the index as last read, else from
the public index, so a user can fetch it on another machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.translate.packages import PUBLIC_DOWNLOADS
from package_index import index_server  # noqa: F401 (the fixture)

from .conftest import assert_clean_error, duizhao

clean_error = pytest.mark.outcome("clean-error")


@pytest.fixture
def bare(tmp_path) -> tuple[Path, dict]:
    """A folder with a source, no model installed, a data folder of its own."""
    (tmp_path / "doc.txt").write_text("台州很美。\n", encoding="utf-8")
    env = {"ARGOS_PACKAGES_DIR": str(tmp_path / "packages"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "DUIZHAO_CACHE": str(tmp_path / "cache" / "t.sqlite3")}
    return tmp_path, env


@clean_error
def test_offline_with_nothing_read_names_the_public_download(bare):
    folder, env = bare
    result = duizhao("run", "--offline", "doc.txt", cwd=folder, env=env)
    name, version, link = PUBLIC_DOWNLOADS["zh", "en"]
    assert_clean_error(result, "offline mode", "--file PATH.argosmodel", f"{name} {version} at {link}")


@clean_error
def test_a_dead_download_names_the_index_entry_then_offline_too(bare, index_server, run_package):
    folder, env = bare
    index_server.publish(run_package, status=404)
    link = index_server.url + f"packages/{run_package.name}"
    env = {**env, "ARGOS_PACKAGE_INDEX": index_server.url}
    online = duizhao("run", "doc.txt", cwd=folder, env=env)
    assert_clean_error(online, "HTTP 404", "--file PATH.argosmodel", f"the package index lists translate-zh_en 1.0 at {link}")
    asked = list(index_server.requests)
    offline = duizhao("run", "--offline", "doc.txt", cwd=folder, env=env)
    assert_clean_error(offline, "offline mode", f"the package index lists translate-zh_en 1.0 at {link}")
    assert index_server.requests == asked, "offline mode asked the index"
    assert not os.listdir(folder / "packages")
