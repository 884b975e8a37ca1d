"""The archive's topics and sites as the store has them: what the build gives feeds and
pages, and what readers choose among in their preferences. Shared by the build and the
mailing, so it belongs to neither."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .render.directory import name_slug
from .store import Store
from .summarize import choose_topics

TOPIC, SITE = "topic", "site"


@dataclass(frozen=True)
class Facets:
    """The topics and sites of the archive now: name -> (article count, version)."""

    topics: dict[str, tuple[int, int]]
    sites: dict[str, tuple[int, int]]

    @classmethod
    def read(cls, store: Store, settings: Settings) -> Facets:
        """The facets as the store has them (counts kept by triggers, no article read)."""
        least, most = settings.feed.topic_min_articles, settings.feed.max_topics
        # Ranked by all their articles (duplicates counted, which rarely matters): only the
        # head of the ranking is read.
        sizes = store.facet_sizes(TOPIC, at_least=least, most=most)
        chosen = choose_topics(sizes, at_least=least, most=most)
        topics = store.facet_prints(TOPIC, at_least=least, names=chosen) if chosen else {}
        return cls(topics, store.facet_prints(SITE))

    def topic_slugs(self) -> dict[str, str]:
        """Each topic's slug, by name: what article pages link their keywords with."""
        return {name: name_slug(name) for name in self.topics}

    def prints(self) -> dict[str, str]:
        """Each facet's fingerprint, by "kind:name", as the render meta keeps them."""
        prints = {f"{TOPIC}:{n}": f"{c} {t}" for n, (c, t) in self.topics.items()}
        prints.update((f"{SITE}:{n}", f"{c} {t}") for n, (c, t) in self.sites.items())
        return prints
