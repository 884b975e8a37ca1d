"""The ``clean`` and ``summarize`` commands' use case: the stages run on files without
publishing anything.

Boilerplate recurring across the given files counts as cross-document evidence, as does what
the state database remembers when it exists (it is read, never written, here).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from . import sources
from .clean import BOILERPLATE_MIN_OTHERS, boilerplate_keys, clean
from .config import Settings
from .models import Article, RawDocument, Rejected
from .store import Store
from .summarize import summarize, summarize_text

# What ``summarize_paths`` gives for each usable file: its source, title and summary.
Summarized = tuple[str, str | None, tuple[str, ...]]


def clean_paths(paths: Sequence[Path], settings: Settings) -> Iterator[Article | Rejected]:
    """Clean files or directories without publishing: the unreadable files first (Rejected),
    then the others in key order."""
    docs, rejected = _read_all(paths, settings)
    yield from rejected
    for doc, known in _batch_evidence(docs, settings):
        yield clean(doc, known_boilerplate=known)


def summarize_paths(
    paths: Sequence[Path], settings: Settings, *, sentences: int, words: int, no_clean: bool
) -> Iterator[Summarized | Rejected]:
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
        doc = sources.read(file, max_bytes=settings.fetch.max_bytes)
        if isinstance(doc, Rejected):
            rejected.append(doc)
        else:
            docs.append(doc)
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
