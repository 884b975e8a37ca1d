"""Atom 1.0, RSS 2.0 and JSON Feed 1.1 for the newest entries, and the Atom feed of digests.

The only importer of feedgen. Output is a pure function of the entries and the settings:
no clock is read, entries keep the order they are given in (newest first), and every
identifier is derived from the base URL and the entry's stable id, so an unchanged input
gives byte-identical files and a feed reader never sees an old entry as new.

feedgen traps handled here (see the design notes): ``add_entry`` prepends unless told to
append; an unset ``updated`` becomes "now"; the RSS channel link is the last ``link()`` call;
``guid(permalink=True)`` also rewrites the Atom id; the default generator carries feedgen's
version, which would change the bytes on every upgrade.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import lxml.html
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from ..config import Settings
from ..models import Digest, Entry
from . import markup
from .templating import template_dirs

GENERATOR = "publisher"
STYLESHEET_NAME = "feed.xsl"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

# The date in a tag: URI only has to be one at which the authority owned the name; it must
# never change, so it is a constant rather than a build or first-seen time.
TAG_YEAR = "2005"

# An empty feed still needs an Atom <updated>; a fixed instant keeps it clock-free.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Characters XML 1.0 forbids (C0 controls but tab/newline/return, surrogates, U+FFFE/U+FFFF)
# plus C1 controls, which XML allows but feed validators reject and no reader displays.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# An inline style that hides its element (the digest's preheader).
_HIDDEN = re.compile(r"display\s*:\s*none", re.IGNORECASE)

_ATOM_TYPE = "application/atom+xml"
_RSS_TYPE = "application/rss+xml"


def render_feeds(
    entries: Sequence[Entry], settings: Settings, *, stylesheet: bytes | None = None
) -> dict[str, bytes]:
    """Render the site feeds for ``entries`` (newest first, already cut to max_entries).

    Returns ``{"feed.atom", "feed.rss", "feed.json", "feed.xsl"}`` mapped to file contents.
    ``stylesheet`` is the XSLT preview sheet; when None it is read from the templates
    directories (the user's ``[paths] templates`` first, then the built-in one).
    Raises ValueError when two entries share an id or an ``updated`` instant, which would
    make readers merge or misorder them.
    """
    _check_distinct(entries)
    xsl = stylesheet if stylesheet is not None else load_stylesheet(settings)
    updated = max((e.updated for e in entries), default=EPOCH)
    # Two generators because each format's rel="self" link must name its own file, and
    # feedgen takes RSS's atom:link from the same link list as Atom's.
    generators: dict[str, FeedGenerator] = {}
    for name in ("feed.atom", "feed.rss"):
        fg = _feed_generator(
            settings,
            feed_id=_tag(settings, "feed"),
            title=settings.site.title,
            subtitle=settings.site.subtitle,
            self_name=name,
            updated=updated,
        )
        for entry in entries:
            _add_entry(fg, entry, settings)
        generators[name] = fg
    return {
        "feed.atom": _with_stylesheet(generators["feed.atom"].atom_str(pretty=True)),
        "feed.rss": _with_stylesheet(generators["feed.rss"].rss_str(pretty=True)),
        "feed.json": _json_feed(entries, settings),
        STYLESHEET_NAME: xsl,
    }


def render_digests_feed(digests: Sequence[Digest], settings: Settings) -> bytes:
    """The Atom feed of past digest issues (``out/digests.atom``), newest first.

    One entry per issue: its subject as title, its archive page as link, ``created`` as
    updated and published, and its HTML (body only, sanitized, links made absolute) as content.
    """
    ids = [d.id for d in digests]
    if len(set(ids)) != len(ids):
        raise ValueError("two digests share an id")
    fg = _feed_generator(
        settings,
        feed_id=_tag(settings, "digests"),
        title=_clean(f"{settings.site.title} — digest"),
        subtitle="Every issue of the e-mail digest.",
        self_name="digests.atom",
        updated=max((d.created for d in digests), default=EPOCH),
    )
    for digest in digests:
        link = settings.url(f"digests/{digest.id}.html")
        fe = fg.add_entry(order="append")
        fe.id(_tag(settings, f"digest/{digest.id}"))
        fe.title(_clean(digest.subject))
        fe.link(href=link, rel="alternate", type="text/html")
        fe.links.add(link, "alternate")
        fe.published(_utc(digest.created))
        fe.updated(_utc(digest.created))
        fe.content(_clean(_absolute_html(_body_of(digest.html), link)), type="html")
    return _with_stylesheet(fg.atom_str(pretty=True))


def load_stylesheet(settings: Settings) -> bytes:
    """The XSLT preview stylesheet, from the user's templates directory or the built-in one."""
    for directory in template_dirs(settings.paths.templates):
        path = directory / STYLESHEET_NAME
        if path.is_file():
            return path.read_bytes()
    raise FileNotFoundError(f"{STYLESHEET_NAME} not found in the templates directories")


def atom_id(settings: Settings, entry_id: str) -> str:
    """The permanent Atom id (and RSS guid, JSON Feed id) of an entry: a tag: URI."""
    return _tag(settings, entry_id)


# --- building blocks -------------------------------------------------------------------


def _feed_generator(
    settings: Settings,
    *,
    feed_id: str,
    title: str,
    subtitle: str,
    self_name: str,
    updated: datetime,
) -> FeedGenerator:
    site = settings.site
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("links", BaseExtension, _AtomEntryLinks, atom=True, rss=False)
    fg.id(feed_id)
    fg.title(_clean(title))
    fg.subtitle(_clean(subtitle))
    fg.author(name=_clean(site.author), email=_clean(site.email))
    fg.language(site.language)
    fg.generator(GENERATOR)
    fg.updated(_utc(updated))
    media_type = _RSS_TYPE if self_name.endswith(".rss") else _ATOM_TYPE
    fg.link(href=settings.url(self_name), rel="self", type=media_type)
    # Last on purpose: feedgen makes the last link() the RSS channel <link>, which must be
    # the site, not the feed.
    fg.link(href=settings.base_url, rel="alternate", type="text/html")
    if settings.icon_url:
        fg.icon(settings.icon_url)
        # RSS has no icon: feedgen writes the logo as the channel's <image>, with the
        # channel's title and link as RSS requires (and Atom gets a <logo> as well).
        fg.logo(settings.icon_url)
    return fg


def _add_entry(fg: FeedGenerator, entry: Entry, settings: Settings) -> None:
    article = entry.article
    link = _entry_link(entry, settings)
    summary = _clean(" ".join(entry.summary))
    fe = fg.add_entry(order="append")
    # id() sets the Atom id and a guid with isPermaLink="false"; guid() is never called
    # because guid(permalink=True) would overwrite the Atom id.
    fe.id(atom_id(settings, entry.id))
    fe.title(_clean(entry.title))
    fe.link(href=link, rel="alternate", type="text/html")  # the RSS <link>
    fe.links.add(link, "alternate")
    original = _original_url(article.url)
    if original:
        fe.links.add(original, "related")
    fe.published(_utc(entry.published))
    fe.updated(_utc(entry.updated))
    author = _clean(article.author or settings.site.author)
    fe.author(name=author)
    # RSS <author> must be an e-mail address, which article bylines are not: dc:creator.
    fe.dc.dc_creator(author)
    for keyword in entry.keywords:
        fe.category(term=_clean(keyword))
    # Order matters: summary() copies the raw text into the RSS description, description()
    # replaces it with the HTML-escaped text (RSS descriptions are read as HTML) and also
    # sets the Atom content, which content() then replaces with the article body.
    fe.summary(summary, type="text")
    fe.description(escape(summary, quote=False))
    fe.content(_clean(_absolute_html(markup.body_html(article), link, body=True)), type="html")


def _json_feed(entries: Sequence[Entry], settings: Settings) -> bytes:
    site = settings.site
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": _clean(site.title),
        "description": _clean(site.subtitle),
        "home_page_url": settings.base_url,
        "feed_url": settings.url("feed.json"),
        "language": site.language,
        "authors": [{"name": _clean(site.author)}],
    }
    if settings.icon_url:
        feed["icon"] = feed["favicon"] = settings.icon_url
    feed["items"] = [_json_item(entry, settings) for entry in entries]
    text = json.dumps(feed, ensure_ascii=False, indent=2) + "\n"
    return text.encode("utf-8")


def _json_item(entry: Entry, settings: Settings) -> dict[str, Any]:
    link = _entry_link(entry, settings)
    item: dict[str, Any] = {
        "id": atom_id(settings, entry.id),
        "url": link,
        "title": _clean(entry.title),
        "content_html": _clean(_absolute_html(markup.body_html(entry.article), link, body=True)),
        "summary": _clean(" ".join(entry.summary)),
        "date_published": _utc(entry.published).isoformat(),
        "date_modified": _utc(entry.updated).isoformat(),
        "authors": [{"name": _clean(entry.article.author or settings.site.author)}],
        "tags": [_clean(k) for k in entry.keywords],
    }
    original = _original_url(entry.article.url)
    if original:
        item["external_url"] = original
    if entry.article.language:
        item["language"] = entry.article.language
    return item


class _AtomEntryLinks(BaseEntryExtension):  # type: ignore[misc]
    """Writes an Atom entry's links with their rel and type.

    feedgen 1.0 loses both when it writes entry links (a loop variable shadows the link
    data), which would turn a "related" link into a second "alternate" one.
    """

    def __init__(self) -> None:
        self._links: list[tuple[str, str]] = []

    def add(self, href: str, rel: str) -> None:
        """Add a text/html link with relation ``rel``."""
        self._links.append((href, rel))

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        """Replace feedgen's entry links with complete ones."""
        for old in entry.findall("link"):
            entry.remove(old)
        for href, rel in self._links:
            etree.SubElement(entry, "link", href=href, rel=rel, type="text/html")
        return entry


# --- helpers ---------------------------------------------------------------------------


def _check_distinct(entries: Iterable[Entry]) -> None:
    ids: set[str] = set()
    instants: set[datetime] = set()
    for entry in entries:
        if entry.id in ids:
            raise ValueError(f"two entries share the id {entry.id!r}")
        if entry.updated in instants:
            raise ValueError(f"two entries share the updated instant {entry.updated.isoformat()}")
        ids.add(entry.id)
        instants.add(entry.updated)


def _tag(settings: Settings, specific: str) -> str:
    # RFC 4151: tag:<host>,<date>:<specific>. The host without port, the base path kept so
    # two sites on one host differ; nothing in it depends on the build.
    parts = urlsplit(settings.base_url)
    host = (parts.hostname or "localhost").lower()
    prefix = parts.path.strip("/")
    name = f"{prefix}/{specific}" if prefix else specific
    return f"tag:{host},{TAG_YEAR}:{quote(name, safe='/')}"


def _entry_link(entry: Entry, settings: Settings) -> str:
    return settings.url(quote(entry.page))


def _original_url(url: str | None) -> str | None:
    # Only absolute http(s) links: anything else would be a relative (or unsafe) URL.
    if url and urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc:
        return url
    return None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} in a feed")
    return moment.astimezone(UTC)


def _clean(text: str) -> str:
    """Drop characters XML cannot carry, so one stray byte never breaks a whole feed."""
    return _XML_FORBIDDEN.sub("", text)


def _absolute_html(html: str, base: str, *, body: bool = False) -> str:
    """Sanitize ``html`` again with every href made absolute against ``base``; an article
    ``body`` keeps its tables and lead image (markup.BODY_TAGS)."""

    def absolute(_element: str, attribute: str, value: str) -> str | None:
        return urljoin(base, value) if attribute in ("href", "src") else value

    tags = markup.BODY_TAGS if body else markup.ALLOWED_TAGS
    return markup.sanitize(html, attribute_filter=absolute, tags=tags)


def _body_of(html: str) -> str:
    """The inside of <body> of a whole HTML document (a digest), so its <title> and <style>
    text do not leak into the entry, without the elements it hides or marks as mail-only; a
    fragment is returned as it is."""
    if not re.search(r"<body[\s>]", html, re.IGNORECASE):
        return html
    body = lxml.html.document_fromstring(html).body
    if body is None:  # lxml always makes one for a document with a <body> tag
        return html
    # Text the mail hides with an inline style (its preheader) would show once the sanitizer
    # drops the style attribute; what the template marks as mail-only (the subscription
    # footer) is not true of a feed entry.
    for hidden in body.xpath(".//*[@style or @data-mail-only]"):
        if hidden.get("data-mail-only") is not None or _HIDDEN.search(hidden.get("style", "")):
            hidden.drop_tree()
    inner = [escape(body.text or "", quote=False)]
    inner.extend(etree.tostring(child, encoding="unicode", method="html") for child in body)
    return "".join(inner)


def _with_stylesheet(document: bytes) -> bytes:
    # A relative href on purpose: browsers apply XSLT only from the feed's own origin, and a
    # relative reference is same-origin wherever the files are served (the preview server,
    # a CDN, a different base_url). It is a processing instruction, not feed content.
    root = etree.fromstring(document)
    root.addprevious(
        etree.ProcessingInstruction("xml-stylesheet", f'type="text/xsl" href="{STYLESHEET_NAME}"')
    )
    tree = root.getroottree()
    return etree.tostring(tree, encoding="UTF-8", xml_declaration=True, pretty_print=True)
