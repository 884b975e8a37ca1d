"""The only place the stages are chained: sources -> clean -> summarize -> store -> outputs.

``build`` is one publish run. It reads only files whose size or mtime changed, cleans and
summarizes them (in a process pool for large batches), records them in the store, then
renders feeds, digest and archive and writes whatever changed atomically into the output
directory. The clock is passed in, so a run is a pure function of its inputs, state and ``now``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from http import HTTPStatus
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from . import mail, sources
from .archive import INDEX_SIZE, STYLESHEET, Archive, month_parts, month_path
from .clean import block_key, boilerplate_keys, clean, clean_document
from .config import Settings
from .digest import build_digest, digest_id_for
from .feeds import render_digests_feed, render_feeds
from .mail import SendReport, SubscriberReport, send_digest
from .models import Article, Block, Digest, Entry, RawDocument, Rejected, RunReport, Summary
from .publish import publish_staged, remove_stale_temps, run_lock, stage_file, write_files
from .sources import SourceFile
from .store import ArticleRecord, EncodedData, FileState, Store, Subscriber, TermCounts
from .summarize import choose_keywords, group_stories, summarize, summarize_text
from .templating import template_dirs

Progress = Callable[[int, int], None]

# What a build did, file by file, for `publisher build -v`.
log = logging.getLogger(__name__)

# A line is cross-document boilerplate when it recurs in at least this many *other*
# documents of the same group (two, so that one pair of related articles quoting the same
# sentence keeps it).
BOILERPLATE_MIN_OTHERS = 2
# Near-duplicate stories are looked for among this many most recent articles: the same event
# is reported within days, and the bound keeps a build's cost independent of the archive size.
STORY_WINDOW = 500
# Below this many documents a process pool costs more to start than it saves.
POOL_THRESHOLD = 64
DIGEST_FEED_ISSUES = 20
# The store's meta key holding the last render's signature and the outputs it wrote.
RENDER_META = "render"
# The store's meta key holding the ids of the articles a build saved whose cross-document
# pass and story grouping are not committed yet: what a build killed in between left undone.
UNFINISHED_META = "unfinished"
# Articles a worker reads (full records) and trims or renders at a time: no process holds
# many bodies, and each read connection serves a few dozen articles.
PAGE_CHUNK = 50

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Task:
    """One changed file to read, clean and summarize in a worker.

    ``known`` is the boilerplate the store remembers for the file's group (line keys,
    newline-joined: a string pickles far smaller than a set); ``stored_hash`` lets the worker
    stop early when only the file's mtime changed.
    """

    file: SourceFile
    known: str
    stored_hash: str | None
    sentences: int
    words: int
    max_bytes: int


@dataclass(frozen=True)
class Processed:
    """One file after the pure per-article stages. Its text stays in the worker: shipping it
    back would double the traffic and hold the whole batch in the parent's memory.

    ``keys`` are the document's boilerplate line keys, newline-joined; ``result`` is None when
    the content is unchanged since the store last saw it. Everything derived from the
    article alone (summary, block keys, body hash, the article's stored data) is computed
    here, in parallel, rather than in the parent, whose saving is serial. The article comes
    without its blocks: their text travels once, inside ``article_data`` (the whole article
    as ``article_to_data`` gives it, encoded by Store.encode_data), which the parent only
    stores.
    """

    file: SourceFile
    content_hash: str
    result: Article | Rejected | None
    summary: Summary | None
    keys: str = ""
    # The key of each of the article's blocks, in order, newline-joined: one string is
    # cheaper to unpickle, and to keep until the batch ends, than a string per block.
    block_keys: str = ""
    body_hash: str = ""
    article_data: str = ""


def process(task: Task) -> Processed:
    """Read, clean and summarize one file: pure, so it can run in any worker process.

    One read and one parse per file: the cleaner returns the document's boilerplate keys
    with the article. Workers read the file themselves, so tasks and results stay small
    whatever the size of the pages.
    """
    doc = sources.read(task.file, max_bytes=task.max_bytes)
    if isinstance(doc, Rejected):
        return Processed(task.file, "", doc, None)
    if doc.content_hash == task.stored_hash:
        return Processed(task.file, doc.content_hash, None, None)
    known = frozenset(task.known.split("\n")) if task.known else frozenset()
    result, keys = clean_document(doc, known_boilerplate=known)
    joined = _join(keys)
    if isinstance(result, Rejected):
        return Processed(task.file, doc.content_hash, result, None, joined)
    summary = summarize(result, sentences=task.sentences, words=task.words)
    block_keys = "\n".join(block_key(block.text) for block in result.blocks)
    return Processed(
        task.file,
        doc.content_hash,
        replace(result, blocks=()),
        summary,
        joined,
        block_keys,
        _body_hash(result),
        Store.encode_data(article_to_data(result)),
    )


def _map_chunk(fn: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [fn(item) for item in chunk]


@contextmanager
def workers(jobs: int, executor: Executor | None, count: int) -> Iterator[Executor | None]:
    """Where ``count`` tasks run: ``executor`` when given, else a process pool of ``jobs``
    workers (0: one per CPU) for batches worth its start-up, else None (this process)."""
    size = jobs or os.cpu_count() or 1
    if executor is not None or size == 1 or count < POOL_THRESHOLD:
        yield executor
        return
    with ProcessPoolExecutor(max_workers=size, initializer=_end_with_parent) as pool:
        yield pool


def _end_with_parent() -> None:
    """Pool initializer: end this worker once the process that started it is gone. Killed
    with SIGKILL, a build cannot shut its pool down, and its workers would wait for work
    forever, more of them with every kill."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:  # an orphan is given another parent
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def map_in_order(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> Iterator[R]:
    """``fn`` over ``items``, results yielded in order: here when ``executor`` is None, else
    on it.

    Items go out in chunks (fewer round trips; about four per worker so that a slow chunk
    does not leave the others idle), which suits a process pool and a dask cluster alike.
    Only a few chunks are in flight at once and the caller consumes results as they come,
    so a batch of any size never has all its articles in memory.
    """
    total, done = len(items), 0
    if executor is None:
        for item in items:
            yield fn(item)
            done += 1
            if progress:
                progress(done, total)
        return
    size = jobs or os.cpu_count() or 1
    chunk = max(1, min(64, total // (size * 4)))
    starts = iter(range(0, total, chunk))
    in_flight: deque[Future[list[R]]] = deque()

    def submit_next() -> None:
        start = next(starts, None)
        if start is not None:
            in_flight.append(executor.submit(_map_chunk, fn, items[start : start + chunk]))

    for _ in range(2 * size):
        submit_next()
    while in_flight:
        results = in_flight.popleft().result()
        submit_next()
        yield from results
        done += len(results)
        if progress:
            progress(done, total)


def build(
    settings: Settings,
    *,
    now: datetime,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> RunReport:
    """Publish the inputs into the output directory; return what was done.

    Cleaning and summarizing run on ``executor`` when given (any concurrent.futures
    Executor, e.g. a dask.distributed client's), else on a pool of ``settings.jobs`` worker
    processes. Workers read the input files themselves, so they must see the same paths.
    Raises LockedError when another run holds the lock, PublisherError on unusable state or
    output directories. Bad input files never raise: they are reported in ``skipped``.
    """
    now = now.astimezone(UTC).replace(microsecond=0)
    with run_lock(settings.paths.state), Store.open(settings.paths.state) as store:
        files, skipped_list = sources.discover(settings.paths.input)
        skipped: list[Rejected] = list(skipped_list)
        states = store.file_states()
        stale = []
        unchanged = 0
        for file in files:
            if not _storable(file):
                skipped.append(Rejected(_shown_path(file.path), "file name is not valid UTF-8"))
                continue
            state = states.get(file.key)
            if state and state.size == file.size and state.mtime == file.mtime:
                # A file skipped before (state.id None) too: it is not read again, and its
                # reason was reported on the run that read it; the counts still add up.
                unchanged += 1
            else:
                stale.append(file)
        log.debug(
            "%d input files: %d unchanged since the last run, %d to read",
            len(files),
            len(files) - len(stale),
            len(stale),
        )
        tasks = _tasks(store, stale, states, settings)
        batch = _Batch(store, now, len(tasks), skipped, known=states.keys())
        with workers(settings.jobs, executor, len(tasks)) as pool:
            with store.transaction():
                for item in map_in_order(
                    process, tasks, jobs=settings.jobs, executor=pool, progress=progress
                ):
                    batch.add(item)
                batch.flush()
                saved = _unfinished(store, batch.saved)
            del tasks
            # Later stages read records in the workers: only our own pool's see the state.
            local = pool if executor is None else None
            _drop_recurring(store, saved, settings, local)
            new, changed = batch.new, batch.changed
            unchanged += batch.unchanged
            if saved:
                with store.transaction():
                    _group_stories(store)
                    store.set_meta(UNFINISHED_META, "[]")
            written = _render(store, settings, local)
    return RunReport(
        seen=len(files),
        new=new,
        changed=changed,
        unchanged=unchanged,
        skipped=tuple(skipped),
        written=tuple(written),
    )


def _storable(file: SourceFile) -> bool:
    """Whether the store can record ``file``: its key and path are kept as UTF-8 text, and
    a name with bytes that are not UTF-8 (decoded by Python to lone surrogates) is not."""
    try:
        file.key.encode("utf-8")
        file.path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown_path(path: str) -> str:
    """``path`` printable: bytes that are not UTF-8 shown as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _tasks(
    store: Store, files: Sequence[SourceFile], states: dict[str, FileState], settings: Settings
) -> list[Task]:
    """A task per changed file, carrying the boilerplate its group is known to have."""
    known: dict[str, tuple[str, str]] = {}
    tasks = []
    for file in files:
        if file.group not in known:
            counts = store.recurring_keys(file.group)
            known[file.group] = (
                _join(k for k, n in counts.items() if n >= BOILERPLATE_MIN_OTHERS),
                _join(k for k, n in counts.items() if n >= BOILERPLATE_MIN_OTHERS + 1),
            )
        state = states.get(file.key)
        seen_before = bool(state and state.id)
        tasks.append(
            Task(
                file,
                # A file seen before may be one of a key's documents itself: it needs one
                # more. Keys this batch makes recurring are dropped after it (_drop_recurring).
                known[file.group][seen_before],
                state.content_hash if state and seen_before else None,
                settings.summary.sentences,
                settings.summary.words,
                settings.sources.max_bytes,
            )
        )
    return tasks


def _unfinished(store: Store, saved: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """``saved`` (id -> group and block keys, newline-joined, of each article this build
    saved) with the articles an earlier build saved but was killed before finishing; all of
    them are remembered until the story grouping commits. Call it in the saving transaction.

    The cross-document pass and the story grouping commit after the articles (the trimming
    workers read committed records), and a file once saved is not read again: without this,
    a build killed in between would leave boilerplate in those articles for good. Trimming
    an article twice drops nothing more: what is left of it recurs too little.
    """
    left = [i for i in json.loads(store.meta(UNFINISHED_META) or "[]") if i not in saved]
    every = dict(saved)
    for article_id, record in (store.articles_by_id(left) if left else {}).items():
        # The keys of the blocks as stored, in order: positions index them.
        blocks = record.data["article"]["blocks"]
        every[article_id] = (record.group, "\n".join(block_key(text) for _, text in blocks))
    if every:
        store.set_meta(UNFINISHED_META, json.dumps(sorted(every)))
    return every


def _drop_recurring(
    store: Store,
    saved: dict[str, tuple[str, str]],
    settings: Settings,
    pool: Executor | None = None,
) -> None:
    """Drop, from the articles this build saved, the blocks that recur in other documents
    of the same group.

    Workers clean with what the store knew before this batch; the batch itself is evidence
    too (a cold build of a site's archive has nothing remembered yet). ``saved`` maps each
    saved article's id to its group and block keys (newline-joined). A block goes when its
    key is now seen in at least BOILERPLATE_MIN_OTHERS other documents of its group; an
    article that would lose every block keeps them (it is a republished story, not
    boilerplate). The summary is made again only when it quoted a dropped block; terms and
    keywords stay as first chosen (the dropped lines recur across the group, so they weigh
    little in TF-IDF). The trimming runs on ``pool`` when given; only this process writes.
    """
    counts: dict[str, dict[str, int]] = {}
    trims: list[tuple[str, frozenset[int]]] = []  # article id, positions of its blocks to drop
    for article_id, (group, joined) in saved.items():
        keys = _split(joined)
        if group not in counts:
            counts[group] = store.recurring_keys(group, min_docs=BOILERPLATE_MIN_OTHERS + 1)
        dropped = frozenset(i for i, key in enumerate(keys) if key in counts[group])
        if 0 < len(dropped) < len(keys):
            trims.append((article_id, dropped))
    if trims:
        log.debug("%d articles lose blocks that recur across their site", len(trims))
    chunks = [trims[start : start + PAGE_CHUNK] for start in range(0, len(trims), PAGE_CHUNK)]
    trimmed = map_in_order(partial(_trim, settings), chunks, jobs=settings.jobs, executor=pool)
    with store.transaction():
        for article_id, body_hash, data in chain.from_iterable(trimmed):
            store.replace_article_data(article_id, body_hash, data)


def _trim(
    settings: Settings, trims: Sequence[tuple[str, frozenset[int]]]
) -> list[tuple[str, str, str]]:
    """Each article of ``trims`` without the blocks at the given positions: its id, body
    hash and encoded data (see Store.encode_data), with a new summary when the old one
    quoted a dropped block. Reads the records itself, from a read-only connection."""
    with Store.reading(settings.paths.state) as store:
        records = store.articles_by_id(article_id for article_id, _ in trims)
    result = []
    for article_id, drops in trims:
        data = dict(records[article_id].data)
        # The stored data is edited as it is: an Article is made only to summarize again.
        blocks = data["article"]["blocks"]
        dropped = [text for i, (_, text) in enumerate(blocks) if i in drops]
        kept = [block for i, block in enumerate(blocks) if i not in drops]
        data["article"] = dict(data["article"], blocks=kept)
        # A sentence cut to the word budget ends in an ellipsis its block lacks.
        quoted = [s.rstrip("…").rstrip() for s in data["summary"]]
        if any(q in text for text in dropped for q in quoted):
            summary = summarize(
                article_from_data(data["article"]),
                sentences=settings.summary.sentences,
                words=settings.summary.words,
            )
            data.update(summary=list(summary.sentences), reading_minutes=summary.reading_minutes)
        body_hash = _text_hash(data["article"]["title"], [text for _, text in kept])
        result.append((article_id, body_hash, Store.encode_data(data)))
    return result


def _join(keys: Iterable[str]) -> str:
    return "\n".join(sorted(keys))


def _split(keys: str) -> list[str]:
    return keys.split("\n") if keys else []


class _Batch:
    """Saves one build's processed files as they arrive, in key order, and counts them.

    Every article first seen or changed in this run gets its own second, in key order,
    after the newest time already stored: feed readers need distinct ``updated`` instants,
    and the same inputs and state must give the same times.
    """

    def __init__(
        self,
        store: Store,
        now: datetime,
        task_count: int,
        skipped: list[Rejected],
        *,
        known: Collection[str],
    ):
        self.store, self.skipped = store, skipped
        # Keys of the files the store has a record of: only those can have old line keys.
        self.known = known
        latest = store.latest_change()
        self.start = now - timedelta(seconds=max(task_count - 1, 0))
        if latest is not None and self.start <= latest:
            self.start = latest + timedelta(seconds=1)
        self.tick = self.new = self.changed = self.unchanged = 0
        # Counted once and kept up to date here: a COUNT(*) per saved article made a cold
        # build quadratic in the archive size.
        self.published_count = store.article_count()
        # Id -> (group, block keys) of every article saved, for the cross-document pass.
        self.saved: dict[str, tuple[str, str]] = {}
        self.terms = TermCounts(store)

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
        first = file.key not in self.known
        store.record_boilerplate(file.group, file.key, _split(item.keys), first=first)
        assert item.summary is not None
        existing = None if first else store.article_by_key(file.key)
        body_hash = item.body_hash
        if existing is not None and existing.body_hash == body_hash:
            # Only the boilerplate around the article changed: nothing to republish.
            store.save_article(
                replace(existing, content_hash=item.content_hash), size=file.size, mtime=file.mtime
            )
            log.debug("same article, other boilerplate: %s", file.path)
            self.unchanged += 1
            return
        stamp = self.start + timedelta(seconds=self.tick)
        self.tick += 1
        record = _record(store, self.terms, item, existing, body_hash, stamp, self.published_count)
        store.save_article(record, size=file.size, mtime=file.mtime, first=first)
        self.saved[record.id] = (file.group, item.block_keys)
        self.published_count += (record.duplicate_of is None) - (
            existing is not None and existing.duplicate_of is None
        )
        if existing is None:
            self.new += 1
        else:
            self.changed += 1
        log.debug("%s: %s (%s)", "new" if existing is None else "changed", file.path, record.slug)

    def flush(self) -> None:
        """Write what is still only counted in memory (the term counts): call it after the
        last ``add``, in the same transaction."""
        self.terms.flush()


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
        terms.add((t for t, _ in existing.data.get("terms", ())), -1)
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
        slug=existing.slug if existing else slug_for(article.title, article_id),
        content_hash=item.content_hash,
        body_hash=body_hash,
        first_seen=first_seen,
        last_changed=stamp,
        published=article.published or first_seen,
        duplicate_of=original.id if original is not None else None,
        story=existing.story if existing else None,
        digest_id=existing.digest_id if existing else None,
        data=EncodedData(
            _with_article(
                item.article_data,
                {
                    "summary": list(summary.sentences),
                    "keywords": list(keywords),
                    "reading_minutes": summary.reading_minutes,
                    "terms": [list(pair) for pair in summary.terms],
                    "fingerprint": list(summary.fingerprint),
                },
            )
        ),
    )


def _with_article(article_data: str, data: dict[str, Any]) -> str:
    """``data`` with the article's, encoded as Store.encode_data encodes the whole: the
    article's data (``article_data``) comes encoded already, and its key sorts before every
    other key of a payload."""
    assert all(key > "article" for key in data)
    rest = Store.encode_data(data)
    return '{"article": ' + article_data + (", " + rest[1:] if data else "}")


def _group_stories(store: Store) -> None:
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


def _render(store: Store, settings: Settings, pool: Executor | None = None) -> list[str]:
    """Render every output that may have changed and write those whose bytes did.

    Skipped outright when no article waits for its page, neither the presentation (code,
    templates, settings) nor the stored data changed since the last render, and its outputs
    all still exist: a no-op build reads no article at all. Otherwise only what can have
    changed is read and rendered: the pages of articles saved since (all of them when the
    presentation changed), the months whose articles changed, the index's newest entries,
    the pending digest's shown entries and the feeds' newest entries. What still grows with
    the archive is cheap: SQL aggregates, the list of slugs and one directory listing (to
    restore deleted pages), and the ids of articles not yet in a digest. Article pages are
    rendered and written on ``pool`` when given.
    """
    out = settings.paths.out
    for directory in (out, out / "articles", out / "archive", out / "digests"):
        remove_stale_temps(directory)  # left by a run that was killed while writing
    pending = set(store.unrendered())
    presentation, data = _presentation_signature(settings), store.data_version()
    last = json.loads(store.meta(RENDER_META) or "{}")
    restyled = last.get("presentation") != presentation
    pages = store.pages()
    missing = _missing_pages(out, pages)
    if (
        not pending
        and not restyled
        and not missing
        and last.get("data") == data
        and all((out / name).exists() for name in last.get("files", ()))
    ):
        log.debug("nothing to render: no article, setting or template changed")
        return []
    archive = _archive(settings, presentation)
    stale = set(pages.values()) if restyled else pending | {pages[slug] for slug in missing}
    written = _write_article_pages(settings, presentation, sorted(stale), pool)
    files: dict[str, bytes] = {STYLESHEET: archive.stylesheet()}
    months = store.months()
    month_prints, page_prints = _month_pages(
        store, archive, months, last, files, out, restyled=restyled
    )
    newest = [entry_from_record(r) for r in store.light_articles(limit=INDEX_SIZE)]
    files["index.html"] = archive.index_page(newest, {m: n for m, (n, _) in months.items()})
    files.update(_digest_files(store, settings))
    files["digests.atom"] = render_digests_feed(store.digests(limit=DIGEST_FEED_ISSUES), settings)
    # Feeds last: a reader that fetches a feed mid-run finds every page it links to.
    feed = [entry_from_record(r) for r in store.articles(limit=settings.feed.max_entries)]
    files.update(render_feeds(feed, settings))
    written += write_files(out, files)
    with store.transaction():
        store.mark_rendered(pending)
        outputs = sorted({*files, *page_prints})
        store.set_meta(
            RENDER_META,
            json.dumps(
                {
                    "presentation": presentation,
                    "data": data,
                    "files": outputs,
                    "months": month_prints,
                    "pages": page_prints,
                }
            ),
        )
    return written


def _write_article_pages(
    settings: Settings, presentation: str, ids: Sequence[str], pool: Executor | None
) -> list[str]:
    """Render and write the pages of ``ids`` on ``pool``, or on a pool of their own when there
    are many (a new template re-renders every page of the archive), PAGE_CHUNK at a time:
    only ids and file names cross between processes, and no process holds many bodies."""
    chunks = [ids[start : start + PAGE_CHUNK] for start in range(0, len(ids), PAGE_CHUNK)]
    with workers(settings.jobs, pool, len(ids)) as render_pool:
        staged = map_in_order(
            partial(_stage_article_pages, settings, presentation),
            chunks,
            jobs=settings.jobs,
            executor=render_pool,
        )
        return publish_staged(settings.paths.out, chain.from_iterable(staged))


def _stage_article_pages(
    settings: Settings, presentation: str, ids: Sequence[str]
) -> list[tuple[str, str | None]]:
    """Render the pages of ``ids``, each with the other reports of its story (the report it
    follows and those that follow it), and stage them (see publish.stage_file): the page
    paths with their temporaries, by id. Reads the records itself, from a read-only
    connection: workers need nothing but the ids."""
    with Store.reading(settings.paths.state) as store:
        entries = {i: entry_from_record(record) for i, record in store.articles_by_id(ids).items()}
        followers: dict[str, list[Entry]] = {}
        for record in store.light_articles(stories=entries):
            followers.setdefault(record.story or "", []).append(entry_from_record(record))
        leader_ids = {e.story for e in entries.values() if e.story} - set(entries)
        leaders = {i: entry_from_record(r) for i, r in store.articles_by_id(leader_ids).items()}
    leaders.update(entries)
    staged = []
    for entry_id in sorted(entries):
        entry = entries[entry_id]
        also = followers.get(entry_id, [])
        related = also + ([leaders[entry.story]] if entry.story in leaders else [])
        page = _archive(settings, presentation).article_page(
            replace(entry, also=tuple(e.id for e in also)), related
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
) -> tuple[dict[str, str], dict[str, str]]:
    """Add to ``files`` the month pages whose articles or neighbours changed since the last
    render (``last``; every page when ``restyled``) or that are missing; remove pages no month
    has any more. Returns every month's fingerprint and every page's.

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
        if paths and known.get(month) == prints[month] and all((out / p).exists() for p in paths):
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
            if known_pages.get(path) != page_prints[path] or not (out / path).exists():
                ids = [article_id for article_id, _ in members]
                entries = [entry_from_record(r) for r in store.light_articles(ids=ids)]
                files[path] = archive.month_page((month, part), entries, after, before)
    gone = set(last.get("pages", ())) - set(page_prints)
    for path in gone:
        with suppress(FileNotFoundError):
            (out / path).unlink()
    return prints, page_prints


def _missing_pages(out: Path, pages: Iterable[str]) -> set[str]:
    """Slugs whose page is not in the output directory (one directory listing, no stats)."""
    try:
        present = {e.name for e in os.scandir(out / "articles")}
    except FileNotFoundError:
        present = set()
    return {slug for slug in pages if f"{slug}.html" not in present}


def _presentation_signature(settings: Settings) -> str:
    """What every page's look is a function of: the program's code, the templates and the
    settings that reach the outputs. When it changes, every page is rendered again."""
    digest = hashlib.sha256()
    # Where inputs, outputs and state live changes no byte of a page: moving them must not
    # re-render the archive. (The templates directory is hashed by content below.)
    paths = replace(settings.paths, input=(), out=Path(), state=Path())
    shown = replace(settings, jobs=0, config_path=None, paths=paths)
    digest.update(repr(shown).encode("utf-8"))
    package = Path(__file__).resolve().parent
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


def pending_digest(store: Store, settings: Settings) -> Digest | None:
    """The digest that ``send`` would deliver now: every article not yet in an issue.

    Only the newest are loaded (light: a digest shows summaries, not bodies), twice as many
    as an issue shows so that reports of the same story can be grouped under their leader;
    the others join the issue as "more stories in the archive".
    """
    waiting = store.undigested_ids()
    if not waiting:
        return None
    shown = [
        entry_from_record(r)
        for r in store.light_articles(undigested=True, limit=2 * settings.digest.max_items)
    ]
    rest = waiting - {e.id for e in shown}
    # Dated by its newest entry rather than the clock, so an unchanged input rebuilds the
    # same bytes; in the schedule's zone, so a morning digest carries its readers' date.
    newest = store.undigested_latest_change() or max(e.updated for e in shown)
    when = newest.astimezone(settings.schedule.zone())
    digest_id = digest_id_for(when, store.digest_ids_on(when.date().isoformat()))
    return build_digest(shown, settings, digest_id=digest_id, now=when, more_ids=sorted(rest))


# -- send -----------------------------------------------------------------------------------


def send(
    settings: Settings,
    *,
    now: Callable[[], datetime],
    dry_run: bool = False,
    new_issue: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SendReport]:
    """Deliver the digest: finish every issue still pending for some subscriber, then freeze
    the entries not yet in an issue into a new one, archive it and deliver it.

    Nothing new and nothing unfinished: no issue, an empty list. With ``new_issue`` false,
    only the unfinished issues are delivered (a retry after temporary failures). With
    ``dry_run`` nothing is frozen, written or sent; the reports say who would get what.
    Raises LockedError when another run holds the lock, DeliveryError when the SMTP server
    refuses our login or sender.
    """
    with run_lock(settings.paths.state), Store.open(settings.paths.state) as store:
        unfinished = store.incomplete_digests()
        issues = [issue for issue in store.digests() if issue.id in unfinished]
        reports = [
            send_digest(issue, store, settings, now=now, dry_run=dry_run, sleep=sleep)
            for issue in sorted(issues, key=lambda issue: unfinished.index(issue.id))
        ]
        if not new_issue:
            return reports
        digest = pending_digest(store, settings)
        if digest is None:
            return reports
        if not dry_run:
            # The issue and its recipient list in one transaction, so that a crash at any
            # later point leaves an issue the next run resumes, never entries lost or doubled.
            with store.transaction():
                store.save_digest(
                    digest.id,
                    digest.created,
                    digest.subject,
                    digest.entry_ids,
                    digest.html,
                    digest.text,
                    digest.message,
                )
                store.queue_deliveries(digest.id, now())
            # Archived and listed at once, not at the next build: a daemon running only the
            # digest job builds once a day. (The same bytes a build renders: it rewrites none.)
            write_files(
                settings.paths.out,
                {
                    f"digests/{digest.id}.html": digest.html.encode("utf-8"),
                    "digests.atom": render_digests_feed(
                        store.digests(limit=DIGEST_FEED_ISSUES), settings
                    ),
                },
            )
        reports.append(send_digest(digest, store, settings, now=now, dry_run=dry_run, sleep=sleep))
    return reports


# -- subscribers ----------------------------------------------------------------------------


def list_subscribers(settings: Settings, *, everyone: bool = False) -> list[Subscriber]:
    """Active subscribers (with ``everyone``, unsubscribed addresses too), by address."""
    with Store.open(settings.paths.state) as store:
        return store.subscribers(status=None if everyone else "active")


def add_subscribers(
    settings: Settings, addresses: Sequence[str], now: datetime
) -> SubscriberReport:
    """Subscribe addresses (re-subscribing unsubscribed ones: the user asked explicitly)."""
    with Store.open(settings.paths.state) as store:
        return mail.add_subscribers(store, addresses, now)


def remove_subscribers(
    settings: Settings, addresses: Sequence[str], now: datetime
) -> list[tuple[str, bool]]:
    """Unsubscribe addresses; returns (address, was it active) for each."""
    with Store.open(settings.paths.state) as store:
        return [(a, mail.remove_subscriber(store, a, now)) for a in addresses]


def import_subscribers(settings: Settings, csv_path: Path, now: datetime) -> SubscriberReport:
    """Subscribe every valid address of a CSV file; unsubscribed addresses stay unsubscribed."""
    with Store.open(settings.paths.state) as store:
        return mail.import_csv(store, csv_path, now)


def unsubscribe_endpoint(
    settings: Settings, clock: Callable[[], datetime]
) -> tuple[str, Callable[[str, bool], tuple[HTTPStatus, bytes]]]:
    """Where the digest's unsubscribe link points (the URL path under ``base_url``) and what
    answers it: (query string, confirm) -> (status, page); see ``unsubscribe_page``."""
    path = urlsplit(mail.unsubscribe_link(settings, None, None)).path

    def answer(query: str, confirm: bool) -> tuple[HTTPStatus, bytes]:
        return unsubscribe_page(settings, query, confirm=confirm, now=clock())

    return path, answer


def unsubscribe_page(
    settings: Settings, query: str, *, confirm: bool, now: datetime
) -> tuple[HTTPStatus, bytes]:
    """Answer a request to a digest's unsubscribe link (``query`` is its query string: the
    address and the token that proves the link was ours): the HTTP status and the page.

    To ``confirm`` (a POST: a mail provider's RFC 8058 one-click, or the page's button), a
    valid link unsubscribes the address. Otherwise (a GET: the reader's click, or a scanner
    that fetches every link in a message) the page only asks to confirm, so nothing that
    merely fetches links can unsubscribe anyone. A forged or damaged link is refused; a link
    without an address says how to unsubscribe.
    """
    archive = Archive(settings)
    page = partial(
        archive.unsubscribe_page,
        url=mail.unsubscribe_link(settings, None, None),
        mailbox=mail.sender_address(settings),
    )
    try:
        fields = parse_qs(query, max_num_fields=4)
    except ValueError:  # more fields than a link of ours has
        fields = {}
    raw = fields.get("address", [""])[0]
    token = fields.get("token", [""])[0]
    if not raw:
        return (HTTPStatus.BAD_REQUEST if confirm else HTTPStatus.OK), page("help")
    address = None
    # No state, no subscribers: an unsubscribe request must not create the database.
    if settings.paths.state.exists():
        with Store.open(settings.paths.state) as store:
            address = mail.unsubscribe_address(store, raw, token)
            if address and confirm:
                mail.remove_subscriber(store, address, now)
    if address is None:
        return HTTPStatus.FORBIDDEN, page("invalid")
    if confirm:
        log.info("unsubscribed %s by its link", address)
        return HTTPStatus.OK, page("done", address=address)
    action = mail.unsubscribe_link(settings, address, token)
    return HTTPStatus.OK, page("confirm", address=address, action=action)


# -- identity -------------------------------------------------------------------------------


def article_id_for(source_key: str) -> str:
    """A short id from the file's key: the same on every machine and checkout path."""
    return hashlib.sha256(("publisher:" + source_key).encode("utf-8")).hexdigest()[:16]


def slug_for(title: str, article_id: str) -> str:
    """A readable, unique file name: ASCII words of the title plus a piece of the id."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    words = words[:60].rsplit("-", 1)[0] if len(words) > 60 else words
    return f"{words}-{article_id[:6]}" if words else article_id


def _body_hash(article: Article) -> str:
    return _text_hash(article.title, [block.text for block in article.blocks])


def _text_hash(title: str, blocks: Sequence[str]) -> str:
    """The body hash of an article with this title and these block texts (see Article.body):
    of the text with every run of white space made one space, ends stripped."""
    text = " ".join([title, *blocks])
    # The cleaner's texts come with their spaces folded already: splitting them again into
    # words (a list of a thousand strings) cost more than the hash. A printable text holds no
    # white space but the plain space, so these C scans prove the split would change nothing.
    if not text.isprintable() or "  " in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- stored data <-> models -----------------------------------------------------------------


def article_to_data(article: Article) -> dict[str, Any]:
    """The article as JSON-ready data (the store's payload)."""
    return {
        "source": article.source,
        "key": article.key,
        "title": article.title,
        "blocks": [[b.kind, b.text] for b in article.blocks],
        "published": article.published.isoformat() if article.published else None,
        "author": article.author,
        "site": article.site,
        "url": article.url,
        "language": article.language,
    }


def article_from_data(data: dict[str, Any]) -> Article:
    """The article from its JSON-ready data (the inverse of ``article_to_data``)."""
    return Article(
        source=data["source"],
        key=data["key"],
        title=data["title"],
        # Light records (Store.light_articles) come without blocks.
        blocks=tuple(Block(kind, text) for kind, text in data.get("blocks", ())),
        published=datetime.fromisoformat(data["published"]) if data["published"] else None,
        author=data["author"],
        site=data["site"],
        url=data["url"],
        language=data["language"],
    )


def entry_from_record(record: ArticleRecord) -> Entry:
    """An Entry from the store's record of an article."""
    data = record.data
    return Entry(
        id=record.id,
        slug=record.slug,
        article=article_from_data(data["article"]),
        summary=tuple(data["summary"]),
        keywords=tuple(data["keywords"]),
        reading_minutes=data["reading_minutes"],
        published=record.published,
        updated=record.last_changed,
        first_seen=record.first_seen,
        story=record.story,
    )


# -- one-off commands -------------------------------------------------------------------------


def clean_paths(paths: Sequence[Path], settings: Settings) -> Iterator[Article | Rejected]:
    """Clean files or directories without publishing: the unreadable files first (Rejected),
    then the others in key order.

    Boilerplate recurring across the given files counts as cross-document evidence, as does
    what the state store remembers when it exists (it is read, never written, here).
    """
    docs, rejected = _read_all(paths, settings)
    yield from rejected
    for doc, known in _batch_evidence(docs, settings):
        yield clean(doc, known_boilerplate=known)


def summarize_paths(
    paths: Sequence[Path], settings: Settings, *, sentences: int, words: int, no_clean: bool
) -> Iterator[tuple[str, str | None, tuple[str, ...]] | Rejected]:
    """(source, title, summary sentences) for each file, or Rejected: the unreadable files
    first, then the others in key order.

    With ``no_clean`` each file is taken as an already clean body with no title line.
    """
    docs, rejected = _read_all(paths, settings)
    yield from rejected
    if no_clean:
        for doc in docs:
            yield doc.source, None, summarize_text(doc.text, sentences=sentences, words=words)
        return
    for doc, known in _batch_evidence(docs, settings):
        result = clean(doc, known_boilerplate=known)
        if isinstance(result, Rejected):
            yield result
        else:
            summary = summarize(result, sentences=sentences, words=words)
            yield doc.source, result.title, summary.sentences


def _read_all(
    paths: Sequence[Path], settings: Settings
) -> tuple[list[RawDocument], list[Rejected]]:
    files, rejected = sources.discover(paths)
    docs: list[RawDocument] = []
    for file in files:
        doc = sources.read(file, max_bytes=settings.sources.max_bytes)
        (rejected if isinstance(doc, Rejected) else docs).append(doc)  # type: ignore[arg-type]
    return docs, rejected


def _batch_evidence(
    docs: Sequence[RawDocument], settings: Settings
) -> Iterator[tuple[RawDocument, frozenset[str]]]:
    keys = {doc.key: boilerplate_keys(doc) for doc in docs}
    counts: dict[tuple[str, str], int] = {}
    for doc in docs:
        for key in keys[doc.key]:
            counts[doc.group, key] = counts.get((doc.group, key), 0) + 1
    remembered: dict[str, dict[str, int]] = {}
    if settings.paths.state.exists():
        with Store.open(settings.paths.state) as store:
            for group in {doc.group for doc in docs}:
                remembered[group] = store.recurring_keys(group)
    for doc in docs:
        memory = remembered.get(doc.group, {})
        known = frozenset(
            key
            for key in keys[doc.key]
            if counts[doc.group, key] - 1 >= BOILERPLATE_MIN_OTHERS
            or memory.get(key, 0) - 1 >= BOILERPLATE_MIN_OTHERS
        )
        yield doc, known
