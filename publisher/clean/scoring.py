"""The heuristics shared by the text and HTML cleaners, and the one place that combines them.

Both cleaners turn a document into a sequence of :class:`Unit` (a line or an HTML block) in
reading order. Each heuristic below looks at one signal and is tested on its own:

- **text length** (:func:`weight`): how much language a unit carries, in words (CJK: characters
  / 2, since those scripts do not separate words with spaces);
- **sentence shape** (:func:`is_sentence`): enough words and a sentence-final mark;
- **link density** (:func:`link_density`): share of a block's text inside links (HTML only);
- **boilerplate patterns** (:func:`is_boilerplate`): the named families of patterns.py, plus the
  cross-document keys the build passes in;
- **repetition** (:func:`repeated`): a unit whose text occurs more than once in the document;
- **density / position** (:func:`densest_region`): the stretch of units where content outweighs
  chrome the most (a maximum-sum run, as in Finn's Body Text Extraction); units far from it are
  navigation, teasers and footers;
- **closing company profile** (:func:`cut_profile`): a press release's "Acme is a leading
  provider of ..." paragraph among the region's last prose ends the article.

:func:`select` combines them: price every unit by shape (:func:`unit_value`), find the densest
region, check the patterns inside it and find it again (:func:`refine`: a share bar or a run of
comment signatures is a barrier), then keep the prose in it and the headings, lists and quotes
that sit between prose. The HTML cleaner then applies markup semantics (the article's container
element, see container.within_container); the text cleaner adds a standfirst by position.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from publisher.clean.patterns import (
    ANY_CONTAINS,
    ANY_END,
    ANY_LONG_CONTAINS,
    BOILERPLATE,
    BYLINE_AUTHOR,
    COMPANY_PROFILE,
    Pattern,
)
from publisher.models import BlockKind

# Text with fewer characters per space-separated word than this is in a spaced script.
SPACED_CHARS_PER_WORD = 12
# A unit needs this many words to count as a sentence (shorter ones are labels and buttons).
MIN_SENTENCE_WORDS = 5
# A unit this long is prose even without a final mark (standfirsts, truncated paragraphs).
LONG_WORDS = 15
# A bulleted line without links and of at least this many words is a key point, not chrome.
MIN_POINT_WORDS = 3
# Fewest key points in a row that select() keeps as a list between prose.
MIN_POINTS = 3
POINT_GLYPHS = frozenset("+*•·●▪‣◦–-")
# Most a long unit without sentences in it is worth: a standfirst is a few dozen words, while
# a longer unpunctuated run is a flattened list (every film showing, every team). A unit with
# a sentence break in every SENTENCE_SPAN words is prose, whatever its end (a citation).
MAX_UNPUNCTUATED_VALUE = 20.0
SENTENCE_SPAN = 40
# Headings longer than this are not headings but unpunctuated prose or teaser text.
MAX_HEADING_WORDS = 14
# An all-capitals line longer than this is a promo or teaser ("CLICK HERE TO GET THE APP").
MAX_SHOUTED_WORDS = 5
# Value of a short, non-sentence unit: each one costs about as much as a few words of prose, so
# that a menu of fifty links outweighs a two-line teaser but not a real paragraph.
SHORT_PENALTY = 8.0
# Value of a line that ends articles (comment headers, share bars, related links): only a lot
# of prose on both sides bridges it (an inline "Related: ..." link inside a long article).
BARRIER_PENALTY = 60.0
# Longest unit the boilerplate patterns are tried on, and the longest for the families that
# look for words anywhere in the line (sign-up boxes, cookie notices), which cost the most.
MAX_PATTERN_CHARS = 400
MAX_CONTAINS_CHARS = 160
# How many line keys a process remembers (a few megabytes).
KEY_CACHE_SIZE = 1 << 14
# A line holding the title plus at most this many characters (a breadcrumb, a kicker, a date)
# is a copy of the title; titles shorter than MIN_GLUED_TITLE must match the whole line.
TITLE_GLUE_CHARS = 60
MIN_GLUED_TITLE = 20
# Prose after a bridged barrier below this share of the prose before it is not the article's.
TAIL_SHARE = 0.2
# Value of a line seen before in the same document (and of a known cross-document line).
REPEAT_PENALTY = 25.0
# Value of a unit that matches a boilerplate pattern or is known cross-document boilerplate.
BOILERPLATE_PENALTY = 25.0
# How many of the last prose units of the region cut_profile() looks at, and how long a company
# profile paragraph is at least (in characters; profiles run to several sentences).
PROFILE_LINES = 3
MIN_PROFILE_CHARS = 150
# Most short lines between two prose units that select() keeps as a group (see _in_short_gap):
# a longer run is a menu or a teaser list, of which only a heading right above prose stays.
SHORT_GAP = 3
# Longest list a colon-ended line can bring along after the densest region.
MAX_LIST_ITEMS = 60
# Above this link density a block is navigation or a link list, whatever its length.
MAX_LINK_DENSITY = 0.5
# A linked headline with a summary sentence after it has about as much plain text as link text;
# above this link density the plain words only glue links together (a box of related names).
MAX_ANNOTATED_LINK_DENSITY = 0.75

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_DIGIT_RUN = re.compile(r"\d(?:[\d,.]*\d)?")
# Control and replacement characters: never language (binary input, broken decoding). Example:
# "\x07" or "\ufffd". Article blocks have them replaced by spaces, and so do keys.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
# Closing quotes and brackets after a sentence's final mark, and the marks themselves.
CLOSERS = "\"'”’»)]*"
FINAL_MARKS = frozenset(".!?…。！？:")
TRUNCATED = ("...", "…", "[...]", "[…]", "(...)", "(…)")


@dataclass(slots=True)
class Unit:
    """One candidate block of a document, with the signals measured on it."""

    text: str
    kind: BlockKind = "paragraph"
    words: int = 0
    sentence: bool = False
    links: float = 0.0  # link density, 0..1
    boiler: bool = False  # matched a pattern or a known cross-document key
    hint: int = 0  # markup semantics (HTML): +1 inside an article body, -1 inside chrome
    # Structure beside the text (HTML): inline links as (their text, raw href), in order;
    # whether an item is in a numbered list; a table row's cells, and whether they are headers.
    anchors: tuple[tuple[str, str], ...] = ()
    ordered: bool = False
    cells: tuple[str, ...] = ()
    header: bool = False


def weight(text: str) -> int:
    """Length of a text in words; CJK characters count as half a word each."""
    words = text.count(" ") + 1 if text else 0
    # Spaced scripts average a few characters per word; only unspaced text can be CJK.
    if len(text) <= SPACED_CHARS_PER_WORD * words or text.isascii() or not _CJK.search(text):
        return words
    return max(words, len(_CJK.findall(text)) // 2)


def is_sentence(text: str, words: int) -> bool:
    """True when the text is shaped like prose: enough words, ending in a sentence mark.

    An ellipsis at the end is not a sentence end but a cut: teasers of other articles.
    """
    if words < MIN_SENTENCE_WORDS:
        return False
    return text.rstrip(CLOSERS)[-1:] in FINAL_MARKS and not text.endswith(TRUNCATED)


def link_density(link_chars: int, chars: int) -> float:
    """Share of a block's characters that are link text (0 when the block is empty)."""
    return min(1.0, link_chars / chars) if chars else 0.0


def normalise(text: str) -> str:
    """Case- and space-insensitive form of a line, for comparisons."""
    return " ".join(text.casefold().split())


def key(text: str) -> str:
    """Short stable hash of a line's normalised form with digits folded to 0 (so counters
    and dates that change from page to page still match): the cross-document key."""
    if len(text) > MAX_PATTERN_CHARS:  # long prose is unique: caching it would evict lines
        return _key(text)
    return _line_key(text)


def _key(text: str) -> str:
    folded = text.casefold()
    # normalise() without its split into words when it would change nothing: casefolding
    # keeps a text printable, and a printable text holds no white space but the plain space.
    printable = folded.isprintable()
    if not printable or "  " in folded or folded[:1] == " " or folded[-1:] == " ":
        folded = " ".join(folded.split())
        printable = folded.isprintable()
    if not printable or "\ufffd" in folded:  # two C scans skip the regex
        # A block loses its control characters (they become spaces); its key must not change.
        folded = normalise(CONTROL.sub(" ", folded))
    folded = _DIGIT_RUN.sub("0", folded)
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=8).hexdigest()


# Chrome lines repeat across the pages of a site, and the build keys the article's blocks
# again after cleaning: most keys asked for in a worker process were computed before.
_line_key = functools.lru_cache(maxsize=KEY_CACHE_SIZE)(_key)


@functools.lru_cache(maxsize=8192)
def boilerplate_family(text: str) -> Pattern | None:
    """The family of patterns.py the whole unit matches, or None.

    The families' cheap conditions (start, end, contained words) filter first; a regex runs
    only for the families whose condition holds. Cached: the same line is asked about by
    several steps, and chrome lines repeat across the pages of a site.
    """
    if len(text) > MAX_PATTERN_CHARS:  # patterns describe short lines, not paragraphs
        return None
    low = text.lower()
    starts, by_start = _BY_FIRST_CHAR.get(low[:1], ((), ()))
    found = [p for p in by_start if low.startswith(p.starts)] if low.startswith(starts) else []
    if low.endswith(ANY_END):
        found += [p for p in _WITH_ENDS if low.endswith(p.ends)]
    if len(low) <= MAX_CONTAINS_CHARS:
        if ANY_CONTAINS.search(low):
            found += [p for p in _WITH_CONTAINS if p.could_match(low)]
    elif ANY_LONG_CONTAINS.search(low):
        found += [p for p in _LONG_LINES if p.could_match(low)]
    for family in sorted(set(found), key=lambda p: _ORDER[p.name]) if len(found) > 1 else found:
        if family.regex.match(text):
            return family
    return None


# Indexes of the families by their cheap conditions, so a line is tested only against the
# families it could belong to (by first character, by ending, by contained words).
_ORDER = {p.name: i for i, p in enumerate(BOILERPLATE)}
_BY_FIRST_CHAR: dict[str, tuple[tuple[str, ...], tuple[Pattern, ...]]] = {
    char: (
        tuple(s for p in BOILERPLATE for s in p.starts if s.startswith(char)),
        tuple(p for p in BOILERPLATE if any(s.startswith(char) for s in p.starts)),
    )
    for char in {s[0] for p in BOILERPLATE for s in p.starts}
}
_WITH_ENDS = tuple(p for p in BOILERPLATE if p.ends)
_WITH_CONTAINS = tuple(p for p in BOILERPLATE if p.contains)
_LONG_LINES = tuple(p for p in BOILERPLATE if p.contains and p.long_lines)


def is_boilerplate(text: str) -> bool:
    """True when the whole unit matches one of the boilerplate families of patterns.py."""
    return boilerplate_family(text) is not None


def repeated(units: Sequence[Unit]) -> list[bool]:
    """Mark every unit after the first with the same text (repeats add nothing)."""
    seen: set[str] = set()
    out = []
    for unit in units:
        out.append(unit.text in seen)
        seen.add(unit.text)
    return out


def text_value(words: int, sentence: bool) -> float:
    """Value of a unit by its length and shape alone (the text-density signal)."""
    if sentence:
        return float(words)
    if words >= LONG_WORDS:
        return words / 2
    return -SHORT_PENALTY


def long_value(text: str, words: int) -> float:
    """text_value() of a long unit that does not end like a sentence: half its words, capped
    at MAX_UNPUNCTUATED_VALUE unless sentence breaks inside show it is prose."""
    if words <= 2 * MAX_UNPUNCTUATED_VALUE:
        return words / 2
    breaks = text.count(". ") + text.count("? ") + text.count("! ")
    return words / 2 if breaks * SENTENCE_SPAN >= words else MAX_UNPUNCTUATED_VALUE


def unit_value(unit: Unit, repeat: bool = False) -> float:
    """How much a unit speaks for being inside the article (+) or outside it (-).

    Length and shape give the base value; boilerplate and chrome markup make it strongly
    negative; links make it count as a short line; a repeat costs more than a short line (lists
    of teasers repeat their datelines and section names); an article-body container makes it
    count more.
    """
    if unit.boiler or unit.hint < 0:
        return -BOILERPLATE_PENALTY
    if repeat:
        return -REPEAT_PENALTY
    if unit.links > MAX_LINK_DENSITY:
        return -SHORT_PENALTY
    value = text_value(unit.words, unit.sentence)
    if value > MAX_UNPUNCTUATED_VALUE and not unit.sentence:
        value = long_value(unit.text, unit.words)
    if value < 0:
        if unit.hint > 0 or (unit.links == 0.0 and is_point(unit.text, unit.kind, unit.words)):
            return 0.0  # short lines inside an article body, and key points, are neutral
        return value
    return value * (1.0 - unit.links) * (1.5 if unit.hint > 0 else 1.0)


def is_point(text: str, kind: str, words: int) -> bool:
    """A bulleted line of a few words that links nowhere ("+ Added Slime Block", "• Mix the
    flour"): a list's point, which reads as content, unlike a menu (whose lines are links)."""
    return words >= MIN_POINT_WORDS and (kind == "item" or text[:1] in POINT_GLYPHS)


def densest_region(values: Sequence[float]) -> tuple[int, int]:
    """The run of units [start, end) with the largest sum of values (Kadane, linear time).

    Returns (0, 0) when no unit has a positive value.
    """
    best, best_start, best_end = 0.0, 0, 0
    total, start = 0.0, 0
    for i, value in enumerate(values):
        if total <= 0:
            total, start = 0.0, i
        total += value
        if total > best:
            best, best_start, best_end = total, start, i + 1
    return best_start, best_end


def refine(units: Sequence[Unit], values: list[float], start: int, end: int) -> tuple[int, int]:
    """Pattern-check the units of [start, end) and find the densest run again inside it.

    The first pass prices units by shape alone (pattern checks on every line would cost more
    than everything else); inside the region, a share bar or a run of "jane says:" lines now
    weighs as a barrier (for the families that end articles), which splits an article from the
    comments or teasers that follow it.
    """
    for i in range(start, end):
        priced = pattern_price(units[i].text, values[i])
        if priced is not None:
            units[i].boiler = True
            values[i] = priced
    inner_start, inner_end = densest_region(values[start:end])
    start, end = start + inner_start, cut_tail(values, start + inner_start, start + inner_end)
    return start, cut_profile(units, values, start, end)


def pattern_price(text: str, value: float) -> float | None:
    """The value of a line that matches a boilerplate family (None when it matches none).

    Inline boilerplate (captions, credits) interrupts an article: it costs what any short line
    costs; only the families that end articles are barriers.
    """
    family = boilerplate_family(text)
    if family is None:
        return None
    return -BARRIER_PENALTY if family.ends_article else min(value, -SHORT_PENALTY)


def settled_region(
    text_at: Callable[[int], str], values: list[float], rounds: int
) -> tuple[int, int]:
    """The densest region once its own boilerplate is priced (pattern-checked re-search).

    The first pass prices lines by shape alone, so a dense footer of long legal sentences
    (disclaimers, trademark notices) can win it; refine() would then find nothing inside. Here
    the region's lines are pattern-checked (pattern_price, updating values in place) and the
    whole document searched again, until no line the region counts as content is
    boilerplate, at most `rounds` times. Only the positive lines of a region are checked (a
    short line is already priced against it; refine() prices it as a barrier); text_at
    gives the text of line i (the caller's rows need not be copied into a list).
    """
    checked = [False] * len(values)
    start, end = densest_region(values)
    for _ in range(rounds):
        found = False  # a line the region counted as content is boilerplate
        for i in range(start, end):
            if values[i] > 0 and not checked[i]:
                checked[i] = True
                priced = pattern_price(text_at(i), values[i])
                if priced is not None:
                    values[i] = priced
                    found = True
        if not found:  # the same region again
            break
        start, end = densest_region(values)
    return start, end


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


def ends_article(unit: Unit) -> bool:
    """True when the unit belongs to a boilerplate family that marks the end of an article."""
    family = boilerplate_family(unit.text)
    return family is not None and family.ends_article


def byline_author(text: str) -> str | None:
    """The author named by a byline line ("By Jane Doe"), or None."""
    match = BYLINE_AUTHOR.match(text)
    return match.group("name") if match else None


def is_prose(unit: Unit) -> bool:
    """A unit that is article text by its own shape (a sentence, or a long run of words)."""
    return (unit.sentence or unit.words >= LONG_WORDS) and unit.links <= MAX_LINK_DENSITY


def select(
    units: Sequence[Unit],
    title: str = "",
    raw_title: str = "",
    values: list[float] | None = None,
    region: tuple[int, int] | None = None,
) -> list[Unit]:
    """Keep the article's units: prose of the densest region and what sits between prose.

    The region is refined with the pattern checks (see refine()), then cleared of repeats,
    boilerplate, chrome and the title (also as raw_title, before its site suffix was cut),
    and trimmed to start and end with prose (a short line at the top is a
    kicker or a dateline; at the bottom, a footer) -- except that a line ending in a colon
    brings the short lines it introduces. Between prose, short units are kept when the markup
    places them in the article body, or when they head prose (headings) or form a list that
    reads as sentences or is introduced by a colon.

    values, when given, are the units' unit_value() already computed by the caller (the text
    cleaner prices every line before it makes Units), and region their densest_region();
    select() refines a copy.
    """
    dup = repeated(units)
    if values is None:
        values = [unit_value(unit, repeat) for unit, repeat in zip(units, dup, strict=True)]
    else:
        values = list(values)
    start, end = refine(units, values, *(region or densest_region(values)))
    # A short line that recurs (a button of each embedded post) heads no section.
    twice = {unit.text for unit, is_dup in zip(units, dup, strict=True) if is_dup}
    titles = {normalise(title), normalise(raw_title)} - {""}
    sizes = {size for t in titles for size in range(len(t) - 4, len(t) + TITLE_GLUE_CHARS + 1)}
    body = [
        unit
        for unit, is_dup in zip(units[start:end], dup[start:end], strict=True)
        if not (is_dup or is_chrome(unit) or _is_title(unit.text, titles, sizes))
    ]
    body += _introduced_run(units, end, body)
    prose_at = [i for i, unit in enumerate(body) if is_prose(unit)]
    if not prose_at:
        return []
    last = prose_at[-1]
    while last + 1 < len(body) and _introduced_list(body, last + 1):
        last += 1
    kept: list[Unit] = []
    for i in range(prose_at[0], last + 1):
        unit = body[i]
        if is_prose(unit) or unit.hint > 0:
            keep = True
        elif _in_points(body, i):
            keep = True  # a key point of a list between prose
        elif unit.kind == "item":
            keep = unit.sentence or _introduced_list(body, i)
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


def is_annotated_link(unit: Unit) -> bool:
    """A sentence whose text outside links is a sentence's length on its own: a linked
    headline with its summary ("<a>Valve announces a new game</a>. It is for VR only, the
    developer said."), which link density alone would take for a link list. Past
    MAX_ANNOTATED_LINK_DENSITY the plain words are glue between links (an inline hover card)."""
    return (
        unit.sentence
        and unit.links <= MAX_ANNOTATED_LINK_DENSITY
        and unit.words * (1.0 - unit.links) >= MIN_SENTENCE_WORDS
    )


def is_chrome(unit: Unit) -> bool:
    """Units never kept: boilerplate, chrome by markup, link lists."""
    return (
        unit.boiler or unit.hint < 0 or unit.links > MAX_LINK_DENSITY or is_boilerplate(unit.text)
    )


def _point(unit: Unit) -> bool:
    return unit.links == 0.0 and is_point(unit.text, unit.kind, unit.words)


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


def _introduced_run(units: Sequence[Unit], end: int, region: Sequence[Unit]) -> list[Unit]:
    """Short units right after the region that a last line ending in ':' introduces."""
    if not region or not region[-1].text.endswith(":"):
        return []
    run = []
    for unit in units[end : end + MAX_LIST_ITEMS]:
        if is_prose(unit) or is_chrome(unit) or unit.words > MAX_HEADING_WORDS:
            break
        unit.kind = "item"
        run.append(unit)
    return run


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


def line_keys(texts: Iterable[str]) -> list[str | None]:
    """The cross-document key of each text, None for empty and long ones (long prose is
    unique, and patterns describe short lines: the same MAX_PATTERN_CHARS bound)."""
    return [_line_key(t) if t and len(t) <= MAX_PATTERN_CHARS else None for t in texts]
