"""What a page's own text states of its date and its title, where no markup says it.

A scrape keeps the dateline wherever the page put it: above the headline, in a byline box
just over the article ("November 19, 2019 | 4:20am"), or under it ("Posted: 18 Nov 2019").
Pages also carry dates that are not the article's: the masthead's "Wednesday, November 20",
teasers' dates, an embedded post's signature ("— Jane (@jane) November 18, 2019"), event
listings. :func:`article_date` prefers a dateline that names its year and sits nearest the
start of the article, then one just after its end, and only then a date without a year near
the title (the masthead); a date more than a day after the reference time is never taken.

The title of a scrape is its first real line, which is most often the page's <title>: the
headline with the site's name and sections glued on ("Headline | News | Al Jazeera").
:func:`headline` takes them off; :func:`names_the_site` tells a title line that is the site's
name alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from publisher.clean.dates import FOREIGN_MONTH_NAMES, FoundDate, find_date

# A dateline is a short line: longer ones are sentences that mention a date.
MAX_DATELINE_WORDS = 16
# Words a dateline may hold besides dates, times and their labels (a byline, a source).
DATELINE_OTHER_WORDS = 5
# How many lines after the article's start, and after its end, may hold its dateline.
AFTER_START = 3
AFTER_END = 20
# A date this far after the reference time is an event's or a typo, not a publication date.
FUTURE_SLACK = timedelta(days=1)
# A part of a title this short (in words), and shorter than the rest, is a site or a section.
MAX_SUFFIX_WORDS = 4
# A title line this short that recurs inside other lines ("Get Acme News delivered ...") is
# the site's name, not a headline.
MAX_NAME_WORDS = 4
NAME_MENTIONS = 2
# Longest line taken for a headline repeated in the page (see repeated_headline).
MAX_HEADLINE_WORDS = 28

# A dated line opening with one of these words is a dateline, whatever else it holds (a byline).
_LABEL = re.compile(
    r"(?:by|posted|published|updated|last updated|first published|written|date|dated|on|"
    r"von|publié|publicado|pubblicato|geplaatst|opublikowano)\b",
    re.IGNORECASE,
)
# What glues a site's name or a section to a headline: a spaced bar, dash, colon or chevron.
_SEPARATOR = re.compile(r"\s+(?:[|·»–—]|-{1,2}|::?)\s+")
_HAS_DIGIT = re.compile(r"\d")
# Words of a line that say something else than a date, a time or their labels ("Updated").
_WORD = re.compile(r"[^\W\d_][\w.'’-]*")
_DATE_VOCABULARY = (
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june "
    "july august september october november december mon tue tues wed thu thur thurs fri sat "
    "sun monday tuesday wednesday thursday friday saturday sunday am pm a.m p.m utc gmt bst "
    "cet cest eet eest msk ist jst kst aest aedt est edt cst cdt mst mdt pst pdt et pt "
    "posted published updated last modified first on at by of the st nd rd th z t"
)
_DATE_WORDS = frozenset(_DATE_VOCABULARY.split()) | FOREIGN_MONTH_NAMES


def dateline(text: str, reference: datetime) -> FoundDate | None:
    """The date of a line shaped like a dateline, not after reference (plus FUTURE_SLACK).

    A dateline is short, and is mostly dates and times (at most DATELINE_OTHER_WORDS words
    that are not a month, a weekday, a zone or a label such as "Updated"), or opens with its
    date or with a label ("Posted by ... on ..."). A line opening with a dash is a quotation's
    or an embedded post's signature, whose date is not the article's.
    """
    if text[:1] in "—–-" or not _HAS_DIGIT.search(text):
        return None
    if text.count(" ") >= MAX_DATELINE_WORDS:
        return None
    found = find_date(text, reference)
    if found is None or found.date > reference + FUTURE_SLACK:
        return None
    other = sum(1 for w in _WORD.findall(text) if w.lower().rstrip(".") not in _DATE_WORDS)
    if other > DATELINE_OTHER_WORDS and found.start and not _LABEL.match(text.lstrip("|·•- ")):
        return None
    return found


def article_date(
    text_at: Callable[[int], str],
    count: int,
    first: int,
    last: int,
    reference: datetime,
    near: Iterable[int] = (),
) -> datetime | None:
    """The article's date from the dated lines of a document of count lines (text_at(i)),
    whose article runs from line first to line last.

    In order: the dateline with a year nearest before the article (or among its first
    AFTER_START lines), the first one with a year within AFTER_END lines after it, then the
    first dated line among near (the lines around the title and just before the article: a
    masthead's date without a year).
    """
    before = range(min(first, count) - 1, -1, -1)
    start = range(max(first, 0), min(count, first + AFTER_START))
    after = range(last + 1, min(count, last + 1 + AFTER_END))
    for lines in ((*before, *start), after):
        for i in lines:
            found = dateline(text_at(i), reference)
            if found is not None and found.has_year:
                return found.date
    for i in near:
        found = dateline(text_at(i), reference)
        if found is not None:
            return found.date
    return None


def headline(title: str, lines: Sequence[str]) -> str:
    """The title without the site's name and sections glued after it.

    When one of lines (the document's other lines) is the title's start up to a separator,
    that line is the headline as the page states it. Otherwise trailing parts are taken off
    while each is short (MAX_SUFFIX_WORDS) and shorter than what remains: "Headline | News |
    Al Jazeera" is "Headline", while "Milan Design Week 2018 | A light installation for FLOS"
    keeps both parts.
    """
    cuts = [m.start() for m in _SEPARATOR.finditer(title)]
    if not cuts:
        return title
    own = set(lines)
    for cut in reversed(cuts):
        if title[:cut] in own:
            return title[:cut]
    ends = [*cuts, len(title)]
    seps = list(_SEPARATOR.finditer(title))
    while len(ends) > 1:
        head = title[: ends[-2]]
        tail = title[seps[len(ends) - 2].end() : ends[-1]]
        if len(tail.split()) > MAX_SUFFIX_WORDS or len(tail) >= len(head):
            break
        ends.pop()
    return title[: ends[-1]].strip()


def names_the_site(title: str, lines: Iterable[str]) -> bool:
    """True when a short title line recurs inside NAME_MENTIONS other lines: a brand name
    ("Get Acme Magazine delivered to your inbox", "Illustration for Acme Magazine")."""
    if not title or title.count(" ") >= MAX_NAME_WORDS:
        return False
    mentions = 0
    for line in lines:
        if line != title and title in line:
            mentions += 1
            if mentions >= NAME_MENTIONS:
                return True
    return False


def repeated_headline(lines: Sequence[str], words_at: Callable[[int], int]) -> int | None:
    """Index of the first line of lines that recurs among them and is shaped like a headline
    (more than MAX_NAME_WORDS words, no final full stop): the page's <h1>, which scrapes
    often hold twice (over the article and in its share box)."""
    seen: dict[str, int] = {}
    for i, line in enumerate(lines):
        if MAX_NAME_WORDS < words_at(i) <= MAX_HEADLINE_WORDS and not line.endswith("."):
            if line in seen:
                return seen[line]
            seen[line] = i
    return None
