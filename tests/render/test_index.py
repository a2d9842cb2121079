"""The library page, output/index.html: rows read from the output folder's JSON
files, rebuilt on every run, linked both ways with the readers; in Chromium from
file:// with no request."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fakes import FakeEngine
from pipeline.archive import Job
from pipeline.translate.cache import TranslationCache
from pipeline.render import index as library
from pipeline.run import run, run_many

GLOSSARY = "zh\ten\tnote\tvariants\n台州\tTaizhou\t\t\n港口\tport\t\t\n"


def write(folder: Path, relative: str, text: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path) -> Path:
    """Three documents in two folders, run into tmp_path/out; one has post-edits
    and a flag-raising number, one has no title block."""
    src = tmp_path / "src"
    write(src, "a.txt", "台州港口的报道\n\n台州港口今年增长了12%。港口很忙。\n")
    write(src, "2024/b.txt", "港口的故事\n\n这是第二篇。台州很美。\n")
    # no title: the first block is a paragraph of full sentences
    write(src, "2024/c.md", "今年来了50万人。他们很高兴。\n\n这里没有标题。\n")
    write(src, "2024/c.edits.tsv", "# source: 2024/c.md\nsource\tmachine\tenglish\n他们很高兴。\t\tThey were glad.\n")
    glossary = write(tmp_path, "g.tsv", GLOSSARY)
    jobs = [Job(p, tmp_path / "out" / p.parent.relative_to(src)) for p in
            (src / "a.txt", src / "2024/b.txt", src / "2024/c.md")]
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        run_many(jobs, FakeEngine, cache, [glossary], library=tmp_path / "out")
    return tmp_path / "out"


def rows_of(page: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tr)) for tr in re.findall(r"<tr data-title=[^>]*>", page)]


def test_one_row_per_document_with_its_counts(corpus):
    page = (corpus / "index.html").read_text(encoding="utf-8")
    rows = {Path(r["source"]).name: r for r in rows_of(page)}
    assert sorted(rows) == ["a.txt", "b.txt", "c.md"]
    # No title block: the first line names the document, even when it ends in 。
    assert rows["a.txt"]["title"] == "台州港口的报道" and rows["c.md"]["title"] == "今年来了50万人。他们很高兴。"
    assert rows["a.txt"]["sentences"] == "3" and rows["a.txt"]["terms"] == "2"  # the title too; 台州, 港口
    assert rows["b.txt"]["terms"] == "2" and rows["c.md"]["terms"] == "0"
    assert rows["c.md"]["edits"] == "1" and rows["a.txt"]["edits"] == "0"
    data = json.loads((corpus / "2024" / "c.json").read_text(encoding="utf-8"))
    flags = [f for b in data["blocks"] for f in [*b["flags"], *(f for s in b["sentences"] for f in s.get("flags", []))]]
    for severity in ("error", "warning", "info"):
        assert rows["c.md"][severity] == str(sum(f["severity"] == severity for f in flags))
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d$", rows["a.txt"]["date"])
    assert 'href="2024/b.html"' in page and 'href="a.html"' in page
    total = sum(json.loads(p.read_text(encoding="utf-8"))["stats"]["sentences"] for p in corpus.rglob("[abc].json"))
    assert total == 9 and f'<td class="num" data-total="sentences" data-label="Sentences">{total}</td>' in page


@pytest.mark.parametrize("text, title", [
    ("台州港迎来新发展。\n\n正文第一段。\n", "台州港迎来新发展。"),
    ("台州港" * 30 + "。\n", "台州港" * 19 + "台州…"),
    ("---\ntitle: x\n---\n\n今年很好。\n", "今年很好。"),
], ids=["headline-ending-in-full-stop", "long-first-line-cut", "after-front-matter"])
def test_a_document_without_a_title_block_is_named_by_its_first_line_on_both_pages(tmp_path, text, title):
    src = write(tmp_path, "src/doc.md", text)
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        run(src, tmp_path / "out", FakeEngine, cache, glossaries=[])
    assert [r["title"] for r in rows_of((tmp_path / "out" / "index.html").read_text(encoding="utf-8"))] == [title]
    assert f"<title>{title}</title>" in (tmp_path / "out" / "doc.html").read_text(encoding="utf-8")


def test_each_reader_links_back_to_the_library(corpus):
    assert 'class="library" href="index.html"' in (corpus / "a.html").read_text(encoding="utf-8")
    assert 'class="library" href="../index.html"' in (corpus / "2024" / "b.html").read_text(encoding="utf-8")


def test_a_run_of_one_document_keeps_the_page_complete(corpus, tmp_path):
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        run(tmp_path / "src" / "a.txt", corpus, FakeEngine, cache, glossaries=[])
    rows = rows_of((corpus / "index.html").read_text(encoding="utf-8"))
    assert sorted(Path(r["source"]).name for r in rows) == ["a.txt", "b.txt", "c.md"]
    assert next(r for r in rows if r["source"].endswith("a.txt"))["terms"] == "0"  # this run had no glossary


def test_a_run_that_writes_no_document_leaves_the_page_as_it_was(corpus, tmp_path):
    """Nothing the page lists changed: it is not written again (its "built" time
    would change, and on a full disk it may not fit)."""
    page = corpus / "index.html"
    before = (page.read_bytes(), page.stat().st_mtime_ns, page.stat().st_ino)
    (tmp_path / "src" / "bad.txt").write_bytes(b"\xff\xfe\x00\xd8broken")
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        summary = run_many([Job(tmp_path / "src" / "bad.txt", corpus)], FakeEngine, cache, [], library=corpus)
    assert summary.written == 0 and len(summary.failures) == 1 and summary.library is None
    assert (page.read_bytes(), page.stat().st_mtime_ns, page.stat().st_ino) == before
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        run_many([Job(tmp_path / "src" / "a.txt", corpus)], FakeEngine, cache, [], library=corpus)
    assert page.stat().st_ino != before[2]  # one document written: rebuilt


def test_unchanged_documents_are_not_read_again(corpus, monkeypatch):
    read = []
    original = library.document_row
    monkeypatch.setattr(library, "document_row", lambda path, root: read.append(path.name) or original(path, root))
    (corpus / "a.json").write_text((corpus / "a.json").read_text(encoding="utf-8").replace("台州港口的报道", "新标题"),
                                   encoding="utf-8")
    page = library.write_index(corpus).read_text(encoding="utf-8")
    assert read == ["a.json"]
    assert "新标题" in page


def test_the_documents_a_run_writes_are_not_read_back(tmp_path, monkeypatch):
    """The run knows the rows of the documents it writes (read back, a large
    document's JSON doubled the run's peak memory): the library page is made without
    reading them, and holds the rows reading them gives."""
    src = tmp_path / "src"
    write(src, "a.txt", "台州港口的报道\n\n台州港口今年增长了12%。港口很忙。\n")
    write(src, "2024/c.md", "今年来了50万人。他们很高兴。\n\n这里没有标题。\n")
    write(src, "2024/c.edits.tsv", "# source: 2024/c.md\nsource\tmachine\tenglish\n他们很高兴。\t\tThey were glad.\n")
    out = tmp_path / "out"
    read = []
    original = library.document_row
    monkeypatch.setattr(library, "document_row", lambda path, root: read.append(path.name) or original(path, root))
    jobs = [Job(src / "a.txt", out), Job(src / "2024/c.md", out / "2024")]
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        run_many(jobs, FakeEngine, cache, [write(tmp_path, "g.tsv", GLOSSARY)], library=out)
    assert read == []
    made = (out / "index.html").read_text(encoding="utf-8")
    (out / library.MEMO_NAME).unlink()
    again = library.write_index(out, warn=print).read_text(encoding="utf-8")  # every row read back from its file
    assert sorted(read) == ["a.json", "c.json"]
    assert rows_of(made) == rows_of(again) and len(rows_of(made)) == 2


@pytest.mark.parametrize(
    "content", ['{"not": "a document"}', "{broken", "[1, 2]"], ids=["other-json", "damaged", "list"],
)
def test_json_that_is_not_a_document_is_left_out(corpus, content):
    (corpus / "other.json").write_text(content, encoding="utf-8")
    assert len(rows_of(library.write_index(corpus).read_text(encoding="utf-8"))) == 3


def test_everything_shown_is_escaped(tmp_path):
    src = write(tmp_path, "src/<b>&x\".txt", "<script>alert(1)</script>标题\n\n正文很长。\n")
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        run(src, tmp_path / "out", FakeEngine, cache, glossaries=[])
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;标题" in page
    assert 'href="%3Cb%3E%26x%22.html"' in page


def test_an_empty_folder_says_how_to_fill_it(tmp_path):
    page = library.write_index(tmp_path).read_text(encoding="utf-8")
    assert "No documents here yet" in page and rows_of(page) == []


# ---- in Chromium ----------------------------------------------------------------------


def test_the_page_sorts_filters_totals_and_links_from_file_with_no_request(corpus, browser):
    page = browser.new_page()
    requests, errors = [], []
    page.on("request", lambda r: None if r.url.startswith("file:") else requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route(lambda url: not url.startswith("file:"), lambda route: route.abort())
    try:
        page.goto((corpus / "index.html").as_uri())
        page.wait_for_selector("html[data-ready]")

        def sources():
            return [Path(s).name for s in page.locator("tbody tr:not([hidden]) td.source").all_inner_texts()]

        assert sources() == ["a.txt", "b.txt", "c.md"]
        # every row can be seen: nothing (a sticky header) lies over one
        assert page.evaluate("""Array.from(document.querySelectorAll('tbody tr')).every(row => {
            const box = row.getBoundingClientRect();
            return document.elementFromPoint(box.left + 5, box.top + box.height / 2).closest('tr') === row;
        })""")
        page.click("th[data-key=sentences] button")
        page.click("th[data-key=sentences] button")  # descending
        assert page.get_attribute("th[data-key=sentences]", "aria-sort") == "descending"
        counts = [int(n) for n in page.locator("tbody tr td:nth-child(4)").all_inner_texts()]
        assert counts == sorted(counts, reverse=True)
        page.click("th[data-key=title] button")
        titles = page.locator("tbody tr td.title").all_inner_texts()
        assert titles == sorted(titles, key=str.lower)

        page.fill("#filter", "2024")
        assert sorted(sources()) == ["b.txt", "c.md"]
        assert page.inner_text("[data-total=documents]") == "2"
        assert page.inner_text("#shown") == "2 of 3 documents"
        assert page.inner_text("[data-total=sentences]") == str(
            sum(int(n) for n in page.locator("tbody tr:not([hidden]) td:nth-child(4)").all_inner_texts()))
        assert page.inner_text("[data-total=terms]") == "2"

        page.click("text=港口的故事")
        assert page.url.endswith("/2024/b.html")
        page.click("a.library")
        assert page.url.endswith("/out/index.html")
        page.screenshot(path=str(Path(__file__).resolve().parents[2] / "output" / "library.png"), full_page=True)
    finally:
        page.close()
    assert requests == [] and errors == []


@pytest.mark.parametrize("width", [320, 360, 390])
def test_on_a_phone_nothing_is_wider_than_the_screen_and_each_row_reads_whole(corpus, browser, width):
    """Each document a card: its title across the screen, its flag counts on it, named."""
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        page.goto((corpus / "index.html").as_uri())
        page.wait_for_selector("html[data-ready]")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        title = page.locator("tbody tr td.title").first.bounding_box()
        assert title["width"] >= width * 0.8, title  # was two characters wide at 390 px
        for severity, label in (("error", "Errors"), ("warning", "Warnings"), ("info", "Notes")):
            cell = page.locator(f"tbody tr >> nth=0 >> td[data-label={label}]")
            box = cell.bounding_box()
            assert cell.is_visible() and 0 <= box["x"] and box["x"] + box["width"] <= width, (severity, box)
            assert page.evaluate("c => getComputedStyle(c, '::before').content", cell.element_handle()) == f'"{label} "'
        sort = page.locator("th[data-key=error] button").bounding_box()
        assert sort["x"] + sort["width"] <= width
    finally:
        page.close()


def flagged(folder: Path, name: str, counts: dict[str, int]) -> None:
    """A document model with ``counts`` flags of each severity."""
    flags = [{"code": "c", "severity": s, "message": "m"} for s, n in counts.items() for _ in range(n)]
    sentence = {"text": "台州。", "translation": "Taizhou.", "flags": flags}
    block = {"id": "p1", "kind": "paragraph", "text": "台州。", "lines": [1], "sentences": [sentence], "flags": []}
    (folder / f"{name}.json").write_text(json.dumps({"schema_version": 1, "source": f"{name}.txt", "encoding": "utf-8",
                                                     "script": "simplified", "blocks": [block]}), encoding="utf-8")


@pytest.mark.parametrize("key", ["error", "warning", "info"])
def test_a_flag_column_sorts_worst_first_on_the_first_click(tmp_path, browser, key):
    for name, n in (("b", 1), ("a", 3), ("c", 0), ("d", 2)):
        flagged(tmp_path, name, {"error": n, "warning": n, "info": n})
    library.write_index(tmp_path)
    page = browser.new_page()
    try:
        page.goto((tmp_path / "index.html").as_uri())
        page.wait_for_selector("html[data-ready]")
        page.click(f"th[data-key={key}] button")
        assert page.get_attribute(f"th[data-key={key}]", "aria-sort") == "descending"
        counts = [int(r.get_attribute(f"data-{key}")) for r in page.locator("tbody tr").all()]
        assert counts == [3, 2, 1, 0], counts
        page.click(f"th[data-key={key}] button")
        assert page.get_attribute(f"th[data-key={key}]", "aria-sort") == "ascending"
    finally:
        page.close()
