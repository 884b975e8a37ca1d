"""Saving a build's processed files in the store: new, changed, unchanged or rejected, each
article with its identity, keywords and times; then the story groups.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from ..ids import article_id_for, slug_candidates
from ..models import Article, Rejected
from ..store import ArticleRecord, Store, TermCounts
from ..store.payload import encode_stored
from ..summarize import choose_keywords, group_stories
from .process import Processed, split_keys

log = logging.getLogger(__name__)

# Near-duplicate stories are looked for among this many most recent articles: the same event
# is reported within days, and the bound keeps a build's cost independent of the archive size.
STORY_WINDOW = 500


class Batch:
    """Saves one build's processed files as they arrive, in key order, and counts them.

    Every article first seen or changed in this run gets its own second, in key order,
    after the newest time already stored: feed readers need distinct ``updated`` instants,
    and the same inputs and state must give the same times.
    """

    def __init__(self, store: Store, now: datetime, task_count: int, skipped: list[Rejected]):
        self.store, self.skipped = store, skipped
        latest = store.latest_change()
        self.start = now - timedelta(seconds=max(task_count - 1, 0))
        if latest is not None and self.start <= latest:
            self.start = latest + timedelta(seconds=1)
        self.tick = self.new = self.changed = self.unchanged = 0
        # Counted once and kept up to date here: a COUNT(*) per saved article made a cold
        # build quadratic in the archive size.
        self.published_count = store.article_count()
        self.terms = TermCounts(store)
        # The groups whose boilerplate memory this batch added to (their windows move on).
        self.groups: set[str] = set()

    def add(self, item: Processed) -> None:
        """Record one processed file: rejected, touched, unchanged, new or changed."""
        store, file, result = self.store, item.file, item.result
        if isinstance(result, Rejected):
            store.record_rejection(file.key, file.size, file.mtime, result.reason)
            self.skipped.append(result)
            return
        if result is None:  # touched, not changed
            store.touch_file(file.key, file.size, file.mtime)
            log.debug("same text: %s", file.path)
            self.unchanged += 1
            return
        # A file the store has no record of has no old article, line keys or rejection: a
        # cold build skips looking for them, three statements per file.
        first = item.first
        store.record_boilerplate(file.group, file.key, split_keys(item.keys), first=first)
        self.groups.add(file.group)
        assert item.summary is not None
        existing = None if first else store.article_by_key(file.key)
        body_hash = item.body_hash
        if (
            existing is not None
            and existing.body_hash == body_hash
            and _same_facts(existing, result, file.web is not None)
        ):
            # Only the boilerplate around the article changed: nothing to republish.
            store.save_article(
                replace(existing, content_hash=item.content_hash), size=file.size, mtime=file.mtime
            )
            log.debug("same article, other boilerplate: %s", file.path)
            self.unchanged += 1
            return
        stamp = self.stamp()
        record = _record(store, self.terms, item, existing, body_hash, stamp, self.published_count)
        store.save_article(record, size=file.size, mtime=file.mtime, first=first)
        # Left for the cross-document trim and the regrouping of identical articles, in
        # this transaction: a build killed before those leaves them to the next one.
        store.add_pending(record.id, file.group, item.block_keys, body_hash)
        if existing is not None:
            store.add_pending_hashes([existing.body_hash])
        self.published_count += (record.duplicate_of is None) - (
            existing is not None and existing.duplicate_of is None
        )
        if existing is None:
            self.new += 1
        else:
            self.changed += 1
        log.debug("%s: %s (%s)", "new" if existing is None else "changed", file.path, record.slug)

    def stamp(self) -> datetime:
        """The next change time of this build (see the class)."""
        stamp = self.start + timedelta(seconds=self.tick)
        self.tick += 1
        return stamp

    def flush(self) -> None:
        """Write what is still only counted in memory (the term counts): call it after the
        last ``add``, in the same transaction."""
        self.terms.flush()


def _same_facts(existing: ArticleRecord, article: Article, web: bool) -> bool:
    """Whether the stored article has ``article``'s date and author (its title is in the
    body hash): a feed that re-dates an entry updates the article. Only asked for a document
    from the web, whose date and author a feed can change without touching its text."""
    if not web:
        return True
    stored = existing.payload.article
    return (
        existing.published == (article.published or existing.first_seen)
        and stored.author == article.author
        and stored.url == article.url
    )


def _record(
    store: Store,
    terms: TermCounts,
    item: Processed,
    existing: ArticleRecord | None,
    body_hash: str,
    stamp: datetime,
    published_count: int,
) -> ArticleRecord:
    """The record to save for a new or changed article; updates the keyword term counts
    (``terms``)."""
    file, article, summary = item.file, item.result, item.summary
    assert isinstance(article, Article) and summary is not None
    new_terms = [term for term, _ in summary.terms]
    if existing is not None:
        terms.add((t for t, _ in existing.payload.terms), -1)
    frequencies = terms.add(new_terms)
    keywords = choose_keywords(summary.terms, frequencies, max(published_count, 1) + 1)
    article_id = existing.id if existing else article_id_for(file.key)
    original = store.original_of(body_hash, file.key)
    first_seen = existing.first_seen if existing else stamp
    return ArticleRecord(
        id=article_id,
        source_key=file.key,
        source=file.path,
        group=file.group,
        slug=existing.slug if existing else _free_slug(store, article.title, article_id),
        content_hash=item.content_hash,
        body_hash=body_hash,
        first_seen=first_seen,
        last_changed=stamp,
        # Never in the future: a page dated ahead of its first sighting (a wrong year or
        # zone) would stay on top of every list, and feeds must not announce what is to come.
        published=min(article.published, first_seen) if article.published else first_seen,
        duplicate_of=original,
        story=existing.story if existing else None,
        digest_id=existing.digest_id if existing else None,
        data=encode_stored(
            item.article_data,
            summary=summary.sentences,
            keywords=keywords,
            reading_minutes=summary.reading_minutes,
            terms=summary.terms,
            fingerprint=summary.fingerprint,
        ),
    )


def _free_slug(store: Store, title: str, article_id: str) -> str:
    """The first of the article's candidate page names that no other article has."""
    return next(s for s in slug_candidates(title, article_id) if not store.slug_taken(s))


def regroup_duplicates(store: Store, stamp: Callable[[], datetime]) -> None:
    """Among the articles of each pending body hash (exact copies of one text: see
    ``Store.pending_regroupings``), make the first published the original and the others
    its duplicates: the same choice a cold build of the same files makes, whatever order
    they were read in. An article that changes side gets a new change time (``stamp``): it
    enters or leaves the archive and the feeds, and its page is written or removed by the
    render."""
    changes: list[tuple[str, str | None]] = []
    original: tuple[str, str] | None = None  # (body hash, id)
    for article_id, body_hash, duplicate_of in store.pending_regroupings():
        if original is None or original[0] != body_hash:
            original = (body_hash, article_id)
        wanted = None if original[1] == article_id else original[1]
        if duplicate_of != wanted:
            changes.append((article_id, wanted))
    for article_id, copied in changes:
        store.set_duplicate(article_id, copied, stamp())
        log.debug("%s is %s", article_id, f"a copy of {copied}" if copied else "original")


def regroup_stories(store: Store) -> None:
    """Regroup the STORY_WINDOW newest articles into stories by their fingerprints."""
    # Oldest first, so that the leader of a story is the first report of it.
    recent = sorted(store.fingerprints(limit=STORY_WINDOW), key=lambda r: (r[1], r[0]))
    leaders = group_stories([fingerprint for *_, fingerprint in recent])
    with store.transaction():
        for index, (article_id, _, story, _) in enumerate(recent):
            leader = leaders[index]
            grouped = recent[leader][0] if leader != index else None
            if grouped != story:
                store.set_story(article_id, grouped)
