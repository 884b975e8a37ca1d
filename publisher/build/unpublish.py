"""``publisher unpublish``: take an article down for good.

It leaves the feeds, the archive and the digests to come at once; its page is replaced by a
tombstone (``removed.html.j2``) that ``publisher serve`` answers with 410 Gone; and its row
stays in the state, so that neither its file nor a copy of its text is ever published again.
Issues already frozen (sent, or waiting for a retry) are left as they are.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import PublisherError
from ..sources import keys_of
from ..store import Named, Store, run_lock
from .outputs import render_outputs
from .saving import regroup_stories

log = logging.getLogger(__name__)

_ARTICLE_ID = re.compile(r"[0-9a-f]{16}")
_PAGE = re.compile(r"(?:.*/)?articles/([^/]+)\.html")


@dataclass(frozen=True)
class Unpublished:
    """An article ``unpublish`` took down (or found down already)."""

    id: str
    title: str
    page: str  # its page, relative to the output directory: now a tombstone
    already: bool  # it was unpublished before


def unpublish(settings: Settings, refs: list[str], now: datetime) -> list[Unpublished]:
    """Unpublish the articles named by ``refs`` (an id, the URL of its page or of the
    original article, or its input file) and render the outputs without them.

    Every reference is looked up before anything changes: one that names no article raises
    PublisherError naming it. Raises LockedError when another run holds the build lock.
    """
    state = settings.paths.state
    if not state.exists():
        raise PublisherError(f"no state database at {state}: nothing was published")
    with run_lock(state), Store.open(state) as store:
        found = [article for ref in refs for article in _named(store, settings, ref)]
        unique = {article.id: article for article in found}
        latest = store.latest_change()
        stamp = now if latest is None or now > latest else latest + timedelta(seconds=1)
        with store.transaction():
            for article in unique.values():
                if article.removed is None:
                    store.unpublish(article.id, stamp)
                    stamp += timedelta(seconds=1)  # each its own change time, as a build
            regroup_stories(store)
        render_outputs(store, settings, now=now)
    return [
        Unpublished(a.id, a.title, f"articles/{a.slug}.html", a.removed is not None)
        for a in unique.values()
    ]


def _named(store: Store, settings: Settings, ref: str) -> list[Named]:
    """The articles ``ref`` names, or PublisherError."""
    text = ref.strip()
    candidates: list[tuple[str, str]] = []
    if _ARTICLE_ID.fullmatch(text):
        candidates.append(("id", text))
    page = _PAGE.fullmatch(urlsplit(text).path if "://" in text else text)
    if page:
        candidates.append(("slug", page[1]))
    if "://" in text:
        candidates.append(("url", text))
    else:
        path = Path(text)
        candidates += [("key", key) for key in keys_of(path, settings.paths.input)]
        candidates += [("source", text)]
    for by, value in candidates:
        named = store.named_articles(by, value)
        if named:
            return named
    raise PublisherError(
        f"no article is {ref!r}",
        "name it by its id (16 hex digits), the URL of its page or of the original article, "
        "or its input file",
    )


class Tombstones:
    """Which pages of the output directory are tombstones of unpublished articles (for
    ``publisher serve``, which answers them 410 Gone), read again whenever the state
    database changes. Safe to call from several threads."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._seen: tuple[tuple[int, int] | None, ...] = ()
        self._pages: frozenset[str] = frozenset()

    def __call__(self, page: str) -> bool:
        """Whether ``page`` (relative to the output directory) is a tombstone."""
        with self._lock:
            seen = tuple(_stat(Path(f"{self.state}{end}")) for end in ("", "-wal"))
            if seen != self._seen:
                self._pages = frozenset(self._read())
                self._seen = seen
            return page in self._pages

    def _read(self) -> set[str]:
        if not self.state.exists():
            return set()
        try:
            with Store.reading(self.state) as store:
                return {f"articles/{slug}.html" for slug in store.removed_pages()}
        except (PublisherError, sqlite3.Error) as exc:
            # Locked for long, damaged, or of an older schema: the files are still served,
            # the tombstones as the pages they are.
            log.warning("cannot read the unpublished articles from %s: %s", self.state, exc)
            return set(self._pages)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size
