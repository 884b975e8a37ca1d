"""Which units of a document are its article: the region the density found, refined, and what
sits between its prose.

:func:`select` combines the signals of scoring.py: it finds the densest region (or takes the
one the caller anchored), checks the patterns inside it and finds it again (:func:`refine`: a
share bar or a run of comment signatures is a barrier; after a barrier little prose is a tail,
:func:`cut_tail`; before one, prose worth a share of the rest is the article's head,
:func:`keep_head`; a press release's closing company profile ends it, :func:`cut_profile`),
then keeps the prose in it and the headings, lists and quotes that sit between prose.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from publisher.clean import anchor
from publisher.clean.dates import opening_day
from publisher.clean.patterns import COMPANY_PROFILE
from publisher.clean.scoring import (
    BARRIER_PENALTY,
    MAX_HEADING_WORDS,
    MAX_LIST_ITEMS,
    POINT_GLYPHS,
    Unit,
    densest_region,
    is_chrome,
    is_point,
    is_prose,
    normalise,
    pattern_price,
    repeated,
    unit_value,
)

# Fewest key points in a row that select() keeps as a list between prose.
MIN_POINTS = 3
# Lead-in words of lists that point to other pages or to sharing: related stories, more
# posts, "See original here:", "Share this article:".
_POINTS_ELSEWHERE = re.compile(
    r"\b(?:related|similar|more|other|recent|popular|latest|share|see|find|read|follow|"
    r"original|tags?|categor(?:y|ies)|filed|posted|bookmark|print|send|email)\b",
    re.IGNORECASE,
)
# A numbered line: "1. Preheat the oven", "12) Serve".
_NUMBERED = re.compile(r"(\d{1,2})[.)]\s+(?=\S)")
# An all-capitals line longer than this is a promo or teaser ("CLICK HERE TO GET THE APP").
MAX_SHOUTED_WORDS = 5
# A line holding the title plus at most this many characters (a breadcrumb, a kicker, a date)
# is a copy of the title; titles shorter than MIN_GLUED_TITLE must match the whole line.
TITLE_GLUE_CHARS = 60
MIN_GLUED_TITLE = 20
# Prose after a bridged barrier below this share of the prose before it is not the article's.
TAIL_SHARE = 0.2
# How many of the last prose units of the region cut_profile() looks at, and how long a company
# profile paragraph is at least (in characters; profiles run to several sentences).
PROFILE_LINES = 3
MIN_PROFILE_CHARS = 150
# Most short lines between two prose units that select() keeps as a group (see _in_short_gap):
# a longer run is a menu or a teaser list, of which only a heading right above prose stays.
SHORT_GAP = 3


def select(
    units: Sequence[Unit],
    title: str = "",
    raw_title: str = "",
    values: list[float] | None = None,
    region: tuple[int, int] | None = None,
    leads: Sequence[int] = (),
) -> list[Unit]:
    """Keep the article's units: prose of the densest region and what sits between prose.

    The region is refined with the pattern checks (see refine()), then cleared of repeats,
    boilerplate, chrome and the title (also as raw_title, before its site suffix was cut),
    and trimmed to start and end with prose (a short line at the top is a kicker or a
    dateline; at the bottom, a footer) -- except that a run of key points right above the
    first prose opens it (see _points_above), a line ending in a colon brings the short lines
    it introduces, and lines numbered 1, 2, 3 ... right after the region come as its list
    (see _numbered_run). Between prose, short units are kept when the markup places them in
    the article body, or when they head prose (headings) or form a list that reads as
    sentences or is introduced by a colon.

    values, when given, are the units' unit_value() already computed by the caller (the text
    cleaner prices every line before it makes Units), and region their densest_region();
    select() refines a copy. leads are the indexes of the article's leads, when the page's
    landmarks tell them (see anchor.py): the refined region keeps to them.
    """
    dup = repeated(units)
    if values is None:
        values = [unit_value(unit, repeat) for unit, repeat in zip(units, dup, strict=True)]
    else:
        values = list(values)
    start, end = refine(units, values, *(region or densest_region(values)), leads)
    start = _points_above(units, start, dup)
    opened = _list_above(units, start, dup)
    start = min(start, opened)
    # A short line that recurs (a button of each embedded post) heads no section.
    twice = {unit.text for unit, is_dup in zip(units, dup, strict=True) if is_dup}
    titles = {normalise(title), normalise(raw_title)} - {""}
    sizes = {size for t in titles for size in range(len(t) - 4, len(t) + TITLE_GLUE_CHARS + 1)}
    body = [
        unit
        for unit, is_dup in zip(units[start:end], dup[start:end], strict=True)
        if not (is_dup or is_chrome(unit) or _is_title(unit.text, titles, sizes))
    ]
    introduced = _introduced_run(units, end, body, dup)
    numbered = [] if introduced else _numbered_run(units, end, body, dup, _number_in_order)
    numbered = numbered or (
        [] if introduced else _numbered_run(units, end, body, dup, _in_date_order)
    )
    body += introduced or numbered
    counted = {id(unit) for unit in numbered}
    prose_at = [i for i, unit in enumerate(body) if is_prose(unit)]
    if not prose_at:
        return []
    last = prose_at[-1]
    while last + 1 < len(body) and (
        _introduced_list(body, last + 1)
        or _leads_list(body, last + 1)
        or id(body[last + 1]) in counted
    ):
        last += 1
    first = prose_at[0]
    while first > 0 and _point(body[first - 1]):
        first -= 1
    first = first if prose_at[0] - first >= MIN_POINTS else prose_at[0]
    first = 0 if opened < len(units) and body and body[0] is units[opened] else first
    kept: list[Unit] = []
    for i in range(first, last + 1):
        unit = body[i]
        if is_prose(unit) or unit.hint > 0:
            keep = True
        elif _in_points(body, i) or _leads_list(body, i):
            keep = True  # a key point of a list between prose, or a list's lead-in line
        elif unit.kind == "item":
            keep = unit.sentence or _introduced_list(body, i) or id(unit) in counted
        else:
            keep = is_heading(unit) and _in_short_gap(body, i) and unit.text not in twice
        if keep:
            if (
                unit.kind == "paragraph"
                and not unit.sentence
                and unit.text[:1] not in POINT_GLYPHS
                and _followed_by_prose(body, i)
            ):
                unit.kind = "heading"
            kept.append(unit)
    return kept


def _is_title(text: str, titles: set[str], sizes: set[int]) -> bool:
    """True when text is a copy of the title, alone or glued to a breadcrumb or a kicker
    ("Home News Business Ascom announces ..."); the length test saves normalising.

    sizes holds the lengths a copy can have: from 4 characters shorter than a title (spaces
    and case folded) to TITLE_GLUE_CHARS longer.
    """
    if len(text) not in sizes:
        return False
    low = text.casefold()
    if not any(t[:12] in low for t in titles):  # cheap probe before normalising
        return False
    norm = normalise(text)
    return any(norm == t or (len(t) >= MIN_GLUED_TITLE and t in norm) for t in titles)


def is_heading(unit: Unit) -> bool:
    """A short line that can head a section: a few words, and not a shouted teaser headline."""
    if unit.words > MAX_HEADING_WORDS:
        return False
    return unit.words <= MAX_SHOUTED_WORDS or not unit.text.isupper()


def _point(unit: Unit) -> bool:
    return unit.links == 0.0 and is_point(unit.text, unit.kind, unit.words)


def _points_above(units: Sequence[Unit], start: int, dup: Sequence[bool]) -> int:
    """The region's start moved up over a run of at least MIN_POINTS key points right above
    it (a changelog or a summary's points before the first paragraph); else start."""
    top = start
    while top > 0 and _point(units[top - 1]) and not dup[top - 1]:
        top -= 1
    return top if start - top >= MIN_POINTS else start


def _list_above(units: Sequence[Unit], start: int, dup: Sequence[bool]) -> int:
    """The index of a lead-in line ending in ':' whose list (at least MIN_POINTS items of a
    marked list, none a link) sits right above the region's start, or above one heading over
    it ("What You'll Need:", the tools, "Step 1", the first step): the article's own list,
    which the density left out as short lines; len(units) when there is none."""
    k = start - 1
    if k >= 0 and units[k].kind != "item" and _plain_short(units[k], dup[k]):
        k -= 1  # a heading over the first paragraph
    bottom = k
    while k >= 0 and units[k].kind == "item" and _plain_short(units[k], dup[k]):
        k -= 1
    if k < 0 or bottom - k < MIN_POINTS or bottom - k > MAX_LIST_ITEMS or dup[k]:
        return len(units)
    return k if _is_lead_in(units[k]) else len(units)


def _plain_short(unit: Unit, dup: bool) -> bool:
    return is_heading(unit) and unit.links == 0.0 and not (dup or is_prose(unit) or is_chrome(unit))


def _in_points(region: Sequence[Unit], i: int) -> bool:
    """True when the unit at i is one of a run of at least MIN_POINTS key points (one or two
    bulleted headlines between paragraphs are teasers of other articles)."""
    if not _point(region[i]):
        return False
    j = i
    while j > 0 and _point(region[j - 1]):
        j -= 1
    k = i + 1
    while k < len(region) and _point(region[k]):
        k += 1
    return k - j >= MIN_POINTS


def _introduced_run(
    units: Sequence[Unit], end: int, region: Sequence[Unit], dup: Sequence[bool]
) -> list[Unit]:
    """Short units right after the region that a line ending in ':' introduces: the region's
    last line, or the line right after it (a lead-in the density left out with its list,
    "Upcoming screenings:" over a schedule), which then comes first; but not a list that
    repeats a line of the page (a ticker of headlines and times)."""
    if not region:
        return []
    lead: list[Unit] = []
    if not region[-1].text.endswith(":"):
        if end >= len(units) or not _is_lead_in(units[end]):
            return []
        lead, end = [units[end]], end + 1
    stop = end
    for unit in units[end : end + MAX_LIST_ITEMS]:
        if is_prose(unit) or is_chrome(unit) or unit.words > MAX_HEADING_WORDS:
            break
        stop += 1
    if lead and any(dup[end:stop]):
        return []
    run = list(units[end:stop])
    for unit in run:
        unit.kind = "item"
    return [*lead, *run] if run else []


def _numbered_run(
    units: Sequence[Unit],
    end: int,
    region: Sequence[Unit],
    dup: Sequence[bool],
    follows: Callable[[Sequence[Unit], Unit], bool],
) -> list[Unit]:
    """Lines in order right after the region, at least MIN_POINTS of them and none a link,
    with the one short line above them that heads them: numbered in sequence from 1 ("1.
    Bayliss (Ducati) 1'32.2", "2. Kagayama ...": the article's ranking or steps), or opening
    with dates in calendar order ("June 9 – Tampa, FL @ ...": its schedule), as follows()
    tells of each line after the run so far. The density left them out as short lines;
    teaser lists of most-read stories are links, and list their dates newest first."""
    if not region:
        return []
    lead: list[Unit] = []
    if end < len(units) and not follows((), units[end]):
        head = units[end]
        if head.words > MAX_HEADING_WORDS or is_chrome(head) or dup[end] or is_prose(head):
            return []
        lead, end = [head], end + 1
    run: list[Unit] = []
    for i in range(end, min(len(units), end + MAX_LIST_ITEMS)):
        unit = units[i]
        if not follows(run, unit) or unit.links > 0 or dup[i] or is_chrome(unit):
            break
        run.append(unit)
    if len(run) < MIN_POINTS:
        return []
    for unit in run:
        unit.kind, unit.ordered = "item", follows is _number_in_order
    return [*lead, *run]


def _number_in_order(run: Sequence[Unit], unit: Unit) -> bool:
    return _number(unit) == len(run) + 1


def _in_date_order(run: Sequence[Unit], unit: Unit) -> bool:
    """True when unit opens with a date after the last of run's (a schedule may run on into
    the next year once: "December 30 ...", "January 2 ..."; a day's headlines, all under one
    date, are no schedule)."""
    day = opening_day(unit.text) if unit.text[:1].isalpha() or unit.text[:1].isdigit() else None
    if day is None or unit.sentence or unit.words > 2 * MAX_HEADING_WORDS:
        return False  # a row names a day, a place and a venue; prose is no row
    days = [opening_day(u.text) for u in run]
    if not days:
        return True
    wraps = sum(1 for a, b in itertools.pairwise(days) if a and b and b < a)
    last = days[-1]
    return last is not None and (day > last or (wraps == 0 and last[0] >= 10 and day[0] <= 3))


def _number(unit: Unit) -> int | None:
    match = _NUMBERED.match(unit.text) if unit.text[:1].isdigit() else None
    return int(match.group(1)) if match else None


def _is_lead_in(unit: Unit) -> bool:
    """A short line ending in ':' that is not chrome ("Key features:", not "Share this:" or
    "Similar posts:", whose lists are other pages)."""
    text = unit.text
    return (
        text.endswith(":")
        and unit.words <= MAX_HEADING_WORDS
        and not is_chrome(unit)
        and _POINTS_ELSEWHERE.search(text) is None
    )


def _leads_list(region: Sequence[Unit], i: int) -> bool:
    """True when the unit at i is a lead-in line right above the items it introduces."""
    return (
        i + 1 < len(region)
        and region[i].kind != "item"
        and _is_lead_in(region[i])
        and _introduced_list(region, i + 1)
    )


def _introduced_list(region: Sequence[Unit], i: int) -> bool:
    """True when the item at i belongs to a list whose lead-in line ends with a colon."""
    if region[i].kind != "item":
        return False
    j = i
    while j > 0 and region[j - 1].kind == "item":
        j -= 1
    return j > 0 and region[j - 1].text.rstrip().endswith(":")


def _in_short_gap(region: Sequence[Unit], i: int) -> bool:
    """True when i heads prose, or sits in a gap of at most SHORT_GAP short lines between
    prose (a product name over its shop link, a shop link under its blurb)."""
    if _followed_by_prose(region, i):
        return True
    j = i
    while j > 0 and not is_prose(region[j - 1]):
        j -= 1
    k = i + 1
    while k < len(region) and not is_prose(region[k]):
        k += 1
    return j > 0 and k < len(region) and k - j <= SHORT_GAP


def _followed_by_prose(region: Sequence[Unit], i: int) -> bool:
    """True when the next unit after i is prose (or a list), i.e. i heads a section."""
    return i + 1 < len(region) and (is_prose(region[i + 1]) or region[i + 1].kind == "item")


def refine(
    units: Sequence[Unit], values: list[float], start: int, end: int, leads: Sequence[int] = ()
) -> tuple[int, int]:
    """Pattern-check the units of [start, end) and find the densest run again inside it.

    The first pass prices units by shape alone (pattern checks on every line would cost more
    than everything else); inside the region, a share bar or a run of "jane says:" lines now
    weighs as a barrier (for the families that end articles), which splits an article from the
    comments or teasers that follow it. When the region held one of the leads and the run
    found again starts after it, the run from the lead is taken as anchor.anchored_region()
    takes it (a footer of long legal sentences or a comment form must not win over the article
    the region began with).
    """
    for i in range(start, end):
        priced = pattern_price(units[i].text, values[i])
        if priced is not None:
            units[i].boiler = True
            values[i] = priced
    inner = densest_region(values[start:end])
    within = [lead - start for lead in leads if start <= lead < start + inner[0]]
    if within:
        inner = anchor.anchored_region(values[start:end], within, inner)
    inner_start, end = start + inner[0], start + inner[1]
    end = cut_tail(values, inner_start, end)
    # A head that holds the lead under the headline is kept from the lead, not above it.
    start = keep_head(values, start + min(within, default=0), inner_start, end)
    return start, cut_profile(units, values, start, end)


def cut_tail(values: Sequence[float], start: int, end: int) -> int:
    """The end of [start, end) moved back to the first barrier after which little prose follows.

    A barrier (a line that ends articles) bridged by the density is an inline "Related: ..."
    link when about as much prose follows it as precedes it; when much less follows, what
    follows is an author box, a company boilerplate paragraph or a first comment.
    """
    total = sum(v for v in values[start:end] if v > 0)
    before = 0.0
    for i in range(start, end):
        value = values[i]
        if value > 0:
            before += value
        elif value <= -BARRIER_PENALTY and total - before < TAIL_SHARE * before:
            return i
    return end


def keep_head(values: Sequence[float], outer: int, start: int, end: int) -> int:
    """The start of the run found again inside [outer, end), moved back to outer when what it
    left out is the article's head cut off by an embedded promo: prose that a barrier ("Click
    here for our free newsletter!") parts from the run, worth at least TAIL_SHARE of it.

    cut_tail's mirror: the density bridged the barrier, and the search inside the region
    dropped a lead worth less than the barrier costs; a lead that short of the rest is a
    blurb or a teaser above the article, and stays out.
    """
    if start == outer or not any(v <= -BARRIER_PENALTY for v in values[outer:start]):
        return start
    head = sum(v for v in values[outer:start] if v > 0)
    rest = sum(v for v in values[start:end] if v > 0)
    return outer if head >= TAIL_SHARE * rest else start


def is_company_profile(text: str) -> bool:
    """A paragraph that profiles a company ("Acme is a leading provider of ..."), long enough
    to be the several sentences such profiles run to (patterns.COMPANY_PROFILE)."""
    return len(text) >= MIN_PROFILE_CHARS and COMPANY_PROFILE.match(text) is not None


def cut_profile(units: Sequence[Unit], values: Sequence[float], start: int, end: int) -> int:
    """The end of [start, end) moved back to a company profile among its last PROFILE_LINES
    prose units: a press release closes with its company's profile (and contact lines), which
    the page flattens into ordinary paragraphs. Only the end is looked at: the same sentence
    earlier is the story's own background. The region's first unit is never cut.
    """
    seen = 0
    for i in range(end - 1, start, -1):
        if values[i] > 0:
            if is_company_profile(units[i].text):
                return i
            seen += 1
            if seen == PROFILE_LINES:
                break
    return end
