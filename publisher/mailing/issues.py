"""Digest issues: the next one, made of every article not yet in an issue, and its freezing
into an issue that is archived and delivered (``sending.send``).
"""

from __future__ import annotations

from datetime import datetime

from ..config import Settings
from ..models import Digest
from ..output import write_files
from ..render.digest import build_digest, digest_id_for
from ..render.feeds import render_digests_feed
from ..store import Store, run_lock

# Issues listed in digests.atom, newest first.
DIGEST_FEED_ISSUES = 20


def pending_digest(store: Store, settings: Settings, *, preview: bool = False) -> Digest | None:
    """The digest that ``send`` would deliver now: every article not yet in an issue.

    Only the newest are loaded (as listings: a digest shows summaries, not bodies), twice as
    many as an issue shows so that reports of the same story can be grouped under their
    leader; the others join the issue as "more stories in the archive". A ``preview`` (the
    build's, never frozen) only counts them, so its cost does not grow with them; its bytes
    are the same.
    """
    shown = [
        listing.entry()
        for listing in store.light_articles(undigested=True, limit=2 * settings.digest.max_items)
    ]
    if not shown:
        return None
    rest: set[str] = set()
    more = 0
    if preview:
        more = store.undigested_count() - len(shown)
    else:
        rest = store.undigested_ids() - {e.id for e in shown}
    # Dated by its newest entry rather than the clock, so an unchanged input rebuilds the
    # same bytes; in the schedule's zone, so a morning digest carries its readers' date.
    newest = store.undigested_latest_change() or max(e.updated for e in shown)
    when = newest.astimezone(settings.schedule.zone())
    digest_id = digest_id_for(when, store.digest_ids_on(when.date().isoformat()))
    return build_digest(
        shown, settings, digest_id=digest_id, now=when, more_ids=sorted(rest), more_count=more
    )


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
            },
        )
    return digest
