"""The feed's complete history (RFC 5005 archive documents) and the sitemaps, both filed by
month and never rewritten once their month is over.

Each article is filed once in a history month (``Store.file_history``): the month it was
published in, or, when that month's documents are already final, the newest month. The
newest month's documents (``feeds/archive/YYYY-MM.atom``, ``sitemaps/YYYY-MM.xml``) follow
its articles; when a newer month appears, they are written one last time, with their
``next-archive`` link, and never again (the month is "closed"). A reader rebuilding the
history walks ``prev-archive`` from ``feed.atom`` and merges entries by id: an article edited
after its month closed is found in its newer state in the current feed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..config import Settings
from ..render.archive import DIGESTS_PAGE, FEEDS_PAGE, SEARCH_PAGE
from ..render.directory import news_sitemap, robots_txt, sitemap, sitemap_index
from ..render.feeds import FeedSpec, render_feed_set
from ..store import Store

# Articles in the news sitemap: those published in the last two days (Google News' rule).
NEWS_WINDOW = timedelta(days=2)
NEWS_SITEMAP = "sitemaps/news.xml"
PAGES_SITEMAP = "sitemaps/pages.xml"


def history_path(month: str) -> str:
    """The archive document of history month ``month`` ("YYYY-MM")."""
    return f"feeds/archive/{month}.atom"


def sitemap_path(month: str) -> str:
    """The sitemap of the article pages filed in history month ``month``."""
    return f"sitemaps/{month}.xml"


def history_files(
    store: Store,
    settings: Settings,
    last: Mapping[str, Any],
    files: dict[str, bytes],
    out: Path,
    *,
    restyled: bool,
) -> tuple[dict[str, Any], list[str]]:
    """Add to ``files`` the archive documents and month sitemaps that must be written: the
    newest month's when its articles changed (or ``restyled``), a month's last version when
    it closes, and any that is missing. Returns the history's meta for the next render and
    its months, oldest first."""
    closed = set(last.get("closed", ()))
    known: dict[str, str] = last.get("prints", {})
    with store.transaction():
        store.file_history(closed)
    months = store.history_months()
    order = sorted(months)
    prints = {month: f"{count} {latest}" for month, (count, latest) in months.items()}
    for index, month in enumerate(order):
        paths = [history_path(month), sitemap_path(month)]
        present = all((out / path).exists() for path in paths)
        newest = index == len(order) - 1
        if month in closed and present:
            continue  # final: never rewritten, whatever changed since
        if newest and present and not restyled and known.get(month) == prints[month]:
            continue
        history: list[tuple[str, str]] = [("current", "feed.atom")]
        if index:
            history.append(("prev-archive", history_path(order[index - 1])))
        if not newest:
            history.append(("next-archive", history_path(order[index + 1])))
            closed.add(month)
        site = settings.site
        spec = FeedSpec(
            stem=history_path(month).removesuffix(".atom"),
            title=f"{site.title}: {month}",
            subtitle=f"Every article of {site.title} filed in {month}.",
            specific=f"feed/{month}",
            history=tuple(history),
            archive=True,
        )
        entries = [record.entry() for record in store.history_articles(month)]
        files.update(render_feed_set(entries, settings, spec))
        pages = [(entry.page, entry.updated) for entry in reversed(entries)]
        files[sitemap_path(month)] = sitemap(pages, settings)
    return {"closed": sorted(closed), "prints": prints}, order


def news_window(store: Store, now: datetime) -> list[tuple[str, str, datetime, str, str]]:
    """The articles of the news sitemap at ``now`` (see ``Store.published_since``)."""
    return store.published_since(now - NEWS_WINDOW)


def sitemap_files(
    settings: Settings,
    history: Sequence[str],
    pages: Sequence[str],
    news: Sequence[tuple[str, str, datetime, str, str]],
) -> dict[str, bytes]:
    """The sitemap index, the sitemap of the pages that are not articles (``pages``, with
    the fixed ones), the news sitemap and robots.txt (when the site is at a host's root)."""
    fixed = ["index.html", FEEDS_PAGE, SEARCH_PAGE, DIGESTS_PAGE]
    files = {
        PAGES_SITEMAP: sitemap([(path, None) for path in [*fixed, *sorted(pages)]], settings),
        NEWS_SITEMAP: news_sitemap(
            [(f"articles/{slug}.html", when, title, lang) for _, slug, when, title, lang in news],
            settings,
        ),
        "sitemap.xml": sitemap_index(
            [PAGES_SITEMAP, NEWS_SITEMAP, *(sitemap_path(m) for m in history)], settings
        ),
    }
    robots = robots_txt(settings)
    if robots is not None:
        files["robots.txt"] = robots
    return files


def newest_archive(history: Sequence[str]) -> str | None:
    """The archive document ``feed.atom`` links as its prev-archive: the newest month's."""
    return history_path(history[-1]) if history else None
