"""The tables of the mail: digest issues, subscribers and the delivery log."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..models import Digest
from .database import Database, dt, ts


@dataclass(frozen=True)
class Subscriber:
    """One address on the subscriber list (lower case), active or unsubscribed."""

    address: str
    name: str | None
    status: str
    added: datetime
    changed: datetime
    epoch: int = 0  # times it subscribed again after unsubscribing: its links' generation
    reason: str | None = None  # why it is suspended or unsubscribed (a bounce, a complaint)
    preferences: str | None = None  # the reader's choices as JSON (mailing.preferences)
    position: int = 0  # the mail round up to which the reader has been considered
    considered: datetime | None = None  # when that was (or when it subscribed)


@dataclass(frozen=True)
class Delivery:
    """The delivery log's entry for one issue and one recipient."""

    digest_id: str
    address: str
    status: str
    attempts: int
    last_error: str | None
    updated: datetime
    queued: datetime  # when the issue was frozen for this recipient


class MailTables(Database):
    """The methods of the mail's tables (see the module)."""

    def save_digest(self, digest: Digest) -> None:
        """Store a digest issue and the articles it holds (an article's ``digest_id`` is the
        first issue it went out in), in one transaction."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO digests (id, created, subject, entry_ids, html, text, message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    digest.id,
                    ts(digest.created),
                    digest.subject,
                    json.dumps(list(digest.entry_ids)),
                    digest.html,
                    digest.text,
                    digest.message,
                ),
            )
            self.db.executemany(
                "UPDATE articles SET digest_id = COALESCE(digest_id, ?) WHERE id = ?",
                ((digest.id, entry_id) for entry_id in digest.entry_ids),
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO issue_entries (entry_id, digest_id) VALUES (?, ?)",
                ((entry_id, digest.id) for entry_id in digest.entry_ids),
            )

    def digests(self, *, limit: int | None = None) -> list[Digest]:
        """Digest issues, newest first."""
        sql = "SELECT * FROM digests ORDER BY created DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            Digest(
                id=row["id"],
                created=dt(row["created"]),
                subject=row["subject"],
                entry_ids=tuple(json.loads(row["entry_ids"])),
                html=row["html"],
                text=row["text"],
                message=bytes(row["message"]),
            )
            for row in self.db.execute(sql)
        ]

    def digest_list(self) -> list[tuple[str, str, datetime]]:
        """(id, subject, created) of every digest issue, newest first: the list of issues
        without their HTML, text and message."""
        rows = self.db.execute(
            "SELECT id, subject, created FROM digests ORDER BY created DESC, id DESC"
        )
        return [(digest_id, subject, dt(created)) for digest_id, subject, created in rows]

    def digest_ids_on(self, day: str) -> list[str]:
        """Ids of the issues dated ``day`` ("YYYY-MM-DD"): the day itself, "<day>-2"..."""
        # A range of the primary key ("-" sorts just before "."): LIKE would read every issue.
        rows = self.db.execute(
            "SELECT id FROM digests WHERE id >= ? AND id < ? AND (id = ? OR id LIKE ?)",
            (day, day + ".", day, day + "-%"),
        )
        return [row[0] for row in rows]

    # -- subscribers ---------------------------------------------------------------------

    def subscriber(self, address: str) -> Subscriber | None:
        """The subscriber with this address (any case), if known."""
        row = self.db.execute(
            "SELECT * FROM subscribers WHERE address = ?", (address.lower(),)
        ).fetchone()
        return _subscriber(row) if row else None

    def put_subscriber(
        self,
        address: str,
        name: str | None,
        status: str,
        now: datetime,
        *,
        reason: str | None = None,
    ) -> None:
        """Add or change a subscriber; the address is folded to lower case. One that becomes
        active starts at the current mail round: it gets what enters the stream from now on
        (the articles waiting for the next round included), not what went out before."""
        self.db.execute(
            "INSERT INTO subscribers "
            "(address, name, status, added, changed, reason, position, considered) "
            "VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(round), 0) FROM articles), ?) "
            "ON CONFLICT (address) DO UPDATE SET name = COALESCE(excluded.name, name), "
            "status = excluded.status, changed = excluded.changed, reason = excluded.reason, "
            # Subscribed again: the links sent to its earlier subscription stop working.
            "epoch = epoch + (excluded.status = 'active' AND status != 'active'), "
            "position = CASE WHEN excluded.status = 'active' AND status != 'active' "
            "THEN excluded.position ELSE position END, "
            "considered = CASE WHEN excluded.status = 'active' AND status != 'active' "
            "THEN excluded.considered ELSE considered END",
            (address.lower(), name, status, ts(now), ts(now), reason, ts(now)),
        )

    def subscribers(self, *, status: str | None = None) -> list[Subscriber]:
        """Every subscriber, or those with ``status``, by address."""
        if status is None:
            rows = self.db.execute("SELECT * FROM subscribers ORDER BY address")
        else:
            rows = self.db.execute(
                "SELECT * FROM subscribers WHERE status = ? ORDER BY address", (status,)
            )
        return [_subscriber(row) for row in rows]

    # -- deliveries ----------------------------------------------------------------------

    def deliveries(self, digest_id: str) -> dict[str, Delivery]:
        """The delivery log of one issue, by address."""
        return {
            row["address"]: Delivery(
                row["digest_id"],
                row["address"],
                row["status"],
                row["attempts"],
                row["last_error"],
                dt(row["updated"]),
                dt(row["queued"]),
            )
            for row in self.db.execute("SELECT * FROM deliveries WHERE digest_id = ?", (digest_id,))
        }

    def record_delivery(
        self, digest_id: str, address: str, status: str, now: datetime, error: str | None = None
    ) -> None:
        """Record the outcome of an attempt at delivering ``digest_id`` to ``address``
        (committed at once)."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO deliveries "
                "(digest_id, address, status, attempts, last_error, updated, queued) "
                "VALUES (?, ?, ?, 1, ?, ?, ?) ON CONFLICT (digest_id, address) DO UPDATE SET "
                "status = excluded.status, attempts = attempts + 1, "
                "last_error = excluded.last_error, updated = excluded.updated",
                (digest_id, address.lower(), status, error, ts(now), ts(now)),
            )

    def mark_sending(self, digest_id: str, address: str, now: datetime) -> None:
        """Record that the message of ``digest_id`` is being handed over to ``address``'s
        server (committed at once, before the DATA command): a run that dies before it
        records the outcome leaves this trace, and the next run knows the message may have
        gone out."""
        with self.transaction():
            self.db.execute(
                "UPDATE deliveries SET status = 'sending', updated = ? "
                "WHERE digest_id = ? AND address = ?",
                (ts(now), digest_id, address.lower()),
            )

    def settle_interrupted(self, digest_id: str, now: datetime, reason: str) -> list[str]:
        """Addresses of ``digest_id`` left 'sending' by a run that died, now 'unknown' (with
        ``reason``). Only a run holding the send lock may call it: no other can be sending."""
        with self.transaction():
            rows = self.db.execute(
                "UPDATE deliveries SET status = 'unknown', last_error = ?, updated = ? "
                "WHERE digest_id = ? AND status = 'sending' RETURNING address",
                (reason, ts(now), digest_id),
            ).fetchall()
        return sorted(row[0] for row in rows)

    def release_unknown(self, now: datetime) -> int:
        """Put every 'unknown' delivery to an active subscriber back to 'pending', to be sent
        again (the operator's choice: the recipient may get it twice). Returns how many."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE deliveries SET status = 'pending', updated = ? WHERE status = 'unknown' "
                "AND address IN (SELECT address FROM subscribers WHERE status = 'active')",
                (ts(now),),
            )
        return cursor.rowcount

    def queue_deliveries(
        self, digest_id: str, now: datetime, addresses: Iterable[str] | None = None
    ) -> int:
        """Freeze an issue's recipients: ``addresses`` (every active subscriber when None)
        not yet in its log become pending (no attempt counted). Returns how many were
        queued."""
        with self.transaction():
            if addresses is None:
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO deliveries "
                    "(digest_id, address, status, attempts, updated, queued) "
                    "SELECT ?, address, 'pending', 0, ?, ? FROM subscribers "
                    "WHERE status = 'active'",
                    (digest_id, ts(now), ts(now)),
                )
                return cursor.rowcount
            queued = 0
            for address in sorted(set(addresses)):
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO deliveries "
                    "(digest_id, address, status, attempts, updated, queued) "
                    "VALUES (?, ?, 'pending', 0, ?, ?)",
                    (digest_id, address.lower(), ts(now), ts(now)),
                )
                queued += cursor.rowcount
        return queued

    def incomplete_digests(self) -> list[str]:
        """Ids of issues that a run still has to look at, oldest first: pending for some
        active subscriber, or left 'sending' by a run that died."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT DISTINCT g.id, g.created FROM digests g "
                "JOIN deliveries d ON d.digest_id = g.id "
                "LEFT JOIN subscribers s ON s.address = d.address "
                "WHERE (d.status = 'pending' AND s.status = 'active') OR d.status = 'sending' "
                "ORDER BY g.created, g.id"
            )
        ]


def _subscriber(row: sqlite3.Row) -> Subscriber:
    return Subscriber(
        row["address"],
        row["name"],
        row["status"],
        dt(row["added"]),
        dt(row["changed"]),
        row["epoch"],
        row["reason"],
        row["preferences"],
        row["position"],
        dt(row["considered"]) if row["considered"] else None,
    )
