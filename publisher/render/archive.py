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

import jinja2

from ..config import Settings
from ..models import Entry
from .markup import body_html
from .message import SUBSCRIBE_PATH
from .templating import BUILTIN_TEMPLATES, environment, render

STYLESHEET = "style.css"
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
            "home": link("index.html"),
            "stylesheet": link(STYLESHEET),
            "feeds": [(kind, link(name), label) for kind, name, label in FEED_LINKS],
            "digests_feed": link("digests.atom"),
            "icon_url": icon and relative_link(icon, page=url, base=settings.base_url),
            # Where the signup form posts (answered by `serve`), when signup is on.
            "signup": link(SUBSCRIBE_PATH) if settings.signup.enabled else None,
        }

    def _links(self, url: str) -> Callable[[str], str]:
        """From the page at ``url``: a path in the site to the link that reaches it."""
        url_of, base = self.settings.url, self.settings.base_url
        return lambda path: relative_link(url_of(path), page=url, base=base)

    def article_page(self, entry: Entry, related: Sequence[Entry] = ()) -> bytes:
        """One article's page: title, metadata, the full cleaned body, related reports."""
        url = self.settings.url(entry.page)
        link = self._links(url)
        context = self._context(url)
        context.update(
            entry=entry, body=body_html(entry.article), related=[(e, link(e.page)) for e in related]
        )
        return render(self._env, "article.html.j2", context).encode("utf-8")

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
        context.update(
            month=page[0],
            part=page[1],
            entries=[(e, link(e.page)) for e in entries],
            newer=neighbour(newer),
            older=neighbour(older),
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
        for directory in (self.settings.paths.templates, BUILTIN_TEMPLATES):
            if directory and (directory / STYLESHEET).is_file():
                return (directory / STYLESHEET).read_bytes()
        raise FileNotFoundError(STYLESHEET)
