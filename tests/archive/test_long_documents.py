"""A long document goes through the run a part at a time (pipeline.run.load_parts,
pipeline.review.parts, pipeline.core.spill): the outputs are the ones a whole
run gives, and the run holds a window of blocks, not the document."""

from __future__ import annotations

import gc
import json
import re
import weakref
import zipfile
from pathlib import Path

import pytest

from fakes import FakeEngine
from pipeline.archive import Job
from pipeline.core.model import Block
from pipeline.core.spill import BlockSpill
from pipeline.read import load_document
from pipeline.read.formats import read_parts
from pipeline.render.book import LONG_BLOCKS, SECTION_BLOCKS
from pipeline.review import parts as parts_module
from pipeline.review.edits import Edit, write_edits
from pipeline.run import run_many
from pipeline.testing import pdfs
from pipeline.testing.books import epub_book
from pipeline.translate.cache import TranslationCache

FORMATS = ["json", "html", "md", "tmx", "docx"]


def novel(path: Path, chapters: int, paragraphs: int = 6, broken: int | None = None) -> Path:
    """An EPUB of ``chapters`` chapters; chapter ``broken`` declares an external entity (refused)."""
    return epub_book(path, [(f"第{c}章 港口", [f"第{c}章第{k}段。“三高三新”是台州的目标之一，共有{c * 10 + k}个项目。"
                                               for k in range(paragraphs)]) for c in range(1, chapters + 1)],
                     refused=broken)


class Quoting(FakeEngine):
    """Renders the quoted slogan one way in even chapters and another in odd ones,
    so the document's ``inconsistent-term`` check has something to find across parts."""

    def translate(self, sentences, progress=None):
        english = super().translate(sentences, progress)
        out = []
        for source, text in zip(sentences, english):
            count = re.search(r"共有(\d+)个", source)  # chapter c's paragraphs count 10c + k projects
            slogan = "Three Highs" if count is None or int(count.group(1)) // 10 % 2 else "Three Heights"
            out.append(re.sub(r'"\s*word\s*"', f'"{slogan}"', text))
        return out


def run(tmp_path: Path, source: Path, out: str, *, parts: bool, engine=FakeEngine, window: int = 20,
        formats=FORMATS) -> tuple:
    with TranslationCache(tmp_path / f"{out}.sqlite3") as cache:
        summary = run_many([Job(source, tmp_path / out)], engine, cache, [], parts=parts, window_sentences=window,
                           formats=formats, library=tmp_path / out)
    return summary, tmp_path / out


def model(folder: Path, stem: str) -> dict:
    data = json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))
    data.pop("stats")  # the seconds differ
    return data


def same_outputs(whole: Path, parted: Path) -> list[str]:
    """The output files of both runs, checked equal (a reader page up to its run's counts line)."""
    names = sorted(p.relative_to(whole).as_posix() for p in whole.rglob("*") if p.is_file()
                   and not p.name.startswith((".", "index")))
    assert names == sorted(p.relative_to(parted).as_posix() for p in parted.rglob("*") if p.is_file()
                           and not p.name.startswith((".", "index")))
    for name in names:
        a, b = (whole / name).read_bytes(), (parted / name).read_bytes()
        if name.endswith(".json"):
            a, b = (json.loads(x) for x in (a, b))
            a.pop("stats"), b.pop("stats")
        elif name.endswith((".html", ".tmx")):
            # the run's own counts and times (two runs may fall in different minutes)
            a, b = (re.sub(rb"\d+ translated in this run, \d+ from cache|[0-9.]+ s\b|\d{8}T\d{6}Z"
                           rb"|\d{4}-\d\d-\d\d \d\d:\d\d", b"", x) for x in (a, b))
        elif name.endswith(".docx"):
            with zipfile.ZipFile(whole / name) as x, zipfile.ZipFile(parted / name) as y:
                a = {n: x.read(n) for n in x.namelist() if not n.startswith("docProps")}
                b = {n: y.read(n) for n in y.namelist() if not n.startswith("docProps")}
        assert a == b, name
    return names


@pytest.fixture
def counted_parts(monkeypatch):
    """How many parts each document in parts was reviewed in."""
    counts: list[int] = []
    add = parts_module.DocumentInParts.add

    def counting(self, part):
        add(self, part)
        counts.append(self.parts)

    monkeypatch.setattr(parts_module.DocumentInParts, "add", counting)
    return counts


def test_a_long_book_run_in_parts_gives_what_a_whole_run_gives(tmp_path, counted_parts):
    source = novel(tmp_path / "novel.epub", 12)
    whole_summary, whole = run(tmp_path, source, "whole", parts=False, engine=Quoting,
                               formats=FORMATS + ["epub", "en.epub"])
    assert counted_parts == []
    summary, parted = run(tmp_path, source, "parted", parts=True, engine=Quoting, formats=FORMATS + ["epub", "en.epub"])
    assert max(counted_parts) >= 5  # the chapters came in parts of about 20 sentences
    assert summary.written == whole_summary.written == 1 and not summary.failures
    assert summary.sentences == whole_summary.sentences and summary.review == whole_summary.review
    names = same_outputs(whole, parted)
    assert "novel/ch012.html" in names and "novel.epub" in names
    document = model(parted, "novel")
    codes = {f["code"] for b in document["blocks"] for s in b["sentences"] for f in s.get("flags", [])}
    assert "inconsistent-term" in codes  # found between chapters that were in different parts


def test_a_long_pdf_run_in_parts_gives_what_a_whole_run_gives(tmp_path, monkeypatch, counted_parts):
    from pipeline.read import pdf

    built = pdfs.two_column_pdf(tmp_path / "paper.pdf", paragraphs=90)
    monkeypatch.setattr(pdf, "WINDOW_PAGES", 3)  # so this 9-page paper comes in windows
    _, whole = run(tmp_path, tmp_path / "paper.pdf", "whole", parts=False)
    summary, parted = run(tmp_path, tmp_path / "paper.pdf", "parted", parts=True)
    assert max(counted_parts) >= 3 and summary.written == 1
    same_outputs(whole, parted)
    document = model(parted, "paper")
    assert document["blocks"][0]["kind"] == "title" and document["blocks"][0]["text"] == built.title
    # the running heads of every window were found; a paragraph broken over a window's edge is one block
    assert {d["reason"] for d in document["dropped"]} == {"page-furniture"}
    assert len([d for d in document["dropped"]]) >= 2 * 9
    assert sum(1 for b in document["blocks"] if len({p["page"] for p in b["address"].get("parts", [])}) > 1) >= 1


def test_a_pdf_read_in_windows_has_the_blocks_of_a_whole_reading(tmp_path, monkeypatch):
    from pipeline.read import pdf

    pdfs.two_column_pdf(tmp_path / "paper.pdf", paragraphs=120)
    whole = load_document(tmp_path / "paper.pdf")
    monkeypatch.setattr(pdf, "WINDOW_PAGES", 3)
    parts = list(read_parts(tmp_path / "paper.pdf", part_sentences=20))
    assert len(parts) >= 3
    assert [b.to_json() for p in parts for b in p.blocks] == [b.to_json() for b in whole.blocks]
    assert [d.to_json() for p in parts for d in p.dropped] == [d.to_json() for d in whole.dropped]


def test_edits_resolved_flags_approvals_and_orphans_reach_every_part(tmp_path, counted_parts):
    source = novel(tmp_path / "novel.epub", 10)
    quoted = "“三高三新”是台州的目标之一，共有71个项目。"  # chapter 7: flagged inconsistent with the even chapters
    _, first = run(tmp_path, source, "first", parts=False, engine=Quoting)
    machines = {s["text"]: s for b in model(first, "novel")["blocks"] for s in b["sentences"]}
    machine = machines[quoted]
    assert "inconsistent-term" in {f["code"] for f in machine["flags"]}
    late = "第9章第2段。"
    write_edits(tmp_path / "novel.edits.tsv", [
        Edit(late, "", "Paragraph two of chapter nine, as the reviewer wrote it.", 2),
        Edit(quoted, machine["translation"], "", 3, resolved=("inconsistent-term",)),
        Edit("第8章第3段。", machines["第8章第3段。"]["translation"], "", 4, status="approved"),
        Edit("第9章第20段。", "", "An edit whose sentence is gone.", 5),
    ])
    counted_parts.clear()
    _, whole = run(tmp_path, source, "whole", parts=False, engine=Quoting)
    _, parted = run(tmp_path, source, "parted", parts=True, engine=Quoting)
    assert max(counted_parts) >= 4
    same_outputs(whole, parted)
    document = model(parted, "novel")
    assert document["edits"]["applied"] == 1
    assert [o["source"] for o in document["edits"]["orphaned"]] == ["第9章第20段。"]
    assert document["edits"]["orphaned"][0]["closest"].startswith("第9章第")  # read back from disk
    sentences = {s["text"]: s for b in document["blocks"] for s in b["sentences"]}
    assert sentences[late]["translation"] == "Paragraph two of chapter nine, as the reviewer wrote it."
    assert sentences["第8章第3段。"].get("approved") is True
    flags = {f["code"]: f.get("resolved", False) for f in sentences[quoted]["flags"]}
    assert flags["inconsistent-term"] is True  # added once the whole was known, then resolved by its row


def test_a_part_that_cannot_be_read_fails_its_document_and_nothing_of_it_is_written(tmp_path):
    broken = novel(tmp_path / "broken.epub", 10, broken=9)
    fine = novel(tmp_path / "fine.epub", 2)
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        summary = run_many([Job(broken, tmp_path / "out"), Job(fine, tmp_path / "out")], FakeEngine, cache, [],
                           window_sentences=20, library=tmp_path / "out")
    assert summary.written == 1 and len(summary.failures) == 1
    assert "broken.epub" in str(summary.failures[0]) and "c9.xhtml" in str(summary.failures[0])
    assert not list((tmp_path / "out").glob("broken*")) and (tmp_path / "out" / "fine.json").is_file()


def test_a_long_document_holds_a_window_of_blocks_not_the_document(tmp_path, monkeypatch):
    """Counts the blocks the reader made that are still alive each time a part is
    reviewed: a few windows' worth in parts, the whole book without."""
    from pipeline.read import blocks as block_module

    made_blocks: list[weakref.ref[Block]] = []

    def made(*args, **kwargs):
        block = Block(*args, **kwargs)
        made_blocks.append(weakref.ref(block))
        return block

    monkeypatch.setattr(block_module, "Block", made)
    held: list[int] = []
    add = parts_module.DocumentInParts.add

    def counting(self, part):
        add(self, part)
        gc.collect()
        held.append(sum(ref() is not None for ref in made_blocks))

    monkeypatch.setattr(parts_module.DocumentInParts, "add", counting)
    source = novel(tmp_path / "novel.epub", 60)  # 60 chapters of 7 blocks (12 sentences), 60 contents entries
    whole = load_document(source)
    total = len(whole.blocks)
    del whole
    gc.collect()
    run(tmp_path, source, "out", parts=True, window=24, formats=["json", "html"])
    # after the first part (the title and the 60 contents entries with chapter 1): a few parts of 3 chapters
    assert len(held) >= 20 and max(held[1:]) <= 4 * 3 * 7 + 10 and max(held) < total // 4, (held, total)


def test_the_spill_reads_back_what_was_kept_with_what_was_learnt_later(tmp_path):
    document = load_document(Path("sources/taizhou.txt"))
    spill = BlockSpill()
    spill.extend(document.blocks)
    assert len(spill) == len(document.blocks)
    assert [b.to_json() for b in spill] == [b.to_json() for b in document.blocks]
    assert spill[-1].to_json() == document.blocks[-1].to_json() and spill[1:3][1].id == document.blocks[2].id
    spill.amend(2, lambda block: block.flags.append("late"))
    assert spill[2].flags[-1] == "late" and spill[2].flags.count("late") == 1  # each read starts from the kept copy
    with pytest.raises(IndexError):
        spill[len(spill)]
    spill.close()


def test_a_long_text_is_a_book_of_sections_and_a_long_pdf_one_of_page_ranges(tmp_path):
    from pipeline.render.formats import write_formats

    from fakes import english_for

    lines = [f"第{n}段。台州的第{n}个项目今年投产，带动就业{n * 3}人。" for n in range(LONG_BLOCKS + 50)]
    text = tmp_path / "long.txt"
    text.write_text("\n\n".join(lines[:300] + ["二、第二部分"] + lines[300:]), encoding="utf-8")
    document = load_document(text)
    english_for(document)
    written = write_formats(document, tmp_path / "out", ["html"])
    pages = sorted(p.name for p in written)
    assert pages == ["ch001.html", "ch002.html", "long.html"]
    second = (tmp_path / "out" / "long" / "ch002.html").read_text(encoding="utf-8")
    assert "二、第二部分" in second.split("<main")[-1][:5000]  # the section opens at the heading
    contents = (tmp_path / "out" / "long.html").read_text(encoding="utf-8")
    assert "2 sections, one reader page each" in contents

    pdfs.plain_pdf(tmp_path / "report.pdf", [f"第{{page}}页第{k}行：" + pdfs.SENTENCES[k] for k in range(8)],
                   pages=120)
    report = load_document(tmp_path / "report.pdf")
    english_for(report)
    assert len(report.blocks) >= LONG_BLOCKS
    write_formats(report, tmp_path / "out", ["html"])
    contents = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    ranges = re.findall(r"pp\. (\d+)–(\d+)", contents)
    assert ranges and ranges[0][0] == "1" and ranges[-1][1] == "120"
    assert all(int(b[0]) == int(a[1]) + 1 for a, b in zip(ranges, ranges[1:]))  # each opens at a page's top
    for page in (tmp_path / "out" / "report").glob("ch*.html"):
        assert page.read_text(encoding="utf-8").count('class="pair') <= 2 * SECTION_BLOCKS
