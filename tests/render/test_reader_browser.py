"""The reader in a real browser: Debian's chromium, headless, driven by Playwright.

No browser is ever downloaded: Playwright launches /usr/bin/chromium, which the
README's test command installs. When it is missing these tests fail, never skip.
Every page is opened from file:// and must make no request and log no error.
Screenshots of the seed's reader are left in output/ (git-ignored) to look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import DESKTOP, NARROW, SHOTS
from test_reader import REPO, hostile_document, long_document, seed_document, small_document, unbreakable_document

from pipeline.core.config import VARIANTS
from pipeline.render.reader import render
from pipeline.read import load_document





@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reader")
    traditional = folder / "traditional.txt"
    traditional.write_text("臺灣的經濟發展很快。\n", encoding="big5")
    documents = {"seed": seed_document(folder), "long": long_document(folder), "small": small_document(), "hostile": hostile_document(),
                 "unbreakable": unbreakable_document(),
                 "traditional": load_document(traditional)}
    paths = Pages()
    for name, document in documents.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(render(document), encoding="utf-8")
    for variant in VARIANTS:
        paths[f"seed-{variant}"] = folder / f"seed-{variant}.html"
        paths[f"seed-{variant}"].write_text(render(documents["seed"], variant=variant), encoding="utf-8")
    paths.documents = documents
    return paths


class Pages(dict):
    """Page files by name; ``documents`` holds the documents they were rendered from."""

    documents: dict


@dataclass
class Opened:
    page: object
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def clean(self) -> bool:
        return not (self.requests or self.errors or self.dialogs)


@pytest.fixture
def open_page(browser, pages):
    """``open_page(name, viewport=..., **context options)``: a fresh context (fresh
    localStorage) that records non-file requests, console errors and dialogs."""
    contexts = []
    opened_pages = []

    def open_(name: str, viewport: dict = DESKTOP, **options) -> Opened:
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        page = context.new_page()
        seen = Opened(page)
        page.on("request", lambda r: None if r.url.startswith("file:") else seen.requests.append(r.url))
        page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: seen.errors.append(str(e)))
        page.on("dialog", lambda d: (seen.dialogs.append(d.message), d.dismiss()))
        page.route(lambda url: not url.startswith("file:"), lambda route: route.abort())
        page.goto(pages[name].as_uri())
        page.wait_for_function("document.body.classList.contains('ready')")
        opened_pages.append(seen)
        return seen

    yield open_
    for context in contexts:
        context.close()
    for seen in opened_pages:
        assert seen.clean(), (seen.requests, seen.errors, seen.dialogs)


def choose(page, selector: str) -> None:
    """Click a control of the View menu (layout, script, colours, ...), then close it."""
    if page.is_hidden("#menu"):
        page.click("#btn-menu")
    page.click(selector)
    page.keyboard.press("Escape")


def zh(sid: str) -> str:
    return f'.cell.zh .s[data-s="{sid}"]'


def en(sid: str) -> str:
    return f'.cell.en .s[data-s="{sid}"]'


# ---- loading ----------------------------------------------------------------------------


@pytest.mark.parametrize("viewport, shot", [(DESKTOP, "reader-desktop.png"), (NARROW, "reader-narrow.png")],
                         ids=["desktop", "narrow"])
def test_seed_loads_from_file_with_no_request_and_no_error(open_page, viewport, shot):
    opened = open_page("seed", viewport)
    page = opened.page
    assert opened.clean(), (opened.requests, opened.errors)
    assert page.locator(".row").count() == 67
    assert page.locator(".cell.zh .s").count() == page.locator(".cell.en .s").count() == 130
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / shot))


def test_screenshots_with_aids_and_panels(open_page):
    page = open_page("seed").page
    page.click("#btn-pinyin")
    page.click('[data-panel="glossary"]')
    page.hover(zh("p4.2"))
    page.screenshot(path=str(SHOTS / "reader-desktop-pinyin-glossary.png"))
    dark = open_page("seed", color_scheme="dark").page
    choose(dark, '[data-mode="inter"]')
    dark.click('[data-panel="qa"]')
    dark.screenshot(path=str(SHOTS / "reader-desktop-dark-interleaved-review.png"))


#: Every piece of a cell's content (each line box of each element and text) that
#: reaches outside the cell, and every cell whose content is wider than it is.
OVERFLOW = """() => {
  const out = [];
  for (const cell of document.querySelectorAll(".row .cell")) {
    if (!cell.getClientRects().length) continue;  // not shown in this mode
    const box = cell.getBoundingClientRect();
    if (cell.scrollWidth > cell.clientWidth + 1) out.push([cell.closest(".row").id, "scrollWidth", cell.scrollWidth, cell.clientWidth]);
    const range = document.createRange();
    range.selectNodeContents(cell);
    for (const r of range.getClientRects()) {
      if (r.width && (r.left < box.left - 1 || r.right > box.right + 1))
        out.push([cell.closest(".row").id, cell.className, Math.round(r.left), Math.round(r.right), Math.round(box.left), Math.round(box.right)]);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("mode", ["side", "inter"])
@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "narrow"])
def test_no_cell_content_is_cut_off(open_page, viewport, mode):
    page = open_page("unbreakable", viewport).page
    page.evaluate("m => { document.querySelector(`[data-mode='${m}']`).click(); }", mode)
    assert page.locator(".row").count() == 8
    assert page.evaluate(OVERFLOW) == []
    page.click("#btn-pinyin")
    assert page.evaluate(OVERFLOW) == []
    assert "Taizhouensis" in page.text_content("#p4 > .en")


# ---- sentence pairs --------------------------------------------------------------------------


def test_hovering_a_sentence_highlights_its_counterpart_and_no_other(open_page):
    page = open_page("seed").page
    page.hover(zh("p4.2"))
    highlighted = page.eval_on_selector_all(".s.hl", "els => els.map(e => [e.parentNode.classList.contains('zh'), e.dataset.s])")
    assert highlighted == [[True, "p4.2"], [False, "p4.2"]]
    page.hover(en("p5.1"))
    assert page.eval_on_selector_all(".s.hl", "els => els.map(e => e.dataset.s)") == ["p5.1", "p5.1"]


def test_focus_highlights_and_a_click_pins_the_pair(open_page):
    page = open_page("seed").page
    page.focus(en("p6.1"))
    assert "hl" in page.get_attribute(zh("p6.1"), "class")
    page.click(en("p8.1"))
    assert page.eval_on_selector_all(".s.pin", "els => els.map(e => e.dataset.s)") == ["p8.1", "p8.1"]
    page.mouse.move(5, 5)
    assert page.locator(".s.pin").count() == 2  # pinned stays when the pointer leaves
    page.click(en("p8.1"))
    assert page.locator(".s.pin").count() == 0


# ---- layout modes ----------------------------------------------------------------------------


def columns(page, row: str = "#p4") -> int:
    return page.eval_on_selector(row, "r => getComputedStyle(r).gridTemplateColumns.split(' ').length")


@pytest.mark.parametrize("mode, grid, zh_shown, en_shown", [
    ("side", 2, True, True), ("inter", 1, True, True), ("zh", 1, True, False), ("en", 1, False, True),
], ids=["side-by-side", "interleaved", "chinese", "english"])
def test_layout_modes(open_page, mode, grid, zh_shown, en_shown):
    page = open_page("seed").page
    choose(page, f'[data-mode="{mode}"]')
    assert page.get_attribute(f'[data-mode="{mode}"]', "aria-pressed") == "true"
    assert columns(page) == grid
    assert page.is_visible("#p4 > .zh") is zh_shown
    assert page.is_visible("#p4 > .en") is en_shown
    if mode == "inter":
        assert sentence_order(page, "#p4")[:6] == ["zh p4.1", "en p4.1", "zh p4.2", "en p4.2", "zh p4.3", "en p4.3"]


SENTENCE_ORDER = """row => [...row.querySelectorAll('.cell .s')].map(s => [s.getBoundingClientRect().top, s.getBoundingClientRect().left,
    (s.closest('.cell').classList.contains('zh') ? 'zh ' : 'en ') + s.dataset.s]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(x => x[2])"""


def sentence_order(page, row: str) -> list[str]:
    """The sentences of a block as they stand on the screen, top to bottom."""
    page.locator(row).scroll_into_view_if_needed()
    return page.eval_on_selector(row, SENTENCE_ORDER)


@pytest.mark.parametrize("viewport, default", [(DESKTOP, "side"), (NARROW, "inter")], ids=["desktop", "phone"])
def test_a_phone_reads_sentence_by_sentence_by_default(open_page, viewport, default):
    page = open_page("seed", viewport).page
    assert f"mode-{default}" in page.get_attribute("body", "class")
    assert page.get_attribute(f'[data-mode="{default}"]', "aria-pressed") == "true"
    if default == "inter":  # each Chinese sentence, then its English
        assert sentence_order(page, "#p4")[:6] == ["zh p4.1", "en p4.1", "zh p4.2", "en p4.2", "zh p4.3", "en p4.3"]
    else:
        assert columns(page) == 2


@pytest.mark.parametrize("viewport, mode, twice", [(DESKTOP, "side", True), (DESKTOP, "inter", False), (NARROW, "side", False),
                                                   (NARROW, "inter", False), (DESKTOP, "en", False)],
                         ids=["desktop-side", "desktop-inter", "phone-side", "phone-inter", "english"])
def test_a_verbatim_block_is_shown_twice_only_side_by_side(open_page, viewport, mode, twice):
    page = open_page("unbreakable", viewport).page
    page.evaluate("m => document.querySelector(`[data-mode='${m}']`).click()", mode)
    shown = page.eval_on_selector_all("#p8 > pre.cell", "ps => ps.filter(p => p.getClientRects().length).length")
    assert shown == (2 if twice else 1)


def test_interleaved_list_items_keep_their_bullet_on_the_first_line(open_page):
    page = open_page("unbreakable").page
    page.evaluate("() => document.querySelector(`[data-mode='inter']`).click()")
    page.locator("#p7").scroll_into_view_if_needed()
    gap = page.eval_on_selector("#p7", """row => row.querySelector('.cell.zh .s').getBoundingClientRect().top
        - row.getBoundingClientRect().top - parseFloat(getComputedStyle(row).paddingTop)""")
    assert gap < 8  # nothing above the first sentence
    assert page.eval_on_selector("#p7 .cell.zh .s", "s => getComputedStyle(s, '::before').content") == '"•"'


def test_a_chosen_layout_outlasts_the_phone_default(open_page):
    page = open_page("seed", NARROW).page
    choose(page, '[data-mode="side"]')
    page.reload()
    page.wait_for_function("document.body.classList.contains('ready')")
    assert "mode-side" in page.get_attribute("body", "class")


BAR = """() => {
  const bar = document.querySelector('.bar'), row = document.querySelector('.bar-row');
  const shown = [...row.querySelectorAll('button, a')].filter(b => b.getClientRects().length && !b.closest('.edits'));
  return {height: bar.getBoundingClientRect().height, overflow: row.scrollWidth - row.clientWidth,
          spread: Math.max(...shown.map(b => b.getBoundingClientRect().top)) - Math.min(...shown.map(b => b.getBoundingClientRect().top)),
          controls: shown.map(b => b.id || b.dataset.panel || b.className)};
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "phone"])
def test_the_toolbar_is_one_row_and_the_rest_is_in_the_view_menu(open_page, viewport):
    page = open_page("seed", viewport).page
    bar = page.evaluate(BAR)
    assert bar["spread"] < 4 and bar["overflow"] <= 0 and bar["height"] < 56, bar  # one row; was 134 px on a phone
    assert bar["controls"] == ["btn-find", "btn-pinyin", "glossary", "qa", "btn-menu"]
    for hidden in ('[data-mode="side"]', '[data-script="hant"]', '[data-size="1"]', "#btn-terms", "#btn-tones", "#btn-edit", "#btn-keys"):
        assert not page.is_visible(hidden), hidden
    page.click("#btn-menu")
    assert page.get_attribute("#btn-menu", "aria-expanded") == "true"
    assert page.evaluate("document.activeElement.dataset.mode") == "side"  # the menu takes the focus
    for shown in ('[data-mode="inter"]', '[data-script="hant"]', '[data-size="1"]', "#btn-tones", "#btn-edit", "#btn-keys"):
        assert page.is_visible(shown), shown
    menu, row = page.locator("#menu").bounding_box(), page.locator(".bar-row").bounding_box()
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= viewport["width"] and menu["y"] >= row["y"] + row["height"] - 4
    page.keyboard.press("Escape")
    assert page.is_hidden("#menu") and page.evaluate("document.activeElement.id") == "btn-menu"  # and gives it back
    page.click("#btn-menu")
    page.mouse.click(viewport["width"] // 2, viewport["height"] - 20)  # a click elsewhere closes it
    assert page.is_hidden("#menu")


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "phone"])
def test_edit_controls_show_only_in_edit_mode_or_with_unsaved_edits(open_page, viewport):
    page = open_page("seed", viewport).page
    assert not page.is_visible("#btn-save") and not page.is_visible("#btn-discard")
    page.keyboard.press("e")
    assert page.is_visible("#btn-save") and page.is_visible("#btn-discard")
    bar = page.evaluate(BAR)
    # nothing pushed off; on a phone the two edit controls take a second row while editing
    assert bar["spread"] < 4 and bar["overflow"] <= 0 and bar["height"] < (56 if viewport == DESKTOP else 96), bar
    page.keyboard.press("e")
    assert not page.is_visible("#btn-save")
    choose(page, "#btn-edit")
    page.click(en("p4.1"))
    page.keyboard.press("End")
    page.keyboard.type(" More.")
    page.keyboard.press("Enter")
    choose(page, "#btn-edit")  # edit mode off, the edit not saved yet: Save stays in reach
    assert page.get_attribute("#btn-edit", "aria-pressed") == "false"
    assert page.is_visible("#btn-save") and page.inner_text("#btn-save") == "Save edits (1)"


def test_side_by_side_is_stacked_on_a_narrow_screen(open_page):
    page = open_page("seed", NARROW).page
    choose(page, '[data-mode="side"]')
    assert columns(page) == 1
    assert page.is_visible("#p4 > .zh") and page.is_visible("#p4 > .en")


def test_the_mode_is_remembered_and_m_cycles_it(open_page):
    page = open_page("seed").page
    choose(page, '[data-mode="en"]')
    page.reload()
    page.wait_for_function("document.body.classList.contains('ready')")
    assert "mode-en" in page.get_attribute("body", "class")
    page.keyboard.press("m")
    assert "mode-side" in page.get_attribute("body", "class")
    page.keyboard.press("m")
    assert "mode-inter" in page.get_attribute("body", "class")
    assert page.inner_text("#status") == "Layout: interleaved"


def test_print_is_side_by_side_whatever_the_mode(open_page):
    page = open_page("seed").page
    choose(page, '[data-mode="zh"]')
    page.emulate_media(media="print")
    assert columns(page) == 2
    assert page.is_visible("#p4 > .en") and not page.is_visible(".bar")


# ---- keyboard and links ----------------------------------------------------------------------


def test_j_and_k_move_between_blocks_and_question_mark_shows_the_keys(open_page):
    page = open_page("seed").page
    page.keyboard.press("j")
    first = page.get_attribute(".row.current", "id")
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.get_attribute(".row.current", "id") == f"p{int(first[1:]) + 2}"
    page.keyboard.press("k")
    assert page.get_attribute(".row.current", "id") == f"p{int(first[1:]) + 1}"
    assert page.evaluate("document.activeElement.closest('.row').id") == f"p{int(first[1:]) + 1}"
    assert page.evaluate("document.activeElement.dataset.s") == f"p{int(first[1:]) + 1}.1"
    page.keyboard.press("?")
    assert page.is_visible("#keys") and "next / previous block" in page.inner_text("#keys")
    page.keyboard.press("Escape")
    assert not page.is_visible("#keys")


TABBABLE = """root => [...root.querySelectorAll('*')].filter(e => e.tabIndex >= 0 && e.getClientRects().length
    && getComputedStyle(e).visibility !== 'hidden' && !e.closest('[hidden], [inert]')).length"""


@pytest.mark.parametrize("name", ["seed", "long"])
def test_the_text_is_one_tab_stop(open_page, name):
    page = open_page(name).page
    assert page.eval_on_selector("main", TABBABLE) == 1
    page.focus(".skip")
    page.keyboard.press("Enter")  # the skip link lands on it
    assert page.evaluate("document.activeElement.dataset.s") == "p1.1"
    page.keyboard.press("Tab")  # and the next Tab leaves the text
    assert page.evaluate("!document.querySelector('main').contains(document.activeElement)")


def roving(page) -> dict:
    return page.evaluate("""() => ({at: document.activeElement.dataset.s,
        column: document.activeElement.closest('.cell') && document.activeElement.closest('.cell').classList.contains('en') ? 'en' : 'zh',
        stops: [...document.querySelectorAll('main [tabindex="0"]')].map(e => e.dataset.s),
        lit: [...document.querySelectorAll('.s.hl')].map(e => e.dataset.s)})""")


def test_arrows_move_between_sentences_and_across_to_the_counterpart(open_page):
    page = open_page("seed").page
    page.focus(zh("p4.1"))
    page.keyboard.press("ArrowDown")
    assert roving(page) == {"at": "p4.2", "column": "zh", "stops": ["p4.2"], "lit": ["p4.2", "p4.2"]}
    page.keyboard.press("ArrowRight")
    assert roving(page) == {"at": "p4.2", "column": "en", "stops": ["p4.2"], "lit": ["p4.2", "p4.2"]}
    page.keyboard.press("ArrowUp")
    assert roving(page)["at"] == "p4.1" and roving(page)["column"] == "en"
    page.keyboard.press("ArrowLeft")
    assert roving(page)["column"] == "zh"
    page.keyboard.press("End")
    last = page.evaluate("[...document.querySelectorAll('.cell.zh .s')].pop().dataset.s")
    assert roving(page)["at"] == last
    page.keyboard.press("Home")
    assert roving(page)["at"] == "p1.1"
    page.keyboard.press("j")
    assert roving(page)["at"] == "p2.1" and roving(page)["stops"] == ["p2.1"]
    choose(page, '[data-mode="en"]')  # the Chinese is hidden: the stop moves across
    assert page.eval_on_selector("main", TABBABLE) == 1 and page.evaluate(
        "document.querySelector('main [tabindex=\"0\"]').closest('.cell').classList.contains('en')")


def test_panels_take_the_focus_and_give_it_back(open_page):
    page = open_page("seed").page
    page.focus('[data-panel="glossary"]')
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "glossary-h"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.panel').id") == "panel-glossary"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('gterm')")  # the first entry, two Tabs away
    page.keyboard.press("Escape")
    assert page.is_hidden("#panel-glossary")
    assert page.evaluate("document.activeElement.dataset.panel") == "glossary"


def test_escape_closes_one_layer_at_a_time(open_page):
    page = open_page("seed").page
    page.click('[data-panel="qa"]')
    page.focus(zh("p4.2"))
    page.keyboard.press("Enter")  # pinned
    page.keyboard.press("d")
    assert page.is_visible("#dict")
    page.keyboard.press("Escape")
    assert page.is_hidden("#dict") and page.is_visible("#panel-qa") and page.locator(".s.pin").count() == 2
    page.keyboard.press("Escape")
    assert page.is_hidden("#panel-qa") and page.locator(".s.pin").count() == 2
    page.keyboard.press("Escape")
    assert page.locator(".s.pin").count() == 0


def test_each_block_has_an_anchor_and_a_copy_link_control(open_page):
    page = open_page("seed").page
    assert page.get_attribute("#p12 .anchor", "href") == "#p12"
    page.hover("#p12")
    page.click("#p12 .copy")
    assert page.evaluate("location.hash") == "#p12"
    assert page.inner_text("#p12 .copy") == "copied"


# ---- glossary ----------------------------------------------------------------------------------


def test_a_glossary_term_has_a_tooltip_with_its_note_and_entry(open_page):
    page = open_page("seed").page
    mark = page.locator(".cell.zh mark.term", has_text="八八战略").first
    mark.hover()
    tip = page.locator("#tip")
    assert tip.is_visible()
    text = tip.inner_text()
    assert "八八战略" in text and "Double-Eight Strategy" in text
    assert "Zhejiang's provincial development strategy launched in July 2003" in text
    assert "glossary/taizhou.tsv:" in text
    assert tip.locator("em", has_text="Double-Eight Strategy").count() == 1  # Markdown rendered
    both = page.eval_on_selector_all(f'mark.term[data-o="{mark.get_attribute("data-o")}"]', "els => els.map(e => e.dataset.term)")
    assert len(both) == 2 and both[0] == both[1]  # the Chinese and its English


def uncovered(locator) -> bool:
    """The element is in the viewport and nothing (a panel, a pop-up) lies over it."""
    return locator.evaluate("""m => { const r = m.getClientRects()[0];
        const x = r.left + r.width / 2, y = r.top + r.height / 2;
        return r.top >= 0 && r.bottom <= innerHeight && m.contains(document.elementFromPoint(x, y)); }""")


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "narrow"])
def test_clicking_a_term_in_the_glossary_steps_through_its_occurrences(open_page, viewport):
    page = open_page("seed", viewport).page
    page.click('[data-panel="glossary"]')
    button = page.locator(".gterm").first  # most frequent first
    term_id = button.get_attribute("data-term")
    marks = page.locator(f'.cell.zh mark.term[data-term="{term_id}"]')
    total = marks.count()
    assert total > 3 and f"×{total}" in button.inner_text()
    for step in (1, 2):
        button.click()
        assert page.inner_text(f'.gterm[data-term="{term_id}"] + .pos') == f"{step} / {total}"
        current = marks.nth(step - 1)
        assert "occ" in current.get_attribute("class")
        sentence = current.evaluate("m => m.closest('.s').dataset.s")
        assert page.eval_on_selector_all(".s.pin", "els => els.map(e => e.dataset.s)") == [sentence, sentence]
        assert uncovered(current)
    assert page.locator("mark.term.occ").count() in (1, 2)  # the Chinese one, and the English one if found
    assert page.is_visible(f"#gd-{term_id}")  # its note, under the term in the panel


def test_keyboard_focus_on_a_glossary_term_shows_its_note(open_page):
    page = open_page("seed").page
    page.click('[data-panel="glossary"]')
    detail = page.locator(".gdetail").nth(1)
    assert not detail.is_visible()
    page.locator(".gterm").nth(0).focus()
    page.keyboard.press("Tab")
    assert detail.is_visible()


# ---- review ------------------------------------------------------------------------------------


def test_the_review_panel_groups_flags_by_sentence_and_its_links_pin_the_sentence(open_page):
    page = open_page("small").page
    page.click('[data-panel="qa"]')
    assert page.evaluate("document.activeElement.id") == "qa-h"  # the panel takes the focus
    groups = page.locator("#qa-list .qa-g")
    assert groups.count() == 1  # the info note (joined) is not to do
    assert groups.first.locator(".qa-flags li").count() == 1 and "number-mismatch" in groups.first.inner_text()
    groups.first.locator("a").click()
    assert page.eval_on_selector_all(".s.pin", "els => els.map(e => e.dataset.s)") == ["p2.2", "p2.2"]
    marker = page.locator(".fm:visible")
    assert marker.count() == 1 and marker.get_attribute("data-g") == "p2.2" and "sev-error" in marker.get_attribute("class")
    page.click('[data-sev="info"]')  # notes too
    assert groups.count() == 2 and page.locator(".fm:visible").count() == 2
    page.keyboard.press("Escape")
    assert page.is_hidden("#panel-qa")


def review_state(page) -> dict:
    return page.evaluate("""() => ({groups: document.querySelectorAll('#qa-list .qa-g').length,
        codes: [...new Set([...document.querySelectorAll('#qa-list .qa-flags code')].map(c => c.textContent))].sort(),
        summary: document.querySelector('#qa-summary').textContent, todo: document.querySelector('.qa-n').textContent})""")


def test_review_filters_by_severity_and_code_and_counts_agree_with_the_document(open_page, pages):
    from pipeline.review.qa import review_counts

    counts = review_counts(pages.documents["seed"])
    page = open_page("seed").page
    page.click('[data-panel="qa"]')
    state = review_state(page)
    assert state["todo"] == str(counts.to_do_total) and state["summary"] == counts.summary()
    assert "joined" not in state["codes"] and set(state["codes"]) == set(counts.to_do)
    page.select_option("#qa-code", "number-mismatch")
    state = review_state(page)
    assert state["codes"] == ["number-mismatch"] and state["groups"] == counts.to_do["number-mismatch"]
    page.select_option("#qa-code", "")
    page.click('[data-sev="warning"]')
    page.click('[data-sev="error"]')
    page.click('[data-sev="info"]')
    assert set(review_state(page)["codes"]) == set(counts.notes)


def test_flags_are_quiet_until_the_review_panel_opens_or_the_sentence_has_the_focus(open_page):
    page = open_page("small").page
    underline = "s => getComputedStyle(s).textDecorationLine"
    assert page.eval_on_selector(en("p2.2"), underline) == "none"
    assert page.is_hidden("#p2 .bflags") and page.is_hidden("#fm-p2")  # a note on the block: not shown
    page.focus(en("p2.2"))
    assert page.eval_on_selector(en("p2.2"), underline) == "underline"
    page.click('[data-panel="qa"]')
    assert page.eval_on_selector(zh("p2.2"), underline) == "underline"
    assert page.is_visible("#p2 .bflags")


def test_n_and_p_step_through_the_open_flags(open_page, pages):
    expected = [r.where for r in _open_reviews(pages.documents["seed"])]
    page = open_page("seed").page
    page.keyboard.press("n")
    assert focused_sentence(page) == expected[0]
    status = page.inner_text("#status")
    assert status.startswith(f"Sentence {expected[0]}: ") and f"flagged sentence or block 1 of {len(expected)}," in status
    page.keyboard.press("n")
    page.keyboard.press("n")
    assert focused_sentence(page) == expected[2]
    page.keyboard.press("p")
    assert focused_sentence(page) == expected[1]
    page.click('[data-panel="qa"]')
    page.keyboard.press("n")
    assert page.get_attribute("#qa-list .qa-g.current a", "data-goto") in (expected[2], "")
    page.keyboard.press("Home")
    page.evaluate("document.activeElement.blur()")


def _open_reviews(document):
    from pipeline.render.reader.views import View

    return [r for r in View(document).reviews if r.worst in ("error", "warning")]


def focused_sentence(page) -> str:
    return page.evaluate("(document.activeElement.dataset && document.activeElement.dataset.s) || document.activeElement.id")


def test_the_review_panel_of_the_10x_page_is_drawn_as_it_is_scrolled(open_page, pages):
    total = len(_open_reviews(pages.documents["long"]))
    assert total > 250
    page = open_page("long").page
    page.click('[data-panel="qa"]')
    assert page.locator("#qa-list .qa-g").count() == 50  # not the other thousand
    assert page.inner_text(".qa-more") == f"{total - 50} more…"
    page.eval_on_selector("#panel-qa", "p => p.scrollTop = p.scrollHeight")
    page.wait_for_function("document.querySelectorAll('#qa-list .qa-g').length === 100")
    page.focus(zh("p1.1"))
    page.keyboard.press("p")  # back from the start: the last open flag
    last = page.locator("#qa-list .qa-g.current")
    assert last.count() == 1 and page.locator("#qa-list .qa-g").count() == total
    assert uncovered_in_panel(last), last.evaluate("g => [JSON.stringify(g.getBoundingClientRect()), JSON.stringify(g.closest('.panel').getBoundingClientRect()), g.closest('.panel').scrollTop, g.closest('.panel').scrollHeight]")


def uncovered_in_panel(locator) -> bool:
    return locator.evaluate("""g => { const r = g.getBoundingClientRect(), p = g.closest('.panel').getBoundingClientRect();
        return r.top >= p.top - 1 && r.bottom <= p.bottom + 1; }""")


# ---- reading aids ------------------------------------------------------------------------------


def base_text(page, selector: str) -> str:
    """Text of an element without its ruby annotations."""
    return page.eval_on_selector(selector, "e => { const c = e.cloneNode(true); c.querySelectorAll('rt').forEach(r => r.remove()); return c.textContent; }")


def test_simplified_traditional_switch(open_page):
    page = open_page("seed").page
    original = base_text(page, zh("p4.2"))
    assert "集装箱" in original
    choose(page, '[data-script="hant"]')
    assert "集裝箱" in base_text(page, zh("p4.2"))
    assert page.get_attribute("#p4 > .zh", "lang") == "zh-Hant"
    assert page.eval_on_selector("#p3 > .zh", "c => getComputedStyle(c, '::before').content") == '"圖片說明 · caption"'
    page.reload()
    page.wait_for_function("document.body.classList.contains('ready')")
    assert "集裝箱" in base_text(page, zh("p4.2"))  # remembered
    choose(page, '[data-script="hans"]')
    assert base_text(page, zh("p4.2")) == original
    assert page.get_attribute("#p4 > .zh", "lang") == "zh-Hans"


def test_a_traditional_source_switches_to_simplified(open_page):
    page = open_page("traditional").page
    assert page.get_attribute('[data-script="hant"]', "aria-pressed") == "true"
    assert base_text(page, zh("p1.1")) == "臺灣的經濟發展很快。"
    choose(page, '[data-script="hans"]')
    assert base_text(page, zh("p1.1")) == "台湾的经济发展很快。"
    assert page.get_attribute("#p1 > .zh", "lang") == "zh-Hans"
    page.click("#btn-pinyin")
    assert page.locator(f'{zh("p1.1")} ruby.w[data-w="台湾"] rt').all_inner_texts() == ["táiwān"]


SHOWN_CHINESE = """() => {
  const parts = [];
  for (const el of document.querySelectorAll('.cell.zh, #panel-glossary, #panel-qa, .bar, footer')) {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('rt').forEach(r => r.remove());
    parts.push(copy.textContent);
  }
  return parts.join('\\n');
}"""


def term_forms(zh: str) -> set[str]:
    """Every way the term could be written: as is, and each character in each
    Traditional variant's form, in any combination, and OpenCC's whole-term forms."""
    import itertools

    from pipeline.read.dictionary import convert_script

    configs = (*VARIANTS, "t2s")
    chars = [{c, *(convert_script(c, config) for config in configs)} for c in zh]
    forms = {"".join(p) for p in itertools.product(*chars)} if len(zh) <= 6 else set()
    return forms | {zh} | {convert_script(zh, config) for config in configs}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_page_never_shows_two_forms_of_one_term(open_page, pages, variant):
    from pipeline.render.reader.views import View

    terms = {t.zh for t in View(pages.documents["seed"]).terms()}
    page = open_page(f"seed-{variant}").page
    page.click('[data-panel="qa"]')
    page.click('[data-sev="info"]')
    page.click('[data-panel="glossary"]')
    for script in ("hans", "hant"):
        choose(page, f'[data-script="{script}"]')
        page.wait_for_function("'drawn' in document.body.dataset")  # the blocks off screen too, in the background
        page.click('[data-panel="qa"]')  # the review list is drawn in the script shown
        shown = page.evaluate(SHOWN_CHINESE)
        page.click('[data-panel="glossary"]')
        shown += page.evaluate(SHOWN_CHINESE)
        twice = {zh: found for zh in terms if len(found := {f for f in term_forms(zh) if f in shown}) > 1}
        assert twice == {}, (script, twice)
    # and the Traditional forms are the variant's: 群众 (five times in the seed) as Taiwan or Hong Kong write it
    forms = {"s2t": "羣衆", "s2tw": "群眾", "s2twp": "群眾", "s2hk": "羣眾"}
    shown = page.evaluate(SHOWN_CHINESE)
    assert forms[variant] in shown and not [f for f in set(forms.values()) - {forms[variant]} if f in shown]


def test_pinyin_switch(open_page):
    page = open_page("seed").page
    original = base_text(page, zh("p4.2"))
    page.click("#btn-pinyin")
    assert page.get_attribute("#btn-pinyin", "aria-pressed") == "true"
    ruby = page.locator(f'{zh("p4.2")} ruby.w[data-w="集装箱"]')
    # one annotation per word, its syllables written together as pinyin is
    assert ruby.locator("rt").all_inner_texts() == ["jízhuāngxiāng"]
    assert ruby.locator("rt span").all_inner_texts() == ["jí", "zhuāng", "xiāng"]
    assert ruby.locator("rt").first.is_visible()
    assert base_text(page, zh("p4.2")) == original
    geometry = page.evaluate(RUBY_GEOMETRY, "p4.2")
    assert geometry["rt_px"] >= 12  # was 9.5 px
    assert geometry["inner_gaps"] and max(geometry["inner_gaps"]) < 1.5  # 集装箱 not pushed apart
    assert geometry["word_gaps"] and min(geometry["word_gaps"]) >= 2  # neighbouring words' pinyin never run together
    page.wait_for_function("document.body.dataset.drawn === 'hans|true'")  # the blocks off screen too, in the background
    assert page.locator(".cell.zh .s").count() == page.locator(".cell.zh .s:has(ruby.w)").count()
    page.click("#btn-pinyin")
    page.wait_for_function("document.body.dataset.drawn === 'hans|false'")
    assert page.locator(".cell.zh rt").count() == 0


#: In sentence ``sid`` with pinyin: the annotation's font size, the gaps between
#: neighbouring characters inside a word, and between neighbouring words' pinyin on a line.
RUBY_GEOMETRY = """sid => {
  const s = document.querySelector(`.cell.zh .s[data-s="${sid}"]`);
  const inner = [], between = [];
  let before = null;
  for (const word of s.querySelectorAll('ruby.w')) {
    const text = word.firstChild, letters = document.createRange();
    letters.selectNodeContents(word.querySelector('rt'));
    const rt = letters.getBoundingClientRect();
    const boxes = [...text.data].map((_, i) => { const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1); return r.getBoundingClientRect(); });
    for (let i = 1; i < boxes.length; i++) if (Math.abs(boxes[i].top - boxes[i - 1].top) < 2) inner.push(boxes[i].left - boxes[i - 1].right);
    if (before && Math.abs(before.top - rt.top) < 2) between.push(rt.left - before.right);
    before = rt;
  }
  return {rt_px: parseFloat(getComputedStyle(s.querySelector('rt')).fontSize), inner_gaps: inner, word_gaps: between};
}"""


def test_tone_colours_are_one_colour_per_tone_on_request_and_remembered(open_page):
    page = open_page("seed").page
    page.click("#btn-pinyin")
    colours = """() => Object.fromEntries([1, 2, 3, 4, 5].map(t => [t, [...new Set([...document.querySelectorAll(
        `.cell.zh rt .t${t}`)].slice(0, 30).map(e => getComputedStyle(e).color))]]))"""
    plain = page.evaluate(colours)
    assert len({c for cs in plain.values() for c in cs}) == 1  # off: the annotation in one colour
    choose(page, "#btn-tones")
    toned = page.evaluate(colours)
    assert all(len(cs) == 1 for cs in toned.values()), toned
    assert len({cs[0] for cs in toned.values()}) == 5  # five tones, five colours
    spans = page.locator(f'{zh("p4.2")} ruby.w[data-w="集装箱"] rt span')
    assert [spans.nth(i).get_attribute("class") for i in range(3)] == ["t2", "t1", "t1"]  # jí zhuāng xiāng
    page.reload()
    page.wait_for_function("document.body.classList.contains('ready')")
    assert page.get_attribute("#btn-tones", "aria-pressed") == "true"
    assert page.evaluate(colours) == toned


CHAR_BOX = """([sid, text, n]) => {
  const s = document.querySelector(`.cell.zh .s[data-s="${sid}"]`);
  const walker = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) if (!walker.currentNode.parentNode.closest('rt')) nodes.push(walker.currentNode);
  const full = nodes.map(x => x.data).join(''), at = full.indexOf(text) + n;
  let offset = 0;
  for (const node of nodes) {
    if (at < offset + node.data.length) {
      const r = document.createRange(); r.setStart(node, at - offset); r.setEnd(node, at - offset + 1);
      const b = r.getBoundingClientRect(); return {x: b.left + b.width / 2, y: b.top + b.height / 2};
    }
    offset += node.data.length;
  }
  return null;
}"""


def click_char(page, sid: str, text: str, n: int = 0) -> None:
    """Click the ``n``-th character of ``text`` in the Chinese of sentence ``sid``."""
    page.locator(zh(sid)).scroll_into_view_if_needed()
    box = page.evaluate(CHAR_BOX, [sid, text, n])
    assert box, (sid, text)
    page.mouse.click(box["x"], box["y"])


def dict_clear_of_the_english(page, sid: str) -> bool:
    """The dictionary is on screen and covers no line of the sentence's English."""
    return page.evaluate("""sid => {
        const d = document.querySelector('#dict').getBoundingClientRect();
        const lines = [...document.querySelector(`.cell.en .s[data-s="${sid}"]`).getClientRects()];
        return d.top >= 0 && d.bottom <= innerHeight && d.width > 0 &&
            lines.every(r => r.right <= d.left || r.left >= d.right || r.bottom <= d.top || r.top >= d.bottom);
    }""", sid)


def test_a_click_looks_up_the_longest_word_from_that_character_with_the_shorter_ones(open_page):
    page = open_page("seed").page
    click_char(page, "p4.2", "集装箱", 0)
    popup = page.locator("#dict")
    assert popup.is_visible()
    assert page.inner_text("#dict .dict-word") == "集装箱"
    text = popup.inner_text()
    assert "jí zhuāng xiāng" in text and "container (for shipping)" in text
    parts = page.locator("#dict .dict-part").all_inner_texts()
    assert parts[0] == "集装箱" and "集" in parts  # every headword from 集, longest first
    click_char(page, "p4.2", "集装箱", 1)  # from 装: 装箱 "to pack"
    assert page.inner_text("#dict .dict-word").startswith("装")
    assert page.evaluate("CSS.highlights.get('lookup').size") == 1
    page.keyboard.press("Escape")
    assert not popup.is_visible() and page.evaluate("CSS.highlights.has('lookup')") is False


@pytest.mark.parametrize("term, n, english", [("大麦屿港", 1, "Damaiyu Port"), ("三高三新", 2, "Three Highs and Three News")],
                         ids=["damaiyu", "sangao-sanxin"])
def test_a_glossary_term_is_looked_up_as_one_unit(open_page, term, n, english):
    page = open_page("seed").page
    sid = "p4.2" if term == "大麦屿港" else "p1.1"
    page.locator(zh(sid)).locator("mark.term", has_text=term).hover()
    assert page.is_visible("#tip")
    click_char(page, sid, term, n)  # inside the term: 麦 of 大麦 "barley", 三 of 高三
    assert page.inner_text("#dict .dict-word") == term
    text = page.inner_text("#dict")
    assert english in text and "Glossary" in text and "barley" not in text.split("parts")[0]
    assert "Not in CC-CEDICT as one word; its parts" in text  # then the parts, labelled as such
    assert page.is_hidden("#tip")  # one pop-up at a time
    page.locator(zh(sid)).locator("mark.term", has_text=term).hover()
    assert page.is_hidden("#tip")


@pytest.mark.parametrize("mode", ["side", "inter"])
@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "narrow"])
def test_the_dictionary_never_covers_the_english_counterpart(open_page, viewport, mode):
    page = open_page("seed", viewport).page
    page.evaluate("m => { document.querySelector(`[data-mode='${m}']`).click(); }", mode)
    for sid, text, n in (("p4.2", "集装箱", 0), ("p4.2", "惊叹", 0), ("p1.1", "奋进", 1), ("p9.2", "接续", 0)):
        click_char(page, sid, text, n)
        assert page.is_visible("#dict"), sid
        assert dict_clear_of_the_english(page, sid), (sid, text)
        page.keyboard.press("Escape")


def test_the_dictionary_from_the_keyboard(open_page):
    page = open_page("seed").page
    page.focus(zh("p4.5"))  # 如今,大麦屿港扩建投用台州市首个10万吨级码头。
    page.keyboard.press("d")
    assert page.evaluate("document.activeElement.id") == "dict"
    assert page.inner_text("#dict .dict-word") == "如今"
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#dict .dict-word") == "大麦屿港"  # the term, whole
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#dict .dict-word") == "扩建"
    page.keyboard.press("ArrowLeft")
    assert page.inner_text("#dict .dict-word") == "大麦屿港"
    page.keyboard.press("Escape")
    assert page.is_hidden("#dict")
    assert page.evaluate("document.activeElement.dataset.s") == "p4.5"  # focus given back


def test_the_dictionary_works_with_pinyin_and_in_traditional(open_page):
    page = open_page("seed").page
    page.click("#btn-pinyin")
    choose(page, '[data-script="hant"]')
    click_char(page, "p4.2", "集裝箱", 0)
    assert page.inner_text("#dict .dict-word") == "集裝箱"
    assert "container (for shipping)" in page.inner_text("#dict")


# ---- safety and accessibility ------------------------------------------------------------------


def test_injection_strings_render_as_text(open_page):
    opened = open_page("hostile")
    page = opened.page
    assert page.locator("img").count() == 0
    assert page.evaluate("document.scripts.length") == 3  # data, dictionary, the reader's own
    assert "<script>alert(1)</script>" in page.inner_text("#p1 > .zh")
    assert '"><img src=x onerror=alert(2)>' in page.inner_text("#p2 > .en")
    page.locator(".cell.zh mark.term").hover()
    assert "<script>alert(1)</script>" in page.inner_text("#tip")
    page.click("#btn-pinyin")
    choose(page, '[data-script="hant"]')
    assert "<script>alert(1)</script>" in base_text(page, zh("p2.1"))
    page.click('[data-panel="qa"]')
    assert '"><img src=x onerror=alert(2)>' in page.inner_text("#panel-qa")
    assert page.locator("img").count() == 0 and opened.dialogs == []


CONTRAST = """(selectors) => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return selectors.map(sel => {
    const el = document.querySelector(sel);
    if (!el) return [sel, null];
    const a = lum(rgb(getComputedStyle(el).color).slice(0, 3)), b = lum(background(el));
    return [sel, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
}"""
CHECKED = ["body", "#p4 > .en", ".anchor", "#p3 > .en", ".bflags li", "footer.meta", "button", "button[aria-pressed=true]",
           ".n", ".fm", ".s.hl", ".s.pin", "rt", ".cell.zh mark.term rt", "#tip .gd-src", "#panel-qa .sev", "#panel-qa a",
           ".cell.zh mark.term", ".cell.en mark.term", "#p3 > .zh mark.term", "#p3 > .en mark.term"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_meets_wcag_aa(open_page, scheme):
    page = open_page("seed", color_scheme=scheme).page
    page.click('[data-panel="qa"]')
    page.click("#btn-pinyin")
    choose(page, "#btn-terms")  # every term coloured, the caption's too
    page.click(en("p9.1"))
    page.hover(zh("p4.2"))
    page.locator(".cell.zh mark.term").first.hover()
    ratios = dict(page.evaluate(CONTRAST, CHECKED))
    assert None not in ratios.values(), ratios
    low = {sel: round(r, 2) for sel, r in ratios.items() if r < 4.5}
    assert not low, low
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(22, 23, 26)") is (scheme == "dark")


AXE = Path(__file__).resolve().parents[1] / "data" / "axe.min.js"
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v =>
    ({rule: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)}))"""


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (axe is vendored: tests/data/axe.min.js,
    MPL-2.0, injected inline, so the page still makes no request)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "narrow"])
def test_axe_finds_no_violation_with_every_panel_and_pop_up_open(open_page, viewport, scheme):
    page = open_page("seed", viewport, color_scheme=scheme).page
    found = {"page": axe_violations(page)}
    narrow = viewport == NARROW  # fewer states: axe takes seconds per run
    page.click('[data-panel="glossary"]')
    page.locator(".gterm").first.click()  # its occurrences coloured, its note shown
    if not narrow:
        found["glossary"] = axe_violations(page)
    page.click('[data-panel="qa"]')
    page.click('[data-sev="info"]')
    page.locator("#qa-list input").first.check()
    found["review"] = axe_violations(page)
    page.keyboard.press("Escape")
    page.click("#btn-pinyin")
    choose(page, "#btn-terms")
    click_char(page, "p4.2", "大麦屿港", 1)
    found["pinyin, terms, dictionary"] = axe_violations(page)
    page.keyboard.press("Escape")
    choose(page, "#btn-tones")
    page.click("#btn-find")
    page.keyboard.type("taizhou")
    page.keyboard.press("Enter")
    page.click("#btn-menu")
    found["tones, find, view menu"] = axe_violations(page)
    page.keyboard.press("Escape")
    page.click("#find-close")
    if not narrow:
        page.locator(zh("p4.2")).locator("mark.term").first.hover()
        found["tooltip"] = axe_violations(page)
        page.keyboard.press("e")
        found["edit mode"] = axe_violations(page)
        page.keyboard.press("?")
        found["keys"] = axe_violations(page)
    assert {state: v for state, v in found.items() if v} == {}


def test_terms_are_quiet_until_pointed_at_chosen_or_all_coloured(open_page):
    page = open_page("seed").page
    colour = "m => getComputedStyle(m).backgroundColor"
    marks = page.locator(".cell.zh mark.term")
    clear = "rgba(0, 0, 0, 0)"
    coloured = page.eval_on_selector_all(".cell mark.term", f"ms => ms.filter(m => ({colour})(m) !== '{clear}').length")
    assert coloured == 0  # no term coloured while reading
    assert page.eval_on_selector(".cell.zh mark.term", "m => getComputedStyle(m).textDecorationLine") == "underline"
    marks.first.hover()
    assert marks.first.evaluate(colour) != clear
    page.click('[data-panel="glossary"]')
    button = page.locator(".gterm").nth(1)
    term = button.get_attribute("data-term")
    button.click()
    chosen = page.eval_on_selector_all("main mark.term", f"""ms => ms.filter(m => ({colour})(m) !== '{clear}'
        && !m.matches(':hover') && !m.closest('.s.pin, .s:focus')).map(m => m.dataset.term)""")
    assert chosen and set(chosen) == {term}  # every occurrence of the chosen term, and no other
    page.keyboard.press("Escape")
    choose(page, "#btn-terms")
    assert page.eval_on_selector_all(".cell mark.term", f"ms => ms.every(m => ({colour})(m) !== '{clear}')")
    page.reload()
    page.wait_for_function("document.body.classList.contains('ready')")
    assert page.get_attribute("#btn-terms", "aria-pressed") == "true"  # remembered


def test_focus_is_visible(open_page):
    page = open_page("seed").page
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert page.evaluate("document.activeElement.id") == "btn-find"  # the first control of the one-row toolbar
    assert outline != "none"
    # no toolbar control's ring is cut off: nothing between it and the page clips
    clipping = page.evaluate("""() => [...document.querySelectorAll('.bar button')].flatMap(b => {
        const out = [];
        for (let e = b.parentElement; e && e !== document.body; e = e.parentElement)
            if (getComputedStyle(e).overflow !== 'visible') out.push(b.textContent.trim() + ' in ' + e.className);
        return out; })""")
    assert clipping == []


def test_chinese_in_review_messages_and_notes_is_marked_as_chinese(open_page):
    page = open_page("seed").page
    page.click('[data-panel="qa"]')
    message = page.locator("#qa-list .msg", has_text="万").first
    assert message.locator('span[lang="zh-Hans"]').first.inner_text().endswith("万")
    note = page.locator('#panel-glossary .note span[lang="zh-Hans"]', has_text="三个")
    assert note.count() >= 1


# ---- reading comfort: text size, find, position, scroll geometry, measure --------------------


def test_the_text_size_is_chosen_in_steps_and_remembered(open_page):
    page = open_page("seed").page
    size = "() => [parseFloat(getComputedStyle(document.querySelector('#p4 .cell.en')).fontSize), " \
           "parseFloat(getComputedStyle(document.querySelector('#p4 .cell.zh')).fontSize)]"
    en_px, zh_px = page.evaluate(size)
    page.click("#btn-menu")
    page.click('[data-size="1"]')
    page.click('[data-size="1"]')
    assert page.inner_text("#size-now") == "130%"
    assert page.evaluate(size) == pytest.approx([en_px * 1.3, zh_px * 1.3], abs=0.2)  # both languages
    page.reload()
    page.wait_for_function("document.body.classList.contains('ready')")
    assert page.evaluate(size) == pytest.approx([en_px * 1.3, zh_px * 1.3], abs=0.2)  # remembered
    page.click("#btn-menu")
    assert page.inner_text("#size-now") == "130%"
    for _ in range(8):
        page.click('[data-size="-1"]')
    assert page.inner_text("#size-now") == "85%"  # the smallest step, no further
    assert page.evaluate(OVERFLOW) == []


FOUND = """() => {
  const all = CSS.highlights.get('find'), now = CSS.highlights.get('find-now'), out = {};
  for (const r of [...(all || []), ...(now || [])]) { const t = r.toString(); out[t] = (out[t] || 0) + 1; }
  return out;
}"""
COUNT_IN = """([selector, word]) => [...document.querySelectorAll(selector)].reduce((n, s) => {
  const c = s.cloneNode(true); c.querySelectorAll('rt').forEach(r => r.remove());
  return n + c.textContent.toLowerCase().split(word.toLowerCase()).length - 1; }, 0)"""


def find(page, query: str) -> str:
    page.fill("#find-q", query)
    return page.inner_text("#find-n")


def test_find_searches_both_languages_and_toneless_pinyin_with_next_and_previous(open_page):
    page = open_page("seed").page
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "find-q"
    in_chinese = page.evaluate(COUNT_IN, [".cell.zh .s", "台州"])
    in_english = page.evaluate(COUNT_IN, [".cell.en .s", "taizhou"])
    assert in_chinese > 20 and in_english > 20
    total = in_chinese + in_english
    assert find(page, "taizhou") == f"{total} matches"  # 台州 by its pinyin, and Taizhou in the English
    assert page.evaluate(FOUND) == {"台州": in_chinese, "Taizhou": in_english}
    assert find(page, "TAIZHOU") == f"{total} matches"
    for spelled in ("Tái zhōu", "tai zhou", "táizhou"):  # pinyin with or without tones and spaces: the Chinese
        assert find(page, spelled) == f"{in_chinese} matches", spelled
    containers = page.evaluate(COUNT_IN, [".cell.zh .s", "集装箱"])
    assert find(page, "集装箱") == f"{containers} match" + ("es" if containers != 1 else "")
    assert page.evaluate(FOUND) == {"集装箱": containers}
    assert find(page, "container") == f"{page.evaluate(COUNT_IN, ['.cell.en .s', 'container'])} matches"
    assert find(page, "qwxz") == "no match"
    find(page, "taizhou")
    page.keyboard.press("Enter")
    assert page.inner_text("#find-n") == f"1 of {total}"
    page.keyboard.press("Enter")
    assert page.inner_text("#find-n") == f"2 of {total}"
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")
    assert page.inner_text("#find-n") == f"{total} of {total}"  # round to the last
    now = page.evaluate("() => { const r = [...CSS.highlights.get('find-now')][0]; const b = r.getBoundingClientRect(); "
                        "return [r.toString(), b.top, b.bottom, innerHeight]; }")
    assert now[0] in ("台州", "Taizhou") and 0 < now[1] and now[2] < now[3]  # the current one is on screen
    page.keyboard.press("Escape")
    assert page.is_hidden("#find") and page.evaluate(FOUND) == {}


def test_find_works_in_the_other_script_and_with_pinyin_shown(open_page):
    page = open_page("seed").page
    choose(page, '[data-script="hant"]')
    page.click("#btn-pinyin")
    page.click("#btn-find")
    containers = page.evaluate(COUNT_IN, [".cell.zh .s", "集裝箱"])
    assert containers and find(page, "集裝箱") == f"{containers} match" + ("es" if containers != 1 else "")
    page.wait_for_function("document.body.dataset.drawn === 'hant|true'")
    assert page.evaluate(FOUND) == {"集裝箱": containers}  # the pinyin is not part of a match
    assert find(page, "jizhuangxiang") == f"{containers} match" + ("es" if containers != 1 else "")


PROGRESS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(" \
           "new DOMMatrix(getComputedStyle(document.querySelector('.progress-done')).transform).a))))"


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "phone"])
def test_a_bar_under_the_toolbar_shows_how_far_the_reader_is(open_page, viewport):
    page = open_page("seed", viewport).page
    assert page.evaluate(PROGRESS) == pytest.approx(0, abs=0.01)
    page.evaluate("window.scrollTo(0, (document.documentElement.scrollHeight - innerHeight) / 2)")
    assert page.evaluate(PROGRESS) == pytest.approx(0.5, abs=0.05)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert page.evaluate(PROGRESS) == pytest.approx(1, abs=0.01)


SCROLL_THROUGH = """async () => {
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const heights = [document.documentElement.scrollHeight];
  for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight / 2) {
    window.scrollTo(0, y); await frame();
    heights.push(document.documentElement.scrollHeight);
  }
  return heights;
}"""
#: The block at the middle of the screen once scrolled to half the page.
AT_HALF = """async () => {
  window.scrollTo(0, (document.documentElement.scrollHeight - innerHeight) / 2);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const rows = [...document.querySelectorAll('.row')];
  return rows.findIndex(r => r.getBoundingClientRect().bottom > innerHeight / 2);
}"""


@pytest.mark.parametrize("mode", ["side", "inter"])
@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "phone"])
def test_the_page_height_stays_put_while_scrolling(open_page, viewport, mode):
    page = open_page("seed", viewport).page
    page.evaluate("m => document.querySelector(`[data-mode='${m}']`).click()", mode)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    guessed = page.evaluate(AT_HALF)  # from the estimated heights of blocks never shown
    page.evaluate("window.scrollTo(0, 0)")
    heights = page.evaluate(SCROLL_THROUGH)  # every block shown once: real heights from now on
    first, real = heights[0], heights[-1]
    assert max(heights) / first < 1.05 and min(heights) / first > 0.95, (first, min(heights), max(heights))
    assert abs(real - first) / real < 0.05  # was +59% on a desktop, +142% on a phone
    assert abs(page.evaluate(AT_HALF) - guessed) <= 3  # dragging to 50% lands where it will stay (was block 20 of 67)


LINE_LENGTHS = """selector => {
  const out = [];
  for (const s of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(s, NodeFilter.SHOW_TEXT), lines = new Map();
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (node.parentNode.closest('rt')) continue;
      for (let i = 0; i < node.data.length; i++) {
        const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
        const b = r.getBoundingClientRect();
        if (b.width) lines.set(Math.round(b.top), (lines.get(Math.round(b.top)) || 0) + 1);
      }
    }
    out.push(...lines.values());
  }
  return Math.max(...out);
}"""


@pytest.mark.parametrize("mode", ["inter", "zh", "en"])
def test_one_column_of_text_has_a_readable_measure_on_a_wide_screen(open_page, mode):
    page = open_page("seed", DESKTOP).page
    choose(page, f'[data-mode="{mode}"]')
    rows = ", ".join(f"#p{n}" for n in range(4, 14))
    if mode != "zh":
        assert 60 <= page.evaluate(LINE_LENGTHS, f"{rows.replace(',', ' .cell.en .s,')} .cell.en .s") <= 90  # was ~163
    if mode != "en":
        assert page.evaluate(LINE_LENGTHS, f"{rows.replace(',', ' .cell.zh .s,')} .cell.zh .s") <= 40
