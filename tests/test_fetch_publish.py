"""Sources on the web, published: `publisher fetch`, `publisher sources`, `publisher build`
(with and without --offline) and the daemon's build job against the fixture web, asserting
on the published feeds (read back by feedparser) and on the servers' request logs."""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from web_helpers import (
    ATOM,
    HTML,
    JSON_FEED,
    RSS,
    Answer,
    Item,
    Web,
    article_page,
    atom,
    json_feed,
    prose,
    rss,
    serving,
)

from publisher.cli import main
from publisher.config import load_settings
from publisher.schedule import Daemon
from publisher.store import Store

A, B, C = "127.0.0.2", "127.0.0.3", "127.0.0.4"
DOWN = "127.0.0.9"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def web() -> Iterator[Web]:
    with serving([A, B, C]) as fixture:
        yield fixture


@pytest.fixture
def site(tmp_path: Path, workdir: Path) -> Path:
    return tmp_path


def write_config(root: Path, sources: str) -> Path:
    config = root / "publisher.toml"
    config.write_text(
        f"""
jobs = 1

[site]
base_url = "https://news.example.org/"

[paths]
out = "out"
state = "state/state.db"

[fetch]
host_interval = "0s"
timeout = "5s"
allow_private = true

{sources}
""",
        encoding="utf-8",
    )
    return config


def source(kind: str, url: str, **options: str) -> str:
    extra = "".join(f'{key} = "{value}"\n' for key, value in options.items())
    return f'[[sources]]\n{kind} = "{url}"\nevery = "0s"\n{extra}'


def full_text(seed: int) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in prose(seed, paragraphs=5))


def entries(root: Path, name: str = "feed.atom") -> list[feedparser.FeedParserDict]:
    parsed = feedparser.parse((root / "out" / name).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return list(parsed.entries)


def run(config: Path, *args: str) -> int:
    return main([args[0], "--config", str(config), *args[1:]])


def test_feeds_of_every_kind_are_published_with_the_feeds_facts(
    web: Web, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    teaser_page = web.route(
        A, "/news/1.html", Answer(200, article_page("Page title", 1).encode(), HTML)
    )
    web.route(
        A,
        "/rss.xml",
        Answer(200, rss([Item("Bridge repairs approved", teaser_page, "t1", NOW, "<p>Teaser.</p>",
                              author="Ann Lee")]), RSS),
    )  # fmt: skip
    atom_link = web.url(B, "/story/2.html")
    web.route(
        B,
        "/atom.xml",
        Answer(200, atom([Item("Ferry pilot tested", atom_link, "urn:2", NOW - timedelta(hours=1),
                               full_text(2), author="Bo Chen")]), ATOM),
    )  # fmt: skip
    json_link = web.url(C, "/story/3.html?utm_source=feed")
    web.route(
        C,
        "/feed.json",
        Answer(200, json_feed([Item("Library plans grow", json_link, "j3", NOW - timedelta(hours=2),
                                    full_text(3))]), JSON_FEED),
    )  # fmt: skip
    config = write_config(
        site,
        source("feed", web.url(A, "/rss.xml"), name="Gazette")
        + source("feed", web.url(B, "/atom.xml"))
        + source("feed", web.url(C, "/feed.json")),
    )
    assert run(config, "build") == 0
    out = capsys.readouterr().out
    assert "3 sources polled" in out and "3 articles seen: 3 new" in out
    # The teaser's page was fetched; the full entries' pages never were.
    assert "/news/1.html" in web.paths(A)
    assert "/story/2.html" not in web.paths(B) and web.paths(C) == ["/robots.txt", "/feed.json"]
    for name in ("feed.atom", "feed.rss"):
        found = {e.title: e for e in entries(site, name)}
        assert set(found) == {"Bridge repairs approved", "Ferry pilot tested", "Library plans grow"}
    by_title = {e.title: e for e in entries(site)}
    first = by_title["Bridge repairs approved"]
    assert first.author == "Ann Lee" and first.published_parsed[:4] == (2026, 11, 20, 12)
    assert prose(1)[0][:60] in first.content[0].value  # the page's text, cleaned
    assert "Copyright The Gazette" not in first.content[0].value
    related = {link.href for link in first.links if link.rel == "related"}
    assert related == {teaser_page}
    library = json.loads((site / "out" / "feed.json").read_text())["items"]
    (item,) = [i for i in library if i["title"] == "Library plans grow"]
    assert item["external_url"] == web.url(C, "/story/3.html")  # canonical: utm_* dropped
    assert by_title["Ferry pilot tested"].author == "Bo Chen"


def test_the_feeds_own_text_wins_over_a_page_that_yields_less(web: Web, site: Path) -> None:
    short_page = (
        "<html><head><title>Short</title></head><body><article><h1>Short</h1>"
        "<p>Only a line of text here, and a second sentence to go with it.</p>"
        "</article></body></html>"
    )
    link = web.route(A, "/short.html", Answer(200, short_page.encode(), HTML))
    text = "".join(f"<p>{p}</p>" for p in prose(9, paragraphs=1))  # under 150 words
    web.route(A, "/rss.xml", Answer(200, rss([Item("Council votes", link, "c1", NOW, text)]), RSS))
    config = write_config(site, source("feed", web.url(A, "/rss.xml")))
    assert run(config, "build", "-q") == 0
    assert "/short.html" in web.paths(A)  # "auto": a short entry has its page fetched
    (entry,) = entries(site)
    assert prose(9, paragraphs=1)[0][:60] in entry.content[0].value
    assert "Only a line of text" not in entry.content[0].value


@pytest.mark.parametrize(("mode", "fetched"), [("never", False), ("always", True)])
def test_full_text_never_and_always(web: Web, site: Path, mode: str, fetched: bool) -> None:
    link = web.route(A, "/a.html", Answer(200, article_page("A page", 4).encode(), HTML))
    web.route(A, "/rss.xml", Answer(200, rss([Item("Entry", link, "e", NOW, full_text(5))]), RSS))
    config = write_config(site, source("feed", web.url(A, "/rss.xml"), full_text=mode))
    assert run(config, "build", "-q") == 0
    assert ("/a.html" in web.paths(A)) is fetched
    (entry,) = entries(site)
    assert prose(4 if fetched else 5)[0][:60] in entry.content[0].value


def test_a_retitled_or_redated_entry_updates_its_article_never_adds_one(
    web: Web, site: Path
) -> None:
    links = [web.url(A, f"/s/{i}.html") for i in (1, 2)]
    items = [
        Item("First title", links[0], "urn:1", NOW - timedelta(days=1), full_text(11)),
        Item("Second", links[1], "urn:2", NOW - timedelta(days=2), full_text(12)),
    ]
    current = {"items": items}
    web.route(A, "/atom.xml", lambda _: Answer(200, atom(current["items"]), ATOM))
    config = write_config(site, source("feed", web.url(A, "/atom.xml")))
    assert run(config, "build", "-q") == 0
    before = {e.id: e for e in entries(site)}
    pages = sorted(p.name for p in (site / "out" / "articles").iterdir())
    retitled = Item("A better title", links[0] + "?utm_campaign=x", "urn:1", items[0].published,
                    full_text(11))  # fmt: skip
    redated = Item("Second", links[1], "urn:2", NOW - timedelta(hours=3), full_text(12))
    current["items"] = [retitled, redated]
    assert run(config, "build", "-q") == 0
    after = {e.id: e for e in entries(site)}
    assert set(after) == set(before)  # the same two entries, by id
    titles = {e.id: e.title for e in after.values()}
    assert sorted(titles.values()) == ["A better title", "Second"]
    second = next(e for e in after.values() if e.title == "Second")
    assert second.published_parsed[:4] == (2026, 11, 20, 9)
    assert sorted(p.name for p in (site / "out" / "articles").iterdir()) == pages


def test_a_sites_recurring_lines_are_dropped_across_fetches(web: Web, site: Path) -> None:
    recurring = (
        "The Riverside Gazette is published every weekday by the Riverside Media Cooperative "
        "from the old mill on Harbour Street."
    )
    items = []
    for i in range(1, 6):
        page = article_page(f"Story {i}", 20 + i, extra=f"<p>{recurring}</p>").encode()
        url = web.route(A, f"/n/{i}.html", Answer(200, page, HTML))
        items.append(Item(f"Story {i}", url, f"r{i}", NOW - timedelta(hours=i), "<p>Teaser.</p>"))
    web.route(B, "/rss.xml", Answer(200, rss(items), RSS))
    config = write_config(site, source("feed", web.url(B, "/rss.xml")))
    assert run(config, "build", "-q") == 0
    bodies = [e.content[0].value for e in entries(site)]
    assert len(bodies) == 5 and not any("Riverside Media Cooperative" in b for b in bodies)
    with Store.open(site / "state" / "state.db") as store:
        groups = {row[0] for row in store.db.execute("SELECT grp FROM articles")}
    assert groups == {A}  # the site (host) is the boilerplate group


def test_pages_are_decoded_as_their_http_header_says(web: Web, site: Path) -> None:
    text = "“Quoted” caf\xe9 owners welcome the plan — Š is for Škoda."
    page = article_page("Café plan", 30, charset=None, extra=f"<p>{text}</p>")
    headers = {"Content-Type": "text/html; charset=windows-1252"}
    link = web.route(A, "/cp1252.html", Answer(200, page.encode("cp1252"), headers))
    japanese = "東京都は、新しい水道計画を発表しました。市民の多くはこの計画を歓迎しています。"
    sjis = article_page("水道計画", 31, charset=None, extra=f"<p>{japanese * 3}</p>")
    link2 = web.route(
        A, "/sjis.html", Answer(200, sjis.encode("shift_jis"), {"Content-Type": "text/html"})
    )
    items = [Item("Café plan", link, "w1", NOW, "<p>Teaser.</p>"),
             Item("水道計画", link2, "w2", NOW - timedelta(hours=1), "<p>Teaser.</p>")]  # fmt: skip
    web.route(B, "/rss.xml", Answer(200, rss(items), RSS))
    config = write_config(site, source("feed", web.url(B, "/rss.xml")))
    assert run(config, "build", "-q") == 0
    bodies = {e.title: e.content[0].value for e in entries(site)}
    assert html.escape(text, quote=False) in bodies["Café plan"]
    assert japanese in bodies["水道計画"]


def test_offline_rebuilds_from_what_was_stored_without_a_request(web: Web, site: Path) -> None:
    link = web.route(A, "/p.html", Answer(200, article_page("Stored", 40).encode(), HTML))
    web.route(A, "/rss.xml", Answer(200, rss([Item("Stored", link, "s", NOW, "<p>T.</p>")]), RSS))
    config = write_config(site, source("feed", web.url(A, "/rss.xml")))
    assert run(config, "build", "-q") == 0
    published = (site / "out" / "feed.atom").read_bytes()
    asked = len(web.requests())
    for path in sorted((site / "out").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert run(config, "build", "--offline", "-q") == 0
    assert len(web.requests()) == asked  # no request at all
    assert (site / "out" / "feed.atom").read_bytes() == published


def test_fetch_and_sources_commands(
    web: Web, site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web.route(A, "/rss.xml", Answer(200, rss([]), RSS))
    config = write_config(
        site,
        source("feed", web.url(A, "/rss.xml"), name="Up")
        + source("feed", web.url(DOWN, "/rss.xml"), name="Down"),
    )
    assert run(config, "sources") == 0
    listing = capsys.readouterr().out
    assert "not polled yet" in listing and web.requests() == []
    assert run(config, "fetch") == 0  # a failing source is not a failing run
    captured = capsys.readouterr()
    assert "2 sources polled" in captured.out
    assert captured.err.count("source Down") == 1 and "is failing: its robots.txt" in captured.err
    assert "connection refused" in captured.err
    assert run(config, "fetch") == 0  # still failing, and not due: nothing said again
    assert "source Down" not in capsys.readouterr().err
    asked = len(web.requests())
    assert run(config, "sources") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "NAME",
        "KIND",
        "STATE",
        "LAST",
        "SUCCESS",
        "NEXT",
        "POLL",
        "ARTICLES",
    ]
    up, down = lines[1:]
    assert up.split()[:3] == ["Up", "feed", "ok"] and up.split()[-1] == "0"
    assert "failing since" in down and "never" in down
    assert run(config, "sources", "--json") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["name"], r["state"]) for r in rows] == [("Up", "ok"), ("Down", "failing")]
    assert rows[1]["error"] and rows[1]["last_success"] is None and rows[1]["next_poll"]
    assert len(web.requests()) == asked  # `sources` made no request


def test_configuration_errors_exit_2(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(site, '[[sources]]\nfeed = "not a url"\n')
    assert run(config, "fetch") == 2
    assert "sources[1].feed must be an absolute http(s) URL" in capsys.readouterr().err


def test_the_old_sources_table_is_read_with_a_message(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (site / "in").mkdir()
    (site / "in" / "big.txt").write_text("Title\n\n" + "word " * 100)
    config = site / "publisher.toml"
    config.write_text(
        '[paths]\ninput = ["in"]\nout = "out"\nstate = "s.db"\n[sources]\nmax_bytes = 100\n'
    )
    assert run(config, "build", "-q") == 0
    err = capsys.readouterr().err
    assert "[sources] max_bytes has moved to [fetch] max_bytes" in err
    assert "larger than" in err and "(limit: [fetch] max_bytes)" in err


def test_the_daemons_build_job_fetches_first(
    web: Web, site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    link = web.route(A, "/p.html", Answer(200, article_page("Daemon", 50).encode(), HTML))
    web.route(A, "/rss.xml", Answer(200, rss([Item("Daemon", link, "d", NOW, "<p>T.</p>")]), RSS))
    config = write_config(
        site,
        source("feed", web.url(A, "/rss.xml")) + source("feed", web.url(DOWN, "/x"), name="Down"),
    )
    settings = load_settings(config)
    with caplog.at_level(logging.INFO, logger="publisher.daemon"):
        Daemon(settings, str(config))._job("build")
    assert "/p.html" in web.paths(A)
    assert "source Down" in caplog.text and "is failing" in caplog.text
    with Store.open(settings.paths.state) as store:
        last = store.last_job("build")
    assert last is not None and last[1] == "ok" and last[2] is not None
    assert last[2].startswith("2 sources polled") and "1 new" in last[2]
    assert [e.title for e in entries(site)] == ["Daemon"]
