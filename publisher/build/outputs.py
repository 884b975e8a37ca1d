"""Rendering a build's outputs: article pages, month pages, the index, the pending digest,
the digests feed and list, the site feeds, the topic and site feeds (``facets``), the feed's
history and the sitemaps (``history``), and the search index, each written only when its
bytes change.

Incremental by construction: what can have changed since the last render is known from the
store (articles waiting for their page, SQL aggregates per month) and from the presentation
signature (code, templates and settings), so a no-op build reads no article at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from functools import lru_cache, partial
from itertools import chain, islice
from pathlib import Path
from typing import Any

from ..config import Settings
from ..mailing.issues import digests_feed, pending_digest, with_fixed_ids
from ..models import Entry
from ..output import Staging, publish_staged, remove_stale_temps, stage_file, write_files
from ..render.archive import (
    DIGESTS_PAGE,
    INDEX_SIZE,
    SEARCH_PAGE,
    SEARCH_SCRIPT,
    STYLESHEET,
    Archive,
    month_parts,
    month_path,
    topic_path,
)
from ..render.directory import search_index, search_shard
from ..render.feeds import render_feeds
from ..render.templating import template_dirs
from ..store import ArticleListing, ArticleRecord, Store
from ..topics import Facets
from ..websub import changed_feeds, queue_pings
from .facets import facet_files, retopic
from .history import NEWS_WINDOW, history_files, news_window, sitemap_files
from .pool import PAGE_CHUNK, chunked, map_in_order, workers

log = logging.getLogger(__name__)

# The store's meta key holding the last render's signature and the outputs it wrote.
RENDER_META = "render"


def render_outputs(
    store: Store,
    settings: Settings,
    pool: Executor | None = None,
    *,
    now: datetime,
    ship: bool = False,
    rescan: bool = False,
) -> list[str]:
    """Render every output that may have changed and write those whose bytes did.

    Skipped outright when no article waits for its page, neither the presentation (code,
    templates, settings) nor the stored data changed since the last render, the news
    sitemap's articles are the same at ``now``, and its outputs all still exist: a no-op
    build reads no article at all. Otherwise only what can have changed is read and
    rendered: the pages of articles saved since (all of them when the presentation
    changed), the months whose articles changed, the index's newest entries, the pending
    digest's shown entries, the feeds' newest entries, the topics and sites whose articles
    changed and the newest month of the feed's history. The months and the data version
    are kept by triggers, a changed month is read from the first part an article entered,
    left or changed in, and the article pages are only listed (to restore deleted ones and
    remove copies' pages) when their directory changed since the last render wrote it, or
    with ``rescan``. Article pages are rendered and written on ``pool`` when given; with
    ``ship`` (workers that cannot read the state database or write the outputs: a
    cluster's), this process reads their records and writes the pages the workers render.
    The feeds written are queued for the WebSub hubs.
    """
    out = settings.paths.out
    last = json.loads(store.meta(RENDER_META) or "{}")
    pages_dir = out / "articles"
    # Someone else changed the article pages' directory (deleted a page, or a killed run
    # left temporaries): it is listed and compared with the store, else it is not read.
    touched = rescan or _snapshot(pages_dir) != last.get("articles")
    for directory in _DIRECTORIES:
        if directory != "articles" or touched:
            remove_stale_temps(out / directory)  # left by a run that was killed while writing
    settings = with_fixed_ids(store, settings)
    presentation, data = presentation_signature(settings), store.data_version()
    restyled = last.get("presentation") != presentation
    facets = None
    if restyled or last.get("data") != data:
        facets = Facets.read(store, settings)
        retopic(store, last.get("facets", {}), facets)
    pending = store.has_unrendered()
    missing: set[str] = set()
    copies: set[str] = set()
    if touched:
        # A copy of another article has no page: one written before it became a copy goes.
        copies = {s for s in store.copies_pages() if (pages_dir / f"{s}.html").exists()}
        if not restyled:  # else every page is written anyway
            present = _present_pages(out)
            pages = store.pages()
            missing = {pages[slug] for slug in pages if slug not in present}
    # The news sitemap's window changes when an article is saved (the data version) or when
    # its oldest article ages out: until then it is not read (it can hold days of articles).
    until = last.get("news_until")
    news_kept = (
        not restyled
        and last.get("data") == data
        and until is not None
        and now < datetime.fromisoformat(until)
    )
    news = None if news_kept else news_window(store, now)
    if (
        not pending
        and not restyled
        and not missing
        and not copies
        and last.get("data") == data
        and (news is None or last.get("news") == _news_print(news))
        and all((out / name).exists() for name in last.get("files", ()))
    ):
        log.debug("nothing to render: no article, setting or template changed")
        return []
    facets = facets or Facets.read(store, settings)
    archive = _archive(settings, presentation)
    # Everything but the article pages is rendered before anything is written, so that a
    # template that breaks (an undefined variable) leaves the output directory as it was.
    files: dict[str, bytes] = {STYLESHEET: archive.stylesheet()}
    if restyled or not (out / SEARCH_PAGE).exists() or not (out / SEARCH_SCRIPT).exists():
        files[SEARCH_SCRIPT] = archive.static(SEARCH_SCRIPT)
        files[SEARCH_PAGE] = archive.search_page()
    months = store.months()
    # Feeds of topics, sites and the history, and month pages (all of them for a new
    # presentation), are many: staged to disk as they are rendered, and published after
    # the pages they link to.
    staging = Staging(out)
    try:
        month_prints, page_prints, members, gone = _month_pages(
            store, archive, months, last, staging, out, restyled=restyled
        )
    except BaseException:
        staging.discard()
        raise
    pages_newest_first = sorted(page_prints, key=_newest_first, reverse=True)
    files["search/index.json"] = search_index([_shard_path(p)[7:-5] for p in pages_newest_first])
    newest = [listing.entry() for listing in store.light_articles(limit=INDEX_SIZE)]
    files["index.html"] = archive.index_page(newest, {m: n for m, (n, *_) in months.items()})
    files.update(_digest_files(store, settings))
    files["digests.atom"] = digests_feed(store, settings)
    issues = store.digest_list()
    issue_ids = [issue_id for issue_id, _, _ in issues]
    if restyled or last.get("digests") != issue_ids or not (out / DIGESTS_PAGE).exists():
        files[DIGESTS_PAGE] = archive.digests_page(issues)
    for slug, removed in store.removed_pages().items():
        page = f"articles/{slug}.html"
        files[page] = archive.removed_page(page, removed)
    try:
        gone += facet_files(
            store,
            settings,
            archive,
            facets,
            last.get("facets", {}),
            staging,
            out,
            restyled=restyled,
        )
        history_meta, history, newest_archive = history_files(
            store, settings, last.get("history", {}), staging, out, restyled=restyled
        )
        topic_pages = [topic_path(slug) for slug in facets.topic_slugs().values()]
        news = news if news is not None else news_window(store, now)
        files.update(sitemap_files(settings, history, [*page_prints, *topic_pages], news))
        feed = [record.entry() for record in store.articles(limit=settings.feed.max_entries)]
        files.update(render_feeds(feed, settings, prev_archive=newest_archive))
        # Pages first, feeds last: a reader that fetches a feed mid-run finds every page it
        # links to. The ids come from SQLite in chunks, none of them held here whatever
        # their number (a cold build or a new template renders every page).
        if restyled:
            stale, count = store.published_ids(), store.article_count()
        else:
            stale = store.unrendered_ids(also=missing)
            count = store.unrendered_count() + len(missing)
        topics = facets.topic_slugs()
        written = _write_article_pages(
            store, settings, presentation, stale, count, pool, topics, ship
        )
    except BaseException:
        staging.discard()
        raise
    written += staging.publish()
    written += write_files(out, files)
    copies |= store.unrendered_copies()
    for path in [*gone, *(f"articles/{slug}.html" for slug in sorted(copies))]:
        with suppress(FileNotFoundError):
            (out / path).unlink()
    with store.transaction():
        store.mark_rendered()
        store.clean_months()
        store.clean_history_months()
        # The files of the last render that are rewritten only now and then (closed months
        # of the history, facets) are still its outputs.
        kept = set(last.get("files", ())) - set(gone)
        kept = {name for name in kept if name.startswith(_KEPT)}
        outputs = sorted({*files, *staging.names, *page_prints, *kept})
        store.set_meta(
            RENDER_META,
            json.dumps(
                {
                    "presentation": presentation,
                    "data": data,
                    "files": outputs,
                    "months": month_prints,
                    "pages": page_prints,
                    "facets": facets.prints(),
                    "history": history_meta,
                    "news": _news_print(news),
                    "news_until": _news_until(news),
                    "digests": issue_ids,
                    "members": members,
                    # Last: every write to the pages' directory is done.
                    "articles": _snapshot(pages_dir),
                }
            ),
        )
    queue_pings(store, settings, changed_feeds(written), now)
    return written


def _news_print(news: Sequence[tuple[str, str, datetime, str, str]]) -> str:
    """A digest of the news sitemap's articles (ids), to tell whether they changed."""
    return hashlib.sha256("\n".join(row[0] for row in news).encode("utf-8")).hexdigest()


def _news_until(news: Sequence[tuple[str, str, datetime, str, str]]) -> str:
    """When the oldest article of the news sitemap leaves its window: until then only a
    saved article can change the window. Far ahead when it is empty."""
    if not news:
        return "9999-12-31T00:00:00+00:00"
    return (min(row[2] for row in news) + NEWS_WINDOW).isoformat()


def _snapshot(directory: Path) -> list[int] | None:
    """The inode and modification time (ns) of ``directory``, None when it is missing:
    equal while nothing in it is added, removed or renamed."""
    try:
        stat = os.stat(directory)
    except FileNotFoundError:
        return None
    return [stat.st_ino, stat.st_mtime_ns]


# Directories of the output that hold files written by a render.
_DIRECTORIES = (
    "",
    "articles",
    "archive",
    "digests",
    "topics",
    "search",
    "sitemaps",
    "feeds/topic",
    "feeds/site",
    "feeds/archive",
)
# Outputs a render may leave as they are for many renders, but which stay its outputs.
_KEPT = ("feeds/", "topics/", "sitemaps/", "search", DIGESTS_PAGE)


def _write_article_pages(
    store: Store,
    settings: Settings,
    presentation: str,
    ids: Iterable[str],
    count: int,
    pool: Executor | None,
    topics: Mapping[str, str],
    ship: bool,
) -> list[str]:
    """Render and write the pages of ``ids`` (``count`` of them) on ``pool``, or on a pool of
    their own when there are many (a new template re-renders every page of the archive),
    PAGE_CHUNK at a time: only ids and file names cross between processes, and no process
    holds many bodies. With ``ship``, the records go to ``pool`` and the pages come back, to
    be written here."""
    chunks = -(-count // PAGE_CHUNK)
    try:
        if ship:
            out = settings.paths.out
            rendered = map_in_order(
                partial(_render_pages, settings, presentation, dict(topics)),
                (_page_records(store, chunk) for chunk in chunked(ids, PAGE_CHUNK)),
                jobs=settings.jobs,
                executor=pool,
                total=chunks,
                chunk=1,
            )
            here = (
                [(page, stage_file(out / page, data)) for page, data in pages] for pages in rendered
            )
            return _publish_in_batches(out, chain.from_iterable(here))
        with workers(settings.jobs, pool, count) as render_pool:
            staged = map_in_order(
                partial(_stage_article_pages, settings, presentation, dict(topics)),
                chunked(ids, PAGE_CHUNK),
                jobs=settings.jobs,
                executor=render_pool,
                total=chunks,
                chunk=1,
            )
            return _publish_in_batches(settings.paths.out, chain.from_iterable(staged))
    except BaseException:
        # Chunks that were staged in other workers when one failed never reached
        # publish_staged: their temporaries go too (the run lock keeps other runs out).
        remove_stale_temps(settings.paths.out / "articles")
        raise


def _publish_in_batches(out: Path, staged: Iterable[tuple[str, str | None]]) -> list[str]:
    """``publish_staged`` a thousand pages at a time: a new presentation writes every page
    of the archive, and no list of all their temporaries is held. (Each page is whole when
    it is renamed; the feeds that link to them come after all.)"""
    written: list[str] = []
    for batch in chunked(staged, 1_000):
        written += publish_staged(out, batch)
    return written


# What an article page is made of: the records of the articles (by id), the listings of
# those that follow one of them in a story, and the records of the stories' leaders.
PageRecords = tuple[dict[str, ArticleRecord], list[ArticleListing], dict[str, ArticleRecord]]


def _page_records(store: Store, ids: Sequence[str]) -> PageRecords:
    """What the pages of ``ids`` show (see PageRecords), read from ``store``."""
    records = store.articles_by_id(ids)
    followers = store.light_articles(stories=records)
    leader_ids = {r.story for r in records.values() if r.story} - set(records)
    return records, followers, store.articles_by_id(leader_ids)


def _render_pages(
    settings: Settings, presentation: str, topics: dict[str, str], inputs: PageRecords
) -> list[tuple[str, bytes]]:
    """The pages of the articles of ``inputs``, each with the other reports of its story
    (the report it follows and those that follow it): their paths and bytes, by id."""
    records, listings, leader_records = inputs
    entries = {i: record.entry() for i, record in records.items()}
    followers: dict[str, list[Entry]] = {}
    for listing in listings:
        followers.setdefault(listing.story or "", []).append(listing.entry())
    leaders = {i: r.entry() for i, r in leader_records.items()}
    leaders.update(entries)
    pages = []
    for entry_id in sorted(entries):
        entry = entries[entry_id]
        also = followers.get(entry_id, [])
        related = also + ([leaders[entry.story]] if entry.story in leaders else [])
        page = _archive(settings, presentation).article_page(
            replace(entry, also=tuple(e.id for e in also)), related, topics
        )
        pages.append((entry.page, page))
    return pages


def _stage_article_pages(
    settings: Settings, presentation: str, topics: dict[str, str], ids: Sequence[str]
) -> list[tuple[str, str | None]]:
    """Render the pages of ``ids`` and stage them (see output.stage_file): the page paths
    with their temporaries, by id. Reads the records itself, from a read-only connection:
    workers need nothing but the ids."""
    with Store.reading(settings.paths.state) as store:
        inputs = _page_records(store, ids)
    out = settings.paths.out
    return [
        (page, stage_file(out / page, data))
        for page, data in _render_pages(settings, presentation, topics, inputs)
    ]


@lru_cache(maxsize=1)
def _archive(settings: Settings, presentation: str) -> Archive:
    """The archive renderer of ``settings``, made once per process and ``presentation`` (see
    _presentation_signature): its templates compile on first use and are not looked at
    again, and a template that changes changes the signature, hence the renderer."""
    return Archive(settings)


def _month_pages(
    store: Store,
    archive: Archive,
    months: dict[str, tuple[int, int, str | None]],
    last: dict[str, Any],
    staging: Staging,
    out: Path,
    *,
    restyled: bool,
) -> tuple[dict[str, str], dict[str, str], dict[str, str], list[str]]:
    """Stage into ``staging`` the month pages whose articles or neighbours changed since the
    last render (``last``; every page when ``restyled``) or that are missing, with their
    shards of the search index. Returns every
    month's fingerprint, every page's fingerprint and its articles' digest, and the pages no
    month has any more.

    A month's fingerprint (count, version, neighbouring months) is kept by triggers; only a
    month whose fingerprint changed is looked at, and only from the first part that holds
    an article published at or after the earliest change in it (``dirty``: an article
    entered, left or changed there). The parts before it keep their articles, so only their
    links can change, and their pages are rendered only if those did: a new article reads
    and rewrites its month's newest page, however large the month.
    """
    order = sorted(months)
    known: dict[str, str] = {} if restyled else last.get("months", {})
    known_pages: dict[str, str] = {} if restyled else last.get("pages", {})
    known_members: dict[str, str] = {} if restyled else last.get("members", {})
    pages_of: dict[str, list[str]] = {}
    for path in known_pages:  # "archive/YYYY-MM.html" or "archive/YYYY-MM-<part>.html"
        pages_of.setdefault(path[len("archive/") :][:7], []).append(path)
    prints: dict[str, str] = {}
    page_prints: dict[str, str] = {}
    members_of: dict[str, str] = {}
    for index, month in enumerate(order):
        older = order[index - 1] if index else None
        newer = order[index + 1] if index + 1 < len(order) else None
        count, version, dirty = months[month]
        prints[month] = f"{count} {version} {newer} {older}"
        paths = pages_of.get(month, [])
        both = [*paths, *(_shard_path(p) for p in paths)]
        whole = bool(paths) and all((out / p).exists() for p in both)
        if whole and known.get(month) == prints[month]:
            page_prints.update((p, known_pages[p]) for p in paths)
            members_of.update((p, known_members[p]) for p in paths if p in known_members)
            continue
        layout = _month_layout(month, count)
        # The position of the first article that may have changed, moved or gone: all of
        # them when the pages cannot be trusted.
        first = count if dirty is None else store.month_position(month, dirty)
        if not whole:
            first = 0
        # Parts read again: from the one holding `first`, and any part that did not hold the
        # same positions before (the newest one's grows; new parts).
        moved = [
            b for path, b, e in layout if not known_members.get(path, "").startswith(f"{b} {e} ")
        ]
        start = min([first, *moved])
        start = max(begin for _, begin, _ in layout if begin <= start)
        # Read part by part as the pages are made: a month can hold most of the archive.
        order_rows = store.month_order(month, offset=start)
        for position, (path, begin, end) in enumerate(layout):
            part = _part_of(path)
            # Pages run oldest first: the neighbours of a part are the parts beside it, and
            # past the ends, the newest page of the neighbouring month.
            before = (month, _part_of(layout[position - 1][0])) if position else None
            after = (
                (month, _part_of(layout[position + 1][0])) if position + 1 < len(layout) else None
            )
            before = before or ((older, 0) if older else None)
            after = after or ((newer, 0) if newer else None)
            rows = list(islice(order_rows, end - begin)) if begin >= start else None
            if rows is None:
                members_of[path] = known_members[path]
            else:
                members_of[path] = f"{begin} {end} {_digest(rows)}"
            page_prints[path] = _digest([members_of[path], before, after])
            shard = _shard_path(path)
            if (
                known_pages.get(path) != page_prints[path]
                or not (out / path).exists()
                or not (out / shard).exists()
            ):
                if rows is None:  # its articles are the same: only its links changed
                    rows = list(islice(store.month_order(month, offset=begin), end - begin))
                ids = [article_id for article_id, _ in rows]
                entries = [listing.entry() for listing in store.light_articles(ids=ids)]
                staging[path] = archive.month_page((month, part), entries, after, before)
                # The search index's shard of the same articles: read once, for both.
                staging[shard] = search_shard(entries)
    gone = sorted(set(last.get("pages", ())) - set(page_prints))
    return prints, page_prints, members_of, [*gone, *(_shard_path(p) for p in gone)]


def _month_layout(month: str, count: int) -> list[tuple[str, int, int]]:
    """The pages of a month of ``count`` articles (see archive.month_parts), oldest first:
    (path, position of its first article, position past its last)."""

    return [
        (month_path(month, part), span[0], span[-1] + 1) for part, span in month_parts(range(count))
    ]


def _part_of(path: str) -> int:
    """The part number of a month page's path (0 for the month's newest page)."""
    name = path[len("archive/") : -len(".html")]
    return int(name[8:]) if len(name) > 7 else 0


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value).encode("utf-8")).hexdigest()


def _shard_path(page: str) -> str:
    """The search index's shard of the articles of month page ``page``."""
    return "search/" + page.removeprefix("archive/").removesuffix(".html") + ".json"


def _newest_first(page: str) -> tuple[str, int]:
    """Month pages newest first: by month, then the newest part (0), then the others from
    the highest part down."""
    name = page.removeprefix("archive/").removesuffix(".html")
    month, part = name[:7], name[8:]
    return month, int(part) if part else 1_000_000


def _present_pages(out: Path) -> set[str]:
    """The slugs of the article pages in the output directory (one listing, no stats)."""
    try:
        names = [entry.name for entry in os.scandir(out / "articles")]
    except FileNotFoundError:
        return set()
    return {name.removesuffix(".html") for name in names if name.endswith(".html")}


def presentation_signature(settings: Settings) -> str:
    """What every page's look is a function of: the program's code, the templates and the
    settings that reach the outputs. When it changes, every page is rendered again."""
    digest = hashlib.sha256()
    # Where inputs, outputs and state live changes no byte of a page: moving them must not
    # re-render the archive. (The templates directory is hashed by content below.)
    paths = replace(settings.paths, input=(), out=Path(), state=Path())
    shown = replace(settings, jobs=0, config_path=None, paths=paths)
    digest.update(repr(shown).encode("utf-8"))
    package = Path(__file__).resolve().parent.parent
    # Names, not absolute paths: a checkout that moves renders the same pages.
    named = [(path.relative_to(package), path) for path in sorted(package.rglob("*.py"))]
    for directory in template_dirs(settings.paths.templates):
        if directory.is_dir():
            # Subdirectories too: a template can extend or include "partials/header.html.j2".
            files = [path for path in sorted(directory.rglob("*")) if path.is_file()]
            named += [(path.relative_to(directory), path) for path in files]
    for name, path in named:
        digest.update(f"\0{name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _digest_files(store: Store, settings: Settings) -> dict[str, bytes]:
    """The pending digest (entries not yet sent), or the latest sent issue when none is."""
    digest = pending_digest(store, settings, preview=True)
    if digest is None:
        issues = store.digests(limit=1)
        if not issues:
            return {}
        digest = issues[0]
    return {
        "digest.html": digest.html.encode("utf-8"),
        "digest.txt": digest.text.encode("utf-8"),
        "digest.eml": digest.message,
        f"digests/{digest.id}.html": digest.html.encode("utf-8"),
    }
