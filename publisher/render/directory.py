"""What crawlers, feed readers and the search box read to find their way around the site:
sitemaps (an index, one per month of the history, the other pages, the news of the last two
days), robots.txt, the OPML list of every feed, and the archive's search index.

Pure functions of their arguments; the build decides which to render again (a past month's
sitemap never is).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from lxml import etree

from ..config import Settings
from ..models import Entry

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
# A news sitemap lists at most this many articles (Google's limit).
NEWS_LIMIT = 1000

# The characters of a slug; anything else (accents, other scripts, spaces) makes the slug
# carry a piece of the name's hash, so that two names never share one.
_PLAIN = re.compile(r"[a-z0-9]+([ .][a-z0-9]+)*")


def name_slug(name: str) -> str:
    """A stable file name for a topic or site ``name``: the name itself, spaces made
    hyphens, when it is lower-case ASCII words, digits and dots (a host name); else its
    ASCII letters with a piece of its hash (never empty, never shared by two names)."""
    if _PLAIN.fullmatch(name) and len(name) <= 60:
        return name.replace(" ", "-")
    lowered = name.lower()
    ascii_name = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:40].strip("-")
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{plain}-{digest}" if plain else digest


@dataclass(frozen=True)
class FeedListing:
    """One feed as the OPML file and the feeds page list it."""

    title: str
    stem: str  # path without extension: stem.atom, stem.rss, stem.json
    home: str  # its HTML page, relative to the output directory
    group: str  # "site" (the main feeds), "topic" or "source"


def opml(feeds: Sequence[FeedListing], settings: Settings) -> bytes:
    """OPML 2.0 listing every feed (its Atom version) by group, for readers that import a
    subscription list. No dates: the file changes only when the feeds do."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{settings.site.title}: every feed"
    body = etree.SubElement(root, "body")
    labels = {"site": "Site", "topic": "Topics", "source": "Sources"}
    for group, label in labels.items():
        members = [feed for feed in feeds if feed.group == group]
        if not members:
            continue
        outline = etree.SubElement(body, "outline", text=label, title=label)
        for feed in members:
            etree.SubElement(
                outline,
                "outline",
                type="rss",
                text=feed.title,
                title=feed.title,
                xmlUrl=settings.url(quote(f"{feed.stem}.atom")),
                htmlUrl=settings.url(quote(feed.home)),
            )
    return _xml(root)


def sitemap(pages: Sequence[tuple[str, datetime | None]], settings: Settings) -> bytes:
    """A sitemap of ``pages``: (path relative to the output directory, last change)."""
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})
    for path, changed in pages:
        url = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = settings.url(quote(path))
        if changed is not None:
            etree.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = _w3c(changed)
    return _xml(root)


def sitemap_index(sitemaps: Sequence[str], settings: Settings) -> bytes:
    """The sitemap index (``sitemap.xml``) naming every sitemap, without dates: it changes
    only when a sitemap is added."""
    root = etree.Element(f"{{{SITEMAP_NS}}}sitemapindex", nsmap={None: SITEMAP_NS})
    for path in sitemaps:
        entry = etree.SubElement(root, f"{{{SITEMAP_NS}}}sitemap")
        etree.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = settings.url(quote(path))
    return _xml(root)


def news_sitemap(articles: Sequence[tuple[str, datetime, str, str]], settings: Settings) -> bytes:
    """The news sitemap: (page path, published, title, language) of the articles of the last
    two days, newest first (at most NEWS_LIMIT)."""
    root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS, "news": NEWS_NS})
    for path, published, title, language in articles[:NEWS_LIMIT]:
        url = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = settings.url(quote(path))
        news = etree.SubElement(url, f"{{{NEWS_NS}}}news")
        publication = etree.SubElement(news, f"{{{NEWS_NS}}}publication")
        etree.SubElement(publication, f"{{{NEWS_NS}}}name").text = settings.site.title
        tag = (language or settings.site.language).split("-")[0].lower()
        etree.SubElement(publication, f"{{{NEWS_NS}}}language").text = tag
        etree.SubElement(news, f"{{{NEWS_NS}}}publication_date").text = _w3c(published)
        etree.SubElement(news, f"{{{NEWS_NS}}}title").text = title
    return _xml(root)


def robots_txt(settings: Settings) -> bytes | None:
    """robots.txt naming the sitemap, or None when the site is not at its host's root
    (crawlers read robots.txt only there, and it belongs to whoever owns the root)."""
    if urlsplit(settings.base_url).path not in ("", "/"):
        return None
    return f"User-agent: *\nAllow: /\n\nSitemap: {settings.url('sitemap.xml')}\n".encode()


def search_shard(entries: Sequence[Entry]) -> bytes:
    """One month page's part of the search index: what the search script matches a query against
    (title, summary, keywords, site, author) and shows (page, date), newest first."""
    records = [
        {
            "u": entry.page,
            "t": entry.title,
            "d": entry.published.astimezone(UTC).date().isoformat(),
            "s": " ".join(entry.summary),
            "k": list(entry.keywords),
            "w": " ".join(filter(None, (entry.article.site, entry.article.author))),
        }
        for entry in entries
    ]
    return (json.dumps(records, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def search_index(shards: Sequence[str]) -> bytes:
    """The search index's table of contents: the name of each shard (one per month page,
    ``search/<name>.json``), newest first."""
    return (
        json.dumps({"version": 2, "shards": list(shards)}, separators=(",", ":")) + "\n"
    ).encode()


def _w3c(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
