"""The daemon's use case for its own record: each scheduled job's last run, and whether an
issue is waiting for a retry. (The jobs themselves are ``build`` and ``mailing.sending.send``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .config import Settings
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
