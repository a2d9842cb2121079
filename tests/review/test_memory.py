"""The project translation memory: approvals synced from the edits files, exact
matches applied before any engine call (under today's renderings), fuzzy matches
with their differences, an LLM's examples, Xbench's consistency checks, TMX from
and to OmegaT, memoQ and Trados, and the `duizhao tm` and `check` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fakes import FakeEngine
from pipeline.cli import cli
from pipeline.core.model import Sentence
from pipeline.review.edits import APPROVED, Edit, edits_path, write_edits
from pipeline.review.memory import FUZZY_CUTOFF, TranslationMemory, memory_path, source_diff
from pipeline.review.memory_tmx import TmxError, export_tmx, import_tmx, read_tmx
from pipeline.run import run
from pipeline.terms.glossary import load_glossaries
from pipeline.translate.cache import TranslationCache
from pipeline.translate.memory import document_name, english_template, fill_template, memory_key

TMX = Path(__file__).resolve().parents[1] / "data" / "tmx"
SHARED = "台州的大麦屿港很大。"


class Project:
    """Documents in a folder, a glossary, a cache and a memory, run with a fake engine."""

    def __init__(self, folder: Path, glossary: str = "台州\tTaizhou\n大麦屿港\tDamaiyu Port\n"):
        self.folder = folder
        self.glossary = folder / "g.tsv"
        self.glossary.write_text("zh\ten\n" + glossary, encoding="utf-8")
        self.cache_path = folder / "c.sqlite3"
        self.memory = TranslationMemory(memory_path(self.cache_path))
        self.engine = FakeEngine()

    def source(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path

    def run(self, source: Path):
        with TranslationCache(self.cache_path) as cache:
            return run(source, self.folder / "out", lambda: self.engine, cache, glossaries=[self.glossary],
                       memory=self.memory).document

    def approve(self, source: Path, english: dict[str, str] | None = None) -> None:
        """Approve every sentence of ``source`` (with ``english`` for some: post-edits)."""
        document = self.run(source)
        rows = [Edit(s.text, s.translation, (english or {}).get(s.text, ""), 0, (), APPROVED)
                for s in document.sentences()]
        write_edits(edits_path(source), rows, str(source))


@pytest.fixture
def project(tmp_path):
    project = Project(tmp_path)
    yield project
    project.memory.close()


def test_approvals_go_into_the_memory_and_a_second_document_takes_them_without_an_engine_call(project):
    first = project.source("a.txt", f"{SHARED}港口很新。\n\n今年很好。\n")
    project.approve(first, {SHARED: "Taizhou's Damaiyu Port is big."})
    document = project.run(first)  # the run syncs the approvals
    assert [s.approved for s in document.sentences()] == [True, True, True]
    assert project.memory.stats()["approved"] == 3
    second = project.source("b.txt", f"{SHARED}一个新的句子。\n")
    project.engine.calls.clear()
    document = project.run(second)
    shared, new = document.sentences()
    assert project.engine.calls == [new.simplified]  # the approved sentence was never sent
    assert shared.translation == "Taizhou's Damaiyu Port is big." and shared.approved
    assert shared.memory["document"] == document_name(first) and shared.memory["match"] == "exact"
    assert [(f.code, f.severity) for f in shared.flags] == [("tm-exact", "info")]
    assert "approved in a.txt" in shared.flags[0].message
    assert document.stats["memory_exact"] == 1 and not new.approved
    data = json.loads((project.folder / "out" / "b.json").read_text(encoding="utf-8"))
    assert data["blocks"][0]["sentences"][0]["memory"]["document"] == document_name(first)
    # the memory's approval is not the second document's own: nothing of b.txt goes in
    assert {u.document for u in project.memory.units()} == {document_name(first)}


def test_an_exact_match_takes_todays_rendering_and_a_sentence_differing_only_in_its_terms(project):
    first = project.source("a.txt", f"{SHARED}\n")
    project.approve(first, {SHARED: "Taizhou's Damaiyu Port is big."})
    project.run(first)
    (unit,) = project.memory.units()
    assert unit.template == "⟦T0⟧'s ⟦T1⟧ is big." and unit.key == "⟦T0⟧的⟦T1⟧很大。"
    project.glossary.write_text("zh\ten\n台州\tTaizhou City\n大麦屿港\tDamaiyu Harbour\n宁波\tNingbo\n",
                                encoding="utf-8")
    second = project.source("b.txt", f"{SHARED}\n\n宁波的大麦屿港很大。\n")
    project.engine.calls.clear()
    one, two = project.run(second).sentences()
    assert project.engine.calls == []
    assert one.translation == "Taizhou City's Damaiyu Harbour is big."
    assert two.translation == "Ningbo's Damaiyu Harbour is big."


def test_a_template_is_made_only_when_every_rendering_can_be_told_apart():
    glossary = load_glossaries([])
    sentence = Sentence("台州和台州", "台州和台州")
    from pipeline.terms.glossary import Entry, Glossary, annotate_terms

    annotate_terms([sentence], Glossary([Entry("台州", "Taizhou", "", (), "g.tsv", 2)]))
    assert english_template("Taizhou and Taizhou", sentence) is None  # two terms, one rendering
    annotate_terms([sentence], glossary)
    assert memory_key(sentence) == "台州和台州"
    other = Sentence("台州的港", "台州的港")
    annotate_terms([other], Glossary([Entry("台州", "Taizhou", "", (), "g.tsv", 2)]))
    assert english_template("The port of Taizhou", other) == "The port of ⟦T0⟧"
    assert english_template("The port", other) is None  # the rendering was dropped by the reviewer
    assert fill_template("⟦T0⟧ has a port", other) == "Taizhou has a port"
    assert fill_template("⟦T1⟧ has a port", other) is None


def test_a_documents_own_edit_keeps_its_engine_translation(project):
    second = project.source("b.txt", f"{SHARED}\n")
    machine = project.run(second).sentences()[0].translation
    first = project.source("a.txt", f"{SHARED}\n")
    project.approve(first, {SHARED: "Approved in a."})
    project.run(first)
    assert project.run(second).sentences()[0].translation == "Approved in a."
    # b's reviewer edits the sentence against the engine's English: the memory stays out of it
    write_edits(edits_path(second), [Edit(SHARED, machine, "Edited in b.", 0)], str(second))
    (sentence,) = project.run(second).sentences()
    assert sentence.translation == "Edited in b." and sentence.memory is None and not sentence.approved
    assert not [f for f in sentence.flags if f.code in ("edit-stale", "tm-exact")]


def test_withdrawn_approvals_leave_the_memory(project):
    first = project.source("a.txt", f"{SHARED}港口很新。\n")
    project.approve(first)
    project.run(first)
    assert len(project.memory.units()) == 2
    edits_path(first).unlink()
    project.run(first)
    assert project.memory.units() == []


def test_fuzzy_matches_start_at_75_percent_and_show_the_source_differences(project):
    first = project.source("a.txt", "台州港的集装箱吞吐量突破了五十万箱。\n\n完全不同的另一句话在这里。\n")
    project.approve(first, {"台州港的集装箱吞吐量突破了五十万箱。": "Taizhou's container throughput passed 500,000."})
    project.run(first)
    (match,) = project.memory.fuzzy("台州港的集装箱吞吐量突破了六十万箱。")
    assert FUZZY_CUTOFF <= match.score < 100 and match.english == "Taizhou's container throughput passed 500,000."
    assert [d for d in match.diff if d[0] != "="] == [("-", "五"), ("+", "六")]
    assert "".join(t for op, t in match.diff if op != "+") == match.source
    assert project.memory.fuzzy("港口很新，今年很好，明天更好。") == []
    # a sentence's own approval is no suggestion for itself
    assert project.memory.fuzzy("完全不同的另一句话在这里。", document=document_name(first)) == []
    assert source_diff("甲乙丙", "甲丁丙") == (("=", "甲"), ("-", "乙"), ("+", "丁"), ("=", "丙"))


def test_consistency_finds_one_source_with_two_translations_and_one_translation_for_two_sources(project):
    a = project.source("a.txt", "今年很好。\n\n港口很新。\n")
    b = project.source("b.txt", "今年很好。\n\n港口很大。\n")
    project.approve(a, {"今年很好。": "This year was good.", "港口很新。": "The port is new."})
    project.approve(b, {"今年很好。": "A good year.", "港口很大。": "The port is new."})
    project.run(a)
    project.run(b)
    issues = {(i.kind, i.text): i for i in project.memory.consistency()}
    source = issues[("source", "今年很好。")]
    assert sorted(source.variants) == [("A good year.", [document_name(b)]), ("This year was good.", [document_name(a)])]
    target = issues[("target", "The port is new.")]
    assert sorted(t for t, _ in target.variants) == ["港口很大。", "港口很新。"]
    assert "in a.txt" in source.line()
    assert project.memory.consistency([document_name(a)]) == []  # within one document: nothing


@pytest.mark.parametrize("name, pairs", [
    ("omegat.tmx", [("台州的港口很大。", "Taizhou's port is large.", "2024-03-11T09:30:15Z"),
                    ("民营经济是台州的金名片。", "The private economy is Taizhou's calling card.", "2024-03-12T10:15:00Z"),
                    ("今年很好。", "This year was good.", "2024-03-13T08:00:00Z")]),
    ("omegat-level2.tmx", [("港口很新。", "The port is new.", "2024-04-01T12:00:00Z")]),
    ("memoq.tmx", [("台州增长了50万。", "Taizhou grew by 500,000.", "2024-03-06T08:15:00Z"),
                   ("加快建设现代化港口城市。", "Speed up building a modern port city.", "2024-03-07T08:15:00Z")]),
    ("trados.tmx", [("大麦屿港是深水良港。", "Damaiyu Port is a deep-water harbour.", "2024-02-02T09:10:11Z"),
                    ("來自臺灣的客商很多。", "Many traders come from Taiwan.", "2024-02-01T08:05:00Z")]),
], ids=["omegat", "omegat-level2", "memoq", "trados-utf16"])
def test_tmx_files_of_cat_tools_are_read_without_their_inline_codes(name, pairs):
    assert [(p.zh, p.en, p.date) for p in read_tmx(TMX / name)] == pairs


def test_imported_units_are_exact_matches_keyed_with_todays_glossary(project):
    glossary = load_glossaries([project.glossary])
    result = import_tmx(project.memory, TMX / "trados.tmx", glossary)
    assert (result.added, result.replaced, result.unchanged) == (2, 0, 0)
    again = import_tmx(project.memory, TMX / "trados.tmx", glossary)
    assert (again.added, again.unchanged) == (0, 2)
    units = {u.source: u for u in project.memory.units()}
    assert units["大麦屿港是深水良港。"].template == "⟦T0⟧ is a deep-water harbour."
    assert "来自台湾的客商很多。" in units  # a Traditional source is kept in Simplified form
    document = project.run(project.source("doc.txt", "大麦屿港是深水良港。\n"))
    (sentence,) = document.sentences()
    assert sentence.translation == "Damaiyu Port is a deep-water harbour." and project.engine.calls == []
    assert sentence.memory["document"] == "tmx:trados.tmx"
    assert project.memory.consistency() == []  # imports are references, not the project's approvals


def test_export_then_import_gives_the_same_units_and_never_replaces_a_file_duizhao_did_not_write(project, tmp_path):
    first = project.source("a.txt", f"{SHARED}港口很新。\n")
    project.approve(first, {SHARED: 'Taizhou\'s "big" port & <more>'})
    project.run(first)
    out = tmp_path / "export.tmx"
    assert export_tmx(project.memory, out) == 2
    pairs = read_tmx(out)
    assert ('台州的大麦屿港很大。', 'Taizhou\'s "big" port & <more>') in [(p.zh, p.en) for p in pairs]
    with TranslationMemory(tmp_path / "other.sqlite3") as other:
        import_tmx(other, out, load_glossaries([project.glossary]))
        assert sorted((u.key, u.english, u.template) for u in other.units()) == \
            sorted((u.key, u.english, u.template) for u in project.memory.units())
    assert export_tmx(project.memory, out) == 2  # its own file: replaced
    foreign = tmp_path / "theirs.tmx"
    foreign.write_text("<tmx version='1.4'><header creationtool='memoQ'/><body/></tmx>", encoding="utf-8")
    with pytest.raises(TmxError, match="not written by duizhao"):
        export_tmx(project.memory, foreign)
    assert "memoQ" in foreign.read_text(encoding="utf-8")


@pytest.mark.parametrize("content, problem", [
    (b"<tmx><body><tu>", "not well-formed XML"),
    (b"<xliff/>", "not <tmx>"),
    (b"<tmx version='1.4'><body><tu><tuv xml:lang='zh'><seg>x</seg></tuv></tu></body></tmx>", "nothing imported"),
], ids=["broken", "not-tmx", "no-pairs"])
def test_a_bad_tmx_file_is_one_line_naming_it(project, tmp_path, content, problem):
    path = tmp_path / "bad.tmx"
    path.write_bytes(content)
    with pytest.raises(TmxError, match=problem) as caught:
        import_tmx(project.memory, path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_an_llm_is_shown_similar_approvals_as_examples_and_they_are_part_of_the_cache_key(project):
    from pipeline.testing.llm import FakeLLM
    from pipeline.translate.engines.openai import OpenAIEngine

    first = project.source("a.txt", "台州港的集装箱吞吐量突破了五十万箱。\n")
    project.approve(first, {"台州港的集装箱吞吐量突破了五十万箱。": "Throughput at Taizhou's port passed 500,000 boxes."})
    project.run(first)
    second = project.source("b.txt", "台州港的集装箱吞吐量突破了六十万箱。\n")
    with FakeLLM() as llm:
        engine = OpenAIEngine(base_url=llm.url, model="test-model")
        project.engine = engine
        project.run(second)
        (asked,) = llm.chat_requests
        assert "Chinese: 台州港的集装箱吞吐量突破了五十万箱。" in asked.prompt
        assert "English: Throughput at Taizhou's port passed 500,000 boxes." in asked.prompt
        assert asked.text == "台州港的集装箱吞吐量突破了六十万箱。"
        project.run(second)
        assert len(llm.chat_requests) == 1  # nothing changed: from the cache
        edits_path(first).unlink()  # the example is withdrawn: another request, another cache key
        project.run(first)  # (its own sentence, asked of the LLM now too)
        project.run(second)
        last = llm.chat_requests[-1]
        assert len(llm.chat_requests) == 3 and last.text == asked.text and "Chinese:" not in last.prompt


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_tm_commands_import_export_and_stats(project, tmp_path):
    memory = project.memory.path
    result = invoke("tm", "import", TMX / "memoq.tmx", "--memory", memory, "-g", project.glossary)
    assert result.exit_code == 0 and f"{memory}: 2 added, 0 replaced, 0 unchanged" in result.output
    result = invoke("tm", "stats", "--memory", memory)
    assert "Units: 2 (2 distinct sources): 0 approved in 0 documents, 2 imported" in result.output
    assert "memoq.tmx: 2" in result.output
    stats = json.loads(invoke("tm", "stats", "--memory", memory, "--json").output)
    assert stats["units"] == 2 and stats["imported"] == {"tmx:memoq.tmx": 2}
    result = invoke("tm", "export", "-o", tmp_path / "out.tmx", "--memory", memory, "--source-lang", "zh-Hans")
    assert result.exit_code == 0 and "Wrote 2 units" in result.output
    assert 'srclang="zh-Hans"' in (tmp_path / "out.tmx").read_text(encoding="utf-8")
    bad = CliRunner().invoke(cli, ["tm", "import", str(TMX / "missing.tmx"), "--memory", str(memory)])
    assert bad.exit_code == 2  # click: no such file


def test_check_dir_lists_the_projects_consistency_problems(project, monkeypatch):
    import pipeline.translate.engines.settings

    monkeypatch.setattr(pipeline.translate.engines.settings, "build_engine", lambda settings, **kw: project.engine)
    folder = project.folder / "docs"
    folder.mkdir()
    a = folder / "a.txt"
    b = folder / "b.txt"
    a.write_text("今年很好。\n", encoding="utf-8")
    b.write_text("今年很好。\n", encoding="utf-8")
    project.approve(a, {"今年很好。": "This year was good."})
    write_edits(edits_path(b), [Edit("今年很好。", "word word.", "A good year.", 0, (), APPROVED)], str(b))
    monkeypatch.chdir(project.folder)
    result = CliRunner().invoke(cli, ["check", str(folder), "-g", str(project.glossary), "--cache",
                                      str(project.cache_path)])
    lines = [line for line in result.output.splitlines() if line.startswith("project:")]
    assert len(lines) == 1 and "inconsistent-translation: 今年很好。 is approved as" in lines[0]
    assert "'A good year.' in b.txt" in lines[0] and "'This year was good.' in a.txt" in lines[0]
    assert result.exit_code == 1
    passing = CliRunner().invoke(cli, ["check", str(folder), "-g", str(project.glossary), "--cache",
                                       str(project.cache_path), "--fail-on", "error"])
    assert passing.exit_code == 0


def test_the_memory_is_a_setting_of_the_project_file(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "duizhao.toml").write_text('memory = "tm/project.sqlite3"\n', encoding="utf-8")
    monkeypatch.chdir(project)
    shown = invoke("config")
    assert [line.split() for line in shown.output.splitlines() if line.startswith("memory ")] == [
        ["memory", "tm/project.sqlite3", f"{project / 'duizhao.toml'}:1"]]
    stats = json.loads(invoke("tm", "stats", "--json").output)
    assert stats["path"] == str(project / "tm" / "project.sqlite3") and stats["units"] == 0
    assert json.loads(invoke("tm", "stats", "--json", "--memory", tmp_path / "x.sqlite3").output)["path"] == \
        str(tmp_path / "x.sqlite3")
