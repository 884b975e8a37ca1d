"""A source's health: ok, failing since when, or gone; when to poll it next; and the
changes of state a run reports.

A failing source is never dropped: it is retried with exponential back-off (the source's
``every``, at least MIN_RETRY, doubled per failure in a row, with jitter, at most a day), or
at the time the site's ``Retry-After`` named. A source that answers 410 Gone is checked
again weekly, in case it comes back. Each change of state (ok -> failing, failing -> ok,
-> gone) is reported once, on the run that sees it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from ..store import WebSource
from ..store.fetch import SourceState

MIN_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(days=1)
GONE_RECHECK = timedelta(days=7)
# "Due since always": a source never polled.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SourceChange:
    """A source whose state changed this run, for the user to be told once."""

    name: str
    url: str
    state: str  # the new one: ok, failing, gone
    detail: str  # the failure's reason ("" when ok)
    next_poll: datetime | None  # when it is tried again

    def describe(self) -> str:
        """The change in one line, for stderr and the daemon's log."""
        where = f"{self.name} ({self.url})"
        when = f"{self.next_poll.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if self.next_poll else ""
        if self.state == "ok":
            return f"{where} is ok again"
        if self.state == "gone":
            return (
                f"{where} is gone: {self.detail}; remove it from the configuration "
                f"(checked again weekly{', next ' + when if when else ''})"
            )
        return f"{where} is failing: {self.detail}" + (f"; next try {when}" if when else "")


def due(source: WebSource, every: float, now: datetime) -> bool:
    """Whether ``source`` is to be polled at ``now``."""
    return next_poll(source, every) <= now


def next_poll(source: WebSource, every: float) -> datetime:
    """When ``source`` is next to be polled: a failure's or a pause's set time, else its
    ``every`` after the last poll (a source never polled is due at once)."""
    if source.next_poll is not None:
        return source.next_poll
    if source.last_poll is None:
        return EPOCH
    return source.last_poll + timedelta(seconds=every)


def backoff(failures: int, every: float, rng: random.Random) -> timedelta:
    """The wait before retrying a source after ``failures`` failed polls in a row: the step
    (``every``, at least MIN_RETRY, doubled per failure, at most MAX_RETRY), of which the
    second half is random so that sources failing together do not retry together."""
    base = max(timedelta(seconds=every), MIN_RETRY)
    step: timedelta = min(MAX_RETRY, base * 2 ** min(max(failures - 1, 0), 30))
    return step / 2 + step / 2 * rng.random()


def succeeded(
    source: WebSource, now: datetime, moved_to: str | None
) -> tuple[WebSource, SourceChange | None]:
    """``source`` after a good poll (its URL moved by a permanent redirect), and the change
    to report when it was failing or gone."""
    change = None
    if source.state in ("failing", "gone"):
        change = SourceChange(source.name, moved_to or source.url, "ok", "", None)
    return (
        replace(
            source,
            url=moved_to or source.url,
            state="ok",
            since=source.since if source.state == "ok" else now,
            failures=0,
            error=None,
            last_success=now,
            last_poll=now,
            next_poll=None,
        ),
        change,
    )


def failed(
    source: WebSource,
    now: datetime,
    reason: str,
    *,
    every: float,
    rng: random.Random,
    gone: bool = False,
    retry_at: datetime | None = None,
) -> tuple[WebSource, SourceChange | None]:
    """``source`` after a failed poll (``gone``: it answered 410), and the change to report
    when it was not already in that state. ``retry_at`` is the site's own Retry-After."""
    state: SourceState = "gone" if gone else "failing"
    failures = source.failures + 1
    if gone:
        when = now + GONE_RECHECK
    elif retry_at is not None:
        when = max(retry_at, now)
    else:
        when = now + backoff(failures, every, rng)
    updated = replace(
        source,
        state=state,
        since=source.since if source.state == state else now,
        failures=failures,
        error=reason,
        last_poll=now,
        next_poll=when,
    )
    change = None
    if source.state != state:
        change = SourceChange(source.name, source.url, state, reason, when)
    return updated, change
