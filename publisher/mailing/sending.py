"""``send``: one run of the digest's delivery, from the locks to the last recipient.

The run holds the send lock throughout, so two sends never deliver side by side, and the
build lock only while it freezes a new issue, so a slow mail server never holds up
publishing. Before anything is frozen or sent, the state's disk must have room to record
every outcome: a send that cannot write what it sent is the one that could send it twice.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..config import Settings
from ..errors import PublisherError
from ..jobs import record_failure
from ..store import Store, send_lock
from ..websub import send_pings
from .delivery import SendReport, send_digest
from .issues import freeze_issues, plan_issues

# The free space the state's disk needs before a send starts: room for the delivery log's
# growth (two commits per recipient) and SQLite's write-ahead log until its checkpoint.
MIN_FREE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class SendRun:
    """What one ``send`` did: a report per issue it looked at, and why no new issue was
    frozen when none was."""

    reports: tuple[SendReport, ...]
    subscribers: int  # active subscribers when the run started
    waiting: int  # articles in no issue yet, when the run ended
    released: int = 0  # unknown outcomes put back to be sent again (retry_unknown)

    def summary(self) -> str:
        """One line saying what was delivered, issue by issue (the daemon's log, /healthz)."""
        if not self.reports:
            if not self.subscribers and self.waiting:
                return f"no digest: no active subscribers ({self.waiting} articles waiting)"
            return "no digest: nothing new"
        parts = []
        for report in self.reports:
            text = f"digest {report.digest_id} sent to {len(report.sent)}"
            if report.failed:
                text += f", refused for {len(report.failed)}"
            if report.unknown:
                text += (
                    f", outcome unknown for {len(report.unknown)} (not sent again; "
                    "publisher send --retry-unknown would)"
                )
            if report.deferred:
                text += f", {len(report.deferred)} left for the next run"
            parts.append(text)
        return "; ".join(parts)


def send(
    settings: Settings,
    *,
    now: Callable[[], datetime],
    dry_run: bool = False,
    new_issue: bool = True,
    retry_unknown: bool = False,
    hourly: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> SendRun:
    """Freeze what the readers due now are owed into issues (archived at once: see
    ``issues``), then deliver every issue still pending for some subscriber, oldest first.

    Nothing is frozen when nobody is subscribed (the articles wait for the first
    subscriber's issue) or nothing is new. ``hourly`` considers only the readers who picked
    their own hour (the run every hour that delivers at it). With ``new_issue`` false, only
    unfinished issues are delivered (a retry after temporary failures). With
    ``retry_unknown``, deliveries whose outcome is unknown are sent again (the recipient may
    get two copies, with the same Message-ID). With ``dry_run`` nothing is frozen, written
    or sent; the reports say who would get what.
    Raises LockedError when another send holds the send lock, or a build the build lock
    when an issue is to be frozen; PublisherError when the state's disk is nearly full;
    DeliveryError when the SMTP server refuses our login or sender.
    """
    state = settings.paths.state
    with send_lock(state):
        if not dry_run:
            _check_free_space(state)
        with Store.open(state) as store:
            started = now()
            try:
                run = _send(store, settings, now, dry_run, new_issue, retry_unknown, hourly, sleep)
            except Exception as exc:
                if not dry_run:
                    record_failure(store, "send", started, exc)
                raise
            if not dry_run:
                store.record_outcome("send", started, "ok", run.summary())
    if settings.feed.hubs and not dry_run:
        # After the lock is let go: a slow hub holds no other send.
        send_pings(state, now())
    return run


def _send(
    store: Store,
    settings: Settings,
    now: Callable[[], datetime],
    dry_run: bool,
    new_issue: bool,
    retry_unknown: bool,
    hourly: bool,
    sleep: Callable[[float], None],
) -> SendRun:
    """The send's work, under its lock (see ``send``)."""
    released = 0 if dry_run or not retry_unknown else store.release_unknown(now())
    subscribers = len(store.subscribers(status="active"))
    planned: list[SendReport] = []
    if new_issue and subscribers:
        if dry_run:
            plan = plan_issues(store, settings, now(), hourly=hourly)
            planned = [
                SendReport(e.digest.id, dry_run=True, would_send=e.addresses) for e in plan.editions
            ]
        else:
            freeze_issues(store, settings, now(), hourly=hourly)
    unfinished = store.incomplete_digests()
    issues = sorted(
        (issue for issue in store.digests() if issue.id in unfinished),
        key=lambda issue: unfinished.index(issue.id),
    )
    reports = [
        send_digest(issue, store, settings, now=now, dry_run=dry_run, sleep=sleep)
        for issue in issues
    ]
    reports.extend(planned)
    waiting = len(store.undigested_ids())
    return SendRun(tuple(reports), subscribers, waiting, released)


def _check_free_space(state: Path) -> None:
    directory = state.parent
    try:
        free = shutil.disk_usage(directory).free
    except OSError:
        return  # no directory yet: opening the state will make it, or say why it cannot
    if free < MIN_FREE_BYTES:
        raise PublisherError(
            f"only {free // 1024} KiB free on the disk of the state database {state}; "
            f"send needs {MIN_FREE_BYTES // (1024 * 1024)} MiB to record what it sends",
            "free some space first: a send that cannot record a delivery could not know "
            "whether it went out",
        )
