"""The text cleaner's own heuristics, each on small inputs: data tables under prose, and the
densest region searched again once its boilerplate is priced."""

from __future__ import annotations

from datetime import UTC, datetime

from publisher.clean import text
from publisher.clean.text import is_body_copy, is_table_row

REFERENCE = datetime(2026, 1, 1, tzinfo=UTC)
STORY = [
    f"Paragraph {i} tells what the reporters found when they visited the town on Friday."
    for i in range(3)
]
ROWS = [f"{i} Driver Number{i} {5000 - i * 7} {i % 3} 1 17 27" for i in range(1, 9)]
MENU = ["Home", "World", "Sport", "Video", "Weather"]


def body_of(lines: list[str]) -> list[str]:
    result = text.extract(text.scan("\n".join(lines)), REFERENCE)
    return [u.text for u in result.units]


def test_table_row_is_numbers_in_cells() -> None:
    assert is_table_row("1 Kyle Busch 5040 5 1 17 27", 7)
    assert is_table_row("Apple 12.5% 3,400", 3)
    assert not is_table_row("Pos. Driver Points Wins Poles Top 5 Top 10", 9)  # a header
    assert not is_table_row("Fourteen people were hurt in 2019", 6)  # one figure
    assert not is_table_row("5 10", 2)  # too few cells


def test_table_under_prose_is_kept_after_its_lead_in() -> None:
    lead = "The final standings of the series after all races were these:"
    header = "Pos. Driver Points Wins Poles Top 5 Top 10"
    lines = [*MENU, "The standings", *STORY[:2], lead, header, *ROWS, *MENU]
    assert body_of(lines) == [*STORY[:2], lead, header, *ROWS]


def test_table_needs_prose_right_above_it() -> None:
    # A standings widget under a menu heading is a sidebar, not the article's data.
    lines = ["Title of the story", *STORY, *MENU, "Standings", *ROWS]
    assert body_of(lines) == STORY


def test_short_run_of_figures_is_not_a_table() -> None:
    lines = ["Title of the story", *STORY, *ROWS[:2], *MENU]
    assert body_of(lines) == STORY


def test_dense_disclaimer_footer_does_not_win_the_region() -> None:
    # Three sentences of article; a longer footer of legal sentences after a menu.
    footer = [
        "The information provided on this website was originally intended for a US audience "
        "and regulations in your country may vary from the ones that applied here.",
        "+Results vary depending on starting point, goals and effort, and exercise and proper "
        "diet are necessary to achieve and maintain weight loss and muscle definition.",
        "*These statements have not been evaluated by the Food and Drug Administration and "
        "these products are not intended to diagnose, treat, cure, or prevent any disease.",
    ]
    lines = ["Title of the story", *STORY, *MENU, *footer]
    assert body_of(lines) == STORY


def test_body_copy_starts_with_an_earlier_sentence_and_goes_on() -> None:
    openings = {STORY[0][: text.COPY_PREFIX]: STORY[0]}
    assert is_body_copy(STORY[0] + " " + STORY[1], openings)
    assert not is_body_copy(STORY[0], openings)  # an exact repeat is another signal
    assert not is_body_copy(STORY[1] + " " + STORY[0], openings)
    assert not is_body_copy("Short line", openings)


def test_body_copy_after_the_footer_does_not_extend_the_region() -> None:
    # A meta copy of the body (all paragraphs on one line) below a long menu.
    copy = " ".join(STORY * 4)
    lines = ["Title of the story", *STORY, *(MENU * 3), copy, *MENU]
    assert body_of(lines) == STORY


def test_embed_between_halves_of_the_article_is_bridged() -> None:
    # An embedded post flattened into its credit and button lines, each twice in a row: near
    # repeats cost what any short line costs, so the article's two halves stay one region;
    # and the recurring button heads no section.
    first = [
        f"First half paragraph {i} says what the singer told fans on her website." for i in range(6)
    ]
    second = [
        f"Second half paragraph {i} says what the label answered in its statement."
        for i in range(6)
    ]
    embed = ["Image Copyright @label @label", "Report"] * 2 + [
        "Image Copyright @mp @mp",
        "Report",
    ] * 2
    lines = ["Title of the story", *MENU, *first, *embed, *second, *MENU]
    assert body_of(lines) == [*first, *second]


def test_bulleted_key_points_without_full_stops_stay_between_prose() -> None:
    points = [
        "• Talks resume in Doha next week",
        "• Prisoner swap agreed in principle",
        "• Ceasefire to hold until the spring",
    ]
    lines = ["Title of the story", *MENU, *STORY[:2], *points, STORY[2], *MENU]
    assert body_of(lines) == [*STORY[:2], *(p[2:] for p in points), STORY[2]]


FEATURES = ["Operating System: gOS V2 Rocket", "Processor: 1.2GHz VIA C7-M", "Memory: 512MB"]


def test_a_lead_in_line_after_the_prose_brings_its_list() -> None:
    lines = [*MENU, "The laptop", *STORY, "Key features:", *FEATURES, "Copyright 2008"]
    assert body_of(lines) == [*STORY, "Key features:", *FEATURES]


def test_a_lead_in_to_other_pages_or_a_ticker_brings_nothing() -> None:
    related = [*MENU, "The laptop", *STORY, "Similar posts:", *FEATURES]
    assert body_of(related) == STORY
    ticker = ["15:44", "Iraq: Rice visits Baghdad", "13:53", "Gaza: raids kill ten"]
    lines = [*MENU, "The laptop", *STORY, "Around the world:", *ticker, "Elsewhere:", *ticker]
    assert body_of(lines) == STORY


RESULTS = ["1. Bayliss (Ducati) 1'32.2", "2. Kagayama (Suzuki) 1'32.3", "3. Haga (Yamaha) 1'32.4"]


def test_lines_numbered_from_one_after_the_prose_are_its_list() -> None:
    lines = [*MENU, "The race", *STORY, "Test results, day 2", *RESULTS, "Print this story"]
    assert body_of(lines) == [*STORY, "Test results, day 2", *RESULTS]
    # Out of sequence, or from another number than 1, they are not one list.
    shuffled = [RESULTS[1], RESULTS[0], RESULTS[2]]
    assert body_of([*MENU, "The race", *STORY, *shuffled, "Print this story"]) == STORY
    assert body_of([*MENU, "The race", *STORY, *RESULTS[1:], "Print this story"]) == STORY


def test_lines_dated_in_calendar_order_after_the_prose_are_its_schedule() -> None:
    dates = [
        "June 9 – West Palm Beach, FL @ Coral Sky Amphitheatre",
        "June 10 – Tampa, FL @ MIDFLORIDA Credit Union Amphitheatre",
        "June 23 – Virginia Beach, VA @ Veterans United Home Loans Amphitheater at Virginia Beach",
        *(f"July {day} – Town {day}, NY @ Arena {day}" for day in range(1, 20)),
        "December 30 – Boston, MA @ TD Garden",
        "January 2 – Newark, NJ @ Prudential Center",
    ]
    lines = [*MENU, "The tour", *STORY, "The Band Tour Dates", *dates, "Print this story"]
    assert body_of(lines) == [*STORY, "The Band Tour Dates", *dates]
    # A day's headlines under one date, or dates newest first, are a teaser list.
    headlines = [f"January 15, 2008 Headline number {i} of the day" for i in range(4)]
    assert body_of([*MENU, "The tour", *STORY, "More news", *headlines, *MENU]) == STORY
    newest = [dates[5], dates[4], dates[3]]
    assert body_of([*MENU, "The tour", *STORY, *newest, *MENU]) == STORY


def test_a_lead_parted_from_the_article_by_an_embedded_promo_stays() -> None:
    promo = "Click here for free Newsletter subscription!"
    lines = [*MENU, "The town", STORY[0], promo, STORY[1], STORY[2], "Print this story"]
    assert body_of(lines) == STORY


CHANGES = ["+ Added Slime Block", "+ Added Iron Trapdoor", "+ Added Red Sandstone"]


def test_key_points_right_above_the_first_prose_open_the_article() -> None:
    lines = [*MENU, "Minecraft 1.8", *CHANGES, *STORY, "Print this story"]
    assert body_of(lines) == [*CHANGES, *STORY]
    # One or two bulleted lines above the prose are teasers, not the article's points.
    assert body_of([*MENU, "Minecraft 1.8", *CHANGES[:2], *STORY]) == STORY


def test_a_site_map_flattened_onto_lines_does_not_win_the_region() -> None:
    # A footer's network of sites, one line each: long runs of words that, unpriced, outweigh
    # a short article (a page scored 0 for it).
    sites = [
        f"Site {name} - news and reviews | Computing news | Desktop reviews | Laptop reviews | "
        "Windows tips | Vista opinions and resources | Mobile computing and wireless | Security"
        for name in ("One", "Two", "Three", "Four")
    ]
    lines = [
        "Title of the story",
        STORY[0],
        *MENU,
        "HOME | PRIVACY | ABOUT | CONTACT | ADS",
        *sites,
    ]
    assert body_of(lines) == [STORY[0]]


def test_a_comment_thread_under_its_header_is_cut_even_when_longer_than_the_article() -> None:
    article = [
        f"Paragraph {i} of the report tells what the reporters found when they visited the "
        "town on Friday, and what the mayor said about the plans for its old sports centre."
        for i in range(5)
    ]
    comment = (
        "I think the agency should stay where it is, because moving it would cost a fortune "
        "and nobody has shown that the move would help a single athlete in the country. "
    )
    thread = []
    for i, name in enumerate(("Brad, Glasgow", "Miss Priss", "Ann", "Tom", "Joe")):
        thread += [f"Posted by: {name} on 11:{10 + i}am Wed 9 Jan 08", comment * 5, "Quote"]
    lines = ["Title of the story", *article, "Add Comment", *thread]
    assert body_of(lines) == article
