"""The article's container element: the markup's say in what belongs to the article.

The density search (keep.select) finds the article's prose; the innermost element that
holds nearly all of it is the article's container. What the density kept outside it goes (a
teaser the density bridged into), and what sits inside it comes back even when short (list
items, table rows, tweets) unless it is chrome.
"""

from __future__ import annotations

from publisher.clean import scoring
from publisher.clean.scoring import Unit

# Share of the kept prose the article's container element must hold.
CONTAINER_SHARE = 0.9
# Share of the kept prose that units inside a marked article body (hint > 0) must hold for
# the kept units outside it, before or after, to go.
MARKED_SHARE = 0.4


def within_container(
    units: list[Unit], paths: list[tuple[int, ...]], kept: list[Unit]
) -> list[Unit]:
    """The kept units, restricted to and completed from the article's container element.

    The container is the innermost element that holds CONTAINER_SHARE of the kept prose. Kept
    units outside it go (a teaser block the density bridged into); units inside it between
    the first and last kept ones come back even when short (list items, table rows, tweets),
    unless they are chrome: the markup says they belong to the article. Repeats come back too:
    inside the article they are its structure (a meal plan's "Breakfast" in each day), not
    teasers. So do the start and the rest of the container around the kept units when it is
    marked as an article body.
    """
    if not kept:
        return kept
    index = {id(unit): i for i, unit in enumerate(units)}
    kept_at = [index[id(unit)] for unit in kept]
    prose_words: dict[int, int] = {}
    total = 0
    for i, unit in zip(kept_at, kept, strict=True):
        if scoring.is_prose(unit):
            total += unit.words
            for block in paths[i]:
                prose_words[block] = prose_words.get(block, 0) + unit.words
    holders = [b for b, words in prose_words.items() if words >= CONTAINER_SHARE * total]
    if not holders:
        return kept
    container = max(holders, key=lambda b: (len(_path_to(paths, kept_at, b)), b))
    # The page's second copy of the article (a print or mobile version in the same element)
    # starts with the article's first paragraph again: nothing from there is taken back.
    opening = kept[0].text if kept[0].words >= scoring.MIN_SENTENCE_WORDS else None
    last = kept_at[-1]
    while (
        last + 1 < len(units)
        and container in paths[last + 1]
        and units[last + 1].hint > 0
        and units[last + 1].text != opening
    ):
        last += 1  # the rest of an explicitly marked article body (a list of tour dates)
    first = kept_at[0]
    while first > 0 and container in paths[first - 1] and units[first - 1].hint > 0:
        first -= 1  # the start of an explicitly marked article body (a list of what is new)
    inside = [i for i in range(first, last + 1) if container in paths[i]]
    # Prose elsewhere in the same container is the article's too (past a "Don't miss" box).
    start = first - 1
    while start >= 0 and container in paths[start]:
        if scoring.is_prose(units[start]) and units[start].hint >= 0:
            inside.insert(0, start)
        start -= 1
    end = last + 1
    while (
        end < len(units)
        and container in paths[end]
        and not _opens_comments(units[end])
        and units[end].text != opening
    ):
        if scoring.is_prose(units[end]) and units[end].hint >= 0:
            inside.append(end)
        end += 1
    chosen = set(kept_at)
    return [units[i] for i in inside if i in chosen or not _chrome_inside(units[i])]


def within_marked_body(kept: list[Unit]) -> list[Unit]:
    """The kept units from the first to the last one inside a marked article body, when the
    marked ones hold at least MARKED_SHARE of the kept prose.

    The density can bridge from the article into a long unmarked block after it (a legal
    notice under a list of headlines); the markup tells the article's ends. Unmarked units
    between marked ones stay (a pull quote, an embed).
    """
    marked = [i for i, unit in enumerate(kept) if unit.hint > 0]
    if not marked or (marked[0] == 0 and marked[-1] == len(kept) - 1):
        return kept
    total = sum(unit.words for unit in kept if scoring.is_prose(unit))
    inside = sum(kept[i].words for i in marked if scoring.is_prose(kept[i]))
    if inside < MARKED_SHARE * total:
        return kept
    return kept[marked[0] : marked[-1] + 1]


def _opens_comments(unit: Unit) -> bool:
    """True for a comment section's header or form line ("Comments »", "Leave a Reply")."""
    family = scoring.boilerplate_family(unit.text)
    return family is not None and family.name == "comment_form"


def _chrome_inside(unit: Unit) -> bool:
    """scoring.is_chrome for a unit inside the article's container, where a linked headline
    followed by a sentence of its own (a digest's item) is text, not a link list."""
    if unit.links > scoring.MAX_LINK_DENSITY and scoring.is_annotated_link(unit):
        return unit.boiler or unit.hint < 0 or scoring.is_boilerplate(unit.text)
    return scoring.is_chrome(unit)


def _path_to(paths: list[tuple[int, ...]], kept_at: list[int], block: int) -> tuple[int, ...]:
    """The path prefix that ends at block (its depth tells how inner the block is)."""
    for i in kept_at:
        if block in paths[i]:
            return paths[i][: paths[i].index(block) + 1]
    return ()
