"""Atom 1.0, RSS 2.0 and JSON Feed 1.1 for the newest entries (the site's, a topic's or a
source site's: a ``FeedSpec`` says which), and the Atom feed of digests.

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
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from html import escape
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import lxml.html
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from ..config import Settings
from ..models import Article, Digest, Entry, Image
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
_JSON_TYPE = "application/feed+json"
ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
SY_NS = "http://purl.org/rss/1.0/modules/syndication/"
FH_NS = "http://purl.org/syndication/history/1.0"

# An image's media type, from its URL's extension (an enclosure without one is still valid).
_IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class FeedSpec:
    """One set of feeds (Atom, RSS, JSON Feed) and what tells it apart from the others."""

    stem: str  # the files' path without extension, relative to the output directory
    title: str
    subtitle: str
    specific: str  # the feed id's specific part (tag: URI), never changed once published
    home: str = ""  # the page the feed stands for, relative to the output directory
    # RFC 5005 links of the Atom feed, (rel, path relative to the output directory):
    # prev-archive, next-archive, current.
    history: tuple[tuple[str, str], ...] = ()
    archive: bool = False  # an archive document (fh:archive): Atom only, never changed


def main_feed(settings: Settings, prev_archive: str | None = None) -> FeedSpec:
    """The site's own feeds: feed.atom, feed.rss, feed.json; ``prev_archive`` is the newest
    document of its history."""
    site = settings.site
    history = (("prev-archive", prev_archive),) if prev_archive else ()
    return FeedSpec("feed", site.title, site.subtitle, "feed", "", history)


def render_feeds(
    entries: Sequence[Entry],
    settings: Settings,
    *,
    stylesheet: bytes | None = None,
    prev_archive: str | None = None,
) -> dict[str, bytes]:
    """Render the site feeds for ``entries`` (newest first, already cut to max_entries).

    Returns ``{"feed.atom", "feed.rss", "feed.json", "feed.xsl"}`` mapped to file contents.
    ``stylesheet`` is the XSLT preview sheet; when None it is read from the templates
    directories (the user's ``[paths] templates`` first, then the built-in one).
    ``prev_archive`` is the newest archive document of the feed's history (RFC 5005).
    Raises ValueError when two entries share an id or an ``updated`` instant, which would
    make readers merge or misorder them.
    """
    xsl = stylesheet if stylesheet is not None else load_stylesheet(settings)
    files = render_feed_set(entries, settings, main_feed(settings, prev_archive))
    files[STYLESHEET_NAME] = xsl
    return files


def render_feed_set(
    entries: Sequence[Entry], settings: Settings, spec: FeedSpec
) -> dict[str, bytes]:
    """The Atom, RSS and JSON feeds of ``spec`` for ``entries`` (newest first): the same
    entry ids in every feed of the site, so a reader subscribed to two sees one entry once."""
    _check_distinct(entries)
    updated = max((e.updated for e in entries), default=EPOCH)
    files: dict[str, bytes] = {}
    # Two generators because each format's rel="self" link must name its own file, and
    # feedgen takes RSS's atom:link from the same link list as Atom's.
    for kind in ("atom",) if spec.archive else ("atom", "rss"):
        name = f"{spec.stem}.{kind}"
        fg = _feed_generator(
            settings,
            feed_id=_tag(settings, spec.specific),
            title=spec.title,
            subtitle=spec.subtitle,
            self_name=name,
            updated=updated,
            home=spec.home,
        )
        extras = _FeedExtras.of(fg)
        # Hubs announce changes, which an archive document never has.
        extras.hubs = () if spec.archive else settings.feed.hubs
        if kind == "atom":
            extras.archive = spec.archive
            extras.links = [(rel, settings.url(path), _ATOM_TYPE) for rel, path in spec.history]
        if kind == "rss":
            extras.every = settings.schedule.build_every()
            fg.ttl(max(1, -(-extras.every // 60)))  # minutes, rounded up
        for entry in entries:
            _add_entry(fg, entry, settings)
        document = fg.atom_str(pretty=True) if kind == "atom" else fg.rss_str(pretty=True)
        files[name] = _with_stylesheet(document, name)
    if not spec.archive:
        files[f"{spec.stem}.json"] = _json_feed(entries, settings, spec)
    return files


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
        fe.extras.add(link, "alternate")
        fe.published(_utc(digest.created))
        fe.updated(_utc(digest.created))
        fe.content(_clean(_absolute_html(_body_of(digest.html), link)), type="html")
    return _with_stylesheet(fg.atom_str(pretty=True), "digests.atom")


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
    home: str = "",
) -> FeedGenerator:
    site = settings.site
    fg = FeedGenerator()
    kind = "rss" if self_name.endswith(".rss") else "atom"
    fg.load_extension("dc", atom=False, rss=True)
    if kind == "rss":
        fg.register_extension("extras", _FeedExtras, _RssItemExtras, atom=False, rss=True)
        _FeedExtras.of(fg).rss = True
    else:
        fg.register_extension("extras", _FeedExtras, _AtomEntryExtras, atom=True, rss=False)
    fg.id(feed_id)
    fg.title(_clean(title))
    fg.subtitle(_clean(subtitle))
    fg.author(name=_clean(site.author), email=_clean(site.email))
    fg.language(site.language)
    fg.generator(GENERATOR)
    fg.updated(_utc(updated))
    media_type = _RSS_TYPE if kind == "rss" else _ATOM_TYPE
    fg.link(href=settings.url(self_name), rel="self", type=media_type)
    # Last on purpose: feedgen makes the last link() the RSS channel <link>, which must be
    # the site (or the feed's own page), not the feed.
    fg.link(href=settings.url(home), rel="alternate", type="text/html")
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
    extras: _EntryExtras = fe.extras
    extras.full = settings.feed.content == "full"
    extras.add(link, "alternate")
    original = _original_url(article.url)
    if original:
        extras.add(original, "related")
    image = feed_image(article.image)
    if image is not None:
        extras.image = image
        extras.add(image.url, "enclosure", _image_type(image.url))
    fe.published(_utc(entry.published))
    fe.updated(_utc(entry.updated))
    if article.author:
        # Only a real byline: an entry without one falls back on the feed's own author in
        # Atom, and crediting the site's operator with someone else's article would be wrong.
        author = _clean(article.author)
        fe.author(name=author)
        # RSS <author> must be an e-mail address, which article bylines are not: dc:creator.
        fe.dc.dc_creator(author)
    for keyword in entry.keywords:
        fe.category(term=_clean(keyword))
    # Order matters: summary() copies the raw text into the RSS description, description()
    # replaces it with the HTML-escaped text (RSS descriptions are read as HTML) and also
    # sets the Atom content, which content() then replaces with the article body (or, for
    # summary-only feeds, the entry extension removes).
    fe.summary(summary, type="text")
    fe.description(escape(summary, quote=False))
    if extras.full:
        fe.content(content_html(article, link), type="html")


def _json_feed(entries: Sequence[Entry], settings: Settings, spec: FeedSpec) -> bytes:
    site = settings.site
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": _clean(spec.title),
        "description": _clean(spec.subtitle),
        "home_page_url": settings.url(spec.home),
        "feed_url": settings.url(f"{spec.stem}.json"),
        "language": site.language,
        "authors": [{"name": _clean(site.author)}],
    }
    if settings.icon_url:
        feed["icon"] = feed["favicon"] = settings.icon_url
    if settings.feed.hubs:
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in settings.feed.hubs]
    feed["items"] = [_json_item(entry, settings) for entry in entries]
    text = json.dumps(feed, ensure_ascii=False, indent=2) + "\n"
    return text.encode("utf-8")


def _json_item(entry: Entry, settings: Settings) -> dict[str, Any]:
    link = _entry_link(entry, settings)
    item: dict[str, Any] = {
        "id": atom_id(settings, entry.id),
        "url": link,
        "title": _clean(entry.title),
    }
    if settings.feed.content == "full":
        item["content_html"] = content_html(entry.article, link)
    else:
        item["content_text"] = _clean(" ".join(entry.summary))
    item.update(
        summary=_clean(" ".join(entry.summary)),
        date_published=_utc(entry.published).isoformat(),
        date_modified=_utc(entry.updated).isoformat(),
    )
    if entry.article.author:  # else the feed's authors stand
        item["authors"] = [{"name": _clean(entry.article.author)}]
    item["tags"] = [_clean(k) for k in entry.keywords]
    image = feed_image(entry.article.image)
    if image is not None:
        item["image"] = image.url
    original = _original_url(entry.article.url)
    if original:
        item["external_url"] = original
    if entry.article.language:
        item["language"] = entry.article.language
    return item


@lru_cache(maxsize=2048)
def content_html(article: Article, link: str) -> str:
    """An entry's content: the article's body as sanitized HTML, its links made absolute
    against ``link``. Kept for the build's other feeds: an article is in the site's feed,
    its topics', its site's and its month's, with the same content in each."""
    return _clean(_absolute_html(markup.body_html(article), link, body=True))


def feed_image(image: Image | None) -> Image | None:
    """``image`` when a feed may carry it: an absolute http(s) URL without characters XML
    forbids, and not a tracking pixel (a side of one or two pixels)."""
    if image is None or _original_url(image.url) is None or _XML_FORBIDDEN.search(image.url):
        return None
    if (image.width is not None and image.width <= 2) or (
        image.height is not None and image.height <= 2
    ):
        return None
    return image


def _image_type(url: str) -> str | None:
    return _IMAGE_TYPES.get(posixpath.splitext(urlsplit(url).path)[1].lower())


class _FeedExtras(BaseExtension):  # type: ignore[misc]
    """What feedgen does not write at the feed level: WebSub hub links (Atom link, RSS
    atom:link), RFC 5005 history links and fh:archive, and RSS update hints (sy:)."""

    def __init__(self) -> None:
        self.hubs: tuple[str, ...] = ()
        self.links: list[tuple[str, str, str]] = []  # (rel, href, type)
        self.archive = False
        self.rss = False
        self.every = 0  # seconds between builds (RSS only)

    @staticmethod
    def of(fg: FeedGenerator) -> _FeedExtras:
        """The extension as registered on ``fg``."""
        extras: _FeedExtras = fg.extras
        return extras

    def extend_ns(self) -> dict[str, str]:
        """The namespaces of what this writes, declared once on the root element."""
        if self.rss:
            return {"media": MEDIA_NS, "sy": SY_NS}
        return {"fh": FH_NS} if self.archive else {}

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        """Add the hub and history links (and fh:archive) to an Atom feed."""
        for hub in self.hubs:
            etree.SubElement(feed, "link", href=hub, rel="hub")
        for rel, href, kind in self.links:
            etree.SubElement(feed, "link", href=href, rel=rel, type=kind)
        if self.archive:
            etree.SubElement(feed, f"{{{FH_NS}}}archive")
        return feed

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        """Add the hub links and the update hints to an RSS channel."""
        channel = feed[0]
        for hub in self.hubs:
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=hub, rel="hub")
        if self.every:
            period, frequency = _update_period(self.every)
            etree.SubElement(channel, f"{{{SY_NS}}}updatePeriod").text = period
            etree.SubElement(channel, f"{{{SY_NS}}}updateFrequency").text = str(frequency)
        return feed


def _update_period(every: int) -> tuple[str, int]:
    """sy:updatePeriod and sy:updateFrequency for a build every ``every`` seconds."""
    for period, length in (("hourly", 3600), ("daily", 86400)):
        if every <= length:
            return period, max(1, length // every)
    return "weekly", max(1, 7 * 86400 // every)


class _EntryExtras(BaseEntryExtension):  # type: ignore[misc]
    """An entry's links, image and content mode, shared by the Atom and RSS writers."""

    def __init__(self) -> None:
        self._links: list[tuple[str, str, str | None]] = []
        self.image: Image | None = None
        self.full = True

    def add(self, href: str, rel: str, kind: str | None = "text/html") -> None:
        """Add a link with relation ``rel`` and media type ``kind``."""
        self._links.append((href, rel, kind))


class _AtomEntryExtras(_EntryExtras):
    """Writes an Atom entry's links with their rel and type, and drops its content in a
    summary-only feed.

    feedgen 1.0 loses both rel and type when it writes entry links (a loop variable shadows
    the link data), which would turn a "related" link into a second "alternate" one.
    """

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        """Replace feedgen's entry links with complete ones."""
        for old in entry.findall("link"):
            entry.remove(old)
        for href, rel, kind in self._links:
            link = etree.SubElement(entry, "link", href=href, rel=rel)
            if kind:
                link.set("type", kind)
        if not self.full:
            for content in entry.findall("content"):
                entry.remove(content)
        return entry


class _RssItemExtras(_EntryExtras):
    """Writes an RSS item's image as media:thumbnail (Media RSS)."""

    def extend_rss(self, item: etree._Element) -> etree._Element:
        """Add the thumbnail, with its size when known."""
        if self.image is not None:
            thumbnail = etree.SubElement(item, f"{{{MEDIA_NS}}}thumbnail", url=self.image.url)
            if self.image.width and self.image.height:
                thumbnail.set("width", str(self.image.width))
                thumbnail.set("height", str(self.image.height))
        return item


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


def id_authority(base_url: str) -> str:
    """The naming authority a site at ``base_url`` would give its ids: the host without its
    port, and the base path, so that two sites on one host differ ("example.org/news")."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "localhost").lower()
    prefix = parts.path.strip("/")
    return f"{host}/{prefix}" if prefix else host


def _tag(settings: Settings, specific: str) -> str:
    # RFC 4151: tag:<host>,<date>:<specific>. The authority is [feed] id_authority, which the
    # build fixes when the first article is published (else the base URL's): nothing in it
    # depends on the build, nor on base_url once articles are out.
    authority = settings.feed.id_authority or id_authority(settings.base_url)
    host, _, prefix = authority.partition("/")
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


def _with_stylesheet(document: bytes, name: str) -> bytes:
    # A relative href on purpose: browsers apply XSLT only from the feed's own origin, and a
    # relative reference is same-origin wherever the files are served (the preview server,
    # a CDN, a different base_url). It is a processing instruction, not feed content.
    href = posixpath.relpath(STYLESHEET_NAME, posixpath.dirname(name) or ".")
    root = etree.fromstring(document)
    root.addprevious(
        etree.ProcessingInstruction("xml-stylesheet", f'type="text/xsl" href="{href}"')
    )
    tree = root.getroottree()
    return etree.tostring(tree, encoding="UTF-8", xml_declaration=True, pretty_print=True)
