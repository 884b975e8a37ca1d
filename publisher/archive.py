"""The browsable HTML archive: an index of the newest articles with the list of months, one
page per month (``archive/YYYY-MM.html``, by published date), and one page per article.

Months, not positions: an article published in March goes to the March page whenever it is
added, so adding one article rewrites its own page, its month and the index, never the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .config import Settings
from .markup import body_html
from .models import Entry
from .templating import BUILTIN_TEMPLATES, environment

STYLESHEET = "style.css"
# Entries on the index page; the rest are a click away on their month's page.
INDEX_SIZE = 50
FEED_LINKS = (
    ("application/atom+xml", "feed.atom", "Atom"),
    ("application/rss+xml", "feed.rss", "RSS"),
    ("application/feed+json", "feed.json", "JSON Feed"),
)


def month_path(month: str) -> str:
    """Where the page of ``month`` ("YYYY-MM") lives, relative to the output directory."""
    return f"archive/{month}.html"


@dataclass(frozen=True)
class Archive:
    """Renders archive pages for one site; create once per build."""

    settings: Settings

    def __post_init__(self) -> None:
        object.__setattr__(self, "_env", environment(self.settings.paths.templates))

    def _context(self) -> dict[str, object]:
        settings = self.settings
        return {
            "site": settings.site,
            "base_url": settings.base_url,
            "stylesheet": settings.url(STYLESHEET),
            "feeds": [(kind, settings.url(name), label) for kind, name, label in FEED_LINKS],
            "digests_feed": settings.url("digests.atom"),
            "icon_url": settings.icon_url,
        }

    def article_page(self, entry: Entry, related: Sequence[Entry] = ()) -> bytes:
        """One article's page: title, metadata, the full cleaned body, related reports."""
        template = self._env.get_template("article.html.j2")  # type: ignore[attr-defined]
        return template.render(
            **self._context(),
            entry=entry,
            url=self.settings.url(entry.page),
            body=body_html(entry.article),
            related=[(e, self.settings.url(e.page)) for e in related],
        ).encode("utf-8")

    def index_page(self, entries: Sequence[Entry], months: Mapping[str, int]) -> bytes:
        """The front page: the newest entries with their summaries, and every month with
        its number of articles (``months``, "YYYY-MM" to count), newest first."""
        template = self._env.get_template("index.html.j2")  # type: ignore[attr-defined]
        url = self.settings.url
        return template.render(
            **self._context(),
            url=url("index.html"),
            entries=[(e, url(e.page)) for e in entries],
            months=[(m, months[m], url(month_path(m))) for m in sorted(months, reverse=True)],
        ).encode("utf-8")

    def month_page(
        self, month: str, entries: Sequence[Entry], newer: str | None, older: str | None
    ) -> bytes:
        """One month's articles, newest first; ``newer`` and ``older`` are the neighbouring
        months that have articles, if any."""
        template = self._env.get_template("month.html.j2")  # type: ignore[attr-defined]
        url = self.settings.url
        return template.render(
            **self._context(),
            url=url(month_path(month)),
            month=month,
            entries=[(e, url(e.page)) for e in entries],
            newer=(newer, url(month_path(newer))) if newer else None,
            older=(older, url(month_path(older))) if older else None,
        ).encode("utf-8")

    def stylesheet(self) -> bytes:
        """The archive's one stylesheet (the user's override when present)."""
        for directory in (self.settings.paths.templates, BUILTIN_TEMPLATES):
            if directory and (directory / STYLESHEET).is_file():
                return (directory / STYLESHEET).read_bytes()
        raise FileNotFoundError(STYLESHEET)
