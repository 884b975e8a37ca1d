"""The feed's complete history (RFC 5005) and the sitemaps, through real builds months apart:
a reader walking prev-archive from feed.atom finds every published article exactly once,
and the documents of a month that is over are never written again."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from test_feeds_helpers import ATOM, atom_problems

from publisher.build import build, history
from publisher.config import Settings, load_settings
from publisher.models import RunReport
from publisher.store import Store

FH = "{http://purl.org/syndication/history/1.0}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
MARCH = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 12, 8, 0, tzinfo=UTC)
MAY = datetime(2026, 5, 14, 8, 0, tzinfo=UTC)
TOWNS = ("Aldford", "Brent", "Carrow", "Dunmore", "Elsham", "Fenwick", "Garth", "Holt", "Ives")


def add(settings: Settings, n: int, dateline: str = "") -> None:
    town = TOWNS[n % len(TOWNS)]
    text = (
        f"{town} opens inquiry number {n} into the ferry contract\n\n"
        + (f"{dateline}\n\n" if dateline else "")
        + f"The council of {town} opened inquiry {n} after questions about the "
        f"ferry contract signed last year. Officials said {n * 11 + 40} documents would be "
        f"published.\n\nThe inquiry in {town} is expected to report within {n + 2} months, "
        "the mayor told reporters outside the town hall.\n"
    )
    (settings.paths.input[0] / f"{n:03d}.txt").write_text(text, encoding="utf-8")


@pytest.fixture
def settings(tmp_path: Path, workdir: Path) -> Settings:
    (tmp_path / "inbox").mkdir()
    return load_settings(
        None,
        {
            "paths.input": [tmp_path / "inbox"],
            "paths.out": tmp_path / "out",
            "paths.state": tmp_path / "state.db",
            "jobs": 1,
        },
    )


def walk(out: Path, settings: Settings) -> list[tuple[str, list[str]]]:
    """Follow prev-archive from feed.atom: (document, entry ids) of each archive document."""
    root = etree.parse(str(out / "feed.atom")).getroot()
    seen: list[tuple[str, list[str]]] = []
    link = root.find(f"{ATOM}link[@rel='prev-archive']")
    for _ in range(100):
        if link is None:
            return seen
        path = link.get("href").removeprefix(settings.base_url)
        data = (out / path).read_bytes()
        assert atom_problems(data, settings.url(path)) == [], path
        assert not feedparser.parse(data).bozo
        document = etree.fromstring(data)
        assert document.find(f"{FH}archive") is not None, path
        current = document.find(f"{ATOM}link[@rel='current']")
        assert current.get("href") == settings.url("feed.atom")
        ids = [entry.findtext(f"{ATOM}id") for entry in document.iter(f"{ATOM}entry")]
        seen.append((path, ids))
        link = document.find(f"{ATOM}link[@rel='prev-archive']")
    raise AssertionError("the prev-archive chain does not end")


def three_months(settings: Settings) -> list[RunReport]:
    reports = []
    for numbers, when in ((range(4), MARCH), (range(4, 7), APRIL), (range(7, 10), MAY)):
        for n in numbers:
            add(settings, n)
        reports.append(build(settings, now=when))
    return reports


def test_walking_the_history_finds_every_article_once(settings: Settings) -> None:
    three_months(settings)
    out = settings.paths.out
    chain = walk(out, settings)
    assert [path for path, _ in chain] == [
        "feeds/archive/2026-05.atom",
        "feeds/archive/2026-04.atom",
        "feeds/archive/2026-03.atom",
    ]
    found = [entry_id for _, ids in chain for entry_id in ids]
    with Store.open(settings.paths.state) as store:
        published = [record.id for record in store.articles()]
    assert len(found) == len(set(found)) == len(published) == 10
    main = {
        e.findtext(f"{ATOM}id") for e in etree.parse(str(out / "feed.atom")).iter(f"{ATOM}entry")
    }
    assert {i.rsplit(":", 1)[1] for i in found} == set(published)
    assert main <= set(found)  # the same ids as the subscription feed
    # Each month links its neighbours both ways; the oldest has no prev-archive.
    march = etree.parse(str(out / "feeds/archive/2026-03.atom")).getroot()
    assert march.find(f"{ATOM}link[@rel='prev-archive']") is None
    nxt = march.find(f"{ATOM}link[@rel='next-archive']").get("href")
    assert nxt == settings.url("feeds/archive/2026-04.atom")
    may = etree.parse(str(out / "feeds/archive/2026-05.atom")).getroot()
    assert may.find(f"{ATOM}link[@rel='next-archive']") is None


def test_a_month_that_is_over_is_never_written_again(settings: Settings) -> None:
    reports = three_months(settings)
    out = settings.paths.out
    march = (out / "feeds/archive/2026-03.atom").read_bytes()
    march_map = (out / "sitemaps/2026-03.xml").read_bytes()
    # April's build closed March (its next-archive appeared); May's left it alone.
    assert "feeds/archive/2026-03.atom" in reports[1].written
    assert "feeds/archive/2026-03.atom" not in reports[2].written
    assert "sitemaps/2026-03.xml" not in reports[2].written
    # A March article edited in May, and a late report dated in March: March stays as it
    # was; the late report is filed in the newest month, the edit shows in the feed.
    path = settings.paths.input[0] / "001.txt"
    edited = path.read_text("utf-8").replace("Officials said", "Officials now say that")
    path.write_text(edited, encoding="utf-8")
    add(settings, 20, dateline="March 3, 2026")
    report = build(settings, now=MAY + timedelta(days=1))
    assert report.new == 1 and report.changed == 1
    assert (out / "feeds/archive/2026-03.atom").read_bytes() == march
    assert (out / "sitemaps/2026-03.xml").read_bytes() == march_map
    assert not any(w.endswith("2026-03.atom") or w.endswith("2026-03.xml") for w in report.written)
    chain = dict(walk(out, settings))
    found = [i for ids in chain.values() for i in ids]
    assert len(found) == len(set(found)) == 11
    with Store.open(settings.paths.state) as store:
        (late,) = [r for r in store.articles() if r.source_key == "inbox/020.txt"]
    assert late.published.month == 3  # its own date, shown as such
    assert any(i.endswith(late.id) for i in chain["feeds/archive/2026-05.atom"])
    assert (out / "feeds/archive/2026-04.atom").read_bytes().count(b"<entry>") == 3
    assert (out / "feeds/archive/2026-03.atom").read_bytes().count(b"<entry>") == 4
    # A rebuild with the presentation changed (a new site title) leaves closed months alone.
    renamed = replace(settings, site=replace(settings.site, title="The Ferry Inquiry"))
    report = build(renamed, now=MAY + timedelta(days=1))
    assert "feeds/archive/2026-05.atom" in report.written
    assert (out / "feeds/archive/2026-03.atom").read_bytes() == march


def test_sitemaps_index_every_month_and_the_news(settings: Settings) -> None:
    three_months(settings)
    out = settings.paths.out
    index = etree.parse(str(out / "sitemap.xml")).getroot()
    listed = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert listed == [
        settings.url(p)
        for p in (
            "sitemaps/pages.xml",
            "sitemaps/news.xml",
            "sitemaps/2026-03.xml",
            "sitemaps/2026-04.xml",
            "sitemaps/2026-05.xml",
        )
    ]
    pages = [
        loc.text.removeprefix(settings.base_url)
        for name in ("2026-03", "2026-04", "2026-05")
        for loc in etree.parse(str(out / f"sitemaps/{name}.xml")).iter(f"{SITEMAP}loc")
    ]
    assert sorted(pages) == sorted(f"articles/{p.name}" for p in (out / "articles").iterdir())
    others = etree.parse(str(out / "sitemaps/pages.xml")).getroot()
    others_listed = {
        loc.text.removeprefix(settings.base_url) for loc in others.iter(f"{SITEMAP}loc")
    }
    assert {"index.html", "feeds.html", "search.html", "archive/2026-03.html"} <= others_listed
    # The news sitemap: what was published in the two days before the last build.
    news = etree.parse(str(out / "sitemaps/news.xml")).getroot()
    titles = [t.text for t in news.iter(f"{NEWS}title")]
    assert len(titles) == 3 and all(re.search(r"inquiry number [789] ", t) for t in titles)
    assert {n.text for n in news.iter(f"{NEWS}language")} == {"en"}
    # Two days later the news sitemap empties, though no article changed.
    report = build(settings, now=MAY + timedelta(days=3))
    assert report.written == ("sitemaps/news.xml",)
    assert list(etree.parse(str(out / "sitemaps/news.xml")).getroot()) == []


def test_robots_txt_only_at_a_host_root(settings: Settings, tmp_path: Path) -> None:
    add(settings, 1)
    build(settings, now=MARCH)
    robots = (settings.paths.out / "robots.txt").read_text(encoding="utf-8")
    assert robots.endswith(f"Sitemap: {settings.url('sitemap.xml')}\n")
    config = tmp_path / "sub.toml"
    config.write_text('[site]\nbase_url = "https://example.org/news/"\n', encoding="utf-8")
    sub = load_settings(
        config,
        {
            "paths.input": list(settings.paths.input),
            "paths.out": tmp_path / "sub-out",
            "paths.state": tmp_path / "sub.db",
        },
    )
    build(sub, now=MARCH)
    assert not (sub.paths.out / "robots.txt").exists()
    assert (sub.paths.out / "sitemap.xml").is_file()


def test_a_busy_month_is_split_and_a_new_article_rewrites_only_its_last_part(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "HISTORY_PART", 3)
    for n in range(7):
        add(settings, n)
    build(settings, now=MARCH)
    out = settings.paths.out
    chain = walk(out, settings)
    assert [path for path, _ in chain] == [
        "feeds/archive/2026-03-3.atom",
        "feeds/archive/2026-03-2.atom",
        "feeds/archive/2026-03.atom",
    ]
    assert [len(ids) for _, ids in chain] == [1, 3, 3]
    add(settings, 7)
    report = build(settings, now=MARCH + timedelta(hours=1))
    assert sorted(w for w in report.written if w.startswith("feeds/archive/")) == [
        "feeds/archive/2026-03-3.atom"
    ]
    found = [i for _, ids in walk(out, settings) for i in ids]
    assert len(found) == len(set(found)) == 8


def _sitemap_pages(out: Path, name: str) -> list[tuple[str, str]]:
    root = etree.parse(str(out / name)).getroot()
    return [
        (u.findtext(f"{SITEMAP}loc"), u.findtext(f"{SITEMAP}lastmod"))
        for u in root.iter(f"{SITEMAP}url")
    ]


def test_a_busy_month_s_sitemap_is_split_and_only_the_changed_parts_are_rewritten(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "SITEMAP_PART", 3)
    for n in range(7):
        add(settings, n)
    build(settings, now=MARCH)
    out = settings.paths.out
    parts = ["sitemaps/2026-03.xml", "sitemaps/2026-03-2.xml", "sitemaps/2026-03-3.xml"]
    assert [len(_sitemap_pages(out, p)) for p in parts] == [3, 3, 1]
    index = etree.parse(str(out / "sitemap.xml")).getroot()
    listed = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert listed[2:] == [settings.url(p) for p in parts]
    # A new article: only the last part is read and written.
    add(settings, 7)
    report = build(settings, now=MARCH + timedelta(hours=1))
    assert sorted(w for w in report.written if w.startswith("sitemaps/2026")) == [parts[2]]
    # An edit of an article of the second part: its part is rewritten, not the first (the
    # parts after it are rendered again, and unchanged, not written).
    path = settings.paths.input[0] / "004.txt"
    path.write_text(path.read_text("utf-8").replace("Officials said", "Officials say"), "utf-8")
    report = build(settings, now=MARCH + timedelta(hours=2))
    assert report.changed == 1
    assert sorted(w for w in report.written if w.startswith("sitemaps/2026")) == [parts[1]]
    # A no-op writes none; a deleted part is written again.
    assert build(settings, now=MARCH + timedelta(hours=3)).written == ()
    (out / parts[0]).unlink()
    report = build(settings, now=MARCH + timedelta(hours=4))
    assert [w for w in report.written if w.startswith("sitemaps/2026")] == [parts[0]]
    # Whatever the steps, the sitemaps list the pages of a cold build of the same articles,
    # in the same parts, each with its article's latest change.
    cold = replace(
        settings,
        paths=replace(settings.paths, out=tmp_path / "cold", state=tmp_path / "cold.db"),
    )
    build(cold, now=MARCH + timedelta(hours=4))
    for name in parts:
        pages, cold_pages = _sitemap_pages(out, name), _sitemap_pages(cold.paths.out, name)
        assert [loc for loc, _ in pages] == [loc for loc, _ in cold_pages], name
    with Store.open(settings.paths.state) as store:
        changed = {
            settings.url(f"articles/{r.slug}.html"): r.last_changed for r in store.articles()
        }
    listed = [page for name in parts for page in _sitemap_pages(out, name)]
    assert len(listed) == len(changed) == 8
    for loc, lastmod in listed:
        assert datetime.fromisoformat(lastmod) == changed[loc].replace(microsecond=0), loc
