"""Digest issues: what each reader is owed, frozen into issues that are archived at once and
delivered (``sending.send``).

The mail stream: published articles enter it in numbered rounds, one per send run that
considers some reader (articles wait, outside it, while nobody is subscribed). Each reader
has a position, the round up to which they were considered; a new reader starts at the
current one, so they get what enters from then on, the articles waiting included. When a
run finds a reader due (``preferences.Preferences.due``), the reader is owed the articles
that entered after their position and that they chose (topic, site), less every story of
which they already had a report: one report per story group, the others "also reported
by". Readers owed the same articles share one issue: an issue is frozen per preference set
(and history), so a thousand readers with the defaults get one issue, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ..config import Settings
from ..models import Digest, Entry
from ..output import write_files
from ..render.archive import DIGESTS_PAGE, Archive
from ..render.digest import build_digest, digest_id_for
from ..render.feeds import id_authority, render_digests_feed
from ..store import Store, Subscriber, run_lock
from ..summarize import topic_of
from ..topics import SITE, Facets
from ..websub import queue_pings
from .preferences import Preferences

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


@dataclass(frozen=True)
class Edition:
    """One issue to freeze and the readers it is for."""

    digest: Digest
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """What a send run freezes: the round the waiting articles enter, the issues, and every
    reader it considered (those owed nothing new included)."""

    round: int
    editions: tuple[Edition, ...]
    considered: tuple[str, ...]


def topics(store: Store, settings: Settings) -> tuple[str, ...]:
    """The topics readers choose among: those the build gives feeds and pages
    (ranked by ``summarize.choose_topics``)."""
    return tuple(sorted(Facets.read(store, settings).topics))


def sites(store: Store) -> dict[str, int]:
    """Each source site (the one an article's page names, else its input directory) with
    its number of published articles: the sites readers choose among."""
    return {name: count for name, (count, _) in store.facet_prints(SITE).items()}


def site_of(entry: Entry, group: str) -> str:
    """The source site of an article: the one its page names, else its input directory."""
    return entry.article.site or group


def make_issue(
    entries: Sequence[Entry],
    settings: Settings,
    *,
    when: datetime,
    taken: Sequence[str],
    more_ids: Sequence[str] = (),
    more_count: int = 0,
) -> Digest:
    """The issue of ``entries`` (newest first; ``more_ids`` are further articles of it that
    were not loaded, ``more_count`` more are only counted), made at ``when`` (the newest
    change among its articles, in the schedule's zone) and named after that day, not any of
    the ids ``taken``.

    Twice as many as an issue shows are rendered, so that reports of the same story can be
    grouped under their leader; the others join it as "more stories in the archive". Dated
    by its newest article rather than the clock, so an unchanged input rebuilds the same
    bytes; in the schedule's zone, so a morning digest carries its readers' date.
    """
    limit = 2 * settings.digest.max_items
    shown, rest = entries[:limit], [e.id for e in entries[limit:]]
    return build_digest(
        shown,
        settings,
        digest_id=digest_id_for(when, taken),
        now=when,
        more_ids=sorted([*rest, *more_ids]),
        more_count=more_count,
    )


def pending_digest(store: Store, settings: Settings, *, preview: bool = False) -> Digest | None:
    """The issue a reader with the default preferences and nothing had yet would get now:
    every article waiting to enter the mail stream (the build's ``digest.eml`` preview).

    Only the newest are loaded (as listings: a digest shows summaries, not bodies). A
    ``preview`` (the build's) only counts the others rather than reading their ids: its
    bytes are the same, and its cost does not grow with the articles waiting."""
    shown = [
        listing.entry()
        for listing in store.light_articles(undigested=True, limit=2 * settings.digest.max_items)
    ]
    if not shown:
        return None
    newest = store.undigested_latest_change() or max(e.updated for e in shown)
    when = newest.astimezone(settings.schedule.zone())
    taken = store.digest_ids_on(when.date().isoformat())
    if preview:
        more = store.undigested_count() - len(shown)
        return make_issue(shown, settings, when=when, taken=taken, more_count=more)
    rest = sorted(store.undigested_ids() - {e.id for e in shown})
    return make_issue(shown, settings, when=when, taken=taken, more_ids=rest)


def plan_issues(store: Store, settings: Settings, now: datetime, *, hourly: bool = False) -> Plan:
    """The issues a send run at ``now`` would freeze, and for whom (nothing is written).
    ``hourly``: only readers who picked an hour are considered."""
    zone = settings.schedule.zone()
    readers: list[tuple[Subscriber, Preferences]] = []
    for subscriber in store.subscribers(status="active"):
        preferences = Preferences.decode(subscriber.preferences)
        if preferences.due(subscriber.considered, now, zone, hourly=hourly):
            readers.append((subscriber, preferences))
    number = max(store.current_round(), *(s.position for s in store.subscribers())) + 1
    if not readers:
        return Plan(number, (), ())
    stream = [
        (round_ or number, listing.entry(), listing.group)
        for round_, listing in store.stream_listings(min(s.position for s, _ in readers))
    ]
    keys = {entry.story or entry.id for _, entry, _ in stream}
    had = store.stories_had(keys)
    story_topic = _story_topics(store, settings, stream, readers)
    owed: dict[tuple[str, ...], list[str]] = {}
    chosen_entries: dict[tuple[str, ...], list[Entry]] = {}
    for subscriber, preferences in readers:
        chosen = [
            entry
            for round_, entry, group in stream
            if round_ > subscriber.position
            and (subscriber.address, entry.story or entry.id) not in had
            and preferences.wants(story_topic.get(entry.story or entry.id), site_of(entry, group))
        ]
        if chosen:
            ids = tuple(entry.id for entry in chosen)
            owed.setdefault(ids, []).append(subscriber.address)
            chosen_entries[ids] = chosen
    # The issue most readers share first: it takes the day's plain id, as the one issue
    # of a list whose readers all keep the defaults always did.
    order = sorted(owed, key=lambda ids: (-len(owed[ids]), min(owed[ids])))
    editions = []
    taken: dict[str, list[str]] = {}
    for ids in order:
        entries = chosen_entries[ids]
        when = max(e.updated for e in entries).astimezone(zone)
        day = when.date().isoformat()
        if day not in taken:
            taken[day] = store.digest_ids_on(day)
        digest = make_issue(entries, settings, when=when, taken=taken[day])
        taken[day].append(digest.id)
        editions.append(Edition(digest, tuple(sorted(owed[ids]))))
    return Plan(number, tuple(editions), tuple(sorted(s.address for s, _ in readers)))


def _story_topics(
    store: Store,
    settings: Settings,
    stream: Sequence[tuple[int, Entry, str]],
    readers: Sequence[tuple[Subscriber, Preferences]],
) -> dict[str, str | None]:
    """Each story's one topic, by its key (the leader's id): its leader's, so that every
    report of a story goes to the readers of one topic. Empty when no reader picks topics."""
    if not any(preferences.topics for _, preferences in readers):
        return {}
    chosen = set(topics(store, settings))
    keywords = {entry.id: entry.keywords for _, entry, _ in stream}
    missing = {e.story for _, e, _ in stream if e.story and e.story not in keywords}
    for leader_id, listing in store.leader_listings(missing).items():
        keywords[leader_id] = listing.listing.keywords
    result: dict[str, str | None] = {}
    for _, entry, _ in stream:
        key = entry.story or entry.id
        if key not in result:
            result[key] = topic_of(keywords.get(key, entry.keywords), chosen)
    return result


def digests_feed(store: Store, settings: Settings) -> bytes:
    """``digests.atom``: the newest DIGEST_FEED_ISSUES issues."""
    return render_digests_feed(store.digests(limit=DIGEST_FEED_ISSUES), settings)


def freeze_issues(
    store: Store, settings: Settings, now: datetime, *, hourly: bool = False
) -> tuple[Digest, ...]:
    """Freeze what the readers due at ``now`` are owed (see ``plan_issues``): the round, the
    issues, their recipients and the readers' new positions in one transaction, then the
    issues' archive pages and the digests feed. Takes the build lock for that time only: a
    build must not be saving or trimming the articles being frozen, nor writing the same
    files.

    Raises LockedError when a build holds the lock.
    """
    with run_lock(settings.paths.state):
        settings = with_fixed_ids(store, settings)
        plan = plan_issues(store, settings, now, hourly=hourly)
        if not plan.considered:
            return ()
        # One transaction, so that a crash at any later point leaves issues the next run
        # resumes, never articles lost or doubled.
        with store.transaction():
            store.open_round(plan.round)
            for edition in plan.editions:
                store.save_digest(edition.digest)
                store.queue_deliveries(edition.digest.id, now, edition.addresses)
            store.set_considered(plan.considered, plan.round, now)
        if plan.editions:
            # Archived and listed at once, not at the next build: a daemon running only the
            # digest job builds once a day. (The same bytes a build renders: it rewrites none.)
            files = {f"digests/{e.digest.id}.html": e.digest.html.encode() for e in plan.editions}
            files["digests.atom"] = digests_feed(store, settings)
            files[DIGESTS_PAGE] = Archive(settings).digests_page(store.digest_list())
            write_files(settings.paths.out, files)
            # Feed readers following the issues hear of the new one from the hubs.
            queue_pings(store, settings, ["digests.atom"], now)
    return tuple(edition.digest for edition in plan.editions)
