"""Atom, RSS and JSON Feed output: validity by the W3C validator's rules, round-trips through
feedparser, stable ids, byte-identical rebuilds and golden files.

Set PUBLISHER_REGEN_GOLDEN=1 to rewrite tests/golden/feeds/ after an intended change.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from calendar import timegm
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree
from test_feeds_helpers import (
    ATOM,
    BASE,
    CONTENT,
    DC,
    RFC822,
    atom_problems,
    edit_text,
    is_absolute,
    make_digest,
    make_entry,
    make_settings,
    newest_first,
    rss_problems,
)

from publisher.config import DigestSettings, Settings
from publisher.models import Block
from publisher.render.digest import build_digest
from publisher.render.feeds import atom_id, load_stylesheet, render_digests_feed, render_feeds

GOLDEN = Path(__file__).parent / "golden" / "feeds"
SETTINGS = make_settings(icon="icon.png")


def render(entries: list | None = None, settings: Settings = SETTINGS) -> dict[str, bytes]:
    return render_feeds(newest_first(4) if entries is None else entries, settings)


def atom_tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


# --- validity ----------------------------------------------------------------------------


def test_feeds_have_no_validator_problems() -> None:
    out = render()
    assert atom_problems(out["feed.atom"], SETTINGS.url("feed.atom")) == []
    assert rss_problems(out["feed.rss"], SETTINGS.url("feed.rss"), SETTINGS.base_url) == []


def test_base_url_with_path_and_port() -> None:
    settings = make_settings("http://localhost:8000/news")
    out = render(settings=settings)
    assert atom_problems(out["feed.atom"], "http://localhost:8000/news/feed.atom") == []
    rss_url = "http://localhost:8000/news/feed.rss"
    assert rss_problems(out["feed.rss"], rss_url, settings.base_url) == []
    ids = [e.findtext(f"{ATOM}id") for e in atom_tree(out["feed.atom"]).iter(f"{ATOM}entry")]
    assert ids[0] == "tag:localhost,2005:news/e0004"


def test_empty_feed_is_valid_and_clock_free() -> None:
    out = render([])
    assert atom_problems(out["feed.atom"], SETTINGS.url("feed.atom")) == []
    assert rss_problems(out["feed.rss"], SETTINGS.url("feed.rss"), SETTINGS.base_url) == []
    assert render([]) == out
    assert atom_tree(out["feed.atom"]).findtext(f"{ATOM}updated") == "1970-01-01T00:00:00+00:00"


# Each known way a feed fails the validator, applied to our good output: the checks must see
# it, so a pass above means something.
def _drop(root: etree._Element, path: str) -> None:
    for element in root.findall(path):
        element.getparent().remove(element)


def _set_text(path: str, text: str):
    def mutate(root: etree._Element) -> None:
        root.find(path).text = text

    return mutate


def _set_attr(path: str, name: str, value: str):
    def mutate(root: etree._Element) -> None:
        root.find(path).set(name, value)

    return mutate


ATOM_BREAKAGES = {
    "no self link": lambda r: _drop(r, f"{ATOM}link[@rel='self']"),
    "wrong self link": _set_attr(f"{ATOM}link[@rel='self']", "href", "https://x.example/f"),
    "no author": lambda r: (_drop(r, f"{ATOM}author"), _drop(r, f"{ATOM}entry/{ATOM}author")),
    "no entry updated": lambda r: _drop(r, f"{ATOM}entry/{ATOM}updated"),
    "duplicate ids": lambda r: [
        setattr(e.find(f"{ATOM}id"), "text", "tag:x.example,2005:same")
        for e in r.findall(f"{ATOM}entry")
    ],
    "same updated": lambda r: [
        setattr(e.find(f"{ATOM}updated"), "text", "2026-01-01T00:00:00+00:00")
        for e in r.findall(f"{ATOM}entry")
    ],
    "relative link": _set_attr(f"{ATOM}entry/{ATOM}link", "href", "articles/a.html"),
    "relative URL in content": _set_text(
        f"{ATOM}entry/{ATOM}content", '<p><a href="../x.html">x</a></p>'
    ),
    "undeclared HTML summary": _set_text(f"{ATOM}entry/{ATOM}summary", "<b>bold</b> text"),
    "script": _set_text(f"{ATOM}entry/{ATOM}content", "<p>x</p><script>alert(1)</script>"),
    "on* attribute": _set_text(f"{ATOM}entry/{ATOM}content", '<p onclick="alert(1)">x</p>'),
    "iframe": _set_text(f"{ATOM}entry/{ATOM}content", '<iframe src="https://e.x/"></iframe>'),
    "ISO date without zone": _set_text(f"{ATOM}updated", "2026-11-20 08:00:00"),
    "id changing form": _set_text(f"{ATOM}entry/{ATOM}id", "e0004"),
}

RSS_BREAKAGES = {
    "no atom:link self": lambda r: _drop(r, f"channel/{ATOM}link"),
    "wrong atom:link self": _set_attr(f"channel/{ATOM}link", "href", SETTINGS.url("feed.atom")),
    "channel link is the feed": _set_text("channel/link", SETTINGS.url("feed.rss")),
    "ISO pubDate": _set_text("channel/item/pubDate", "2026-11-20T08:00:00+00:00"),
    "UTC zone": _set_text("channel/item/pubDate", "Fri, 20 Nov 2026 08:00:00 UTC"),
    "duplicate guids": lambda r: [setattr(g, "text", "same") for g in r.iter("guid")],
    "guid permalink not a URL": _set_attr("channel/item/guid", "isPermaLink", "true"),
    "author not an e-mail": lambda r: setattr(
        etree.SubElement(r.find("channel/item"), "author"), "text", "Jane Doe"
    ),
    "relative item link": _set_text("channel/item/link", "/articles/a.html"),
    "script in content": _set_text(f"channel/item/{CONTENT}encoded", "<script>x()</script>"),
}


@pytest.mark.parametrize("name", sorted(ATOM_BREAKAGES))
def test_atom_checks_catch(name: str) -> None:
    root = atom_tree(render()["feed.atom"])
    ATOM_BREAKAGES[name](root)
    assert atom_problems(etree.tostring(root), SETTINGS.url("feed.atom")), name


@pytest.mark.parametrize("name", sorted(RSS_BREAKAGES))
def test_rss_checks_catch(name: str) -> None:
    root = etree.fromstring(render()["feed.rss"])
    RSS_BREAKAGES[name](root)
    problems = rss_problems(etree.tostring(root), SETTINGS.url("feed.rss"), SETTINGS.base_url)
    assert problems, name


# --- structure -------------------------------------------------------------------------


def test_atom_structure() -> None:
    entries = newest_first(4)
    root = atom_tree(render(entries)["feed.atom"])
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    # Feed updated is the newest entry's, not the build time.
    assert root.findtext(f"{ATOM}updated") == entries[0].updated.isoformat()
    generator = root.find(f"{ATOM}generator")
    assert generator.text == "publisher" and generator.attrib == {}
    assert root.findtext(f"{ATOM}icon") == "https://news.example.org/icon.png"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == SETTINGS.base_url
    entry = root.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}content").get("type") == "html"
    assert entry.find(f"{ATOM}summary").get("type") == "text"
    links = {link.get("rel"): link.get("href") for link in entry.findall(f"{ATOM}link")}
    assert links == {
        "alternate": "https://news.example.org/articles/article-4.html",
        "related": "https://example.com/story/4",
    }
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == ["harbour", "topic4"]


def test_rss_structure() -> None:
    root = etree.fromstring(render()["feed.rss"])
    channel = root.find("channel")
    # feedgen uses the last link() call for the channel link: it must be the site.
    assert channel.findtext("link") == SETTINGS.base_url
    assert channel.findtext("generator") == "publisher"
    assert RFC822.match(channel.findtext("lastBuildDate"))
    item = channel.find("item")
    guid = item.find("guid")
    assert guid.get("isPermaLink") == "false"
    assert guid.text == atom_id(SETTINGS, "e0004")
    assert item.find("author") is None
    # Entry 4 has no byline: the site's operator is not credited with it.
    assert item.find(f"{DC}creator") is None
    bylined = channel.findall("item")[1]
    assert bylined.findtext(f"{DC}creator") == "Reporter 3"
    assert item.find(f"{CONTENT}encoded") is not None
    assert item.findtext("pubDate").endswith(" +0000")


def test_xml_stylesheet_instruction_on_both_feeds() -> None:
    out = render()
    for name in ("feed.atom", "feed.rss"):
        head = out[name].split(b"\n")[:2]
        assert head[1] == b'<?xml-stylesheet type="text/xsl" href="feed.xsl"?>', name
    assert out["feed.xsl"] == load_stylesheet(SETTINGS)


def test_user_stylesheet_wins(tmp_path: Path) -> None:
    (tmp_path / "feed.xsl").write_bytes(b"<mine/>")
    settings = dataclasses.replace(
        SETTINGS, paths=dataclasses.replace(SETTINGS.paths, templates=tmp_path)
    )
    assert render(settings=settings)["feed.xsl"] == b"<mine/>"
    assert render_feeds([], SETTINGS, stylesheet=b"<given/>")["feed.xsl"] == b"<given/>"


def test_stylesheet_turns_both_feeds_into_pages_with_titles() -> None:
    out = render()
    transform = etree.XSLT(etree.fromstring(out["feed.xsl"]))
    for name in ("feed.atom", "feed.rss"):
        page = str(transform(etree.fromstring(out[name])))
        for n in range(1, 5):
            assert f"Article number {n}: harbour &amp; river news" in page, name


def test_stylesheet_dates_entries_by_publication_in_both_feeds() -> None:
    # An article edited ten days after it was published keeps its publication date in the
    # preview, as in RSS's pubDate, the archive and the digest.
    edited = edit_text(make_entry(1), "Corrected text.")
    out = render([edited])
    transform = etree.XSLT(etree.fromstring(out["feed.xsl"]))
    for name in ("feed.atom", "feed.rss"):
        page = lxml.html.fromstring(str(transform(etree.fromstring(out[name]))))
        (meta,) = page.xpath("//article/p[@class='meta']")
        shown = " ".join(meta.text_content().split())
        assert shown.startswith(("2026-11-20", "Fri, 20 Nov 2026")), (name, shown)
        assert "2026-11-30" not in shown and "30 Nov" not in shown, (name, shown)


# --- round trip through feedparser ---------------------------------------------------------


@pytest.mark.parametrize("name", ["feed.atom", "feed.rss"])
def test_feedparser_reads_every_field(name: str) -> None:
    entries = newest_first(4)
    parsed = feedparser.parse(render(entries)[name])
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == SETTINGS.site.title
    assert parsed.feed.link == SETTINGS.base_url
    assert parsed.feed.language == "en"
    assert len(parsed.entries) == len(entries)
    for got, entry in zip(parsed.entries, entries, strict=True):
        link = SETTINGS.url(f"articles/{entry.slug}.html")
        assert got.id == atom_id(SETTINGS, entry.id)
        assert got.title == entry.title
        assert got.link == link
        assert timegm(got.published_parsed) == timestamp(entry.published)
        assert got.get("author") == entry.article.author
        assert [t.term for t in got.tags] == list(entry.keywords)
        assert unescape(got.summary) == " ".join(entry.summary)
        assert "First paragraph of article" in got.content[0].value
        if name == "feed.atom":
            assert timegm(got.updated_parsed) == timestamp(entry.updated)
            assert got.content[0].type == "text/html"
    if name == "feed.atom":
        assert timegm(parsed.feed.updated_parsed) == timestamp(entries[0].updated)


def test_json_feed() -> None:
    entries = newest_first(3)
    feed = json.loads(render(entries)["feed.json"])
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == SETTINGS.url("feed.json")
    assert feed["home_page_url"] == SETTINGS.base_url
    assert [i["id"] for i in feed["items"]] == [atom_id(SETTINGS, e.id) for e in entries]
    item = feed["items"][0]
    assert item["date_modified"] == entries[0].updated.isoformat()
    assert item["tags"] == list(entries[0].keywords)
    urls = [feed["feed_url"], feed["home_page_url"], feed["icon"]]
    urls += [i["url"] for i in feed["items"]] + [i.get("external_url", "") for i in feed["items"]]
    assert all(is_absolute(u) for u in urls if u)


# --- stability -------------------------------------------------------------------------


def test_identical_input_gives_identical_bytes() -> None:
    assert render() == render()


def test_ids_stable_across_builds_and_edits() -> None:
    before = feedparser.parse(render(newest_first(3))["feed.atom"])
    edited = [edit_text(e, "New text.") if e.id == "e0002" else e for e in newest_first(3)]
    # A later build: two new entries on top, an edited one, and first_seen reset (new machine).
    later = newest_first(2, start=4) + [
        dataclasses.replace(e, first_seen=e.first_seen + timedelta(days=30)) for e in edited
    ]
    after = feedparser.parse(render(later)["feed.atom"])
    old_ids = [e.id for e in before.entries]
    assert [e.id for e in after.entries][2:] == old_ids
    assert old_ids == [f"tag:news.example.org,2005:e000{n}" for n in (3, 2, 1)]


def test_duplicate_updated_instant_is_refused() -> None:
    first, second = newest_first(2)
    with pytest.raises(ValueError, match="updated instant"):
        render([first, dataclasses.replace(second, updated=first.updated)])


def test_duplicate_id_is_refused() -> None:
    first, second = newest_first(2)
    with pytest.raises(ValueError, match="share the id"):
        render([first, dataclasses.replace(second, id=first.id)])


def test_other_zones_are_written_in_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    entry = make_entry(1)
    entry = dataclasses.replace(
        entry, published=entry.published.astimezone(plus2), updated=entry.updated.astimezone(plus2)
    )
    out = render([entry])
    assert atom_tree(out["feed.atom"]).findtext(f"{ATOM}updated") == "2026-11-20T09:30:00+00:00"
    assert b"<pubDate>Fri, 20 Nov 2026 09:00:00 +0000</pubDate>" in out["feed.rss"]


# --- hostile input -------------------------------------------------------------------------


def test_control_characters_are_stripped() -> None:
    entry = make_entry(1)
    article = dataclasses.replace(
        entry.article,
        title="Bad\x00 \x0bti\x1ftle\x7f",
        author="Ann\x08",
        blocks=(Block("paragraph", "Body\x0c text\ufffe."),),
    )
    entry = dataclasses.replace(
        entry, article=article, summary=("Sum\x01mary.",), keywords=("k\x02w",)
    )
    out = render([entry])
    for name in ("feed.atom", "feed.rss"):
        parsed = feedparser.parse(out[name])
        assert not parsed.bozo, name
        assert parsed.entries[0].title == "Bad title"
        assert parsed.entries[0].summary == "Summary."
    assert json.loads(out["feed.json"])["items"][0]["content_html"] == "<p>Body text.</p>"


def test_markup_in_article_text_stays_text() -> None:
    entry = make_entry(1)
    article = dataclasses.replace(
        entry.article,
        blocks=(Block("paragraph", '<script>alert(1)</script><img src=x onerror="a()">'),),
    )
    out = render([dataclasses.replace(entry, article=article)])
    assert atom_problems(out["feed.atom"], SETTINGS.url("feed.atom")) == []
    assert rss_problems(out["feed.rss"], SETTINGS.url("feed.rss"), SETTINGS.base_url) == []
    content = atom_tree(out["feed.atom"]).findtext(f"{ATOM}entry/{ATOM}content")
    assert "&lt;script&gt;" in content and "<script" not in content


def test_summary_markup_is_escaped_in_rss_description() -> None:
    entry = dataclasses.replace(make_entry(1), summary=("Use x < y & <b>bold</b>.",))
    item = etree.fromstring(render([entry])["feed.rss"]).find("channel/item")
    # RSS descriptions are read as HTML, so the plain-text summary is escaped once more.
    assert item.findtext("description") == "Use x &lt; y &amp; &lt;b&gt;bold&lt;/b&gt;."


def test_non_http_original_url_is_left_out() -> None:
    entry = make_entry(1)
    entry = dataclasses.replace(entry, article=dataclasses.replace(entry.article, url="/rel/x"))
    root = atom_tree(render([entry])["feed.atom"])
    assert [link.get("rel") for link in root.iter(f"{ATOM}link")][-1] == "alternate"
    assert "external_url" not in json.loads(render([entry])["feed.json"])["items"][0]


# --- digests feed ----------------------------------------------------------------------------


def test_digests_feed() -> None:
    hostile = (
        "<html><head><title>T</title><style>p{}</style><script>x()</script></head><body>"
        '<p style="color:red" onclick="x()">Hi <a href="/articles/a.html">a</a></p>'
        '<iframe src="https://e.x/"></iframe><script>y()</script></body></html>'
    )
    digests = [make_digest(3), make_digest(2, html=hostile), make_digest(1)]
    data = render_digests_feed(digests, SETTINGS)
    assert atom_problems(data, SETTINGS.url("digests.atom")) == []
    parsed = feedparser.parse(data)
    assert not parsed.bozo
    assert [e.title for e in parsed.entries] == [d.subject for d in digests]
    assert [e.link for e in parsed.entries] == [
        SETTINGS.url(f"digests/{d.id}.html") for d in digests
    ]
    assert timegm(parsed.feed.updated_parsed) == timestamp(digests[0].created)
    content = atom_tree(data).findall(f"{ATOM}entry/{ATOM}content")[1].text
    assert content == (
        '<p>Hi <a href="https://news.example.org/articles/a.html" '
        'rel="noopener noreferrer">a</a></p>'
    )
    assert render_digests_feed(digests, SETTINGS) == data


def test_digests_feed_keeps_hidden_mail_text_hidden() -> None:
    # The e-mail's preheader is hidden by an inline style, which the sanitizer drops: left
    # in, it would show as stray text above the issue in every feed reader.
    settings = dataclasses.replace(SETTINGS, digest=DigestSettings(from_="Ed <ed@example.org>"))
    issue = build_digest(newest_first(2), settings, digest_id="2026-11-22", now=BASE)
    assert re.search(r"display:\s*none[^>]*>2 new stories", issue.html)
    data = render_digests_feed([issue], settings)
    content = feedparser.parse(data).entries[0].content[0].value
    assert "new stories" not in content
    assert "Article number 2: harbour &amp; river news" in content


def test_digests_feed_leaves_out_what_only_a_mail_needs() -> None:
    # "You are receiving this because you subscribed" and an Unsubscribe link are true of
    # the e-mail, not of a feed entry read by someone who never subscribed.
    settings = dataclasses.replace(SETTINGS, digest=DigestSettings(from_="Ed <ed@example.org>"))
    issue = build_digest(newest_first(2), settings, digest_id="2026-11-22", now=BASE)
    assert "You are receiving this" in issue.html and "Unsubscribe" in issue.html
    content = feedparser.parse(render_digests_feed([issue], settings)).entries[0].content[0].value
    assert "You are receiving this" not in content
    assert "Unsubscribe" not in content
    assert "Article number 2: harbour &amp; river news" in content


def test_digests_feed_without_issues() -> None:
    data = render_digests_feed([], SETTINGS)
    assert atom_problems(data, SETTINGS.url("digests.atom")) == []


# --- golden files ------------------------------------------------------------------------------


def _golden_outputs() -> dict[str, bytes]:
    out = render(newest_first(3))
    out.pop("feed.xsl")
    out["digests.atom"] = render_digests_feed([make_digest(2), make_digest(1)], SETTINGS)
    return out


@pytest.mark.parametrize("name", ["feed.atom", "feed.rss", "feed.json", "digests.atom"])
def test_golden(name: str) -> None:
    data = _golden_outputs()[name]
    path = GOLDEN / name
    if os.environ.get("PUBLISHER_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.read_bytes() == data, f"{name} changed; PUBLISHER_REGEN_GOLDEN=1 to accept"


def test_no_clock_in_the_stages() -> None:
    """Outputs are a function of their input: no stage reads the clock (the build passes
    ``now`` in)."""
    package = Path(__file__).parent.parent / "publisher"
    stages = [package / "sources.py"]
    for name in ("clean", "summarize", "render"):
        stages += sorted((package / name).glob("*.py"))
    assert len(stages) > 15
    for path in stages:
        source = path.read_text("utf-8")
        assert not re.search(r"\b(now|utcnow|today|time)\(\)", source), path
