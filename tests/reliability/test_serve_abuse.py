"""`duizhao serve` under abuse: traversal, over-long paths, many and slow clients,
live-reload polls on a large page (issue 13). Only 127.0.0.1 is contacted."""

from __future__ import annotations

import http.client
import io
import json
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest

from pipeline.core.atomic import write_text_atomic
from pipeline.serve.server import MAX_THREADS, ReaderServer

survives = pytest.mark.outcome("survives")
clean_error = pytest.mark.outcome("clean-error")
PAGE = "<!DOCTYPE html><html><head><title>t</title></head><body><p>第一版</p></body></html>\n"


@pytest.fixture
def folder(tmp_path) -> Path:
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "doc.html").write_text(PAGE, encoding="utf-8")
    (out / "sub" / "inner.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not yours\n", encoding="utf-8")
    (out / "link.txt").symlink_to(tmp_path / "secret.txt")
    (out / "up").symlink_to(tmp_path)
    return out


@pytest.fixture
def server(folder):
    with ReaderServer(folder, port=0, header_timeout=1.0) as running:
        yield running


def get(server, path: str, timeout: float = 10) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"127.0.0.1:{server.port}")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


TRAVERSALS = {
    "dot-dot": "/../secret.txt",
    "encoded-dot-dot": "/%2e%2e/secret.txt",
    "encoded-slash": "/..%2fsecret.txt",
    "deeper": "/sub/../../secret.txt",
    "backslash": "/..%5csecret.txt",
    "absolute": "//etc/passwd",
    "nul": "/doc.html%00.txt",
    "symlink-file": "/link.txt",
    "symlink-folder": "/up/secret.txt",
    "version-endpoint": "/__duizhao/version?file=../secret.txt",
}


@clean_error
@pytest.mark.parametrize("path", list(TRAVERSALS.values()), ids=list(TRAVERSALS))
def test_nothing_outside_the_folder_is_served(server, path):
    status, body = get(server, path)
    assert status == 404 and b"not yours" not in body and b"root:" not in body


@clean_error
@pytest.mark.parametrize("path", ["/" + "a" * 300 + ".html", "/" + quote("港" * 100) + "/x.html",
                                  "/__duizhao/version?file=" + "b" * 300 + ".html", "/sub/" + "c" * 256],
                         ids=["file", "folder", "version", "in-a-folder"])
def test_an_over_long_path_segment_is_a_404_not_an_empty_reply(server, path):
    status, _ = get(server, path)
    assert status == 404
    assert get(server, "/doc.html")[0] == 200  # and the server goes on


@survives
def test_200_concurrent_requests_are_all_answered(server):
    def one(n):
        path = "/doc.html" if n % 2 else "/__duizhao/version?file=doc.html"
        return get(server, path, timeout=30)[0]

    with ThreadPoolExecutor(200) as pool:
        statuses = list(pool.map(one, range(200)))
    assert statuses == [200] * 200


def listen_queue(server) -> tuple[int, int]:
    """(connections waiting to be accepted, the most that may wait): Linux's TCP_INFO
    of a listening socket carries them in tcpi_unacked and tcpi_sacked."""
    info = server._httpd.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return struct.unpack_from("II", info, 24)


@survives
def test_the_listen_backlog_takes_a_burst_of_connections(server):
    """Every thread busy with a slow client, 200 more connections wait in the
    kernel's queue and all get an answer once the threads are free."""
    assert listen_queue(server)[1] >= 200
    busy = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(MAX_THREADS)]
    for sock in busy:
        sock.sendall(b"GET /doc.html HTTP/1.0\r\n")  # headers never finished
    sockets = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(200)]
    waiting = listen_queue(server)[0]
    for sock in busy:
        sock.close()
    try:
        for sock in sockets:
            sock.sendall(f"GET /doc.html HTTP/1.0\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        answers = [sock.makefile("rb").readline() for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    assert all(answer.startswith(b"HTTP/1.0 200") for answer in answers), {a[:20] for a in answers}
    assert waiting >= 150  # queued by the kernel, not refused (a few may be accepted meanwhile)


@survives
def test_slow_clients_are_cut_off_and_hold_a_bounded_number_of_threads(server):
    """300 clients trickle partial headers; the threads stay bounded, a normal
    request is still answered, and each slow client is dropped at the header deadline."""
    before = threading.active_count()
    slow = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(300)]
    try:
        for sock in slow:
            sock.sendall(b"GET /doc.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        peak = threading.active_count()
        trickled = 0
        deadline = time.monotonic() + 30
        closed = set()
        while len(closed) < len(slow) and time.monotonic() < deadline:
            for index, sock in enumerate(slow):  # a byte now and then: never idle, never done
                if index in closed:
                    continue
                try:
                    sock.sendall(b"a")
                    trickled += 1
                except OSError:
                    closed.add(index)
            peak = max(peak, threading.active_count())
            time.sleep(0.2)
        assert get(server, "/doc.html", timeout=30)[0] == 200
    finally:
        for sock in slow:
            sock.close()
    assert trickled > 300
    assert len(closed) == len(slow)  # every one was cut off by the server
    assert peak - before <= MAX_THREADS + 2


@survives
def test_version_polls_read_nothing_and_change_only_with_a_write(server, folder, monkeypatch):
    big = folder / "big.html"
    big.write_text("<html><body>" + "台州港口很大。" * 800_000 + "</body></html>", encoding="utf-8")
    reads = []
    real_open = open

    def counting_open(file, *args, **kwargs):
        if str(file).endswith("big.html"):
            reads.append(file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)  # what pathlib reads with
    versions = {json.loads(get(server, "/__duizhao/version?file=big.html")[1])["version"] for _ in range(50)}
    assert reads == [] and len(versions) == 1
    write_text_atomic(big, "<html><body>新版</body></html>")
    after = json.loads(get(server, "/__duizhao/version?file=big.html")[1])["version"]
    assert after not in versions
    status, body = get(server, "/big.html")
    assert status == 200 and f'version = "{after}"'.encode() in body
