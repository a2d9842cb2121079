"""Nothing is left in the shared temporary folder (issue 13): a test session
removes its home folder, and jieba keeps its cache file in our cache folder, not
``/tmp/jieba.cache``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
survives = pytest.mark.outcome("survives")


@survives
def test_a_test_session_leaves_no_home_folder_behind(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    session = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "base"),
         "tests/read/test_sentences.py::test_long_quotation_may_split_at_its_own_full_stops"],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, "TMPDIR": str(temp)},
    )
    assert session.returncode == 0, session.stdout + session.stderr
    assert list(temp.iterdir()) == []


@survives
def test_jieba_keeps_its_cache_in_our_cache_folder(tmp_path):
    temp, cache = tmp_path / "temp", tmp_path / "cache"
    temp.mkdir()
    code = ("from pipeline.read.dictionary import import_jieba, split_words; import_jieba().initialize(); "
            "print(len(split_words('台州港口很大')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TMPDIR": str(temp), "DUIZHAO_CACHE": str(cache / "t.sqlite3")})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert (cache / "jieba.cache").is_file()
    assert list(temp.iterdir()) == []


@survives
def test_an_unwritable_cache_folder_costs_jieba_only_its_cache(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder would be\n", encoding="utf-8")
    code = "from pipeline.read.dictionary import import_jieba; import_jieba().initialize(); print('ok')"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TMPDIR": str(tmp_path), "DUIZHAO_CACHE": str(blocker / "t.sqlite3")})
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")
