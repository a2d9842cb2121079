"""`duizhao serve`: the output folder on 127.0.0.1, pages that reload themselves.

Only 127.0.0.1 is ever contacted. The last test opens a served reader in
Debian's chromium and rewrites it, as `duizhao run --watch` does, to see the page
reload by itself; like tests/render/test_reader_browser.py it fails, never skips, when
/usr/bin/chromium is missing.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import sys
from pathlib import Path

import pytest
from conftest import INTERRUPTIBLE, child_process

from pipeline.core.atomic import write_text_atomic
from pipeline.serve.server import ReaderServer, ServeError, content_version

PAGE = "<!DOCTYPE html><html><head><title>t</title></head><body><p>第一版</p></body></html>\n"


@pytest.fixture
def folder(tmp_path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / "doc.html").write_text(PAGE, encoding="utf-8")
    (out / "doc.json").write_text('{"schema_version": 1}\n', encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not yours\n", encoding="utf-8")
    return out


@pytest.fixture
def server(folder):
    with ReaderServer(folder, port=0) as running:
        yield running


def get(server: ReaderServer, path: str, host: str | None = None) -> tuple[int, dict, bytes]:
    """A raw GET: the path goes out exactly as written (no client-side ``..`` clean-up)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host or f"127.0.0.1:{server.port}")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def version(server: ReaderServer, name: str) -> str | None:
    status, headers, body = get(server, f"/__duizhao/version?file={name}")
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(body)
    assert data["file"] == name
    return data["version"]


def test_listens_on_127_0_0_1_only(server):
    assert server.url("doc.html") == f"http://127.0.0.1:{server.port}/doc.html"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5):
        pass
    # Bound to 127.0.0.1, not to every address: another loopback address is refused.
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.2", server.port), timeout=5):
        pass


def test_html_is_served_with_the_reload_script_the_file_on_disk_has_none(server, folder):
    status, headers, body = get(server, "/doc.html")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    page = body.decode()
    assert page.count("data-duizhao-reload") == 1
    assert page.index("data-duizhao-reload") < page.index("</body>")
    assert f'version = "{content_version(folder / "doc.html")}"' in page
    assert "location.reload()" in page and "sessionStorage" in page and "/__duizhao/version" in page
    assert (folder / "doc.html").read_text(encoding="utf-8") == PAGE


def test_other_files_are_served_as_they_are(server, folder):
    status, headers, body = get(server, "/doc.json")
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    assert body == (folder / "doc.json").read_bytes()
    status, _, body = get(server, "/")
    assert status == 200 and b'<a href="/doc.html">doc.html</a>' in body


@pytest.mark.parametrize("path", [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/sub/../../secret.txt",
    "/..%2fsecret.txt",
    "/..\\secret.txt",
    "/linked.txt",
    "/__duizhao/version?file=../secret.txt",
    "/__duizhao/version?file=linked.txt",
    "/missing.txt",
], ids=["dotdot", "encoded-dotdot", "nested-dotdot", "encoded-slash", "backslash", "symlink-out",
        "version-dotdot", "version-symlink-out", "missing"])
def test_nothing_outside_the_folder_is_served(server, folder, path):
    (folder / "linked.txt").symlink_to(folder.parent / "secret.txt")
    status, _, body = get(server, path)
    assert status == 404
    assert b"not yours" not in body


def test_a_request_for_another_host_is_refused(server):
    """A web page reaching 127.0.0.1 through a DNS name of its own gets nothing."""
    status, _, body = get(server, "/doc.html", host="attacker.example:80")
    assert status == 403 and "第一版".encode() not in body
    assert get(server, "/doc.html", host=f"localhost:{server.port}")[0] == 200


def test_the_version_changes_when_the_file_is_rewritten(server, folder):
    before = version(server, "doc.html")
    assert before == version(server, "doc.html")
    write_text_atomic(folder / "doc.html", PAGE.replace("第一版", "第二版"))
    after = version(server, "doc.html")
    assert after != before and after == content_version(folder / "doc.html")
    assert version(server, "later.html") is None


def test_a_page_not_written_yet_waits_for_it(server, folder):
    status, _, body = get(server, "/later.html")
    assert status == 404
    assert b"Waiting for later.html" in body and b"version = null" in body
    (folder / "later.html").write_text(PAGE, encoding="utf-8")
    assert get(server, "/later.html")[0] == 200


def test_a_port_in_use_is_a_clean_error(server, folder):
    with pytest.raises(ServeError, match=rf"127.0.0.1:{server.port} .*--port"):
        ReaderServer(folder, port=server.port)


def test_serve_command_prints_the_urls_and_stops_on_sigint(folder):
    main = f"{INTERRUPTIBLE}; from pipeline.cli import main; main()"
    with child_process([sys.executable, "-c", main, "serve", str(folder), "--port", "0"]) as process:
        first = process.stdout.readline()
        assert first.startswith(f"Serving {folder} on http://127.0.0.1:") and first.endswith("(Ctrl-C to stop)\n")
        page_url = process.stdout.readline().strip()
        assert page_url.startswith("http://127.0.0.1:") and page_url.endswith("/doc.html")
        host, _, path = page_url.removeprefix("http://").partition("/")
        connection = http.client.HTTPConnection(host, timeout=10)
        connection.request("GET", "/" + path)
        response = connection.getresponse()
        assert response.status == 200 and b"data-duizhao-reload" in response.read()
        connection.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert out == "Stopped serving.\n" and err == ""


def test_an_open_reader_reloads_itself_and_keeps_its_place(tmp_path, browser):
    """A real reader, served and open in chromium; rewriting it reloads the page."""
    from fakes import FakeEngine
    from pipeline.translate.cache import TranslationCache
    from pipeline.run import run

    source = tmp_path / "doc.txt"
    source.write_text("".join(f"台州第{n}段很长。\n\n" for n in range(1, 120)), encoding="utf-8")
    glossary = tmp_path / "g.tsv"
    out = tmp_path / "out"

    def translate(rendering: str) -> None:
        glossary.write_text(f"zh\ten\n台州\t{rendering}\n", encoding="utf-8")
        with TranslationCache(tmp_path / "c.sqlite3") as cache:
            run(source, out, FakeEngine, cache, glossaries=[glossary])

    translate("Taizhou")
    with ReaderServer(out, port=0) as server:
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        try:
            elsewhere = []
            page.on("request", lambda r: None if r.url.startswith(server.url()) else elsewhere.append(r.url))
            page.goto(server.url("doc.html"))
            page.wait_for_function("document.body.classList.contains('ready')")
            assert "Taizhou City" not in page.content()
            page.evaluate("window.scrollTo(0, 1500)")
            page.wait_for_function("window.scrollY === 1500")
            with page.expect_event("load", timeout=10_000):
                translate("Taizhou City")
            page.wait_for_function("document.body.innerText.includes('Taizhou City')")
            page.wait_for_function("Math.abs(window.scrollY - 1500) < 5", timeout=5_000)
            assert elsewhere == []
        finally:
            page.close()
    assert "data-duizhao-reload" not in (out / "doc.html").read_text(encoding="utf-8")


def test_the_root_is_the_library_page_and_folders_list_their_subfolders(tmp_path):
    """`/` serves the library page a run wrote (its links reach the readers in
    subfolders); a folder without one lists its pages and subfolders."""
    from fakes import FakeEngine
    from pipeline.archive import Job
    from pipeline.run import run_many
    from pipeline.translate.cache import TranslationCache

    out = tmp_path / "out"
    jobs = []
    for relative in ("a.txt", "2024/b.txt"):
        source = tmp_path / "src" / relative
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text("台州的港口很大。\n", encoding="utf-8")
        jobs.append(Job(source, out / Path(relative).parent))
    with TranslationCache(tmp_path / "c.sqlite3") as cache:
        run_many(jobs, FakeEngine, cache, [], library=out)
    with ReaderServer(out, port=0) as server:
        assert server.pages() == [""]
        status, headers, body = get(server, "/")
        assert status == 200 and body.startswith((out / "index.html").read_bytes()[:200])
        assert b'href="2024/b.html"' in body and b"data-duizhao-reload" in body
        assert get(server, "/2024/b.html")[0] == 200
        status, headers, _ = get(server, "/2024")
        assert status == 301 and headers["Location"] == "/2024/"
        status, _, listing = get(server, "/2024/")
        assert status == 200 and b'href="/2024/b.html"' in listing
        (out / "index.html").unlink()
        status, _, listing = get(server, "/")
        assert status == 200 and b'href="/2024/">2024/</a>' in listing and b'href="/a.html"' in listing


def test_a_folder_whose_name_is_not_utf8_is_redirected_to_its_listing(folder):
    """A folder name with bytes that are not UTF-8 (made on another system) is
    redirected with those bytes quoted, as its listing links to it, not refused."""
    import os

    name = os.fsdecode(b"old-\xb5")
    (folder / name).mkdir()
    (folder / name / "a.html").write_text("<p>a</p>", encoding="utf-8")
    with ReaderServer(folder, port=0) as server:
        status, headers, _ = get(server, "/old-%B5")
        assert status == 301 and headers["Location"] == "/old-%B5/"
        status, _, listing = get(server, "/old-%B5/")
        assert status == 200 and b'href="/old-%B5/a.html"' in listing


def test_serve_command_names_the_library_page_first(folder):
    (folder / "index.html").write_text(PAGE, encoding="utf-8")
    main = f"{INTERRUPTIBLE}; from pipeline.cli import main; main()"
    with child_process([sys.executable, "-c", main, "serve", str(folder), "--port", "0"]) as process:
        process.stdout.readline()
        line = process.stdout.readline().rstrip("\n")
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert line.startswith("  http://127.0.0.1:") and line.endswith("/  (the library: every document)")
