"""The tables of the fetcher (``publisher.fetch``): sources and their health, validators
per URL, the documents fetched from the web, their other names, robots.txt per origin and
the hosts that asked us to wait."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from .database import Database, dt, ts

SourceState = Literal["new", "ok", "failing", "gone"]
# The directory beside the state database where fetched bytes are kept (fetch.blobs).
BLOB_DIRECTORY = "fetched"


def blob_root(state: Path) -> Path:
    """Where the fetched bytes of the state database at ``state`` are kept."""
    return Path(state).resolve().parent / BLOB_DIRECTORY


def blob_path(root: Path, digest: str) -> Path:
    """Where the bytes with SHA-256 ``digest`` are kept under ``root``."""
    return root / digest[:2] / digest[2:]


@dataclass(frozen=True)
class WebSource:
    """A source the fetcher polls, and how it has been going."""

    key: str  # the configured source's key ("feed:URL"), or "feed:URL" of an OPML's feed
    kind: str  # feed, sitemap, urls, opml
    name: str
    url: str  # where it is polled: as configured, or where a 301/308 moved it
    parent: str | None = None  # the OPML source listing it
    state: SourceState = "new"
    since: datetime | None = None  # when the state began
    failures: int = 0  # failed polls in a row
    error: str | None = None  # the last failure's reason
    last_success: datetime | None = None
    last_poll: datetime | None = None
    next_poll: datetime | None = None  # a retry's or Retry-After's time; None: last_poll + every


@dataclass(frozen=True)
class WebDocument:
    """An article found on the web: what the build reads of it, and what the fetcher needs
    to decide whether to fetch its page (again)."""

    key: str  # the canonical URL: the article's source key
    source: str  # the key of the source that found it first
    url: str  # the page to fetch
    feed_blob: str | None = None  # the feed entry's own text (HTML), stored
    page_blob: str | None = None  # the page, stored
    charset: str | None = None  # the page's HTTP charset
    title: str | None = None
    published: datetime | None = None
    author: str | None = None
    site: str | None = None  # the source's name
    updated: datetime | None = None  # the feed's or sitemap's last update of the entry
    page_for: datetime | None = None  # the `updated` the stored page was fetched for
    wants_page: bool = False  # the page is the article (full_text, or no text of its own)
    ready: bool = False  # the build may take it; False while its page is still to come
    error: str | None = None  # why its page could not be fetched
    size: int = 0
    changed: float = 0.0  # when the above last changed (Unix time): the build's mtime


_SOURCE_COLUMNS = ", ".join(f.name for f in fields(WebSource))
_DOCUMENT_COLUMNS = ", ".join(f.name for f in fields(WebDocument))
_SOURCE_TIMES = {"since", "last_success", "last_poll", "next_poll"}
_DOCUMENT_TIMES = {"published", "updated", "page_for"}


class FetchTables(Database):
    """The methods of the fetcher's tables (see the module)."""

    # -- sources ---------------------------------------------------------------------------

    def web_sources(self) -> dict[str, WebSource]:
        """Every source the fetcher has known, by key."""
        rows = self.db.execute(f"SELECT {_SOURCE_COLUMNS} FROM web_sources")
        return {row["key"]: _source(row) for row in rows}

    def save_web_source(self, source: WebSource) -> None:
        """Insert or replace a source's row."""
        values = [_out(getattr(source, f.name)) for f in fields(WebSource)]
        marks = ", ".join("?" * len(values))
        self.db.execute(
            f"INSERT OR REPLACE INTO web_sources ({_SOURCE_COLUMNS}) VALUES ({marks})", values
        )

    def drop_web_sources(self, keys: Iterable[str]) -> None:
        """Forget sources no longer listed (their articles stay)."""
        self.db.executemany("DELETE FROM web_sources WHERE key = ?", ((k,) for k in keys))

    def source_article_counts(self) -> dict[str, int]:
        """How many published articles each source has brought, by source key."""
        rows = self.db.execute(
            "SELECT d.source, COUNT(a.id) FROM web_documents d "
            "JOIN articles a ON a.source_key = d.key "
            "WHERE a.duplicate_of IS NULL AND a.removed IS NULL GROUP BY d.source"
        )
        return {source: count for source, count in rows}

    # -- validators --------------------------------------------------------------------------

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified stored for ``url`` (None, None when none)."""
        row = self.db.execute(
            "SELECT etag, last_modified FROM web_validators WHERE url = ?", (url,)
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember the validators of ``url``'s last answer (none: forget them)."""
        if etag is None and last_modified is None:
            self.db.execute("DELETE FROM web_validators WHERE url = ?", (url,))
            return
        self.db.execute(
            "INSERT OR REPLACE INTO web_validators (url, etag, last_modified) VALUES (?, ?, ?)",
            (url, etag, last_modified),
        )

    # -- documents ---------------------------------------------------------------------------

    def web_document(self, key: str) -> WebDocument | None:
        """The document with canonical URL ``key``, if any."""
        row = self.db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM web_documents WHERE key = ?", (key,)
        ).fetchone()
        return _document(row) if row else None

    def save_web_document(self, document: WebDocument) -> None:
        """Insert or replace a document's row."""
        values = [_out(getattr(document, f.name)) for f in fields(WebDocument)]
        marks = ", ".join("?" * len(values))
        self.db.execute(
            f"INSERT OR REPLACE INTO web_documents ({_DOCUMENT_COLUMNS}) VALUES ({marks})", values
        )

    def changed_web_documents(self, after: int) -> tuple[list[WebDocument], int]:
        """The documents the build may take that changed since number ``after`` (every save
        numbers a document anew: see the 10 -> 11 migration), by key, and the number to pass
        next time (the highest one read)."""
        rows = self.db.execute(
            f"SELECT {_DOCUMENT_COLUMNS}, seq FROM web_documents WHERE seq > ? ORDER BY seq",
            (after,),
        ).fetchall()
        ready = sorted((_document(row) for row in rows if row["ready"]), key=lambda d: d.key)
        return ready, max((row["seq"] for row in rows), default=after)

    def waiting_web_documents(self, source: str) -> list[WebDocument]:
        """The documents of ``source`` still waiting for their page, by key."""
        rows = self.db.execute(
            f"SELECT {_DOCUMENT_COLUMNS} FROM web_documents WHERE source = ? AND ready = 0 "
            "ORDER BY key",
            (source,),
        )
        return [_document(row) for row in rows]

    def web_alias(self, alias: str) -> str | None:
        """The canonical URL a feed entry id or another URL names, if known."""
        row = self.db.execute("SELECT key FROM web_aliases WHERE alias = ?", (alias,)).fetchone()
        return row[0] if row else None

    def add_web_alias(self, alias: str, key: str) -> None:
        """Remember that ``alias`` names the document ``key`` (the first name given stays)."""
        self.db.execute(
            "INSERT OR IGNORE INTO web_aliases (alias, key) VALUES (?, ?)", (alias, key)
        )

    # -- hosts -------------------------------------------------------------------------------

    def robots(self, origin: str) -> tuple[int, str, datetime] | None:
        """The robots.txt last fetched for ``origin``: status, text and when."""
        row = self.db.execute(
            "SELECT status, body, fetched FROM web_robots WHERE origin = ?", (origin,)
        ).fetchone()
        return (row[0], row[1], dt(row[2])) if row else None

    def save_robots(self, origin: str, status: int, body: str, fetched: datetime) -> None:
        """Remember ``origin``'s robots.txt answer."""
        self.db.execute(
            "INSERT OR REPLACE INTO web_robots (origin, status, body, fetched) VALUES (?, ?, ?, ?)",
            (origin, status, body, ts(fetched)),
        )

    def host_pauses(self) -> dict[str, datetime]:
        """The hosts that asked us (Retry-After) not to come back before a time."""
        rows = self.db.execute("SELECT host, not_before FROM web_hosts")
        return {host: dt(when) for host, when in rows}

    def pause_host(self, host: str, until: datetime | None) -> None:
        """Remember that ``host`` asked us to wait until ``until`` (None: it no longer does)."""
        if until is None:
            self.db.execute("DELETE FROM web_hosts WHERE host = ?", (host,))
            return
        self.db.execute(
            "INSERT OR REPLACE INTO web_hosts (host, not_before) VALUES (?, ?)", (host, ts(until))
        )


def _out(value: object) -> object:
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _source(row: sqlite3.Row) -> WebSource:
    values: dict[str, Any] = {}
    for name in row.keys():  # noqa: SIM118 (a Row iterates over its values)
        if name == "seq":  # the build's, not the document's
            continue
        value = row[name]
        values[name] = (dt(value) if value else None) if name in _SOURCE_TIMES else value
    return WebSource(**values)


def _document(row: sqlite3.Row) -> WebDocument:
    values: dict[str, Any] = {}
    for name in row.keys():  # noqa: SIM118 (a Row iterates over its values)
        if name == "seq":  # the build's, not the document's
            continue
        value = row[name]
        if name in _DOCUMENT_TIMES:
            value = dt(value) if value else None
        elif name in ("wants_page", "ready"):
            value = bool(value)
        values[name] = value
    return WebDocument(**values)
