"""What readers saw as wrong, and the settings and hints they asked for: no future dates,
the digest issues as a page, no summary repeating the opening, a feed opened in a browser
answered with a page, ids that survive a move of base_url, summary-only feeds, canonical
links to the source, Open Graph and JSON-LD, and freshness hints from the build schedule."""

from __future__ import annotations

import dataclasses
import http.client
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest
from lxml import etree
from test_feeds_helpers import ATOM, CONTENT, atom_problems, make_entry, make_settings, newest_first

from publisher.build import build
from publisher.config import FeedSettings, ScheduleSettings, Settings, SiteSettings, load_settings
from publisher.models import Block, Digest
from publisher.render.archive import Archive
from publisher.render.feeds import render_feeds
from publisher.serve import make_server
from publisher.store import Store

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SY = "{http://purl.org/rss/1.0/modules/syndication/}"


def inbox_settings(
    tmp_path: Path, base_url: str = "http://localhost:8000/", **feed: str
) -> Settings:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in feed.items())
    config = tmp_path / "publisher.toml"
    config.write_text(
        f'[site]\nbase_url = "{base_url}"\n[feed]\n{extra}'
        '[paths]\ninput = ["inbox"]\nout = "out"\nstate = "state.db"\n',
        encoding="utf-8",
    )
    return load_settings(config, {"jobs": 1})


def add(settings: Settings, name: str, title: str, dateline: str = "") -> None:
    body = (
        f"The council approved the {name} scheme after a debate that lasted most of the night. "
        f"Supporters of the {name} scheme said it would help families across the town.\n\n"
        f"Critics of the {name} scheme said the cost had doubled since the first estimate.\n"
    )
    head = f"{title}\n\n" + (f"{dateline}\n\n" if dateline else "")
    (settings.paths.input[0] / f"{name}.txt").write_text(head + body, encoding="utf-8")


def test_a_date_in_the_future_is_never_published(tmp_path: Path, workdir: Path) -> None:
    settings = inbox_settings(tmp_path)
    add(settings, "tram", "Tram scheme approved", dateline="March 3, 2031")
    build(settings, now=T0)
    with Store.open(settings.paths.state) as store:
        (record,) = store.articles()
    assert record.published == record.first_seen <= T0
    root = etree.parse(str(settings.paths.out / "feed.atom")).getroot()
    published = root.findtext(f"{ATOM}entry/{ATOM}published")
    assert datetime.fromisoformat(published) <= T0


def test_digest_issues_link_to_a_page_listing_them(tmp_path: Path, workdir: Path) -> None:
    settings = inbox_settings(tmp_path)
    add(settings, "tram", "Tram scheme approved")
    build(settings, now=T0)
    out = settings.paths.out
    index = lxml.html.fromstring((out / "index.html").read_bytes())
    (link,) = index.xpath("//nav[@class='feeds']/a[. = 'Digest issues']")
    assert link.get("href") == "digests/index.html"
    page = lxml.html.fromstring((out / "digests/index.html").read_bytes())
    assert page.xpath("string(//p[@class='empty'])") == "No digest has been sent yet."
    assert page.xpath("//a[@type='application/atom+xml']/@href") == ["../digests.atom"]
    # Once issues are sent (as `send` records them), the page lists them, newest first.
    with Store.open(settings.paths.state) as store:
        (record,) = store.articles()
        for day, when, subject, ids in (
            ("2026-03-01", T0 - timedelta(days=1), "First issue", ()),
            ("2026-03-02", T0, "Second issue", (record.id,)),
        ):
            store.save_digest(Digest(day, when, subject, ids, "<p>x</p>", "x", b""))
    build(settings, now=T0 + timedelta(hours=1))
    page = lxml.html.fromstring((out / "digests/index.html").read_bytes())
    issues = page.xpath("//ol[@class='issues']/li/a")
    assert [(a.text, a.get("href")) for a in issues] == [
        ("Second issue", "2026-03-02.html"),
        ("First issue", "2026-03-01.html"),
    ]


def test_a_summary_that_is_the_opening_is_not_shown_twice() -> None:
    archive = Archive(make_settings())
    entry = make_entry(1)
    opening = entry.article.blocks[0].text
    same = dataclasses.replace(entry, summary=(opening,))
    page = lxml.html.fromstring(archive.article_page(same))
    assert page.xpath("//section[@class='summary']") == []
    assert opening in page.xpath("string(//div[@class='body'])")
    other = lxml.html.fromstring(archive.article_page(entry))
    assert other.xpath("string(//section[@class='summary'])").strip() == " ".join(entry.summary)


def test_a_browser_opening_a_feed_gets_a_page(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    entries = newest_first(2)
    for name, data in render_feeds(entries, make_settings()).items():
        (out / name).write_bytes(data)
    server = make_server(out, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]

    def get(path: str, accept: str) -> tuple[dict[str, str], bytes]:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            conn.request("GET", path, headers={"Accept": accept})
            response = conn.getresponse()
            return {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    try:
        browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        for name in ("feed.atom", "feed.rss"):
            headers, body = get(f"/{name}", browser)
            assert headers["content-type"] == "text/html; charset=utf-8"
            assert headers["vary"] == "Accept, Accept-Encoding"
            page = lxml.html.fromstring(body)
            assert [a.text_content() for a in page.xpath("//article/h2/a")] == [
                e.title for e in entries
            ]
            assert b"xml-stylesheet" not in body
            headers, body = get(f"/{name}", "application/atom+xml, */*;q=0.1")
            assert headers["content-type"].startswith(f"application/{name.split('.')[1]}+xml")
            assert body == (out / name).read_bytes()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_ids_keep_their_authority_when_base_url_moves(
    tmp_path: Path, workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trial = inbox_settings(tmp_path)  # tried on localhost first
    add(trial, "tram", "Tram scheme approved")
    build(trial, now=T0)
    out = trial.paths.out
    ids = [
        e.findtext(f"{ATOM}id") for e in etree.parse(str(out / "feed.atom")).iter(f"{ATOM}entry")
    ]
    assert ids[0].startswith("tag:localhost,2005:")
    live = inbox_settings(tmp_path, "https://news.example.org/")
    add(live, "bridge", "Bridge repairs begin")
    with caplog.at_level(logging.WARNING):
        build(live, now=T0 + timedelta(hours=1))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "base_url changed" in warnings[0]
    root = etree.parse(str(out / "feed.atom")).getroot()
    after = [e.findtext(f"{ATOM}id") for e in root.iter(f"{ATOM}entry")]
    assert ids[0] in after and all(i.startswith("tag:localhost,2005:") for i in after)
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "https://news.example.org/feed.atom"
    caplog.clear()
    add(live, "library", "Library hours extended")
    with caplog.at_level(logging.WARNING):
        build(live, now=T0 + timedelta(hours=2))
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]  # warned once
    # A setting names the authority outright.
    chosen = inbox_settings(tmp_path, "https://news.example.org/", id_authority="example.org")
    add(chosen, "park", "Park reopens")
    build(chosen, now=T0 + timedelta(hours=3))
    root = etree.parse(str(out / "feed.atom")).getroot()
    assert all(
        e.findtext(f"{ATOM}id").startswith("tag:example.org,2005:")
        for e in root.iter(f"{ATOM}entry")
    )


def test_summary_only_feeds() -> None:
    settings = make_settings()
    settings = dataclasses.replace(settings, feed=FeedSettings(content="summary"))
    out = render_feeds(newest_first(2), settings)
    atom = etree.fromstring(out["feed.atom"])
    assert atom.find(f"{ATOM}entry/{ATOM}content") is None
    assert (
        atom.findtext(f"{ATOM}entry/{ATOM}summary") == "Summary sentence one of 2. Second sentence."
    )
    assert atom_problems(out["feed.atom"], settings.url("feed.atom")) == []
    rss = etree.fromstring(out["feed.rss"])
    assert rss.find(f"channel/item/{CONTENT}encoded") is None
    item = json.loads(out["feed.json"])["items"][0]
    assert "content_html" not in item and item["content_text"].startswith("Summary sentence")
    full = etree.fromstring(render_feeds(newest_first(2), make_settings())["feed.atom"])
    assert "First paragraph" in full.findtext(f"{ATOM}entry/{ATOM}content")


def test_canonical_link_to_the_source_or_the_page_itself() -> None:
    entry = make_entry(1)  # its article's original is https://example.com/story/1
    page = lxml.html.fromstring(Archive(make_settings()).article_page(entry))
    assert page.xpath("//link[@rel='canonical']/@href") == [
        "https://news.example.org/articles/article-1.html"
    ]
    source = Settings(site=SiteSettings(base_url="https://news.example.org/", canonical="source"))
    page = lxml.html.fromstring(Archive(source).article_page(entry))
    assert page.xpath("//link[@rel='canonical']/@href") == ["https://example.com/story/1"]
    # Without a known original, the page is its own canonical.
    page = lxml.html.fromstring(Archive(source).article_page(make_entry(3)))
    assert page.xpath("//link[@rel='canonical']/@href")[0].endswith("article-3.html")


def test_open_graph_and_json_ld() -> None:
    archive = Archive(make_settings())
    entry = make_entry(1)
    page = lxml.html.fromstring(archive.article_page(entry))
    og = {m.get("property"): m.get("content") for m in page.xpath("//meta[@property]")}
    assert og["og:type"] == "article" and og["og:title"] == entry.title
    assert og["og:url"] == "https://news.example.org/articles/article-1.html"
    (script,) = page.xpath("//script[@type='application/ld+json']")
    data = json.loads(script.text)
    assert data["@type"] == "NewsArticle" and data["headline"] == entry.title
    assert data["isBasedOn"] == "https://example.com/story/1"
    assert data["author"] == {"@type": "Person", "name": "Reporter 1"}
    # A title that tries to close the script stays inside it.
    hostile = dataclasses.replace(
        entry, article=dataclasses.replace(entry.article, title="</script><script>alert(1)")
    )
    raw = archive.article_page(hostile).decode()
    assert "</script><script>alert" not in raw
    month = lxml.html.fromstring(archive.month_page(("2026-11", 0), newest_first(3), None, None))
    (script,) = month.xpath("//script[@type='application/ld+json']")
    collection = json.loads(script.text)
    assert collection["@type"] == "CollectionPage"
    items = collection["mainEntity"]["itemListElement"]
    assert [i["url"] for i in items] == [
        f"https://news.example.org/articles/article-{n}.html" for n in (3, 2, 1)
    ]


@pytest.mark.parametrize(
    ("schedule", "ttl", "period", "frequency"),
    [
        ("15m", "15", "hourly", "4"),
        ("1h", "60", "hourly", "1"),
        ("0 7 * * *", "1440", "daily", "1"),
    ],
)
def test_rss_freshness_follows_the_build_schedule(
    schedule: str, ttl: str, period: str, frequency: str
) -> None:
    settings = dataclasses.replace(make_settings(), schedule=ScheduleSettings(build=schedule))
    channel = etree.fromstring(render_feeds(newest_first(1), settings)["feed.rss"]).find("channel")
    assert channel.findtext("ttl") == ttl
    assert (channel.findtext(f"{SY}updatePeriod"), channel.findtext(f"{SY}updateFrequency")) == (
        period,
        frequency,
    )


def test_text_of_body_blocks_is_what_the_summary_is_compared_with() -> None:
    # A summary that only starts like the opening paragraph is shown.
    entry = make_entry(1)
    first = entry.article.blocks[0].text
    longer = dataclasses.replace(entry, summary=(first, "A sentence from further down."))
    assert lxml.html.fromstring(Archive(make_settings()).article_page(longer)).xpath(
        "//section[@class='summary']"
    )
    two = dataclasses.replace(
        entry,
        article=dataclasses.replace(
            entry.article, blocks=(Block("paragraph", "One."), Block("paragraph", "Two."))
        ),
        summary=("One.", "Two."),
    )
    assert not lxml.html.fromstring(Archive(make_settings()).article_page(two)).xpath(
        "//section[@class='summary']"
    )


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[feed]\nhubs = ["ftp://hub.example/"]\n', "feed.hubs"),
        ('[feed]\nid_authority = "https://example.org"\n', "feed.id_authority"),
        ('[feed]\ncontent = "excerpt"\n', "feed.content"),
        ('[site]\ncanonical = "original"\n', "site.canonical"),
        ("[feed]\ntopic_min_articles = 1\n", "feed.topic_min_articles"),
    ],
)
def test_new_settings_are_checked(tmp_path: Path, text: str, named: str) -> None:
    from publisher.errors import ConfigError

    config = tmp_path / "publisher.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_settings(config)
