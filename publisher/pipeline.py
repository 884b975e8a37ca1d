"""The only place the stages are chained: sources -> clean -> summarize -> store -> outputs.

``build`` is one publish run. It reads only files whose size or mtime changed, cleans and
summarizes them (in a process pool for large batches), records them in the store, then
renders feeds, digest and archive and writes whatever changed atomically into the output
directory. The clock is passed in, so a run is a pure function of its inputs, state and ``now``.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import sources
from .archive import STYLESHEET, Archive
from .clean import boilerplate_keys, clean
from .config import Settings
from .digest import build_digest, digest_id_for
from .feeds import render_digests_feed, render_feeds
from .mail import SendReport, send_digest
from .models import Article, Block, Digest, Entry, RawDocument, Rejected, RunReport, Summary
from .publish import run_lock, write_files
from .store import ArticleRecord, Store
from .summarize import choose_keywords, group_stories, summarize, summarize_text

Progress = Callable[[int, int], None]

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


@dataclass(frozen=True)
class Processed:
    """One document after the pure per-article stages."""

    doc: RawDocument
    result: Article | Rejected
    summary: Summary | None


def process(doc: RawDocument, known: frozenset[str], sentences: int, words: int) -> Processed:
    """Clean and summarize one document: pure, so it can run in any worker process."""
    result = clean(doc, known_boilerplate=known)
    if isinstance(result, Rejected):
        return Processed(doc, result, None)
    return Processed(doc, result, summarize(result, sentences=sentences, words=words))


def _process_task(task: tuple[RawDocument, frozenset[str], int, int]) -> Processed:
    return process(*task)


def run_stages(
    tasks: Sequence[tuple[RawDocument, frozenset[str], int, int]],
    *,
    jobs: int,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> list[Processed]:
    """Run ``process`` over tasks, in order, on ``executor`` or a pool of ``jobs`` workers."""
    total = len(tasks)
    results: list[Processed] = []
    own_pool: Executor | None = None
    if executor is None and jobs != 1 and total >= POOL_THRESHOLD:
        own_pool = executor = ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1)
    try:
        if executor is None:
            mapped: Iterable[Processed] = map(_process_task, tasks)
        else:
            chunk = max(1, min(64, total // ((jobs or os.cpu_count() or 1) * 4) or 1))
            mapped = executor.map(_process_task, tasks, chunksize=chunk)
        for done, item in enumerate(mapped, 1):
            results.append(item)
            if progress:
                progress(done, total)
    finally:
        if own_pool is not None:
            own_pool.shutdown()
    return results


def build(
    settings: Settings,
    *,
    now: datetime,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> RunReport:
    """Publish the inputs into the output directory; return what was done.

    Raises LockedError when another run holds the lock, PublisherError on unusable state or
    output directories. Bad input files never raise: they are reported in ``skipped``.
    """
    now = now.astimezone(UTC).replace(microsecond=0)
    with run_lock(settings.paths.state), Store.open(settings.paths.state) as store:
        files, skipped_list = sources.discover(settings.paths.input)
        skipped: list[Rejected] = list(skipped_list)
        states = store.file_states()
        todo: list[RawDocument] = []
        unchanged = 0
        with store.transaction():
            for file in files:
                state = states.get(file.key)
                if state and state.size == file.size and state.mtime == file.mtime:
                    unchanged += state.id is not None
                    continue
                doc = sources.read(file, max_bytes=settings.sources.max_bytes)
                if isinstance(doc, Rejected):
                    store.record_rejection(file.key, file.size, file.mtime, doc.reason)
                    skipped.append(doc)
                elif state and state.id and state.content_hash == doc.content_hash:
                    store.touch_file(file.key, file.size, file.mtime)
                    unchanged += 1
                else:
                    todo.append(doc)
            keys = {doc.key: boilerplate_keys(doc) for doc in todo}
            for doc in todo:
                store.record_boilerplate(doc.group, doc.key, keys[doc.key])

        tasks = _tasks(store, todo, keys, settings)
        processed = run_stages(tasks, jobs=settings.jobs, executor=executor, progress=progress)
        new, changed, saved = _save(store, processed, skipped, now)
        unchanged += (
            len(processed) - new - changed - sum(isinstance(p.result, Rejected) for p in processed)
        )
        if saved:
            _group_stories(store)
        written = _render(store, settings)
    return RunReport(
        seen=len(files),
        new=new,
        changed=changed,
        unchanged=unchanged,
        skipped=tuple(skipped),
        written=tuple(written),
    )


def _tasks(
    store: Store,
    docs: Sequence[RawDocument],
    keys: dict[str, frozenset[str]],
    settings: Settings,
) -> list[tuple[RawDocument, frozenset[str], int, int]]:
    recurring: dict[str, dict[str, int]] = {}
    tasks = []
    for doc in docs:
        if doc.group not in recurring:
            recurring[doc.group] = store.recurring_keys(doc.group)
        counts = recurring[doc.group]
        # The store's counts include this document itself, recorded just before.
        known = frozenset(
            key for key in keys[doc.key] if counts.get(key, 0) - 1 >= BOILERPLATE_MIN_OTHERS
        )
        tasks.append((doc, known, settings.summary.sentences, settings.summary.words))
    return tasks


def _save(
    store: Store, processed: Sequence[Processed], skipped: list[Rejected], now: datetime
) -> tuple[int, int, bool]:
    """Record processed documents; returns (new, changed, anything saved)."""
    new = changed = 0
    # Every article first seen or changed in this run gets its own second, in key order,
    # after the newest time already stored: feed readers need distinct `updated` instants,
    # and the same inputs and state must give the same times.
    latest = store.latest_change()
    count = sum(isinstance(p.result, Article) for p in processed)
    start = now - timedelta(seconds=max(count - 1, 0))
    if latest is not None and start <= latest:
        start = latest + timedelta(seconds=1)
    tick = 0
    with store.transaction():
        for item in processed:
            doc, result = item.doc, item.result
            existing = store.article_by_key(doc.key)
            if isinstance(result, Rejected):
                store.record_rejection(doc.key, doc.size, doc.mtime, result.reason)
                skipped.append(result)
                continue
            assert item.summary is not None
            body_hash = _body_hash(result)
            if existing is not None and existing.body_hash == body_hash:
                # Only the boilerplate around the article changed: nothing to republish.
                store.touch_file(doc.key, doc.size, doc.mtime)
                store.save_article(
                    replace(existing, content_hash=doc.content_hash), size=doc.size, mtime=doc.mtime
                )
                continue
            stamp = start + timedelta(seconds=tick)
            tick += 1
            record = _record(store, doc, result, item.summary, existing, body_hash, stamp)
            store.save_article(record, size=doc.size, mtime=doc.mtime)
            if existing is None:
                new += 1
            else:
                changed += 1
    return new, changed, bool(new or changed)


def _record(
    store: Store,
    doc: RawDocument,
    article: Article,
    summary: Summary,
    existing: ArticleRecord | None,
    body_hash: str,
    stamp: datetime,
) -> ArticleRecord:
    terms = [term for term, _ in summary.terms]
    if existing is not None:
        store.add_terms((t for t, _ in existing.data.get("terms", ())), -1)
    store.add_terms(terms)
    frequencies = store.term_frequencies(terms)
    keywords = choose_keywords(summary.terms, frequencies, max(store.article_count(), 1) + 1)
    article_id = existing.id if existing else article_id_for(doc.key)
    original = store.original_of(body_hash, doc.key)
    first_seen = existing.first_seen if existing else stamp
    return ArticleRecord(
        id=article_id,
        source_key=doc.key,
        source=doc.source,
        group=doc.group,
        slug=existing.slug if existing else slug_for(article.title, article_id),
        content_hash=doc.content_hash,
        body_hash=body_hash,
        first_seen=first_seen,
        last_changed=stamp,
        published=article.published or first_seen,
        duplicate_of=original.id if original is not None else None,
        story=existing.story if existing else None,
        digest_id=existing.digest_id if existing else None,
        data={
            "article": article_to_data(article),
            "summary": list(summary.sentences),
            "keywords": list(keywords),
            "reading_minutes": summary.reading_minutes,
            "terms": [list(pair) for pair in summary.terms],
            "fingerprint": list(summary.fingerprint),
        },
    )


def _group_stories(store: Store) -> None:
    recent = store.articles(limit=STORY_WINDOW)
    # Oldest first, so that the leader of a story is the first report of it.
    recent.sort(key=lambda r: (r.first_seen, r.id))
    leaders = group_stories([tuple(r.data.get("fingerprint", ())) for r in recent])
    with store.transaction():
        for index, record in enumerate(recent):
            leader = leaders[index]
            story = recent[leader].id if leader != index else None
            if story != record.story:
                store.set_story(record.id, story)


def _render(store: Store, settings: Settings) -> list[str]:
    records = store.articles()
    entries = [entry_from_record(r) for r in records]
    followers: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.story:
            followers.setdefault(entry.story, []).append(entry)
    entries = [replace(e, also=tuple(f.id for f in followers.get(e.id, ()))) for e in entries]
    by_id = {e.id: e for e in entries}
    archive = Archive(settings)
    files: dict[str, bytes] = {}
    out = settings.paths.out
    pending = set(store.unrendered())
    for entry in entries:
        path = archive.page_path(entry)
        if entry.id in pending or not (out / path).exists():
            related = [by_id[i] for i in entry.also] + (
                [by_id[entry.story]] if entry.story in by_id else []
            )
            files[path] = archive.article_page(entry, related)
    files[STYLESHEET] = archive.stylesheet()
    files["index.html"] = archive.index_page(entries)
    files.update(_digest_files(store, settings, entries))
    files["digests.atom"] = render_digests_feed(
        [_digest(d) for d in store.digests(limit=DIGEST_FEED_ISSUES)], settings
    )
    # Feeds last: a reader that fetches a feed mid-run finds every page it links to.
    files.update(render_feeds(entries[: settings.feed.max_entries], settings))
    written = write_files(out, files)
    store.mark_rendered(pending)
    return written


def _digest_files(store: Store, settings: Settings, entries: Sequence[Entry]) -> dict[str, bytes]:
    """The pending digest (entries not yet sent), or the latest sent issue when none is."""
    digest = pending_digest(store, settings, entries)
    if digest is None:
        issues = store.digests(limit=1)
        if not issues:
            return {}
        digest = _digest(issues[0])
    return {
        "digest.html": digest.html.encode("utf-8"),
        "digest.txt": digest.text.encode("utf-8"),
        "digest.eml": digest.message,
        f"digests/{digest.id}.html": digest.html.encode("utf-8"),
    }


def pending_digest(store: Store, settings: Settings, entries: Sequence[Entry]) -> Digest | None:
    """The digest that ``send`` would deliver now: every entry not yet in an issue."""
    waiting = {r.id for r in store.undigested()}
    chosen = [e for e in entries if e.id in waiting]
    if not chosen:
        return None
    # Dated by its newest entry rather than the clock, so an unchanged input rebuilds the
    # same bytes.
    when = max(e.updated for e in chosen)
    digest_id = digest_id_for(when, store.digest_ids_on(when.date().isoformat()))
    return build_digest(chosen, settings, digest_id=digest_id, now=when)


def _digest(row: dict[str, Any]) -> Digest:
    return Digest(
        id=row["id"],
        created=row["created"],
        subject=row["subject"],
        entry_ids=row["entry_ids"],
        html=row["html"],
        text=row["text"],
        message=row["message"],
    )


# -- send -----------------------------------------------------------------------------------


def send(
    settings: Settings,
    *,
    now: Callable[[], datetime],
    dry_run: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SendReport]:
    """Deliver the digest: finish every issue still pending for some subscriber, then freeze
    the entries not yet in an issue into a new one, archive it and deliver it.

    Nothing new and nothing unfinished: no issue, an empty list. With ``dry_run`` nothing is
    frozen, written or sent; the reports say who would get what. Raises LockedError when
    another run holds the lock, DeliveryError when the SMTP server refuses our login or sender.
    """
    with run_lock(settings.paths.state), Store.open(settings.paths.state) as store:
        unfinished = store.incomplete_digests()
        issues = [_digest(row) for row in store.digests() if row["id"] in unfinished]
        reports = [
            send_digest(issue, store, settings, now=now, dry_run=dry_run, sleep=sleep)
            for issue in sorted(issues, key=lambda issue: unfinished.index(issue.id))
        ]
        digest = pending_digest(store, settings, [entry_from_record(r) for r in store.articles()])
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
            write_files(
                settings.paths.out, {f"digests/{digest.id}.html": digest.html.encode("utf-8")}
            )
        reports.append(send_digest(digest, store, settings, now=now, dry_run=dry_run, sleep=sleep))
    return reports


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
    text = article.title + "\n" + article.body
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


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
    return Article(
        source=data["source"],
        key=data["key"],
        title=data["title"],
        blocks=tuple(Block(kind, text) for kind, text in data["blocks"]),
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
    """Clean files or directories without publishing, in key order.

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
    """(source, title, summary sentences) for each file, or Rejected.

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
