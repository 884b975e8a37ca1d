"""Where the article is, from the page's own landmarks: its headline's copy above it and the
lead under that, and the comment signatures after it.

Density alone picks the longest run of prose, and on a page with a short article that is
too often the comment thread under it, or a blurb box beside it. Two signals correct it:

- **comment signatures** (:func:`signatures`): a thread reads name / date and time / reply,
  over and over ("Posted by: Jane at November 9, 2012 7:49 AM", "Jane September 17, 2014 -
  1:01 pm"). Lines shaped like a dateline with both a year and a time, when the page has
  several, are priced as barriers: a thread falls apart into its single comments, while an
  article's paragraphs bridge one such line;
- **teaser excerpts** (:func:`teaser_excerpts`): a list of other articles reads headline /
  excerpt cut with an ellipsis, over and over ("2012 Honda Pilot – Looks almost the same",
  "The new 2012 Honda Pilot looks almost the same as its older versions [...]"). Each
  excerpt is long enough to count as prose; when the page has several, they are priced as
  short lines, so the list no longer carries the region on past the article (an article
  that ends with a cut of its own, or a suspended "...", is one such line, not several);
- **slide counters** (:func:`slide_counters`): a photo gallery flattened into the page
  reads counter and title / caption, over and over ("1/50 United goin down", "Manchester
  United's absence from the Champions League ..."). Its captions are prose, and a gallery
  of fifty outweighs the article it follows. Lines that open with a counter out of one same
  total, when the page has several, are priced as barriers: the gallery falls apart into
  its slides, and the article's container is not followed past the first of them;
- **the anchor** (:func:`anchored_region`): the headline stated again just above the
  article (a scrape's first line is the page's <title>; the <h1> comes again over the text),
  and the first prose under it, the lead. When the densest region does not hold the lead,
  the run of prose that starts at the lead is the article unless it is much poorer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime

from publisher.clean import dates, scoring, stated

# A page needs at least this many dated-and-timed lines for them to be comment signatures
# (one is the article's own dateline).
MIN_SIGNATURES = 2
# Longest line that can sign a comment (a dateline is a short line).
MAX_SIGNATURE_CHARS = 160
_CLOCK = re.compile(r"\d[:.][0-5]\d")
_POSTED_BY = re.compile(r"posted\s+by\b", re.IGNORECASE)
# A page needs this many headline-and-cut-excerpt pairs for them to be a teaser list.
MIN_TEASERS = 2
# Lines that end in a date after a name sign comments when the page has this many (an
# article's own dateline and an update line are two).
MIN_NAMED_SIGNATURES = 3
_ENDS_IN_YEAR = re.compile(r"\b(?:1[89]|20)\d\d$")
# What stands between a commenter's name and the date.
_SEPARATORS = ("-", "–", "—", "|", "·", "•", ",")
# How far under the headline's copy the lead may start (bylines, dates, captions between).
LEAD_WINDOW = 12
# The run that starts at the lead wins over a densest region elsewhere worth up to this many
# times as much: a short article over the longer comment thread or blurb box beside it.
ANCHOR_SHARE = 0.2
# Longest unit taken for the headline's copy (a headline is a short line).
MAX_HEADLINE_WORDS = 40
# Shortest part of a title line that counts as the headline stated again.
MIN_COPY_WORDS = 3
# Most letters and digits a copy of the headline may carry after it (a comment count: "... 211").
COPY_TAIL_CHARS = 6
# Characters a copy of the headline may carry before its first letter (quote marks, a bullet).
COPY_LEAD_CHARS = 3
_NOT_ALNUM = re.compile(r"[\W_]+")
# A gallery's slide counter opening a line: "1/50 United goin down", "12 / 50".
_SLIDE_COUNTER = re.compile(r"(\d{1,3})\s*/\s*(\d{1,3})(?:\s|$)")
# A page needs this many counters out of the same total (and a total this large) for them
# to be a gallery's slides: "1/2 cup sugar" and "24/7" are no gallery.
MIN_SLIDES = 3
# How far under a comment header the thread's first signature may be (a reply form between).
THREAD_REACH = 3


def signatures(text_at: Callable[[int], str], count: int, reference: datetime) -> list[int]:
    """Indexes of the lines that sign comments: datelines with a year and a time, when there
    are at least MIN_SIGNATURES of them; and lines that end in a full date after a name
    ("2. The Keeper - October 26, 2012"), when there are at least MIN_NAMED_SIGNATURES."""
    found, named = [], []
    for i in range(count):
        line = text_at(i)
        if len(line) > MAX_SIGNATURE_CHARS:
            continue
        if _CLOCK.search(line) is not None:  # cheap tests first
            date = stated.dateline(line, reference)
            # A comment's "Posted by" line may write its year in two digits ("Wed 9 Jan 08").
            if date is not None and (date.has_year or _POSTED_BY.match(line)):
                found.append(i)  # and a time: the clock test above
        elif line[-4:].isdigit() and _ENDS_IN_YEAR.search(line) and _named_date(line, reference):
            named.append(i)
    found = found if len(found) >= MIN_SIGNATURES else []
    return sorted(found + named) if len(named) >= MIN_NAMED_SIGNATURES else found


def _named_date(line: str, reference: datetime) -> bool:
    """True when line is a name, a separator and a full date that ends the line."""
    date = dates.find_date(line, reference)
    if date is None or not date.has_year or date.end < len(line) or date.start == 0:
        return False
    return line[: date.start].rstrip().endswith(_SEPARATORS)


def teaser_excerpts(text_at: Callable[[int], str], count: int) -> list[int]:
    """Indexes of the excerpts of teaser lists: lines of at least scoring.LONG_WORDS words
    cut with an ellipsis, right under a headline (a short line that does not end with a
    full stop), when there are at least MIN_TEASERS of them."""
    found = []
    truncated, long_words = scoring.TRUNCATED, scoring.LONG_WORDS
    for i in range(1, count):
        line = text_at(i)
        if line.endswith(truncated) and line.count(" ") + 1 >= long_words:
            headline = text_at(i - 1).rstrip()
            if headline.count(" ") < scoring.MAX_HEADING_WORDS and not headline.endswith("."):
                found.append(i)
    return found if len(found) >= MIN_TEASERS else []


def slide_counters(text_at: Callable[[int], str], count: int) -> list[int]:
    """Indexes of the lines that open with a gallery's slide counter ("3/50 City for sale"):
    counters k/N with one same total N of at least MIN_SLIDES, no k above N, and at least
    MIN_SLIDES different k, so that a recipe's fractions ("1/2 cup sugar", "1/4 teaspoon
    salt") and "24/7" are not slides."""
    by_total: dict[int, list[tuple[int, int]]] = {}
    for i in range(count):
        line = text_at(i)
        if not line[:1].isdigit():  # cheap test first
            continue
        match = _SLIDE_COUNTER.match(line)
        if match is not None:
            slide, total = int(match.group(1)), int(match.group(2))
            if 1 <= slide <= total and total >= MIN_SLIDES:
                by_total.setdefault(total, []).append((i, slide))
    found = [
        i
        for slides in by_total.values()
        if len({slide for _, slide in slides}) >= MIN_SLIDES
        for i, _ in slides
    ]
    return sorted(found)


def price_teasers(values: list[float], at: Sequence[int]) -> None:
    """Price the teaser excerpts as short lines (see the module docstring)."""
    for i in at:
        values[i] = min(values[i], -scoring.SHORT_PENALTY)


def thread_start(
    text_at: Callable[[int], str],
    signed: Sequence[int],
    values: Sequence[float],
    region: tuple[int, int],
) -> int:
    """Where the comment thread starts inside region, or region's end when none does: a
    comment header ("Add Comment", "Leave a Reply") with a signature at most THREAD_REACH
    lines under it, after prose of the region.

    Two landmarks that agree: a header alone may be the form under an article that has no
    comments yet, and signatures alone may be a live blog's entries; a thread of long comments
    outweighs its barriers and the article before it, so cut_tail's share does not stop it.
    """
    start, end = region
    prose = False
    marks = set(signed)
    for i in range(start, end):
        if values[i] > 0:
            prose = True
        elif (
            prose
            and values[i] <= 0
            and i not in marks
            and any(j in marks for j in range(i + 1, min(end, i + 1 + THREAD_REACH)))
        ):
            family = scoring.boilerplate_family(text_at(i))  # the costlier test last
            if family is not None and family.name == "comment_form":
                return i
    return end


def price_signatures(values: list[float], at: Sequence[int]) -> None:
    """Price the signature lines (or slide counters) as barriers (see the module docstring)."""
    for i in at:
        values[i] = min(values[i], -scoring.BARRIER_PENALTY)


def title_copy(lines: Sequence[str], title_at: int, titles: Sequence[str]) -> int | None:
    """Index of the first line after title_at that states the headline again: one of titles
    (the title as found, and as cleaned), or a part of the title line cut at a separator
    ("How Terrorist Groups Disband" under "Schneier on Security: How Terrorist Groups
    Disband"), of at least MIN_COPY_WORDS words.

    Punctuation and case are not compared (a <title> loses the curly quotes and dashes its
    <h1> has: "Chads World 15Flash" over "Chad’s World 15–Flash"), and a copy may carry a
    few characters after it (a comment count).
    """
    wanted = {t for t in titles if t}
    folded = {f for t in wanted if t.count(" ") + 1 >= MIN_COPY_WORDS and (f := fold(t))}
    raw = lines[title_at] if 0 <= title_at < len(lines) else ""
    # Cheap tests before folding a line: its length, and the title's first letter or digit
    # among its first characters (a copy may open with a quote mark).
    shortest = min(map(len, folded), default=0)
    longest = len(raw) + 2 * COPY_TAIL_CHARS
    firsts = {f[0] for f in folded}
    for i in range(title_at + 1, len(lines)):
        line = lines[i]
        if line in wanted:
            return i
        if (
            raw
            and len(line) < len(raw)
            and line.count(" ") + 1 >= MIN_COPY_WORDS
            and (raw.endswith(line) or raw.startswith(line))
        ):
            return i
        if (
            shortest <= len(line) <= longest
            and not firsts.isdisjoint(line[:COPY_LEAD_CHARS].casefold())
            and _states(fold(line), folded)
        ):
            return i
    return None


def fold(text: str) -> str:
    """Text reduced to its letters and digits, case-folded: what a copy keeps of a headline."""
    return _NOT_ALNUM.sub("", text.casefold())


def _states(line: str, titles: set[str]) -> bool:
    """True when a folded line is one of the folded titles, or one with a short tail."""
    if line in titles:
        return True
    return any(len(line) - len(t) <= COPY_TAIL_CHARS and line.startswith(t) for t in titles if t)


def lead_after(values: Sequence[float], anchor: int) -> int | None:
    """The first line of prose (a positive value) at most LEAD_WINDOW lines under anchor."""
    for i in range(anchor + 1, min(len(values), anchor + 1 + LEAD_WINDOW)):
        if values[i] > 0:
            return i
    return None


def anchored_region(
    values: Sequence[float], leads: Sequence[int | None], region: tuple[int, int]
) -> tuple[int, int]:
    """The region, or the densest run that starts at a lead or at most LEAD_WINDOW lines
    under it (a byline box can sit between the standfirst and the text), when the region is
    at none of the leads and that run is worth at least ANCHOR_SHARE of it (see the module
    docstring). leads are the first prose under each copy of the headline (a page can have
    several: a logo set as a heading, a breadcrumb); the best run of them counts.
    """
    start, end = region
    found = [lead for lead in leads if lead is not None]
    if not found or any(start <= x < end or x <= start <= x + LEAD_WINDOW for x in found):
        return region
    # Prefix sums, and for each line the best prefix sum at or after it: the best run that
    # starts at s is worth best_after[s + 1] - prefix[s]. A run from a lead above the region
    # stops where the region starts: it is the article instead of the region, not with it.
    prefix = [0.0]
    for value in values:
        prefix.append(prefix[-1] + value)
    worth = prefix[end] - prefix[start]
    limit = start if start > min(found) else len(values)
    best_after = prefix[: limit + 1]
    ends = list(range(limit + 1))
    for i in range(limit - 1, -1, -1):
        if best_after[i + 1] > best_after[i]:
            best_after[i], ends[i] = best_after[i + 1], ends[i + 1]
    best, chosen = 0.0, region
    for lead in found:
        for s in range(lead, min(limit, lead + LEAD_WINDOW + 1)):
            if values[s] > 0 and best_after[s + 1] - prefix[s] > best:
                best, chosen = best_after[s + 1] - prefix[s], (s, ends[s + 1])
    if best > 0 and best >= ANCHOR_SHARE * worth:
        return chosen
    return region
