"""The browsable HTML archive: an index of the newest articles with the list of months, one
page per month (``archive/YYYY-MM.html``, by published date), and one page per article.

Months, not positions: an article published in March goes to the March page whenever it is
added, so adding one article rewrites its own page, its month and the index, never the rest.
A month of more than MONTH_PAGE_SIZE articles is split into parts filled from its oldest
article on (``archive/YYYY-MM-1.html`` holds the oldest), so that its newest page, the one
new articles land on, stays small and the full parts never change.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from urllib.parse import quote

import jinja2

from ..config import Settings
from ..models import Entry
from .directory import FeedListing
from .feeds import feed_image
from .markup import body_html
from .message import SUBSCRIBE_PATH
from .structured import article_data, collection_data, open_graph
from .templating import BUILTIN_TEMPLATES, environment, month_name, render

STYLESHEET = "style.css"
SEARCH_SCRIPT = "search.js"
SEARCH_PAGE = "search.html"
FEEDS_PAGE = "feeds.html"
DIGESTS_PAGE = "digests/index.html"
# Entries on the index page; the rest are a click away on their month's page.
INDEX_SIZE = 50
FEED_LINKS = (
    ("application/atom+xml", "feed.atom", "Atom"),
    ("application/rss+xml", "feed.rss", "RSS"),
    ("application/feed+json", "feed.json", "JSON Feed"),
)


# Most entries on one month page: a page stays quick to render, load and read.
MONTH_PAGE_SIZE = 500

T = TypeVar("T")
# A page of the archive by month: ("YYYY-MM", part), part 0 being the month's newest page.
MonthPart = tuple[str, int]


def month_path(month: str, part: int = 0) -> str:
    """Where a page of ``month`` ("YYYY-MM") lives, relative to the output directory: its
    newest page for part 0, else part ``part`` (1 = its oldest articles)."""
    return f"archive/{month}.html" if part == 0 else f"archive/{month}-{part}.html"


def relative_link(target: str, *, page: str, base: str) -> str:
    """``target``, an absolute URL, as the page at ``page`` (its absolute URL) should link
    to it: a relative path when both are inside the site at ``base``, else as it is.

    Relative links keep the archive whole wherever it is looked at: opened from disk, served
    on another port for a preview, or moved under another path before ``base`` is live.
    """
    if not (target.startswith(base) and page.startswith(base)):
        return target
    path = target.removeprefix(base)
    here = posixpath.dirname(page.removeprefix(base).partition("?")[0])
    return posixpath.relpath(path or ".", here or ".") + ("/" if path.endswith("/") else "")


def topic_path(slug: str) -> str:
    """Where the page of the topic with this slug lives."""
    return f"topics/{slug}.html"


def month_parts(oldest_first: Sequence[T]) -> list[tuple[int, Sequence[T]]]:
    """Split a month's articles (oldest first) into its pages: (part, articles), oldest first.

    Parts 1, 2, ... hold MONTH_PAGE_SIZE articles each; part 0, the newest page, the rest
    (1 to MONTH_PAGE_SIZE of them). Articles added after the others only change part 0.
    """
    full = max(0, (len(oldest_first) - 1) // MONTH_PAGE_SIZE)
    size = MONTH_PAGE_SIZE
    parts = [(k + 1, oldest_first[k * size : (k + 1) * size]) for k in range(full)]
    return [*parts, (0, oldest_first[full * size :])]


@dataclass(frozen=True)
class Archive:
    """Renders archive pages for one site; create once per build."""

    settings: Settings
    _env: jinja2.Environment = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen: the environment is made once, here, from the settings.
        object.__setattr__(self, "_env", environment(self.settings.paths.templates))

    def _context(self, url: str) -> dict[str, object]:
        """What every page shows, for the page at ``url``: links to the site's own files
        are relative to it (see ``relative_link``), so the archive works wherever it is
        opened; ``url`` itself is the page's canonical address."""
        settings, link = self.settings, self._links(url)
        icon = settings.icon_url
        return {
            "site": settings.site,
            "base_url": settings.base_url,
            "url": url,
            "canonical": url,
            "home": link("index.html"),
            "stylesheet": link(STYLESHEET),
            "feeds": [(kind, link(name), label) for kind, name, label in FEED_LINKS],
            "digests_feed": link("digests.atom"),
            "digests_page": link(DIGESTS_PAGE),
            "feeds_page": link(FEEDS_PAGE),
            "search_page": link(SEARCH_PAGE),
            "icon_url": icon and relative_link(icon, page=url, base=settings.base_url),
            # Where the signup form posts (answered by `serve`), when signup is on.
            "signup": link(SUBSCRIBE_PATH) if settings.signup.enabled else None,
            "jsonld": None,
            "og": [],
            "query": "",
        }

    def _links(self, url: str) -> Callable[[str], str]:
        """From the page at ``url``: a path in the site to the link that reaches it."""
        url_of, base = self.settings.url, self.settings.base_url
        return lambda path: relative_link(url_of(quote(path)), page=url, base=base)

    def article_page(
        self,
        entry: Entry,
        related: Sequence[Entry] = (),
        topics: Mapping[str, str] | None = None,
    ) -> bytes:
        """One article's page: title, metadata, the lead image, the full cleaned body, related
        reports. ``topics`` maps the keywords that are topics to their slugs: those link to
        the topic's page (and its feeds), the others are plain words."""
        settings = self.settings
        url = settings.url(entry.page)
        link = self._links(url)
        context = self._context(url)
        image = feed_image(entry.article.image)
        original = entry.article.url
        if settings.site.canonical == "source" and original and original.startswith("http"):
            context["canonical"] = original
        topics = topics or {}
        context.update(
            entry=entry,
            body=body_html(entry.article),
            related=[(e, link(e.page)) for e in related],
            keywords=[
                (word, link(topic_path(topics[word])) if word in topics else None)
                for word in entry.keywords
            ],
            show_summary=not _opens_with(entry, " ".join(entry.summary)),
            og=open_graph(entry, settings, url=url, image=image),
            jsonld=article_data(entry, settings, url=url, image=image),
        )
        return render(self._env, "article.html.j2", context).encode("utf-8")

    def topic_page(self, name: str, slug: str, entries: Sequence[Entry], stem: str) -> bytes:
        """A topic's page: its newest entries and its feeds (``stem``.atom, .rss, .json)."""
        url = self.settings.url(topic_path(slug))
        link = self._links(url)
        context = self._context(url)
        context.update(
            name=name,
            entries=[(e, link(e.page)) for e in entries],
            topic_feeds=[(kind, link(f"{stem}.{ext}"), label) for kind, ext, label in _KINDS],
        )
        return render(self._env, "topic.html.j2", context).encode("utf-8")

    def feeds_page(
        self, feeds: Sequence[FeedListing], headlines: Mapping[str, Sequence[Entry]]
    ) -> bytes:
        """Every feed of the site with a link per format, and each topic's newest headlines
        (``headlines``, by feed stem)."""
        url = self.settings.url(FEEDS_PAGE)
        link = self._links(url)
        context = self._context(url)
        groups = []
        for group, label in (("site", "This site"), ("topic", "Topics"), ("source", "Sources")):
            members = [
                {
                    "title": feed.title,
                    "home": link(feed.home),
                    "links": [(kind, link(f"{feed.stem}.{ext}"), lb) for kind, ext, lb in _KINDS],
                    "headlines": [(e, link(e.page)) for e in headlines.get(feed.stem, ())],
                }
                for feed in feeds
                if feed.group == group
            ]
            if members:
                groups.append((group, label, members))
        context.update(groups=groups, opml=link("feeds.opml"))
        return render(self._env, "feeds.html.j2", context).encode("utf-8")

    def digests_page(self, issues: Sequence[tuple[str, str, datetime]]) -> bytes:
        """The list of digest issues: (id, subject, created), newest first."""
        url = self.settings.url(DIGESTS_PAGE)
        link = self._links(url)
        context = self._context(url)
        context.update(
            issues=[(subject, created, link(f"digests/{i}.html")) for i, subject, created in issues]
        )
        return render(self._env, "digests.html.j2", context).encode("utf-8")

    def search_page(self) -> bytes:
        """The search page: the box, and the script that reads the static index."""
        url = self.settings.url(SEARCH_PAGE)
        link = self._links(url)
        context = self._context(url)
        context.update(script=link(SEARCH_SCRIPT), index=link("search/index.json"))
        return render(self._env, "search.html.j2", context).encode("utf-8")

    def index_page(self, entries: Sequence[Entry], months: Mapping[str, int]) -> bytes:
        """The front page: the newest entries with their summaries, and every month with
        its number of articles (``months``, "YYYY-MM" to count), newest first."""
        url = self.settings.url("index.html")
        link = self._links(url)
        context = self._context(url)
        context.update(
            entries=[(e, link(e.page)) for e in entries],
            months=[(m, months[m], link(month_path(m))) for m in sorted(months, reverse=True)],
        )
        return render(self._env, "index.html.j2", context).encode("utf-8")

    def month_page(
        self,
        page: MonthPart,
        entries: Sequence[Entry],
        newer: MonthPart | None,
        older: MonthPart | None,
    ) -> bytes:
        """One page of a month's articles (see ``month_parts``), newest first; ``newer`` and
        ``older`` are the neighbouring pages, if any: a month's own parts, or the newest page
        of the neighbouring months that have articles."""
        url = self.settings.url(month_path(*page))
        link = self._links(url)

        def neighbour(target: MonthPart | None) -> tuple[str, int, str] | None:
            return (*target, link(month_path(*target))) if target else None

        context = self._context(url)
        title = _month_title(*page)
        context.update(
            month=page[0],
            part=page[1],
            entries=[(e, link(e.page)) for e in entries],
            newer=neighbour(newer),
            older=neighbour(older),
            jsonld=collection_data(title, url, entries, self.settings),
        )
        return render(self._env, "month.html.j2", context).encode("utf-8")

    def removed_page(self, page: str, removed: datetime) -> bytes:
        """The tombstone left at ``page`` (an article's page, relative to the site) when its
        article was unpublished at ``removed``."""
        context = self._context(self.settings.url(page))
        context.update(removed=removed)
        return render(self._env, "removed.html.j2", context).encode("utf-8")

    def unsubscribe_page(
        self, state: str, *, url: str, mailbox: str, address: str = "", action: str = ""
    ) -> bytes:
        """The page at ``url``, the digest's unsubscribe endpoint: ``state`` is "confirm"
        (with the form that posts to ``action``), "done", "invalid" (a link that does not
        verify) or "help" (no address given); ``mailbox`` takes unsubscribe requests by mail."""
        context = self._context(url)
        context.update(state=state, address=address, action=action, mailbox=mailbox)
        return render(self._env, "unsubscribe.html.j2", context).encode("utf-8")

    def reader_page(self, template: str, url: str, values: Mapping[str, object]) -> bytes:
        """A page that ``serve`` answers for readers (signup, confirmation, preferences):
        ``template`` at ``url``, with ``values`` beside what every page shows."""
        context = self._context(url)
        context.update(values)
        return render(self._env, template, context).encode("utf-8")

    def stylesheet(self) -> bytes:
        """The archive's one stylesheet (the user's override when present)."""
        return self.static(STYLESHEET)

    def static(self, name: str) -> bytes:
        """A file the archive serves as it is (its stylesheet, the search script), the
        user's override when present."""
        for directory in (self.settings.paths.templates, BUILTIN_TEMPLATES):
            if directory and (directory / name).is_file():
                return (directory / name).read_bytes()
        raise FileNotFoundError(name)


# Each feed format: media type, extension, label.
_KINDS = (
    ("application/atom+xml", "atom", "Atom"),
    ("application/rss+xml", "rss", "RSS"),
    ("application/feed+json", "json", "JSON Feed"),
)


def _month_title(month: str, part: int) -> str:
    name = month_name(month)
    return f"{name}, part {part}" if part else name


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _opens_with(entry: Entry, summary: str) -> bool:
    """Whether the article's text opens with ``summary`` word for word: then the summary,
    shown above it, would only repeat its opening."""
    if not entry.article.blocks or not summary.strip():
        return False
    wanted = _folded(summary)
    opening = ""
    for block in entry.article.blocks:
        opening = f"{opening} {_folded(block.text)}".strip()
        if len(opening) >= len(wanted):
            break
    return opening.startswith(wanted)
