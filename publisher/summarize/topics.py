"""Topics: the keywords that recur enough across the archive to be followed on their own.

Each article's keywords are chosen by the build (``keywords.choose_keywords``, TF-IDF); the
topics are the ``most`` keywords carried by the most published articles, each by at least
``at_least`` of them (ties go to the name that sorts first). Keywords are chosen once per
article, so counts only grow: a topic, once reached, stays one unless others overtake it.

An article belongs to one topic at most, its best-ranked keyword that is a topic, so that
readers who follow different topics never get the same article.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence


def choose_topics(counts: Mapping[str, int], *, at_least: int, most: int) -> tuple[str, ...]:
    """The topics among keywords carried by ``counts[keyword]`` published articles: the
    ``most`` most carried, each by at least ``at_least``, the most carried first."""
    eligible = [name for name, count in counts.items() if count >= at_least]
    return tuple(sorted(eligible, key=lambda name: (-counts[name], name))[: max(most, 0)])


def topic_of(keywords: Sequence[str], topics: Collection[str]) -> str | None:
    """The one topic of an article with these ``keywords`` (best first): the first that is
    a topic, or None when none is."""
    return next((keyword for keyword in keywords if keyword in topics), None)
