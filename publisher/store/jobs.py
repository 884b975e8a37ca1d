"""The table of the daemon's scheduled jobs: each job's last run, so that a digest that fell
due while the daemon was stopped is sent once on the next start; and the outcome of the last
build and send however they were run (cron, the daemon, by hand), for ``/healthz``."""

from __future__ import annotations

import json
from datetime import datetime

from .database import Database, dt, ts


class JobTables(Database):
    """The methods of the ``jobs`` table."""

    def record_job(self, name: str, when: datetime, status: str, detail: str | None = None) -> None:
        """Remember the last run of scheduled job ``name`` (committed at once)."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO jobs (name, last_run, status, detail) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run, "
                "status = excluded.status, detail = excluded.detail",
                (name, ts(when), status, detail),
            )

    def last_job(self, name: str) -> tuple[datetime, str, str | None] | None:
        """(when, status, detail) of job ``name``'s last recorded run, or None."""
        row = self.db.execute("SELECT * FROM jobs WHERE name = ?", (name,)).fetchone()
        return (dt(row["last_run"]), row["status"], row["detail"]) if row else None

    def record_outcome(self, kind: str, when: datetime, outcome: str, detail: str) -> None:
        """Remember how the last run of ``kind`` ("build" or "send") started at ``when``
        ended: ``outcome`` "ok" or "failed", with ``detail`` (committed at once)."""
        value = {"time": ts(when), "outcome": outcome, "detail": detail}
        with self.transaction():
            self.set_meta(f"last:{kind}", json.dumps(value, ensure_ascii=False))

    def last_outcome(self, kind: str) -> tuple[datetime, str, str] | None:
        """(when, outcome, detail) of the last recorded run of ``kind``, or None."""
        value = self.meta(f"last:{kind}")
        if value is None:
            return None
        run = json.loads(value)
        return dt(run["time"]), run["outcome"], run["detail"]
