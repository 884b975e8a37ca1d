"""Feeds per topic and per source site, their pages, feeds.html and feeds.opml, through real
builds: the same entry ids as the main feed, valid by the validator's rules, read by
feedparser and newsboat, and rewritten only when their own articles change."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree
from test_feeds_helpers import ATOM, atom_problems, rss_problems

from publisher.build import build
from publisher.config import Settings, load_settings
from publisher.render.directory import name_slug
from publisher.store import Store
from publisher.store.schema import MIGRATIONS

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
THINGS = ("harbour", "tram", "library")
TOWNS = ("Aldford", "Brent", "Carrow", "Dunmore", "Elsham", "Fenwick", "Garth")


def add(directory: Path, n: int) -> None:
    thing, town = THINGS[n % len(THINGS)], TOWNS[n % len(TOWNS)]
    text = (
        f"{town} council backs the {thing} plan, report {n}\n\n"
        f"The {thing} plan won the council's backing in {town} after a long debate. The "
        f"{thing} will cost {n + 3} million, and the {thing} works start next spring.\n\n"
        f"Residents of {town} said the {thing} mattered more than anything else this year; "
        f"report {n} counts {n * 13 + 7} letters about the {thing}.\n"
    )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{n:03d}.txt").write_text(text, encoding="utf-8")


@pytest.fixture
def settings(tmp_path: Path, workdir: Path) -> Settings:
    for n in range(18):
        add(tmp_path / ("alpha" if n % 2 else "beta"), n)
    config = tmp_path / "publisher.toml"
    config.write_text(
        '[site]\nbase_url = "https://news.example.org/"\n'
        '[paths]\ninput = ["alpha", "beta"]\nout = "out"\nstate = "state.db"\n'
        "[feed]\ntopic_min_articles = 5\n",
        encoding="utf-8",
    )
    return load_settings(config, {"jobs": 1})


def feed_ids(path: Path) -> list[str]:
    return [e.findtext(f"{ATOM}id") for e in etree.parse(str(path)).iter(f"{ATOM}entry")]


def test_topics_and_sites_have_feeds_with_the_main_feeds_ids(settings: Settings) -> None:
    build(settings, now=T0)
    out = settings.paths.out
    with Store.open(settings.paths.state) as store:
        topics = store.facet_prints("topic", at_least=5)
        records = {r.id: r for r in store.articles()}
    assert {"harbour", "tram", "library"} <= set(topics)
    main_ids = set(feed_ids(out / "feed.atom"))
    for name in topics:
        stem = f"feeds/topic/{name_slug(name)}"
        ids = feed_ids(out / f"{stem}.atom")
        assert len(ids) == topics[name][0]
        assert set(ids) <= main_ids  # every article is in the main feed here: same ids
        for entry_id in ids:
            assert name in records[entry_id.rsplit(":", 1)[1]].payload.keywords
        data = (out / f"{stem}.atom").read_bytes()
        assert atom_problems(data, settings.url(f"{stem}.atom")) == []
        rss = (out / f"{stem}.rss").read_bytes()
        page = settings.url(f"topics/{name_slug(name)}.html")
        assert rss_problems(rss, settings.url(f"{stem}.rss"), page) == []
        for kind in ("atom", "rss"):
            assert not feedparser.parse((out / f"{stem}.{kind}").read_bytes()).bozo
        feed = json.loads((out / f"{stem}.json").read_text("utf-8"))
        assert [item["id"] for item in feed["items"]] == ids
        assert feed["feed_url"] == settings.url(f"{stem}.json")
    # A site per input directory: its articles, all of them and no other.
    for site, parity in (("alpha", 1), ("beta", 0)):
        ids = feed_ids(out / f"feeds/site/{site}.atom")
        assert len(ids) == 9
        assert all(records[i.rsplit(":", 1)[1]].group == site for i in ids)
        assert all(int(records[i.rsplit(":", 1)[1]].source_key[-7:-4]) % 2 == parity for i in ids)


def test_feedparser_reads_every_feed(settings: Settings) -> None:
    build(settings, now=T0)
    out = settings.paths.out
    feeds = [*out.glob("*.atom"), *out.glob("*.rss"), *out.glob("feeds/*/*.*")]
    assert len(feeds) > 20
    for path in feeds:
        if path.suffix == ".json":
            assert json.loads(path.read_bytes())["version"].startswith("https://jsonfeed.org/")
            continue
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.entries or path.name == "digests.atom", path


def test_the_feeds_page_and_opml_list_every_feed(settings: Settings) -> None:
    build(settings, now=T0)
    out = settings.paths.out
    opml = etree.parse(str(out / "feeds.opml")).getroot()
    urls = [o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")]
    stems = ["feed", *(f"feeds/{p.parent.name}/{p.stem}" for p in (out / "feeds").glob("*/*.atom"))]
    stems = [s for s in stems if "/archive/" not in s]
    assert sorted(urls) == sorted(settings.url(f"{stem}.atom") for stem in stems)
    for outline in opml.iter("outline"):
        if outline.get("xmlUrl"):
            assert outline.get("type") == "rss" and outline.get("htmlUrl").startswith("https://")
    page = lxml.html.fromstring((out / "feeds.html").read_bytes())
    hrefs = page.xpath("//main//a/@href")
    for stem in stems:
        for ext in ("atom", "rss", "json"):
            assert f"{stem}.{ext}" in hrefs, stem
    # Each topic shows its newest headlines, linked to their pages.
    harbour = page.xpath("//h3[a='harbour']/..")[0]
    headlines = harbour.xpath(".//ul[@class='headlines']/li/a")
    assert len(headlines) == 3 and all("harbour plan" in a.text for a in headlines)
    assert all((out / a.get("href")).is_file() for a in headlines)


def test_keyword_pills_link_topics_and_leave_other_words_plain(settings: Settings) -> None:
    build(settings, now=T0)
    out = settings.paths.out
    with Store.open(settings.paths.state) as store:
        topics = set(store.facet_prints("topic", at_least=5))
        record = next(r for r in store.articles() if "harbour" in r.payload.keywords)
    page = lxml.html.fromstring((out / f"articles/{record.slug}.html").read_bytes())
    pills = page.xpath("//ul[@class='keywords']/li/*")
    assert [p.text for p in pills] == list(record.payload.keywords)
    for pill in pills:
        if pill.text in topics:
            assert pill.tag == "a" and pill.get("class") == "topic"
            target = out / "articles" / pill.get("href")
            assert target.resolve() == (out / f"topics/{name_slug(pill.text)}.html").resolve()
            topic = lxml.html.fromstring(target.read_bytes())
            feeds = topic.xpath("//p[@class='subscribe']/a/@href")
            assert [f.rsplit(".", 1)[1] for f in feeds] == ["atom", "rss", "json"]
        else:
            assert pill.tag == "span"  # a word, not a link


def test_a_new_article_rewrites_only_its_own_topics_and_site(settings: Settings) -> None:
    build(settings, now=T0)
    out = settings.paths.out
    before = {p: p.read_bytes() for p in (out / "feeds").glob("*/*")}
    add(settings.paths.input[0], 19)  # a "tram" article from alpha
    report = build(settings, now=T0 + timedelta(minutes=5))
    facets = sorted(w for w in report.written if w.startswith(("feeds/topic", "feeds/site")))
    assert "feeds/site/beta.atom" not in facets and "feeds/site/alpha.atom" in facets
    assert "feeds/topic/tram.atom" in facets and "feeds/topic/harbour.atom" not in facets
    for path, data in before.items():
        if path.relative_to(out).as_posix() not in report.written:
            assert path.read_bytes() == data


NEWSBOAT = shutil.which("newsboat")


@pytest.mark.skipif(NEWSBOAT is None and os.environ.get("CI") != "true", reason="no newsboat")
def test_newsboat_reads_every_feed(settings: Settings, tmp_path: Path) -> None:
    assert NEWSBOAT is not None, "newsboat is required in CI"
    build(settings, now=T0)
    out = settings.paths.out
    feeds = sorted(
        [
            out / "feed.atom",
            out / "feed.rss",
            *out.glob("feeds/*/*.atom"),
            *out.glob("feeds/*/*.rss"),
        ]
    )
    urls = tmp_path / "urls"
    urls.write_text("".join(f.as_uri() + "\n" for f in feeds))
    home = tmp_path / "home"
    home.mkdir()
    (home / "config").write_text("")
    result = subprocess.run(
        [
            NEWSBOAT,
            "-u",
            str(urls),
            "-c",
            str(home / "cache.db"),
            "-C",
            str(home / "config"),
            "-x",
            "reload",
            "print-unread",
        ],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"},
        timeout=120,
        check=True,
    )
    # Every feed holds the same ids for the same articles: newsboat, which knows items by
    # their guid, shows each article once however many feeds carry it.
    match = re.search(r"^(\d+) unread articles?$", result.stdout, re.MULTILINE)
    assert match, result.stdout + result.stderr
    every = {i for f in feeds if f.suffix == ".atom" for i in feed_ids(f)}
    assert int(match.group(1)) == len(every) == 18
    with sqlite3.connect(home / "cache.db") as cache:
        fetched = {url for (url,) in cache.execute("SELECT rssurl FROM rss_feed")}
    assert fetched == {f.as_uri() for f in feeds}


def _counted(
    state: Path,
) -> tuple[dict[tuple[str, str], tuple[int, int]], dict[tuple[str, str], tuple[int, int]]]:
    """The facets' counts as the triggers keep them, and as counted over every article."""
    db = sqlite3.connect(state)
    try:
        kept = {
            (kind, name): (total, shown)
            for kind, name, total, shown in db.execute(
                "SELECT kind, name, total, shown FROM facet_counts WHERE total > 0"
            )
        }
        counted = {
            (kind, name): (total, shown)
            for kind, name, total, shown in db.execute(
                "SELECT f.kind, f.name, COUNT(*), "
                "SUM(a.duplicate_of IS NULL AND a.removed IS NULL) "
                "FROM facets f JOIN articles a ON a.id = f.article GROUP BY 1, 2"
            )
        }
    finally:
        db.close()
    return kept, counted


def test_the_facets_counts_and_times_kept_by_triggers_are_those_of_the_articles(
    settings: Settings,
) -> None:
    from publisher.build.unpublish import unpublish

    build(settings, now=T0)
    kept, counted = _counted(settings.paths.state)
    assert kept == counted and len(kept) > 5
    alpha, beta = settings.paths.input
    # A copy (a duplicate is a facet row of no published article), an edit that changes an
    # article's words, and an unpublished article.
    shutil.copy(alpha / "001.txt", beta / "101.txt")
    path = beta / "002.txt"
    path.write_text(path.read_text("utf-8").replace("library", "museum"), "utf-8")
    build(settings, now=T0 + timedelta(minutes=5))
    with Store.open(settings.paths.state) as store:
        (victim,) = [r.id for r in store.articles() if r.source_key.endswith("004.txt")]
    unpublish(settings, [victim], T0 + timedelta(minutes=10))
    kept, counted = _counted(settings.paths.state)
    assert kept == counted
    assert any(total > shown for total, shown in kept.values())  # the copy, the unpublished
    # Each facet row carries its article's times (in microseconds), which order a facet's
    # feed.
    db = sqlite3.connect(settings.paths.state)
    try:
        rows = db.execute(
            "SELECT f.published, f.last_changed, a.published, a.last_changed "
            "FROM facets f JOIN articles a ON a.id = f.article"
        ).fetchall()
    finally:
        db.close()
    assert rows
    assert all((fp, fc) == (_micros(ap), _micros(ac)) for fp, fc, ap, ac in rows)
    # And they are exactly those the articles' payloads name (the triggers find an
    # article's rows from its payload: none may be left behind).
    db = sqlite3.connect(settings.paths.state)
    try:
        held = db.execute("SELECT kind, name, article FROM facets").fetchall()
        named = db.execute(
            "SELECT 'topic', k.value, a.id FROM articles a, json_each(a.data, '$.keywords') k "
            "UNION SELECT 'site', COALESCE(NULLIF(json_extract(data, '$.article.site'), ''), "
            "grp), id FROM articles"
        ).fetchall()
    finally:
        db.close()
    assert sorted(held) == sorted(set(named))
    with Store.open(settings.paths.state) as store:
        shown = store.facet_prints("site")
    assert {name: count for name, (count, _) in shown.items()} == {
        name: s for (kind, name), (_, s) in counted.items() if kind == "site" and s
    }


def _micros(stored: str) -> int:
    """A stored time in whole microseconds since 1970, as the facet rows carry it."""
    delta = datetime.fromisoformat(stored) - datetime(1970, 1, 1, tzinfo=UTC)
    return delta // timedelta(microseconds=1)


def test_facet_rows_of_a_version_12_database_keep_their_order_when_migrated(
    tmp_path: Path,
) -> None:
    """Migration 12 -> 13 stores the facet rows' times as microseconds, the rows ordered by
    them: a facet's newest are the same, to the microsecond (SQLite's own date functions
    would round to the millisecond) and before 1970 too."""
    path = tmp_path / "state.db"
    old = sqlite3.connect(path)
    old.executescript("".join(MIGRATIONS[:12]) + "PRAGMA user_version = 12;")
    times = [
        ("2026-03-02T08:00:00.999999+00:00", "2026-03-02T09:00:00.000000+00:00"),
        ("2026-03-02T08:00:01.000000+00:00", "2026-03-02T08:00:01.000000+00:00"),
        ("2026-03-02T08:00:00.999999+00:00", "2026-03-02T09:00:00.000001+00:00"),
        ("1969-12-31T23:59:59.500000+00:00", "2026-03-02T09:00:00.000000+00:00"),
    ]
    for n, (published, changed) in enumerate(times):
        data = json.dumps({"keywords": ["tram", "harbour"], "article": {"site": "Gazette"}})
        old.execute(
            "INSERT INTO articles (id, source_key, source, grp, size, mtime, content_hash, "
            "body_hash, slug, first_seen, last_changed, published, data) "
            "VALUES (?, ?, ?, 'g', 1, 0, 'c', 'b', ?, ?, ?, ?, ?)",
            (f"a{n}", f"k{n}", f"s{n}", f"slug-{n}", changed, changed, published, data),
        )
    old.commit()
    before = {
        name: [
            row[0]
            for row in old.execute(
                "SELECT f.article FROM facets f JOIN articles a ON a.id = f.article "
                "WHERE f.name = ? ORDER BY a.published DESC, a.last_changed DESC, a.id",
                (name,),
            )
        ]
        for name in ("tram", "harbour", "Gazette")
    }
    old.close()
    with Store.open(path) as store:
        after = {
            name: [record.id for record in store.facet_articles(kind, name, limit=10)]
            for kind, name in (("topic", "tram"), ("topic", "harbour"), ("site", "Gazette"))
        }
        rows = store.db.execute(
            "SELECT f.published, f.last_changed, a.published, a.last_changed "
            "FROM facets f JOIN articles a ON a.id = f.article"
        ).fetchall()
        plan = " ".join(
            row[-1]
            for row in store.db.execute(
                "EXPLAIN QUERY PLAN SELECT article FROM facets WHERE kind = 'topic' "
                "AND name = 'tram' ORDER BY published DESC, last_changed DESC, article"
            )
        )
    newest_first = ["a1", "a2", "a0", "a3"]
    assert after == before == dict.fromkeys(before, newest_first)
    assert len(rows) == 12
    assert all((fp, fc) == (_micros(ap), _micros(ac)) for fp, fc, ap, ac in rows)
    assert "TEMP B-TREE" not in plan
