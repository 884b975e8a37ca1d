"""End to end: `publisher build` on the seeds, outputs read back by real consumers."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
import urllib.request
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from cli_helpers import build_argv
from lxml import etree, html

from publisher.build import build
from publisher.cli import main
from publisher.config import PathSettings, ScheduleSettings, Settings
from publisher.mailing.account import preferences_endpoint
from publisher.mailing.signup import signup_endpoints
from publisher.mailing.unsubscribe import unsubscribe_endpoint
from publisher.serve import make_server

FEEDS = ("feed.atom", "feed.rss")


def _build(inputs: Path, out: Path, state: Path, *extra: str) -> int:
    return main(build_argv(inputs, out, state, *extra))


@pytest.fixture
def published(seeds_copy: Path, tmp_path: Path, workdir: Path) -> tuple[Path, Path, Path]:
    out, state = tmp_path / "out", tmp_path / "state" / "state.db"
    assert _build(seeds_copy, out, state, "-q") == 0
    return seeds_copy, out, state


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_outputs_are_complete_and_well_formed(published: tuple[Path, Path, Path]) -> None:
    _, out, _ = published
    names = set(_snapshot(out))
    expected = {
        "feed.atom",
        "feed.rss",
        "feed.json",
        "digest.html",
        "digest.txt",
        "digest.eml",
        "index.html",
        "style.css",
        "digests.atom",
    }
    assert expected <= names
    assert len([n for n in names if n.startswith("articles/")]) == 5
    for name in ("feed.atom", "feed.rss", "digests.atom"):
        etree.fromstring((out / name).read_bytes())  # raises when not well-formed
    index = html.fromstring((out / "index.html").read_bytes())
    links = index.xpath("//ol[@class='entries']//a/@href")
    assert len(links) == 5 and all(link.startswith("articles/") for link in links)
    for link in links:
        assert (out / link).is_file()


def test_feeds_read_back_by_a_feed_reader(published: tuple[Path, Path, Path]) -> None:
    _, out, _ = published
    parsed = {name: feedparser.parse((out / name).read_bytes()) for name in FEEDS}
    for name, feed in parsed.items():
        assert not feed.bozo, (name, feed.get("bozo_exception"))
        assert len(feed.entries) == 5
        titles = {e.title for e in feed.entries}
        assert "The Taliban Receive Impetus After A Visit To China" in titles
        assert "Taliban Rule Faces Its First Challenges" in titles
        for entry in feed.entries:
            assert entry.link.startswith("http://localhost:8000/articles/")
            assert entry.id and entry.published_parsed
    atom_ids = {e.id for e in parsed["feed.atom"].entries}
    rss_ids = {e.id for e in parsed["feed.rss"].entries}
    assert atom_ids == rss_ids and len(atom_ids) == 5


def test_rebuild_is_byte_identical(published: tuple[Path, Path, Path]) -> None:
    seeds, out, state = published
    before = _snapshot(out)
    time.sleep(1.1)  # a later clock must not change anything
    assert _build(seeds, out, state, "-q") == 0
    assert _snapshot(out) == before


def test_ids_survive_edits_and_a_fresh_state_elsewhere(
    published: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    seeds, out, state = published
    ids = {e.id for e in feedparser.parse((out / "feed.atom").read_bytes()).entries}
    target = seeds / "003_cf21609571e7f081.txt"
    target.write_text(target.read_text().replace("isn’t going without a hitch", "has hit trouble"))
    os.utime(target, (time.time() + 5, time.time() + 5))
    assert _build(seeds, out, state, "-q") == 0
    edited = feedparser.parse((out / "feed.atom").read_bytes())
    assert {e.id for e in edited.entries} == ids
    assert any(
        "has hit trouble" in e.summary or "has hit trouble" in e.content[0].value
        for e in edited.entries
    )
    # Another checkout path and an empty state database give the same ids.
    moved = tmp_path / "elsewhere" / "seeds"
    moved.parent.mkdir()
    seeds.rename(moved)
    other_out, other_state = tmp_path / "out2", tmp_path / "state2.db"
    assert _build(moved, other_out, other_state, "-q") == 0
    assert {e.id for e in feedparser.parse((other_out / "feed.atom").read_bytes()).entries} == ids


def test_report_and_bad_files(
    seeds_copy: Path, tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (seeds_copy / "zz_empty.txt").write_text("")
    (seeds_copy / "zz_binary.txt").write_bytes(bytes(range(256)) * 8)
    out, state = tmp_path / "out", tmp_path / "state.db"
    assert _build(seeds_copy, out, state) == 0
    captured = capsys.readouterr()
    assert "7 articles seen: 5 new, 0 changed, 0 unchanged, 2 skipped" in captured.out
    assert f"skipped {seeds_copy / 'zz_empty.txt'}: empty file" in captured.err
    assert "zz_binary.txt: binary file" in captured.err
    assert "browse: publisher serve" in captured.out and "index.html" in captured.out
    # Quiet and unchanged: nothing at all on stdout, and known bad files are not re-reported.
    assert _build(seeds_copy, out, state, "-q") == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_new_articles_and_exact_duplicates(published: tuple[Path, Path, Path]) -> None:
    seeds, out, state = published
    (seeds / "100_copy.txt").write_bytes((seeds / "000_01eb114c8c4cb670.txt").read_bytes())
    (seeds / "101_new.txt").write_text(
        "Harbour Bridge Reopens After Two Years of Repairs\n\n"
        "The city's harbour bridge reopened to traffic on Saturday after two years of repairs.\n\n"
        "Engineers replaced more than 3,000 rivets and repainted the entire steel span.\n\n"
        "The mayor said the project finished on budget and a month ahead of schedule.\n\n"
        "Commuters had faced detours of up to forty minutes while the bridge was closed.\n"
    )
    assert _build(seeds, out, state, "-q") == 0
    feed = feedparser.parse((out / "feed.atom").read_bytes())
    titles = [e.title for e in feed.entries]
    assert len(titles) == 6 and len(set(titles)) == 6
    assert "Harbour Bridge Reopens After Two Years of Repairs" in titles
    with sqlite3.connect(state) as db:
        ((dupes,),) = db.execute("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL")
    assert dupes == 1


def test_entries_have_distinct_updated_times(published: tuple[Path, Path, Path]) -> None:
    _, out, _ = published
    tree = etree.fromstring((out / "feed.atom").read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    updated = tree.xpath("/a:feed/a:entry/a:updated/text()", namespaces=ns)
    assert len(updated) == 5 and len(set(updated)) == 5
    assert tree.xpath("/a:feed/a:updated/text()", namespaces=ns)[0] == max(updated)


def test_lock_held_exits_75(
    seeds_copy: Path, tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from publisher.store import run_lock

    state = tmp_path / "state.db"
    with run_lock(state):
        # flock locks are per open file description, so a second open in-process conflicts.
        assert _build(seeds_copy, tmp_path / "out", state) == 75
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "another publisher run" in err


def test_reports_of_one_story_link_each_other(published: tuple[Path, Path, Path]) -> None:
    _, out, _ = published
    pages = {p.name: p.read_text(encoding="utf-8") for p in (out / "articles").iterdir()}
    (escalation,) = [text for name, text in pages.items() if name.startswith("escalation-")]
    (boast,) = [text for name, text in pages.items() if name.startswith("the-taliban-boast-")]
    assert "Also reported" in escalation and "the-taliban-boast-" in escalation
    assert "Also reported" in boast and "escalation-in-afghanistan" in boast
    # The other seeds are other stories.
    alone = [t for n, t in pages.items() if not n.startswith(("escalation-", "the-taliban-boast-"))]
    assert len(alone) == 3 and not any("Also reported" in text for text in alone)


def test_right_to_left_articles_are_laid_out_right_to_left(
    published: tuple[Path, Path, Path],
) -> None:
    # An Arabic article on an English site: its title, summary and body take their own
    # direction and language, and a right-to-left byline cannot reorder the rest of its line.
    seeds, out, state = published
    paragraphs = "".join(
        f"<p>{text}</p>"
        for text in (
            "وافق مجلس المدينة يوم الثلاثاء على خطة جديدة للنقل العام تشمل خطوط حافلات جديدة.",
            "وقال رئيس البلدية إن المشروع سيكلف خمسة ملايين يورو وسيستغرق ثلاث سنوات.",
            "وأعرب بعض السكان عن قلقهم من الضوضاء أثناء أعمال البناء خلال أشهر الصيف.",
            "ومن المتوقع أن تبدأ الأعمال في الربيع المقبل وفقا لمسؤولين تحدثوا إلى الصحفيين.",
        )
    )
    (seeds / "102_arabic.html").write_text(
        '<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        "<title>مجلس المدينة يوافق على خطة جديدة للنقل</title>"
        '<meta name="author" content="أحمد علي"></head><body><article>'
        f"<h1>مجلس المدينة يوافق على خطة جديدة للنقل</h1>{paragraphs}</article></body></html>",
        encoding="utf-8",
    )
    assert _build(seeds, out, state, "-q") == 0
    (page,) = [
        html.fromstring(p.read_bytes())
        for p in (out / "articles").iterdir()
        if "مجلس" in p.read_text(encoding="utf-8")
    ]
    article = page.find(".//article")
    # (The summary, which only repeats the article's opening here, is not shown.)
    assert article.find("section[@class='summary']") is None
    for path in ("h1", "div[@class='body']"):
        element = article.find(path)
        assert (element.get("dir"), element.get("lang")) == ("auto", "ar"), path
    assert [b.text for b in article.iterfind(".//p[@class='meta']/bdi")] == ["أحمد علي"]
    index = html.fromstring((out / "index.html").read_bytes())
    (entry,) = [li for li in index.iterfind(".//li[@class='entry']") if "مجلس" in li.text_content()]
    assert entry.find("h2").get("dir") == "auto" and entry.find("h2").get("lang") == "ar"
    assert entry.find("p[@class='summary']").get("dir") == "auto"
    digest = html.fromstring((out / "digest.html").read_bytes())
    (item,) = [td for td in digest.iterfind(".//td[@class='item']") if "مجلس" in td.text_content()]
    assert item.find("h2").get("dir") == "auto"
    assert item.find("p[@class='summary']").get("dir") == "auto"


def test_month_pages_link_their_neighbours_as_separate_words(
    published: tuple[Path, Path, Path],
) -> None:
    # Without CSS (text browsers, reader views, screen readers' text) the links must not run
    # together as "November 2026Latest articles".
    _, out, _ = published
    pages = sorted((out / "archive").iterdir())
    assert len(pages) == 2  # the seeds' dated article's month, and the others' (today's)
    for path in pages:
        (nav,) = html.fromstring(path.read_bytes()).xpath("//nav[@class='pages']")
        links = [a.text_content() for a in nav.iter("a")]
        assert len(links) == 2 and "Latest articles" in links
        assert " ".join(nav.text_content().split()) == " ".join(links), path.name


def test_every_link_to_the_site_answers(published: tuple[Path, Path, Path]) -> None:
    # Crawl everything the build published, as a reader's browser and feed reader would,
    # through the real server: every link, stylesheet and icon under base_url answers 200.
    _, out, state = published
    settings = Settings(paths=PathSettings(out=out, state=state))
    base = settings.base_url
    clock = lambda: datetime.now(UTC)  # noqa: E731
    endpoint = unsubscribe_endpoint(settings, clock)
    # The signup form's and the digest's preferences link's pages, as `publisher serve` has.
    readers = {**preferences_endpoint(settings, clock), **signup_endpoints(settings, clock, None)}
    server = make_server(out, "127.0.0.1", 0, endpoint, endpoints=readers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        seen: set[str] = set()
        todo = [base + "index.html", base + "feed.atom", base + "feed.rss", base + "digest.html"]
        todo += [base + "digests.atom", base + "feed.json"]
        while todo:
            link = todo.pop().partition("#")[0]
            if link in seen or not link.startswith(base):
                continue
            seen.add(link)
            with urllib.request.urlopen(f"http://{host}:{port}/{link.removeprefix(base)}") as r:
                assert r.status == 200, link
                data, kind = r.read(), r.headers.get_content_type()
            found: list[str] = []
            if kind == "text/html":
                page = html.fromstring(data)
                found = page.xpath("//a/@href | //link/@href | //img/@src | //form/@action")
            elif kind in ("application/atom+xml", "application/rss+xml"):
                feed = feedparser.parse(data)
                found = [e.link for e in feed.entries] + etree.fromstring(data).xpath("//@href")
                found += re.findall(r'<\?xml-stylesheet [^>]*href="([^"]+)"', data.decode())
            elif kind == "application/feed+json":
                found = [item["url"] for item in json.loads(data)["items"]]
            todo += [urljoin(link, found_link) for found_link in found]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    # The crawl reached every page of the archive (and nothing failed on the way).
    pages = {f"{base}{p.relative_to(out).as_posix()}" for p in out.rglob("*.html")}
    assert pages <= seen, pages - seen
    assert {base + "style.css", base + "feed.xsl"} <= seen


def test_the_archive_browses_wherever_it_is_opened(seeds_copy: Path, tmp_path: Path) -> None:
    # A preview before deploying (`publisher serve` on any port, or the files opened from
    # disk) used to load unstyled, every link leading to the live site: the archive links
    # its own pages, stylesheet and feeds relatively. Only the canonical link names
    # base_url, as search engines and link previews need it to.
    config = tmp_path / "site.toml"
    config.write_text('[site]\nbase_url = "https://news.example.org/daily/"\n')
    out = tmp_path / "out"
    argv = build_argv(seeds_copy, out, tmp_path / "s.db", "-q", "--config", str(config))
    assert main(argv) == 0
    pages = [out / "index.html", *(out / "archive").iterdir(), *(out / "articles").iterdir()]
    followed = 0
    for path in pages:
        page = html.fromstring(path.read_bytes())
        (canonical,) = page.xpath("//link[@rel='canonical']/@href")
        assert canonical == "https://news.example.org/daily/" + path.relative_to(out).as_posix()
        links = page.xpath(
            "//a/@href | //link[@rel!='canonical']/@href | //img/@src | //form/@action"
        )
        # The signup form posts to `publisher serve` (by a relative link too), not to a file.
        (signup,) = page.xpath("//form[@class='signup']/@action")
        assert urljoin(canonical, signup) == "https://news.example.org/daily/subscribe"
        for link in links:
            assert not link.startswith("https://news.example.org/"), (path.name, link)
            if link == signup:
                continue
            target = link.partition("#")[0]
            if target and not urlsplit(target).scheme:
                assert (path.parent / target).resolve().is_file(), (path.name, link)
                followed += 1
    assert followed > 10 * len(pages)  # stylesheet, feeds, home and the entries of each page


@pytest.mark.parametrize(
    ("timezone", "day", "offset"),
    [("UTC", "2026-11-21", "+0000"), ("Pacific/Kiritimati", "2026-11-22", "+1400")],
)
def test_the_digest_is_dated_in_the_schedules_time_zone(
    seeds_copy: Path, tmp_path: Path, timezone: str, day: str, offset: str
) -> None:
    # A digest sent in the morning east of UTC was named after the day before (its newest
    # article came in before midnight UTC); a reader expects their own date.
    settings = Settings(
        paths=PathSettings(input=(seeds_copy,), out=tmp_path / "out", state=tmp_path / "s.db"),
        schedule=ScheduleSettings(timezone=timezone),
        jobs=1,
    )
    build(settings, now=datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    out = settings.paths.out
    assert sorted(p.name for p in (out / "digests").iterdir()) == [f"{day}.html", "index.html"]
    long_day = f"{int(day[-2:])} November 2026"
    assert (out / "digest.txt").read_text().splitlines()[1] == long_day
    message = message_from_bytes((out / "digest.eml").read_bytes(), policy=default)
    assert message["Subject"].endswith(long_day) and message["Date"].endswith(offset)
