"""Date parsing and the resolution of dates without a year (dates.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from publisher.clean.dates import opening_day, parse_date, resolve_year

REFERENCE = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-08-05", datetime(2021, 8, 5, tzinfo=UTC)),
        ("2021-08-05T10:30:00Z", datetime(2021, 8, 5, 10, 30, tzinfo=UTC)),
        (
            "2021-08-05T10:30:00+02:00",
            datetime(2021, 8, 5, 10, 30, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("Associated Press November 19, 2019, 9:02 AM", datetime(2019, 11, 19, 9, 2, tzinfo=UTC)),
        (
            "Aug. 5, 2021, 9:02 p.m. EDT",
            datetime(2021, 8, 5, 21, 2, tzinfo=timezone(timedelta(hours=-4))),
        ),
        ("Thursday 5th of August 2021", datetime(2021, 8, 5, tzinfo=UTC)),
        ("19 Nov 2019 05:44 GMT", datetime(2019, 11, 19, 5, 44, tzinfo=UTC)),
    ],
)
def test_parse_date(text: str, expected: datetime) -> None:
    assert parse_date(text, REFERENCE) == expected


@pytest.mark.parametrize(
    "text", ["5 marathon runners", "February 30, 2020", "no date here", "", "2021-13-45"]
)
def test_not_a_date(text: str) -> None:
    assert parse_date(text, REFERENCE) is None


def test_every_result_is_timezone_aware() -> None:
    for text in ("2021-08-05", "August 5, 2021", "Thursday, August 5"):
        result = parse_date(text, REFERENCE)
        assert result is not None and result.tzinfo is not None


def test_yearless_date_uses_weekday_to_find_the_year() -> None:
    # August 5 was a Thursday in 2021; the most recent such Thursday before the reference.
    assert parse_date("Thursday, August 5", REFERENCE) == datetime(2021, 8, 5, tzinfo=UTC)


def test_yearless_date_is_the_most_recent_not_after_reference() -> None:
    assert resolve_year(11, 20, None, REFERENCE) == 2026
    assert resolve_year(12, 25, None, REFERENCE) == 2025  # not in the future


def test_yearless_february_29_goes_to_a_leap_year() -> None:
    assert resolve_year(2, 29, None, REFERENCE) == 2024


def test_yearless_date_early_in_the_year_goes_back_a_year() -> None:
    january = datetime(2027, 1, 3, tzinfo=UTC)
    assert parse_date("Friday, December 31", january) == datetime(2021, 12, 31, tzinfo=UTC)
    assert parse_date("December 31", january) == datetime(2026, 12, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("27/09/2018", datetime(2018, 9, 27, tzinfo=UTC)),
        ("11/19/2019 by Jane Doe", datetime(2019, 11, 19, tzinfo=UTC)),
        ("11/20/19 6:38 AM", datetime(2019, 11, 20, 6, 38, tzinfo=UTC)),
        ("30.07.2018", datetime(2018, 7, 30, tzinfo=UTC)),
        ("Posted on Maret 30, 2015 by Admin", datetime(2015, 3, 30, tzinfo=UTC)),
        ("Von Moritz Bachmann publiziert am 30. Juli 2018", datetime(2018, 7, 30, tzinfo=UTC)),
        ("5 de março de 2019", datetime(2019, 3, 5, tzinfo=UTC)),
        ("le 3 juillet 2019", datetime(2019, 7, 3, tzinfo=UTC)),
    ],
)
def test_numeric_and_other_languages_dates(text: str, expected: datetime) -> None:
    assert parse_date(text, REFERENCE) == expected


def test_an_ambiguous_numeric_date_is_the_reading_nearest_before_the_reference() -> None:
    reference = datetime(2019, 3, 10, tzinfo=UTC)
    assert parse_date("3/4/2019", reference) == datetime(2019, 3, 4, tzinfo=UTC)
    assert parse_date("version 1.5.2", reference) is None


def test_opening_day_of_a_schedule_row() -> None:
    assert opening_day("June 9 – West Palm Beach, FL @ Coral Sky Amphitheatre") == (6, 9)
    assert opening_day("Sat 14 March: Leeds, First Direct Arena") == (3, 14)
    assert opening_day("The band plays June 9 in Tampa.") is None
