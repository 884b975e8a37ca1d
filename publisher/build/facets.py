"""The feeds of each topic and each source site, the topics' pages, and the lists of every
feed (``feeds.html``, ``feeds.opml``), each rendered only when its articles changed.

How topics are chosen: the ``[feed] max_topics`` keywords (the summarizer's TF-IDF keywords
of each article) carried by the most articles, each by at least ``[feed] topic_min_articles``
published ones (ties go to the name that sorts first). Keywords are chosen once per
article, so counts only grow: a topic, once reached, stays one unless others overtake it.
Every source site (the site an article's page names, else its input directory) has feeds of
its own. Each facet's fingerprint (article count, latest change) comes from one
SQL aggregate: a facet whose fingerprint did not change is not read at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import Settings
from ..models import Entry
from ..output import Staging
from ..render.archive import FEEDS_PAGE, Archive, topic_path
from ..render.directory import FeedListing, name_slug, opml
from ..render.feeds import FeedSpec, render_feed_set
from ..store import Store
from ..topics import SITE, TOPIC, Facets

# Headlines shown under each topic on the feeds page.
HEADLINES = 3


def facet_stem(kind: str, name: str) -> str:
    """Where a facet's feeds live, without the extension: feeds/topic/<slug>."""
    return f"feeds/{kind}/{name_slug(name)}"


def retopic(store: Store, before: Mapping[str, Any], facets: Facets) -> None:
    """Have the pages of articles whose keywords became topics, or stopped being ones,
    rendered again: their keyword links change. ``before`` is the last render's facet
    fingerprints."""
    old = {key.partition(":")[2] for key in before if key.startswith(f"{TOPIC}:")}
    changed = old ^ set(facets.topics)
    if changed:
        with store.transaction():
            store.mark_unrendered(store.articles_in_facets(TOPIC, changed))


def facet_files(
    store: Store,
    settings: Settings,
    archive: Archive,
    facets: Facets,
    last: Mapping[str, str],
    files: Staging,
    out: Path,
    *,
    restyled: bool,
) -> list[str]:
    """Add to ``files`` the feeds (and topic pages) of the facets whose fingerprint changed
    since the last render (``last``; all when ``restyled``) or whose files are missing, and
    the feeds page and OPML list when any did. Returns the files of facets that are gone."""
    prints = facets.prints()
    listings: list[FeedListing] = []
    headlines: dict[str, list[Entry]] = {}
    changed = restyled
    site = settings.site
    for kind, members in ((TOPIC, facets.topics), (SITE, facets.sites)):
        for name in sorted(members):
            key, stem = f"{kind}:{name}", facet_stem(kind, name)
            home = topic_path(name_slug(name)) if kind == TOPIC else FEEDS_PAGE
            title = f"{site.title}: {name}"
            listings.append(FeedListing(name, stem, home, "topic" if kind == TOPIC else "source"))
            paths = _paths(stem, home if kind == TOPIC else None)
            if not restyled and last.get(key) == prints[key] and _exist(out, paths):
                continue
            changed = True
            entries = [
                record.entry()
                for record in store.facet_articles(kind, name, limit=settings.feed.max_entries)
            ]
            subtitle = f"Articles about {name}." if kind == TOPIC else f"Articles from {name}."
            spec = FeedSpec(stem, title, subtitle, f"{kind}/{name_slug(name)}", home)
            files.update(render_feed_set(entries, settings, spec))
            if kind == TOPIC:
                files[home] = archive.topic_page(name, name_slug(name), entries, stem)
                headlines[stem] = entries[:HEADLINES]
    gone = [
        path
        for key in last
        if key not in prints
        for path in _paths(
            facet_stem(*key.split(":", 1)),
            topic_path(name_slug(key.split(":", 1)[1])) if key.startswith(TOPIC) else None,
        )
    ]
    if changed or gone or not _exist(out, [FEEDS_PAGE, "feeds.opml"]):
        for name in facets.topics:
            stem = facet_stem(TOPIC, name)
            if stem not in headlines:
                rows = store.facet_listings(TOPIC, name, limit=HEADLINES)
                headlines[stem] = [listing.entry() for listing in rows]
        every = [
            FeedListing(site.title, "feed", "index.html", "site"),
            *listings,
        ]
        files[FEEDS_PAGE] = archive.feeds_page(every, headlines)
        files["feeds.opml"] = opml(every, settings)
    return gone


def _paths(stem: str, page: str | None) -> list[str]:
    paths = [f"{stem}.atom", f"{stem}.rss", f"{stem}.json"]
    return [*paths, page] if page else paths


def _exist(out: Path, paths: list[str]) -> bool:
    return all((out / path).exists() for path in paths)
