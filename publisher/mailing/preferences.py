"""A reader's preferences: which topics and sites, how often, at what local hour, and when
that makes them due for an issue.

Kept as JSON in the subscriber's row (None: every default, which is how every subscriber
started): all topics, all sites, daily, whenever the digest is sent (``[schedule] digest``).
A reader who picks an hour gets their issue at the first send run at or after that hour in
their time zone (the daemon runs one every hour; from cron, ``publisher send --hourly``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..errors import PublisherError

Cadence = Literal["daily", "weekly"]
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# At most this many topics or sites in one reader's choice (a form cannot send more).
MOST_CHOSEN = 200


class PreferencesError(PublisherError):
    """Preferences that cannot be used (a field of the form out of range)."""


@dataclass(frozen=True)
class Preferences:
    """What one reader chose. Empty ``topics`` or ``sites``: all of them."""

    topics: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    cadence: Cadence = "daily"
    day: int = 0  # of a weekly issue: 0 = Monday ... 6 = Sunday
    hour: int | None = None  # local hour 0-23; None: whenever the digest is sent
    zone: str | None = None  # IANA time zone of ``hour``; None: [schedule] timezone

    def encode(self) -> str | None:
        """The JSON kept in the state; None for the defaults."""
        if self == Preferences():
            return None
        return json.dumps(
            {
                "topics": list(self.topics),
                "sites": list(self.sites),
                "cadence": self.cadence,
                "day": self.day,
                "hour": self.hour,
                "zone": self.zone,
            },
            sort_keys=True,
            ensure_ascii=False,
        )

    @classmethod
    def decode(cls, text: str | None) -> Preferences:
        """The preferences kept as ``text``; the defaults for None or anything unreadable
        (a reader's issue must not stop because one row is damaged)."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return checked(
                topics=data.get("topics", []),
                sites=data.get("sites", []),
                cadence=data.get("cadence", "daily"),
                day=data.get("day", 0),
                hour=data.get("hour"),
                zone=data.get("zone"),
            )
        except (ValueError, TypeError, AttributeError, PreferencesError):
            return cls()

    def wants(self, topic: str | None, site: str) -> bool:
        """Whether an article of ``topic`` (its one topic, or None) from ``site`` is for
        this reader."""
        if self.topics and topic not in self.topics:
            return False
        return not self.sites or site in self.sites

    def due(
        self, considered: datetime | None, now: datetime, zone: ZoneInfo, *, hourly: bool
    ) -> bool:
        """Whether a send run at ``now`` owes this reader an issue, when they were last
        considered at ``considered`` (None: never). ``zone`` is ``[schedule] timezone``;
        ``hourly`` runs (``send --hourly``) are only for readers who picked an hour.

        Without an hour: daily readers at every (non-hourly) run, as every subscriber
        always was; weekly ones at the first run of their day. With an hour: at the first
        run at or after their latest slot (that hour, on their day if weekly) since they
        were last considered.
        """
        if self.hour is None:
            if hourly:
                return False
            if self.cadence == "daily":
                return True
            local = now.astimezone(zone)
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            return local.weekday() == self.day and (considered is None or considered < midnight)
        return considered is None or considered < self.latest_slot(now, zone)

    def latest_slot(self, now: datetime, zone: ZoneInfo) -> datetime:
        """The latest time at or before ``now`` that this reader's issue falls due (their
        hour in their zone, on their day if weekly). Only for a reader with an hour."""
        assert self.hour is not None
        local = now.astimezone(ZoneInfo(self.zone) if self.zone else zone)
        # Arithmetic on a zone's own datetimes is wall-clock: the slot stays at the reader's
        # hour across a change of summer time.
        slot = local.replace(hour=self.hour, minute=0, second=0, microsecond=0)
        for _ in range(8):
            if slot <= local and (self.cadence == "daily" or slot.weekday() == self.day):
                break
            slot -= timedelta(days=1)
        return slot


def checked(
    *,
    topics: Collection[str],
    sites: Collection[str],
    cadence: str,
    day: Any,
    hour: Any,
    zone: Any,
) -> Preferences:
    """Preferences from what a form or the state gave; PreferencesError naming the field
    that is out of range."""
    if cadence not in ("daily", "weekly"):
        raise PreferencesError(f"cadence must be daily or weekly, not {cadence!r}")
    day_number = _number(day, "day", 0, 6)
    hour_number = None if hour in (None, "") else _number(hour, "hour", 0, 23)
    if zone in ("", None):
        zone = None
    elif not isinstance(zone, str) or zone not in _zones():
        raise PreferencesError(f"unknown time zone {zone!r}", 'for example "Europe/Berlin"')
    if len(topics) > MOST_CHOSEN or len(sites) > MOST_CHOSEN:
        raise PreferencesError(f"at most {MOST_CHOSEN} topics and {MOST_CHOSEN} sites")
    return Preferences(
        topics=tuple(sorted({str(t) for t in topics})),
        sites=tuple(sorted({str(s) for s in sites})),
        cadence="weekly" if cadence == "weekly" else "daily",
        day=day_number,
        hour=hour_number,
        zone=zone,
    )


def from_form(form: Mapping[str, list[str]]) -> Preferences:
    """Preferences from the fields of the preferences page's form (``parse_qs``)."""
    return checked(
        topics=form.get("topic", []),
        sites=form.get("site", []),
        cadence=form.get("cadence", ["daily"])[0],
        day=form.get("day", ["0"])[0],
        hour=form.get("hour", [""])[0],
        zone=form.get("zone", [""])[0],
    )


def _number(value: Any, name: str, lowest: int, highest: int) -> int:
    if isinstance(value, bool):
        raise PreferencesError(f"{name} must be a number from {lowest} to {highest}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PreferencesError(f"{name} must be a number from {lowest} to {highest}") from None
    if not lowest <= number <= highest:
        raise PreferencesError(f"{name} must be a number from {lowest} to {highest}")
    return number


@cache
def _zones() -> frozenset[str]:
    usable = set()
    for name in available_timezones():
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        usable.add(name)
    return frozenset(usable)


def zone_names() -> list[str]:
    """Every IANA time zone a reader can pick, sorted."""
    return sorted(_zones())
