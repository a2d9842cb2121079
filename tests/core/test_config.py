"""The project file duizhao.toml: found from any folder of the project, paths
relative to it, options over environment over file over defaults, and one line
naming file, line and key for a bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeline.translate.engines.settings
from fakes import FakeEngine
from pipeline.cli import cli
from pipeline.core.config import SETTINGS, ConfigError, load_config
from pipeline.translate.engines import DecodeOptions
from pipeline.translate.engines.settings import EngineSettings

HEADER = "zh\ten\tnote\tvariants\n"


def invoke(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, env=env)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder with a source and a glossary in a folder of its own, and
    the working directory in a subfolder of it."""
    root = tmp_path / "project"
    (root / "texts" / "deep").mkdir(parents=True)
    (root / "terms").mkdir()
    (root / "texts" / "doc.txt").write_text("台州的港口很大。\n\n增长了很多。\n", encoding="utf-8")
    (root / "terms" / "a.tsv").write_text(HEADER + "台州\tTaizhou\t\t\n", encoding="utf-8")
    monkeypatch.chdir(root / "texts" / "deep")
    monkeypatch.delenv("DUIZHAO_CACHE", raising=False)
    return root


@pytest.fixture
def engines(monkeypatch) -> list[EngineSettings]:
    """Every engine the CLI builds is a fake; the settings it was asked for are kept."""
    asked: list[EngineSettings] = []

    def build(settings, **kwargs):
        asked.append(settings)
        return FakeEngine()

    monkeypatch.setattr(pipeline.translate.engines.settings, "build_engine", build)
    return asked


def write(root: Path, text: str) -> Path:
    path = root / "duizhao.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_project_file_the_defaults_are_todays_behaviour(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DUIZHAO_CACHE", raising=False)
    config = load_config()
    assert config.project_file is None
    assert config.path("output") == Path("output") and config.paths("glossary") == [Path("glossary")]
    assert config["engine.name"] == "argos" and config.path("cache") is None
    assert EngineSettings.from_config(config) == EngineSettings()
    assert all(config.origin(s.key) == "default" for s in SETTINGS)


def test_the_run_from_a_subfolder_uses_the_files_folders(project, engines):
    """Relative paths in the file are relative to it, so the run from any folder
    of the project writes to the same place and uses the same glossary."""
    write(project, 'output = "out"\nglossary = ["terms"]\ncache = "cache/t.sqlite3"\n')
    result = invoke("run", "../doc.txt")
    assert result.exit_code == 0, result.output
    document = json.loads((project / "out" / "doc.json").read_text(encoding="utf-8"))
    assert document["glossary"][0]["file"] == str(project / "terms" / "a.tsv")
    assert document["blocks"][0]["sentences"][0]["translation"].startswith("Taizhou")
    assert (project / "cache" / "t.sqlite3").exists()
    assert not Path("out").exists()


def test_options_override_the_environment_which_overrides_the_file(project, monkeypatch):
    path = write(project, '# the project\ncache = "from-file.sqlite3"\n\n[engine]\nname = "openai"\n'
                          'model = "hy-mt"\nconcurrency = 2\n')
    monkeypatch.setenv("DUIZHAO_CACHE", "/tmp/from-env.sqlite3")
    config = load_config({"cache": None, "engine.name": None})
    assert config.path("cache") == Path("/tmp/from-env.sqlite3") and config.origin("cache") == "env DUIZHAO_CACHE"
    assert config["engine.concurrency"] == 2 and config.origin("engine.concurrency") == f"{path}:7"
    assert config.origin("engine.model") == f"{path}:6"
    config = load_config({"cache": "given.sqlite3", "engine.name": "openai", "engine.model": "other"})
    assert config.path("cache") == Path("given.sqlite3") and config.origin("cache") == "option --cache"
    assert config["engine.model"] == "other" and config.origin("engine.model") == "option --model"


def test_duizhao_config_prints_every_setting_and_where_it_came_from(project, monkeypatch):
    path = write(project, '[engine]\nname = "openai"\nmodel = "hy-mt"\napi_key_env = "MY_KEY"\n')
    monkeypatch.setenv("MY_KEY", "sk-secret-value")
    result = invoke("config", "--base-url", "http://127.0.0.1:9999/v1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Project file: {path}"
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {s.key for s in SETTINGS}
    assert rows["engine.model"].split()[1:] == ["hy-mt", f"{path}:3"]
    assert rows["engine.base_url"].split()[1:] == ["http://127.0.0.1:9999/v1", "option", "--base-url"]
    assert rows["output"].split()[1:] == ["../../output", "default"]  # as every message shows paths
    assert rows["engine.api_key_env"].split()[1:3] == ["MY_KEY", "(set)"]
    assert rows["engine.beam_size"].endswith("default (not used by openai)")
    assert "sk-secret-value" not in result.output


def test_the_files_model_belongs_to_the_files_engine(project, engines):
    """With openai in the file, --engine argos must not take the openai model name
    for an Argos package folder."""
    write(project, '[engine]\nname = "openai"\nmodel = "hy-mt"\n')
    result = invoke("run", "../doc.txt", "--engine", "argos", "-g", "../../terms")
    assert result.exit_code == 0, result.output
    assert engines[-1].name == "argos" and engines[-1].model is None
    result = invoke("run", "../doc.txt", "-g", "../../terms")
    assert engines[-1].name == "openai" and engines[-1].model == "hy-mt"


def test_a_model_folder_in_the_file_is_relative_to_the_file(project, engines):
    (project / "models" / "nllb").mkdir(parents=True)
    write(project, '[engine]\nname = "ctranslate2"\nmodel = "models/nllb"\nfamily = "nllb"\nbeam_size = 4\n'
                   'max_batch_size = 600\nbatch_type = "tokens"\n')
    assert invoke("run", "../doc.txt").exit_code == 0
    settings = engines[-1]
    assert (settings.name, settings.model, settings.family) == ("ctranslate2", str(project / "models" / "nllb"), "nllb")
    assert settings.decode == DecodeOptions(beam_size=4, max_batch_size=600, batch_type="tokens")
    invoke("run", "../doc.txt", "--model", "elsewhere", "--beam-size", "3")
    assert engines[-1].model == str(Path.cwd() / "elsewhere") and engines[-1].decode.beam_size == 3


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[engine\nname = "openai"\n', 1, "not valid TOML"),
        ('output = "out"\n[engine]\nconcurency = 3\n', 3, "engine.concurency: unknown key (known in [engine]: name, model"),
        ('[engine]\nname = "openai"\ntimeout = "fast"\n', 3, "engine.timeout: must be a number, not 'fast'"),
        ('[engine]\n\nconcurrency = 0\n', 3, "engine.concurrency: must be an integer from 1 to 64, not 0"),
        ('[engine]\ncontext = true\n', 2, "engine.context: must be an integer, not True"),
        ('[engine]\nname = "deepl"\n', 2, "engine.name: must be one of argos, ctranslate2, openai, not 'deepl'"),
        ('variant = "s2jp"\n', 1, "variant: must be one of s2t, s2tw, s2twp, s2hk, not 's2jp'"),
        ('glossary = [1, 2]\n', 1, "glossary: must be a path or a list of paths"),
        ('\n[archive]\njobs = 2\n', 3, "archive.jobs: unknown table [archive] (known: engine)"),
        ('engine = "openai"\n', 1, "engine: unknown key (known: output, sources, glossary, cache, formats, memory, variant, [engine])"),
    ],
    ids=["syntax", "unknown-key", "wrong-type", "out-of-range", "bool-for-int", "unknown-engine", "variant",
         "glossary-type", "unknown-table", "table-as-key"],
)
def test_a_bad_file_gets_one_line_naming_file_line_and_key(project, text, line, message):
    path = write(project, text)
    with pytest.raises(ConfigError) as raised:
        load_config()
    assert str(raised.value).startswith(f"{path}:{line}: ") and message in str(raised.value)
    result = CliRunner().invoke(cli, ["run", "../doc.txt"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {raised.value}"]


def test_glossary_files_and_folders_from_the_file_in_order(project, engines):
    (project / "terms" / "b.tsv").write_text(HEADER + "港口\tthe port\t\t\n", encoding="utf-8")
    (project / "extra.tsv").write_text(HEADER + "台州\tTai-chou\t\t\n", encoding="utf-8")
    write(project, 'output = "out"\nglossary = ["terms", "extra.tsv"]\n')
    assert invoke("run", "../doc.txt").exit_code == 0
    document = json.loads((project / "out" / "doc.json").read_text(encoding="utf-8"))
    assert [Path(g["file"]).name for g in document["glossary"]] == ["a.tsv", "b.tsv", "extra.tsv"]
    assert document["blocks"][0]["sentences"][0]["translation"].startswith("Tai-chou")
    listed = {tuple(line.split("\t")[:2]) for line in invoke("glossary", "list").output.splitlines()}
    assert listed == {("台州", "Tai-chou"), ("港口", "the port")}


def test_glossary_commands_use_the_files_glossary(project):
    write(project, 'glossary = "terms"\n')
    result = invoke("glossary", "check")
    assert result.output.startswith(f"OK: 1 entry in 1 file: {project / 'terms' / 'a.tsv'}")
    result = invoke("glossary", "add", "港口", "port")
    assert result.exit_code == 0 and (project / "terms" / "a.tsv").read_text(encoding="utf-8").endswith("港口\tport\t\t\n")


def test_the_output_formats_come_from_the_project_file_under_the_option(tmp_path, monkeypatch, installed):
    project = tmp_path / "project"
    project.mkdir()
    (project / "duizhao.toml").write_text('formats = ["json", "en.md", "en.docx"]\n', encoding="utf-8")
    (project / "a.txt").write_text("台州很美。\n", encoding="utf-8")
    monkeypatch.chdir(project)
    cache = ["--cache", str(tmp_path / "c.sqlite3")]
    result = CliRunner().invoke(cli, ["run", "a.txt", "--offline", *cache])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project / "output").iterdir() if p.suffix != ".html" and p.name[0] != ".") == [
        "a.en.docx", "a.en.md", "a.json"]
    shown = CliRunner().invoke(cli, ["config"]).output
    assert "json,en.md,en.docx" in shown and "duizhao.toml:1" in shown
    result = CliRunner().invoke(cli, ["run", "a.txt", "--offline", "-f", "tmx", "-o", "other", *cache])
    assert sorted(p.name for p in (project / "other").iterdir()) == ["a.tmx"]
    (project / "duizhao.toml").write_text('formats = "json,pdf2"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "a.txt", "--offline", *cache])
    assert result.exit_code == 1 and "duizhao.toml:1: formats: unknown output format 'pdf2'" in result.output


# ---- the project folder, where outputs go, what a run reads -----------------------------------


@pytest.fixture
def newcomer(tmp_path, monkeypatch) -> Path:
    """A project laid out as the repository is, without a duizhao.toml: glossary/,
    sources/ with a subfolder; the working directory at its top."""
    root = tmp_path / "clone"
    (root / "glossary").mkdir(parents=True)
    (root / "glossary" / "terms.tsv").write_text(HEADER + "台州\tTaizhou\t\t\n", encoding="utf-8")
    (root / "sources" / "2024").mkdir(parents=True)
    (root / "sources" / "taizhou.txt").write_text("台州的港口很大。\n\n港口很新。台州很美。\n", encoding="utf-8")
    (root / "sources" / "2024" / "new.txt").write_text("台州今年很好。\n\n港口很新。港口很新。\n", encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.setenv("DUIZHAO_CACHE", str(tmp_path / "cache.sqlite3"))
    return root


def library_sources(root: Path) -> list[str]:
    import re

    page = (root / "output" / "index.html").read_text(encoding="utf-8")
    return re.findall(r'<tr data-title="[^"]*" data-source="([^"]*)"', page)


def outputs(root: Path) -> list[str]:
    return sorted(p.relative_to(root / "output").as_posix() for p in (root / "output").rglob("*.json")
                  if not p.name.startswith("."))


def test_a_source_writes_where_its_folder_run_writes_and_the_library_lists_it_once(newcomer, engines):
    """One rule: sources/2024/new.txt → output/2024/new.*, run alone or with its folder."""
    result = invoke("run", "sources/2024/new.txt")
    assert result.exit_code == 0, result.output
    assert outputs(newcomer) == ["2024/new.json"]
    assert result.output.splitlines()[-1].endswith("→ output/2024/new.json, output/2024/new.html")
    result = invoke("run", "sources/")
    assert result.exit_code == 0, result.output
    assert outputs(newcomer) == ["2024/new.json", "taizhou.json"]
    assert sorted(library_sources(newcomer)) == ["sources/2024/new.txt", "sources/taizhou.txt"]
    # The folder given is inside the source folder: still mirrored from sources/.
    assert invoke("run", "sources/2024").exit_code == 0
    assert outputs(newcomer) == ["2024/new.json", "taizhou.json"]


def test_the_library_lists_a_source_once_when_older_outputs_of_it_lie_elsewhere(newcomer, engines):
    """Outputs an older duizhao wrote to output/new.* for sources/2024/new.txt:
    the library shows the newest, and names the older copy."""
    import os

    assert invoke("run", "sources/2024/new.txt").exit_code == 0
    stale = newcomer / "output" / "new.json"
    stale.write_bytes((newcomer / "output" / "2024" / "new.json").read_bytes())
    os.utime(stale, (1_000_000_000, 1_000_000_000))
    assert invoke("run", "sources/taizhou.txt").exit_code == 0  # rebuilds the library page
    assert sorted(library_sources(newcomer)) == ["sources/2024/new.txt", "sources/taizhou.txt"]
    page = (newcomer / "output" / "index.html").read_text(encoding="utf-8")
    assert "older outputs of this source, not listed: new.json" in page


def test_a_run_from_a_subfolder_finds_the_project_as_git_does(newcomer, engines, monkeypatch):
    """No duizhao.toml: the nearest folder with glossary/ is the project, so the
    run writes its output/, uses its glossary and finds its cache entries."""
    assert invoke("run", "sources/taizhou.txt").exit_code == 0
    monkeypatch.chdir(newcomer / "sources")
    result = invoke("run", "taizhou.txt")
    assert result.exit_code == 0, result.output
    assert not (newcomer / "sources" / "output").exists()
    document = json.loads((newcomer / "output" / "taizhou.json").read_text(encoding="utf-8"))
    assert [Path(g["file"]).name for g in document["glossary"]] == ["terms.tsv"]
    assert "Warning" not in result.output
    last = result.output.splitlines()[-1]
    assert last.startswith("3 sentences: 0 translated, 3 from cache")
    assert last.endswith("→ ../output/taizhou.json, ../output/taizhou.html")
    assert load_config().root == newcomer and load_config().project_file is None


def test_a_duizhao_toml_above_wins_over_a_glossary_folder_below(newcomer, monkeypatch):
    """As git: the nearest duizhao.toml first, whatever glossary/ folders lie between."""
    outer = newcomer.parent
    write(outer, 'output = "all-output"\n')
    config = load_config()
    assert config.root == outer and config.path("output") == outer / "all-output"


def test_a_run_without_any_glossary_says_so_in_one_warning_line(tmp_path, engines, monkeypatch):
    (tmp_path / "loose.txt").write_text("台州的港口很大。\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", "loose.txt", "--cache", str(tmp_path / "c.sqlite3")])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning")]
    assert warnings == ["Warning: no glossary file (glossary/: no .tsv there); glossary terms are not enforced. "
                        "Put .tsv files in glossary/ of the project, or give -g FILE"]
    (tmp_path / "glossary").mkdir()
    (tmp_path / "glossary" / "g.tsv").write_text(HEADER + "台州\tTaizhou\t\t\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "loose.txt", "--cache", str(tmp_path / "c.sqlite3")])
    assert "Warning" not in result.output


def test_paths_in_the_last_line_are_shown_one_way_with_or_without_a_project_file(newcomer, engines):
    without = invoke("run", "sources/taizhou.txt").output.splitlines()[-1]
    write(newcomer, 'output = "output"\nglossary = ["glossary"]\n')
    with_file = invoke("run", "sources/taizhou.txt").output.splitlines()[-1]
    assert without.split(" → ")[1] == with_file.split(" → ")[1] == "output/taizhou.json, output/taizhou.html"
    assert invoke("run", "sources/").output.splitlines()[-3] == "Library: output/index.html"


def test_counts_add_up_and_read_alike_for_one_document_and_a_folder(newcomer, engines):
    """new.txt repeats 港口很新。: each distinct text is translated or taken from the
    cache once, and the repeat is counted as such, so the counts add up."""
    import re

    pattern = re.compile(r"(\d+) sentences?: (\d+) translated, (\d+) from cache(?:, (\d+) repeats?)?")
    one = pattern.match(invoke("run", "sources/2024/new.txt").output.splitlines()[-1])
    assert one.groups() == ("3", "2", "0", "1")
    first = invoke("run", "sources/").output.splitlines()
    again = invoke("run", "sources/").output.splitlines()
    for line in (first[-1], again[-1]):
        assert line.startswith("2 documents written, 0 failed; ")
        total, translated, cached, repeats = (int(n or 0) for n in pattern.search(line).groups())
        assert translated + cached + repeats == total == 6
    assert pattern.search(again[-1]).groups()[1] == "0"
    # The folder's Review line sums the documents' as `check DIR` does at its end.
    review = next(line for line in again if line.startswith("Review: "))
    check = invoke("check", "sources/", "--fail-on", "error")
    assert check.output.splitlines()[-1].startswith(review + "; 0 open at error or worse in 0 of 2 documents")


def test_config_marks_a_setting_whose_file_does_not_exist(newcomer):
    write(newcomer, 'glossary = ["glossary", "shared/terms.tsv"]\n[engine]\nname = "ctranslate2"\n'
                    'model = "../models/nllb"\n')
    result = invoke("config")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert "glossary, shared/terms.tsv (missing)" in rows["glossary"]
    assert "glossary (missing)" not in rows["glossary"]
    assert "../models/nllb (missing)" in rows["engine.model"]
    assert "(missing)" not in rows["output"] + rows["cache"] + rows["sources"]


def test_without_a_source_folder_the_working_directory_is_mirrored_alone_or_with_the_folder(tmp_path, engines,
                                                                                           monkeypatch):
    (tmp_path / "notes" / "2024").mkdir(parents=True)
    (tmp_path / "notes" / "2024" / "a.txt").write_text("台州的港口很大。\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DUIZHAO_CACHE", str(tmp_path / "c.sqlite3"))
    assert invoke("run", "notes/2024/a.txt").exit_code == 0
    assert invoke("run", "notes/").exit_code == 0
    assert sorted(p.relative_to(tmp_path / "output").as_posix() for p in (tmp_path / "output").rglob("*.json")
                  if not p.name.startswith(".")) == ["notes/2024/a.json"]
