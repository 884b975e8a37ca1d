"""A boilerplate family, the unit of ``patterns``: a named regex over one whole line, the
example it must match, and cheap necessary conditions (how the lower-cased line starts,
ends, or what it contains) so that the regex runs only on the few lines that could match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pattern:
    """A named boilerplate family: a compiled regex plus one example line it must match."""

    name: str
    regex: re.Pattern[str]
    example: str
    starts: tuple[str, ...] = ()  # the lower-cased line must start with one of these, or
    ends: tuple[str, ...] = ()  # end with one of these, or
    contains: tuple[str, ...] = ()  # contain one of these, for the regex to be tried
    # True for families that mark the end of an article (comments, sharing, related links):
    # prose beyond them is not the article's, however close.
    ends_article: bool = False
    # True for families whose lines can be long (captions, cookie notices): their contained
    # words are looked for in lines of any length, not only in short ones.
    long_lines: bool = False
    # contains, compiled into one search (None when there are no such words).
    needles: re.Pattern[str] | None = field(init=False, default=None, compare=False)

    def __post_init__(self) -> None:
        if self.contains:
            needles = re.compile(trie(set(self.contains)))
            object.__setattr__(self, "needles", needles)

    def could_match(self, low: str) -> bool:
        """The cheap necessary condition on the lower-cased line."""
        return (
            low.startswith(self.starts)
            or low.endswith(self.ends)
            or (self.needles is not None and self.needles.search(low) is not None)
        )


def family(
    name: str,
    pattern: str,
    example: str,
    starts: tuple[str, ...] = (),
    ends: tuple[str, ...] = (),
    contains: tuple[str, ...] = (),
    ends_article: bool = False,
    long_lines: bool = False,
) -> Pattern:
    """A Pattern whose regex is compiled case-insensitively (the lines are matched as
    written; the cheap conditions on their lower-cased form)."""
    return Pattern(
        name,
        re.compile(pattern, re.IGNORECASE),
        example,
        starts,
        ends,
        contains,
        ends_article,
        long_lines,
    )


def trie(words: set[str]) -> str:
    """One regex matching any of words, factored by common prefixes ("sub(?:scri|way)").

    Python's regex engine tries every branch of an alternation at every position; factored,
    a position is dismissed after one look at its first character.
    """
    if "" in words or not words:  # a whole needle ends here: finding it is enough
        return ""
    by_first: dict[str, set[str]] = {}
    for word in words:
        by_first.setdefault(word[0], set()).add(word[1:])
    branches = [re.escape(first) + trie(tails) for first, tails in sorted(by_first.items())]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
