"""The preview server, through real HTTP requests on an ephemeral port."""

from __future__ import annotations

import gzip
import http.client
import inspect
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from publisher.cli import main
from publisher.errors import PublisherError
from publisher.serve import make_server, serve

FILES = {
    "feed.atom": b"<feed/>",
    "feed.rss": b"<rss/>",
    "feed.json": b"{}",
    "feed.xsl": b"<xsl:stylesheet/>",
    "index.html": b"<!doctype html><p>home</p>" * 20,
    "style.css": b"body{}",
    "articles/a.html": b"<p>a</p>",
    "data.json": b"[]",
    ".feed.atom.tmp": b"half-written",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Path]]:
    # One server for the module: shutting one down waits for its poll interval.
    tmp_path = tmp_path_factory.mktemp("serve")
    out = tmp_path / "out"
    for name, data in FILES.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    (tmp_path / "secret.txt").write_bytes(b"secret")
    (out / "escape.txt").symlink_to(tmp_path / "secret.txt")
    (out / "outside").symlink_to(tmp_path)
    (out / "inside.css").symlink_to(out / "style.css")
    server = make_server(out, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield host, port, out
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def request(
    site: tuple[str, int, Path],
    path: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> tuple[int, dict[str, str], bytes]:
    host, port, _ = site
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        # skip_accept_encoding: http.client adds "Accept-Encoding: identity" otherwise.
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/feed.atom", "application/atom+xml"),
        ("/feed.rss", "application/rss+xml"),
        ("/feed.json", "application/feed+json"),
        ("/feed.xsl", "text/xsl; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/articles/a.html", "text/html; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/data.json", "application/json"),
        ("/", "text/html; charset=utf-8"),
    ],
)
def test_media_types(site, path: str, media_type: str) -> None:
    status, headers, body = request(site, path)
    assert status == 200
    assert headers["content-type"] == media_type
    assert headers["x-content-type-options"] == "nosniff"
    name = "index.html" if path == "/" else path.lstrip("/")
    assert body == FILES[name]


@pytest.mark.parametrize("name", ["feed.atom", "feed.rss"])
def test_browsers_get_feeds_as_xml_for_the_preview(site, name: str) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, body = request(site, f"/{name}", {"Accept": browser})
    assert (status, body) == (200, FILES[name])
    # Chromium runs feed.xsl only on XML types; it shows atom+xml/rss+xml as plain text.
    assert headers["content-type"] == "application/xml; charset=utf-8"
    assert headers["vary"] == "Accept, Accept-Encoding"
    reader = "application/atom+xml, application/rss+xml;q=0.9, */*;q=0.1"
    _, headers, _ = request(site, f"/{name}", {"Accept": reader})
    assert headers["content-type"] == f"application/{name.split('.')[1]}+xml"


def test_etag_answers_304(site) -> None:
    status, headers, _ = request(site, "/feed.atom")
    etag = headers["etag"]
    status, headers, body = request(site, "/feed.atom", {"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert headers["etag"] == etag
    status, _, _ = request(site, "/feed.atom", {"If-None-Match": 'W/"other", ' + etag})
    assert status == 304
    status, _, body = request(site, "/feed.atom", {"If-None-Match": '"other"'})
    assert (status, body) == (200, FILES["feed.atom"])


def test_etag_follows_content(site) -> None:
    (site[2] / "changing.rss").write_bytes(b"<rss>old</rss>")
    _, first, _ = request(site, "/changing.rss")
    (site[2] / "changing.rss").write_bytes(b"<rss>new</rss>")
    status, second, body = request(site, "/changing.rss", {"If-None-Match": first["etag"]})
    assert (status, body) == (200, b"<rss>new</rss>")
    assert second["etag"] != first["etag"]


def test_last_modified_answers_304(site) -> None:
    _, headers, _ = request(site, "/feed.json")
    last_modified = headers["last-modified"]
    assert last_modified.endswith(" GMT")
    status, _, body = request(site, "/feed.json", {"If-Modified-Since": last_modified})
    assert (status, body) == (304, b"")
    status, _, _ = request(
        site, "/feed.json", {"If-Modified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"}
    )
    assert status == 200
    # If-None-Match decides when both are sent.
    status, _, _ = request(
        site, "/feed.json", {"If-Modified-Since": last_modified, "If-None-Match": '"x"'}
    )
    assert status == 200


def test_gzip_when_accepted(site) -> None:
    status, headers, body = request(site, "/index.html", {"Accept-Encoding": "br, gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == FILES["index.html"]
    assert int(headers["content-length"]) == len(body)
    _, plain, body = request(site, "/index.html")
    assert "content-encoding" not in plain and plain["vary"] == "Accept-Encoding"
    assert body == FILES["index.html"]
    assert plain["etag"] != headers["etag"]
    _, refused, _ = request(site, "/index.html", {"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused
    status, _, _ = request(
        site, "/index.html", {"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]}
    )
    assert status == 304


def test_head(site) -> None:
    status, headers, body = request(site, "/feed.atom", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["content-length"] == str(len(FILES["feed.atom"]))


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/articles/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/articles%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/escape.txt",
        "/outside/secret.txt",
        "/outside/",
        "/.feed.atom.tmp",
        "/feed.atom%00.html",
        "/%ff",
        "/missing.html",
    ],
)
def test_nothing_outside_out_is_reachable(site, path: str) -> None:
    status, _, body = request(site, path)
    assert status == 404
    assert b"secret" not in body


def test_symlink_inside_out_is_served(site) -> None:
    status, _, body = request(site, "/inside.css")
    assert (status, body) == (200, FILES["style.css"])


def test_directory_without_slash_redirects(site) -> None:
    (site[2] / "digests").mkdir()
    (site[2] / "digests" / "index.html").write_bytes(b"<p>d</p>")
    status, headers, _ = request(site, "/digests")
    assert (status, headers["location"]) == (301, "/digests/")
    assert request(site, "/digests/")[0] == 200
    assert request(site, "/articles/")[0] == 404  # no index, and no directory listing


def test_other_methods_refused(site) -> None:
    status, headers, _ = request(site, "/feed.atom", method="POST")
    assert (status, headers["allow"]) == (405, "GET, HEAD")
    assert request(site, "/feed.atom", method="PUT")[0] == 501


def test_missing_out_dir(tmp_path: Path) -> None:
    with pytest.raises(PublisherError, match="not found"):
        make_server(tmp_path / "nope", "127.0.0.1", 0)


def test_binds_loopback_by_default() -> None:
    assert inspect.signature(serve).parameters["bind"].default == "127.0.0.1"
    assert inspect.signature(serve).parameters["port"].default == 8000


def test_a_port_in_use_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PublisherError, match=f"cannot listen on 127.0.0.1:{port}") as info:
            make_server(tmp_path, "127.0.0.1", port)
    assert "--port" in str(info.value)


def test_an_unknown_bind_address_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(PublisherError, match=r"cannot listen on no-such-host\.invalid") as info:
        make_server(tmp_path, "no-such-host.invalid", 0)
    assert "--bind" in str(info.value)


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["serve", "--port", port])
    assert usage.value.code == 2
    assert "--port" in capsys.readouterr().err


@pytest.mark.parametrize("quiet", [False, True])
def test_quiet_serve_prints_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], quiet: bool
) -> None:
    def interrupted(self: object, poll_interval: float = 0.5) -> None:
        raise KeyboardInterrupt  # as Ctrl-C would, at once

    monkeypatch.setattr("publisher.serve.server.ThreadingHTTPServer.serve_forever", interrupted)
    # Not served at localhost, so no note about the port either.
    (tmp_path / "site.toml").write_text('[site]\nbase_url = "https://news.example.org/"\n')
    argv = ["serve", "--config", str(tmp_path / "site.toml"), "--out", str(tmp_path)]
    assert main([*argv, "--port", "0", *(["-q"] if quiet else [])]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    if quiet:
        assert captured.err == ""
    else:
        assert captured.err.startswith(f"Serving {tmp_path} at http://127.0.0.1:")
