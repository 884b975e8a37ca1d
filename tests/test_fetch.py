"""The fetcher against a real web: HTTP servers on loopback hosts 127.0.0.2-5 (and 127.0.0.9,
where nothing listens), asserting on the servers' own request logs: what was requested, in
which order, how far apart, with which headers, and what never was."""

from __future__ import annotations

import gzip
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import brotli
import pytest
from cli_helpers import subprocess_env
from web_helpers import (
    ATOM,
    HTML,
    RSS,
    TEXT,
    XML,
    Answer,
    Item,
    Logged,
    Web,
    article_page,
    atom,
    rss,
    serving,
    sitemap,
)

from publisher.config import Settings, load_settings
from publisher.fetch import fetch, source_status
from publisher.store import Store
from publisher.store.fetch import blob_root

A, B, C, D = "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"
DOWN = "127.0.0.9"  # nothing listens there
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
INTERVAL = 0.05
# Arrival times are taken by the server, spacing by the client: a little slack for the
# clocks' resolution.
SLACK = 0.005


@pytest.fixture
def web() -> Iterator[Web]:
    with serving([A, B, C, D]) as fixture:
        yield fixture


def configure(
    tmp_path: Path, sources: str, *, interval: str = "50ms", extra: str = "", private: str = "true"
) -> Settings:
    config = tmp_path / "publisher.toml"
    config.write_text(
        f"""
[site]
base_url = "https://news.example.org/"

[paths]
out = "out"
state = "state/state.db"

[fetch]
host_interval = "{interval}"
timeout = "5s"
allow_private = {private}
{extra}

{sources}
""",
        encoding="utf-8",
    )
    return load_settings(config)


def feed(url: str, *, name: str = "", full_text: str = "auto", every: str = "0s") -> str:
    named = f'name = "{name}"\n' if name else ""
    return f'[[sources]]\nfeed = "{url}"\n{named}every = "{every}"\nfull_text = "{full_text}"\n'


def teasers(web: Web, host: str, count: int, *, start: int = 1, path: str = "/news") -> list[Item]:
    """``count`` entries with a one-line teaser each, their pages served by ``host``."""
    items = []
    for i in range(start, start + count):
        url = web.route(
            host, f"{path}/{i}.html", Answer(200, article_page(f"Page {i}", i).encode(), HTML)
        )
        items.append(
            Item(f"Story {i}", url, f"urn:story:{i}", NOW - timedelta(hours=i), "<p>Teaser.</p>")
        )
    return items


def gaps(web: Web, host: str) -> list[float]:
    times = [r.at for r in web.requests(host)]
    return [b - a for a, b in itertools.pairwise(times)]


def ready(settings: Settings) -> dict[str, bool]:
    with Store.open(settings.paths.state) as store:
        rows = store.db.execute("SELECT key, ready FROM web_documents").fetchall()
    return {key: bool(flag) for key, flag in rows}


def state_of(settings: Settings) -> dict[str, tuple[str, str | None]]:
    return {row.url: (row.state, row.error) for row in source_status(settings)}


# -- robots.txt ------------------------------------------------------------------------------


def test_robots_txt_first_once_per_host_with_its_crawl_delay_and_disallows(
    web: Web, tmp_path: Path
) -> None:
    web.route(
        A,
        "/robots.txt",
        Answer(200, b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0.3\n", TEXT),
    )
    items = teasers(web, A, 2) + teasers(web, B, 2, start=3)
    items += teasers(web, A, 1, start=5, path="/private")
    web.route(A, "/feed.xml", Answer(200, rss(items), RSS))
    settings = configure(tmp_path, feed(web.url(A, "/feed.xml")))
    report = fetch(settings, now=NOW)
    a_paths = web.paths(A)
    assert a_paths[:2] == ["/robots.txt", "/feed.xml"]
    assert sorted(a_paths[2:]) == ["/news/1.html", "/news/2.html"]
    assert "/private/5.html" not in a_paths  # disallowed: never requested
    assert web.paths(B)[0] == "/robots.txt"  # B has none (404): everything allowed
    assert sorted(web.paths(B)[1:]) == ["/news/3.html", "/news/4.html"]
    assert all(gap >= 0.3 - SLACK for gap in gaps(web, A))  # Crawl-delay raises the interval
    assert all(gap >= INTERVAL - SLACK for gap in gaps(web, B))
    assert (web.url(A, "/private/5.html"), "disallowed by the site's robots.txt") in report.problems
    assert report.new == 5  # the disallowed entry keeps its feed text


def test_robots_txt_is_kept_for_a_day(web: Web, tmp_path: Path) -> None:
    web.route(A, "/robots.txt", Answer(200, b"User-agent: *\nAllow: /\n", TEXT))
    web.route(A, "/feed.xml", Answer(200, rss([]), RSS))
    settings = configure(tmp_path, feed(web.url(A, "/feed.xml")))
    fetch(settings, now=NOW)
    fetch(settings, now=NOW + timedelta(hours=20))
    assert web.paths(A) == ["/robots.txt", "/feed.xml", "/feed.xml"]
    fetch(settings, now=NOW + timedelta(hours=25))
    assert web.paths(A)[3:] == ["/robots.txt", "/feed.xml"]


def test_a_robots_txt_server_error_stops_everything_until_it_answers(
    web: Web, tmp_path: Path
) -> None:
    answers = iter([Answer(500, b"oops", TEXT), Answer(200, b"User-agent: *\n", TEXT)])
    web.route(A, "/robots.txt", lambda _: next(answers))
    web.route(A, "/feed.xml", Answer(200, rss(teasers(web, A, 1)), RSS))
    settings = configure(tmp_path, feed(web.url(A, "/feed.xml")))
    report = fetch(settings, now=NOW)
    assert web.paths(A) == ["/robots.txt"]
    (change,) = report.changes
    assert change.state == "failing" and "robots.txt cannot be read (HTTP 500" in change.detail
    # Not kept: the next run asks again, and goes on once it answers.
    report = fetch(settings, now=NOW + timedelta(days=1))
    assert web.paths(A) == ["/robots.txt", "/robots.txt", "/feed.xml", "/news/1.html"]
    assert [c.state for c in report.changes] == ["ok"]


# -- politeness ------------------------------------------------------------------------------


def test_one_request_at_a_time_per_host_different_hosts_at_once(web: Web, tmp_path: Path) -> None:
    busy: dict[str, int] = {}
    most = {"host": 0, "all": 0}
    lock = threading.Lock()

    def slow(page: bytes) -> object:
        def answer(request: Logged) -> Answer:
            with lock:
                busy[request.host] = busy.get(request.host, 0) + 1
                most["host"] = max(most["host"], busy[request.host])
                most["all"] = max(most["all"], sum(busy.values()))
            time.sleep(0.2)
            with lock:
                busy[request.host] -= 1
            return Answer(200, page, HTML)

        return answer

    items = []
    for host, first in ((A, 1), (B, 10), (C, 20)):
        for i in range(first, first + 3):
            page = article_page(f"Page {i}", i).encode()
            url = web.route(host, f"/n/{i}.html", slow(page))  # type: ignore[arg-type]
            items.append(Item(f"S{i}", url, f"u{i}", NOW, "<p>Teaser.</p>"))
    web.route(D, "/feed.xml", Answer(200, rss(items), RSS))
    settings = configure(tmp_path, feed(web.url(D, "/feed.xml")))
    fetch(settings, now=NOW)
    assert most["host"] == 1  # never two requests at once to one host
    assert most["all"] >= 2  # but several hosts at once
    for host in (A, B, C):
        # Each next request starts its interval after the last one ended (0.2 s later).
        assert all(gap >= 0.2 + INTERVAL - SLACK for gap in gaps(web, host)[1:])


def test_a_short_retry_after_is_waited_out_and_retried_in_the_same_run(
    web: Web, tmp_path: Path
) -> None:
    answers = iter([Answer(429, b"slow down", {"Retry-After": "1"})])
    page = article_page("Page 1", 1).encode()
    web.route(A, "/news/1.html", lambda _: next(answers, Answer(200, page, HTML)))
    item = Item("Story 1", web.url(A, "/news/1.html"), "u1", NOW, "<p>Teaser.</p>")
    web.route(B, "/feed.xml", Answer(200, rss([item]), RSS))
    settings = configure(tmp_path, feed(web.url(B, "/feed.xml")))
    report = fetch(settings, now=NOW)
    first, second = (r for r in web.requests(A) if r.path == "/news/1.html")
    assert second.at - first.at >= 1.0 - SLACK  # honoured to the second
    assert report.changes == () and report.problems == ()
    assert all(ready(settings).values())


@pytest.mark.parametrize("header", ["3600", "date"])
def test_a_long_retry_after_is_scheduled_and_the_host_left_alone(
    web: Web, tmp_path: Path, header: str
) -> None:
    when = NOW + timedelta(hours=1)
    value = "3600" if header == "3600" else format_datetime(when, usegmt=True)
    answers = iter([Answer(503, b"busy", {"Retry-After": value})])
    web.route(A, "/feed.xml", lambda _: next(answers, Answer(200, rss([]), RSS)))
    settings = configure(tmp_path, feed(web.url(A, "/feed.xml")))
    report = fetch(settings, now=NOW)
    assert web.paths(A) == ["/robots.txt", "/feed.xml"]  # not retried in this run
    (change,) = report.changes
    assert change.state == "failing" and change.next_poll is not None
    assert abs((change.next_poll - when).total_seconds()) < 2
    fetch(settings, now=NOW + timedelta(minutes=30))
    assert web.paths(A) == ["/robots.txt", "/feed.xml"]  # nothing asked before the time
    report = fetch(settings, now=NOW + timedelta(minutes=61))
    assert web.paths(A)[2:] == ["/feed.xml"] and [c.state for c in report.changes] == ["ok"]


def test_a_busy_host_without_retry_after_is_left_for_the_run_and_backed_off(
    web: Web, tmp_path: Path
) -> None:
    web.route(A, "/feed.xml", Answer(503, b"busy", TEXT))
    web.route(A, "/other.xml", Answer(200, rss([]), RSS))
    settings = configure(tmp_path, feed(web.url(A, "/feed.xml")) + feed(web.url(A, "/other.xml")))
    report = fetch(settings, now=NOW)
    assert web.paths(A) == ["/robots.txt", "/feed.xml"]  # the rest of the run leaves it alone
    assert len(report.changes) == 2
    for change in report.changes:
        assert change.state == "failing" and change.next_poll is not None
        assert change.next_poll >= NOW + timedelta(seconds=30)  # backed off, not "now"


def test_an_unchanged_feed_costs_one_304_and_nothing_downstream(web: Web, tmp_path: Path) -> None:
    body = rss(teasers(web, A, 2))
    stamp = "Fri, 20 Nov 2026 10:00:00 GMT"

    def conditional(request: Logged) -> Answer:
        if request.headers.get("if-none-match") == '"v1"':
            return Answer(304, b"", {"ETag": '"v1"'})
        return Answer(200, body, {**RSS, "ETag": '"v1"', "Last-Modified": stamp})

    web.route(B, "/feed.xml", conditional)
    settings = configure(tmp_path, feed(web.url(B, "/feed.xml")))
    fetch(settings, now=NOW)
    assert len(web.requests(A)) == 3  # robots.txt and two pages
    report = fetch(settings, now=NOW + timedelta(hours=1))
    last = web.requests(B)[-1]
    assert last.headers["if-none-match"] == '"v1"' and last.headers["if-modified-since"] == stamp
    assert len(web.requests(A)) == 3 and report.unchanged == 1
    assert (report.new, report.updated, report.requests) == (0, 0, 1)


def test_a_page_is_fetched_again_only_when_its_feed_says_it_was_updated(
    web: Web, tmp_path: Path
) -> None:
    items = teasers(web, A, 2)
    current = {"items": items}
    web.route(B, "/feed.atom", lambda _: Answer(200, atom(current["items"]), ATOM))
    settings = configure(tmp_path, feed(web.url(B, "/feed.atom")))
    fetch(settings, now=NOW)
    fetch(settings, now=NOW + timedelta(hours=1))  # same feed: no page again
    assert sorted(web.paths(A)) == ["/news/1.html", "/news/2.html", "/robots.txt"]
    first, second = items
    edited = Item(second.title, second.link, second.id, second.published, second.text,
                  updated=NOW + timedelta(hours=2))  # fmt: skip
    current["items"] = [first, edited]
    report = fetch(settings, now=NOW + timedelta(hours=3))
    assert web.paths(A)[-1] == "/news/2.html" and web.paths(A).count("/news/1.html") == 1
    assert report.updated == 0  # the page is the same: nothing downstream changes


# -- redirects, gone, refused ------------------------------------------------------------------


def test_redirects_are_followed_and_paced_and_a_permanent_one_moves_the_source(
    web: Web, tmp_path: Path
) -> None:
    web.route(A, "/old.xml", Answer(301, b"", {"Location": "/feed.xml"}))
    page = article_page("Moved page", 7).encode()
    web.route(C, "/real/7.html", Answer(200, page, HTML))
    web.route(B, "/p/7", Answer(302, b"", {"Location": web.url(C, "/real/7.html")}))
    item = Item("Story 7", web.url(B, "/p/7"), "u7", NOW, "<p>Teaser.</p>")
    web.route(A, "/feed.xml", Answer(200, rss([item]), RSS))
    settings = configure(tmp_path, feed(web.url(A, "/old.xml")))
    fetch(settings, now=NOW)
    assert web.paths(A) == ["/robots.txt", "/old.xml", "/feed.xml"]
    assert all(gap >= INTERVAL - SLACK for gap in gaps(web, A))  # a hop is a paced request
    assert web.paths(B) == ["/robots.txt", "/p/7"]
    assert web.paths(C) == ["/robots.txt", "/real/7.html"]  # robots.txt before the hop
    (status,) = source_status(settings)
    assert status.url == web.url(A, "/feed.xml")  # the 301 moved it
    fetch(settings, now=NOW + timedelta(hours=1))
    assert web.paths(A)[3:] == ["/feed.xml"]
    assert web.paths(B) == ["/robots.txt", "/p/7"]  # the page, once fetched, is not again


def test_redirect_loops_end_after_five(web: Web, tmp_path: Path) -> None:
    for i in range(10):
        web.route(A, f"/loop/{i}", Answer(302, b"", {"Location": f"/loop/{i + 1}"}))
    settings = configure(tmp_path, feed(web.url(A, "/loop/0")))
    report = fetch(settings, now=NOW)
    assert web.paths(A) == ["/robots.txt"] + [f"/loop/{i}" for i in range(6)]
    assert report.changes[0].detail == "more than 5 redirects"


def test_a_410_marks_the_source_gone_and_says_so(web: Web, tmp_path: Path) -> None:
    web.route(A, "/feed.xml", Answer(410, b"gone", TEXT))
    settings = configure(tmp_path, feed(web.url(A, "/feed.xml"), name="Old News"))
    (change,) = fetch(settings, now=NOW).changes
    assert change.state == "gone" and "Old News" in change.describe()
    assert "remove it from the configuration" in change.describe()
    (status,) = source_status(settings)
    assert status.state == "gone" and status.next_poll == NOW + timedelta(days=7)
    fetch(settings, now=NOW + timedelta(days=1))
    assert web.paths(A) == ["/robots.txt", "/feed.xml"]  # checked weekly, not daily


def test_a_refusing_host_fails_its_source_only_retried_never_dropped(
    web: Web, tmp_path: Path
) -> None:
    web.route(A, "/feed.xml", Answer(200, rss(teasers(web, B, 2)), RSS))
    settings = configure(
        tmp_path,
        feed(web.url(DOWN, "/feed.xml"), name="Down")
        + feed(web.url(A, "/feed.xml"), name="Up", every="365d"),
    )
    report = fetch(settings, now=NOW)
    (change,) = report.changes
    assert (change.name, change.state) == ("Down", "failing")
    assert "connection refused" in change.detail
    assert report.new == 2  # the other source went on
    previous = NOW
    for _ in range(16):  # a day at most between tries, however long it fails
        down, _up = source_status(settings)
        assert down.state == "failing" and down.since == NOW and down.next_poll is not None
        assert down.next_poll - previous <= timedelta(days=1)
        assert fetch(settings, now=down.next_poll - timedelta(seconds=1)).polled == 0
        previous = down.next_poll
        report = fetch(settings, now=previous)
        assert report.polled == 1 and report.changes == ()  # told once, not every time
    assert (previous - NOW) > timedelta(days=2)  # backed off
    with serving([DOWN], web.port) as back:
        back.route(DOWN, "/feed.xml", Answer(200, rss([]), RSS))
        report = fetch(settings, now=previous + timedelta(days=1))
    assert [c.state for c in report.changes] == ["ok"]
    assert source_status(settings)[0].state == "ok"


# -- bounded and safe ------------------------------------------------------------------------


def test_oversized_pages_and_bombs_are_refused_while_downloading(web: Web, tmp_path: Path) -> None:
    big = article_page("Big", 1, extra="<p>" + "word " * 400_000 + "</p>").encode()
    web.route(A, "/sized.html", Answer(200, big, HTML))
    web.route(A, "/unsized.html", Answer(200, big, {**HTML, "X-Unsized": "1"}))
    bomb = gzip.compress(b"<p>" + b" " * 20_000_000 + b"</p>")
    web.route(A, "/bomb.html", Answer(200, bomb, {**HTML, "Content-Encoding": "gzip"}))
    brotli_bomb = brotli.compress(b"<p>" + b" " * 20_000_000 + b"</p>", quality=1)
    web.route(A, "/brbomb.html", Answer(200, brotli_bomb, {**HTML, "Content-Encoding": "br"}))
    names = ("sized", "unsized", "bomb", "brbomb")
    items = [Item(name, web.url(A, f"/{name}.html"), name, NOW, "<p>Teaser.</p>") for name in names]
    web.route(B, "/feed.xml", Answer(200, rss(items), RSS))
    settings = configure(tmp_path, feed(web.url(B, "/feed.xml")), extra="max_bytes = 1048576")
    report = fetch(settings, now=NOW)
    assert len(bomb) < 1048576 < len(big) and len(brotli_bomb) < 1048576
    assert "br" in web.requests(A)[-1].headers["accept-encoding"]
    for name in names:
        assert (web.url(A, f"/{name}.html"), "larger than 1 MB (limit: [fetch] max_bytes)") in (
            report.problems
        )
    stored = [p for p in blob_root(settings.paths.state).rglob("*") if p.is_file()]
    assert stored and max(p.stat().st_size for p in stored) < 1048576


def test_private_addresses_are_refused_unless_allowed(web: Web, tmp_path: Path) -> None:
    web.route(A, "/feed.xml", Answer(200, rss([]), RSS))
    settings = configure(tmp_path, feed(web.url(A, "/feed.xml")), private="false")
    (change,) = fetch(settings, now=NOW).changes
    assert "127.0.0.2, a private or local address" in change.detail
    assert web.requests() == []  # not even robots.txt


def test_the_guard_checks_the_address_a_name_resolves_to(tmp_path: Path) -> None:
    with serving(["127.0.0.1"]) as local:
        local.route("127.0.0.1", "/feed.xml", Answer(200, rss([]), RSS))
        url = f"http://localhost:{local.port}/feed.xml"
        settings = configure(tmp_path, feed(url), private="false")
        (change,) = fetch(settings, now=NOW).changes
        assert "localhost is at 127.0.0.1, a private or local address" in change.detail
        assert local.requests() == []  # connected, refused before a byte was sent


def test_every_redirect_hop_is_checked_against_the_address_policy(web: Web, tmp_path: Path) -> None:
    web.route(A, "/go", Answer(302, b"", {"Location": web.url(C, "/inside.html")}))
    web.route(C, "/inside.html", Answer(200, article_page("Inside", 3).encode(), HTML))
    item = Item("Hop", web.url(A, "/go"), "hop", NOW, "<p>Teaser.</p>")
    web.route(B, "/feed.xml", Answer(200, rss([item]), RSS))
    settings = configure(tmp_path, feed(web.url(B, "/feed.xml")))
    report = fetch(settings, now=NOW, refuse=lambda address: str(address) == C)
    assert web.paths(A) == ["/robots.txt", "/go"]
    assert web.requests(C) == []
    ((url, reason),) = report.problems
    assert url == web.url(A, "/go") and "127.0.0.4, a private or local address" in reason


def test_no_cookies_and_a_user_agent_that_names_us(web: Web, tmp_path: Path) -> None:
    web.route(A, "/robots.txt", Answer(200, b"", {**TEXT, "Set-Cookie": "id=1; Path=/"}))
    web.route(A, "/feed.xml", Answer(200, rss(teasers(web, A, 1)), {**RSS, "Set-Cookie": "x=2"}))
    settings = configure(tmp_path, feed(web.url(A, "/feed.xml")))
    fetch(settings, now=NOW)
    requests = web.requests(A)
    assert len(requests) == 3 and all("cookie" not in r.headers for r in requests)
    agent = requests[0].headers["user-agent"]
    assert agent.startswith("publisher/") and agent.endswith("(+https://news.example.org/)")
    assert "gzip" in requests[1].headers["accept-encoding"]


# -- sitemaps, lists of URLs, OPML ---------------------------------------------------------------


def test_sitemap_index_pages_once_and_again_when_their_lastmod_moves(
    web: Web, tmp_path: Path
) -> None:
    pages = [web.route(A, f"/a/{i}.html", Answer(200, article_page(f"P{i}", i).encode(), HTML))
             for i in range(1, 4)]  # fmt: skip
    dates = {"lastmod": NOW}
    web.route(
        A,
        "/sitemap-1.xml",
        lambda _: Answer(200, sitemap([(u, dates["lastmod"]) for u in pages]), XML),
    )
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        f"<loc>{web.url(A, '/sitemap-1.xml')}</loc></sitemap></sitemapindex>"
    ).encode()
    web.route(A, "/sitemap.xml", Answer(200, index, XML))
    settings = configure(
        tmp_path, f'[[sources]]\nsitemap = "{web.url(A, "/sitemap.xml")}"\nevery = "0s"\n'
    )
    assert fetch(settings, now=NOW).new == 3
    fetch(settings, now=NOW + timedelta(hours=1))
    assert web.paths(A).count("/a/1.html") == 1
    dates["lastmod"] = NOW + timedelta(hours=2)
    fetch(settings, now=NOW + timedelta(hours=3))
    assert web.paths(A).count("/a/1.html") == 2


def test_a_list_of_urls_is_fetched_once(web: Web, tmp_path: Path) -> None:
    one = web.route(A, "/one.html", Answer(200, article_page("One", 1).encode(), HTML))
    two = web.route(B, "/two.html", Answer(200, article_page("Two", 2).encode(), HTML))
    settings = configure(
        tmp_path, f'[[sources]]\nurls = ["{one}", "{two}?utm_source=x"]\nevery = "0s"\n'
    )
    assert fetch(settings, now=NOW).new == 2
    assert fetch(settings, now=NOW + timedelta(days=2)).polled == 0
    assert web.paths(A) == ["/robots.txt", "/one.html"]
    assert web.paths(B) == ["/robots.txt", "/two.html?utm_source=x"]
    assert set(ready(settings)) == {one, two}  # keyed by the canonical URL


def test_an_opml_list_adds_its_feeds_polled_in_the_same_run(web: Web, tmp_path: Path) -> None:
    from web_helpers import opml

    web.route(A, "/a.xml", Answer(200, rss(teasers(web, A, 1)), RSS))
    web.route(B, "/b.atom", Answer(200, atom(teasers(web, B, 1, start=2)), ATOM))
    (tmp_path / "subs.opml").write_bytes(
        opml([("Alpha", web.url(A, "/a.xml")), ("Beta", web.url(B, "/b.atom"))])
    )
    settings = configure(tmp_path, '[[sources]]\nopml = "subs.opml"\nevery = "0s"\n')
    report = fetch(settings, now=NOW)
    assert report.new == 2 and report.polled == 3
    names = [(s.name, s.kind, s.state, s.parent) for s in source_status(settings)]
    assert names == [
        ("subs.opml", "opml", "ok", None),
        ("Alpha", "feed", "ok", "subs.opml"),
        ("Beta", "feed", "ok", "subs.opml"),
    ]


# -- nothing stored is lost --------------------------------------------------------------------


def test_a_fetch_killed_midway_keeps_what_it_had_stored(web: Web, tmp_path: Path) -> None:
    def slow(i: int) -> object:
        page = article_page(f"Page {i}", i).encode()

        def answer(_: Logged) -> Answer:
            time.sleep(0.3)
            return Answer(200, page, HTML)

        return answer

    items = []
    for i in range(1, 7):
        url = web.route(A, f"/news/{i}.html", slow(i))  # type: ignore[arg-type]
        items.append(Item(f"Story {i}", url, f"u{i}", NOW, "<p>Teaser.</p>"))
    web.route(B, "/feed.xml", Answer(200, rss(items), RSS))
    configure(tmp_path, feed(web.url(B, "/feed.xml")))
    command = [sys.executable, "-m", "publisher", "fetch", "-q", "--config", "publisher.toml"]
    child = subprocess.Popen(command, cwd=tmp_path, env=subprocess_env())
    try:
        for _ in range(200):  # until the third page is asked for: two are stored by then
            if "/news/3.html" in web.paths(A):
                break
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    settings = load_settings(tmp_path / "publisher.toml")
    # The killed run polled at the real time: an hour later, the source is due again.
    assert fetch(settings, now=datetime.now(UTC) + timedelta(hours=1)).polled == 1
    pages = [p for p in web.paths(A) if p.startswith("/news/")]
    assert pages.count("/news/1.html") == pages.count("/news/2.html") == 1
    assert {f"/news/{i}.html" for i in range(1, 7)} <= set(pages)
    assert len(ready(settings)) == 6 and all(ready(settings).values())


def test_a_request_rate_paces_its_host(web: Web, tmp_path: Path) -> None:
    web.route(C, "/robots.txt", Answer(200, b"User-agent: publisher\nRequest-rate: 5/1s\n", TEXT))
    web.route(C, "/feed.xml", Answer(200, rss(teasers(web, C, 2)), RSS))
    settings = configure(tmp_path, feed(web.url(C, "/feed.xml")))
    fetch(settings, now=NOW)
    assert web.paths(C)[:2] == ["/robots.txt", "/feed.xml"] and len(web.paths(C)) == 4
    assert all(gap >= 0.2 - SLACK for gap in gaps(web, C)[1:])  # 5 a second: 0.2 s apart
