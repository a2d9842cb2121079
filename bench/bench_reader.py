"""The reader page: its size, how fast it renders in Python, and how fast it loads
and reacts in Chromium, for the seed and for a 10× longer article.

Prints figures; not a test. Needs Debian's chromium (/usr/bin/chromium) and the
test extra (playwright). Run: .venv/bin/python bench/bench_reader.py [--rounds N]

Rounds are interleaved (seed and 10× page, desktop and phone, one after the other)
and the first is a warm-up that is not counted, so a busy machine slows every case
alike; the best and the median are printed with the load average before and after.

Per page load: DOMContentLoaded, load, first contentful paint, time to interactive
(the later of the page's ``duizhao-ready`` mark and the end of the last long task
seen in the first second after load). Then, on the loaded page, the time from a
click (or typing) to the next frame having been painted: opening the Review panel,
switching 简/繁 (with how many of the page's sentences were still in the other
script at that frame, and the longest task the switch made: the page must stay
responsive, under 100 ms a task), turning pinyin on, and finding a word (when the
page has a find box). A page that
draws pinyin on the blocks near the screen first and the rest while idle also gets
the time until every block has it (body[data-drawn]); an older page draws every
block before its next frame, so both figures are that frame.

Targets (issue 12), on the 10× page: the Review panel opens and pinyin shows in under
100 ms. Issue 32: 简/繁 converts the whole page by its next frame, with no task over 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
VIEWPORTS = {"desktop 1440x900": (1440, 900), "phone 390x844": (390, 844)}
#: Typed into the find box: a term found about 60 times on the seed.
QUERY = "台州"

LONG_TASKS = """window.__longTasks = []; window.__tasks = [];
new PerformanceObserver(list => { for (const e of list.getEntries()) {
  window.__longTasks.push(e.startTime + e.duration); window.__tasks.push([e.startTime, e.duration]); } })
  .observe({type: "longtask", buffered: true});"""
LOAD_TIMINGS = """async () => {
  await new Promise(r => setTimeout(r, 1000));
  const nav = performance.getEntriesByType("navigation")[0];
  const ready = performance.getEntriesByName("duizhao-ready")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const busy = Math.max(0, ...window.__longTasks);
  return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: paint ? paint.startTime : NaN,
          tti: Math.max(nav.domContentLoadedEventEnd, ready ? ready.startTime : 0, busy)};
}"""
#: Milliseconds from the action to the frame after it (rAF, then a task: painted).
FRAME = "() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))"
ACT = """async ([kind, arg]) => {
  const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  await frame();
  // A page that draws pinyin near the screen first says with body[data-drawn] when
  // every block is drawn; a page without it draws them all before the next frame.
  const lazy = "drawn" in document.body.dataset;
  const t0 = performance.now();
  if (kind === "click") {
    const target = document.querySelector(arg);
    if (!target) return null;
    target.click();
  } else {
    const box = document.querySelector("#find-q");
    if (!box) return null;
    box.value = arg;
    box.dispatchEvent(new Event("input", {bubbles: true}));
  }
  await frame();
  const painted = performance.now() - t0;
  if (arg === '[data-script="hant"]') {
    // Sentences not in Traditional at that frame, and the longest task since the click.
    const data = JSON.parse(document.getElementById("reader-data").textContent);
    const text = s => { const c = s.cloneNode(true); c.querySelectorAll("rt").forEach(r => r.remove()); return c.textContent; };
    const left = [...document.querySelectorAll(".cell.zh .s")].filter(s => data.tokens[s.dataset.s] &&
      text(s) !== data.tokens[s.dataset.s].map(t => t[1] || t[0]).join("")).length;
    await new Promise(r => setTimeout(r, 100)); // the long-task observer reports after the task
    const tasks = window.__tasks.filter(([start]) => start >= t0 - 1);
    return [painted, left, Math.max(0, ...tasks.map(([, duration]) => duration))];
  }
  if (lazy && arg === "#btn-pinyin") while (!document.body.dataset.drawn) await new Promise(r => setTimeout(r, 2));
  return [painted, performance.now() - t0];
}"""
ACTIONS = {
    "review panel open": ("click", '[data-panel="qa"]'),
    "简/繁": ("click", '[data-script="hant"]'),
    "pinyin on": ("click", "#btn-pinyin"),
    "find a word": ("type", QUERY),
}


def build_pages(folder: Path) -> dict[str, Path]:
    from pipeline.render.reader import render
    from test_reader import long_document, seed_document

    documents = {"seed": seed_document(folder / "s"), "10x": long_document(folder / "l")}
    paths = {}
    for name, document in documents.items():
        times = []
        for _ in range(3):
            started = time.perf_counter()
            html = render(document)
            times.append(time.perf_counter() - started)
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(html, encoding="utf-8")
        size = len(html.encode("utf-8"))
        print(f"{name}: {len(document.blocks)} blocks, page {size / 1e6:.3f} MB; render in Python: first "
              f"{times[0] * 1000:.0f} ms (loads jieba, CC-CEDICT on the first page), then {min(times[1:]) * 1000:.0f} ms")
    return paths


def measure(paths: dict[str, Path], rounds: int) -> dict[tuple[str, str], dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    figures: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for round_ in range(rounds + 1):
            for name, path in paths.items():
                for label, (width, height) in VIEWPORTS.items():
                    context = browser.new_context(viewport={"width": width, "height": height})
                    page = context.new_page()
                    page.add_init_script(LONG_TASKS)
                    page.goto(path.as_uri())
                    timings = page.evaluate(LOAD_TIMINGS)
                    for action, (kind, arg) in ACTIONS.items():
                        if action == "find a word":
                            page.keyboard.press("Escape")
                        taken = page.evaluate(ACT, [kind, arg])
                        if taken is not None:
                            timings[action] = taken[0]
                            if action == "pinyin on":
                                timings["pinyin everywhere"] = taken[1]
                            if action == "简/繁":
                                timings["简/繁 sentences left"] = taken[1]
                                timings["简/繁 longest task"] = taken[2]
                        page.evaluate(FRAME)
                    context.close()
                    if round_:  # the first round warms the browser and the file cache
                        for key, value in timings.items():
                            if value is not None:
                                figures[(name, label)][key].append(value)
        browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="counted rounds (default 7)")
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        paths = build_pages(Path(tmp))
        before = os.getloadavg()
        figures = measure(paths, rounds)
        after = os.getloadavg()
    print(f"load average {before[0]:.2f} before, {after[0]:.2f} after; {rounds} rounds; milliseconds, median (best)")
    names = {"dcl": "DOMContentLoaded", "load": "load", "fcp": "first contentful paint", "tti": "time to interactive",
             "review panel open": "review panel open", "简/繁": "简/繁 (the whole page)",
             "简/繁 sentences left": "sentences still in Simplified at that frame",
             "简/繁 longest task": "its longest task", "pinyin on": "pinyin on (the screen)",
             "pinyin everywhere": "pinyin on every block (in the background)", "find a word": f"find {QUERY}"}
    for (page, viewport), values in figures.items():
        shown = []
        for key, label in names.items():
            if values.get(key):
                shown.append(f"{label} {statistics.median(values[key]):.0f} ({min(values[key]):.0f})")
            else:
                shown.append(f"{label} n/a")
        print(f"{page:<4} {viewport:<17} " + ", ".join(shown))


if __name__ == "__main__":
    main()
