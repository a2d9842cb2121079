"""Hostile and broken model packages (issue 13): a zip bomb installed without
limit, a package with valid metadata but a garbage ``model.bin`` replaced the
working model (found only at the next run), a killed install left a 938 MB
``.packages-install-*`` folder forever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipeline.translate.engines.argos import ArgosEngine

from pipeline.translate.packages import MAX_EXPANDED_BYTES, PackageError, find_package, install_from_file

from .conftest import assert_clean_error, duizhao, fill, tiny_disk

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")


def beside(root: Path) -> list[str]:
    """The temporary install folders next to the packages folder."""
    return sorted(p.name for p in root.parent.glob(f".{root.name}-install-*"))


def repacked(package: Path, dest: Path, replace: dict[str, bytes] | None = None, grow: tuple[str, int] | None = None):
    """``package`` again, with members ending in a ``replace`` key given new bytes,
    and ``grow`` = (member, size): that member made ``size`` zero bytes, deflated."""
    with zipfile.ZipFile(package) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            for suffix, new in (replace or {}).items():
                if item.filename.endswith(suffix):
                    data = new
            if grow and item.filename.endswith(grow[0]):
                with zout.open(item.filename, "w", force_zip64=True) as out:
                    for _ in range(grow[1] >> 20):
                        out.write(bytes(1 << 20))
                continue
            zout.writestr(item.filename, data)
    return dest


@pytest.fixture
def working(installed) -> Path:
    """The installed test model's folder, checked to translate."""
    folder = find_package().path
    assert ArgosEngine(folder).translate(["台州很美。"])[0]
    return folder


@clean_error
def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path, working, run_package):
    bomb = repacked(run_package, tmp_path / "bomb.argosmodel", grow=("model/model.bin", 64 << 20))
    assert bomb.stat().st_size < 1 << 20  # 64 MB of zeros in well under 1 MB
    with pytest.raises(PackageError) as caught:
        install_from_file(bomb, max_bytes=16 << 20)
    message = str(caught.value)
    assert str(bomb) in message and "expands to 67." in message and "\n" not in message
    assert find_package().path == working and beside(working.parent) == []
    assert ArgosEngine(working).translate(["台州很美。"])[0]


@clean_error
def test_a_zip_bomb_past_the_real_cap_is_a_one_line_error(project, run_package, working):
    bomb = repacked(run_package, project / "bomb.argosmodel", grow=("model/model.bin", MAX_EXPANDED_BYTES + (8 << 20)))
    result = duizhao("models", "install", "--file", "bomb.argosmodel", cwd=project)
    assert_clean_error(result, "bomb.argosmodel", "refusing a package that expands to 1.1 GB")
    assert find_package().path == working and beside(working.parent) == []


@clean_error
@pytest.mark.parametrize("member, what", [("model/model.bin", "CTranslate2 model"),
                                          ("sentencepiece.model", "sentencepiece.model")], ids=["model-bin", "spm"])
def test_a_package_with_a_garbage_model_leaves_the_working_one(project, run_package, working, member, what):
    garbage = repacked(run_package, project / "garbage.argosmodel", replace={member: os.urandom(4096)})
    before = (working / member).read_bytes()
    result = duizhao("models", "install", "--file", "garbage.argosmodel", cwd=project)
    assert_clean_error(result, "garbage.argosmodel", f"its {what}", "cannot be loaded", "the installed model is unchanged")
    assert find_package().path == working and (working / member).read_bytes() == before
    assert beside(working.parent) == []
    run = duizhao("run", "sources/doc.txt", cwd=project)
    assert run.returncode == 0, run.stderr


_HOLD_AN_INSTALL = """
import sys, time
from pathlib import Path
from pipeline.translate.packages import _staging
with _staging(Path(sys.argv[1])) as staging:
    (staging / "unpacked").mkdir()
    (staging / "unpacked" / "model.bin").write_bytes(bytes(4 << 20))
    print(staging, flush=True)
    time.sleep(600)
"""


def hold_an_install(root: Path) -> tuple[subprocess.Popen, Path]:
    """A process in the middle of an install into ``root`` (its temporary folder made)."""
    child = subprocess.Popen([sys.executable, "-c", _HOLD_AN_INSTALL, str(root)], stdout=subprocess.PIPE, text=True)
    staging = Path(child.stdout.readline().strip())
    child.stdout.close()
    return child, staging


def kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait()


@survives
def test_a_killed_install_leaves_nothing_after_the_next_install(tmp_path, run_package, working):
    root = working.parent
    running, live = hold_an_install(root)
    try:
        killed, left = hold_an_install(root)
        kill(killed)
        assert left.is_dir() and live.is_dir()
        install_from_file(run_package)
        assert not left.exists(), "the killed install's folder is still there"
        assert live.is_dir(), "a running install's folder was removed"
        assert beside(root) == [live.name]
    finally:
        kill(running)
    install_from_file(run_package)
    assert beside(root) == [] and find_package() is not None


@clean_error
def test_a_package_that_does_not_fit_on_the_disk_is_refused_before_extracting(tmp_path, run_package):
    with tiny_disk(tmp_path / "disk", "1m") as disk:
        root = disk / "packages"
        root.mkdir()
        fill(disk)
        with pytest.raises(PackageError) as caught:
            install_from_file(run_package, root=root)
        message = str(caught.value)
        assert "extracting needs" in message and str(disk) in message and "free some space" in message
        assert list(root.iterdir()) == [] and beside(root) == []


@clean_error
@pytest.mark.parametrize("name", ["translate-zh_en/../../escaped.txt", "/tmp/duizhao-escaped.txt",
                                  "\\duizhao-escaped.txt", "C:duizhao-escaped.txt"],
                         ids=["dot-dot", "absolute", "backslash", "drive"])
def test_a_zip_slip_package_is_refused_and_writes_nothing_outside(project, run_package, working, name):
    slip = project / "slip.argosmodel"
    with zipfile.ZipFile(run_package) as zin, zipfile.ZipFile(slip, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, zin.read(item))
        zout.writestr(name, "written outside the package\n")
    result = duizhao("models", "install", "--file", "slip.argosmodel", cwd=project)
    assert_clean_error(result, "slip.argosmodel", "refusing unsafe path")
    assert not (project / "escaped.txt").exists() and not Path("/tmp/duizhao-escaped.txt").exists()
    assert not list(project.rglob("*escaped.txt"))
    assert find_package().path == working and beside(working.parent) == []
