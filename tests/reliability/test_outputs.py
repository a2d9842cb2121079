"""Outputs: written as one atomic set, with the umask's mode, under names that fit,
and no temporary file left behind (issue 13)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.atomic import STALE_AFTER, OutputError, temporary_name, write_text_atomic, write_texts_atomic

from .conftest import assert_clean_error, duizhao, fill, tiny_disk

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")


def hidden(folder):
    """Temporary files in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def snapshot(folder):
    """The contents of every file in ``folder`` but temporary ones and the filler of a full disk."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.name not in hidden(folder) and p.name != "filler"}


@pytest.fixture
def done(project):
    """The project after one successful run: output/doc.json and output/doc.html."""
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert result.returncode == 0, result.stderr
    return project


# -- a set of outputs is replaced whole, or not at all ----------------------------------------


@clean_error
@pytest.mark.parametrize("room", [0, 16 * 1024], ids=["full", "room-for-the-json-only"])
def test_a_full_output_disk_leaves_the_old_outputs(done, tmp_path, room):
    with tiny_disk(tmp_path / "disk", "512k") as disk:
        first = duizhao("run", "sources/doc.txt", "-o", disk, cwd=done)
        assert first.returncode == 0, first.stderr
        before = snapshot(disk)
        assert len(before["doc.json"]) < room < len(before["doc.html"]) or not room
        (done / "sources" / "doc.txt").write_text("临海很美。\n\n台州很大。\n", encoding="utf-8")
        fill(disk)
        filler = disk / "filler"
        os.truncate(filler, filler.stat().st_size - room)
        result = duizhao("run", "sources/doc.txt", "-o", disk, cwd=done)
        assert_clean_error(result, str(disk / "doc.json" if not room else disk / "doc.html"),
                           "no space left on the device", "nothing was changed")
        assert snapshot(disk) == before
        assert hidden(disk) == []


@clean_error
def test_a_write_failing_half_way_through_a_set_replaces_nothing(tmp_path, monkeypatch):
    """The portable form of the case above: the second file of the set hits ENOSPC."""
    import errno

    (tmp_path / "a.json").write_text("old json")
    (tmp_path / "a.html").write_text("old html")
    real_write = os.write

    def write(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp") and b"<html" in bytes(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    with pytest.raises(OutputError, match=r"a\.html: cannot be written \(no space left on the device.*nothing was"):
        write_texts_atomic([(tmp_path / "a.json", "new json"), (tmp_path / "a.html", "<html>new")])
    assert snapshot(tmp_path) == {"a.html": b"old html", "a.json": b"old json"}
    assert hidden(tmp_path) == []


@clean_error
def test_a_read_only_output_folder_is_a_clean_error(done):
    output = done / "output"
    before = snapshot(output)
    output.chmod(0o555)
    (done / "sources" / "doc.txt").write_text("临海很美。\n", encoding="utf-8")
    try:
        result = duizhao("run", "sources/doc.txt", cwd=done, unprivileged=True)
    finally:
        output.chmod(0o755)
    assert_clean_error(result, "output/doc.json", "permission denied")
    assert snapshot(output) == before


@clean_error
def test_an_output_that_is_a_folder_is_a_clean_error(project):
    (project / "output" / "doc.html").mkdir(parents=True)
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert_clean_error(result, "output/doc.html", "is a folder")
    assert not (project / "output" / "doc.json").exists()


@survives
def test_killed_between_two_outputs_the_old_pair_stays_and_the_next_write_cleans_up(done):
    """kill -9 after the JSON's temporary file is written, before the reader's."""
    before = snapshot(done / "output")
    (done / "sources" / "doc.txt").write_text("临海很美。\n", encoding="utf-8")
    child = ("import os, signal, sys; real = os.fsync; calls = []\n"
             "def fsync(fd):\n    real(fd); calls.append(fd)\n"
             "    if len(calls) == 1: os.kill(os.getpid(), signal.SIGKILL)\n"
             "import pipeline.core.atomic; pipeline.core.atomic.os.fsync = fsync\n"
             "sys.argv[0] = 'duizhao'; from pipeline.cli import main; main()")
    killed = subprocess.run([sys.executable, "-c", child, "run", "sources/doc.txt"], cwd=done,
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9
    assert snapshot(done / "output") == before  # neither output replaced
    (left,) = hidden(done / "output")
    stale = done / "output" / left
    os.utime(stale, (time.time() - STALE_AFTER - 1,) * 2)
    result = duizhao("run", "sources/doc.txt", cwd=done)
    assert result.returncode == 0, result.stderr
    assert hidden(done / "output") == []
    assert json.loads((done / "output" / "doc.json").read_text())["blocks"][0]["text"] == "临海很美。"


# -- file modes ------------------------------------------------------------------------------


@pytest.fixture
def umask():
    def set_umask(value):
        os.umask(value)
    old = os.umask(0o022)
    yield set_umask
    os.umask(old)


@survives
@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)],
                         ids=["022", "002", "077"])
def test_a_new_file_gets_the_mode_of_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    (written,) = write_texts_atomic([(tmp_path / "a.json", "{}\n")])
    assert stat.S_IMODE(written.stat().st_mode) == mode


@survives
@pytest.mark.parametrize("mode", [0o640, 0o664, 0o600], ids=["640", "664", "600"])
def test_a_replaced_file_keeps_its_mode(tmp_path, umask, mode):
    target = tmp_path / "a.json"
    target.write_text("old\n")
    target.chmod(mode)
    write_text_atomic(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == mode and target.read_text() == "new\n"


@survives
def test_outputs_exports_glossaries_and_edits_get_the_umask_mode(done, umask):
    umask(0o002)
    glossary = done / "glossary" / "g.tsv"
    glossary.chmod(0o664)
    commands = [
        ("run", "sources/doc.txt", "-o", "shared", "--format", "json,html,md,en.md,tmx"),
        ("glossary", "add", "临海", "Linhai"),
        ("glossary", "export", "-o", "shared/terms.tbx"),
    ]
    for command in commands:
        result = duizhao(*command, cwd=done)
        assert result.returncode == 0, result.stderr
    saved = done / "saved.edits.tsv"
    saved.write_text("# duizhao edits for sources/doc.txt\nsource\tmachine\tenglish\n"
                     "台州港口很大。\tx\tThe port of Taizhou is large.\n", encoding="utf-8")
    result = duizhao("edits", "import", saved, cwd=done)
    assert result.returncode == 0, result.stderr
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (done / "shared").iterdir()}
    modes["g.tsv"] = stat.S_IMODE(glossary.stat().st_mode)
    modes["doc.edits.tsv"] = stat.S_IMODE((done / "sources" / "doc.edits.tsv").stat().st_mode)
    assert set(modes.values()) == {0o664}, modes


# -- names -------------------------------------------------------------------------------------


@survives
@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(max_codepoint=127, exclude_characters="/\0"), min_size=1, max_size=255)
       | st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/\0"), min_size=1, max_size=63))
def test_a_temporary_name_fits_wherever_its_final_name_fits(name):
    temporary = temporary_name(name, 255)
    assert len(os.fsencode(temporary)) <= 255
    assert temporary.startswith(".") and temporary.endswith(".tmp") and "/" not in temporary
    temporary.encode("utf-8")  # shortened at a character boundary


@survives
@pytest.mark.parametrize("stem", ["港" * 80, "a" * 246], ids=["80-chinese-characters", "250-character-name"])
def test_long_source_names_run(project, stem):
    source = project / "sources" / f"{stem}.txt"
    (project / "sources" / "doc.txt").rename(source)
    result = duizhao("run", source, "--format", "json,html,tmx", cwd=project)
    assert result.returncode == 0, result.stderr
    written = {p.name for p in (project / "output").iterdir() if p.name.startswith(stem[0])}
    assert written == {f"{stem}.json", f"{stem}.html", f"{stem}.tmx"}


@clean_error
def test_an_output_name_too_long_for_the_file_system_is_a_clean_error(project):
    stem = "a" * 250
    (project / "sources" / "doc.txt").rename(project / "sources" / f"{stem}.txt")
    result = duizhao("run", f"sources/{stem}.txt", "--format", "json,en.md", cwd=project)
    assert_clean_error(result, f"{stem}.en.md", "longer than the file system allows", "rename the source")
    assert not list((project / "output").glob(f"{stem}*"))


# -- stale temporary files -----------------------------------------------------------------


@survives
def test_stale_temporary_files_of_ours_are_removed_on_the_next_write(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "x.json").write_text("{}")
    old = time.time() - STALE_AFTER - 1
    ours = [folder / ".x.json.dzabcd1234.tmp", folder / ".x.html.dz0000aaaa.tmp",
            folder / ".x.json.k3j_x9ab.tmp"]  # the last: the mkstemp name of earlier versions
    theirs = [folder / ".notes.txt.k3j_x9ab.tmp", folder / "x.tmp", folder / ".x.json.dzabcd1234.tmp.keep"]
    fresh = folder / ".x.json.dzfresh000.tmp"
    for path in [*ours, *theirs, fresh]:
        path.write_text("")
        if path is not fresh:
            os.utime(path, (old, old))
    write_text_atomic(folder / "x.json", "{}\n")
    assert sorted(p.name for p in folder.iterdir()) == sorted(["x.json", fresh.name, *(p.name for p in theirs)])


@survives
def test_a_temporary_file_another_writer_holds_is_left_alone(tmp_path):
    import fcntl

    folder = tmp_path / "out"
    folder.mkdir()
    busy = folder / ".x.json.dzbusy0000.tmp"
    with open(busy, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        os.utime(busy, (time.time() - 60,) * 2)
        write_text_atomic(folder / "x.json", "{}\n")
        assert busy.exists()


@clean_error
def test_a_failed_set_leaves_no_temporary_file(tmp_path):
    (tmp_path / "b.html").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        write_texts_atomic([(tmp_path / "a.json", "{}"), (tmp_path / "b.html", "<p>")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.html"]


# -- two sources, one set of outputs ---------------------------------------------------------


@clean_error
def test_x_md_and_x_txt_do_not_overwrite_each_other(done):
    before = snapshot(done / "output")
    (done / "sources" / "doc.md").write_text("# 临海\n\n临海很美。\n", encoding="utf-8")
    result = duizhao("run", "sources/doc.md", cwd=done)
    assert_clean_error(result, "output/doc.json", "sources/doc.txt", "sources/doc.md", "-o")
    assert snapshot(done / "output") == before
    (done / "sources" / "doc.txt").unlink()  # the other source is gone: its outputs may be replaced
    result = duizhao("run", "sources/doc.md", cwd=done)
    assert result.returncode == 0, result.stderr
    assert json.loads((done / "output" / "doc.json").read_text())["source"] == "sources/doc.md"
