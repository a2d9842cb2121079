"""PDF and OCR figures: the two PDF libraries compared, pages per second for text
PDFs and for OCR, peak memory reading a long PDF, OCR character error rate.

Prints figures; not a test. Scratch files go to bench/.work/pdf/.

1. pypdfium2 and pdfplumber (pdfminer.six) each extract every character with its
   box and font from the real PDFs in tests/data/pdf/ and from a PDF built here
   whose text is known: seconds, pages per second, and the share of characters
   that agree with that text (built PDF) or with poppler's pdftotext (real ones).
2. ``load_document`` on a built two-column PDF: pages per second, layout included.
3. Peak resident memory reading a long one-column PDF (each size in a fresh
   process): whole (``load_document``) and as a run reads it, a window of pages at a
   time (``read_parts``), each part let go.
4. Peak resident memory of a whole ``duizhao run`` (JSON and the reader) of those
   PDFs, with the tiny generated model.
5. OCR (Tesseract, chi_sim) of 300-dpi renders of Chinese text: pages per second
   and the character error rate against the text drawn.

Run: .venv/bin/python bench/bench_pdf.py [--only libraries,layout,long,run,ocr] [--long 1000,10000]
     [--run-pages 250,1000] [--ocr-pages 4]
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import json
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from figures import figure  # noqa: E402
from pipeline.testing import pdfs  # noqa: E402

WORK = ROOT / "bench" / ".work" / "pdf"


def pdfium_chars(path: Path) -> list[str]:
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pages = []
    pdf = pdfium.PdfDocument(str(path))
    rect = raw.FS_RECTF()
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    for index in range(len(pdf)):
        page = pdf[index]
        text = page.get_textpage()
        chars = []
        for k in range(text.count_chars()):
            code = raw.FPDFText_GetUnicode(text.raw, k)
            raw.FPDFText_GetLooseCharBox(text.raw, k, rect)
            raw.FPDFText_GetFontSize(text.raw, k)
            raw.FPDFText_GetFontInfo(text.raw, k, name, 128, ctypes.byref(flags))
            if code and not raw.FPDFText_IsGenerated(text.raw, k):
                chars.append(chr(code))
        pages.append("".join(chars))
        text.close()
        page.close()
    pdf.close()
    return pages


def plumber_chars(path: Path) -> list[str]:
    import pdfplumber

    pages = []
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            pages.append("".join(c["text"] for c in page.chars))
            page.close()
    return pages


def agreement(got: str, expected: str) -> float:
    a = collections.Counter(c for c in unicodedata.normalize("NFKC", got) if not c.isspace())
    b = collections.Counter(c for c in unicodedata.normalize("NFKC", expected) if not c.isspace())
    return sum((a & b).values()) / max(sum(a.values()), sum(b.values()), 1)


def compare_libraries() -> None:
    print("1. PDF libraries: characters with boxes and fonts, every page")
    built = WORK / "built.pdf"
    made = pdfs.two_column_pdf(built, paragraphs=40)
    expected_built = "".join([made.title, *made.headings, *made.paragraphs, *made.footnotes, *made.furniture,
                              *(c for t in made.tables for row in t for c in row)])
    files = [("built (known text)", built, expected_built)]
    files += [(p.name, p, None) for p in sorted((ROOT / "tests" / "data" / "pdf").glob("*.pdf"))
              if "scan" not in p.name]
    print(f"   {'file':42} {'library':10} {'pages':>5} {'seconds':>8} {'pages/s':>8} {'agree':>7}")
    for label, path, expected in files:
        reference = expected
        if reference is None and shutil.which("pdftotext"):
            reference = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                                       text=True).stdout
        for library, extract in (("pypdfium2", pdfium_chars), ("pdfplumber", plumber_chars)):
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                pages = extract(path)
                best = min(best, time.perf_counter() - started)
            share = agreement("".join(pages), reference) if reference is not None else float("nan")
            against = "text" if expected is not None else "poppler"
            print(f"   {label[:42]:42} {library:10} {len(pages):5d} {best:8.3f} {len(pages) / best:8.1f} "
                  f"{share:7.4f} (vs {against})")


def layout_speed() -> None:
    from pipeline.read import load_document

    path = WORK / "paper.pdf"
    pdfs.two_column_pdf(path, paragraphs=400)
    import pypdfium2 as pdfium

    pages = len(pdfium.PdfDocument(str(path)))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        load_document(path)
        best = min(best, time.perf_counter() - started)
    print(f"2. load_document, built two-column PDF: {pages} pages in {best:.2f} s = {pages / best:.1f} pages/s "
          "(text, geometry, layout repair and sentences)")


_MEMORY = """
import json, resource, sys, time
from pipeline.read import load_document
from pipeline.read.formats import read_parts
from pipeline.run import WINDOW_SENTENCES
started = time.perf_counter()
if sys.argv[2] == "whole":
    parts = [load_document(sys.argv[1])]
else:  # as a run reads it: a window of pages at a time, each part let go
    parts = read_parts(sys.argv[1], part_sentences=WINDOW_SENTENCES)
blocks = dropped = count = 0
for part in parts:
    count, blocks, dropped = count + 1, blocks + len(part.blocks), dropped + len(part.dropped)
seconds = time.perf_counter() - started
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "seconds": seconds,
                  "blocks": blocks, "dropped": dropped, "parts": count}))
"""
_RUN = """
import json, os, resource, sys, time
from click.testing import CliRunner
from pipeline.cli import cli
started = time.perf_counter()
done = CliRunner().invoke(cli, ["run", sys.argv[1], "-o", sys.argv[2], "--offline", "--cache", sys.argv[2] + ".sqlite3"])
assert done.exit_code == 0, done.output
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - started}))
"""


def long_pdf_memory(sizes: list[int]) -> None:
    print("3. Peak memory reading a long PDF (one column, 12 lines a page, a page number at the foot)")
    baseline = json.loads(subprocess.run(
        [sys.executable, "-c", "import json, resource; import pipeline.read.pdf, pypdfium2; "
         "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))"],
        capture_output=True, text=True, cwd=ROOT, check=True).stdout)
    print(f"   after importing the reader: {baseline:.0f} MB")
    for pages in sizes:
        path = WORK / f"long-{pages}.pdf"
        if not path.exists():
            lines = [f"第{{page}}页第{k + 1}行：" + pdfs.SENTENCES[k % len(pdfs.SENTENCES)] for k in range(12)]
            pdfs.plain_pdf(path, lines, pages=pages)
        for how in ("whole", "parts"):
            out = subprocess.run([sys.executable, "-c", _MEMORY, str(path), how], capture_output=True, text=True,
                                 cwd=ROOT)
            if out.returncode:
                print(f"   {pages} pages: failed: {out.stderr.strip().splitlines()[-1]}")
                continue
            data = json.loads(out.stdout)
            print(f"   {pages:6d} pages ({path.stat().st_size / 1e6:.1f} MB file), read {how:5}: peak "
                  f"{data['peak_mb']:.0f} MB, {data['seconds']:.1f} s ({pages / data['seconds']:.0f} pages/s), "
                  f"{data['blocks']} blocks in {data['parts']} part(s), {data['dropped']} page numbers dropped")
            figure(f"long PDF {pages} pages, read {how}: peak", data["peak_mb"], unit="MB")


def run_memory(sizes: list[int]) -> None:
    """Peak memory of a whole ``duizhao run`` (JSON and reader) of the long PDFs, tiny model."""
    print("4. Peak memory of duizhao run of a long PDF (tiny generated model; JSON and the reader)")
    import os

    from pipeline.testing.models import cached_argos_package
    from pipeline.translate.packages import install_from_file

    models = WORK / "packages"
    models.mkdir(exist_ok=True)
    env = dict(os.environ, ARGOS_PACKAGES_DIR=str(models))
    os.environ["ARGOS_PACKAGES_DIR"] = str(models)
    install_from_file(cached_argos_package(WORK / "model", layers=1, d_model=32, heads=2, ffn=64, vocab_size=300))
    for pages in sizes:
        path = WORK / f"long-{pages}.pdf"
        if not path.exists():
            lines = [f"第{{page}}页第{k + 1}行：" + pdfs.SENTENCES[k % len(pdfs.SENTENCES)] for k in range(12)]
            pdfs.plain_pdf(path, lines, pages=pages)
        out_dir = WORK / f"run-{pages}"
        shutil.rmtree(out_dir, ignore_errors=True)
        Path(str(out_dir) + ".sqlite3").unlink(missing_ok=True)
        out = subprocess.run([sys.executable, "-c", _RUN, str(path), str(out_dir)], capture_output=True, text=True,
                             cwd=ROOT, env=env)
        if out.returncode:
            print(f"   {pages} pages: failed: {(out.stderr or out.stdout).strip()[-300:]}")
            continue
        data = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"   {pages:6d} pages: duizhao run {data['seconds']:.1f} s, peak {data['peak_mb']:.0f} MB")
        figure(f"duizhao run of a {pages}-page PDF: peak", data["peak_mb"], unit="MB", options="tiny model")


def ocr_figures(pages: int) -> None:
    from pipeline.read import load_document

    print(f"5. OCR of 300-dpi renders (Tesseract, chi_sim), {pages} pages of {len(pdfs.OCR_LINES) * 2} lines")
    total_seconds = 0.0
    errors = []
    for page in range(pages):
        lines = [pdfs.paragraph_text(page * 2 + k, 2)[:24] for k in range(len(pdfs.OCR_LINES))]
        lines += pdfs.OCR_LINES
        path = WORK / f"ocr-{page}.png"
        pdfs.text_image(path, lines)
        started = time.perf_counter()
        document = load_document(path)
        total_seconds += time.perf_counter() - started
        errors.append(pdfs.character_error_rate("".join(lines), "".join(b.text for b in document.blocks)))
    print(f"   {pages / total_seconds:.2f} pages/s ({total_seconds / pages:.1f} s a page); character error rate: "
          f"mean {sum(errors) / len(errors):.2%}, worst {max(errors):.2%} (target ≤ 3%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", default="1000,10000", help="pages of the long PDFs, comma-separated")
    parser.add_argument("--run-pages", default="250,1000", help="pages of the long PDFs run through duizhao run")
    parser.add_argument("--ocr-pages", type=int, default=4)
    parser.add_argument("--only", default="libraries,layout,long,run,ocr")
    options = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    chosen = options.only.split(",")
    if "libraries" in chosen:
        compare_libraries()
    if "layout" in chosen:
        layout_speed()
    if "long" in chosen:
        long_pdf_memory([int(n) for n in options.long.split(",") if n])
    if "run" in chosen:
        run_memory([int(n) for n in options.run_pages.split(",") if n])
    if "ocr" in chosen:
        ocr_figures(options.ocr_pages)


if __name__ == "__main__":
    main()
