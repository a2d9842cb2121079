"""Every TSV duizhao writes reads back as written (issue 31, class 2).

The edits file (post-edits and resolved review marks) escapes its cells; the
escaping is an exact bijection, and files written before it was exact read the
same. A glossary has no escapes, so a row is written only when it reads back as
given, and otherwise refused (or, on import, skipped) with the reason.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.review.edits import Edit, escape_cell, format_edits, read_edits, unescape_cell
from pipeline.terms.glossary import GlossaryError, add_entry, load_glossaries

from .conftest import assert_clean_error, duizhao

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")

#: Any text at all, lone surrogates (undecodable bytes of a name) included, with
#: the characters the escaping is about made likely.
ANY_TEXT = st.text(st.one_of(st.characters(codec=None), st.sampled_from("\\\t\n\r#ntr\ud800\udcb5\u2028")),
                   max_size=40)


def saved(project, rows, source="sources/doc.txt"):
    """An edits file as the reader's Save edits writes it (its escapes, a leading # too)."""
    path = project / "saved.edits.tsv"
    path.write_text(format_edits([Edit(*row, 0) for row in rows], source), encoding="utf-8")
    return path


def english(project):
    data = json.loads((project / "output" / "doc.json").read_text(encoding="utf-8"))
    return [s["translation"] for b in data["blocks"] for s in b["sentences"]]


@survives
def test_an_approved_english_with_backslashes_survives_import_and_run(project):
    """``C:\\new\\temp`` once came back with a newline and a tab in it."""
    download = saved(project, [("台州港口很大。", "x", r"Save to C:\new\temp and \\server\share.")])
    assert duizhao("edits", "import", download, cwd=project).returncode == 0
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert result.returncode == 0 and "1 post-edit applied" in result.stdout, result.stderr
    assert english(project)[0] == r"Save to C:\new\temp and \\server\share."


@survives
def test_importing_again_changes_nothing(project):
    """Each import once added backslashes; now the merged file is a fixed point."""
    download = saved(project, [("台州港口很大。", "x", "C:\\temp\\n\\t\tend\\")])
    merged = project / "sources" / "doc.edits.tsv"
    assert duizhao("edits", "import", download, cwd=project).returncode == 0
    first = merged.read_bytes()
    copy = project / "copy.tsv"
    for _ in range(3):
        copy.write_bytes(merged.read_bytes())
        assert duizhao("edits", "import", copy, cwd=project).returncode == 0
    assert merged.read_bytes() == first
    assert read_edits(merged)["台州港口很大。"].english == "C:\\temp\\n\\t\tend\\"


@survives
@pytest.mark.parametrize("sentence", ["路径是C:\\temp。", "#台州#很美。", "标签\\n不是换行。"],
                         ids=["backslash", "hashtag-first", "backslash-n"])
def test_a_source_sentence_with_a_backslash_or_a_leading_hash_matches_its_edit(project, sentence):
    (project / "sources" / "doc.txt").write_text(f"{sentence}\n\n台州很美,我们在东边。\n", encoding="utf-8")
    download = saved(project, [(sentence, "x", "The reviewer's English.")])
    text = download.read_text(encoding="utf-8")
    assert ("\n\\#" in text) == sentence.startswith("#")  # never a comment line
    assert duizhao("edits", "import", download, cwd=project).returncode == 0
    result = duizhao("run", "sources/doc.txt", cwd=project)
    assert result.returncode == 0 and "1 post-edit applied" in result.stdout and "orphaned" not in result.stdout
    assert english(project)[0] == "The reviewer's English."


@survives
def test_files_the_old_escaping_wrote_read_the_same(project):
    """The old writer escaped \\ \\t \\n only, and wrote a source starting with # as it
    was: such a row (as wide as the header) is an edit, not a comment."""
    old = project / "sources" / "doc.edits.tsv"
    old.write_text("# duizhao edits for sources/doc.txt\nsource\tmachine\tenglish\n"
                   "台州港口很大。\tx\tPort\\tof\\nTaizhou, C:\\\\new\n"
                   "# a comment of the reviewer's\n"
                   "#台州很美,我们在东边。\tx\tHashtag row\n", encoding="utf-8")
    edits = read_edits(old)
    assert edits["台州港口很大。"].english == "Port\tof\nTaizhou, C:\\new"
    assert edits["#台州很美,我们在东边。"].english == "Hashtag row"
    assert len(edits) == 2


@clean_error
@pytest.mark.parametrize(("args", "problem"), [
    (("#话题", "topic"), "would start with #"),
    (("台州", "Tai\tzhou"), "holds a tab"),
    (("台州", "Taizhou", "--note", "line one\nline two"), "holds a tab, a line break"),
    (("台州", "Taizhou", "--note", "carriage\rreturn"), "holds a tab, a line break"),
    (("台州", "Taizhou", "--variants", "臺州|| 台州 |"), None),  # normalised: written, reads back
], ids=["leading-hash", "tab", "newline", "carriage-return", "variants-normalised"])
def test_glossary_add_writes_only_what_reads_back(tmp_path, args, problem):
    glossary = tmp_path / "glossary" / "g.tsv"
    glossary.parent.mkdir()
    glossary.write_text("zh\ten\tnote\tvariants\n临海\tLinhai\t\t\n", encoding="utf-8")
    before = glossary.read_bytes()
    result = duizhao("glossary", "add", *args, "--file", glossary, cwd=tmp_path)
    if problem is None:
        assert result.returncode == 0, result.stderr
        (entry,) = [e for e in load_glossaries([glossary]).entries if e.zh == "台州"]
        assert entry.variants == ("臺州", "台州")
        return
    assert_clean_error(result, str(glossary), problem)
    assert glossary.read_bytes() == before


@clean_error
def test_a_termbase_term_that_cannot_be_a_glossary_row_is_skipped_with_the_reason(tmp_path):
    tbx = tmp_path / "terms.tbx"
    tbx.write_text(
        '<?xml version="1.0"?><tbx xmlns="urn:iso:std:iso:30042:ed-2"><text><body>'
        '<conceptEntry id="a"><langSec xml:lang="zh"><termSec><term>#话题</term></termSec></langSec>'
        '<langSec xml:lang="en"><termSec><term>topic</term></termSec></langSec></conceptEntry>'
        '<conceptEntry id="b"><langSec xml:lang="zh"><termSec><term>台州</term></termSec></langSec>'
        '<langSec xml:lang="en"><termSec><term>Taizhou</term></termSec></langSec></conceptEntry>'
        '</body></text></tbx>', encoding="utf-8")
    result = duizhao("glossary", "import", tbx, "--into", "g.tsv", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "entry a: the row would start with #" in result.stdout + result.stderr
    assert [(e.zh, e.en) for e in load_glossaries([tmp_path / "g.tsv"]).entries] == [("台州", "Taizhou")]


# -- properties ----------------------------------------------------------------------------


@survives
@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_unescape_is_the_exact_inverse_of_escape(text):
    cell = escape_cell(text)
    assert unescape_cell(cell) == text
    assert not {"\t", "\n", "\r"} & set(cell)
    cell.encode("utf-8")  # storable: no lone surrogate left


@survives
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(ANY_TEXT, ANY_TEXT, ANY_TEXT, st.lists(st.sampled_from(["term-fallback", "untranslated"]),
                                                                 max_size=2)), max_size=5), ANY_TEXT)
def test_an_edits_file_reads_back_exactly_what_was_written(rows, source_name):
    """Edits in their normal form (sources NFC and stripped, English stripped, as
    read_edits gives them) come back from the file exactly, and so does the
    source named in its first line."""
    import unicodedata

    from pipeline.review.edits import source_named_in

    edits = {}
    for number, (source, machine, text, resolved) in enumerate(rows):
        key = unicodedata.normalize("NFC", source.strip())
        if key and (text.strip() or resolved):
            edits[key] = Edit(key, machine.strip(), text.strip(), 0, tuple(resolved))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.edits.tsv"
        path.write_bytes(format_edits(edits.values(), source_name).encode("utf-8"))
        back = read_edits(path)
        named = source_named_in(path)
    assert {k: (e.source, e.machine, e.english, e.resolved) for k, e in back.items()} == \
           {k: (e.source, e.machine, e.english, e.resolved) for k, e in edits.items()}
    if source_name and source_name == source_name.strip():
        assert named == source_name


@survives
@settings(max_examples=150, deadline=None)
@given(ANY_TEXT, ANY_TEXT, ANY_TEXT, st.lists(ANY_TEXT, max_size=3))
def test_glossary_add_either_refuses_or_reads_back_the_entry_as_given(zh, en, note, variants):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "g.tsv"
        try:
            add_entry(zh, en, note=note, variants="|".join(variants), path=path)
        except GlossaryError as exc:
            assert len(exc.problems) == 1 and not path.exists()
            return
        (entry,) = load_glossaries([path]).entries
    assert (entry.zh, entry.en, entry.note) == (zh.strip(), en.strip(), note.strip())
    assert entry.variants == tuple(v.strip() for v in "|".join(variants).split("|") if v.strip())
