"""WebSub: hub links in every feed and in the server's Link headers, and after a build that
changed feeds, one PubSubHubbub 0.4 publish ping per changed feed per hub, sent to a hub the
test runs on 127.0.0.1 (and one on 127.0.0.2: another host); failures retried with back-off
by later builds, never holding the build."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import feedparser
import pytest
from lxml import etree
from reader_helpers import Recorder, settings_for, write_articles
from smtp_helpers import smtp_server
from test_feeds_helpers import ATOM, make_settings, newest_first

from publisher.build import build
from publisher.config import FeedSettings, Settings, load_settings
from publisher.mailing import sending
from publisher.mailing.subscribers import add_subscribers
from publisher.render.feeds import render_feeds
from publisher.serve import Freshness, make_server
from publisher.store import Store
from publisher.websub import BACKOFF, PING_META, changed_feeds, send_pings

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class Hub:
    """A WebSub hub on loopback that records each publish ping; ``refuse`` pings are
    answered 503 first."""

    def __init__(self, host: str, refuse: int = 0) -> None:
        self.pings: list[dict[str, list[str]]] = []
        self.refuse = refuse
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                kind = self.headers.get("Content-Type")
                if hub.refuse:
                    hub.refuse -= 1
                    self.send_response(503)
                else:
                    assert kind == "application/x-www-form-urlencoded"
                    hub.pings.append(form)
                    self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/hub"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def urls(self) -> list[str]:
        """The feed URLs pinged, in order, each checked for the 0.4 publish form."""
        for form in self.pings:
            assert form["hub.mode"] == ["publish"], form
        return [form["hub.url"][0] for form in self.pings]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def hubs() -> Iterator[tuple[Hub, Hub]]:
    first, second = Hub("127.0.0.1"), Hub("127.0.0.2", refuse=2)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def site_settings(tmp_path: Path, hubs: tuple[Hub, ...]) -> Settings:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    config = tmp_path / "publisher.toml"
    listed = ", ".join(json.dumps(hub.url) for hub in hubs)
    config.write_text(
        f'[site]\nbase_url = "https://news.example.org/"\n[feed]\nhubs = [{listed}]\n'
        f'[paths]\ninput = ["inbox"]\nout = "out"\nstate = "state.db"\n',
        encoding="utf-8",
    )
    settings = load_settings(config, {"jobs": 1})
    return settings


def add(settings: Settings, name: str, title: str) -> None:
    text = f"{title}\n\n" + f"{title} was reported on Tuesday by the council. " * 6 + "\n"
    (settings.paths.input[0] / f"{name}.txt").write_text(text, encoding="utf-8")


def test_feeds_name_their_hubs() -> None:
    settings = make_settings()
    settings = Settings(
        site=settings.site,
        feed=FeedSettings(hubs=("https://hub.example.org/", "https://h2.example/")),
    )
    out = render_feeds(newest_first(2), settings)
    atom = etree.fromstring(out["feed.atom"])
    hubs = [link.get("href") for link in atom.findall(f"{ATOM}link[@rel='hub']")]
    assert hubs == ["https://hub.example.org/", "https://h2.example/"]
    rss = etree.fromstring(out["feed.rss"])
    rss_hubs = [link.get("href") for link in rss.findall(f"channel/{ATOM}link[@rel='hub']")]
    assert rss_hubs == hubs
    feed = json.loads(out["feed.json"])
    assert feed["hubs"] == [{"type": "WebSub", "url": hub} for hub in hubs]
    # Readers still find the feed itself as rel=self, and the hubs as rel=hub.
    parsed = feedparser.parse(out["feed.atom"])
    assert not parsed.bozo
    assert {link.rel for link in parsed.feed.links} >= {"self", "hub", "alternate"}


def test_a_build_pings_each_hub_once_per_changed_feed(
    tmp_path: Path, workdir: Path, hubs: tuple[Hub, Hub]
) -> None:
    settings = site_settings(tmp_path, hubs)
    add(settings, "a", "Harbour cranes return")
    report = build(settings, now=T0)
    feeds = changed_feeds(report.written)
    assert {"feed.atom", "feed.rss", "feed.json", "digests.atom"} <= set(feeds)
    assert not any(name.startswith("feeds/archive/") for name in feeds)
    first, second = hubs
    expected = sorted(settings.url(name) for name in feeds)
    assert sorted(first.urls()) == expected
    # The second hub refused twice: its pings wait in the state, none is sent twice.
    assert second.urls() == [] or len(second.urls()) == len(set(second.urls()))
    with Store.open(settings.paths.state) as store:
        queue = json.loads(store.meta(PING_META) or "{}")
    waiting = {tuple(json.loads(key)) for key in queue}
    assert {hub for hub, _ in waiting} <= {second.url}

    # A no-op build pings nobody (and the second hub's wait has not run out).
    before = len(first.pings)
    build(settings, now=T0 + timedelta(seconds=30))
    assert len(first.pings) == before

    # Once the back-off has passed, the waiting pings are sent, each feed once.
    report = send_pings(settings.paths.state, T0 + BACKOFF[0] + BACKOFF[1] + timedelta(1))
    report = send_pings(settings.paths.state, T0 + timedelta(days=2)) if report.failed else report
    assert sorted(second.urls()) == expected
    with Store.open(settings.paths.state) as store:
        assert json.loads(store.meta(PING_META) or "{}") == {}

    # A new article changes the site feeds: they are pinged again, the others are not.
    add(settings, "b", "Library opening hours extended")
    report = build(settings, now=T0 + timedelta(days=3))
    pinged = first.urls()[before:]
    assert sorted(pinged) == sorted(settings.url(name) for name in changed_feeds(report.written))
    assert settings.url("feed.atom") in pinged


def test_a_hub_that_is_down_holds_nothing(tmp_path: Path, workdir: Path) -> None:
    # Nothing listens on this port: the ping fails at once and waits for a later build.
    hub = Hub("127.0.0.3")
    hub.close()
    settings = site_settings(tmp_path, (hub,))
    add(settings, "a", "Harbour cranes return")
    report = build(settings, now=T0)
    assert (settings.paths.out / "feed.atom").is_file() and report.new == 1
    with Store.open(settings.paths.state) as store:
        queue = json.loads(store.meta(PING_META))
    assert queue and all(v["attempts"] == 1 for v in queue.values())
    # Given up after the last wait, with a warning; the queue empties.
    when = T0
    for wait in BACKOFF:
        when += wait + timedelta(seconds=1)
        send_pings(settings.paths.state, when)
    with Store.open(settings.paths.state) as store:
        assert json.loads(store.meta(PING_META)) == {}


def test_a_send_that_freezes_an_issue_pings_the_digests_feed(
    tmp_path: Path, hubs: tuple[Hub, Hub]
) -> None:
    hub = hubs[0]
    recorder = Recorder()
    with smtp_server(recorder) as port:
        settings = settings_for(tmp_path, tmp_path / "in", port)
        settings = replace(settings, feed=replace(settings.feed, hubs=(hub.url,)))
        write_articles(tmp_path / "in" / "harbour-times", "harbour", 2)
        build(settings, now=T0)
        before = len(hub.pings)
        with Store.open(settings.paths.state) as store:
            add_subscribers(store, ["ann@example.com"], T0)
        # A dry run freezes and writes nothing: nothing to announce.
        sending.send(settings, now=lambda: T0, dry_run=True, sleep=lambda _: None)
        assert len(hub.pings) == before
        # The send rewrites digests.atom with the new issue: the hub hears of it once.
        run = sending.send(settings, now=lambda: T0, sleep=lambda _: None)
        assert run.reports and recorder.received
        assert hub.urls()[before:] == [settings.url("digests.atom")]
        # A send with no new issue rewrites nothing and pings nobody.
        sending.send(settings, now=lambda: T0 + timedelta(minutes=5), sleep=lambda _: None)
        assert len(hub.pings) == before + 1


def test_serve_names_the_hubs_in_link_headers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name, data in render_feeds(newest_first(2), make_settings()).items():
        (out / name).write_bytes(data)
    (out / "index.html").write_bytes(b"<!doctype html><title>x</title>")
    freshness = Freshness(
        max_age=900, hubs=("https://hub.example.org/",), base_url="https://news.example.org/"
    )
    server = make_server(out, "127.0.0.1", 0, freshness=freshness)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]

    def head(path: str) -> dict[str, str]:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            conn.request("GET", path, headers={"Accept": "application/atom+xml"})
            response = conn.getresponse()
            response.read()
            return {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()

    try:
        for name in ("feed.atom", "feed.rss", "feed.json"):
            headers = head(f"/{name}")
            assert headers["link"] == (
                '<https://hub.example.org/>; rel="hub", '
                f'<https://news.example.org/{name}>; rel="self"'
            )
            assert headers["cache-control"] == "max-age=900"
        page = head("/index.html")
        assert "link" not in page and page["cache-control"] == "max-age=900"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
