"""The heuristics shared by the text and HTML cleaners: the signals measured on each unit.

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
  navigation, teasers and footers.

Every unit is priced by shape (:func:`unit_value`); keep.select() combines the prices with the
pattern checks and the page's landmarks into the article. The HTML cleaner then applies markup
semantics (the article's container element, see container.within_container); the text cleaner
adds a standfirst by position.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from publisher.clean.family import Pattern
from publisher.clean.patterns import (
    ANY_CONTAINS,
    ANY_END,
    ANY_LONG_CONTAINS,
    BOILERPLATE,
    BYLINE_AUTHOR,
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
POINT_GLYPHS = frozenset("+*•·●▪‣◦–-")
# Most a long unit without sentences in it is worth: a standfirst is a few dozen words, while
# a longer unpunctuated run is a flattened list (every film showing, every team). A unit with
# a sentence break in every SENTENCE_SPAN words is prose, whatever its end (a citation).
MAX_UNPUNCTUATED_VALUE = 20.0
SENTENCE_SPAN = 40
# Headings longer than this are not headings but unpunctuated prose or teaser text.
MAX_HEADING_WORDS = 14
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
# Value of a line seen before in the same document (and of a known cross-document line).
REPEAT_PENALTY = 25.0
# Value of a unit that matches a boilerplate pattern or is known cross-document boilerplate.
BOILERPLATE_PENALTY = 25.0
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


def line_keys(texts: Iterable[str]) -> list[str | None]:
    """The cross-document key of each text, None for empty and long ones (long prose is
    unique, and patterns describe short lines: the same MAX_PATTERN_CHARS bound)."""
    return [_line_key(t) if t and len(t) <= MAX_PATTERN_CHARS else None for t in texts]
