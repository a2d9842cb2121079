"""The live review workspace in Debian's chromium, against its server on 127.0.0.1:
edits saved in place and surviving a rerun, two tabs at once, Ctrl+Enter, flags
resolved a code at a time, Add term with no engine call for NMT, exact and fuzzy
translation-memory matches in a second document, refused writes, hostile text, and
the whole review of the seed (screenshots in output/review-*.png).

The pages may ask only the workspace itself; every other request, page error and
dialog fails the test."""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
from conftest import DESKTOP, SHOTS
from test_workspace import Session

from pipeline.review.edits import edits_path, read_edits
from pipeline.run import run
from pipeline.serve.review import ReviewServer

#: A sentence of the seed (p4) and the same with one number changed: a fuzzy match.
SEED_SENTENCE = "2023年,大麦屿港区集装箱吞吐量突破50万箱,同比增加17.3%。"
NEAR = SEED_SENTENCE.replace("50万", "60万")
HOSTILE = '<img src=x onerror="window.__pwned=1"> "quoted" & \'single\' </span><script>window.__pwned=2</script>'


@dataclass
class Watched:
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


class Live:
    """A workspace on a copy of the seed (and its second document), served, and a
    browser context whose pages are watched."""

    def __init__(self, folder: Path, browser, extra: dict[str, str] | None = None):
        self.session = Session(folder, extra=extra)
        self.log: list[str] = []
        self.server = ReviewServer(self.session.workspace, 0, log=self.log.append).start()
        self.origin = f"http://127.0.0.1:{self.server.port}"
        self.context = browser.new_context(viewport=DESKTOP)
        self.watched = Watched()
        self.context.on("page", self._watch)

    def _watch(self, page) -> None:
        page.on("request", lambda r: None if r.url.startswith((self.origin, "data:", "blob:"))
                else self.watched.foreign.append(r.url))
        page.on("console", lambda m: self.watched.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.watched.errors.append(str(e)))
        page.on("dialog", lambda d: (self.watched.dialogs.append(d.message), d.dismiss()))

    def open(self, page_name: str = "taizhou.html"):
        page = self.context.new_page()
        page.goto(self.server.url(page_name))
        wait_live(page)
        return page

    @property
    def engine(self):
        return self.session.engine

    def close(self) -> None:
        self.context.close()
        self.server.close()
        self.session.close()


@pytest.fixture
def live(tmp_path, browser):
    opened = Live(tmp_path, browser, {"third.txt": NEAR + "\n"})
    yield opened
    opened.close()
    # A refused write shows as a failed load in the console: only those the test caused are allowed.
    errors = [e for e in opened.watched.errors if "status of 409" not in e and "status of 403" not in e]
    assert (opened.watched.foreign, errors, opened.watched.dialogs) == ([], [], [])


def wait_live(page) -> None:
    page.wait_for_function("document.body.dataset.live === 'ready'")


def en(sid: str) -> str:
    return f'.cell.en .s[data-s="{sid}"]'


def zh(sid: str) -> str:
    return f'.cell.zh .s[data-s="{sid}"]'


def sid_of(live: Live, text: str, page: str = "taizhou.html") -> str:
    state = live.session.state(page)
    return next(sid for sid, v in state["sentences"].items() if v["source"] == text)


def type_into(page, sid: str, text: str) -> None:
    page.click(en(sid))
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def saved(page, sid: str, what: str = "saved") -> None:
    page.wait_for_function(f"document.getElementById('status').textContent === {json.dumps(sid + ' ' + what)}")


def approved_count(page) -> str:
    return page.inner_text("#live-approved")


def test_an_edit_lands_on_disk_its_flags_change_without_a_reload_and_it_survives_a_rerun(live):
    page = live.open()
    sid = sid_of(live, SEED_SENTENCE)
    to_do = int(page.inner_text(".qa-n"))
    type_into(page, sid, "In 2023 the port moved many boxes.")  # drops 50万 and 17.3%
    page.keyboard.press("Enter")
    saved(page, sid)
    marker = page.locator(f'[id="fm-{sid}"]')
    assert "number-mismatch" in marker.get_attribute("title")
    assert int(page.inner_text(".qa-n")) > to_do
    assert page.locator(f"{en(sid)} + .em").inner_text() == "✎"
    rows = read_edits(live.session.edits)
    assert rows[SEED_SENTENCE].english == "In 2023 the port moved many boxes."
    type_into(page, sid, "In 2023 the port moved 500,000 boxes, up 17.3%.")
    page.keyboard.press("Enter")
    page.wait_for_function(f"!(document.getElementById('fm-{sid}') || {{title: ''}}).title.includes('number-mismatch')")
    assert int(page.inner_text(".qa-n")) == to_do
    page.reload()
    wait_live(page)
    assert page.inner_text(en(sid)) == "In 2023 the port moved 500,000 boxes, up 17.3%."
    document = run(live.session.source, live.session.folder / "rerun", lambda: live.engine, live.session.cache,
                   glossaries=[live.session.glossary]).document
    assert {s.text: s.translation for s in document.sentences()}[SEED_SENTENCE] == \
        "In 2023 the port moved 500,000 boxes, up 17.3%."


def test_two_tabs_editing_at_once_lose_nothing_and_a_conflicting_save_is_refused_with_a_message(live):
    one, two = live.open(), live.open()
    state = live.session.state()
    first, second, third = [sid for sid in state["sentences"] if state["sentences"][sid]["english"]][4:7]
    type_into(one, first, "Tab one wrote this.")
    type_into(two, second, "Tab two wrote this.")
    one.keyboard.press("Enter")
    two.keyboard.press("Enter")
    saved(one, first)
    saved(two, second)
    rows = {e.english for e in read_edits(live.session.edits).values()}
    assert rows == {"Tab one wrote this.", "Tab two wrote this."}
    two.wait_for_function(f"document.querySelector({json.dumps(en(first))}).textContent === 'Tab one wrote this.'",
                          timeout=10000)  # the other tab's edit appears by itself
    # both start on the same sentence; the second to save is told, and keeps its text
    type_into(one, third, "One's version.")
    type_into(two, third, "Two's version.")
    one.keyboard.press("Enter")
    saved(one, third)
    two.keyboard.press("Enter")
    two.wait_for_selector(".live-alert:not([hidden])")
    assert "changed meanwhile" in two.inner_text(".live-alert") and "One's version." in two.inner_text(".live-alert")
    assert two.inner_text(en(third)) == "Two's version." and "conflict" in two.get_attribute(en(third), "class")
    assert {e.english for e in read_edits(live.session.edits).values()} >= {"One's version."}
    assert "Two's version." not in {e.english for e in read_edits(live.session.edits).values()}


def test_ctrl_enter_approves_and_moves_to_the_next_open_sentence(live):
    page = live.open()
    total = live.session.state()["total"]
    assert approved_count(page) == f"Approved 0/{total}"
    ids = list(live.session.state()["sentences"])
    page.click(en(ids[2]))
    page.keyboard.press("Control+Enter")
    page.wait_for_function(f"document.activeElement.dataset.s === {json.dumps(ids[3])}")
    assert approved_count(page) == f"Approved 1/{total}"
    assert page.locator(f"{en(ids[2])} ~ .ap").inner_text() == "✓"
    page.keyboard.press("Control+Enter")  # on the English it moved to
    page.wait_for_function(f"document.activeElement.dataset.s === {json.dumps(ids[4])}")
    page.click(en(ids[1]))
    page.keyboard.press("Control+Enter")  # the next open one is after the approved ones
    page.wait_for_function(f"document.activeElement.dataset.s === {json.dumps(ids[4])}")
    rows = read_edits(live.session.edits)
    assert sum(e.approved for e in rows.values()) == 3
    assert approved_count(page) == f"Approved 3/{total}"


def test_resolving_all_flags_of_a_code_clears_them_from_the_queue(live):
    page = live.open()
    page.click('[data-panel="qa"]')
    code = page.get_attribute("#qa-list .qa-flags input[data-code]", "data-code")
    before = int(page.inner_text(".qa-n"))
    open_of_code = live.session.state()["counts"]["codes"][code]
    page.locator(f'#qa-list button.all-code[data-code="{code}"]').first.click()
    page.wait_for_function(f"document.querySelector('.qa-n').textContent === '{before - open_of_code}'")
    assert page.locator(f'#qa-list input[data-code="{code}"]').count() == 0
    lines = [e for e in read_edits(live.session.edits).values() if code in e.resolved]
    assert len(lines) >= 1 and live.session.state()["counts"]["codes"].get(code, 0) == 0


def select_in(page, selector: str, text: str) -> None:
    """Select ``text`` inside the element ``selector`` (one text node), as a drag would."""
    found = page.evaluate("""([selector, text]) => {
        const root = document.querySelector(selector);
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(text);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + text.length);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
            document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
            return true;
        }
        return false;
    }""", [selector, text])
    assert found, text


def add_term(live: Live, page, sid: str, zh_text: str, english: str, note: str = "") -> int:
    """Add a term from a selection in sentence ``sid``; the engine calls the run after it made."""
    select_in(page, zh(sid), zh_text)
    page.click("#add-term")
    page.wait_for_selector("#term-dialog[open]")
    assert page.input_value('#term-dialog input[name="zh"]') == zh_text
    page.wait_for_function("document.querySelector('#term-dialog .term-info').textContent.startsWith('In ')")
    live.session.workspace.wait_prepared(zh_text)  # done while the English is typed
    calls = len(live.engine.calls)
    page.fill('#term-dialog input[name="en"]', english)
    page.fill('#term-dialog input[name="note"]', note)
    with page.expect_navigation():
        page.click('#term-dialog button[type="submit"]')
    wait_live(page)
    return len(live.engine.calls) - calls


def test_add_term_writes_the_glossary_reruns_with_no_engine_call_and_the_page_shows_it(live):
    page = live.open()
    sid = sid_of(live, SEED_SENTENCE)
    assert page.locator(f"{zh(sid)} mark.term", has_text="集装箱").count() == 0
    assert add_term(live, page, sid, "集装箱", "container", "*TEU* boxes") == 0  # the run made no engine call
    calls = len(live.engine.calls)
    assert live.session.glossary.read_text(encoding="utf-8").endswith("集装箱\tcontainer\t*TEU* boxes\t\n")
    assert page.locator(f"{zh(sid)} mark.term", has_text="集装箱").count() == 1
    assert page.locator(f"{en(sid)} mark.term", has_text="container").count() == 1
    assert "0 sentences translated" in page.inner_text("#status")
    # and its English changed from the tooltip: no engine call either
    page.hover(f'{zh(sid)} mark.term:text("集装箱")')
    page.wait_for_selector("#tip .term-edit")
    page.hover("#tip")
    page.click("#tip .term-edit")
    page.fill('#term-dialog input[name="en"]', "shipping container")
    with page.expect_navigation():
        page.click('#term-dialog button[type="submit"]')
    wait_live(page)
    assert len(live.engine.calls) == calls
    assert "\n集装箱\tshipping container\t*TEU* boxes\t\n" in "\n" + live.session.glossary.read_text(encoding="utf-8")
    assert page.locator(f"{en(sid)} mark.term", has_text="shipping container").count() == 1


def test_a_second_document_takes_exact_matches_without_an_engine_call_and_shows_where_from(live):
    for sid, value in live.session.state()["sentences"].items():
        live.session.workspace.set_status("taizhou.html", sid, value["english"], True)
    calls = len(live.engine.calls)
    page = live.open("second.html")
    assert len(live.engine.calls) == calls
    total = live.session.state("second.html")["total"]
    assert approved_count(page) == f"Approved {total - 1}/{total}"
    tm = page.locator(".cell.en .s.tm")
    assert tm.count() == total - 1
    title = page.locator(".ap.tm").first.get_attribute("title")
    assert title.startswith("approved: from the translation memory (taizhou.txt, 20")
    page.click('[data-panel="qa"]')
    page.click('[data-sev="info"]')
    assert page.locator("#qa-list .qa-flags code", has_text="tm-exact").count() == total - 1
    page.screenshot(path=str(SHOTS / "review-second-document-tm.png"))


def test_a_fuzzy_match_shows_its_differences_and_is_taken_with_one_key(live):
    sid = sid_of(live, SEED_SENTENCE)
    value = live.session.state()["sentences"][sid]
    live.session.workspace.save("taizhou.html", sid, value["english"], "In 2023 Damaiyu handled 500,000 boxes.",
                                approve=True)
    page = live.open("third.html")
    near = sid_of(live, NEAR, "third.html")
    page.click(en(near))
    box = page.locator("#tm-box")
    box.wait_for()
    assert box.locator(".tm-score").first.inner_text().endswith("%")
    assert box.locator("del").all_inner_texts() == ["5"] and box.locator("ins").all_inner_texts() == ["6"]
    assert box.locator(".tm-en").first.inner_text() == "In 2023 Damaiyu handled 500,000 boxes."
    page.screenshot(path=str(SHOTS / "review-fuzzy-match.png"))
    page.keyboard.press("Control+i")
    page.wait_for_function(f"document.getElementById('status').textContent.startsWith('Match 9')")
    assert page.inner_text(en(near)) == "In 2023 Damaiyu handled 500,000 boxes."
    (row,) = read_edits(edits_path(live.session.folder / "sources" / "third.txt")).values()
    assert row.english == "In 2023 Damaiyu handled 500,000 boxes."


class _Evil(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_a_write_from_another_origin_or_without_the_token_is_refused_and_changes_nothing(live, tmp_path):
    page = live.open()  # the reviewer's cookie is in the browser
    state = live.session.state()
    sid, value = next(iter(state["sentences"].items()))
    body = json.dumps({"file": "taizhou.html", "sentence": sid, "base": value["english"], "english": "pwned"})
    # the page itself, without the header token: refused
    status = page.evaluate("""([body]) => fetch('/__duizhao/api/edit', {method: 'POST', body,
        headers: {'Content-Type': 'application/json'}}).then(r => r.status)""", [body])
    assert status == 403
    # another site on this machine, with the reviewer's cookie: refused
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "index.html").write_text("<!DOCTYPE html><title>evil</title><p>hello</p>", encoding="utf-8")
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Evil, directory=str(tmp_path / "evil")))
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        other = live.context.new_page()
        other.route(lambda url: url.startswith(f"http://127.0.0.1:{evil.server_address[1]}"), lambda r: r.continue_())
        other.goto(f"http://127.0.0.1:{evil.server_address[1]}/index.html")
        other.evaluate("""([url, body]) => fetch(url, {method: 'POST', mode: 'no-cors', credentials: 'include',
            headers: {'Content-Type': 'text/plain'}, body}).catch(() => null)""",
                       [f"{live.origin}/__duizhao/api/edit", body])
        other.wait_for_timeout(300)
        other.close()
    finally:
        evil.shutdown()
        evil.server_close()
    live.watched.foreign = [u for u in live.watched.foreign if f":{evil.server_address[1]}/" not in u]
    refused = [line for line in live.log if '"POST /__duizhao/api/edit" 403' in line]
    assert len(refused) == 2
    assert not live.session.edits.exists()
    assert page.inner_text(en(sid)) != "pwned"


def test_hostile_text_in_an_edit_or_a_term_is_shown_as_text(live):
    page = live.open()
    sid = sid_of(live, SEED_SENTENCE)
    type_into(page, sid, HOSTILE)
    page.keyboard.press("Enter")
    saved(page, sid)
    assert page.inner_text(en(sid)) == HOSTILE
    add_term(live, page, sid, "集装箱", '<img src=x onerror="window.__pwned=3">', "<script>window.__pwned=4</script>")
    assert page.inner_text(en(sid)) == HOSTILE  # the reviewer's English, after the rerun too
    other = sid_of(live, next(v["source"] for v in live.session.state()["sentences"].values()
                              if "集装箱" in v["source"] and v["source"] != SEED_SENTENCE))
    assert '<img src=x onerror="window.__pwned=3">' in page.inner_text(en(other))
    assert page.locator("main img, main script, #panel-glossary img").count() == 0
    assert page.evaluate("window.__pwned") is None
    notes = page.locator("#panel-glossary .gdetail .note").all_text_contents()
    assert any("<script>window.__pwned=4</script>" in note for note in notes)  # the note as text


def test_the_library_page_shows_approved_and_open_errors_and_filters_by_them(live):
    sid = sid_of(live, SEED_SENTENCE)
    value = live.session.state()["sentences"][sid]
    live.session.workspace.set_status("taizhou.html", sid, value["english"], True)
    page = live.context.new_page()
    page.goto(live.server.url())
    page.wait_for_selector("html[data-ready]")
    rows = page.locator("#library tbody tr")
    assert rows.count() == 3
    cells = [r.locator("td.approved").inner_text() for r in rows.all()]
    total = live.session.state()["total"]
    assert f"1/{total}" in cells
    errors = [int(r.get_attribute("data-open-errors")) for r in rows.all()]
    page.check("#open-errors-only")
    shown = [r for r in rows.all() if r.is_visible()]
    assert len(shown) == sum(1 for n in errors if n) and 0 < len(shown) < 3
    assert all(int(r.get_attribute("data-open-errors")) > 0 for r in shown)
    page.screenshot(path=str(SHOTS / "review-library.png"))


def approve_until_done(page, total: int) -> None:
    """Ctrl+Enter from the focused sentence until every sentence is approved."""
    while True:
        now = approved_count(page)
        if now == f"Approved {total}/{total}":
            return
        page.keyboard.press("Control+Enter")
        page.wait_for_function(f"document.getElementById('live-approved').textContent !== {json.dumps(now)}")


def test_a_reviewer_clears_the_queue_approves_everything_and_adds_three_terms_without_leaving_the_page(live):
    """The issue's "done when": the seed's review queue cleared, every sentence
    approved, three terms added and shown everywhere, all from the page; then the
    second document reuses those approvals. Screenshots: output/review-*.png."""
    SHOTS.mkdir(exist_ok=True)
    page = live.context.new_page()
    page.goto(live.server.url())
    page.wait_for_selector("html[data-ready]")
    page.screenshot(path=str(SHOTS / "review-1-library.png"))
    page.locator("#library a[href='taizhou.html']").click()
    wait_live(page)
    assert page.url.endswith("/taizhou.html")
    total = live.session.state()["total"]

    page.click('[data-panel="qa"]')  # the review queue, cleared a code at a time
    while page.inner_text(".qa-n") != "0":
        before = page.inner_text(".qa-n")
        page.locator("#qa-list button.all-code").first.click()
        page.wait_for_function(f"document.querySelector('.qa-n').textContent !== {json.dumps(before)}")
    page.screenshot(path=str(SHOTS / "review-2-queue-cleared.png"))
    page.keyboard.press("Escape")

    first = list(live.session.state()["sentences"])[0]
    page.click(en(first))
    approve_until_done(page, total)
    assert page.inner_text("#status") == "Every sentence is approved" or approved_count(page).endswith(f"{total}/{total}")
    page.screenshot(path=str(SHOTS / "review-3-all-approved.png"))

    terms = [("集装箱", "container"), ("阿根廷", "Argentina"), ("伊芙莲娜", "Evelina")]
    sid = sid_of(live, next(v["source"] for v in live.session.state()["sentences"].values() if "伊芙莲娜" in v["source"]))
    for zh_text, english in terms:
        assert add_term(live, page, sid, zh_text, english) == 0
    for zh_text, english in terms:  # everywhere: every sentence that has it, in both columns
        holding = [s for s, v in live.session.state()["sentences"].items() if zh_text in v["source"]]
        assert holding
        for s in holding:
            assert page.locator(f"{zh(s)} mark.term", has_text=zh_text).count() >= 1
            assert english in page.inner_text(en(s))
    assert live.session.glossary.read_text(encoding="utf-8").endswith("集装箱\tcontainer\t\t\n阿根廷\tArgentina\t\t\n"
                                                                       "伊芙莲娜\tEvelina\t\t\n")
    # the sentences whose English the terms changed are open again: approve them
    page.click(en(sid))
    approve_until_done(page, total)
    page.hover(f'{zh(sid)} mark.term:text("伊芙莲娜")')
    page.screenshot(path=str(SHOTS / "review-4-terms-added.png"))
    assert int(page.inner_text(".qa-n")) == live.session.state()["counts"]["to_do"]

    page.click("a.library")
    page.wait_for_selector("html[data-ready]")
    approved = [r.inner_text() for r in page.locator("#library td.approved").all()]
    assert f"{total}/{total}" in approved
    page.screenshot(path=str(SHOTS / "review-5-library-done.png"))
    calls = len(live.engine.calls)
    page.locator("#library a[href='second.html']").click()
    wait_live(page)
    second = live.session.state("second.html")
    assert len(live.engine.calls) == calls  # every shared sentence from the memory
    assert second["approved"] == second["total"] - 1
    assert approved_count(page) == f"Approved {second['total'] - 1}/{second['total']}"
    page.screenshot(path=str(SHOTS / "review-6-second-document.png"))
