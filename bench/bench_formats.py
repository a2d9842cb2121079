"""Reading and writing the structured formats: seconds and peak memory.

Cases (files built here from the seed article, so every run measures the same):

- ``epub``: a 300-page book (30 chapters of 10 pages, ~400 characters a page);
- ``docx``: a 100-page Word file (headings, paragraphs with bold runs, a table every 10 pages);
- ``html``: a long saved web page (the seed 10 times, with navigation and share boilerplate);
- ``srt``: a feature film's subtitles (1,500 cues);
- ``novel``: ``duizhao run`` of a ~2 MB novel cut into N chapters (``--chapters``), with the
  tiny generated model, for the peak memory of a whole run per chapter count; then novels
  of other lengths (``--lengths``, MB, chapters of ~50 KB), for the peak per book length.

Each case runs in a fresh process (peak memory is the process's high-water
mark, ``ru_maxrss``, imports included). Reading is ``load_document``; writing is
the format's writers given an English for every sentence. Prints figures; not a test.

Run: .venv/bin/python bench/bench_formats.py [--only epub,docx,html,srt,novel] [--chapters 10,40,160]
     [--lengths 0.5,2,8]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import figure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "sources" / "taizhou.txt"
PAGE_CHARS = 400


def paragraphs(count: int) -> list[str]:
    """``count`` paragraphs of the seed's text, each tagged so no two are the same."""
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if len(line.strip()) > 30]
    return [f"第{n}段。{lines[n % len(lines)]}" for n in range(count)]


def build_epub(path: Path, chapters: int, pages_each: int) -> None:
    from pipeline.testing.books import epub_book

    per_page = max(1, PAGE_CHARS // 120)
    text = iter(paragraphs(chapters * pages_each * per_page + 10))
    epub_book(path, [(f"第{c}章", [next(text) for _ in range(pages_each * per_page)]) for c in range(1, chapters + 1)],
              title="基准")


def build_docx(path: Path, pages: int) -> None:
    import docx

    document = docx.Document()
    text = iter(paragraphs(pages * 6 + 10))
    for page in range(pages):
        if page % 10 == 0:
            document.add_heading(f"第{page // 10 + 1}章", level=1)
            table = document.add_table(rows=3, cols=3)
            for cell in table._cells:
                cell.text = "台州港口"
        for _ in range(3):
            paragraph = document.add_paragraph(next(text)[:60])
            paragraph.add_run(next(text)[:40]).bold = True
    document.save(path)


def build_html(path: Path) -> None:
    body = "".join(f"<p>{p}</p>" for p in paragraphs(600))
    nav = "".join(f'<li><a href="/n{n}">栏目{n}</a></li>' for n in range(60))
    path.write_text(f"<html><head><meta charset='utf-8'><title>台州</title></head><body><nav><ul>{nav}</ul></nav>"
                    f"<article><h1>台州</h1>{body}</article><div>扫码关注</div></body></html>", encoding="utf-8")


def build_srt(path: Path) -> None:
    cues = []
    for n, p in enumerate(paragraphs(1500)):
        start = n * 3
        cues.append(f"{n + 1}\n00:{start // 60 % 60:02d}:{start % 60:02d},000 --> 00:{(start + 2) // 60 % 60:02d}:"
                    f"{(start + 2) % 60:02d},500\n{p[:24]}\n")
    path.write_text("\n".join(cues), encoding="utf-8")


WRITERS = {
    "epub": ["pipeline.render.epub:bilingual_epub", "pipeline.render.epub:english_epub"],
    "docx": ["pipeline.render.docx:bilingual_docx", "pipeline.render.docx:english_docx"],
    "html": ["pipeline.render.page:bilingual_page", "pipeline.render.page:english_page"],
    "srt": ["pipeline.render.subtitles:bilingual_subtitles", "pipeline.render.subtitles:english_subtitles"],
}


def measure_child(kind: str, path: str) -> None:
    """In a fresh process: read, then write; print seconds and peak RSS as JSON."""
    import importlib

    from pipeline.read import load_document

    started = time.perf_counter()
    document = load_document(path)
    read_seconds = time.perf_counter() - started
    read_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for n, sentence in enumerate(document.sentences()):
        sentence.translation = f"This is the English of sentence {n}, about as long as a sentence is."
    started = time.perf_counter()
    size = 0
    for writer in WRITERS[kind]:
        module, function = writer.split(":")
        size += len(getattr(importlib.import_module(module), function)(document))
    print(json.dumps({"read": read_seconds, "write": time.perf_counter() - started, "read_peak": read_peak,
                      "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "blocks": len(document.blocks), "sentences": len(document.sentences()), "bytes": size}))


def run_child(*args: str, env: dict | None = None) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def novel_child(chapters: int, folder: str, megabytes: float = 2.0) -> None:
    """In a fresh process: ``duizhao run`` of a novel of ``megabytes`` MB in ``chapters`` chapters."""
    from click.testing import CliRunner

    from pipeline.cli import cli

    book = Path(folder) / f"novel{chapters}-{megabytes}.epub"
    total_pages = int(megabytes * 1_000_000) // 3 // PAGE_CHARS  # UTF-8 Chinese: 3 bytes a character
    build_epub(book, chapters, max(1, total_pages // chapters))
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["run", str(book), "-o", str(Path(folder) / "out"), "--offline", "--cache",
                                      str(Path(folder) / f"{book.stem}-{time.time_ns()}.sqlite3")])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(book) as z:
        unpacked = sum(info.file_size for info in z.infolist())
    print(json.dumps({"seconds": time.perf_counter() - started, "bytes": unpacked,
                      "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="epub,docx,html,srt,novel")
    parser.add_argument("--chapters", default="10,40,160")
    parser.add_argument("--lengths", default="0.5,2,8", help="MB of the novels of chapters of ~50 KB")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--novel", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        return measure_child(*options.child)
    if options.novel:
        return novel_child(int(options.novel[0]), options.novel[1], float(options.novel[2]))
    chosen = options.only.split(",")
    with tempfile.TemporaryDirectory() as folder:
        files = {"epub": Path(folder) / "book300.epub", "docx": Path(folder) / "report100.docx",
                 "html": Path(folder) / "page.html", "srt": Path(folder) / "film.srt"}
        builders = {"epub": lambda p: build_epub(p, 30, 10), "docx": lambda p: build_docx(p, 100),
                    "html": build_html, "srt": build_srt}
        for kind in [k for k in chosen if k in files]:
            builders[kind](files[kind])
            got = run_child("--child", kind, str(files[kind]))
            print(f"{kind:5} {files[kind].name:15} {files[kind].stat().st_size / 1e6:6.2f} MB  "
                  f"{got['blocks']:5} blocks {got['sentences']:6} sentences  read {got['read']:6.2f} s  "
                  f"write (both) {got['write']:6.2f} s  peak {got['read_peak']:5.0f} MB reading, "
                  f"{got['peak']:5.0f} MB with writing")
            figure(f"{kind}: read", got["read"], unit="s", options=files[kind].name)
            figure(f"{kind}: write both", got["write"], unit="s", options=files[kind].name)
            figure(f"{kind}: peak", got["peak"], unit="MB", options=files[kind].name)
        if "novel" in chosen:
            env = dict(os.environ)
            models = Path(folder) / "packages"
            models.mkdir()
            env["ARGOS_PACKAGES_DIR"] = str(models)
            from pipeline.testing.models import cached_argos_package
            from pipeline.translate.packages import install_from_file

            os.environ["ARGOS_PACKAGES_DIR"] = str(models)
            install_from_file(cached_argos_package(Path(folder) / "model", layers=1, d_model=32, heads=2, ffn=64,
                                                   vocab_size=300))
            for chapters in (int(c) for c in options.chapters.split(",") if c):
                got = run_child("--novel", str(chapters), folder, "2", env=env)
                print(f"novel of {got['bytes'] / 1e6:5.2f} MB (unpacked) in {chapters:4} chapters: duizhao run "
                      f"{got['seconds']:6.1f} s, peak {got['peak']:5.0f} MB")
                figure(f"novel in {chapters} chapters: peak", got["peak"], unit="MB", options="tiny model")
            for megabytes in (float(m) for m in options.lengths.split(",") if m):
                chapters = max(1, round(megabytes * 20))
                got = run_child("--novel", str(chapters), folder, str(megabytes), env=env)
                print(f"novel of {got['bytes'] / 1e6:5.2f} MB (unpacked) in {chapters:4} chapters of ~50 KB: "
                      f"duizhao run {got['seconds']:6.1f} s, peak {got['peak']:5.0f} MB")
                figure(f"novel of {megabytes} MB: peak", got["peak"], unit="MB", options="tiny model")


if __name__ == "__main__":
    main()
