"""The named heuristics of scoring.py, each on small inputs, and how select() combines them."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from publisher.clean import keep, scoring
from publisher.clean.scoring import Unit

PROSE = "The Taliban have received an impetus and seem to be feeling the taste of victory."


def unit(text: str, kind: str = "paragraph", links: float = 0.0, hint: int = 0) -> Unit:
    words = scoring.weight(text)
    return Unit(text, kind, words, scoring.is_sentence(text, words), links, False, hint)  # type: ignore[arg-type]


def para(n: int) -> Unit:
    return unit(f"Paragraph {n} of the story says what happened in the city on Friday night.")


# --- text length ---------------------------------------------------------------------------


def test_weight_counts_words() -> None:
    assert scoring.weight("one two three") == 3
    assert scoring.weight("") == 0


def test_weight_counts_cjk_characters_as_half_words() -> None:
    assert scoring.weight("一般的にスマホやタブレットなどのモバイル端末で読むことが多い") >= 10
    assert scoring.weight("“Quoted” words — with dashes — count as words") == 9


# --- sentence shape ------------------------------------------------------------------------


def test_sentence_needs_words_and_a_final_mark() -> None:
    assert scoring.is_sentence(PROSE, scoring.weight(PROSE))
    assert scoring.is_sentence('He said: "We will stay."', 5)
    assert not scoring.is_sentence("Russian concern", 2)
    assert not scoring.is_sentence("Taliban offensive accelerates to take the city", 7)


def test_truncated_teaser_is_not_a_sentence() -> None:
    assert not scoring.is_sentence("Microsoft offers a Surface Go bundle for kids...", 8)
    assert not scoring.is_sentence("Microsoft offers a Surface Go bundle for kids…", 8)


# --- link density --------------------------------------------------------------------------


def test_link_density() -> None:
    assert scoring.link_density(0, 0) == 0.0
    assert scoring.link_density(50, 100) == 0.5
    assert scoring.link_density(150, 100) == 1.0


def test_link_heavy_unit_counts_as_short() -> None:
    assert scoring.unit_value(unit(PROSE, links=0.9)) == -scoring.SHORT_PENALTY


# --- values --------------------------------------------------------------------------------


def test_unit_value_by_shape() -> None:
    assert scoring.unit_value(unit(PROSE)) == scoring.weight(PROSE)
    assert scoring.unit_value(unit("Menu")) == -scoring.SHORT_PENALTY
    boiler = unit(PROSE)
    boiler.boiler = True
    assert scoring.unit_value(boiler) == -scoring.BOILERPLATE_PENALTY
    assert scoring.unit_value(unit(PROSE, hint=-1)) == -scoring.BOILERPLATE_PENALTY
    assert scoring.unit_value(unit(PROSE, hint=1)) > scoring.unit_value(unit(PROSE))
    assert scoring.unit_value(unit(PROSE), repeat=True) == -scoring.REPEAT_PENALTY


# --- repetition ----------------------------------------------------------------------------


def test_repeated_marks_later_copies() -> None:
    units = [unit("Title"), unit("Body."), unit("Title")]
    assert scoring.repeated(units) == [False, False, True]


def test_normalise_and_key() -> None:
    assert scoring.normalise("  Hello   World ") == "hello world"
    assert scoring.key("0 $") == scoring.key("2,500 $")  # digits fold: counters match
    assert scoring.key("Support SouthFront") == scoring.key("support  southfront")
    assert len(scoring.key("x")) == 16


# --- density / position --------------------------------------------------------------------


def test_densest_region_is_the_max_sum_run() -> None:
    assert scoring.densest_region([-1, 5, -2, 6, -10, 3]) == (1, 4)
    assert scoring.densest_region([-1, -2]) == (0, 0)
    assert scoring.densest_region([]) == (0, 0)


def test_refine_separates_comments_from_article() -> None:
    article = [para(i) for i in range(3)]
    comments = []
    for i in range(6):
        comments += [unit(f"reader{i} says:"), unit(PROSE + " " + PROSE)]
    units = [*article, unit("Share this:"), *comments]
    values = [scoring.unit_value(u) for u in units]
    start, end = keep.refine(units, values, 0, len(units))
    assert (start, end) == (0, 3)


def test_cut_tail_drops_a_short_tail_after_a_barrier() -> None:
    barrier = -scoring.BARRIER_PENALTY
    # An author bio (20) after 200 words of article: cut at the barrier.
    assert keep.cut_tail([100, 100, barrier, 20], 0, 4) == 2
    # An inline "Related:" link between two halves of an article: kept.
    assert keep.cut_tail([100, barrier, 90], 0, 3) == 3
    assert keep.cut_tail([100, -8, 20], 0, 3) == 3  # only barriers cut


PROFILE = (
    "Acme Robotics (NASDAQ: ACME) is a leading provider of warehouse automation systems. "
    "Founded in 1998, the company is headquartered in Boston and employs 2,000 people."
)


def test_company_profile_is_a_long_paragraph_opening_with_the_formula() -> None:
    assert keep.is_company_profile(PROFILE)
    assert not keep.is_company_profile("Acme is a leading provider of robots.")  # short
    # The formula must open the paragraph: a story's sentence about a company does not.
    assert not keep.is_company_profile("Analysts said " + PROFILE)
    assert not keep.is_company_profile(
        "Emirates is the number one buyer of Airbus' iconic A380, the world's largest "
        "airliner, with 123 of the planes in its fleet, and it will keep flying them for years."
    )


def test_cut_profile_drops_a_closing_company_profile() -> None:
    units = [*[para(i) for i in range(4)], unit(PROFILE), unit("Contact: press office.")]
    values = [scoring.unit_value(u) for u in units]
    assert keep.cut_profile(units, values, 0, len(units)) == 4
    # Earlier in the story, before more than PROFILE_LINES paragraphs, it is background.
    units = [para(0), unit(PROFILE), *[para(i) for i in range(1, 5)]]
    values = [scoring.unit_value(u) for u in units]
    assert keep.cut_profile(units, values, 0, len(units)) == len(units)
    # The region's first unit is never cut.
    assert keep.cut_profile([unit(PROFILE)], [30.0], 0, 1) == 1


def test_about_heading_is_not_prose() -> None:
    assert scoring.boilerplate_family("About 300 people gathered outside the court.") is None
    assert scoring.boilerplate_family("About the war") is None


# --- select --------------------------------------------------------------------------------


def test_select_drops_navigation_around_the_article() -> None:
    units = [unit(x) for x in ("Home", "News", "Sport", "Video")] + [para(i) for i in range(4)]
    units += [unit(x) for x in ("About", "Contact", "Jobs")]
    kept = keep.select(units)
    assert [u.text for u in kept] == [para(i).text for i in range(4)]


def test_select_keeps_subheadings_between_prose_only() -> None:
    units = [unit("World News"), para(1), unit("Russian concern"), para(2), unit("Next up")]
    kept = keep.select(units)
    assert [(u.kind, u.text) for u in kept] == [
        ("paragraph", para(1).text),
        ("heading", "Russian concern"),
        ("paragraph", para(2).text),
    ]


def test_select_keeps_no_recurring_short_line_as_a_heading() -> None:
    paragraphs = [f"{PROSE} Part {i} of the story adds: {PROSE}" for i in range(3)]
    units = [unit(paragraphs[0]), unit("Report"), unit(paragraphs[1]), unit("Report")]
    units.append(unit(paragraphs[2]))
    assert [u.text for u in keep.select(units)] == paragraphs


def test_select_keeps_a_short_gap_between_prose() -> None:
    # A product name over its shop link: neither heads prose alone, the pair does.
    gap = [unit("Apple AirPods Pro for $235"), unit("See it now: Amazon")]
    units = [para(1), para(2), *gap, para(3), para(4)]
    assert [u.text for u in keep.select(units)] == [u.text for u in units]
    # A longer run of short lines is a menu: only the line right above prose is kept.
    menu = [unit(x) for x in ("World", "Politics", "Science", "Culture")]
    units = [para(1), para(2), para(3), *menu, para(4), para(5), para(6)]
    kept = [u.text for u in keep.select(units)]
    assert kept == [u.text for u in units if u.text not in ("World", "Politics", "Science")]


def test_select_drops_title_glued_to_a_breadcrumb() -> None:
    title = "Ascom announces a strategic partnership with GE Healthcare"
    units = [unit("Home News Business News " + title), para(1), para(2)]
    kept = keep.select(units, title)
    assert [u.text for u in kept] == [para(1).text, para(2).text]


def test_repeated_datelines_split_teasers_from_the_article() -> None:
    article = [para(i) for i in range(4)]
    teasers = []
    for i in range(5):
        teasers += [unit(f"Teaser headline number {i}"), unit("Wednesday November 20, 2019")]
        teasers += [unit(f"Teaser {i} tells readers what happened in another town on Monday.")]
    kept = keep.select([*article, *teasers])
    assert [u.text for u in kept] == [u.text for u in article]


def test_select_drops_title_and_boilerplate() -> None:
    units = [unit("Big News Today"), para(1), unit("Advertisement"), para(2)]
    kept = keep.select(units, "Big News Today")
    assert [u.text for u in kept] == [para(1).text, para(2).text]


def test_select_keeps_sentence_items_and_drops_teaser_items() -> None:
    units = [
        para(1),
        unit("They would take all necessary measures to prevent it.", "item"),
        unit("They intend to share power with others.", "item"),
        para(2),
        unit("Afghanistan The new wave of refugees", "item"),
        para(3),
    ]
    kept = [u.text for u in keep.select(units)]
    assert "They intend to share power with others." in kept
    assert "Afghanistan The new wave of refugees" not in kept


def test_select_keeps_a_list_introduced_by_a_colon() -> None:
    units = [para(1), unit("The band will play these dates next summer:")]
    units += [unit("June 9 Tampa"), unit("June 10 Miami")]
    units += [unit("Home"), unit("About")]
    kept = [u.text for u in keep.select(units)]
    assert kept[-2:] == ["June 9 Tampa", "June 10 Miami"]


def test_select_keeps_short_blocks_inside_article_markup() -> None:
    units = [para(1), unit("Pre-Workout Meal", hint=1), unit("Eat 60 minutes before", hint=1)]
    units += [para(2)]
    kept = [u.text for u in keep.select(units)]
    assert "Eat 60 minutes before" in kept


def test_select_of_nothing() -> None:
    assert keep.select([]) == []
    assert keep.select([unit("Home"), unit("About")]) == []


def test_line_keys_skip_long_and_empty_lines() -> None:
    keys = scoring.line_keys(["Support SouthFront", "", "x" * 1000])
    assert keys == [scoring.key("Support SouthFront"), None, None]


def test_keys_ignore_control_characters_as_blocks_do() -> None:
    assert scoring.key("Support\x07 SouthFront\ufffd") == scoring.key("Support SouthFront")
    assert scoring.key("Page 3 of 12") == scoring.key("Page 4 of 10")


def _reference_key(text: str) -> str:
    # key() as defined: the C-scan shortcut and the cache left out.
    folded = scoring.normalise(scoring.CONTROL.sub(" ", text))
    folded = scoring._DIGIT_RUN.sub("0", folded)
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=8).hexdigest()


@given(
    st.text(alphabet=st.sampled_from([*"aZ 0,.9\t\n\x0b\x1c\x1f\x01\x7f", "\xa0", "٣", "\ufffd"]))
)
def test_cached_and_uncached_keys_agree_with_the_definition(text: str) -> None:
    # Lines up to MAX_PATTERN_CHARS are cached, longer ones computed each time.
    assert scoring.key(text) == scoring.key(text) == _reference_key(text)
    long = text + " x" * scoring.MAX_PATTERN_CHARS
    assert scoring.key(long) == _reference_key(long)


def test_settled_region_searches_again_without_its_boilerplate() -> None:
    texts = ["A story sentence.", "Menu", "Past performance is not indicative of results."]
    values = [20.0, -25.0, 40.0]  # by shape alone the disclaimer is the densest region
    assert scoring.densest_region(values) == (2, 3)
    assert scoring.settled_region(texts.__getitem__, values, 3) == (0, 1)
    assert values[2] == -scoring.BARRIER_PENALTY  # priced in place, for select() to reuse
    # No rounds: the first search stands.
    assert scoring.settled_region(texts.__getitem__, [20.0, -25.0, 40.0], 0) == (2, 3)


def test_annotated_link_is_a_linked_headline_with_a_sentence_after_it() -> None:
    digest = "Valve announces a new game for virtual reality. It is its first in twelve years."
    assert scoring.is_annotated_link(Unit(digest, words=15, sentence=True, links=0.55))
    # Links glued by a few plain words (a hover card of related names) are a link list.
    assert not scoring.is_annotated_link(Unit(digest * 5, words=75, sentence=True, links=0.82))
    assert not scoring.is_annotated_link(Unit("Read the full story here.", 5, True, links=0.6))
    assert not scoring.is_annotated_link(Unit(digest[:46], words=8, sentence=False, links=0.55))


def test_a_teaser_cut_with_a_bracketed_ellipsis_is_no_sentence() -> None:
    text = "Every SUV in the market has a good mix of space, style and handling. SUVs is a [...]"
    assert not scoring.is_sentence(text, scoring.weight(text))


def test_a_long_run_without_sentences_is_worth_little_and_prose_keeps_its_worth() -> None:
    films = " ".join(f"Film{i} Title" for i in range(90))  # a flattened list of films
    assert scoring.long_value(films, scoring.weight(films)) == scoring.MAX_UNPUNCTUATED_VALUE
    prose = " ".join(
        f"Sentence {i} of a long paragraph tells what the reporters found there." for i in range(8)
    )
    cited = prose + " [MP1 / MP2]"  # prose that ends with a citation, not a full stop
    assert scoring.long_value(cited, scoring.weight(cited)) == scoring.weight(cited) / 2
