"""The fetcher's pure parts: canonical URLs, Retry-After, back-off, feed/sitemap/OPML parsing,
the full-text decision, and the [[sources]] / [fetch] configuration."""

from __future__ import annotations

import gzip
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from web_helpers import Item, atom, json_feed, opml, rss, sitemap

from publisher.config import load_settings
from publisher.errors import ConfigError
from publisher.fetch.crawl import retry_after
from publisher.fetch.health import MAX_RETRY, MIN_RETRY, backoff, failed, succeeded
from publisher.fetch.parse import ParseError, parse_feed, parse_opml, parse_sitemap
from publisher.fetch.urls import canonical, origin_of, robots_url
from publisher.store import WebSource

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HTTP://Example.ORG:80/a/Story.html", "http://example.org/a/Story.html"),
        ("https://example.org:443/a?b=1#comments", "https://example.org/a?b=1"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org:8443/x", "https://example.org:8443/x"),
        (
            "https://example.org/a?utm_source=rss&id=7&utm_medium=feed&fbclid=xyz&gclid=1",
            "https://example.org/a?id=7",
        ),
        ("https://example.org/a?UTM_Campaign=x", "https://example.org/a"),
        ("https://example.org/a?ref=home&page=2", "https://example.org/a?ref=home&page=2"),
        ("http://[::1]:80/x", "http://[::1]/x"),
    ],
)
def test_canonical_urls(given: str, expected: str) -> None:
    assert canonical(given) == expected
    assert canonical(expected) == expected  # normalising twice changes nothing


def test_origins_and_robots() -> None:
    assert origin_of("HTTPS://News.Example.org:443/a/b") == "https://news.example.org"
    assert robots_url("http://127.0.0.2:8080/feed?x=1") == "http://127.0.0.2:8080/robots.txt"


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert retry_after("120", NOW) == 120
    assert retry_after(" 0 ", NOW) == 0
    assert retry_after("Fri, 20 Nov 2026 12:05:30 GMT", NOW) == 330
    assert retry_after("Fri, 20 Nov 2026 11:00:00 GMT", NOW) == 0  # already past
    assert retry_after("soon", NOW) is None
    assert retry_after(None, NOW) is None


def test_backoff_grows_with_jitter_and_stops_at_a_day() -> None:
    rng = random.Random(7)
    waits = [backoff(n, 900, rng) for n in range(1, 12)]
    for n, wait in enumerate(waits, 1):
        step = min(MAX_RETRY, timedelta(seconds=900) * 2 ** (n - 1))
        assert step / 2 <= wait <= step
    assert max(waits) <= MAX_RETRY
    assert backoff(1, 0, rng) >= MIN_RETRY / 2  # every = "0s" still waits a little
    assert len({backoff(3, 900, random.Random(s)) for s in range(10)}) > 1  # jitter


def test_health_changes_are_reported_once() -> None:
    rng = random.Random(1)
    source = WebSource("feed:x", "feed", "X", "https://x.example/feed")
    first, change = failed(source, NOW, "connection refused", every=60, rng=rng)
    assert first.state == "failing" and first.since == NOW and change is not None
    assert "X (https://x.example/feed) is failing: connection refused" in change.describe()
    later = NOW + timedelta(hours=1)
    second, change = failed(first, later, "connection refused", every=60, rng=rng)
    assert change is None and second.since == NOW and second.failures == 2
    assert second.next_poll is not None and second.next_poll > later
    healed, change = succeeded(second, later, None)
    assert change is not None and change.describe().endswith("is ok again")
    assert healed.failures == 0 and healed.next_poll is None and healed.since == later
    gone, change = failed(healed, later, "HTTP 410 Gone", every=60, rng=rng, gone=True)
    assert gone.state == "gone" and change is not None and "gone" in change.describe()
    moved, _ = succeeded(gone, later, "https://x.example/new-feed")
    assert moved.url == "https://x.example/new-feed"


def test_a_retry_after_time_wins_over_the_backoff() -> None:
    source = WebSource("feed:x", "feed", "X", "https://x.example/feed")
    until = NOW + timedelta(hours=3, seconds=7)
    updated, _ = failed(source, NOW, "HTTP 429", every=60, rng=random.Random(), retry_at=until)
    assert updated.next_poll == until


ITEMS = [
    Item(
        "First & best",
        "/a/1.html?utm_source=feed",
        "urn:1",
        NOW,
        "<p>Teaser.</p>",
        author="Ann Lee",
    ),
    Item("Second", "https://example.org/a/2.html", "urn:2", NOW - timedelta(days=1), "<p>Text</p>"),
]


@pytest.mark.parametrize("make", [rss, atom, json_feed])
def test_feeds_of_every_format_give_the_same_entries(make: object) -> None:
    body = make(ITEMS)  # type: ignore[operator]
    feed = parse_feed(body, "https://example.org/feed", "")
    first, second = feed.entries
    assert first.title == "First & best" and first.author == "Ann Lee"
    assert first.link == "https://example.org/a/1.html?utm_source=feed"
    assert first.id == "urn:1" and first.published == NOW
    assert "Teaser." in first.text
    assert second.link == "https://example.org/a/2.html"


def test_a_feed_parser_never_fetches_and_refuses_what_is_no_feed() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b"<html><body>Login</body></html>", "https://example.org/feed", "text/html")
    with pytest.raises(ParseError, match="JSON Feed"):
        parse_feed(b'{"items": []}', "https://example.org/feed.json", "application/json")
    # A URL handed over as the body is text to parse, not an address to open.
    with pytest.raises(ParseError):
        parse_feed(b"http://127.0.0.1:1/feed.xml", "https://example.org/feed", "")


def test_full_text_or_teaser() -> None:
    long_text = "<p>" + " ".join(["word"] * 200) + "</p>"
    full = parse_feed(
        rss([Item("T", "https://e.org/1", "1", NOW, long_text)]), "https://e.org/", ""
    )
    assert full.entries[0].is_full()
    cut = long_text.replace("</p>", " [&#8230;]</p>")
    teaser = parse_feed(rss([Item("T", "https://e.org/1", "1", NOW, cut)]), "https://e.org/", "")
    assert not teaser.entries[0].is_full()
    short = parse_feed(rss(ITEMS), "https://e.org/", "")
    assert not short.entries[0].is_full()


def test_sitemaps_indexes_and_news() -> None:
    body = sitemap([("https://e.org/a", NOW), ("/b", None)])
    parsed = parse_sitemap(gzip.compress(body), "https://e.org/sitemap.xml.gz", 1 << 20)
    assert [(p.url, p.lastmod) for p in parsed.pages] == [
        ("https://e.org/a", NOW),
        ("https://e.org/b", None),
    ]
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://e.org/s1.xml</loc></sitemap></sitemapindex>"
    )
    assert parse_sitemap(index, "https://e.org/", 1 << 20).sitemaps == ("https://e.org/s1.xml",)
    news = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
        b"<loc>https://e.org/n</loc><news:news><news:title>Flood  Plan</news:title>"
        b"<news:publication_date>2026-11-20T12:00:00Z</news:publication_date></news:news>"
        b"</url></urlset>"
    )
    (page,) = parse_sitemap(news, "https://e.org/", 1 << 20).pages
    assert page.title == "Flood Plan" and page.published == NOW
    with pytest.raises(ParseError, match="not a sitemap"):
        parse_sitemap(b"<html/>", "https://e.org/", 1 << 20)
    bomb = gzip.compress(b"<urlset>" + b" " * 3_000_000 + b"</urlset>")
    with pytest.raises(ParseError, match="larger"):
        parse_sitemap(bomb, "https://e.org/", 1 << 20)


def test_entities_are_never_expanded() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://e.org/&e;</loc></url></urlset>"
    )
    pages = parse_sitemap(hostile, "https://e.org/", 1 << 20).pages
    assert all("root:" not in p.url for p in pages)


def test_opml_outlines() -> None:
    body = opml([("Gazette", "https://e.org/rss"), ("Herald", "/atom.xml")])
    outlines = parse_opml(body, "https://lists.example/subs.opml", 1 << 20)
    assert [(o.url, o.title) for o in outlines] == [
        ("https://e.org/rss", "Gazette"),
        ("https://lists.example/atom.xml", "Herald"),
    ]


# -- configuration ---------------------------------------------------------------------------


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "publisher.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sources_and_fetch_settings(tmp_path: Path) -> None:
    (tmp_path / "subs.opml").write_bytes(opml([]))
    settings = load_settings(
        _config(
            tmp_path,
            """
[fetch]
user_agent = "NewsBot/2 (+https://news.example.org/about)"
host_interval = "50ms"
timeout = 12
max_bytes = 2048
allow_private = true

[[sources]]
feed = "https://example.org/rss.xml"
name = "Example News"
every = "15m"
full_text = "always"

[[sources]]
sitemap = "https://example.net/news-sitemap.xml"

[[sources]]
urls = ["https://example.com/a/story.html"]

[[sources]]
opml = "subs.opml"
""",
        )
    )
    fetch = settings.fetch
    assert (fetch.host_interval, fetch.timeout, fetch.max_bytes) == (0.05, 12, 2048)
    assert fetch.allow_private and fetch.user_agent.startswith("NewsBot/2")
    feed, site_map, urls, subscriptions = settings.sources
    assert (feed.kind, feed.name, feed.every, feed.full_text) == (
        "feed",
        "Example News",
        900,
        "always",
    )
    assert (site_map.kind, site_map.every, site_map.full_text) == ("sitemap", 3600, "auto")
    assert urls.urls == ("https://example.com/a/story.html",)
    assert subscriptions.location == str(tmp_path / "subs.opml")
    # With sources and no [paths] input, no input files are looked for (not seeds/).
    assert settings.paths.input == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[sources]]\nname = "x"\n', "needs exactly one of feed, sitemap, urls, opml"),
        ('[[sources]]\nfeed = "a"\nsitemap = "b"\n', "not feed and sitemap"),
        ('[[sources]]\nfeed = "ftp://example.org/rss"\n', "absolute http(s) URL"),
        ("[[sources]]\nurls = []\n", "sources[1].urls is empty"),
        ('[[sources]]\nfeed = "https://e.org/"\nevery = "soon"\n', "sources[1].every"),
        ('[[sources]]\nfeed = "https://e.org/"\nfull_text = "yes"\n', "full_text must be one of"),
        ('[[sources]]\nfeed = "https://e.org/"\nbogus = 1\n', "unknown key sources[1].bogus"),
        (
            '[[sources]]\nfeed = "https://e.org/"\n[[sources]]\nfeed = "https://e.org/"\n',
            "sources[2] repeats sources[1]",
        ),
        ('[sources]\nfeed = "https://e.org/"\n', "must be written [[sources]]"),
        ('[fetch]\nhost_interval = "fast"\n', "fetch.host_interval must be a length of time"),
        ("[fetch]\ntimeout = 0\n", "fetch.timeout must be more than 0"),
        ('[fetch]\nuser_agent = "a\\nX-Evil: 1"\n', "fetch.user_agent must be one line"),
    ],
)
def test_bad_sources_are_configuration_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(_config(tmp_path, text))


def test_the_old_sources_table_is_read_with_a_notice(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, "[sources]\nmax_bytes = 100\n"))
    assert settings.fetch.max_bytes == 100 and settings.sources == ()
    (notice,) = settings.notices
    assert "[sources] max_bytes has moved to [fetch] max_bytes" in notice
