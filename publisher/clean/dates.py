"""Finding a publication date in a short piece of text and normalising it.

Accepted shapes (case-insensitive; English month names, whole or abbreviated, and the whole
month names of German, French, Spanish, Portuguese, Italian, Dutch and Indonesian):

- ISO 8601: ``2021-08-05``, ``2021-08-05T10:30``, ``2021-08-05T10:30:00+02:00``, ``...Z``;
- month first: ``August 5, 2021``, ``Aug. 5, 2021, 9:02 AM EDT``, ``Thursday, August 5``;
- day first: ``5 August 2021``, ``Thursday 5th of August``, ``30. Juli 2018``,
  ``5 de março de 2019``;
- numbers: ``27/09/2018``, ``11/19/2019``, ``11/20/19 6:38 AM``, ``30.07.2018``. A day above
  12 tells which number is the day; when both could be, a dotted date is day first (as where
  dots are written) and a slashed one is read whichever way gives the date nearest before
  the reference time (the year, which is what matters most, is the same either way).

Every result is timezone-aware: the zone given (offset or a common abbreviation such as EDT),
otherwise UTC.

Dates without a year (``Thursday, August 5``) are resolved against a reference time (the
document's mtime): the most recent such date that is not after the reference. When a weekday is
given, the most recent year (searching back up to 28 years, after which the calendar repeats)
whose date falls on that weekday wins, so "Thursday, August 5" seen in 2026 is 2021-08-05; if no
year matches, the weekday is ignored. Impossible dates (February 30) give None.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
# Whole month names of other languages (abbreviations of them are too often other words).
_FOREIGN_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "januar janvier enero janeiro gennaio januari",
            "februar février fevrier febrero fevereiro febbraio februari",
            "märz maerz mars marzo março marco maart maret",
            "avril abril aprile",
            "mai mayo maio maggio mei",
            "juni juin junio junho giugno",
            "juli juillet julio julho luglio",
            "août aout agosto augustus agustus",
            "septembre septiembre setiembre setembro settembre",
            "oktober octobre octubre outubro ottobre",
            "novembre noviembre novembro",
            "dezember décembre decembre diciembre dezembro dicembre desember",
        ),
        start=1,
    )
    for name in names.split()
}
# Every whole month name of _FOREIGN_MONTHS (the English ones are matched by their start).
FOREIGN_MONTH_NAMES = frozenset(_FOREIGN_MONTHS)
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
# Common zone abbreviations in news datelines, as hours east of UTC.
_ZONES = {
    "utc": 0.0, "gmt": 0.0, "z": 0.0, "bst": 1.0, "cet": 1.0, "cest": 2.0, "eet": 2.0,
    "eest": 3.0, "msk": 3.0, "ist": 5.5, "jst": 9.0, "kst": 9.0, "aest": 10.0, "aedt": 11.0,
    "est": -5.0, "edt": -4.0, "cst": -6.0, "cdt": -5.0, "mst": -7.0, "mdt": -6.0,
    "pst": -8.0, "pdt": -7.0, "et": -5.0, "pt": -8.0,
}  # fmt: skip

_FOREIGN = "|".join(sorted(_FOREIGN_MONTHS, key=len, reverse=True))
_MONTH = (
    rf"(?P<month>{_FOREIGN}|"
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_WEEKDAY = (
    r"(?:(?P<weekday>mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|"
    r"fri(?:day)?|sat(?:urday)?|sun(?:day)?)\b\.?,?\s+)?"
)
_TIME = (
    r"(?:(?:\s*[,|/•–-]\s*|\s+)(?:at\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::\d{2})?\s*"
    r"(?P<ampm>[ap]\.?m\.?)?(?:\s+(?P<zone>[a-z]{1,4})\b)?)?"
)

MONTH_WORD = re.compile(
    r"\b(?:jan|feb|f[eé]v|m[aä]r|maa|apr|avr|ma[iy]|mei|jun|jui|jul|lug|aug|ao[uû]|ago|sep|set|"
    r"oct|okt|ott|out|nov|dec|dez|déc|des|dic|giu|gen|ene)",
    re.IGNORECASE,
)
ISO_DATE = re.compile(
    r"(?P<year>(?:19|20)\d{2})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<offset>Z|[+-]\d{2}:?\d{2})?)?"
)
MONTH_FIRST = re.compile(
    _WEEKDAY
    + _MONTH
    + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>(?:19|20)\d{2})\b)?"
    + _TIME,
    re.IGNORECASE,
)
DAY_FIRST = re.compile(
    _WEEKDAY
    + r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|º)?\.?\s+(?:(?:of|de)\s+)?"
    + _MONTH
    + r"(?:,?\s+(?:de\s+)?(?P<year>(?:19|20)\d{2})\b)?"
    + _TIME,
    re.IGNORECASE,
)

# Day and month as numbers: "27/09/2018", "11/20/19", "30.07.2018" (a dotted date needs its
# four-digit year: "1.5.20" is more often a version than a date).
NUMERIC_DATE = re.compile(
    r"(?<![\d/.])(?P<first>\d{1,2})(?:/(?P<second>\d{1,2})/(?P<year>(?:19|20)\d{2}|\d{2})"
    r"|\.(?P<dotted>\d{1,2})\.(?P<dotted_year>(?:19|20)\d{2}))(?![\d/.])" + _TIME,
    re.IGNORECASE,
)


def parse_date(text: str, reference: datetime) -> datetime | None:
    """The first date found in text, timezone-aware, or None.

    reference (aware) resolves dates that have no year; see the module docstring.
    """
    found = find_date(text, reference)
    return found.date if found else None


@dataclass(frozen=True)
class FoundDate:
    """A date found in a text: the date, where it was written, and whether it named its year."""

    date: datetime
    start: int
    end: int
    has_year: bool
    has_time: bool = False


def find_date(text: str, reference: datetime) -> FoundDate | None:
    """The first date in text, with its place in text (see parse_date), or None."""
    text = text[:300]
    if "-" in text:
        match = ISO_DATE.search(text)
        if match:
            date = _from_iso(match)
            return FoundDate(date, *match.span(), True, bool(match["hour"])) if date else None
    found = []
    if MONTH_WORD.search(text):  # cheap test first: most lines name no month
        found = [m for m in (MONTH_FIRST.search(text), DAY_FIRST.search(text)) if m]
    numeric = NUMERIC_DATE.search(text) if "/" in text or "." in text else None
    if numeric and not (found and found[0].start() < numeric.start()):
        date = _from_numbers(numeric, reference)
        return FoundDate(date, *numeric.span(), True, bool(numeric["hour"])) if date else None
    if not found:
        return None
    first = min(found, key=lambda m: m.start())
    date = _from_words(first, reference)
    return (
        FoundDate(date, *first.span(), bool(first["year"]), bool(first["hour"])) if date else None
    )


def _from_iso(match: re.Match[str]) -> datetime | None:
    g = match.groupdict()
    zone = UTC
    if g["offset"] and g["offset"] != "Z":
        sign = -1 if g["offset"][0] == "-" else 1
        digits = g["offset"][1:].replace(":", "")
        zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(
            int(g["year"]), int(g["month"]), int(g["day"]),
            int(g["hour"] or 0), int(g["minute"] or 0), int(g["second"] or 0), tzinfo=zone,
        )  # fmt: skip
    except ValueError:
        return None


def _clock(g: dict[str, str | None]) -> tuple[int, int, timezone]:
    """Hour, minute and zone of a match's _TIME part (midnight UTC when it has none)."""
    hour, minute = int(g["hour"] or 0), int(g["minute"] or 0)
    ampm = (g["ampm"] or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    zone_hours = _ZONES.get((g["zone"] or "").lower(), 0.0)
    return hour, minute, timezone(timedelta(hours=zone_hours)) if zone_hours else UTC


def _from_numbers(match: re.Match[str], reference: datetime) -> datetime | None:
    g = match.groupdict()
    hour, minute, zone = _clock(g)
    first = int(g["first"])
    if g["dotted"]:
        readings = [(int(g["dotted_year"]), int(g["dotted"]), first)]
    else:
        year = int(g["year"]) if len(g["year"] or "") == 4 else 2000 + int(g["year"] or 0)
        second = int(g["second"] or 0)
        readings = [(year, second, first), (year, first, second)]  # day first, month first
    dates = []
    for year, month, day in readings:
        try:
            dates.append(datetime(year, month, day, hour % 24, minute % 60, tzinfo=zone))
        except ValueError:
            continue
    past = [d for d in dates if d <= reference]
    return max(past) if past else min(dates, default=None)


def _from_words(match: re.Match[str], reference: datetime) -> datetime | None:
    g = match.groupdict()
    name = g["month"].lower().rstrip(".")
    month = _FOREIGN_MONTHS.get(name) or _MONTHS[name[:3]]
    day = int(g["day"])
    hour, minute, zone = _clock(g)
    weekday = _WEEKDAYS.get((g["weekday"] or "")[:3].lower())
    if g["year"]:
        year: int | None = int(g["year"])
    else:
        year = resolve_year(month, day, weekday, reference)
    if year is None:
        return None
    try:
        return datetime(year, month, day, hour % 24, minute % 60, tzinfo=zone)
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def opening_day(text: str) -> tuple[int, int] | None:
    """(month, day) of the date in words a line opens with ("June 9 – Tampa, FL", "Sat 14
    March: ..."), or None: a schedule's row, when lines of one run open so in order."""
    match = MONTH_FIRST.match(text) or DAY_FIRST.match(text)
    if match is None:
        return None
    name = match["month"].lower().rstrip(".")
    day = int(match["day"])
    return (_FOREIGN_MONTHS.get(name) or _MONTHS[name[:3]], day) if 1 <= day <= 31 else None


def resolve_year(month: int, day: int, weekday: int | None, reference: datetime) -> int | None:
    """Year of the most recent month/day not after reference (matching weekday if given)."""
    candidates = []
    for year in range(reference.year, reference.year - 29, -1):
        try:
            date = datetime(year, month, day, tzinfo=reference.tzinfo)
        except ValueError:  # February 29 outside leap years, or an impossible date
            continue
        if date.date() <= reference.date():
            candidates.append(date)
    if not candidates:
        return None
    if weekday is not None:
        for date in candidates:
            if date.weekday() == weekday:
                return date.year
    return candidates[0].year
