"""Cross-document boilerplate: after a batch is saved, the blocks of its articles that recur
in other documents of the same group are dropped.

Workers clean with what the store knew before the batch; the batch itself is evidence too
(a cold build of a site's archive has nothing remembered yet), so the build finishes the
job here, once every document of the batch has been counted.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from functools import partial
from itertools import chain

from ..clean import BOILERPLATE_MIN_OTHERS, block_key
from ..config import Settings
from ..ids import text_hash
from ..store import Store, StoredArticle
from ..summarize import summarize
from .pool import PAGE_CHUNK, chunked, map_in_order
from .process import split_keys

log = logging.getLogger(__name__)

# The retention rule of the boilerplate memory (store/boilerplate.py): a site's memory is
# the line keys of its documents recorded in its last WINDOW recordings, counted exactly;
# a key that recurred (in RECURRING documents, which makes it boilerplate) keeps the count
# of its documents that left the window, until ABSENT recordings in a row lack it.
WINDOW = 200
RECURRING = BOILERPLATE_MIN_OTHERS + 1
ABSENT = 1_000


def drop_recurring(
    store: Store, settings: Settings, pool: Executor | None = None, *, ship: bool = False
) -> None:
    """Drop, from the articles waiting for it (those this build saved, and any a killed
    build left: ``Store.pending_trims``), the blocks that recur in other documents of the
    same group.

    Workers clean with what the store knew before this batch; the batch itself is evidence
    too (a cold build of a site's archive has nothing remembered yet). A block goes when its
    key is now seen in at least BOILERPLATE_MIN_OTHERS other documents of its group; an
    article that would lose every block keeps them (it is a republished story, not
    boilerplate). The summary is made again only when it quoted a dropped block; terms and
    keywords stay as first chosen (the dropped lines recur across the group, so they weigh
    little in TF-IDF). The trimming runs on ``pool`` when given; only this process writes,
    and the new body hashes wait for the regrouping of identical articles. With ``ship``
    (workers that cannot read the state database: a cluster's), the records go with the
    work; else the workers read them.
    """
    chunks = chunked(_trims(store), PAGE_CHUNK)
    if ship:
        chunks = (_with_data(store, chunk) for chunk in chunks)
    trimmed = map_in_order(
        partial(_trim, settings),
        chunks,
        jobs=settings.jobs,
        executor=pool,
        total=-(-store.pending_count() // PAGE_CHUNK),
        chunk=1,
    )
    with store.transaction():
        for article_id, body_hash, data in chain.from_iterable(trimmed):
            store.replace_article_data(article_id, body_hash, data)
            store.add_pending_hashes([body_hash])


# One article to trim: its id, the positions of the blocks it loses, and its stored payload
# when the worker is not to read it itself.
Trim = tuple[str, frozenset[int], str | None]


def _with_data(store: Store, chunk: list[Trim]) -> list[Trim]:
    records = store.articles_by_id(article_id for article_id, _, _ in chunk)
    return [(article_id, drops, records[article_id].data) for article_id, drops, _ in chunk]


def _trims(store: Store) -> Iterator[Trim]:
    """Each waiting article that loses some of its blocks (not all): its id and the
    positions of those blocks. One group's recurring keys are held at a time."""
    for group in store.pending_groups():
        recurring = store.recurring_keys(group, min_docs=BOILERPLATE_MIN_OTHERS + 1)
        count = 0
        for article_id, joined in store.pending_trims(group):
            keys = split_keys(joined) if joined is not None else _stored_keys(store, article_id)
            dropped = frozenset(i for i, key in enumerate(keys) if key in recurring)
            if 0 < len(dropped) < len(keys):
                count += 1
                yield article_id, dropped, None
        if count:
            log.debug("%d articles of %s lose blocks that recur across their site", count, group)


def _stored_keys(store: Store, article_id: str) -> list[str]:
    """The keys of an article's blocks as stored, in order (positions index them): for an
    article a build older than the pending rows left unfinished."""
    record = store.articles_by_id([article_id]).get(article_id)
    return [block_key(b.text) for b in record.payload.article.blocks] if record else []


def forget_old_boilerplate(store: Store, groups: Collection[str]) -> int:
    """Apply the memory's retention rule (WINDOW, RECURRING, ABSENT) to ``groups``; return
    how many documents left the window."""
    total = 0
    for group in sorted(groups):
        gone = store.forget_boilerplate(group, keep=WINDOW, recurring=RECURRING, absent=ABSENT)
        if gone:
            log.debug("%s: %d documents left the boilerplate memory's window", group, gone)
        total += gone
    return total


def _trim(settings: Settings, trims: Sequence[Trim]) -> list[tuple[str, str, str]]:
    """Each article of ``trims`` without the blocks at the given positions: its id, body
    hash and encoded payload, with a new summary when the old one quoted a dropped block.
    Reads the records not given itself, from a read-only connection."""
    data = {article_id: text for article_id, _, text in trims if text is not None}
    missing = [article_id for article_id, _, text in trims if text is None]
    if missing:
        with Store.reading(settings.paths.state) as store:
            data.update((i, r.data) for i, r in store.articles_by_id(missing).items())
    result = []
    for article_id, drops, _ in trims:
        stored = StoredArticle.decode(data[article_id])
        blocks = stored.article.blocks
        dropped = [block.text for i, block in enumerate(blocks) if i in drops]
        kept = tuple(block for i, block in enumerate(blocks) if i not in drops)
        stored = replace(stored, article=replace(stored.article, blocks=kept))
        # A sentence cut to the word budget ends in an ellipsis its block lacks.
        quoted = [s.rstrip("…").rstrip() for s in stored.summary]
        if any(q in text for text in dropped for q in quoted):
            summary = summarize(
                stored.article,
                sentences=settings.summary.sentences,
                words=settings.summary.words,
            )
            stored = replace(
                stored, summary=summary.sentences, reading_minutes=summary.reading_minutes
            )
        body_hash = text_hash(stored.article.title, [block.text for block in kept])
        result.append((article_id, body_hash, stored.encode()))
    return result
