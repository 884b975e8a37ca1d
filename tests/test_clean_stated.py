"""Dates and titles as a page's text states them (stated.py), and through the text cleaner."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from publisher.clean import clean, stated
from publisher.models import Article, RawDocument

REFERENCE = datetime(2020, 9, 13, tzinfo=UTC)
STORY = [
    f"Paragraph {i} tells what the reporters found when they visited the town on Friday."
    for i in range(4)
]
MENU = ["Home", "World", "Sport", "Video", "Weather"]


def text_article(lines: list[str]) -> Article:
    text = "\n".join(lines)
    doc = RawDocument(
        source="a.txt", key="a.txt", group="site", text=text, kind="text", encoding="utf-8",
        mtime=REFERENCE.timestamp(), size=len(text), content_hash="0" * 64,
    )  # fmt: skip
    result = clean(doc)
    assert isinstance(result, Article), result
    return result


@pytest.mark.parametrize(
    ("line", "day"),
    [
        ("November 19, 2019 | 4:20am | Updated November 19, 2019 | 9:32pm", 19),
        ("Posted: 18 Nov 2019 8:11 pm", 18),
        ("Mon 18 Nov 2019 18.54 GMT Last modified on Mon 18 Nov 2019 18.56 GMT", 18),
        ("Posted by Jane Doe on November 19, 2019, 6:21 AM EST", 19),
        ("21/11/2019 Jane Doe All, Books, Kit Reviews, News", 21),
    ],
)
def test_datelines(line: str, day: int) -> None:
    found = stated.dateline(line, REFERENCE)
    assert found is not None and found.has_year and found.date.day == day


@pytest.mark.parametrize(
    "line",
    [
        "— Jane Doe (@janedoe) November 18, 2019",  # an embedded post's signature
        "An MSC cargo ship leaves the port of Miami, on Aug. 31, 2019. (AP)",  # a caption
        "Apple to host a 'special event' on December 2: Here's everything you need to know",
        "November 19, 2031",  # in the future
    ],
)
def test_not_datelines(line: str) -> None:
    assert stated.dateline(line, REFERENCE) is None


def test_the_dateline_nearest_the_article_wins_over_the_masthead() -> None:
    lines = [
        "Big story of the day",
        "Wednesday, November 20",  # the masthead's weekday and day
        *MENU,
        "Thursday November 21, 2019 Swing state voters see a close race...",  # a teaser
        "November 19, 2019 | 4:20am",
        *STORY,
    ]
    result = text_article(lines)
    assert result.published == datetime(2019, 11, 19, 4, 20, tzinfo=UTC)


def test_a_dateline_under_the_article_is_found() -> None:
    lines = ["Big story of the day", "Wednesday, November 20", *MENU, *STORY]
    lines += ["Posted: 18 Nov 2019", *MENU]
    assert text_article(lines).published == datetime(2019, 11, 18, tzinfo=UTC)


def test_a_masthead_date_without_a_year_is_the_last_resort() -> None:
    lines = ["Big story of the day", "Thursday, August 5", *MENU, *STORY]
    assert text_article(lines).published == datetime(2010, 8, 5, tzinfo=UTC)


def test_a_future_date_is_not_the_published_date() -> None:
    lines = ["Big story of the day", "November 19, 2031", *MENU, *STORY]
    assert text_article(lines).published is None


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Moon shot: firms to bid | News | Al Jazeera", "Moon shot: firms to bid"),
        (
            "Son of former president stabbed in Berlin - Breaking News - The Jerusalem post",
            "Son of former president stabbed in Berlin",
        ),
        (
            "Cat found after going missing - San Antonio Express-News",
            "Cat found after going missing",
        ),
        (
            "Milan Design Week 2018 | A light installation for FLOS",
            "Milan Design Week 2018 | A light installation for FLOS",
        ),
        (
            "Anthony Lynn: “We needed to win this game”",
            "Anthony Lynn: “We needed to win this game”",
        ),
    ],
)
def test_headline_without_site_suffixes(title: str, expected: str) -> None:
    assert stated.headline(title, []) == expected


def test_headline_as_a_line_of_the_page_states_it() -> None:
    title = "Three Cases of Plague Diagnosed | Smart News | Smithsonian Magazine Online"
    lines = ["Home", "Three Cases of Plague Diagnosed | Smart News"]
    assert stated.headline(title, lines) == "Three Cases of Plague Diagnosed | Smart News"


def test_a_title_line_that_is_the_sites_name_gives_way_to_the_repeated_headline() -> None:
    headline = "Cells That Taste Danger Set Off Immune Responses"
    lines = ["Acme Magazine", "Physics", "Biology", headline, "Share", headline, *STORY]
    lines += ["Illustration for Acme Magazine", "Get Acme Magazine delivered to your inbox"]
    assert text_article(lines).title == headline
