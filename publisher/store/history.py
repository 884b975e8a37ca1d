"""The tables and columns behind the feeds beyond the newest entries: the facets (topics and
source sites) each article belongs to, and the month of the feed's history it is filed in.

Facets are kept by triggers (``schema``), so every write of an article's payload updates
them. An article's history month (``archive_month``) is given once, by ``file_history``, and
never changes: archive documents and sitemaps of months that are over are never rewritten.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from .articles import _COLUMNS, PUBLISHED, _listing, _record
from .database import Database, dt, ts
from .payload import LISTING_DATA, ArticleListing, ArticleRecord

# Published articles (see ``articles.PUBLISHED``), through the alias ``a``.
_A_PUBLISHED = "a.duplicate_of IS NULL AND a.removed IS NULL"
# The newest first (as the articles_newest index orders them), from the facet rows' copies of
# those columns: their own index serves it.
_FACET_ORDER = "ORDER BY f.published DESC, f.last_changed DESC, f.article"
# The article columns, each named through the alias ``a``.
_A_COLUMNS = ", ".join(f"a.{name.strip()}" for name in _COLUMNS.split(","))


class HistoryTables(Database):
    """The methods of the facets and of the history months (see the module)."""

    # -- facets: topics and sites --------------------------------------------------------

    def facet_prints(
        self, kind: str, *, at_least: int = 1, names: Collection[str] | None = None
    ) -> dict[str, tuple[int, int]]:
        """Each facet of ``kind`` ("topic" or "site"), or each of ``names``, with at least
        ``at_least`` published articles: (article count, a version that changes whenever
        its feed may), kept by triggers (``schema``): no article is read."""
        where, params = "kind = ?", [kind]
        if names is not None:
            wanted = sorted(names)
            where += f" AND name IN ({','.join('?' * len(wanted))})"
            params += wanted
        rows = self.db.execute(
            f"SELECT name, shown, version FROM facet_counts WHERE {where} AND shown >= ?",
            (*params, max(at_least, 1)),
        )
        return {name: (count, version) for name, count, version in rows}

    def facet_sizes(self, kind: str, *, at_least: int, most: int) -> dict[str, int]:
        """How many articles (duplicates too) each of the ``most`` facets of ``kind`` with
        the most, and at least ``at_least``, has (ties to the name that sorts first): the
        head of the counts' ranked index, for ranking topics."""
        rows = self.db.execute(
            "SELECT name, total FROM facet_counts WHERE kind = ? AND total >= ? "
            "ORDER BY total DESC, name LIMIT ?",
            (kind, at_least, max(most, 0)),
        )
        return dict(rows.fetchall())

    def facet_articles(self, kind: str, name: str, *, limit: int) -> list[ArticleRecord]:
        """The ``limit`` newest published articles of a facet, with their bodies."""
        rows = self.db.execute(
            f"SELECT {_A_COLUMNS}, a.data FROM facets f JOIN articles a ON a.id = f.article "
            f"WHERE f.kind = ? AND f.name = ? AND {_A_PUBLISHED} {_FACET_ORDER} LIMIT ?",
            (kind, name, limit),
        )
        return [_record(row) for row in rows]

    def facet_listings(self, kind: str, name: str, *, limit: int) -> list[ArticleListing]:
        """The ``limit`` newest published articles of a facet, without their bodies."""
        listing = LISTING_DATA.replace("data", "a.data", 1)
        rows = self.db.execute(
            f"SELECT {_A_COLUMNS}, {listing} FROM facets f JOIN articles a ON a.id = f.article "
            f"WHERE f.kind = ? AND f.name = ? AND {_A_PUBLISHED} {_FACET_ORDER} LIMIT ?",
            (kind, name, limit),
        )
        return [_listing(row) for row in rows]

    def articles_in_facets(self, kind: str, names: Collection[str]) -> set[str]:
        """Ids of the articles of any of these facets (their pages link to them)."""
        found: set[str] = set()
        wanted = sorted(names)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.db.execute(
                f"SELECT DISTINCT article FROM facets WHERE kind = ? "
                f"AND name IN ({','.join('?' * len(chunk))})",
                (kind, *chunk),
            )
            found.update(row[0] for row in rows)
        return found

    def mark_unrendered(self, ids: Collection[str]) -> None:
        """Have the pages of these articles rendered again by the next render."""
        self.db.executemany("UPDATE articles SET rendered = 0 WHERE id = ?", ((i,) for i in ids))

    # -- history months ------------------------------------------------------------------

    def file_history(self, closed: Collection[str]) -> None:
        """Give every article without one its history month, for good: the month it was
        published in, unless that month is over in the history (no later than the newest of
        ``closed``), in which case the newest month of the history, whose documents are
        still being written. Duplicates are filed too: one that becomes an original later
        needs a month."""
        last_closed = max(closed, default="")
        self.db.execute(
            "UPDATE articles SET archive_month = substr(published, 1, 7) "
            "WHERE archive_month IS NULL AND substr(published, 1, 7) > ?",
            (last_closed,),
        )
        row = self.db.execute("SELECT MAX(archive_month) FROM articles").fetchone()
        newest = row[0] if row and row[0] else None
        if newest is None:
            return
        self.db.execute(
            "UPDATE articles SET archive_month = ? WHERE archive_month IS NULL", (newest,)
        )

    def history_months(self) -> dict[str, tuple[int, int, str | None]]:
        """Each history month: (articles filed in it, duplicates included, so that its parts
        keep their bounds; a version that changes whenever any of them does; the earliest
        first_seen among those changed since ``clean_history_months``, None if none did),
        kept by triggers (``schema``): no article is read."""
        rows = self.db.execute(
            "SELECT month, articles, version, dirty FROM history_months "
            "WHERE articles > 0 ORDER BY month"
        )
        return {month: (count, version, dirty) for month, count, version, dirty in rows}

    def clean_history_months(self) -> None:
        """Record that every history month's sitemaps are written (see ``history_months``)."""
        self.db.execute("UPDATE history_months SET dirty = NULL WHERE dirty IS NOT NULL")

    def history_position(self, month: str, first_seen: str) -> int:
        """How many articles (duplicates too) filed in ``month`` were first seen before
        ``first_seen``: those that come before it in the month's parts (counted in the
        history's index alone)."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM articles WHERE archive_month = ? AND first_seen < ?",
            (month, first_seen),
        ).fetchone()
        return int(row[0])

    def history_part(self, month: str, part: int, size: int) -> list[tuple[str, str]]:
        """(id, last change) of the published articles in part ``part`` (1 = the first
        ``size`` filed) of history month ``month``. Articles are counted in the order they
        were first seen, duplicates included: later ones only ever add to the last part."""
        rows = self.db.execute(
            f"SELECT id, last_changed, {PUBLISHED} FROM articles WHERE archive_month = ? "
            "ORDER BY first_seen, id LIMIT ? OFFSET ?",
            (month, size, (part - 1) * size),
        )
        return [(i, changed) for i, changed, published in rows if published]

    def removed_history(self) -> dict[str, str]:
        """The history month of each unpublished article, by id: its documents are written
        again without it, closed or not (a takedown is the one change a closed month takes)."""
        # The tombstones' own index: left to itself, the planner takes the history months'
        # index for "archive_month IS NOT NULL", which is every filed article.
        rows = self.db.execute(
            "SELECT id, archive_month FROM articles INDEXED BY articles_removed_months "
            "WHERE removed IS NOT NULL AND archive_month IS NOT NULL"
        )
        return dict(rows.fetchall())

    def history_pages(self, month: str, part: int, size: int) -> list[tuple[str, datetime]]:
        """(slug, last change) of the published articles in part ``part`` (1 = the first
        ``size`` filed) of history month ``month`` (see ``history_part``), oldest published
        first: a month of at most ``size`` articles is listed as it always was."""
        rows = self.db.execute(
            f"SELECT id, slug, published, last_changed, {PUBLISHED} FROM articles "
            "WHERE archive_month = ? ORDER BY first_seen, id LIMIT ? OFFSET ?",
            (month, size, (part - 1) * size),
        ).fetchall()
        shown = sorted((row for row in rows if row[4]), key=lambda row: row[0], reverse=True)
        shown.sort(key=lambda row: (row[2], row[3]))  # stable: ties keep the id descending
        return [(slug, dt(changed)) for _, slug, _, changed, _ in shown]

    def published_since(
        self, since: datetime, *, limit: int
    ) -> list[tuple[str, str, datetime, str, str]]:
        """(id, slug, published, title, language) of the ``limit`` newest articles published
        at or after ``since``, newest first (the news sitemap)."""
        # Bounded by ``limit``: an archive can publish many more in the window (a cold build
        # publishes every undated article at once), and each row's title is in its payload.
        rows = self.db.execute(
            "SELECT id, slug, published, json_extract(data, '$.article.title'), "
            "COALESCE(json_extract(data, '$.article.language'), '') FROM articles "
            f"WHERE published >= ? AND {PUBLISHED} "
            "ORDER BY published DESC, last_changed DESC, id LIMIT ?",
            (ts(since), limit),
        )
        return [(i, slug, dt(when), title, language) for i, slug, when, title, language in rows]
