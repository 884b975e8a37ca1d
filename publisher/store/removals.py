"""Unpublished articles (``publisher unpublish``): finding the article an operator names, and
the tombstone that keeps it out of every output for good.

An unpublished article keeps its row, with the time it was taken down in ``removed``: its
file may come back, or a copy of its text, and neither is ever published again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .database import Database, ts

# How an article can be named, and the condition that finds it.
_BY = {
    "id": "id = ?",
    "slug": "slug = ?",
    "key": "source_key = ?",
    "source": "source = ?",
    "url": "json_extract(data, '$.article.url') = ?",
}


@dataclass(frozen=True)
class Named:
    """An article found by what an operator named it by."""

    id: str
    slug: str
    title: str
    removed: datetime | None
    duplicate_of: str | None


class RemovalTables(Database):
    """The methods of the articles' tombstones (see the module)."""

    def named_articles(self, by: str, value: str) -> list[Named]:
        """The articles whose ``by`` ("id", "slug", "key", "source" or "url": the original
        article's address) is ``value``."""
        rows = self.db.execute(
            "SELECT id, slug, json_extract(data, '$.article.title'), removed, duplicate_of "
            f"FROM articles WHERE {_BY[by]} ORDER BY id",
            (value,),
        )
        return [
            Named(i, slug, title, datetime.fromisoformat(removed) if removed else None, copy)
            for i, slug, title, removed, copy in rows
        ]

    def unpublish(self, article_id: str, now: datetime) -> None:
        """Take an article and its copies down at ``now`` (also their change time, so every
        output that showed them is rendered again). The pages that listed it among their
        related reports are rendered again."""
        self.db.execute(
            "UPDATE articles SET removed = ?, last_changed = ?, rendered = 0 "
            "WHERE id = ? OR duplicate_of = ?",
            (ts(now), ts(now), article_id, article_id),
        )
        self.db.execute(
            "UPDATE articles SET rendered = 0 WHERE story = ? "
            "OR id = (SELECT story FROM articles WHERE id = ?)",
            (article_id, article_id),
        )

    def removed_pages(self) -> dict[str, datetime]:
        """The slug of every unpublished article that had a page (its tombstone is left
        there), with when it was unpublished."""
        rows = self.db.execute(
            "SELECT slug, removed FROM articles WHERE removed IS NOT NULL AND duplicate_of IS NULL"
        )
        return {slug: datetime.fromisoformat(removed) for slug, removed in rows}
