"""The review workspace's server (pipeline/serve/review.py) over loopback HTTP: the
token, Host, Origin and Sec-Fetch-Site checks, bounded bodies and rate, the log
without the token, the live page and library, and `duizhao review` itself."""

from __future__ import annotations

import http.client
import json
import signal
import sys
import time

import pytest
from conftest import INTERRUPTIBLE, child_process
from test_workspace import Session

from pipeline.serve.review import COOKIE, TOKEN_HEADER, RateLimit, ReviewServer, redact


@pytest.fixture
def served(tmp_path):
    session = Session(tmp_path)
    log: list[str] = []
    server = ReviewServer(session.workspace, 0, log=log.append).start()
    server.log_lines = log
    server.session = session
    yield server
    server.close()
    session.close()


def request(server, method: str, path: str, body=None, headers=None, host=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    sent = {"Host": host or f"127.0.0.1:{server.port}", **(headers or {})}
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), payload


def writer(server, **extra) -> dict:
    return {TOKEN_HEADER: server.token, "Origin": f"http://127.0.0.1:{server.port}", **extra}


def edit_body(server) -> dict:
    state = server.session.state()
    sid, value = next(iter(state["sentences"].items()))
    return {"file": "taizhou.html", "sentence": sid, "base": value["english"], "english": "<b>Changed</b> & saved."}


def test_the_token_in_the_url_becomes_a_cookie_and_every_request_needs_one(served):
    status, _, body = request(served, "GET", "/taizhou.html")
    assert status == 403 and b"open the URL duizhao review printed" in body
    status, headers, _ = request(served, "GET", f"/taizhou.html?token={served.token}")
    assert status == 303 and headers["Location"] == "/taizhou.html"  # the token leaves the address bar
    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}={served.token};") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    status, headers, page = request(served, "GET", "/taizhou.html", headers={"Cookie": f"{COOKIE}={served.token}"})
    assert status == 200 and b'id="reader-live"' in page and b".live-count" in page
    assert page.index(b'id="reader-live"') < page.index(b'id="reader-data"')  # read before the page's script runs
    assert headers["Referrer-Policy"] == "no-referrer"
    on_disk = (served.session.folder / "out" / "taizhou.html").read_bytes()  # the file stays the static reader
    assert b'id="reader-live"' not in on_disk and served.token.encode() not in on_disk
    status, _, _ = request(served, "GET", "/taizhou.html", headers={"Cookie": f"{COOKIE}=wrong"})
    assert status == 403
    status, _, library = request(served, "GET", "/", headers={"Cookie": f"{COOKIE}={served.token}"})
    assert status == 200 and b'id="open-errors-only"' in library and b"Consistency across the documents" in library


def test_another_host_is_refused(served):
    status, _, _ = request(served, "GET", f"/taizhou.html?token={served.token}", host="evil.example:80")
    assert status == 403


@pytest.mark.parametrize("headers", [
    {},  # no token
    {"Cookie": "duizhao_token=TOKEN"},  # the cookie alone is not enough for a write
    {TOKEN_HEADER: "TOKEN", "Origin": "http://evil.example"},
    {TOKEN_HEADER: "TOKEN", "Origin": "null"},
    {TOKEN_HEADER: "TOKEN", "Sec-Fetch-Site": "cross-site"},
    {TOKEN_HEADER: "not-the-token"},
], ids=["no-token", "cookie-only", "other-origin", "null-origin", "cross-site", "wrong-token"])
def test_a_write_without_the_token_or_from_elsewhere_is_refused_and_changes_nothing(served, headers):
    sent = {k: v.replace("TOKEN", served.token) for k, v in headers.items()}
    status, _, body = request(served, "POST", "/__duizhao/api/edit", edit_body(served), sent)
    assert status == 403 and "error" in json.loads(body)
    assert not served.session.edits.exists()


def test_bodies_are_bounded_and_must_be_json(served):
    status, _, _ = request(served, "POST", "/__duizhao/api/edit", b"x" * (70 * 1024), writer(served))
    assert status == 413
    status, _, body = request(served, "POST", "/__duizhao/api/edit", b"{not json", writer(served))
    assert status == 400 and json.loads(body)["error"] == "the body is not JSON (UTF-8)"
    status, _, _ = request(served, "POST", "/__duizhao/api/nothing", {"file": "taizhou.html"}, writer(served))
    assert status == 404
    assert not served.session.edits.exists()


def test_requests_over_the_rate_are_refused_with_retry_after(served):
    served.rate = RateLimit(rate=0.0001, burst=3)
    statuses = [request(served, "GET", "/__duizhao/api/revision?file=taizhou.html",
                        headers={TOKEN_HEADER: served.token})[0] for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    _, headers, _ = request(served, "GET", "/", headers={TOKEN_HEADER: served.token})
    assert headers["Retry-After"] == "1"


def test_a_write_is_answered_with_the_new_state_and_a_conflict_with_409(served):
    body = edit_body(served)
    status, _, answer = request(served, "POST", "/__duizhao/api/edit", body, writer(served))
    state = json.loads(answer)
    assert status == 200 and state["sentences"][body["sentence"]]["english"] == "<b>Changed</b> & saved."
    status, _, answer = request(served, "POST", "/__duizhao/api/edit", {**body, "english": "Again."}, writer(served))
    assert status == 409 and "changed meanwhile" in json.loads(answer)["error"]
    status, _, answer = request(served, "POST", "/__duizhao/api/term", {"zh": "台州", "en": "Taizhou"}, writer(served))
    assert status == 400 and "already there" in json.loads(answer)["error"]
    status, _, answer = request(served, "GET", "/__duizhao/api/doc?file=nothing.html", headers={TOKEN_HEADER: served.token})
    assert status == 404


def test_every_request_is_logged_without_the_token(served):
    request(served, "GET", f"/taizhou.html?token={served.token}")
    request(served, "POST", "/__duizhao/api/edit", edit_body(served), writer(served))
    request(served, "GET", f"/__duizhao/api/doc?file=taizhou.html&token={served.token}")
    lines = served.log_lines
    deadline = time.monotonic() + 10
    while len(lines) < 3 and time.monotonic() < deadline:  # a request is logged once it is answered
        time.sleep(0.01)
    assert len(lines) == 3 and not any(served.token in line for line in lines)
    assert lines[0].startswith('127.0.0.1 "GET /taizhou.html?token=…" 303 ')
    assert '"POST /__duizhao/api/edit" 200' in lines[1]
    assert redact("/x?a=1&token=abc&b=2") == "/x?a=1&token=…&b=2"


def test_duizhao_review_prints_the_url_serves_it_and_stops_on_ctrl_c(tmp_path, installed):
    session_folder = tmp_path / "project"
    session_folder.mkdir()
    source = session_folder / "doc.txt"
    source.write_text("台州的港口很大。\n\n今年很好。\n", encoding="utf-8")
    command = [sys.executable, "-c", INTERRUPTIBLE + "\nfrom pipeline.cli import main; main()", "review", str(source),
               "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "c.sqlite3"), "--no-open", "--offline"]
    with child_process(command, cwd=session_folder) as process:
        line = process.stdout.readline()
        assert line.startswith("Review workspace: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip()
        host, _, rest = url.removeprefix("http://").partition("/")
        port = int(host.split(":")[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/" + rest)
        response = connection.getresponse()
        response.read()
        assert response.status == 303 and COOKIE in response.getheader("Set-Cookie")
        token = rest.split("token=")[1]
        connection.request("GET", "/doc.html", headers={"Cookie": f"{COOKIE}={token}"})
        response = connection.getresponse()
        assert response.status == 200 and b'id="reader-live"' in response.read()
        connection.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert "Stopped reviewing." in out
        assert token not in err  # the request log never shows it
        assert '"GET /doc.html" 200' in err
    assert (tmp_path / "out" / "doc.html").exists()
