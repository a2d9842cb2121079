"""Post-edits: applied by source text, surviving reruns and layout changes,
orphans reported, stale edits flagged, glossary terms checked."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import pipeline.translate.engines.settings
from fakes import FakeEngine
from pipeline.translate.cache import TranslationCache
from pipeline.cli import cli
from pipeline.review.edits import Edit, EditsError, edits_path, read_edits, write_edits
from pipeline.run import run

TEXT = "台州很美。临海也很美。\n\n大麦屿港很大。\n\n玉环在海边。\n"


class VersionedEngine(FakeEngine):
    def mangle(self, text):
        return f"{text} v{self.version}"


def write_source(tmp_path, text=TEXT):
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8")
    return path


def write_glossary(tmp_path, body="大麦屿港\tDamaiyu Port\n"):
    path = tmp_path / "g.tsv"
    path.write_text("zh\ten\tnote\tvariants\n" + body, encoding="utf-8")
    return path


def do_run(tmp_path, source, engine=None, glossary=None):
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        return run(source, tmp_path / "out", lambda: engine or FakeEngine(), cache,
                   glossaries=[glossary or write_glossary(tmp_path)]).document


def by_text(document):
    return {s.text: s for s in document.sentences()}


def test_edits_file_round_trips_tabs_newlines_and_backslashes(tmp_path):
    path = tmp_path / "doc.edits.tsv"
    edits = [Edit("台州很美。", "word.", "Taizhou is\tbeautiful\\\nreally.", 0)]
    write_edits(path, edits, "doc.txt")
    read = read_edits(path)
    assert read["台州很美。"].english == "Taizhou is\tbeautiful\\\nreally."
    assert path.read_text(encoding="utf-8").splitlines()[0] == "# duizhao edits for doc.txt"


def test_bad_edits_file_names_file_and_line(tmp_path):
    path = tmp_path / "doc.edits.tsv"
    path.write_text("source\tmachine\tenglish\n台州很美。\tx\n", encoding="utf-8")
    with pytest.raises(EditsError, match=r"doc.edits.tsv:2: 2 columns, expected 3"):
        read_edits(path)
    path.write_text("a\tb\n", encoding="utf-8")
    with pytest.raises(EditsError, match=r"doc.edits.tsv:1: the first row must be the header"):
        read_edits(path)


def test_edit_replaces_the_translation_keeps_the_machine_output_and_is_marked(tmp_path):
    source = write_source(tmp_path)
    machine = by_text(do_run(tmp_path, source))["临海也很美。"].translation
    write_edits(edits_path(source), [Edit("临海也很美。", machine, "Linhai is lovely too.", 0)])
    document = do_run(tmp_path, source)
    edited = by_text(document)["临海也很美。"]
    assert (edited.translation, edited.machine, edited.edited) == ("Linhai is lovely too.", machine, True)
    assert [f.code for f in edited.flags] == []
    assert not by_text(document)["台州很美。"].edited
    data = json.loads((tmp_path / "out" / "doc.json").read_text(encoding="utf-8"))
    sentence = data["blocks"][0]["sentences"][1]
    assert sentence["translation"] == "Linhai is lovely too." and sentence["edited"] is True
    assert data["edits"] == {"file": str(edits_path(source)), "applied": 1, "orphaned": []}


def test_edit_survives_a_layout_change(tmp_path):
    source = write_source(tmp_path)
    write_edits(edits_path(source), [Edit("玉环在海边。", "", "Yuhuan lies by the sea.", 0)])
    source.write_text("新的标题\n\n前面加了一段。\n\n" + TEXT.replace("\n\n玉环", "\n\n\n\n玉环"), encoding="utf-8")
    document = do_run(tmp_path, source)
    assert by_text(document)["玉环在海边。"].translation == "Yuhuan lies by the sea."
    assert document.edits["applied"] == 1


def test_edit_whose_source_changed_is_orphaned_not_misapplied(tmp_path):
    source = write_source(tmp_path)
    write_edits(edits_path(source), [Edit("玉环在海边。", "", "Yuhuan lies by the sea.", 0)])
    source.write_text(TEXT.replace("玉环在海边。", "玉环在东海边。"), encoding="utf-8")
    before = edits_path(source).read_bytes()
    document = do_run(tmp_path, source)
    assert all(not s.edited for s in document.sentences())
    assert "Yuhuan lies by the sea." not in [s.translation for s in document.sentences()]
    (orphan,) = document.edits["orphaned"]
    assert orphan == {"source": "玉环在海边。", "english": "Yuhuan lies by the sea.", "line": 2,
                      "closest": "玉环在东海边。"}
    assert edits_path(source).read_bytes() == before


def test_edit_made_against_an_older_machine_output_is_flagged(tmp_path):
    source = write_source(tmp_path)
    old = by_text(do_run(tmp_path, source, VersionedEngine("1")))["台州很美。"].translation
    write_edits(edits_path(source), [Edit("台州很美。", old, "Taizhou is beautiful.", 0)])
    unchanged = by_text(do_run(tmp_path, source, VersionedEngine("1")))["台州很美。"]
    assert unchanged.flags == []
    changed = by_text(do_run(tmp_path, source, VersionedEngine("2")))["台州很美。"]
    assert changed.translation == "Taizhou is beautiful."
    assert [f.code for f in changed.flags] == ["edit-stale"]
    assert changed.edited_against == old
    assert old in changed.flags[0].message and changed.machine in changed.flags[0].message


def test_glossary_terms_in_edits_are_checked(tmp_path):
    source = write_source(tmp_path)
    write_edits(edits_path(source), [Edit("大麦屿港很大。", "", "The Damaiyu harbour is big.", 0)])
    sentence = by_text(do_run(tmp_path, source))["大麦屿港很大。"]
    assert [f.code for f in sentence.flags] == ["term-missing"]
    assert "大麦屿港 → Damaiyu Port" in sentence.flags[0].message
    write_edits(edits_path(source), [Edit("大麦屿港很大。", "", "Damaiyu Port is big.", 0)])
    assert by_text(do_run(tmp_path, source))["大麦屿港很大。"].flags == []


@pytest.fixture
def fake_engine(monkeypatch):
    monkeypatch.setattr(pipeline.translate.engines.settings, "build_engine", lambda settings, **kwargs: FakeEngine())


def test_run_reports_applied_and_orphaned_edits(tmp_path, fake_engine):
    source = write_source(tmp_path)
    write_edits(edits_path(source), [
        Edit("台州很美。", "", "Taizhou is beautiful.", 0),
        Edit("杭州很美。", "", "Hangzhou is beautiful.", 0),
    ])
    result = CliRunner().invoke(cli, ["run", str(source), "-o", str(tmp_path / "out"), "-g",
                                      str(write_glossary(tmp_path)), "--cache", str(tmp_path / "c.sqlite3")])
    assert result.exit_code == 0, result.output
    assert f"{edits_path(source)}:3: orphaned edit, no sentence reads '杭州很美。' any more" in result.output
    assert "1 post-edit applied, 1 orphaned" in result.output.splitlines()[-1]


def test_edits_import_merges_into_the_file_beside_the_source(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sources").mkdir()
    source = tmp_path / "sources" / "doc.txt"
    source.write_text(TEXT, encoding="utf-8")
    write_edits(edits_path(source), [Edit("台州很美。", "", "Old.", 0), Edit("玉环在海边。", "", "Kept.", 0)], "doc")
    download = tmp_path / "doc.edits (1).tsv"
    write_edits(download, [Edit("台州很美。", "m", "New.", 0), Edit("临海也很美。", "m", "Added.", 0)], "sources/doc.txt")
    result = CliRunner().invoke(cli, ["edits", "import", str(download)])
    assert result.exit_code == 0, result.output
    assert "1 edit added, 1 replaced" in result.output
    merged = read_edits(edits_path(source))
    assert {k: e.english for k, e in merged.items()} == {"台州很美。": "New.", "玉环在海边。": "Kept.", "临海也很美。": "Added."}


@pytest.mark.parametrize("where", ["sources", "sources/2024", "elsewhere"])
def test_edits_import_finds_the_source_from_anywhere_in_the_project(tmp_path, monkeypatch, where):
    """The saved file names the source as the run was given it (from the project
    folder); imported from a subfolder, it still lands beside that source."""
    (tmp_path / "duizhao.toml").write_text('sources = "texts"\n', encoding="utf-8")
    (tmp_path / "texts" / "2024").mkdir(parents=True)
    source = tmp_path / "texts" / "2024" / "doc.txt"
    source.write_text(TEXT, encoding="utf-8")
    download = tmp_path / "doc.edits.tsv"
    write_edits(download, [Edit("台州很美。", "m", "New.", 0)], "texts/2024/doc.txt" if where != "elsewhere" else
                "/gone/machine/doc.txt")  # a file saved on another machine: found by name in the source folder
    if where == "elsewhere":
        (tmp_path / "texts" / "2024" / "doc.txt").rename(tmp_path / "texts" / "doc.txt")
        source = tmp_path / "texts" / "doc.txt"
    folder = tmp_path / where.replace("sources", "texts") if where != "elsewhere" else tmp_path / "texts"
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(cli, ["edits", "import", str(download)])
    assert result.exit_code == 0, result.output
    assert read_edits(edits_path(source))["台州很美。"].english == "New."


def test_edits_import_without_a_named_source_asks_for_one(tmp_path):
    download = tmp_path / "x.tsv"
    write_edits(download, [Edit("台州很美。", "m", "New.", 0)])
    result = CliRunner().invoke(cli, ["edits", "import", str(download)])
    assert result.exit_code == 1 and "give --source SOURCE" in result.output


def test_a_line_separator_inside_a_sentence_does_not_split_its_row(tmp_path):
    source = write_source(tmp_path, "台州\u2028很美。\n\n玉环在海边。\n")
    write_edits(edits_path(source), [Edit("台州\u2028很美。", "", "Taizhou is beautiful.", 0)])
    assert by_text(do_run(tmp_path, source))["台州\u2028很美。"].translation == "Taizhou is beautiful."


FLAGGED = "增长了50万。\n\n台州很美。\n"


def test_resolved_marks_hold_while_the_english_they_were_made_for_stays(tmp_path):
    source = write_source(tmp_path, FLAGGED)
    sentence = by_text(do_run(tmp_path, source, VersionedEngine("1")))["增长了50万。"]
    assert [f.code for f in sentence.flags] == ["number-mismatch"] and not sentence.flags[0].resolved
    write_edits(edits_path(source), [Edit("增长了50万。", sentence.translation, "", 0, ("number-mismatch",))])
    assert edits_path(source).read_text(encoding="utf-8").splitlines()[0] == "source\tmachine\tenglish\tresolved"
    document = do_run(tmp_path, source, VersionedEngine("1"))
    (flag,) = by_text(document)["增长了50万。"].flags
    assert flag.resolved and flag.to_json()["resolved"] is True
    assert document.edits == {"file": str(edits_path(source)), "applied": 0, "orphaned": []}  # no edit, no orphan
    assert not by_text(document)["增长了50万。"].edited
    (flag,) = by_text(do_run(tmp_path, source, VersionedEngine("2")))["增长了50万。"].flags
    assert not flag.resolved  # resolved for an English the sentence no longer has


def test_resolved_marks_on_an_edit_and_on_a_block(tmp_path):
    source = write_source(tmp_path, "增长了50万。\n\n台州\ufffd很美。\n")
    machine = by_text(do_run(tmp_path, source))["增长了50万。"].translation
    write_edits(edits_path(source), [
        Edit("增长了50万。", machine, "It grew by 50 ten thousand.", 0, ("number-mismatch",)),
        Edit("台州\ufffd很美。", "", "", 0, ("replacement-char",)),
    ])
    document = do_run(tmp_path, source)
    grew = by_text(document)["增长了50万。"]
    assert grew.edited and [(f.code, f.resolved) for f in grew.flags] == [("number-mismatch", True)]
    block = document.blocks[1]
    assert [(f.code, f.resolved) for f in block.flags] == [("replacement-char", True)]
    # the block's mark says nothing of the sentence's English: its own flag stays open
    assert [(f.code, f.resolved) for f in block.sentences[0].flags] == [("replacement-char", False)]


@pytest.mark.parametrize("row, problem", [
    ("台州很美。\tm\t\n", "doc.edits.tsv:2: empty source or english"),
    ("\tm\tx\n", "doc.edits.tsv:2: empty source or english"),
], ids=["no-english-without-resolved-column", "no-source"])
def test_a_row_without_english_needs_the_resolved_column(tmp_path, row, problem):
    path = tmp_path / "doc.edits.tsv"
    path.write_text("source\tmachine\tenglish\n" + row, encoding="utf-8")
    with pytest.raises(EditsError, match=problem):
        read_edits(path)
    path.write_text("source\tmachine\tenglish\tresolved\n台州很美。\tm\t\t\n", encoding="utf-8")
    assert read_edits(path)["台州很美。"] == Edit("台州很美。", "m", "", 2, ())


# ---- approvals and the lock (the review workspace writes them) ---------------------------


def test_approvals_are_a_status_column_and_hold_for_the_english_approved(tmp_path):
    source = write_source(tmp_path)
    engine = VersionedEngine("1")
    first, second, third = [s for s in do_run(tmp_path, source, engine).sentences()][:3]
    rows = [Edit(first.text, first.translation, "", 0, (), "approved"),  # the machine output approved
            Edit(second.text, second.translation, "An approved post-edit.", 0, (), "approved"),
            Edit(third.text, third.translation, "A draft post-edit.", 0)]
    write_edits(edits_path(source), rows, str(source))
    text = edits_path(source).read_text(encoding="utf-8")
    assert text.splitlines()[1] == "source\tmachine\tenglish\tstatus"
    assert {e.source: (e.english, e.status) for e in read_edits(edits_path(source)).values()} == {
        first.text: ("", "approved"), second.text: ("An approved post-edit.", "approved"),
        third.text: ("A draft post-edit.", "")}
    document = do_run(tmp_path, source, engine)
    assert [s.approved for s in document.sentences()][:3] == [True, True, False]
    data = json.loads((tmp_path / "out" / "doc.json").read_text(encoding="utf-8"))
    assert [s.get("approved", False) for b in data["blocks"] for s in b["sentences"]][:3] == [True, True, False]
    # a new machine translation: the approval of the old one lapses, the post-edit's holds
    document = do_run(tmp_path, source, VersionedEngine("2"))
    assert [s.approved for s in document.sentences()][:3] == [False, True, False]


def test_a_bad_status_is_named_with_its_line(tmp_path):
    path = tmp_path / "x.edits.tsv"
    path.write_text("source\tmachine\tenglish\tstatus\n台州很美。\tx\ty\tdone\n", encoding="utf-8")
    with pytest.raises(EditsError, match=r"x.edits.tsv:2: status 'done': write approved or leave it empty"):
        read_edits(path)


def test_the_edits_lock_makes_writers_take_turns(tmp_path):
    import threading
    import time

    from pipeline.review.edits import locked_edits

    path = tmp_path / "doc.edits.tsv"
    order: list[str] = []
    entered = threading.Event()

    def hold() -> None:
        with locked_edits(path):
            order.append("first in")
            entered.set()
            time.sleep(0.3)
            order.append("first out")

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait()
    with locked_edits(path):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]


def test_import_counts_edits_and_resolved_flags_apart(tmp_path, monkeypatch):
    """An edit (a flag on it resolved too) and two rows that only mark a flag resolved:
    one edit, three flags, never "3 edits"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "doc.txt").write_text("台州很美。\n\n玉环在海边。\n\n临海也很美。\n", encoding="utf-8")
    download = tmp_path / "doc.edits.tsv"
    write_edits(download, [Edit("台州很美。", "m", "New.", 0, ("number-mismatch",)),
                           Edit("玉环在海边。", "m", "", 0, ("untranslated",)),
                           Edit("临海也很美。", "m", "", 0, ("term-missing",))], "sources/doc.txt")
    result = CliRunner().invoke(cli, ["edits", "import", str(download)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("sources/doc.edits.tsv: 1 edit added, 0 replaced, 3 flags marked resolved; "
                                     "`duizhao run sources/doc.txt` applies them")
