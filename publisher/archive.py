"""The browsable HTML archive: an index of every article, newest first, and one page each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .config import Settings
from .markup import body_html
from .models import Entry
from .templating import BUILTIN_TEMPLATES, environment

STYLESHEET = "style.css"
FEED_LINKS = (
    ("application/atom+xml", "feed.atom", "Atom"),
    ("application/rss+xml", "feed.rss", "RSS"),
    ("application/feed+json", "feed.json", "JSON Feed"),
)


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
        }

    def page_path(self, entry: Entry) -> str:
        """Where the entry's page lives, relative to the output directory."""
        return f"articles/{entry.slug}.html"

    def article_page(self, entry: Entry, related: Sequence[Entry] = ()) -> bytes:
        """One article's page: title, metadata, the full cleaned body, related reports."""
        template = self._env.get_template("article.html.j2")  # type: ignore[attr-defined]
        return template.render(
            **self._context(),
            entry=entry,
            url=self.settings.url(self.page_path(entry)),
            body=body_html(entry.article),
            related=[(e, self.settings.url(self.page_path(e))) for e in related],
        ).encode("utf-8")

    def index_page(self, entries: Sequence[Entry]) -> bytes:
        """The archive index: every entry, newest first, with its summary."""
        template = self._env.get_template("index.html.j2")  # type: ignore[attr-defined]
        return template.render(
            **self._context(),
            url=self.settings.url("index.html"),
            entries=[(e, self.settings.url(self.page_path(e))) for e in entries],
        ).encode("utf-8")

    def stylesheet(self) -> bytes:
        """The archive's one stylesheet (the user's override when present)."""
        for directory in (self.settings.paths.templates, BUILTIN_TEMPLATES):
            if directory and (directory / STYLESHEET).is_file():
                return (directory / STYLESHEET).read_bytes()
        raise FileNotFoundError(STYLESHEET)
