"""What the fetcher makes of the bytes it fetched: feeds, sitemaps and OPML lists. Pure.

Feeds go to feedparser (RSS 0.9x/1.0/2.0, Atom), always as bytes with the response's headers
so that it never fetches anything itself; JSON Feed, which feedparser 6 does not read, is
plain JSON read here. Sitemaps (index, urlset, Google News) and OPML go to lxml with entities
and the network off. Each raises ``ParseError`` with a reason a user can act on.
"""

from __future__ import annotations

import calendar
import html
import io
import json
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser
from lxml import etree
from lxml import html as lxml_html

from ..sources import gunzip
from .urls import resolve

# A feed entry's own text is taken for the full article from this many words on (unless it
# ends like a teaser); a shorter one has its page fetched (full_text = "auto").
FULL_TEXT_MIN_WORDS = 150
# How a teaser ends: "…", "[...]", "Read more", "Continue reading →".
_TEASER_END = re.compile(
    r"(\.\.\.|…|\[\s*(?:\.\.\.|…)\s*\]|read more|continue reading|read the full (?:story|article)"
    r"|\(more\s*(?:\.\.\.|…)?\))\W*$",
    re.I,
)
_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"


class ParseError(Exception):
    """Fetched bytes that are not what the source promised, and why."""


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed, as the feed tells it."""

    id: str | None
    link: str | None  # absolute http(s) URL
    title: str | None
    published: datetime | None
    updated: datetime | None  # the entry's last update, as the feed says (else published)
    author: str | None
    text: str  # the entry's own HTML: its content, else its summary ("" without either)

    @property
    def words(self) -> int:
        """Words in the entry's text, markup left out."""
        return len(text_of(self.text).split())

    def is_full(self) -> bool:
        """Whether the entry's text is the whole article rather than a teaser."""
        plain = text_of(self.text)
        return len(plain.split()) >= FULL_TEXT_MIN_WORDS and not _TEASER_END.search(plain[-60:])


@dataclass(frozen=True)
class Feed:
    title: str | None
    entries: tuple[FeedEntry, ...]


@dataclass(frozen=True)
class SitemapPage:
    """One page a sitemap lists."""

    url: str
    lastmod: datetime | None
    title: str | None = None  # a news sitemap's
    published: datetime | None = None


@dataclass(frozen=True)
class Sitemap:
    """A sitemap index (``sitemaps``) or a urlset (``pages``)."""

    sitemaps: tuple[str, ...]
    pages: tuple[SitemapPage, ...]


@dataclass(frozen=True)
class Outline:
    """A feed an OPML list subscribes to."""

    url: str
    title: str | None


def parse_feed(body: bytes, url: str, content_type: str = "") -> Feed:
    """The feed in ``body`` (fetched from ``url``); ParseError when it is none."""
    head = body.lstrip()[:1]
    if head == b"{" or "json" in content_type.lower():
        return _json_feed(body, url)
    parsed: Any = feedparser.parse(
        io.BytesIO(body),
        response_headers={
            "content-type": content_type or "application/xml",
            "content-location": url,
        },
        # An entry's HTML only ever goes to the cleaner, which keeps text, never markup; the
        # output is sanitized on its way out. Doing both here too cost a third of the parse.
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    version = parsed.get("version", "")
    if not version and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise ParseError(f"not a feed (RSS, Atom or JSON Feed): {reason or 'no entries'}")
    entries = []
    for item in parsed.entries:
        contents = [c.get("value", "") for c in item.get("content", []) if c.get("value")]
        summary = item.get("summary", "") or ""
        text = max([*contents, summary], key=len)
        detail = item.get("author_detail") or {}
        entries.append(
            FeedEntry(
                id=item.get("id") or None,
                link=resolve(url, item["link"]) if item.get("link") else None,
                title=_one_line(item.get("title")),
                published=_struct(item.get("published_parsed")),
                # dict.get: feedparser's own get() answers a missing updated date with the
                # published one, and a deprecation warning.
                updated=_struct(dict.get(item, "updated_parsed") or item.get("published_parsed")),
                author=_one_line(detail.get("name") or item.get("author")),
                text=text,
            )
        )
    return Feed(_one_line(parsed.feed.get("title")), tuple(entries))


def _json_feed(body: bytes, url: str) -> Feed:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not a JSON Feed: {exc}") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise ParseError("not a JSON Feed: no jsonfeed.org version")
    entries = []
    for item in data.get("items") or []:
        if not isinstance(item, dict):
            continue
        text = item.get("content_html") or ""
        if not text and item.get("content_text"):
            text = _paragraphs(str(item["content_text"]))
        if not text and item.get("summary"):
            text = _paragraphs(str(item["summary"]))
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        names = [a.get("name") for a in authors if isinstance(a, dict) and a.get("name")]
        link = item.get("url") or item.get("external_url")
        published = _iso(item.get("date_published"))
        entries.append(
            FeedEntry(
                id=str(item["id"]) if item.get("id") is not None else None,
                link=resolve(url, str(link)) if link else None,
                title=_one_line(item.get("title")),
                published=published,
                updated=_iso(item.get("date_modified")) or published,
                author=_one_line(", ".join(map(str, names))),
                text=str(text),
            )
        )
    return Feed(_one_line(data.get("title")), tuple(entries))


def parse_sitemap(body: bytes, url: str, max_bytes: int) -> Sitemap:
    """The sitemap index or urlset in ``body`` (gzipped or not); ParseError otherwise."""
    root = _xml(body, max_bytes, "sitemap")
    name = etree.QName(root).localname
    if name == "sitemapindex":
        found = (
            resolve(url, loc) for loc in _texts(root, f"{_SITEMAP_NS}sitemap/{_SITEMAP_NS}loc")
        )
        return Sitemap(tuple(u for u in found if u), ())
    if name != "urlset":
        raise ParseError(f"not a sitemap: the document is <{name}>, not <urlset> or <sitemapindex>")
    pages = []
    for entry in root.iterfind(f"{_SITEMAP_NS}url"):
        loc = resolve(url, entry.findtext(f"{_SITEMAP_NS}loc") or "")
        if loc is None:
            continue
        news = entry.find(f"{_NEWS_NS}news")
        pages.append(
            SitemapPage(
                url=loc,
                lastmod=_iso(entry.findtext(f"{_SITEMAP_NS}lastmod")),
                title=_one_line(news.findtext(f"{_NEWS_NS}title")) if news is not None else None,
                published=_iso(news.findtext(f"{_NEWS_NS}publication_date"))
                if news is not None
                else None,
            )
        )
    return Sitemap((), tuple(pages))


def parse_opml(body: bytes, url: str, max_bytes: int) -> tuple[Outline, ...]:
    """Every outline with an ``xmlUrl`` in an OPML list, nested ones too, once each."""
    root = _xml(body, max_bytes, "OPML list")
    if etree.QName(root).localname != "opml":
        raise ParseError("not an OPML list: no <opml> element")
    found: dict[str, Outline] = {}
    for outline in root.iter("outline"):
        link = resolve(url, outline.get("xmlUrl", "")) if outline.get("xmlUrl") else None
        if link and link not in found:
            found[link] = Outline(link, _one_line(outline.get("title") or outline.get("text")))
    return tuple(found.values())


def text_of(markup: str) -> str:
    """The text of an HTML fragment, white space folded."""
    if "<" not in markup and "&" not in markup:
        return " ".join(markup.split())
    try:
        fragment = lxml_html.fragment_fromstring(markup, create_parent="div")
        return " ".join(fragment.text_content().split())
    except (etree.ParserError, ValueError):
        return " ".join(re.sub(r"<[^>]*>", " ", markup).split())


def _xml(body: bytes, max_bytes: int, what: str) -> Any:
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_bytes)
        except OverflowError:
            raise ParseError(f"{what} larger than the cap once decompressed") from None
        except (OSError, EOFError, zlib.error) as exc:
            raise ParseError(f"damaged gzip {what}: {exc}") from None
    try:
        return etree.fromstring(body, _XML)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not a {what}: {exc}") from None


def _texts(root: Any, path: str) -> list[str]:
    return [(node.text or "").strip() for node in root.iterfind(path) if node.text]


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _one_line(value: Any) -> str | None:
    if not value:
        return None
    text = " ".join(str(value).split())
    return text or None


def _struct(value: Any) -> datetime | None:
    """feedparser's parsed date (a struct_time in UTC) as an aware datetime."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None


def _iso(value: Any) -> datetime | None:
    """An RFC 3339 / W3C date (a sitemap's lastmod, a JSON Feed's dates), UTC when no zone."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
