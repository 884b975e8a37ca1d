"""The per-file work of a build: read, clean and summarize one changed file, in any worker.

Tasks and results stay small whatever the size of the pages: workers read the files
themselves, and only what the saving process needs comes back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .. import sources
from ..clean import BOILERPLATE_MIN_OTHERS, block_key, clean_document
from ..config import Settings
from ..ids import body_hash
from ..models import Article, RawDocument, Rejected, Summary
from ..sources import SourceFile, WebParts
from ..store import FileState, Store
from ..store.payload import encode_article
from ..summarize import summarize

if TYPE_CHECKING:  # inputs imports this module (web_files)
    from .inputs import Found


@dataclass(frozen=True)
class Task:
    """One changed file to read, clean and summarize in a worker.

    ``known`` is the boilerplate the store remembers for the file's group (line keys,
    newline-joined: a string pickles far smaller than a set); ``stored_hash`` lets the worker
    stop early when only the file's mtime changed; ``first`` says the store has no record
    of the file at all.
    """

    file: SourceFile
    known: str
    stored_hash: str | None
    sentences: int
    words: int
    max_bytes: int
    first: bool = False


@dataclass(frozen=True)
class Processed:
    """One file after the pure per-article stages. Its text stays in the worker: shipping it
    back would double the traffic and hold the whole batch in the parent's memory.

    ``keys`` are the document's boilerplate line keys, newline-joined; ``result`` is None when
    the content is unchanged since the store last saw it. Everything derived from the
    article alone (summary, block keys, body hash, the article's encoded part of its stored
    payload) is computed here, in parallel, rather than in the parent, whose saving is
    serial. The article comes without its blocks: their text travels once, inside
    ``article_data`` (``store.payload.encode_article``), which the parent only stores.
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
    first: bool = False  # the store has no record of the file (see Task)


def process(task: Task) -> Processed:
    """Read, clean and summarize one file: pure, so it can run in any worker process.

    One read and one parse per file: the cleaner returns the document's boilerplate keys
    with the article. A document from the web is read from what the fetcher stored.
    """
    if task.file.web is not None:
        return _process_web(task, task.file.web)
    doc = sources.read(task.file, max_bytes=task.max_bytes)
    if isinstance(doc, Rejected):
        return Processed(task.file, "", doc, None, first=task.first)
    if doc.content_hash == task.stored_hash:
        return Processed(task.file, doc.content_hash, None, None, first=task.first)
    result, keys = clean_document(doc, known_boilerplate=_known(task))
    return _finish(task, doc.content_hash, result, keys)


def _process_web(task: Task, web: WebParts) -> Processed:
    """A fetched document: its cleaned page, unless the feed entry's own text is longer
    (a page that yields less than its feed, or none); title, date, author and link from
    the feed when it gives them."""
    docs = sources.read_web(task.file, max_bytes=task.max_bytes)
    if isinstance(docs, Rejected):
        return Processed(task.file, "", docs, None, first=task.first)
    if docs.content_hash == task.stored_hash:
        return Processed(task.file, docs.content_hash, None, None, first=task.first)
    known = _known(task)
    page: tuple[Article | Rejected, frozenset[str]] | None = None
    if isinstance(docs.page, RawDocument):
        page = clean_document(docs.page, known_boilerplate=known)
    entry = clean_document(docs.entry, known_boilerplate=known) if docs.entry else None
    if page is not None and isinstance(page[0], Article):
        if entry is not None and isinstance(entry[0], Article):
            page = page if page[0].word_count >= entry[0].word_count else entry
    else:
        page = entry or page
    if page is None:  # a page that could not be read, and no feed text
        assert isinstance(docs.page, Rejected)
        return Processed(task.file, docs.content_hash, docs.page, None, first=task.first)
    result, keys = page
    if isinstance(result, Article):
        result = replace(
            result,
            title=web.title or result.title,
            published=web.published or result.published,
            author=web.author or result.author,
            url=web.url or result.url,
            site=web.site or result.site,
        )
    return _finish(task, docs.content_hash, result, keys)


def _known(task: Task) -> frozenset[str]:
    return frozenset(task.known.split("\n")) if task.known else frozenset()


def _finish(
    task: Task, content_hash: str, result: Article | Rejected, keys: frozenset[str]
) -> Processed:
    """Summarize a cleaned article; what the saving process needs of it."""
    joined = join_keys(keys)
    if isinstance(result, Rejected):
        return Processed(task.file, content_hash, result, None, joined, first=task.first)
    summary = summarize(result, sentences=task.sentences, words=task.words)
    block_keys = "\n".join(block_key(block.text) for block in result.blocks)
    return Processed(
        task.file,
        content_hash,
        replace(result, blocks=()),
        summary,
        joined,
        block_keys,
        body_hash(result),
        encode_article(result),
        task.first,
    )


def make_tasks(store: Store, found: Found, settings: Settings) -> Iterator[Task]:
    """A task per changed file of ``found``, carrying the boilerplate its group is known to
    have: what the store remembered before this batch (read here for every group at once,
    before the batch is saved), made as the tasks are wanted."""
    known: dict[str, tuple[str, str]] = {}
    for group in sorted(found.groups):
        counts = store.recurring_keys(group)
        known[group] = (
            join_keys(k for k, n in counts.items() if n >= BOILERPLATE_MIN_OTHERS),
            join_keys(k for k, n in counts.items() if n >= BOILERPLATE_MIN_OTHERS + 1),
        )
    return (_task(file, state, known, settings) for file, state in found)


def _task(
    file: SourceFile,
    state: FileState | None,
    known: dict[str, tuple[str, str]],
    settings: Settings,
) -> Task:
    seen_before = bool(state and state.id)
    return Task(
        file,
        # A file seen before may be one of a key's documents itself: it needs one
        # more. Keys this batch makes recurring are dropped after it (boilerplate).
        known[file.group][seen_before],
        state.content_hash if state and seen_before else None,
        settings.summary.sentences,
        settings.summary.words,
        settings.fetch.max_bytes,
        state is None,
    )


def join_keys(keys: Iterable[str]) -> str:
    """Line keys as one newline-joined, sorted string (see Task and Processed)."""
    return "\n".join(sorted(keys))


def split_keys(keys: str) -> list[str]:
    """The keys of ``join_keys``'s string."""
    return keys.split("\n") if keys else []
