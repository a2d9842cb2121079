"""Hostile input end to end (issue 13): a Markdown source with raw HTML, scripts,
event handlers, javascript: links and remote images, a glossary note and edits
that carry markup, through ``duizhao run`` into the reader, opened from file:// in
Chromium: nothing runs (no dialog, no page error) and nothing is fetched (no
request outside the output folder), and the hostile text is shown as text."""

from __future__ import annotations

import pytest

from .conftest import assert_no_traceback, duizhao

survives = pytest.mark.outcome("survives")

SOURCE = """# 标题<script>alert(1)</script>

台州<img src=x onerror=alert(2)>很美。<iframe src="http://127.0.0.1:9/frame"></iframe>

[链接](javascript:alert(3)) 和 ![图](http://127.0.0.1:9/track.png) 台州港口很大。

<style>body{background:url(http://127.0.0.1:9/css)}</style>

<svg onload=alert(4)></svg>我们在东边。

<a href="file:///etc/passwd">本地文件</a>和<object data="http://127.0.0.1:9/o"></object>台州。
"""
NOTE = '"><img src=x onerror=alert(5)>'
EDIT = "<img src=x onerror=alert(6)>We are in the east."
ORPHAN = "<script>alert(7)</script>不存在的句子。"


@survives
def test_hostile_markdown_glossary_and_edits_neither_run_nor_fetch_in_the_reader(project, browser):
    (project / "sources" / "doc.txt").unlink()
    (project / "sources" / "hostile.md").write_text(SOURCE, encoding="utf-8")
    (project / "glossary" / "g.tsv").write_text(f"zh\ten\tnote\n台州\tTaizhou\t{NOTE}\n", encoding="utf-8")
    (project / "sources" / "hostile.edits.tsv").write_text(
        f"source\tmachine\tenglish\n我们在东边。\tx\t{EDIT}\n{ORPHAN}\tx\t<b onmouseover=alert(8)>gone</b>\n",
        encoding="utf-8")
    result = duizhao("run", "sources/hostile.md", cwd=project)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    page_path = project / "output" / "hostile.html"
    own = (project / "output").as_uri()

    context = browser.new_context()
    try:
        page = context.new_page()
        requests, dialogs, errors = [], [], []
        page.on("request", lambda r: None if r.url.startswith(own) else requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route(lambda url: not url.startswith(own), lambda route: route.abort())
        page.goto(page_path.as_uri())
        page.wait_for_function("document.body.classList.contains('ready')")
        for panel in ("qa", "glossary"):
            page.click(f'[data-panel="{panel}"]')
            page.keyboard.press("Escape")
        terms = page.locator(".term").all()
        assert terms, "no glossary term on the page to show its note"
        for term in terms[:3]:
            term.hover()
        text = page.evaluate("document.body.textContent")  # the panels' too
        for shown in (EDIT, NOTE, ORPHAN, "alert(1)", "javascript:alert(3)"):
            assert shown in text, f"{shown!r} is not shown as text"
        assert page.locator("img[onerror], svg[onload], iframe, object, [onmouseover]").count() == 0
        assert page.locator('a[href^="javascript:"]').count() == 0
    finally:
        context.close()
    assert (requests, dialogs, errors) == ([], [], [])
