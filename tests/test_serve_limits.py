"""Issue 20: `publisher serve` cannot be starved or made noisy. Idle and slow clients are
dropped, the connections are bounded (past the bound: 503 at once), a client hanging up
prints nothing, request lines are escaped in the log, and a file is gzipped once per version.

The limits are made short here; what is checked is that a connection ends, never how fast.
"""

from __future__ import annotations

import gzip
import http.client
import logging
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from publisher.serve import files, make_server
from publisher.serve.server import Limits, Server

QUICK = Limits(connections=3, idle=0.5, request=1.5, response=5.0)


@contextmanager
def _server(out: Path, limits: Limits = QUICK) -> Iterator[Server]:
    server = make_server(out, "127.0.0.1", 0, limits=limits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("<!doctype html><p>home</p>" * 50, encoding="utf-8")
    (out / "feed.atom").write_text("<feed>" + "<entry/>" * 500 + "</feed>", encoding="utf-8")
    (out / "big.txt").write_bytes(b"x" * (4 * 1024 * 1024))
    return out


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(server.server_address[:2], timeout=10)


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server ends the connection (read until EOF, bounded by the timeout)."""
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def _get(server: Server, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_an_idle_connection_is_dropped(out: Path) -> None:
    with _server(out) as server, _connect(server) as idle:
        assert _closed_by_server(idle)


def test_a_request_trickling_in_is_dropped(out: Path) -> None:
    """Each byte comes well within the idle timeout; the whole request never does."""
    with _server(out) as server, _connect(server) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\n")
        dropped = False
        for _ in range(100):  # 100 x 0.1 s would be far past the 1.5 s allowed
            try:
                slow.sendall(b"X")
            except OSError:
                dropped = True
                break
            slow.settimeout(0.1)
            try:
                if slow.recv(1) == b"":
                    dropped = True
                    break
            except TimeoutError:
                continue
            except OSError:
                dropped = True
                break
        assert dropped


def test_connections_are_bounded_and_the_rest_told_to_come_back(
    out: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limits = Limits(connections=3, idle=30, request=30, response=30)
    with _server(out, limits) as server:
        held = [_connect(server) for _ in range(3)]
        try:
            for sock in held:  # each one really taken by a handler thread
                sock.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
                assert sock.recv(12) == b"HTTP/1.1 200"
            with caplog.at_level(logging.WARNING, logger="publisher.serve"):
                status, _ = _get(server, "/index.html")
            assert status == 503
            assert "3 connections open: answering 503" in caplog.text
        finally:
            for sock in held:
                sock.close()
        for _ in range(100):  # the closed ones are freed; bounded wait for the threads
            status, _ = _get(server, "/index.html")
            if status == 200:
                break
            threading.Event().wait(0.05)
        assert status == 200


def test_a_client_hanging_up_prints_nothing(
    out: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="publisher.serve"), _server(out) as server:
        for _ in range(3):
            sock = _connect(server)
            # Closed with unread data: the server's write of 4 MB meets a reset.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(b"GET /big.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.recv(100)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        assert _get(server, "/index.html")[0] == 200  # still serving
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Traceback" not in caplog.text


def test_request_lines_are_escaped_in_the_log(out: Path, caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.INFO, logger="publisher.serve"),
        _server(out) as server,
        _connect(server) as sock,
    ):
        sock.sendall(b"GET /\x1b[2J\x1b[31mowned HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(12) == b"HTTP/1.1 404"
    lines = [r.getMessage() for r in caplog.records]
    assert any("\\x1b[2J\\x1b[31mowned" in line for line in lines)
    assert not any("\x1b" in line for line in lines)


def test_a_file_is_gzipped_once_per_version(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compressed: list[int] = []
    real = gzip.compress

    def counting(data: bytes, *args: object, **kwargs: object) -> bytes:
        compressed.append(len(data))
        return real(data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files.gzip, "compress", counting)
    accept = {"Accept-Encoding": "gzip"}
    with _server(out) as server:
        bodies = {_get(server, "/feed.atom", accept)[1] for _ in range(5)}
        assert len(compressed) == 1 and len(bodies) == 1
        (out / ".feed.atom.tmp").write_text("<feed><entry/></feed>", encoding="utf-8")
        (out / ".feed.atom.tmp").replace(out / "feed.atom")  # as a build replaces it
        status, body = _get(server, "/feed.atom", accept)
        assert status == 200 and gzip.decompress(body) == b"<feed><entry/></feed>"
        assert len(compressed) == 2
        assert _get(server, "/feed.atom")[1] == b"<feed><entry/></feed>"  # plain: no gzip
        assert len(compressed) == 2
