"""`duizhao models ...` and `duizhao cache ...` through the click CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeline.translate.cache import TranslationCache
from pipeline.cli import cli
from package_index import (  # noqa: F401  (fixtures)
    en_zh_package,
    index_server,
    package_builds,
    zh_en_package,
)


@pytest.fixture
def packages_root(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "argos-packages"
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(root))
    return root


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_help_does_not_import_the_engine():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "import pipeline.translate.cache, pipeline.translate.packages, pipeline.translate.texts\n"
        "from pipeline.cli import cli\n"
        "for args in (['--help'], ['models', '--help'], ['models', 'install', '--help'], ['cache', '--help']):\n"
        "    assert CliRunner().invoke(cli, args).exit_code == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in\n"
        "      ('argostranslate', 'ctranslate2', 'sentencepiece', 'platformdirs')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("group", ["models", "cache"])
def test_every_command_and_option_has_help(group: str):
    commands = cli.commands[group].commands
    assert commands
    for command in commands.values():
        assert command.help, command.name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{command.name} {param.name}"


def test_install_list_remove_from_a_file(packages_root: Path, zh_en_package: Path):
    assert "No models installed in" in run("models", "list").output

    result = run("models", "install", "--file", str(zh_en_package))
    assert result.exit_code == 0
    assert "Installed zh→en model translate-zh_en-1_0 (version 1.0" in result.output
    assert (packages_root / "translate-zh_en-1_0" / "model" / "model.bin").is_file()

    listing = run("models", "list").output.splitlines()
    assert listing[0].split() == ["LANGUAGES", "VERSION", "SIZE", "PATH"]
    assert listing[1].split()[0:2] == ["zh→en", "1.0"]
    assert listing[1].endswith(str(packages_root / "translate-zh_en-1_0"))

    result = run("models", "remove")
    assert result.exit_code == 0 and "Removed zh→en model" in result.output
    assert "No models installed" in run("models", "list").output


def test_a_wrong_language_file_is_a_clean_error(packages_root: Path, en_zh_package: Path):
    result = run("models", "install", "--file", str(en_zh_package))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    assert "en→zh package" in result.output and "--from en --to zh" in result.output
    assert not packages_root.exists() or not any(packages_root.iterdir())


def test_install_from_the_index_reports_download_progress(
    packages_root, index_server, zh_en_package, monkeypatch
):
    import pipeline.cli.common

    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", index_server.url)
    index_server.publish(zh_en_package)
    seen: list[tuple[int, int | None]] = []
    real_call = pipeline.cli.common.ProgressBar.__call__

    def spy(self, done, total):
        seen.append((done, total))
        real_call(self, done, total)

    monkeypatch.setattr(pipeline.cli.common.ProgressBar, "__call__", spy)
    result = CliRunner().invoke(cli, ["models", "install"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Installed zh→en model translate-zh_en-1_0" in result.stdout
    assert result.stderr == ""  # not a terminal: no bar drawn into logs
    size = zh_en_package.stat().st_size
    assert seen[0] == (0, size) and seen[-1] == (size, size)
    assert [p.name for p in packages_root.iterdir()] == ["translate-zh_en-1_0"]


def test_install_with_an_unreachable_index_points_to_file(packages_root: Path):
    result = run("models", "install")
    assert result.exit_code == 1
    assert "cannot reach the package index http://127.0.0.1:9/index.json" in result.output
    assert "`duizhao models install --file PATH.argosmodel`" in result.output


def test_removing_a_model_that_is_not_installed(packages_root: Path):
    result = run("models", "remove", "--from", "zh", "--to", "en")
    assert result.exit_code == 1 and "no zh→en model is installed" in result.output


def test_cache_info_and_clear(tmp_path: Path):
    path = tmp_path / "c.sqlite3"
    result = run("cache", "info", "--cache", str(path))
    assert "not created yet" in result.output and not path.exists()

    with TranslationCache(path) as cache:
        cache.put_many("argos zh-en 1.0", {"一": "one", "二": "two"})
        cache.put_many("argos zh-en 1.1", {"一": "One"})
    info = run("cache", "info", "--cache", str(path)).output
    assert f"Cache: {path}" in info and "Translations: 3" in info
    assert "2  argos zh-en 1.0" in info and "1  argos zh-en 1.1" in info

    result = run("cache", "clear", "--cache", str(path))  # not a terminal: nothing to ask on
    assert result.exit_code == 1 and result.output.strip() == (
        f"Error: {path}: not cleared (3 cached translations): nothing to ask on, stdin is not a terminal; "
        "add --yes to clear it from a script")
    result = run("cache", "clear", "--cache", str(path), "--yes")
    assert result.exit_code == 0 and f"Removed 3 cached translations from {path}" in result.output
    assert "Translations: 0" in run("cache", "info", "--cache", str(path)).output


def test_cache_commands_follow_duizhao_cache_env(tmp_path: Path, monkeypatch):
    path = tmp_path / "env.sqlite3"
    monkeypatch.setenv("DUIZHAO_CACHE", str(path))
    with TranslationCache(path) as cache:
        cache.put_many("sig", {"一": "one"})
    assert f"Cache: {path}" in run("cache", "info").output
    assert "Removed 1 cached" in run("cache", "clear", "--yes").output


def test_cache_info_on_a_corrupt_file_warns_and_goes_on(tmp_path: Path):
    path = tmp_path / "c.sqlite3"
    with TranslationCache(path):
        pass
    path.write_bytes(path.read_bytes()[:100] + b"not a database" * 300)  # ours (its header), damaged
    result = CliRunner().invoke(cli, ["cache", "info", "--cache", str(path)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Warning: translation cache" in result.stderr and "corrupt" in result.stderr
    assert "Translations: 0" in result.stdout
    assert any(".corrupt-" in p.name for p in tmp_path.iterdir())


def on_terminal(args: list[str], answer: str | None = None, cwd: Path | None = None) -> tuple[int, str]:
    """``duizhao ARGS`` with a terminal (a pty) for stdin, stdout and stderr,
    typing ``answer`` once it asks; its exit status and what the terminal showed."""
    import os
    import pty
    import select
    import time

    main, side = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "pipeline", *args], stdin=side, stdout=side, stderr=side,
                               close_fds=True, cwd=cwd)
    os.close(side)
    shown, answered, deadline = b"", False, time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(main, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            if answer is not None and not answered and b"[y/N]" in shown:
                os.write(main, answer.encode() + b"\n")
                answered = True
            if process.poll() is not None and not ready:
                break
        return process.wait(timeout=10), shown.decode("utf-8", "replace").replace("\r\n", "\n")
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)


@pytest.mark.parametrize("answer, left", [("n", 2), ("y", 0)], ids=["declined", "confirmed"])
def test_cache_clear_asks_on_a_terminal(tmp_path: Path, answer: str, left: int):
    path = tmp_path / "c.sqlite3"
    with TranslationCache(path) as cache:
        cache.put_many("sig", {"一": "one", "二": "two"})
    status, shown = on_terminal(["cache", "clear", "--cache", str(path)], answer)
    assert f"Remove all 2 cached translations from {path}?" in shown
    assert status == 0
    assert ("Nothing removed." in shown) == (answer == "n")
    with TranslationCache(path) as cache:
        assert cache.info().entries == left
