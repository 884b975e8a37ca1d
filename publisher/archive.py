"""The browsable HTML archive: a paginated index of every article, newest first, and one page
each."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .config import Settings
from .markup import body_html
from .models import Entry
from .templating import BUILTIN_TEMPLATES, environment

STYLESHEET = "style.css"
# Entries per archive page: small enough that a page renders in milliseconds.
PAGE_SIZE = 100
FEED_LINKS = (
    ("application/atom+xml", "feed.atom", "Atom"),
    ("application/rss+xml", "feed.rss", "RSS"),
    ("application/feed+json", "feed.json", "JSON Feed"),
)


def page_name(number: int) -> str:
    """Where archive page ``number`` (1 = the oldest articles) lives in the output."""
    return f"archive/page-{number}.html"


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

    def index_page(
        self,
        entries: Sequence[Entry],
        *,
        path: str = "index.html",
        newer: str | None = None,
        older: str | None = None,
    ) -> bytes:
        """One page of the archive index: its entries, newest first, with their summaries;
        ``newer`` and ``older`` are the paths of the neighbouring pages, if any."""
        template = self._env.get_template("index.html.j2")  # type: ignore[attr-defined]
        url = self.settings.url
        return template.render(
            **self._context(),
            url=url(path),
            entries=[(e, url(self.page_path(e))) for e in entries],
            newer=url(newer) if newer else None,
            older=url(older) if older else None,
        ).encode("utf-8")

    def index_pages(
        self, entries: Sequence[Entry], known: Mapping[str, str] | None = None
    ) -> tuple[dict[str, bytes], dict[str, str]]:
        """The whole index (``entries`` newest first), paginated: (files, fingerprints).

        ``archive/page-N.html`` hold PAGE_SIZE entries each, numbered from the oldest, and
        ``index.html`` the newest PAGE_SIZE to 2 * PAGE_SIZE - 1: a page, once full, keeps
        its entries when newer articles arrive, so a build rewrites the index, not the
        archive (a page's "newer" link changes once, when the page after it appears).
        Every page has a fingerprint of what it shows (its entries' ids and change times,
        its links); a page whose fingerprint ``known`` already holds is not rendered.
        """
        archived = max(0, len(entries) // PAGE_SIZE - 1)
        oldest_first = entries[::-1]
        layout = [
            (
                "index.html",
                entries[: len(entries) - archived * PAGE_SIZE],
                None,
                page_name(archived) if archived else None,
            )
        ]
        for n in range(1, archived + 1):
            chunk = oldest_first[(n - 1) * PAGE_SIZE : n * PAGE_SIZE][::-1]
            newer = page_name(n + 1) if n < archived else "index.html"
            layout.append((page_name(n), chunk, newer, page_name(n - 1) if n > 1 else None))
        files: dict[str, bytes] = {}
        fingerprints: dict[str, str] = {}
        for name, chunk, newer, older in layout:
            shown = [f"{e.id} {e.updated.isoformat()}" for e in chunk] + [f"{newer} {older}"]
            fingerprint = hashlib.sha256("\n".join(shown).encode("utf-8")).hexdigest()
            fingerprints[name] = fingerprint
            if (known or {}).get(name) != fingerprint:
                files[name] = self.index_page(chunk, path=name, newer=newer, older=older)
        return files, fingerprints

    def stylesheet(self) -> bytes:
        """The archive's one stylesheet (the user's override when present)."""
        for directory in (self.settings.paths.templates, BUILTIN_TEMPLATES):
            if directory and (directory / STYLESHEET).is_file():
                return (directory / STYLESHEET).read_bytes()
        raise FileNotFoundError(STYLESHEET)
