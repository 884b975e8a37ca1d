"""What a build saved but has not finished: articles waiting for the cross-document trim and
body hashes waiting for their group of identical articles to be regrouped.

Rows, written in the transaction that saves each article, so that a build killed before its
last steps leaves them for the next one (which finishes the job), and so that no process
holds a whole batch's worth of them in memory. The build that finishes them deletes them
in the transaction of its last step.
"""

from __future__ import annotations

from collections.abc import Iterator

from .database import Database


class PendingTables(Database):
    """The methods of the build's unfinished work (see the module)."""

    def add_pending(self, article_id: str, group: str, block_keys: str, body_hash: str) -> None:
        """Remember that article ``article_id`` of ``group``, whose blocks have the keys
        ``block_keys`` (newline-joined, in order), waits for the cross-document trim, and
        that the group of identical articles of ``body_hash`` waits to be regrouped."""
        self.db.execute(
            "INSERT OR REPLACE INTO pending_trims (id, grp, keys) VALUES (?, ?, ?)",
            (article_id, group, block_keys),
        )
        self.add_pending_hashes([body_hash])

    def add_pending_hashes(self, hashes: list[str]) -> None:
        """Remember body hashes whose groups of identical articles wait to be regrouped."""
        self.db.executemany(
            "INSERT OR IGNORE INTO pending_hashes (hash) VALUES (?)", ((h,) for h in hashes)
        )

    def has_pending(self) -> bool:
        """Whether any article or body hash waits (see the module)."""
        row = self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM pending_trims) OR EXISTS (SELECT 1 FROM pending_hashes)"
        ).fetchone()
        return bool(row[0])

    def pending_count(self) -> int:
        """How many articles wait for the trim."""
        return int(self.db.execute("SELECT COUNT(*) FROM pending_trims").fetchone()[0])

    def pending_groups(self) -> list[str]:
        """The groups with articles waiting for the trim."""
        return [row[0] for row in self.db.execute("SELECT DISTINCT grp FROM pending_trims")]

    def pending_trims(self, group: str) -> Iterator[tuple[str, str | None]]:
        """(id, block keys newline-joined, or None when to be computed from the stored
        blocks) of each article of ``group`` waiting for the trim, by id."""
        rows = self.db.execute(
            "SELECT id, keys FROM pending_trims WHERE grp = ? ORDER BY id", (group,)
        )
        yield from ((article_id, keys) for article_id, keys in rows)

    def pending_trim_ids(self) -> Iterator[str]:
        """The ids of every article waiting for the trim."""
        for row in self.db.execute("SELECT id FROM pending_trims"):
            yield row[0]

    def pending_regroupings(self) -> Iterator[tuple[str, str, str | None]]:
        """(id, body hash, duplicate of) of every article whose body hash waits to be
        regrouped, ordered as a cold build would read them: by hash, an unpublished
        article first (its copies stay unpublished with it), then by publication time and
        source key."""
        rows = self.db.execute(
            "SELECT a.id, a.body_hash, a.duplicate_of "
            # CROSS JOIN: from the few pending hashes to their articles (the planner would
            # walk every article's hash to look each up among the pending ones).
            "FROM pending_hashes AS p CROSS JOIN articles AS a ON a.body_hash = p.hash "
            "ORDER BY a.body_hash, a.removed IS NULL, a.published, a.source_key"
        )
        yield from ((article_id, body_hash, copy) for article_id, body_hash, copy in rows)

    def clear_pending(self) -> None:
        """Forget the unfinished work: the build has finished it."""
        self.db.execute("DELETE FROM pending_trims")
        self.db.execute("DELETE FROM pending_hashes")
