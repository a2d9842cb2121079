"""The command line: version, help, segment, clean errors, light start-up."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from pipeline import __version__
from pipeline.cli import cli

HEAVY = ("ctranslate2", "sentencepiece", "jieba", "opencc", "argostranslate", "numpy", "charset_normalizer")


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("command", list(_all_commands(cli)), ids=" ".join)
def test_every_command_has_help(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from pipeline.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='duizhao')\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_segment_loads_only_what_reading_needs(tmp_path):
    """`duizhao segment` of a Simplified file builds one OpenCC converter and imports
    none of the translation stages (glossary, cache, engines, checks, rendering)."""
    source = tmp_path / "small.txt"
    source.write_text("台州市域铁路S1线正式开通运营。\n", encoding="utf-8")
    stages = ("pipeline.terms.glossary", "pipeline.translate.cache", "pipeline.translate.engines.argos",
              "pipeline.review.qa", "pipeline.render", "pipeline.run", "jieba", "ctranslate2")
    code = (
        "import sys; from pipeline.cli import cli; from pipeline.read import source\n"
        f"try:\n    cli(['segment', {str(source)!r}], prog_name='duizhao')\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {stages!r} if m in sys.modules], source._converter.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[] 1"


def test_python_dash_m_works():
    result = subprocess.run([sys.executable, "-m", "pipeline", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and __version__ in result.stdout


def test_segment_prints_blocks_sentences_flags_and_dropped(seed_path):
    result = invoke("segment", str(seed_path))
    assert result.exit_code == 0
    out = result.output
    assert out.splitlines()[0].endswith(
        "utf-8, simplified; 67 blocks (1 title, 1 byline, 3 heading, 55 paragraph, 7 caption); "
        "130 sentences; 6 dropped as duplicates")
    assert "p1    title" in out
    assert "1. “在台州,你可以链接全球。”" in out
    assert "! replacement-char:" in out and "! stray-latin:" in out
    assert "lines 124: truncated duplicate of p48" in out


def test_segment_json_is_the_document_model(seed_path):
    result = invoke("segment", "--json", str(seed_path))
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["schema_version"] == 1
    assert data["encoding"] == "utf-8" and data["script"] == "simplified"
    assert {"id", "kind", "text", "sentences", "flags"} <= set(data["blocks"][0])
    assert data["blocks"][0] == {
        "id": "p1", "kind": "title", "text": "台州:聚力“三条路径” 奋进“三高三新”", "lines": [3],
        "sentences": [{"text": "台州:聚力“三条路径” 奋进“三高三新”"}], "flags": []}
    assert {b["kind"] for b in data["blocks"]} == {"title", "byline", "heading", "paragraph", "caption"}
    assert len(data["dropped"]) == 6
    assert data["dropped"][-1]["reason"] == "truncated duplicate"


def test_segment_markdown_source():
    from conftest import DATA

    data = json.loads(invoke("segment", "--json", str(DATA / "article.md")).output)
    assert [(b["kind"], b["text"]) for b in data["blocks"]] == [
        ("front_matter", "---\ntitle: 台州\ndate: 2024-01-01\n---"),
        ("title", "台州:聚力“三条路径”"),
        ("paragraph", "台州制造业家底厚实,拥有35个工业行业大类。"),
        ("heading", "加速项目集聚"),
        ("list_item", "新能源产业链。"),
        ("list_item", "新材料产业链。"),
        ("quote", "在台州,你可以链接全球。"),
        ("code", 'print("不翻译")'),
        ("paragraph", "最后一段。"),
    ]
    verbatim = [b for b in data["blocks"] if b["kind"] in ("code", "front_matter")]
    assert all(b["sentences"] == [] for b in verbatim)
    assert data["blocks"][7]["lines"] == [18, 19, 20]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        pytest.param(lambda p: None, "no such file", id="missing"),
        pytest.param(lambda p: p.write_bytes(b""), "is empty", id="empty"),
        pytest.param(lambda p: p.write_bytes(b"\x00\x01\x02"), "binary", id="binary"),
    ],
)
def test_user_errors_are_one_clean_line_with_nonzero_exit(tmp_path, setup, expected):
    path = tmp_path / "bad.txt"
    setup(path)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "segment", str(path)], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == result.stderr.strip().splitlines()[0]
    assert str(path) in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr


def bar_frames(shown: str) -> list[str]:
    """Each drawing of the "Translating" bar on a terminal, without its escapes."""
    import re

    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    return [frame.strip() for frame in re.split(r"[\r\n]", plain) if frame.startswith("Translating")]


def test_the_progress_bar_is_full_when_the_work_is_done(monkeypatch):
    """The engine's last report may stop short of the total it opened the bar
    with; a run that succeeded still ends on a full bar."""
    import io

    from pipeline.cli.common import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with ProgressBar("Translating") as bar:
        bar(64, 130)
        bar(128, 130)
    frames = bar_frames(terminal.getvalue())
    assert frames[-1].endswith("100%") and frames[-2].endswith("98%")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with pytest.raises(KeyboardInterrupt), ProgressBar("Translating") as bar:
        bar(64, 130)
        raise KeyboardInterrupt  # stopped: the bar says how far it got
    assert "100%" not in terminal.getvalue()


def test_a_run_on_a_terminal_ends_its_progress_bar_at_100_percent(installed, seed_path, tmp_path):
    from test_cli_models import on_terminal

    status, shown = on_terminal(["run", str(seed_path), "-o", str(tmp_path / "out"), "--offline",
                                 "--cache", str(tmp_path / "c.sqlite3")])
    assert status == 0, shown
    frames = bar_frames(shown)
    assert frames and frames[-1].endswith("100%"), frames[-3:]
