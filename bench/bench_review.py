"""The live review workspace (duizhao review) on the seed, in Chromium: how long
from saving an edit to the page showing its new flags, and from adding a glossary
term to the page updated, with an NMT engine (a generated Argos package run by
CTranslate2, as bench_rerun builds it).

Prints figures; not a test. Needs Debian's chromium and the test extra (playwright).
Run: .venv/bin/python bench/bench_review.py [--model small|base] [--saves N] [--terms N]

- save → flags: the edit of one seed sentence is ended (Enter) and timed in the page
  from its focusout to the sentence's review marker saying what the server found
  (a MutationObserver): the request, the server's recomputed checks and state, and
  the page's update. Edits alternate between English that drops the sentence's
  numbers (number-mismatch appears) and English that has them (it goes).
- add term → page updated: from the click on "Add and run again" to the reloaded
  page being live again with the term marked: the glossary line, the run of the
  documents that contain it (no engine call: their masked sentences were
  translated while the dialog was open, timed on its own as "prepare") and the
  page's reload. The engine calls made during the run are counted.

Targets (issue 30): save → flags under 200 ms; add term → page under 2 s (seed, NMT).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests"))

from figures import figure  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SENTENCE = "2023年,大麦屿港区集装箱吞吐量突破50万箱,同比增加17.3%。"
EDITS = ("In 2023 the port moved many boxes.", "In 2023 the port moved 500,000 boxes, up 17.3%.")
#: Terms added in turn (each occurs in the seed and is not in its glossary).
TERMS = [("集装箱", "container"), ("阿根廷", "Argentina"), ("伊芙莲娜", "Evelina"), ("吞吐量", "throughput"),
         ("码头", "wharf")]
#: In the page: the time from the edit's focusout to its marker's title changing.
WATCH = """([sid]) => { window.__saveTook = new Promise(resolve => {
  const s = document.querySelector(`.cell.en .s[data-s="${sid}"]`);
  const before = (document.getElementById('fm-' + sid) || {title: ''}).title;
  let t0 = null;
  s.addEventListener('focusout', () => { t0 = performance.now(); }, {once: true, capture: true});
  const observer = new MutationObserver(() => {
    const marker = document.getElementById('fm-' + sid);
    const now = marker ? marker.title : '';
    if (t0 !== null && now !== before) { observer.disconnect(); resolve(performance.now() - t0); }
  });
  observer.observe(document.querySelector('main'), {subtree: true, childList: true, attributes: true,
                                                    attributeFilter: ['title']});
}); }"""


class Counting:
    """The engine, counting the sentences it is asked to translate."""

    def __init__(self, engine):
        self.engine = engine
        self.sentences = 0

    def translate(self, sentences, progress=None):
        self.sentences += len(sentences)
        return self.engine.translate(sentences, progress) if progress else self.engine.translate(sentences)

    def __getattr__(self, name):
        return getattr(self.engine, name)


def package(model: str) -> Path:
    from bench_rerun import base_package

    if model == "base":
        return base_package(length_ratio=1.3)
    from pipeline.terms.glossary import placeholder_symbols
    from pipeline.testing.models import cached_argos_package

    return cached_argos_package(REPO / "bench" / ".work" / "packages", layers=1, d_model=32, heads=2, ffn=64,
                                vocab_size=300, user_defined_symbols=placeholder_symbols())


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f"best {ordered[0]:.0f} ms, median {statistics.median(ordered):.0f} ms, p90 {p90:.0f} ms (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("small", "base"), default="small",
                        help="generated Argos package: small (tests' size) or base (a real model's shape)")
    parser.add_argument("--saves", type=int, default=20, help="edits saved and timed")
    parser.add_argument("--terms", type=int, default=3, help="terms added and timed (at most 5)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="duizhao-bench-review-"))
    os.environ["ARGOS_PACKAGES_DIR"] = str(work / "packages")
    os.environ["DUIZHAO_CACHE"] = str(work / "cache.sqlite3")
    try:
        run(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, args) -> None:
    from playwright.sync_api import sync_playwright

    from pipeline.core.config import load_config
    from pipeline.review.memory import TranslationMemory
    from pipeline.serve.review import ReviewServer
    from pipeline.serve.workspace import Workspace
    from pipeline.translate.cache import TranslationCache
    from pipeline.translate.engines.settings import EngineSettings, build_engine
    from pipeline.translate.packages import install_from_file

    archive = package(args.model)
    install_from_file(archive)
    project = work / "project"
    (project / "sources").mkdir(parents=True)
    (project / "glossary").mkdir()
    shutil.copyfile(REPO / "sources" / "taizhou.txt", project / "sources" / "taizhou.txt")
    shutil.copyfile(REPO / "glossary" / "taizhou.tsv", project / "glossary" / "taizhou.tsv")
    os.chdir(project)
    settings = EngineSettings.from_config(load_config({}), "argos")
    counted: list[Counting] = []

    def make_engine():
        counted.append(Counting(build_engine(settings, offline=True)))
        return counted[0]

    print(f"model: {args.model} ({archive.name}); load average {os.getloadavg()[0]:.2f}")
    with TranslationCache(work / "cache.sqlite3") as cache, TranslationMemory(work / "memory.sqlite3") as memory:
        started = time.perf_counter()
        workspace = Workspace(["sources"], "output", make_engine, cache, None, memory).start()
        print(f"first run of the seed (engine and cache cold): {time.perf_counter() - started:.1f} s")
        server = ReviewServer(workspace, 0).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(server.url("taizhou.html"))
                page.wait_for_function("document.body.dataset.live === 'ready'")
                state = workspace.state("taizhou.html")
                sid = next(s for s, v in state["sentences"].items() if v["source"] == SENTENCE)
                saves = time_saves(page, sid, args.saves)
                print(f"save → flags shown: {summary(saves)}  (target < 200 ms)")
                figure("review: save → flags shown", min(saves), statistics.median(saves), unit="ms",
                       target="< 200", options=f"seed, {args.model} model, {args.saves} saves")
                added, prepared, calls = time_terms(page, workspace, counted, args.terms)
                print("prepare (the dialog open, masked sentences translated): "
                      + ", ".join(f"{p:.2f} s" for p in prepared))
                print(f"add term → page updated: {summary([a * 1000 for a in added])}  (target < 2 s); "
                      f"engine calls during the runs: {calls}")
                figure("review: add term → page updated", min(added), statistics.median(added), unit="s",
                       target="< 2", options=f"seed, {args.model} model, {len(added)} terms, {calls} engine calls")
                browser.close()
        finally:
            server.close()
            workspace.close()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def time_saves(page, sid: str, rounds: int) -> list[float]:
    selector = f'.cell.en .s[data-s="{sid}"]'
    samples = []
    for n in range(rounds + 1):  # the first is a warm-up
        page.evaluate(WATCH, [sid])
        page.click(selector)
        page.keyboard.press("Control+A")
        page.keyboard.type(EDITS[n % 2])
        page.keyboard.press("Enter")
        took = page.evaluate("window.__saveTook")
        if n:
            samples.append(took)
    return samples


def time_terms(page, workspace, counted, rounds: int) -> tuple[list[float], list[float], int]:
    added, prepared, calls = [], [], 0
    for zh, en in TERMS[:rounds]:
        sentence = next(sid for sid, v in workspace.state("taizhou.html")["sentences"].items() if zh in v["source"])
        page.evaluate("""([sid, text]) => {
            const root = document.querySelector(`.cell.zh .s[data-s="${sid}"]`);
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
                return;
            }
        }""", [sentence, zh])
        started = time.perf_counter()
        page.click("#add-term")
        page.wait_for_selector("#term-dialog[open]")
        page.wait_for_function("document.querySelector('#term-dialog .term-info').textContent !== ''")
        workspace.wait_prepared(zh)
        prepared.append(time.perf_counter() - started)
        page.fill('#term-dialog input[name="en"]', en)
        before = counted[0].sentences
        started = time.perf_counter()
        with page.expect_navigation():
            page.click('#term-dialog button[type="submit"]')
        page.wait_for_function("document.body.dataset.live === 'ready'")
        page.wait_for_selector(f'.cell.zh mark.term:text("{zh}")')
        added.append(time.perf_counter() - started)
        calls += counted[0].sentences - before
    return added, prepared, calls


if __name__ == "__main__":
    main()
