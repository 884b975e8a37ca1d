"""The tables of readers who manage their own subscription: their preferences and the mail
rounds they have been considered in, the signup requests, bounces and complaints read back,
and the addresses whose owners erased their data."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .articles import _COLUMNS, PUBLISHED, _listing
from .database import Database, dt, in_chunks, ts
from .payload import LISTING_DATA, ArticleListing


@dataclass(frozen=True)
class Signup:
    """One confirmation mail asked for on the signup form."""

    id: int
    address: str
    requested: datetime
    status: str  # queued, sending, sent, failed, unknown
    attempts: int


class ReaderTables(Database):
    """The methods of the readers' tables (see the module)."""

    # -- the mail stream: rounds and what each reader has had ------------------------------

    def current_round(self) -> int:
        """The newest mail round (0 before the first)."""
        row = self.db.execute("SELECT COALESCE(MAX(round), 0) FROM articles").fetchone()
        return int(row[0])

    def open_round(self, number: int) -> int:
        """Let every published article not yet in the mail stream enter it in round
        ``number``. Returns how many did."""
        cursor = self.db.execute(
            f"UPDATE articles SET round = ? WHERE round IS NULL AND {PUBLISHED}", (number,)
        )
        return cursor.rowcount

    def stream_listings(self, after: int) -> list[tuple[int | None, ArticleListing]]:
        """The published articles that entered the mail stream after round ``after``, or are
        waiting to enter it (round None), newest first, without their bodies."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS}, {LISTING_DATA}, round FROM articles "
            f"WHERE {PUBLISHED} AND (round IS NULL OR round > ?) "
            "ORDER BY published DESC, last_changed DESC, id",
            (after,),
        )
        return [(row[14], _listing(row)) for row in rows]

    def leader_listings(self, ids: Iterable[str]) -> dict[str, ArticleListing]:
        """Listings of these articles, published or not (a story's leader may be a copy)."""
        found: dict[str, ArticleListing] = {}
        for chunk, marks in in_chunks(ids):
            rows = self.db.execute(
                f"SELECT {_COLUMNS}, {LISTING_DATA} FROM articles WHERE id IN ({marks})", chunk
            )
            for row in rows:
                found[row["id"]] = _listing(row)
        return found

    def stories_had(self, keys: Iterable[str]) -> set[tuple[str, str]]:
        """(address, story) for each of the stories ``keys`` (a leader's id) of which some
        report was in an issue queued for that address: the stories each reader has had."""
        had: set[tuple[str, str]] = set()
        for chunk, marks in in_chunks(keys):
            rows = self.db.execute(
                "SELECT DISTINCT d.address, COALESCE(a.story, a.id) FROM articles a "
                "JOIN issue_entries e ON e.entry_id = a.id "
                "JOIN deliveries d ON d.digest_id = e.digest_id "
                f"WHERE a.id IN ({marks}) OR a.story IN ({marks})",
                (*chunk, *chunk),
            )
            had.update((address, key) for address, key in rows)
        return had

    def set_considered(self, addresses: Iterable[str], position: int, now: datetime) -> None:
        """Record that these readers were considered up to round ``position`` at ``now``."""
        self.db.executemany(
            "UPDATE subscribers SET position = ?, considered = ? WHERE address = ?",
            ((position, ts(now), address) for address in addresses),
        )

    def set_preferences(self, address: str, preferences: str | None, now: datetime) -> None:
        """Store a reader's preferences (JSON; None: the defaults), committed at once."""
        with self.transaction():
            self.db.execute(
                "UPDATE subscribers SET preferences = ?, changed = ? WHERE address = ?",
                (preferences, ts(now), address.lower()),
            )

    # -- signups ---------------------------------------------------------------------------

    def signup_counts(self, since: datetime, *, client: str, domain: str) -> tuple[int, int, int]:
        """Confirmation mails asked for since ``since``: from ``client``, to ``domain``, and
        in all."""
        row = self.db.execute(
            "SELECT COALESCE(SUM(client = ?), 0), COALESCE(SUM(domain = ?), 0), COUNT(*) "
            "FROM signups WHERE requested >= ?",
            (client, domain, ts(since)),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def last_signup(self, address: str) -> datetime | None:
        """When a confirmation mail to ``address`` was last asked for."""
        row = self.db.execute(
            "SELECT MAX(requested) FROM signups WHERE address = ?", (address,)
        ).fetchone()
        return dt(row[0]) if row and row[0] else None

    def add_signup(self, address: str, client: str, now: datetime) -> int:
        """Queue a confirmation mail to ``address`` (committed at once); returns its id."""
        domain = address.rpartition("@")[2]
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO signups (address, domain, client, requested, status) "
                "VALUES (?, ?, ?, ?, 'queued')",
                (address, domain, client, ts(now)),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def signups(self, *, status: str) -> list[Signup]:
        """The confirmation mails in ``status``, oldest first."""
        rows = self.db.execute(
            "SELECT id, address, requested, status, attempts FROM signups WHERE status = ? "
            "ORDER BY id",
            (status,),
        )
        return [Signup(r[0], r[1], dt(r[2]), r[3], r[4]) for r in rows]

    def set_signup(self, signup_id: int, status: str, error: str | None = None) -> None:
        """Record a confirmation mail's new status (committed at once)."""
        with self.transaction():
            self.db.execute(
                "UPDATE signups SET status = ?, error = ?, "
                "attempts = attempts + (? IN ('sent', 'failed', 'unknown', 'queued')) "
                "WHERE id = ?",
                (status, error, status, signup_id),
            )

    def forget_signups(self, before: datetime) -> None:
        """Drop the signup requests older than ``before``: they hold client addresses."""
        with self.transaction():
            self.db.execute("DELETE FROM signups WHERE requested < ?", (ts(before),))

    # -- bounces and complaints -------------------------------------------------------------

    def record_bounce(
        self, message: str, address: str, kind: str, detail: str, now: datetime
    ) -> bool:
        """Record one bounce or complaint, once per ``message`` (its Message-ID or hash):
        False when that message was read before."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO bounces (message, address, received, kind, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            (message, address, ts(now), kind, detail),
        )
        return cursor.rowcount == 1

    def soft_bounces(self, address: str, since: datetime) -> int:
        """Temporary failures recorded for ``address`` since ``since``."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM bounces WHERE address = ? AND kind = 'soft' AND received >= ?",
            (address, ts(since)),
        ).fetchone()
        return int(row[0])

    # -- a reader's own data ------------------------------------------------------------------

    def reader_data(self, address: str) -> dict[str, Any]:
        """Everything the state holds about ``address``, as plain JSON-ready values."""
        address = address.lower()
        row = self.db.execute("SELECT * FROM subscribers WHERE address = ?", (address,))
        subscriber = row.fetchone()
        deliveries = self.db.execute(
            "SELECT digest_id, status, attempts, last_error, updated, queued FROM deliveries "
            "WHERE address = ? ORDER BY queued, digest_id",
            (address,),
        )
        signups = self.db.execute(
            "SELECT requested, client, status FROM signups WHERE address = ? ORDER BY id",
            (address,),
        )
        bounces = self.db.execute(
            "SELECT received, kind, detail FROM bounces WHERE address = ? ORDER BY received",
            (address,),
        )
        record = dict(subscriber) if subscriber else None
        if record and record.get("preferences"):
            record["preferences"] = json.loads(record["preferences"])
        return {
            "subscriber": record,
            "deliveries": [dict(r) for r in deliveries],
            "signups": [dict(r) for r in signups],
            "bounces": [dict(r) for r in bounces],
        }

    def erase_reader(self, address: str, digest: str, now: datetime) -> None:
        """Delete everything about ``address``, keeping only ``digest`` (a keyed hash of it)
        so that no import adds it again."""
        address = address.lower()
        with self.transaction():
            for table in ("deliveries", "signups", "bounces", "subscribers"):
                self.db.execute(f"DELETE FROM {table} WHERE address = ?", (address,))
            self.db.execute(
                "INSERT OR IGNORE INTO erased (digest, erased) VALUES (?, ?)", (digest, ts(now))
            )

    def is_erased(self, digest: str) -> bool:
        """Whether the owner of the address with this keyed hash erased their data."""
        row = self.db.execute("SELECT 1 FROM erased WHERE digest = ?", (digest,)).fetchone()
        return row is not None

    def unerase(self, digest: str) -> None:
        """Forget an erasure: the address subscribed again, by its owner's confirmation or
        the operator's explicit add."""
        self.db.execute("DELETE FROM erased WHERE digest = ?", (digest,))
