"""Cleaning plain-text scrapes: one block per line, no markup to lean on.

Every non-blank line becomes a :class:`~publisher.clean.scoring.Unit`; lines starting with a
bullet glyph become list items (glyph removed). The title is the first real line (not a
fundraising counter, a date or a one-line kicker); the body is what
:func:`publisher.clean.keep.select` keeps; the date and byline are read from the few lines
around the title and just before the body, which is where scrapes put them.

This module is on the hot path of large batches, so the per-line work is a handful of string
operations; the regex families run only on lines that could be kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from publisher.clean import anchor, keep, scoring, stated
from publisher.clean.dates import opening_day, parse_date
from publisher.clean.patterns import BULLET, NON_WORD_LINE
from publisher.clean.scoring import Unit
from publisher.models import BlockKind

# Glyphs that can start a bulleted line; checked before the BULLET regex, which is slower.
_BULLET_STARTS = frozenset("•·●▪‣◦-*–")
_HAS_DIGIT = re.compile(r"\d")
# A numbered line: "1. Preheat the oven", "12) Serve".
_NUMBERED = re.compile(r"(\d{1,2})[.)]\s+(?=\S)")
_DIGITS = frozenset("0123456789")
# How many lines around the title and before the body are searched for a date or a byline.
META_WINDOW = 6
# A flattened data table (see is_table_row): cells per row, numeric cells per row, rows.
TABLE_MIN_CELLS = 3
TABLE_NUMBERS = 2
TABLE_MIN_ROWS = 4
# A table cell that is a figure: "5040", "12.5%", "1:23.456", "(3)", "-2".
_NUMBER_CELL = re.compile(r"^[-+(]?\d[\d.,:%/]*\)?$")
# Most re-searches of the densest region after pricing its boilerplate (see settled_region).
SETTLE_ROUNDS = 3
# Lines beyond the densest region given to select() (context for its repeat test).
WINDOW_MARGIN = 12
# Shortest sentence (in characters) that is_body_copy() remembers as the opening of a line.
COPY_PREFIX = 32
# A repeat this many rows after its last copy is priced as a short line, not as a repeat.
NEAR_REPEAT = 2
# Most lines (captions, credits) between a standfirst and the body.
STANDFIRST_GAP = 5
# The title is looked for among this many first lines.
TITLE_LINES = 20
# Lines that may state the headline again (without the site's name the title line carries).
HEADLINE_LINES = 200
# A sentence longer than this is a paragraph, not a headline.
MAX_TITLE_WORDS = 40
# A title candidate this short, followed by a longer line, is a section kicker ("World News").
KICKER_WORDS = 3


@dataclass(frozen=True)
class TextResult:
    """What the text cleaner found: the title, the kept units and the metadata lines."""

    title: str
    units: list[Unit]
    published: datetime | None
    author: str | None


def scan(text: str) -> list[tuple[str, BlockKind, int, bool]]:
    """Non-blank lines (bullets removed) as (text, kind, words, sentence shape).

    This is the only per-line pass over the whole document, so it is written for speed: the
    weight() and is_sentence() heuristics are inlined for the common (non-CJK) case and Units
    are made afterwards, only for the lines near the body.
    """
    out: list[tuple[str, BlockKind, int, bool]] = []
    append = out.append
    closers, marks, truncated = scoring.CLOSERS, scoring.FINAL_MARKS, scoring.TRUNCATED
    min_words, spaced = scoring.MIN_SENTENCE_WORDS, scoring.SPACED_CHARS_PER_WORD
    for line in filter(None, map(str.strip, text.split("\n"))):  # non-blank lines, in C
        kind: BlockKind = "paragraph"
        if line[0] in _BULLET_STARTS:
            match = BULLET.match(line)
            if match:
                line = line[match.end() :]
                kind = "item"
                if not line:
                    continue
        count = line.count(" ") + 1
        if len(line) > spaced * count:  # few spaces: maybe CJK, which weight() counts
            count = scoring.weight(line)
        append(
            (
                line,
                kind,
                count,
                count >= min_words
                and line.rstrip(closers)[-1:] in marks
                and not line.endswith(truncated),
            )
        )
    return out


def find_title(units: list[Unit], reference: datetime) -> int | None:
    """Index of the title line: the first line that is not a counter, a date or a kicker."""
    for i in range(len(units)):
        unit = units[i]
        text = unit.text
        if unit.kind == "item" or NON_WORD_LINE.match(text):
            continue
        if unit.words > MAX_TITLE_WORDS and unit.sentence:
            continue  # a paragraph; an unpunctuated long first line is still the headline
        if scoring.is_boilerplate(text):
            continue
        if unit.words <= 6 and _HAS_DIGIT.search(text) and parse_date(text, reference):
            continue  # a dateline such as "Thursday, August 5"
        nxt = units[i + 1] if i + 1 < len(units) else None
        if (
            unit.words <= KICKER_WORDS
            and nxt is not None
            and nxt.words > unit.words
            and not nxt.sentence
            and nxt.words <= scoring.MAX_HEADING_WORDS * 2
        ):
            continue  # a kicker above the real headline
        return i
    return None


def clean_title(text: str, lines: list[str]) -> str:
    """The title without the site's name and sections glued on ("Headline | News | Site"):
    see stated.headline; lines are the document's other lines."""
    return stated.headline(text, lines)


def extract(
    rows: list[tuple[str, BlockKind, int, bool]], reference: datetime, known: Sequence[bool] = ()
) -> TextResult:
    """Title, body units, date and author of a plain-text scrape, from its scan() rows.

    known, when not empty, flags the rows that are known cross-document boilerplate (one flag
    per row). The densest region is found on the raw per-line values first; Units (and the
    pattern checks of select()) are then made only for a window around it and for the top lines.
    """
    seen: dict[str, int] = {}  # line -> the row it was last seen at
    values = []
    short, long_words = -scoring.SHORT_PENALTY, scoring.LONG_WORDS
    long_value, is_point = scoring.long_value, scoring.is_point
    repeat = -scoring.REPEAT_PENALTY
    maybe_rows = []  # lines that could be table rows (is_table_row's cheap conditions)
    for i, (line, kind, count, sentence) in enumerate(rows):
        # unit_value(), inlined for the common case (no markup, no links).
        if known and known[i]:
            values.append(repeat)
        elif line in seen:
            # An embedded post flattens to its credit and button lines, each twice in a row:
            # priced as repeats, such a block would split the article it sits in.
            values.append(short if i - seen[line] <= NEAR_REPEAT else repeat)
        elif sentence:
            values.append(count)
        else:
            if count >= long_words:
                values.append(long_value(line, count))
            else:  # a key point of a list is neutral, other short lines cost (menus)
                values.append(0.0 if is_point(line, kind, count) else short)
            if count >= TABLE_MIN_CELLS and line[-1] in _DIGITS:
                maybe_rows.append(i)
        seen[line] = i
    tables = _tables(rows, values, maybe_rows)
    cache: list[Unit | None] = [None] * len(rows)

    def unit(i: int) -> Unit:
        made = cache[i]
        if made is None:
            line, kind, count, sentence = rows[i]
            made = cache[i] = Unit(line, kind, count, sentence, 0.0, bool(known) and known[i])
        return made

    head = [unit(i) for i in range(min(len(rows), TITLE_LINES))]
    title_at = find_title(head, reference)
    lines = [row[0] for row in rows[:HEADLINE_LINES]]
    if title_at is not None and stated.names_the_site(rows[title_at][0], lines):
        # The first line is the site's name: the headline is the line the page repeats.
        repeated = stated.repeated_headline(lines, lambda i: rows[i][2])
        title_at = repeated if repeated is not None else title_at
    raw_title = rows[title_at][0] if title_at is not None else ""
    title = clean_title(raw_title, lines[1:]) if raw_title else ""
    signed = anchor.signatures(lambda i: rows[i][0], len(rows), reference)
    anchor.price_signatures(values, signed)
    anchor.price_teasers(values, anchor.teaser_excerpts(lambda i: rows[i][0], len(rows)))
    anchor.price_signatures(values, anchor.slide_counters(lambda i: rows[i][0], len(rows)))
    unsettled = scoring.densest_region(values)
    start, end = scoring.settled_region(lambda i: rows[i][0], values, SETTLE_ROUNDS)
    if unsettled[0] < start < unsettled[1]:  # the head a promo parted (see keep.keep_head)
        start = keep.keep_head(values, unsettled[0], start, end)
    if _price_body_copies(rows, values, start, end):
        start, end = scoring.settled_region(lambda i: rows[i][0], values, SETTLE_ROUNDS)
    if signed:
        end = anchor.thread_start(lambda i: rows[i][0], signed, values, (start, end))
    lead = None
    if title_at is not None:
        copy = anchor.title_copy([row[0] for row in rows], title_at, (title, raw_title))
        if copy is not None:
            lead = anchor.lead_after(values, copy)
            start, end = anchor.anchored_region(values, [lead], (start, end))
    # The window must hold what select() may add after the region: the list that a last line
    # ending in ':' introduces, or the line right after it; a schedule under its heading.
    lo = max(0, start - WINDOW_MARGIN)
    lead_in = any(
        rows[i][0].endswith(":") for i in range(max(0, end - 1), min(len(rows), end + 1))
    ) or any(opening_day(rows[i][0]) for i in range(end, min(len(rows), end + 2)))
    more = scoring.MAX_LIST_ITEMS if lead_in else 0
    hi = min(len(rows), end + WINDOW_MARGIN + more)
    window = [unit(i) for i in range(lo, hi)]
    body = keep.select(
        window,
        title,
        raw_title=raw_title,
        values=values[lo:hi],
        region=(start - lo, end - lo),
        leads=[lead - lo] if lead is not None and lo <= lead < hi else [],
    )
    for lead, table_start, table_end in tables:
        attach_table(body, unit(lead), [unit(i) for i in range(table_start, table_end)])
    first = lo + next((i for i, u in enumerate(window) if body and u is body[0]), hi - lo)
    if title_at is not None and body:
        standfirst = _standfirst(unit, title_at, first, {title, raw_title})
        if standfirst is not None:
            body.insert(0, standfirst)
    number_lists(body)
    last = lo + max((i for i, u in enumerate(window) if body and u is body[-1]), default=-lo)
    published, author = _metadata(rows, unit, title_at, first, last, reference)
    return TextResult(title, body, published, author)


def number_lists(body: list[Unit]) -> None:
    """Make runs of at least two lines numbered in sequence ("1. Preheat the oven", "2) Mix")
    the items of a numbered list. Their text keeps the number, as the page wrote it (the
    plain text is what the article states; a rendered list numbers itself)."""
    numbers = [_number(unit) for unit in body]
    i = 0
    while i < len(body):
        j = i
        while j + 1 < len(body) and (number := numbers[j]) is not None:
            if numbers[j + 1] != number + 1:
                break
            j += 1
        if j > i:
            for k in range(i, j + 1):
                body[k].kind, body[k].ordered = "item", True
        i = j + 1


def _number(unit: Unit) -> int | None:
    match = _NUMBERED.match(unit.text) if unit.text[:1].isdigit() else None
    return int(match.group(1)) if match else None


def is_body_copy(line: str, openings: dict[str, str]) -> bool:
    """A line that starts with a whole earlier sentence and goes on: the article's paragraphs
    joined into one line again (a structured-data or meta copy of the body at the page's end).

    openings maps the first COPY_PREFIX characters of earlier sentences to the sentence.
    """
    if len(line) <= COPY_PREFIX:
        return False
    earlier = openings.get(line[:COPY_PREFIX])
    return earlier is not None and len(line) > len(earlier) and line.startswith(earlier)


def _price_body_copies(
    rows: list[tuple[str, BlockKind, int, bool]], values: list[float], start: int, end: int
) -> bool:
    """Price the body copies (is_body_copy) among the lines the region [start, end) counts as
    content as repeats; True when there was one. Being long, a copy would otherwise pull the
    region over the footer between it and the article, or win it alone. Only the region's
    lines are checked (a copy outside it has not moved it), against every earlier sentence."""
    openings: dict[str, str] = {}
    found = False
    for i in range(end):
        line, _, _, sentence = rows[i]
        if i >= start and values[i] > 0 and is_body_copy(line, openings):
            values[i] = -scoring.REPEAT_PENALTY
            found = True
        elif sentence and len(line) >= COPY_PREFIX:
            openings.setdefault(line[:COPY_PREFIX], line)
    return found


def is_table_row(text: str, words: int) -> bool:
    """A row of a data table flattened to one line ("1 Kyle Busch 5040 5 1 17 27"): a few
    cells, at least TABLE_NUMBERS of them numbers, and numbers at least a third of them."""
    if words < TABLE_MIN_CELLS or not text[-1:].isdigit():  # rows end with a figure, mostly
        return False
    cells = text.split()
    numbers = sum(1 for cell in cells if _NUMBER_CELL.match(cell))
    return numbers >= TABLE_NUMBERS and 3 * numbers >= len(cells)


def _tables(
    rows: list[tuple[str, BlockKind, int, bool]], values: list[float], candidates: list[int]
) -> list[tuple[int, int, int]]:
    """Data tables right under prose, as (lead-in line, first line, end); their rows repriced.

    A table flattened to text is a run of short lines, which shape alone prices as menus; but
    a run of at least TABLE_MIN_ROWS rows (is_table_row) placed directly under a sentence --
    allowing one header line between -- is the article's data (standings, results, prices).
    Its rows are valued like long lines, so the region can hold the table, and the header
    with the rows are returned for attach_table(). A table after a menu or a heading is not
    taken: sidebars carry tables too. candidates are the indexes of the rows that could be
    table rows (short, not sentences, not repeats, ending in a digit), in order.
    """
    runs: list[list[int]] = []
    for i in candidates:
        if is_table_row(rows[i][0], rows[i][2]):
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
    found = []
    for run in runs:
        start = run[0]
        if start > 1 and not rows[start - 1][3] and rows[start - 2][3]:
            start -= 1  # a header line ("Pos. Driver Points Wins") under the lead-in
        if len(run) >= TABLE_MIN_ROWS and start > 0 and rows[start - 1][3]:
            for k in run:
                values[k] = rows[k][2] / 2
            found.append((start - 1, start, run[-1] + 1))
    return found


def attach_table(body: list[Unit], lead: Unit, table: list[Unit]) -> None:
    """Put a table's lines, in order, right after its lead-in sentence, when the body kept
    that sentence (select() keeps prose and what sits between prose; a table ending the
    article is neither). Rows the body already holds move there, so none is doubled.
    """
    rows = {id(u) for u in table}
    rest = [u for u in body if id(u) not in rows]
    at = next((k for k, u in enumerate(rest) if u is lead), None)
    if at is None:
        return
    body[:] = [*rest[: at + 1], *table, *rest[at + 1 :]]


def _standfirst(
    unit: Callable[[int], Unit], title_at: int, first: int, titles: set[str]
) -> Unit | None:
    """The summary line right under the headline, when the body starts a few lines below it.

    Position is the signal: the line after the headline (its last copy before the body), long
    enough to be prose, with only short or inline lines (a caption, a credit) between it and
    the body -- nothing that ends an article.
    """
    anchor = title_at
    for i in range(first - 1, title_at, -1):
        if unit(i).text in titles:
            anchor = i
            break
    candidate = anchor + 1
    if not 0 < first - candidate <= STANDFIRST_GAP:
        return None
    line = unit(candidate)
    if line.words < scoring.LONG_WORDS or line.kind != "paragraph" or line.text in titles:
        return None
    if scoring.is_boilerplate(line.text):
        return None
    between = (unit(i) for i in range(candidate + 1, first))
    if any(scoring.is_prose(u) or scoring.ends_article(u) for u in between):
        return None
    return line


def _metadata(
    rows: list[tuple[str, BlockKind, int, bool]],
    unit: Callable[[int], Unit],
    title_at: int | None,
    first: int,
    last: int,
    reference: datetime,
) -> tuple[datetime | None, str | None]:
    """Date (see stated.article_date) and author (from short lines near the title and just
    before the body, at first; the body ends at last)."""
    around_title = range(0, min(first, (title_at or 0) + META_WINDOW))
    before_body = range(max(around_title.stop, first - META_WINDOW), first)
    near = (*around_title, *before_body)
    published = stated.article_date(lambda i: rows[i][0], len(rows), first, last, reference, near)
    author = None
    for i in near:
        line = unit(i)
        if line.words <= 16:
            author = scoring.byline_author(line.text)
            if author is not None:
                break
    return published, author
