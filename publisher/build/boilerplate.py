"""Cross-document boilerplate: after a batch is saved, the blocks of its articles that recur
in other documents of the same group are dropped.

Workers clean with what the store knew before the batch; the batch itself is evidence too
(a cold build of a site's archive has nothing remembered yet), so the build finishes the
job here, once every document of the batch has been counted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import replace
from functools import partial
from itertools import chain

from ..clean import BOILERPLATE_MIN_OTHERS
from ..config import Settings
from ..ids import text_hash
from ..store import Store
from ..summarize import summarize
from .pool import PAGE_CHUNK, map_in_order
from .process import split_keys

log = logging.getLogger(__name__)


def drop_recurring(
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
        keys = split_keys(joined)
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
    hash and encoded payload, with a new summary when the old one quoted a dropped block.
    Reads the records itself, from a read-only connection."""
    with Store.reading(settings.paths.state) as store:
        records = store.articles_by_id(article_id for article_id, _ in trims)
    result = []
    for article_id, drops in trims:
        stored = records[article_id].payload
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
