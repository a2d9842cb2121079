"""The reader's rough edges a newcomer met, in Debian's chromium (as
tests/test_reader_browser.py, whose fixtures and helpers these tests use): nothing
wider than a phone screen, look-ups that never run into a glossary term, a
dictionary beside the sentence, the focus kept, the review queue's units named,
edits and resolved flags counted apart, 简/繁 on the whole page at once, and
Markdown and Traditional pages that read as text. Every page is opened from
file:// and must make no request and log no error.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from test_reader import REPO, long_document, seed_document
from test_reader_browser import (  # noqa: F401  (open_page is a fixture)
    DESKTOP,
    NARROW,
    Pages,
    choose,
    click_char,
    dict_clear_of_the_english,
    en,
    open_page,
    zh,
)

from pipeline.read import load_document
from pipeline.render.reader import render

PHONES = [320, 360, 390]


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Pages:
    """The seed; the seed as a folder run writes it (a link to the library, two
    orphaned post-edits: the widest toolbar); the 10× page; a Markdown page with
    front matter and a picture first; a Traditional text."""
    folder = tmp_path_factory.mktemp("edges")
    seed = seed_document(folder)
    busy = copy.deepcopy(seed)
    busy.edits = {"file": "sources/taizhou.edits.tsv", "applied": 0, "orphaned": [
        {"source": "不存在的句子。", "english": "Gone.", "line": 3}, {"source": "另一句。", "english": "Other.", "line": 4}]}
    markdown = folder / "article.md"
    markdown.write_text("---\ntitle: 台州\ndate: 2024-01-01\n---\n\n![台州港全景](images/port.jpg)\n\n"
                        "# 台州:聚力三条路径\n\n台州制造业家底厚实。\n", encoding="utf-8")
    traditional = folder / "traditional.txt"
    traditional.write_text("臺灣的經濟發展很快。\n", encoding="big5")
    paths = Pages()
    for name, html in {"seed": render(seed), "busy": render(busy, library="index.html"),
                       "long": render(long_document(folder)), "markdown": render(load_document(markdown)),
                       "traditional": render(load_document(traditional))}.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(html, encoding="utf-8")
    paths.documents = {"seed": seed}
    return paths


def phone(width: int) -> dict:
    return {"width": width, "height": 800}


# ---- 13: nothing wider than the screen -----------------------------------------------------

#: How far the page reaches past the screen's width, and what does.
WIDER = """() => {
  const width = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && (r.right > width + 0.5 || r.left < -0.5);
  }).map(e => e.tagName + '.' + e.className + '#' + e.id);
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 5)};
}"""


@pytest.mark.parametrize("width", PHONES)
def test_nothing_is_wider_than_a_phone_screen(open_page, width):
    """The widest toolbar (a library link, a three-figure review count, orphaned
    edits) on a phone: with the menu, edit mode, a panel or the dictionary open."""
    page = open_page("busy", phone(width)).page

    def fits(what: str) -> None:
        found = page.evaluate(WIDER)
        assert found["scroll"] <= width and not found["out"], (what, found)

    fits("loaded")
    view = page.locator("#btn-menu").bounding_box()
    assert view["x"] >= 0 and view["x"] + view["width"] <= width  # the View button whole, not cut off
    page.click("#btn-menu")
    fits("the View menu")
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    fits("edit mode")
    page.keyboard.press("e")
    page.click('[data-panel="qa"]')
    fits("the Review panel")
    page.click('[data-panel="qa"]')
    click_char(page, "p4.2", "集装箱", 0)
    assert page.is_visible("#dict")
    fits("the dictionary")


# ---- 15, 16: the dictionary ------------------------------------------------------------------


def test_a_look_up_never_runs_into_a_glossary_term(open_page):
    """“在台州,你可以链接全球。”: 在 alone (CC-CEDICT's 在台 "in Taiwan" would run
    into the term 台州), then the term, whole."""
    page = open_page("seed").page
    page.focus(zh("p4.1"))
    page.keyboard.press("d")
    assert page.inner_text("#dict .dict-word") == "在"
    assert "Taiwan" not in page.inner_text("#dict")
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#dict .dict-word") == "台州" and "Glossary" in page.inner_text("#dict")
    page.keyboard.press("Escape")
    click_char(page, "p4.1", "在台州", 0)  # a click on 在 alike
    assert page.inner_text("#dict .dict-word") == "在"


def dict_clear_of_the_chinese(page, sid: str) -> bool:
    """The dictionary covers no line of the Chinese sentence looked up in."""
    return page.evaluate("""sid => {
        const d = document.querySelector('#dict').getBoundingClientRect();
        const lines = [...document.querySelector(`.cell.zh .s[data-s="${sid}"]`).getClientRects()];
        return d.width > 0 && lines.every(r => r.right <= d.left || r.left >= d.right || r.bottom <= d.top || r.top >= d.bottom);
    }""", sid)


@pytest.mark.parametrize("mode", ["side", "inter"])
@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "narrow"])
def test_the_dictionary_stays_beside_or_below_the_sentence_and_its_english(open_page, viewport, mode):
    page = open_page("seed", viewport).page
    page.evaluate("m => { document.querySelector(`[data-mode='${m}']`).click(); }", mode)
    for sid, text, n in (("p4.2", "集装箱", 0), ("p4.2", "惊叹", 0), ("p1.1", "奋进", 1), ("p9.2", "接续", 0),
                         ("p4.1", "链接", 0)):
        click_char(page, sid, text, n)
        assert page.is_visible("#dict"), sid
        assert dict_clear_of_the_chinese(page, sid), (sid, text)
        assert dict_clear_of_the_english(page, sid), (sid, text)
        page.keyboard.press("Escape")
    # the next click goes to the text, not to the pop-up: the next word of the sentence
    click_char(page, "p4.2", "集装箱", 0)
    click_char(page, "p4.2", "惊叹", 0)
    assert page.inner_text("#dict .dict-word") == "惊叹"


# ---- 17: the focus -------------------------------------------------------------------------


def focused(page) -> dict:
    return page.evaluate("""() => { const a = document.activeElement, cell = a.closest && a.closest('.cell');
        return {tag: a.tagName, s: a.dataset ? a.dataset.s : undefined, column: cell ? (cell.classList.contains('en') ? 'en' : 'zh') : null,
                editable: a.isContentEditable}; }""")


def test_enter_ends_an_edit_and_the_sentence_keeps_the_focus(open_page):
    page = open_page("seed").page
    choose(page, "#btn-edit")
    page.click(en("p4.2"))
    page.keyboard.press("Control+End")
    page.keyboard.type(" Indeed.")
    page.keyboard.press("Enter")
    assert focused(page) == {"tag": "SPAN", "s": "p4.2", "column": "en", "editable": False}
    assert page.inner_text(en("p4.2")).endswith(" Indeed.") and page.inner_text("#btn-save") == "Save edits (1)"
    page.keyboard.press("ArrowDown")  # the arrows go on from there, landing without editing
    assert focused(page) == {"tag": "SPAN", "s": "p4.3", "column": "en", "editable": False}
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")  # Enter: editing again, at the end
    assert focused(page)["editable"] is True
    page.keyboard.type(" No.")
    page.keyboard.press("Escape")  # Esc undoes what this edit typed, and keeps the focus too
    assert page.inner_text(en("p4.2")).endswith(" Indeed.") and focused(page)["s"] == "p4.2"
    page.keyboard.press("Enter")
    assert focused(page)["editable"] is True
    page.keyboard.type(" Yes.")
    page.keyboard.press("Enter")
    assert page.inner_text(en("p4.2")).endswith(" Indeed. Yes.") and focused(page)["s"] == "p4.2"
    page.keyboard.press("e")  # edit mode off: the focus stays too
    assert focused(page)["s"] == "p4.2"


def test_a_layout_that_hides_the_focused_sentence_moves_the_focus_across(open_page):
    page = open_page("seed").page
    page.focus(zh("p4.2"))
    page.keyboard.press("m")
    page.keyboard.press("m")
    page.keyboard.press("m")  # side by side → interleaved → Chinese → English only
    assert "mode-en" in page.get_attribute("body", "class")
    assert focused(page) == {"tag": "SPAN", "s": "p4.2", "column": "en", "editable": False}
    page.keyboard.press("ArrowDown")
    assert focused(page)["s"] == "p4.3"
    page.keyboard.press("m")  # and back: both shown, the focus where it was
    assert focused(page)["s"] == "p4.3"


# ---- 18, 19: the review queue's units, edits and resolved flags ------------------------------


def test_the_review_badge_and_n_p_name_their_units(open_page, pages):
    from pipeline.render.reader.views import View
    from pipeline.review.qa import review_counts

    document = pages.documents["seed"]
    flags = review_counts(document).to_do_total
    places = [r.where for r in View(document).reviews if r.worst in ("error", "warning")]
    page = open_page("seed").page
    assert page.inner_text('[data-panel="qa"] .qa-n') == str(flags)
    assert page.get_attribute('[data-panel="qa"]', "title").startswith(
        f"{flags} flags to do, on {len(places)} sentences or blocks")
    page.keyboard.press("n")
    status = page.inner_text("#status")
    assert f"flagged sentence or block 1 of {len(places)}, with {flags} open flags in all" in status
    assert status.startswith(f"Sentence {places[0]}: ")


def test_save_counts_edits_and_resolved_flags_apart(open_page):
    page = open_page("seed").page
    page.click('[data-panel="qa"]')
    page.locator("#qa-list .qa-g input").first.check()
    assert page.inner_text("#btn-save") == "Save edits (0, 1 resolved)"  # a tick is not an edit
    page.click('[data-panel="qa"]')
    choose(page, "#btn-edit")
    page.click(en("p4.2"))
    page.keyboard.press("Control+End")
    page.keyboard.type(" Indeed.")
    page.keyboard.press("Enter")
    assert page.inner_text("#btn-save") == "Save edits (1, 1 resolved)"
    with page.expect_download():
        page.click("#btn-save")
    assert page.inner_text("#status").startswith("1 edit and 1 resolved flag saved to ")


# ---- 20: 简/繁 on the whole page ------------------------------------------------------------

#: Switch 简/繁 and, in the same task, count the sentences not in the script chosen.
SWITCH = """script => {
  const data = JSON.parse(document.getElementById('reader-data').textContent);
  const orig = data.script === 'traditional' ? 'hant' : 'hans';
  document.querySelector(`[data-script="${script}"]`).click();
  const text = s => { const c = s.cloneNode(true); c.querySelectorAll('rt').forEach(r => r.remove()); return c.textContent; };
  const want = s => data.tokens[s.dataset.s].map(t => script === orig || !t[1] ? t[0] : t[1]).join('');
  const all = [...document.querySelectorAll('.cell.zh .s')].filter(s => data.tokens[s.dataset.s]);
  return {sentences: all.length, left: all.filter(s => text(s) !== want(s)).map(s => s.dataset.s).slice(0, 5),
          simplified: [...document.querySelectorAll('main')].map(text).join('').includes('集装箱')};
}"""


@pytest.mark.parametrize("pinyin", [False, True], ids=["plain", "pinyin"])
def test_the_script_switch_converts_the_whole_10x_page_at_once(open_page, pinyin):
    """Find-in-page and copying see one script right after the switch: every
    sentence, far off screen too, converted before the next frame."""
    page = open_page("long").page
    if pinyin:
        page.click("#btn-pinyin")
        page.wait_for_function("'drawn' in document.body.dataset")
    switched = page.evaluate(SWITCH, "hant")
    assert switched["sentences"] == 1300 and switched["left"] == [] and not switched["simplified"], switched
    back = page.evaluate(SWITCH, "hans")
    assert back["left"] == [] and back["simplified"], back
    page.reload()  # remembered: the page opens in Traditional, whole
    page.wait_for_function("document.body.classList.contains('ready')")
    page.evaluate("() => document.querySelector('[data-script=\"hant\"]').click()")
    assert page.evaluate(SWITCH, "hant")["left"] == []
    page.locator(zh("p607.2")).scroll_into_view_if_needed()  # the 10th copy of p4.2
    assert "集裝箱" in page.locator(zh("p607.2")).text_content()
    if pinyin:  # drawn as it comes into view (the frame after the scroll)
        rt = page.locator(f'{zh("p607.2")} ruby.w[data-w="集裝箱"] rt')
        page.wait_for_function("rt => rt.textContent !== ''", arg=rt.element_handle(), timeout=5000)
        assert rt.inner_text() == "jízhuāngxiāng"


# ---- 21: a phone's blocks, Markdown and Traditional pages ------------------------------------


@pytest.mark.parametrize("touch", [False, True], ids=["narrow", "touch"])
def test_on_a_phone_only_the_block_read_offers_its_link(open_page, touch):
    page = open_page("seed", NARROW, **({"has_touch": True, "is_mobile": True} if touch else {})).page
    visible = "() => [...document.querySelectorAll('.copy')].filter(e => getComputedStyle(e).visibility === 'visible')"
    assert page.evaluate(visible + ".length") == 0  # not "copy link" under every block
    before = page.locator(en("p4.2")).bounding_box()
    if touch:
        page.locator(en("p4.2")).tap()
    else:
        page.click(en("p4.2"))
    assert page.evaluate(visible + ".map(e => e.dataset.id)") == ["p4"] and page.is_visible("#p4 .copy")
    assert page.locator(en("p4.2")).bounding_box() == before  # the text stays under the finger


def test_a_markdown_page_starts_with_its_text_not_its_markup(open_page):
    page = open_page("markdown", NARROW).page
    shown = page.evaluate("() => [...document.querySelectorAll('main .cell')].map(c => c.innerText).join('\\n')")
    assert "---" not in shown and "![" not in shown and "title: 台州" not in shown
    assert shown.startswith("Front matter (title, date)\nIMAGE 台州港全景 images/port.jpg\n台州:聚力三条路径")
    assert page.inner_text("#p2 .picture").split() == ["IMAGE", "台州港全景", "images/port.jpg"]
    assert page.locator("img").count() == 0  # named, never loaded
    page.click(".front summary")
    assert "title: 台州" in page.inner_text(".front")  # unfolded on request
    for mode in ("side", "inter", "zh", "en"):
        page.evaluate("m => document.querySelector(`[data-mode='${m}']`).click()", mode)
        assert page.is_visible("#p2 .pic-src") and page.is_visible(".front summary"), mode


def test_a_traditional_page_names_itself_in_traditional(open_page):
    page = open_page("traditional").page
    assert page.inner_text(".brand").startswith("對照")
    choose(page, '[data-script="hans"]')
    assert page.inner_text(".brand").startswith("对照")


def test_screenshots_of_a_phone(open_page):
    """Left in output/ to look at: the busy toolbar at 320 px, a Markdown page."""
    shots = REPO / "output"
    shots.mkdir(exist_ok=True)
    open_page("busy", phone(320)).page.screenshot(path=str(shots / "reader-phone-320.png"))
    open_page("markdown", NARROW).page.screenshot(path=str(Path(shots) / "reader-markdown-phone.png"))
