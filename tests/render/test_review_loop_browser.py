"""The review loop end to end, in Debian's chromium: translate, edit the English in
the reader, save the edits file, import it, run again, and see the edits applied,
gone stale when the machine output changes, and orphaned when the source changes.

Pages are opened from file:// and must make no request and log no error; downloads
are blob: URLs made by the page itself. A screenshot of edit mode is left in output/.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_reader import REPO, SEED, edited_document
from test_reader_browser import CONTRAST, DESKTOP, NARROW, SHOTS, choose

from fakes import FakeEngine
from pipeline.translate.cache import TranslationCache
from pipeline.cli import cli
from pipeline.review.edits import edits_path, read_edits
from pipeline.render.reader import render
from pipeline.run import run

GLOSSARY = REPO / "glossary" / "taizhou.tsv"
#: What the reviewer types: quotes, markup and a backslash must all survive the loop.
FIRST = 'Taizhou\'s port moved "half a million" boxes <b>& more</b> \\ a record.'
SECOND = "Private firms drive the city's economy."
#: Pasted text: line breaks become spaces, the tab stays (escaped in the file as \t).
PASTED = "From the clipboard,\nover\ttwo lines"


class VersionedEngine(FakeEngine):
    """Output that depends on the version: a new model changes every translation."""

    def mangle(self, text):
        return f"{text} (v{self.version})"




@dataclass
class Watched:
    """Everything a page did that it must not: requests off the machine, console
    errors, dialogs."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def context(browser):
    """One browser context (one localStorage, as for a reviewer coming back to the
    page) whose pages are all watched; checked clean at the end."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    watched = Watched()

    def watch(page):
        local = ("file:", "blob:", "data:")
        page.on("request", lambda r: None if r.url.startswith(local) else watched.requests.append(r.url))
        page.on("console", lambda m: watched.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: watched.errors.append(str(e)))
        page.on("dialog", lambda d: (watched.dialogs.append(d.message), d.dismiss()))
        page.route(lambda url: not url.startswith(local), lambda route: route.abort())

    context.on("page", watch)
    yield context
    context.close()
    assert watched == Watched(), watched


def open_reader(context, html: Path, **options):
    page = context.new_page(**options)
    page.goto(html.as_uri())
    page.wait_for_function("document.body.classList.contains('ready')")
    return page


def en(sid: str) -> str:
    return f'.cell.en .s[data-s="{sid}"]'


class Loop:
    """A copy of the seed article in a temporary folder, translated by a fake engine."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.source = folder / "taizhou.txt"
        shutil.copyfile(SEED, self.source)
        self.out = folder / "out"
        self.html = self.out / "taizhou.html"

    def run(self, version: str = "1"):
        engine = VersionedEngine(version)
        with TranslationCache(self.folder / "c.sqlite3") as cache:
            return run(self.source, self.out, lambda: engine, cache, glossaries=[GLOSSARY]).document

    def json(self) -> dict:
        return json.loads((self.out / "taizhou.json").read_text(encoding="utf-8"))


def unique_sentences(document, count: int) -> list[tuple[str, object]]:
    """``count`` paragraph sentences, each in its own block, whose text occurs once in
    the document and verbatim in the source file (so the test can change it there)."""
    source = Path(document.source).read_text(encoding="utf-8")
    texts = [s.text for s in document.sentences()]
    chosen = []
    for block in document.blocks:
        if block.kind != "paragraph":
            continue
        for n, sentence in enumerate(block.sentences, 1):
            if len(sentence.text) > 12 and texts.count(sentence.text) == 1 and source.count(sentence.text) == 1:
                chosen.append((f"{block.id}.{n}", sentence))
                break
        if len(chosen) == count:
            return chosen
    raise AssertionError("the seed has too few plain sentences")


def type_into(page, sid: str, text: str) -> None:
    page.click(en(sid))
    page.keyboard.press("Control+A")  # the sentence's own text: it is the editing host
    page.keyboard.type(text)


def sentence_state(page, sid: str) -> dict:
    return page.eval_on_selector(en(sid), """s => ({text: s.textContent, changed: s.classList.contains('changed'),
        editable: s.isContentEditable, breaks: s.querySelectorAll('br, div').length})""")


def test_edit_save_import_rerun_stale_and_orphaned(tmp_path, context):
    loop = Loop(tmp_path)
    document = loop.run()
    (first_id, first), (second_id, second), (third_id, third) = unique_sentences(document, 3)
    machine = {first_id: first.translation, second_id: second.translation}

    # ---- edit two sentences in the reader, save the edits file -------------------------
    page = open_reader(context, loop.html)
    assert page.inner_text("#btn-save") == "Save edits (0)" and page.is_disabled("#btn-save")
    assert sentence_state(page, first_id)["editable"] is False
    page.keyboard.press("e")
    assert page.get_attribute("#btn-edit", "aria-pressed") == "true"
    assert sentence_state(page, first_id)["editable"] is True

    type_into(page, first_id, FIRST)
    page.keyboard.press("Enter")  # ends the edit; no line break
    type_into(page, second_id, "Private firms")
    page.keyboard.type(" drive the city's economy.")
    assert page.inner_text("#btn-save") == "Save edits (2)"
    for sid, text in ((first_id, FIRST), (second_id, SECOND)):
        state = sentence_state(page, sid)
        assert (state["text"], state["changed"], state["breaks"]) == (text, True, 0)

    type_into(page, third_id, "A change I do not want")
    page.keyboard.press("Escape")  # cancels this sentence's edit; the sentence keeps the focus, not editing
    assert sentence_state(page, third_id) == {"text": third.translation, "changed": False, "editable": False, "breaks": 0}
    assert page.evaluate("document.activeElement.dataset.s") == third_id
    assert page.inner_text("#btn-save") == "Save edits (2)"

    page.hover(en(first_id))
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "reader-edit-mode.png"))

    page.reload()  # unsaved edits survive a reload
    page.wait_for_function("document.body.classList.contains('ready')")
    assert page.inner_text("#btn-save") == "Save edits (2)"
    assert sentence_state(page, first_id)["text"] == FIRST and sentence_state(page, first_id)["changed"]

    with page.expect_download() as download_info:
        page.click("#btn-save")
    download = download_info.value
    assert download.suggested_filename == "taizhou.edits.tsv"
    saved = tmp_path / "downloads" / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.splitlines()[:2] == [f"# duizhao edits for {document.source}", "source\tmachine\tenglish"]
    assert {e.source: (e.machine, e.english) for e in read_edits(saved).values()} == {
        first.text: (machine[first_id], FIRST), second.text: (machine[second_id], SECOND)}
    assert "\\\\ a record." in text  # the backslash escaped as pipeline/review/edits.py does
    page.close()

    # ---- import the file beside the source and run again: both applied -----------------
    result = CliRunner().invoke(cli, ["edits", "import", str(saved)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 edits added, 0 replaced" in result.output
    assert edits_path(loop.source).exists()
    document = loop.run()
    by_text = {s.text: s for s in document.sentences()}
    assert by_text[first.text].translation == FIRST and by_text[second.text].translation == SECOND
    assert document.edits["applied"] == 2 and document.edits["orphaned"] == []
    sentences = {s["text"]: s for b in loop.json()["blocks"] for s in b["sentences"]}
    for sentence, english in ((first, FIRST), (second, SECOND)):
        assert sentences[sentence.text]["edited"] is True
        assert sentences[sentence.text]["translation"] == english
        assert sentences[sentence.text]["machine"] == sentence.translation

    page = open_reader(context, loop.html)
    assert page.locator(".cell.en .s.changed").count() == 0  # applied: no longer this page's own
    assert page.inner_text("#btn-save") == "Save edits (2)"  # the applied edits are saved again
    assert page.is_disabled("#btn-discard")
    assert page.locator(".cell.en .s.edited").count() == 2
    marker = page.locator(f"{en(first_id)} + .em")
    assert marker.is_visible() and marker.inner_text() == "✎"
    assert marker.get_attribute("title") == f"post-edited; machine said: {machine[first_id]}"
    assert page.inner_text(en(first_id)) == FIRST
    assert not page.is_visible("#btn-save")  # nothing unsaved: the edit controls wait for edit mode
    page.keyboard.press("e")
    with page.expect_download() as download_info:
        page.click("#btn-save")
    again = tmp_path / "again.tsv"
    download_info.value.save_as(again)
    assert again.read_text(encoding="utf-8") == text  # nothing lost, nothing changed
    page.close()

    # ---- a new machine translation: the edits stay, marked stale ------------------------
    document = loop.run(version="2")
    now = {s.text: s for s in document.sentences()}[first.text]
    assert now.translation == FIRST and now.machine.endswith("(v2)")
    page = open_reader(context, loop.html)
    marker = page.locator(f"{en(first_id)} + .em")
    assert "stale" in marker.get_attribute("class")
    title = marker.get_attribute("title")
    assert "machine translation has changed since the edit" in title and title.endswith(now.machine)
    page.click('[data-panel="qa"]')
    page.click('[data-sev="info"]')  # a stale edit is a note
    assert page.locator("#qa-list .qa-flags li", has_text="edit-stale").count() == 2
    # Saving the untouched stale edits keeps the machine output they were made against,
    # so importing the file again does not hide that they are stale.
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    with page.expect_download() as download_info:
        page.click("#btn-save")
    stale_save = tmp_path / "stale.tsv"
    download_info.value.save_as(stale_save)
    assert stale_save.read_text(encoding="utf-8") == text
    assert CliRunner().invoke(cli, ["edits", "import", str(stale_save)], catch_exceptions=False).exit_code == 0
    document = loop.run(version="2")
    now = {s.text: s for s in document.sentences()}[first.text]
    assert [f.code for f in now.flags if f.code == "edit-stale"] == ["edit-stale"]
    page.close()

    # ---- the source of an edited sentence changes: the edit is orphaned -----------------
    changed = first.text[:2] + "新" + first.text[2:]
    loop.source.write_text(loop.source.read_text(encoding="utf-8").replace(first.text, changed), encoding="utf-8")
    document = loop.run(version="2")
    (orphan,) = document.edits["orphaned"]
    assert orphan == {"source": first.text, "english": FIRST, "line": 3, "closest": changed}
    assert FIRST not in [s.translation for s in document.sentences()]
    assert document.edits["applied"] == 1
    page = open_reader(context, loop.html)
    assert page.locator(".cell.en .s", has_text="half a million").count() == 0
    page.click('[data-panel="qa"]')
    item = page.locator("#panel-qa .orphans li")
    assert item.count() == 1
    shown = item.inner_text()
    assert first.text in shown and FIRST in shown and "taizhou.edits.tsv:3" in shown
    assert f"closest now: {changed}" in shown
    item.locator("a[data-goto]").click()
    pinned = page.eval_on_selector_all(".s.pin", "els => els.map(e => e.dataset.s)")
    assert len(pinned) == 2 and page.inner_text(f'.cell.zh .s[data-s="{pinned[0]}"]') == changed
    to_do = [f for f in document_flags(loop.json()) if f["severity"] != "info" and not f.get("resolved")]
    assert page.inner_text('[data-panel="qa"] .qa-n') == str(len(to_do))
    assert page.inner_text('[data-panel="qa"]') == f"Review {len(to_do)} 1 orphaned"
    page.close()


def document_flags(data: dict) -> list[dict]:
    return [f for b in data["blocks"] for f in b["flags"] + [f for s in b["sentences"] for f in s.get("flags", [])]]


# ---- resolved flags ------------------------------------------------------------------------


@pytest.fixture
def cli_engine(monkeypatch):
    """`duizhao run` and `duizhao check` with a fake engine in place of the Argos model."""
    import pipeline.translate.engines.settings

    chosen = {"engine": VersionedEngine("1")}
    monkeypatch.setattr(pipeline.translate.engines.settings, "build_engine", lambda settings, **kwargs: chosen["engine"])
    return chosen


def cli_counts(loop: Loop) -> tuple[str, str, str]:
    """The review line of `duizhao run`, the one of `duizhao check`, and the page's count."""
    args = ["-g", str(GLOSSARY), "--cache", str(loop.folder / "c.sqlite3")]
    ran = CliRunner().invoke(cli, ["run", str(loop.source), "-o", str(loop.out), *args], catch_exceptions=False)
    checked = CliRunner().invoke(cli, ["check", str(loop.source), *args], catch_exceptions=False)
    run_line = next(line for line in ran.output.splitlines() if line.startswith("Review: "))
    check_line = checked.output.splitlines()[-1]
    return run_line.removesuffix(" (duizhao check SOURCE lists them)"), check_line.partition(";")[0], \
        loop.html.read_text(encoding="utf-8")


def page_counts(page) -> tuple[str, str]:
    return page.inner_text(".qa-n"), page.inner_text("#qa-summary")


def test_resolved_flags_are_saved_with_the_edits_and_a_rerun_shows_what_is_still_open(tmp_path, context, cli_engine):
    from pipeline.review.qa import review_counts

    loop = Loop(tmp_path)
    run_line, check_line, html = cli_counts(loop)
    counts = review_counts(loop.run())
    assert run_line == check_line == counts.line() and counts.to_do_total > 3
    assert f'<span class="n qa-n">{counts.to_do_total}</span>' in html

    page = open_reader(context, loop.html)
    assert page_counts(page) == (str(counts.to_do_total), counts.summary())
    page.click('[data-panel="qa"]')
    first, second = page.locator("#qa-list .qa-g").nth(0), page.locator("#qa-list .qa-g").nth(1)
    where, code = first.locator("a").inner_text(), first.locator("input").first.get_attribute("data-code")
    first.locator("input").first.check()
    second_where = second.locator("a").inner_text()
    second.locator("input").first.check()
    second.locator("input").first.uncheck()  # changed my mind
    resolved_counts = (str(counts.to_do_total - 1),
                       f"{counts.to_do_total - 1} flags to do, {counts.notes_total} notes, 1 resolved")
    assert page_counts(page) == resolved_counts
    open_left = {f["severity"] for f in _sentence_flags(loop, where) if f["code"] != code}
    worst = next((level for level in ("error", "warning", "info") if level in open_left), "done")
    assert page.get_attribute(f'[id="fm-{where}"]', "class") == f"fm sev-{worst}"
    assert page.inner_text("#btn-save") == "Save edits (0, 1 resolved)"  # a tick is not an edit
    page.reload()  # kept in the browser
    page.wait_for_function("document.body.classList.contains('ready')")
    assert page_counts(page) == resolved_counts
    page.click('[data-panel="qa"]')
    assert page.locator("#qa-list .qa-g a", has_text=where).count() == (1 if _flags_at(loop, where) > 1 else 0)
    page.check("#qa-resolved")  # resolved ones too
    assert page.locator(f'#qa-list .qa-g:has(a:text-is("{where}")) li.done input[data-code="{code}"]').is_checked()

    with page.expect_download() as download_info:
        page.click("#btn-save")
    saved = tmp_path / "taizhou.edits.tsv"
    download_info.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[1] == "source\tmachine\tenglish\tresolved"
    assert len(lines) == 3 and lines[2].endswith(f"\t\t{code}") and second_where not in lines[2]
    page.close()

    # imported beside the source, the next run shows the flag resolved, and so does every count
    imported = CliRunner().invoke(cli, ["edits", "import", str(saved)], catch_exceptions=False)
    assert imported.exit_code == 0 and "0 edits added, 0 replaced, 1 flag marked resolved" in imported.output
    run_line, check_line, html = cli_counts(loop)
    assert run_line == check_line and run_line.endswith(", 1 resolved")
    assert f"{counts.to_do_total - 1} flags to do" in run_line
    flag = next(f for f in _sentence_flags(loop, where) if f["code"] == code)
    assert flag["resolved"] is True
    page = open_reader(context, loop.html)
    assert page_counts(page) == resolved_counts
    assert page.evaluate("localStorage.getItem('duizhao.resolved:' + JSON.parse(document.getElementById('reader-data').textContent).edit.source)") is None
    page.close()

    # a new machine translation: the mark was for the old English, so the flag is open again
    cli_engine["engine"] = VersionedEngine("2")
    run_line, check_line, _ = cli_counts(loop)
    assert run_line == check_line and run_line.endswith(", 0 resolved")
    assert all(not f.get("resolved") for f in _sentence_flags(loop, where))


def _sentence_flags(loop: Loop, where: str) -> list[dict]:
    block, _, n = where.partition(".")
    found = next(b for b in loop.json()["blocks"] if b["id"] == block)
    return found["sentences"][int(n) - 1].get("flags", []) if n else found["flags"]


def _flags_at(loop: Loop, where: str) -> int:
    return len([f for f in _sentence_flags(loop, where) if f["severity"] != "info"])


def test_discard_asks_twice_and_restores_the_page(tmp_path, context):
    loop = Loop(tmp_path)
    document = loop.run()
    ((sid, sentence),) = unique_sentences(document, 1)
    page = open_reader(context, loop.html)
    terms = page.locator(f"{en(sid)} mark.term").count()
    choose(page, "#btn-edit")
    type_into(page, sid, "Something else entirely.")
    page.keyboard.press("Tab")
    assert page.inner_text("#btn-save") == "Save edits (1)"
    page.click("#btn-discard")
    assert page.inner_text("#btn-discard") == "Discard 1 edit?"
    assert sentence_state(page, sid)["changed"]  # one click is not enough
    page.click("#btn-discard")
    assert sentence_state(page, sid)["text"] == sentence.translation
    assert page.locator(f"{en(sid)} mark.term").count() == terms  # the markup is back, not just the text
    assert page.inner_text("#btn-save") == "Save edits (0)" and page.is_disabled("#btn-save")
    page.reload()
    page.wait_for_function("document.body.classList.contains('ready')")
    assert page.locator(".s.changed").count() == 0
    page.keyboard.press("e")
    assert page.get_attribute("#btn-edit", "aria-pressed") == "true"
    page.keyboard.press("e")
    assert page.get_attribute("#btn-edit", "aria-pressed") == "false"
    assert sentence_state(page, sid)["editable"] is False


def paste(page, sid: str, text: str) -> None:
    page.evaluate("""([sid, text]) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        data.setData('text/html', '<b>bold</b><br><img src=x>');
        document.querySelector(`.cell.en .s[data-s="${sid}"]`).dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }""", [sid, text])


def test_pasted_text_is_plain_one_line_and_saved_escaped(tmp_path, context):
    loop = Loop(tmp_path)
    ((sid, sentence),) = unique_sentences(loop.run(), 1)
    page = open_reader(context, loop.html)
    page.keyboard.press("e")
    page.click(en(sid))
    page.keyboard.press("Control+A")  # the paste replaces the selection
    paste(page, sid, PASTED)
    state = sentence_state(page, sid)
    assert (state["text"], state["breaks"]) == ("From the clipboard, over\ttwo lines", 0)
    assert page.locator(f"{en(sid)} b, img").count() == 0
    page.keyboard.press("Enter")
    with page.expect_download() as download_info:
        page.click("#btn-save")
    saved = tmp_path / "taizhou.edits.tsv"
    download_info.value.save_as(saved)
    assert "\tFrom the clipboard, over\\ttwo lines\n" in saved.read_text(encoding="utf-8")
    (edit,) = read_edits(saved).values()
    assert (edit.source, edit.machine, edit.english) == (sentence.text, sentence.translation, "From the clipboard, over\ttwo lines")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_edit_marks_and_controls_meet_wcag_aa_contrast(tmp_path, browser, scheme):
    html = tmp_path / "edited.html"
    html.write_text(render(edited_document()), encoding="utf-8")
    context = browser.new_context(viewport=NARROW, color_scheme=scheme)
    try:
        page = open_reader(context, html)
        page.keyboard.press("e")
        type_into(page, "p1.1", "Taizhou City")
        choose(page, "#btn-edit")
        page.click('[data-panel="qa"]')
        page.screenshot(path=str(SHOTS / f"reader-edits-narrow-{scheme}.png"))
        checked = [".em", ".em.stale", ".s.changed", "#btn-save", "#btn-discard",
                   ".orphans .o-src", ".orphans .o-line", ".orphans .o-near a"]
        choose(page, "#btn-edit")
        checked.append("#btn-edit[aria-pressed=true]")
        ratios = dict(page.evaluate(CONTRAST, checked))
        assert None not in ratios.values(), ratios
        low = {sel: round(r, 2) for sel, r in ratios.items() if r < 4.5}
        assert not low, low
    finally:
        context.close()
