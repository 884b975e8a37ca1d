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
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from functools import lru_cache, partial
from itertools import chain
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
from ..store import Store
from ..topics import Facets
from .facets import facet_files, retopic
from .history import history_files, news_window, sitemap_files
from .pool import PAGE_CHUNK, map_in_order, workers
from .websub import changed_feeds, queue_pings

log = logging.getLogger(__name__)

# The store's meta key holding the last render's signature and the outputs it wrote.
RENDER_META = "render"


def render_outputs(
    store: Store, settings: Settings, pool: Executor | None = None, *, now: datetime
) -> list[str]:
    """Render every output that may have changed and write those whose bytes did.

    Skipped outright when no article waits for its page, neither the presentation (code,
    templates, settings) nor the stored data changed since the last render, the news
    sitemap's articles are the same at ``now``, and its outputs all still exist: a no-op
    build reads no article at all. Otherwise only what can have changed is read and
    rendered: the pages of articles saved since (all of them when the presentation
    changed), the months whose articles changed, the index's newest entries, the pending
    digest's shown entries, the feeds' newest entries, the topics and sites whose articles
    changed and the newest month of the feed's history. What still grows with the archive
    is cheap: SQL aggregates, the list of slugs and one directory listing (to restore
    deleted pages), and the ids of articles not yet in a digest. Article pages are rendered
    and written on ``pool`` when given. The feeds written are queued for the WebSub hubs.
    """
    out = settings.paths.out
    for directory in _DIRECTORIES:
        remove_stale_temps(out / directory)  # left by a run that was killed while writing
    settings = with_fixed_ids(store, settings)
    presentation, data = presentation_signature(settings), store.data_version()
    last = json.loads(store.meta(RENDER_META) or "{}")
    restyled = last.get("presentation") != presentation
    facets = None
    if restyled or last.get("data") != data:
        facets = Facets.read(store, settings)
        retopic(store, last.get("facets", {}), facets)
    pending = set(store.unrendered())
    pages = store.pages()
    present = _present_pages(out)
    missing = {slug for slug in pages if slug not in present}
    # A copy of another article has no page: one written before it became a copy goes.
    copies = store.copies_pages() & present
    news = news_window(store, now)
    if (
        not pending
        and not restyled
        and not missing
        and not copies
        and last.get("data") == data
        and last.get("news") == [row[0] for row in news]
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
    month_prints, page_prints, gone = _month_pages(
        store, archive, months, last, files, out, restyled=restyled
    )
    pages_newest_first = sorted(page_prints, key=_newest_first, reverse=True)
    files["search/index.json"] = search_index([_shard_path(p)[7:-5] for p in pages_newest_first])
    newest = [listing.entry() for listing in store.light_articles(limit=INDEX_SIZE)]
    files["index.html"] = archive.index_page(newest, {m: n for m, (n, _) in months.items()})
    files.update(_digest_files(store, settings))
    files["digests.atom"] = digests_feed(store, settings)
    issues = store.digest_list()
    issue_ids = [issue_id for issue_id, _, _ in issues]
    if restyled or last.get("digests") != issue_ids or not (out / DIGESTS_PAGE).exists():
        files[DIGESTS_PAGE] = archive.digests_page(issues)
    for slug, removed in store.removed_pages().items():
        page = f"articles/{slug}.html"
        files[page] = archive.removed_page(page, removed)
    # Feeds of topics, sites and the history are many: staged to disk as they are
    # rendered, and published after the pages they link to.
    staging = Staging(out)
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
        files.update(sitemap_files(settings, history, [*page_prints, *topic_pages], news))
        feed = [record.entry() for record in store.articles(limit=settings.feed.max_entries)]
        files.update(render_feeds(feed, settings, prev_archive=newest_archive))
        # Pages first, feeds last: a reader that fetches a feed mid-run finds every page it
        # links to.
        published = set(pages.values())
        stale = published if restyled else (pending & published) | {pages[s] for s in missing}
        topics = facets.topic_slugs()
        written = _write_article_pages(settings, presentation, sorted(stale), pool, topics)
    except BaseException:
        staging.discard()
        raise
    written += staging.publish()
    written += write_files(out, files)
    for path in [*gone, *(f"articles/{slug}.html" for slug in sorted(copies))]:
        with suppress(FileNotFoundError):
            (out / path).unlink()
    with store.transaction():
        store.mark_rendered(pending)
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
                    "news": [row[0] for row in news],
                    "digests": issue_ids,
                }
            ),
        )
    queue_pings(store, settings, changed_feeds(written), now)
    return written


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
    settings: Settings,
    presentation: str,
    ids: Sequence[str],
    pool: Executor | None,
    topics: Mapping[str, str],
) -> list[str]:
    """Render and write the pages of ``ids`` on ``pool``, or on a pool of their own when there
    are many (a new template re-renders every page of the archive), PAGE_CHUNK at a time:
    only ids and file names cross between processes, and no process holds many bodies."""
    chunks = [ids[start : start + PAGE_CHUNK] for start in range(0, len(ids), PAGE_CHUNK)]
    try:
        with workers(settings.jobs, pool, len(ids)) as render_pool:
            staged = map_in_order(
                partial(_stage_article_pages, settings, presentation, dict(topics)),
                chunks,
                jobs=settings.jobs,
                executor=render_pool,
            )
            return publish_staged(settings.paths.out, chain.from_iterable(staged))
    except BaseException:
        # Chunks that were staged in other workers when one failed never reached
        # publish_staged: their temporaries go too (the run lock keeps other runs out).
        remove_stale_temps(settings.paths.out / "articles")
        raise


def _stage_article_pages(
    settings: Settings, presentation: str, topics: dict[str, str], ids: Sequence[str]
) -> list[tuple[str, str | None]]:
    """Render the pages of ``ids``, each with the other reports of its story (the report it
    follows and those that follow it), and stage them (see output.stage_file): the page
    paths with their temporaries, by id. Reads the records itself, from a read-only
    connection: workers need nothing but the ids."""
    with Store.reading(settings.paths.state) as store:
        entries = {i: record.entry() for i, record in store.articles_by_id(ids).items()}
        followers: dict[str, list[Entry]] = {}
        for listing in store.light_articles(stories=entries):
            followers.setdefault(listing.story or "", []).append(listing.entry())
        leader_ids = {e.story for e in entries.values() if e.story} - set(entries)
        leaders = {i: r.entry() for i, r in store.articles_by_id(leader_ids).items()}
    leaders.update(entries)
    staged = []
    for entry_id in sorted(entries):
        entry = entries[entry_id]
        also = followers.get(entry_id, [])
        related = also + ([leaders[entry.story]] if entry.story in leaders else [])
        page = _archive(settings, presentation).article_page(
            replace(entry, also=tuple(e.id for e in also)), related, topics
        )
        staged.append((entry.page, stage_file(settings.paths.out / entry.page, page)))
    return staged


@lru_cache(maxsize=1)
def _archive(settings: Settings, presentation: str) -> Archive:
    """The archive renderer of ``settings``, made once per process and ``presentation`` (see
    _presentation_signature): its templates compile on first use and are not looked at
    again, and a template that changes changes the signature, hence the renderer."""
    return Archive(settings)


def _month_pages(
    store: Store,
    archive: Archive,
    months: dict[str, tuple[int, str]],
    last: dict[str, Any],
    files: dict[str, bytes],
    out: Path,
    *,
    restyled: bool,
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Add to ``files`` the month pages whose articles or neighbours changed since the last
    render (``last``; every page when ``restyled``) or that are missing. Returns every
    month's fingerprint and every page's, and the pages no month has any more.

    A month's fingerprint (count, latest change, neighbouring months) comes from one SQL
    aggregate; only a month whose fingerprint changed has its order read (ids, no records),
    and only those of its pages (see archive.month_parts) whose articles or links changed
    are rendered: a new article rewrites its month's newest page, not the full parts.
    """
    order = sorted(months)
    known: dict[str, str] = {} if restyled else last.get("months", {})
    known_pages: dict[str, str] = {} if restyled else last.get("pages", {})
    pages_of: dict[str, list[str]] = {}
    for path in known_pages:  # "archive/YYYY-MM.html" or "archive/YYYY-MM-<part>.html"
        pages_of.setdefault(path[len("archive/") :][:7], []).append(path)
    prints: dict[str, str] = {}
    page_prints: dict[str, str] = {}
    for index, month in enumerate(order):
        older = order[index - 1] if index else None
        newer = order[index + 1] if index + 1 < len(order) else None
        count, latest = months[month]
        prints[month] = f"{count} {latest} {newer} {older}"
        paths = pages_of.get(month, [])
        both = [*paths, *(_shard_path(p) for p in paths)]
        if paths and known.get(month) == prints[month] and all((out / p).exists() for p in both):
            page_prints.update((p, known_pages[p]) for p in paths)
            continue
        parts = month_parts(store.month_order(month))
        for position, (part, members) in enumerate(parts):
            # Pages run oldest first: the neighbours of a part are the parts beside it, and
            # past the ends, the newest page of the neighbouring month.
            before = (month, parts[position - 1][0]) if position else None
            after = (month, parts[position + 1][0]) if position + 1 < len(parts) else None
            before = before or ((older, 0) if older else None)
            after = after or ((newer, 0) if newer else None)
            path = month_path(month, part)
            page_prints[path] = hashlib.sha256(
                json.dumps([members, before, after]).encode("utf-8")
            ).hexdigest()
            shard = _shard_path(path)
            if (
                known_pages.get(path) != page_prints[path]
                or not (out / path).exists()
                or not (out / shard).exists()
            ):
                ids = [article_id for article_id, _ in members]
                entries = [listing.entry() for listing in store.light_articles(ids=ids)]
                files[path] = archive.month_page((month, part), entries, after, before)
                # The search index's shard of the same articles: read once, for both.
                files[shard] = search_shard(entries)
    gone = sorted(set(last.get("pages", ())) - set(page_prints))
    return prints, page_prints, [*gone, *(_shard_path(p) for p in gone)]


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
    digest = pending_digest(store, settings)
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
