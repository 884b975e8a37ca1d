"""Builders shared by the feed, server, newsboat and preview tests (no tests in here).

Entries are built directly, not through the pipeline, so each test controls every field.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from publisher.config import Settings, SiteSettings
from publisher.models import Article, Block, Digest, Entry

BASE = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def make_settings(base_url: str = "https://news.example.org/", **site: object) -> Settings:
    """Settings for a site at ``base_url`` with the given [site] overrides."""
    return Settings(site=SiteSettings(base_url=base_url, **site))  # type: ignore[arg-type]


def make_entry(n: int, **changes: object) -> Entry:
    """Entry number ``n``: newer (published and updated later) the larger ``n`` is."""
    published = BASE + timedelta(hours=n)
    article = Article(
        source=f"seeds/{n:03d}.html",
        key=f"{n:03d}.html",
        title=f"Article number {n}: harbour & river news",
        blocks=(
            Block("paragraph", f"First paragraph of article {n}, with a < sign and an & sign."),
            Block("heading", "A heading"),
            Block("item", "one"),
            Block("item", "two"),
            Block("quote", "Quoted words."),
        ),
        published=published,
        author=f"Reporter {n}" if n % 2 else None,
        site="example.com",
        url=f"https://example.com/story/{n}" if n % 3 else None,
    )
    entry = Entry(
        id=f"e{n:04d}",
        slug=f"article-{n}",
        article=article,
        summary=(f"Summary sentence one of {n}.", "Second sentence."),
        keywords=("harbour", f"topic{n}"),
        reading_minutes=2,
        published=published,
        updated=published + timedelta(minutes=30),
        first_seen=published + timedelta(minutes=5),
    )
    return dataclasses.replace(entry, **changes)  # type: ignore[arg-type]


def newest_first(count: int, start: int = 1) -> list[Entry]:
    """Entries ``start`` .. ``start + count - 1``, newest first as the pipeline gives them."""
    return [make_entry(n) for n in range(start + count - 1, start - 1, -1)]


def edit_text(entry: Entry, text: str) -> Entry:
    """The same entry after its article text changed (the store bumps ``updated``)."""
    article = dataclasses.replace(entry.article, blocks=(Block("paragraph", text),))
    return dataclasses.replace(entry, article=article, updated=entry.updated + timedelta(days=10))


def make_digest(n: int, html: str | None = None) -> Digest:
    """Digest issue number ``n`` (later the larger ``n`` is)."""
    created = BASE + timedelta(days=n)
    day = created.date().isoformat()
    return Digest(
        id=day,
        created=created,
        subject=f"Digest for {day}",
        entry_ids=("e0001",),
        html=html
        or (
            "<!doctype html><html><head><title>Digest title</title>"
            "<style>p{color:red}</style></head><body>"
            f'<h2 style="margin:0">Issue {n}</h2><p>Read <a href="../articles/a.html">this</a>.</p>'
            "</body></html>"
        ),
        text=f"Issue {n}",
        message=b"",
    )


# --- the W3C Feed Validation Service's checks, as far as they concern our feeds -----------
#
# The validator cannot be reached from tests, so its rules that our feeds could break are
# restated here. Each returns human-readable problems; an empty list means valid.

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# RFC 822 as the validator wants it: four-digit year, numeric zone (it warns on "UTC").
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"
)
TAG_URI = re.compile(
    r"^tag:[a-z0-9.\-]+,\d{4}(-\d{2}(-\d{2})?)?:[0-9A-Za-z;/?:@&=+$.\-_!~*'()%,]+$"
)
RSS_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+( \(.+\))?$")
# The validator's "nonhtml" rule: an end tag of a known HTML element in a plain-text field.
HTML_END_TAG = re.compile(r"</(p|b|i|a|em|strong|div|span|script|br|h\d|li|ul|ol|img)>", re.I)
UNSAFE_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "style",
    "frame",
    "frameset",
    "form",
    "applet",
    "meta",
    "link",
    "base",
}


def is_absolute(url: str) -> bool:
    """True for an absolute http(s) URL."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def html_problems(html: str, where: str) -> list[str]:
    """Unsafe markup or relative URLs in an HTML fragment carried by a feed."""
    problems: list[str] = []
    if not html.strip():
        return problems
    for element in lxml.html.fragments_fromstring(f"<div>{html}</div>")[0].iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.lower() in UNSAFE_TAGS:
            problems.append(f"{where}: unsafe element <{element.tag}>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on") or name.lower() == "style":
                problems.append(f"{where}: unsafe attribute {name}")
            if name.lower() in ("href", "src", "cite", "action", "poster"):
                if value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                    problems.append(f"{where}: unsafe URL {value}")
                elif not is_absolute(value) and not value.startswith("mailto:"):
                    problems.append(f"{where}: relative URL {value}")
    return problems


def atom_problems(data: bytes, self_url: str) -> list[str]:
    """What the validator would report (errors and warnings) for an Atom feed at self_url."""
    root = etree.fromstring(data)
    problems: list[str] = []
    if root.tag != f"{ATOM}feed":
        return ["not an Atom feed"]
    for name in ("id", "title", "updated"):
        if root.find(f"{ATOM}{name}") is None:
            problems.append(f"feed: missing {name}")
    problems += _date_problems(
        root.findall(f".//{ATOM}updated") + root.findall(f".//{ATOM}published"),
        RFC3339,
        "Atom date",
    )
    selfs = root.findall(f"{ATOM}link[@rel='self']")
    if len(selfs) != 1:
        problems.append("feed: needs exactly one atom:link rel=self")
    elif selfs[0].get("href") != self_url or selfs[0].get("type") != "application/atom+xml":
        problems.append(f"feed: self link {selfs[0].get('href')} does not match {self_url}")
    feed_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    ids: list[str] = []
    instants: list[str] = []
    for entry in root.findall(f"{ATOM}entry"):
        entry_id = entry.findtext(f"{ATOM}id") or ""
        where = f"entry {entry_id}"
        ids.append(entry_id)
        instants.append(entry.findtext(f"{ATOM}updated") or "")
        if not (TAG_URI.match(entry_id) or is_absolute(entry_id)):
            problems.append(f"{where}: id is not a valid tag: URI")
        for name in ("title", "updated"):
            if entry.find(f"{ATOM}{name}") is None:
                problems.append(f"{where}: missing {name}")
        if not feed_author and entry.find(f"{ATOM}author/{ATOM}name") is None:
            problems.append(f"{where}: missing author")
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        if not alternates:
            problems.append(f"{where}: no alternate link")
        if len(alternates) != len(set(alternates)):
            problems.append(f"{where}: duplicate alternate links")
        for name in ("title", "summary", "content"):
            element = entry.find(f"{ATOM}{name}")
            if element is None:
                continue
            kind = element.get("type", "text")
            if kind == "html":
                problems += html_problems(element.text or "", f"{where} {name}")
            elif kind == "text" and HTML_END_TAG.search(element.text or ""):
                problems.append(f"{where}: undeclared HTML in {name}")
    if len(ids) != len(set(ids)):
        problems.append("duplicate entry ids")
    if len(instants) != len(set(instants)):
        problems.append("two entries with the same updated instant")
    problems += _url_problems(
        [link.get("href", "") for link in root.iter(f"{ATOM}link")]
        + [e.text or "" for e in root.iter(f"{ATOM}icon", f"{ATOM}logo")]
    )
    return problems


def rss_problems(data: bytes, self_url: str, site_url: str) -> list[str]:
    """What the validator would report (errors and warnings) for an RSS 2.0 feed at self_url."""
    root = etree.fromstring(data)
    if root.tag != "rss" or root.get("version") != "2.0":
        return ["not an RSS 2.0 feed"]
    channel = root.find("channel")
    problems: list[str] = []
    for name in ("title", "link", "description"):
        if not channel.findtext(name):
            problems.append(f"channel: missing {name}")
    if channel.findtext("link") != site_url:
        problems.append(f"channel: link {channel.findtext('link')} is not the site {site_url}")
    selfs = channel.findall(f"{ATOM}link[@rel='self']")
    if len(selfs) != 1:
        problems.append("channel: missing atom:link rel=self")
    elif selfs[0].get("href") != self_url or selfs[0].get("type") != "application/rss+xml":
        problems.append(f"channel: self link {selfs[0].get('href')} does not match {self_url}")
    problems += _date_problems(
        root.findall(".//pubDate") + root.findall(".//lastBuildDate"), RFC822, "RFC 822 date"
    )
    guids: list[str] = []
    for item in channel.findall("item"):
        guid = item.find("guid")
        where = f"item {item.findtext('title')}"
        if guid is None or not guid.text:
            problems.append(f"{where}: missing guid")
            continue
        guids.append(guid.text)
        if guid.get("isPermaLink", "true") == "true" and not is_absolute(guid.text):
            problems.append(f"{where}: guid must be a full URL unless isPermaLink=false")
        for author in item.findall("author"):
            if not RSS_EMAIL.match(author.text or ""):
                problems.append(f"{where}: author {author.text!r} is not an e-mail address")
        if HTML_END_TAG.search(item.findtext("title") or ""):
            problems.append(f"{where}: HTML in title")
        for name in ("description", f"{CONTENT}encoded"):
            problems += html_problems(item.findtext(name) or "", f"{where} {name}")
    if len(guids) != len(set(guids)):
        problems.append("duplicate guids")
    problems += _url_problems(
        [e.text or "" for e in root.iter("link", "docs", "url", "comments")]
        + [e.get("href", "") for e in root.iter(f"{ATOM}link")]
    )
    return problems


def _date_problems(
    elements: list[etree._Element], pattern: re.Pattern[str], what: str
) -> list[str]:
    return [
        f"{element.tag}: {element.text!r} is not an {what}"
        for element in elements
        if not pattern.match(element.text or "")
    ]


def _url_problems(urls: list[str]) -> list[str]:
    return [f"relative URL {url!r}" for url in urls if not is_absolute(url)]
