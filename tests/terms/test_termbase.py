"""Glossary exchange: TBX and CSV export, import back into TSV, and the CLI commands."""

from __future__ import annotations

from xml.dom import XML_NAMESPACE

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO
from pipeline.cli import cli
from pipeline.terms.glossary import GlossaryError, load_glossaries
from pipeline.terms.termbase import (
    TBX_NAMESPACE,
    TermbaseError,
    export_termbase,
    import_termbase,
    read_tbx,
)

SHIPPED = REPO / "glossary" / "taizhou.tsv"
HEADER = "zh\ten\tnote\tvariants\n"
XML_LANG = f"{{{XML_NAMESPACE}}}lang"
NS = {"t": TBX_NAMESPACE}


def entries_of(path: Path) -> set[tuple]:
    return {(e.zh, e.en, e.note, e.variants) for e in load_glossaries([path]).entries}


def write_tsv(path: Path, body: str) -> Path:
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.fixture
def tricky(tmp_path) -> Path:
    """Entries with what CSV and XML must quote or escape, variants and a kept-as-written term."""
    return write_tsv(tmp_path / "tricky.tsv", (
        '台州\tTaizhou\tA "prefecture-level" city, in Zhejiang; not 泰州.\t臺州|台州市\n'
        "S1线\t=\tKept as written, like <script> & ]]>.\t\n"
        "三高三新\tThree Highs, Three News\t\t\n"
        "大麦屿港\tDamaiyu Port\t*Port* of Yuhuan, 'quoted'\t大麥嶼港\n"
    ))


# -- export ---------------------------------------------------------------------------------


def test_tbx_export_is_tbx_basic(tricky, tmp_path):
    path = export_termbase(load_glossaries([tricky]), tmp_path / "out.tbx")
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<script>" not in raw and "&lt;script&gt; &amp; ]]&gt;" in raw
    root = ET.parse(path).getroot()
    assert root.tag == f"{{{TBX_NAMESPACE}}}tbx"
    assert (root.get("type"), root.get("style"), root.get(XML_LANG)) == ("TBX-Basic", "dct", "en")
    concepts = root.findall("t:text/t:body/t:conceptEntry", NS)
    assert [c.get("id") for c in concepts] == ["c1", "c2", "c3", "c4"]
    taizhou = concepts[0]
    assert taizhou.findtext("t:admin[@type='source']", namespaces=NS) == f"{tricky}:2"
    (zh,) = taizhou.findall(f"t:langSec[@{XML_LANG}='zh']", NS)
    assert [t.text for t in zh.iterfind("t:termSec/t:term", NS)] == ["台州", "臺州", "台州市"]
    assert [n.text for n in zh.iterfind("t:termSec/t:termNote[@type='termType']", NS)] == ["variant", "variant"]
    (en,) = taizhou.findall(f"t:langSec[@{XML_LANG}='en']", NS)
    assert en.findtext("t:termSec/t:term", namespaces=NS) == "Taizhou"
    assert en.findtext("t:descrip[@type='definition']", namespaces=NS) == (
        'A "prefecture-level" city, in Zhejiang; not 泰州.')
    kept = concepts[1].find(f"t:langSec[@{XML_LANG}='en']/t:termSec/t:term", NS)
    assert kept.text == "S1线"  # "=" means the term as written
    assert concepts[2].find(f"t:langSec[@{XML_LANG}='en']/t:descrip", NS) is None


def test_csv_export(tricky, tmp_path):
    path = export_termbase(load_glossaries([tricky]), tmp_path / "out.csv")
    data = path.read_bytes()
    assert data.startswith("\ufeffzh,en,note,variants\r\n".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[1] == ["台州", "Taizhou", 'A "prefecture-level" city, in Zhejiang; not 泰州.', "臺州|台州市"]
    assert rows[3] == ["三高三新", "Three Highs, Three News", "", ""]
    assert len(rows) == 5


def test_export_follows_file_order_and_overrides(tmp_path):
    first = write_tsv(tmp_path / "a.tsv", "台州\tTai Zhou\t\t\n玉环\tYuhuan\t\t\n")
    second = write_tsv(tmp_path / "b.tsv", "台州\tTaizhou\t\t\n")
    path = export_termbase(load_glossaries([first, second]), tmp_path / "out.csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    assert [r[:2] for r in rows[1:]] == [["玉环", "Yuhuan"], ["台州", "Taizhou"]]


def test_export_needs_a_known_format(tricky, tmp_path):
    with pytest.raises(TermbaseError, match="name it .tbx or .csv"):
        export_termbase(load_glossaries([tricky]), tmp_path / "out.xlsx")


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tbx", "csv"])
@pytest.mark.parametrize("glossary", ["shipped", "tricky"])
def test_export_then_import_gives_the_same_entries(fmt, glossary, tricky, tmp_path):
    source = SHIPPED if glossary == "shipped" else tricky
    exported = export_termbase(load_glossaries([source]), tmp_path / f"exchange.{fmt}")
    result = import_termbase(exported, tmp_path / "back.tsv")
    assert entries_of(tmp_path / "back.tsv") == entries_of(source)
    assert len(result.added) == len(load_glossaries([source]))
    assert not result.skipped and not result.already_there


@pytest.mark.parametrize("fmt", ["tbx", "csv"])
def test_importing_again_changes_nothing(fmt, tricky, tmp_path):
    exported = export_termbase(load_glossaries([tricky]), tmp_path / f"exchange.{fmt}")
    import_termbase(exported, tmp_path / "back.tsv")
    before = (tmp_path / "back.tsv").read_bytes()
    result = import_termbase(exported, tmp_path / "back.tsv")
    assert (len(result.added), len(result.already_there)) == (0, 4)
    assert (tmp_path / "back.tsv").read_bytes() == before


def test_import_appends_to_an_existing_file_without_disturbing_it(tmp_path):
    target = write_tsv(tmp_path / "mine.tsv", "# places\n玉环\tYuhuan\tA county-level city.\t\n")
    before = target.read_bytes()
    incoming = tmp_path / "in.csv"
    incoming.write_text("zh,en,note\n台州,Taizhou,\"A city, by the sea\"\n", encoding="utf-8")
    import_termbase(incoming, target)
    after = target.read_bytes()
    assert after.startswith(before)
    assert after[len(before):].decode() == "台州\tTaizhou\tA city, by the sea\t\n"


# -- import: other tools' files ------------------------------------------------------------------

MARTIF = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE martif SYSTEM "TBXcoreStructV02.dtd">
<martif type="TBX" xml:lang="en-US">
 <martifHeader><fileDesc><sourceDesc><p>From a CAT tool</p></sourceDesc></fileDesc></martifHeader>
 <text><body>
  <termEntry id="e1">
   <descrip type="Definition">A prefecture-level
     city in Zhejiang.</descrip>
   <langSet xml:lang="zh-CN"><tig><term>台州</term></tig><tig><term>台州市</term></tig></langSet>
   <langSet xml:lang="zh-TW"><ntig><termGrp><term>臺州</term></termGrp></ntig></langSet>
   <langSet xml:lang="en-US"><tig><term>Taizhou</term></tig><tig><term>Taizhou City</term></tig></langSet>
  </termEntry>
  <termEntry id="e2">
   <note>Kept as written.</note>
   <langSet lang="zh"><tig><term>S1线</term></tig></langSet>
   <langSet lang="en"><tig><term>S1线</term></tig></langSet>
  </termEntry>
  <termEntry id="e3">
   <langSet xml:lang="de"><tig><term>Hafen</term></tig></langSet>
   <langSet xml:lang="en"><tig><term>port</term></tig></langSet>
  </termEntry>
 </body></text>
</martif>
"""


def test_import_reads_the_older_martif_layout(tmp_path):
    source = tmp_path / "cat-tool.tbx"
    source.write_text(MARTIF, encoding="utf-8")
    result = import_termbase(source, tmp_path / "g.tsv")
    assert entries_of(tmp_path / "g.tsv") == {
        ("台州", "Taizhou", "A prefecture-level city in Zhejiang.", ("台州市", "臺州")),
        ("S1线", "=", "Kept as written.", ()),
    }
    assert result.skipped == [f"{source} entry e3: no Chinese term; skipped"]


def test_import_defaults_to_glossary_folder(tmp_path, monkeypatch, tricky):
    monkeypatch.chdir(tmp_path)
    export_termbase(load_glossaries([tricky]), tmp_path / "vendor.tbx")
    result = import_termbase("vendor.tbx")
    assert result.target == Path("glossary/vendor.tsv")
    assert entries_of(tmp_path / "glossary" / "vendor.tsv") == entries_of(tricky)


def test_csv_with_line_breaks_in_a_note_becomes_one_line(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text('zh,en,note,variants\n台州,Taizhou,"line one\nline two\tand a tab",\n', encoding="utf-8")
    import_termbase(source, tmp_path / "g.tsv")
    assert entries_of(tmp_path / "g.tsv") == {("台州", "Taizhou", "line one line two and a tab", ())}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.tbx", "<tbx><text><body><conceptEntry>", "bad.tbx:1:32: not well-formed XML (no element found)"),
        ("bad.tbx", "<html><body/></html>", "not a TBX file (the root element is <html>"),
        ("bad.csv", "chinese,english\n台州,Taizhou\n", "bad.csv:1: the first row must name the columns zh, en"),
        ("bad.csv", "zh,en\n台州,Taizhou,extra\n", "bad.csv:2: 3 columns, the header names 2"),
        ("empty.csv", "zh,en\n,Taizhou\n", "no entry with both a Chinese and an English term"),
        ("bad.xlsx", "", "name it .tbx or .csv"),
    ],
    ids=["not-xml", "not-tbx", "bad-header", "extra-cell", "no-entries", "unknown-suffix"],
)
def test_import_errors_name_the_file(tmp_path, name, content, message):
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    with pytest.raises(TermbaseError) as raised:
        import_termbase(source, tmp_path / "g.tsv")
    assert message in str(raised.value)
    assert not (tmp_path / "g.tsv").exists()


def test_read_tbx_keeps_inline_markup_text():
    terms, _ = read_tbx(b'<tbx><text><body><conceptEntry id="x"><langSec xml:lang="zh"><termSec>'
                        b'<term>\xe5\x8f\xb0<hi>\xe5\xb7\x9e</hi></term></termSec></langSec><langSec xml:lang="en">'
                        b'<termSec><term>Tai<hi>zhou</hi></term></termSec></langSec></conceptEntry></body></text></tbx>')
    assert [(t.zh, t.en) for t in terms] == [("台州", "Taizhou")]


# -- clashes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("台州,Tai Zhou,,", "台州 is also on line 2 with a different English"),
        ("台州,Taizhou,Another note.,", "台州 → Taizhou has another note or variants than at"),
        ("台州,Taizhou,A city.,臺州", "台州 → Taizhou has another note or variants than at"),
        ("台州市,Taizhou City,,", "台州市 is already a form of 台州 (line 2)"),
        ("玉环,Yuhuan,,\n玉环,Yu Huan,,", "玉环 is also on line 4 with a different English"),
        ("玉环,Yuhuan,,\n玉环,Yuhuan,A note.,", "玉环 → Yuhuan has another note or variants than at"),
    ],
    ids=["other-english", "other-note", "fewer-variants", "variant-of-another", "clash-within-the-import",
         "other-note-within-the-import"],
)
def test_a_clash_refuses_the_whole_import(tmp_path, rows, problem):
    target = write_tsv(tmp_path / "g.tsv", "台州\tTaizhou\tA city.\t臺州|台州市\n")
    before = target.read_bytes()
    source = tmp_path / "in.csv"
    source.write_text("zh,en,note,variants\n三高三新,Three Highs,,\n" + rows + "\n", encoding="utf-8")
    with pytest.raises(GlossaryError) as raised:
        import_termbase(source, target)
    assert problem in str(raised.value)
    assert f"{source}:" in str(raised.value)
    assert f"{target} is unchanged" in str(raised.value)
    assert target.read_bytes() == before


def test_import_refuses_to_drop_notes_into_a_file_without_a_note_column(tmp_path):
    target = tmp_path / "g.tsv"
    target.write_text("zh\ten\n玉环\tYuhuan\n", encoding="utf-8")
    source = tmp_path / "in.csv"
    source.write_text("zh,en,note\n台州,Taizhou,A city.\n", encoding="utf-8")
    with pytest.raises(TermbaseError, match="has no note column"):
        import_termbase(source, target)
    assert target.read_text(encoding="utf-8") == "zh\ten\n玉环\tYuhuan\n"


# -- the commands -----------------------------------------------------------------------------------


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize(("option", "name"), [(("--format", "tbx"), "terms.xml"), ((), "terms.csv")],
                         ids=["explicit", "from-suffix"])
def test_export_command(tricky, tmp_path, option, name):
    result = invoke("glossary", "export", *option, "-o", tmp_path / name, tricky)
    assert result.exit_code == 0, result.output
    assert f"Wrote 4 entries to {tmp_path / name}" in result.output
    assert (tmp_path / name).exists()


def test_export_command_without_a_format(tricky, tmp_path):
    result = invoke("glossary", "export", "-o", tmp_path / "terms.txt", tricky)
    assert result.exit_code == 1 and "name it .tbx or .csv" in result.output
    assert not (tmp_path / "terms.txt").exists()


def test_import_command_round_trip_and_clash(tricky, tmp_path):
    invoke("glossary", "export", "-o", tmp_path / "terms.tbx", tricky)
    result = invoke("glossary", "import", tmp_path / "terms.tbx", "--into", tmp_path / "g.tsv")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{tmp_path / 'g.tsv'}: 4 entries added, 0 already there, 0 skipped"
    assert entries_of(tmp_path / "g.tsv") == entries_of(tricky)
    clash = tmp_path / "clash.csv"
    clash.write_text("zh,en\n台州,Tai Zhou\n", encoding="utf-8")
    before = (tmp_path / "g.tsv").read_bytes()
    result = invoke("glossary", "import", clash, "--into", tmp_path / "g.tsv")
    assert result.exit_code == 1
    assert "台州 is also on line 2 with a different English" in result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "g.tsv").read_bytes() == before


def test_import_command_reports_skipped_entries(tmp_path):
    source = tmp_path / "cat-tool.tbx"
    source.write_text(MARTIF, encoding="utf-8")
    result = CliRunner().invoke(cli, ["glossary", "import", str(source), "--into", str(tmp_path / "g.tsv")])
    assert result.exit_code == 0, result.output
    assert "Skipped" in result.output and "entry e3: no Chinese term" in result.output
    assert "2 entries added, 0 already there, 1 skipped" in result.output


def test_import_without_into_is_compared_with_the_glossary_in_force(tmp_path, monkeypatch):
    """An export of the glossary in force imported back (to glossary/<stem>.tsv, a
    new file) adds nothing: every term is already there, in the other file; a
    term whose English differs from the one in force refuses the import."""
    project = tmp_path / "project"
    write_tsv((project / "glossary").mkdir(parents=True) or project / "glossary" / "taizhou.tsv",
              "台州\tTaizhou\tA city.\t\n玉环\tYuhuan\t\t玉环市\n")
    monkeypatch.chdir(project)
    assert invoke("glossary", "export", "-o", "out.csv").exit_code == 0
    result = invoke("glossary", "import", "out.csv")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("glossary/out.tsv: 0 entries added, 2 already there "
                                     "(2 in other files of the glossary in force), 0 skipped")
    assert not (project / "glossary" / "out.tsv").exists()
    Path("more.csv").write_text("zh,en\n港口,port\n台州,Taizhou\n", encoding="utf-8")
    result = invoke("glossary", "import", "more.csv")
    assert result.stdout.strip() == ("glossary/more.tsv: 1 entry added, 1 already there "
                                     "(1 in other files of the glossary in force), 0 skipped")
    assert result.stderr.startswith("Note: more.csv:3: 台州 → Taizhou is at ")  # without its note here
    assert entries_of(project / "glossary" / "more.tsv") == {("港口", "port", "", ())}
    Path("clash.csv").write_text("zh,en\n码头,wharf\n玉环市,Yuhuan City\n", encoding="utf-8")
    result = invoke("glossary", "import", "clash.csv")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "玉环市 → Yuhuan City clashes with 玉环 → Yuhuan at glossary/taizhou.tsv:3" in result.output.replace(
        str(project) + "/", "")
    assert not (project / "glossary" / "clash.tsv").exists()
    # A file outside the glossary in force stands alone, as before.
    result = invoke("glossary", "import", "clash.csv", "--into", tmp_path / "elsewhere.tsv")
    assert result.exit_code == 0 and "2 entries added" in result.output
