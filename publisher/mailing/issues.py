"""Digest issues: the next one, made of every article not yet in an issue, and its freezing
into an issue that is archived and delivered (``sending.send``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from ..config import Settings
from ..models import Digest
from ..output import write_files
from ..render.archive import DIGESTS_PAGE, Archive
from ..render.digest import build_digest, digest_id_for
from ..render.feeds import id_authority, render_digests_feed
from ..store import Store, run_lock

log = logging.getLogger(__name__)

# Issues listed in digests.atom, newest first.
DIGEST_FEED_ISSUES = 20
# The store's meta keys: the naming authority of feed ids, and the base URL last built for.
AUTHORITY_META = "id_authority"
BASE_URL_META = "base_url"


def with_fixed_ids(store: Store, settings: Settings) -> Settings:
    """``settings`` with the naming authority of every feed id fixed: ``[feed] id_authority``
    when set, else the one kept in the state, which the first call after an article was
    published takes from ``base_url`` for good. Feed readers know entries by their ids: a
    site that moves (from localhost to its real host) must not show them all again.
    Warns once when ``base_url`` changed since the last call."""
    base = settings.base_url
    last = store.meta(BASE_URL_META)
    stored = store.meta(AUTHORITY_META)
    fixed = settings.feed.id_authority or stored
    if last != base:
        if last is not None:
            log.warning(
                "base_url changed from %s to %s: links in feeds, pages and mail follow it; "
                "feed ids keep the naming authority %s",
                last,
                base,
                fixed or id_authority(base),
            )
        with store.transaction():
            store.set_meta(BASE_URL_META, base)
    if stored is None and store.article_count():
        stored = id_authority(base)
        with store.transaction():
            store.set_meta(AUTHORITY_META, stored)
        fixed = settings.feed.id_authority or stored
    if fixed is None:
        return settings
    return replace(settings, feed=replace(settings.feed, id_authority=fixed))


def pending_digest(store: Store, settings: Settings) -> Digest | None:
    """The digest that ``send`` would deliver now: every article not yet in an issue.

    Only the newest are loaded (as listings: a digest shows summaries, not bodies), twice as
    many as an issue shows so that reports of the same story can be grouped under their
    leader; the others join the issue as "more stories in the archive".
    """
    waiting = store.undigested_ids()
    if not waiting:
        return None
    shown = [
        listing.entry()
        for listing in store.light_articles(undigested=True, limit=2 * settings.digest.max_items)
    ]
    rest = waiting - {e.id for e in shown}
    # Dated by its newest entry rather than the clock, so an unchanged input rebuilds the
    # same bytes; in the schedule's zone, so a morning digest carries its readers' date.
    newest = store.undigested_latest_change() or max(e.updated for e in shown)
    when = newest.astimezone(settings.schedule.zone())
    digest_id = digest_id_for(when, store.digest_ids_on(when.date().isoformat()))
    return build_digest(shown, settings, digest_id=digest_id, now=when, more_ids=sorted(rest))


def digests_feed(store: Store, settings: Settings) -> bytes:
    """``digests.atom``: the newest DIGEST_FEED_ISSUES issues."""
    return render_digests_feed(store.digests(limit=DIGEST_FEED_ISSUES), settings)


def freeze_issue(store: Store, settings: Settings, now: datetime) -> Digest | None:
    """Freeze the articles not yet in an issue into a new one (or None when there are none):
    the issue and its recipient list in one transaction, then its archive page and the
    digests feed. Takes the build lock for that time only: a build must not be saving or
    trimming the articles being frozen, nor writing the same files.

    Raises LockedError when a build holds the lock.
    """
    with run_lock(settings.paths.state):
        settings = with_fixed_ids(store, settings)
        digest = pending_digest(store, settings)
        if digest is None:
            return None
        # One transaction, so that a crash at any later point leaves an issue the next run
        # resumes, never entries lost or doubled.
        with store.transaction():
            store.save_digest(digest)
            store.queue_deliveries(digest.id, now)
        # Archived and listed at once, not at the next build: a daemon running only the
        # digest job builds once a day. (The same bytes a build renders: it rewrites none.)
        write_files(
            settings.paths.out,
            {
                f"digests/{digest.id}.html": digest.html.encode("utf-8"),
                "digests.atom": digests_feed(store, settings),
                DIGESTS_PAGE: Archive(settings).digests_page(store.digest_list()),
            },
        )
    return digest
