"""The record of the runs: the daemon's (each scheduled job's last run, and whether an issue
is waiting for a retry), and how the last build and send ended, for ``/healthz``. (The jobs
themselves are ``build`` and ``mailing.sending.send``.)
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from .config import Settings
from .errors import LockedError, PublisherError
from .store import Store


@dataclass(frozen=True)
class JobState:
    """What the daemon needs to know when it starts."""

    last_digest: datetime | None  # the digest job's last recorded run
    waiting: bool  # some subscribers still wait for an issue after temporary failures


def job_state(settings: Settings) -> JobState:
    """The digest job's last run and whether an unfinished issue waits for a retry."""
    with Store.open(settings.paths.state) as store:
        last = store.last_job("digest")
        return JobState(last[0] if last else None, bool(store.incomplete_digests()))


def record_run(
    settings: Settings, name: str, when: datetime, status: str, detail: str | None
) -> None:
    """Remember the run of job ``name`` at ``when`` (committed at once)."""
    with Store.open(settings.paths.state) as store:
        store.record_job(name, when, status, detail)


@dataclass(frozen=True)
class LastRun:
    """How the last build or send ended."""

    time: datetime  # when it started
    outcome: str  # "ok" or "failed"
    detail: str  # what it did, or why it failed


def last_runs(settings: Settings) -> tuple[LastRun | None, LastRun | None]:
    """The last build's and the last send's outcomes (None: none recorded). Reads the state
    without creating or migrating it."""
    if not settings.paths.state.exists():
        return None, None
    with Store.reading(settings.paths.state) as store:
        build, send = (store.last_outcome(kind) for kind in ("build", "send"))
    return (LastRun(*build) if build else None), (LastRun(*send) if send else None)


def record_failure(store: Store, kind: str, when: datetime, error: Exception) -> None:
    """Record that the run of ``kind`` ("build" or "send") started at ``when`` failed with
    ``error``, if the state can still be written (a full disk may be why it failed). A run
    that found a lock held did not fail: it is not recorded."""
    if isinstance(error, LockedError):
        return
    detail = error.message if isinstance(error, PublisherError) else repr(error)
    with suppress(PublisherError, sqlite3.Error):
        store.record_outcome(kind, when, "failed", detail)
