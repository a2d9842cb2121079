"""Size of the seed's reader page and how fast it renders, in Python and in Chromium.

Prints figures; not a test. Needs Debian's chromium (/usr/bin/chromium) and the
test extra (playwright). Run: .venv/bin/python bench/bench_reader.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

#: Page loads per viewport; other work on the machine only ever adds time, so the minimum is printed too.
LOADS = 15
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMINGS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const ready = performance.getEntriesByName("duizhao-ready")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {dom: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, ready: ready ? ready.startTime : null,
          paint: paint ? paint.startTime : null};
}"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    from pipeline.render.reader import render
    from test_reader import seed_document

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        document = seed_document(Path(tmp))
        translated = time.perf_counter() - started
        renders = []
        for _ in range(3):
            started = time.perf_counter()
            html = render(document)
            renders.append(time.perf_counter() - started)
        page_path = Path(tmp) / "taizhou.html"
        page_path.write_text(html, encoding="utf-8")
        size = len(html.encode("utf-8"))
        print(f"seed document (fake engine, real glossary): {translated:.2f} s")
        print(f"render in Python: first {renders[0] * 1000:.0f} ms (loads jieba, CC-CEDICT), "
              f"then {statistics.median(renders[1:]) * 1000:.0f} ms")
        print(f"page size: {size / 1e6:.3f} MB ({size} bytes; limit 1.5 MB)")

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for label, viewport in (("desktop 1280x900", (1280, 900)), ("narrow 390x844", (390, 844))):
                results = []
                for _ in range(LOADS):
                    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
                    page.goto(page_path.as_uri())
                    results.append(page.evaluate(TIMINGS))
                    page.close()
                warm = results[1:]  # the first load also warms the browser itself
                dom = statistics.median(r["dom"] for r in warm)
                load = statistics.median(r["load"] for r in warm)
                ready = statistics.median(r["ready"] for r in warm)
                paints = [r["paint"] for r in warm if r["paint"] is not None]
                paint = f", first contentful paint {statistics.median(paints):.0f} ms" if paints else ""
                fastest = min(r["load"] for r in warm)
                print(f"browser, {label}, median of {len(warm)} loads: script ready {ready:.0f} ms, "
                      f"DOMContentLoaded {dom:.0f} ms, load {load:.0f} ms{paint}; fastest load {fastest:.0f} ms "
                      f"(first load: {results[0]['load']:.0f} ms; target < 300 ms)")
            browser.close()


if __name__ == "__main__":
    main()
