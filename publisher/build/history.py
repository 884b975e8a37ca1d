"""The feed's complete history (RFC 5005 archive documents) and the sitemaps, both filed by
month and never rewritten once their month is over.

Each article is filed once in a history month (``Store.file_history``): the month it was
published in, or, when that month is already closed, the newest month. The newest archive
document (``feeds/archive/YYYY-MM.atom``, or ``YYYY-MM-<n>.atom`` for the parts of a month
of more than HISTORY_PART articles) and the newest month's sitemaps (``sitemaps/YYYY-MM.xml``,
or ``YYYY-MM-<n>.xml`` past SITEMAP_PART articles) follow their articles; when a newer one
appears, they are written one last time (a document with its ``next-archive`` link) and
never again. Within a month, only the parts from the earliest article changed since the
last render on are read and written (the history months are kept by triggers, with that
article's place): a new article rewrites the month's newest sitemap, however large.

A reader rebuilding the history walks ``prev-archive`` from ``feed.atom`` and merges entries
by id: an article edited after its month closed is found in its newer state in the current
feed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..config import Settings
from ..output import Staging
from ..render.archive import DIGESTS_PAGE, FEEDS_PAGE, SEARCH_PAGE
from ..render.directory import NEWS_LIMIT, news_sitemap, robots_txt, sitemap, sitemap_index
from ..render.feeds import FeedSpec, render_feed_set
from ..store import Store

# Articles in the news sitemap: those published in the last two days (Google News' rule).
NEWS_WINDOW = timedelta(days=2)
NEWS_SITEMAP = "sitemaps/news.xml"
# Most entries in one archive document: a busy month is split into parts (YYYY-MM.atom,
# YYYY-MM-2.atom...), so that a new article rewrites a document of at most this many.
HISTORY_PART = 100
# Most article pages in one sitemap: a month's are split into parts in the order they were
# filed (YYYY-MM.xml, YYYY-MM-2.xml...), so that a new article rewrites one of at most this
# many; each part lists its pages oldest published first.
SITEMAP_PART = 1000
PAGES_SITEMAP = "sitemaps/pages.xml"


def history_path(month: str, part: int = 1) -> str:
    """The archive document of part ``part`` of history month ``month`` ("YYYY-MM"): the
    month itself for its first HISTORY_PART articles, then YYYY-MM-2, YYYY-MM-3..."""
    return f"feeds/archive/{month}.atom" if part == 1 else f"feeds/archive/{month}-{part}.atom"


def sitemap_path(month: str, part: int = 1) -> str:
    """The sitemap of part ``part`` of the article pages filed in history month ``month``:
    the month itself for its first SITEMAP_PART articles, then YYYY-MM-2, YYYY-MM-3..."""
    return f"sitemaps/{month}.xml" if part == 1 else f"sitemaps/{month}-{part}.xml"


def history_files(
    store: Store,
    settings: Settings,
    last: Mapping[str, Any],
    files: Staging,
    out: Path,
    *,
    restyled: bool,
) -> tuple[dict[str, Any], list[str], str | None]:
    """Add to ``files`` the archive documents and month sitemaps that must be written: the
    newest document and the newest month's sitemaps from the earliest changed article on
    (all when ``restyled``), a document's last version when a newer one appears, and any
    that is missing. Returns the history's meta for the next render, the sitemaps of
    every month (oldest first) and the newest archive document."""
    closed = set(last.get("closed", ()))  # months with a newer month after them
    final = set(last.get("final", ()))  # documents with a newer document after them
    known: dict[str, str] = last.get("prints", {})
    with store.transaction():
        store.file_history(closed)
    removed = store.removed_history()
    known_removed = set(last.get("removed", ()))
    # Months holding an article unpublished since: written again, closed or not.
    taken_down = {month for i, month in removed.items() if i not in known_removed}
    months = store.history_months()
    order = sorted(months)
    chain = [
        (month, part)
        for month in order
        for part in range(1, _parts(months[month][0], HISTORY_PART) + 1)
    ]
    prints: dict[str, str] = {}
    site = settings.site
    for index, (month, part) in enumerate(chain):
        path = history_path(month, part)
        present = (out / path).exists()
        if path in final and present and month not in taken_down:
            continue  # final: never rewritten, whatever changed since (but a takedown)
        members = store.history_part(month, part, HISTORY_PART)
        prints[path] = hashlib.sha256(json.dumps(members).encode()).hexdigest()
        newest = index == len(chain) - 1
        fresh = not restyled and month not in taken_down and known.get(path) == prints[path]
        if newest and present and fresh:
            continue
        history: list[tuple[str, str]] = [("current", "feed.atom")]
        if index:
            history.append(("prev-archive", history_path(*chain[index - 1])))
        if not newest:
            history.append(("next-archive", history_path(*chain[index + 1])))
            final.add(path)
        spec = FeedSpec(
            stem=path.removesuffix(".atom"),
            title=f"{site.title}: {month}" + (f", part {part}" if part > 1 else ""),
            subtitle=f"Articles of {site.title} filed in {month}.",
            specific=f"feed/{month}" + (f"-{part}" if part > 1 else ""),
            history=tuple(history),
            archive=True,
        )
        records = store.articles_by_id(article_id for article_id, _ in members)
        entries = sorted(
            (record.entry() for record in records.values()),
            key=lambda e: (e.published, e.updated, e.id),
            reverse=True,
        )
        files.update(render_feed_set(entries, settings, spec))
    sitemaps: list[str] = []
    for index, month in enumerate(order):
        count, version, dirty = months[month]
        paths = [sitemap_path(month, part) for part in range(1, _parts(count, SITEMAP_PART) + 1)]
        sitemaps += paths
        missing = [i for i, path in enumerate(paths) if not (out / path).exists()]
        if month in closed and not missing and month not in taken_down:
            continue
        key = f"sitemap:{month}"
        prints[key] = f"{count} {version}"
        # The parts from the one holding the earliest article changed since the last
        # render on (all of them when that is not known), and any that is missing.
        if restyled or month in taken_down or key not in known:
            first = 0
        elif dirty is not None:
            first = store.history_position(month, dirty) // SITEMAP_PART
        else:
            first = 0 if known[key] != prints[key] else len(paths)
        for part, path in enumerate(paths, start=1):
            if part - 1 >= first or part - 1 in missing:
                pages = store.history_pages(month, part, SITEMAP_PART)
                files[path] = sitemap([(f"articles/{s}.html", c) for s, c in pages], settings)
        if index != len(order) - 1:
            closed.add(month)
    meta = {
        "closed": sorted(closed),
        "final": sorted(final),
        "prints": prints,
        "removed": sorted(removed),
    }
    return meta, sitemaps, history_path(*chain[-1]) if chain else None


def _parts(count: int, size: int) -> int:
    """How many parts of at most ``size`` hold ``count`` articles (at least one)."""
    return max(1, -(-count // size))


def news_window(store: Store, now: datetime) -> list[tuple[str, str, datetime, str, str]]:
    """The articles of the news sitemap at ``now`` (see ``Store.published_since``): the
    NEWS_LIMIT newest of the last NEWS_WINDOW. It changes when an article is saved or when
    the oldest of them leaves the window (``outputs._news_until``)."""
    return store.published_since(now - NEWS_WINDOW, limit=NEWS_LIMIT)


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
        "sitemap.xml": sitemap_index([PAGES_SITEMAP, NEWS_SITEMAP, *history], settings),
    }
    robots = robots_txt(settings)
    if robots is not None:
        files["robots.txt"] = robots
    return files
