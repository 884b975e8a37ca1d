"""The state database (SQLite, standard library): what was seen, published and sent.

One file, never inside the output directory. WAL journaling and one transaction per unit of
work, so a process killed at any moment leaves either the old or the new state. The schema
carries a version (``PRAGMA user_version``); ``MIGRATIONS[n]`` takes version n to n + 1.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import PublisherError
from .models import Digest

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: the first schema.
    """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        source_key TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        grp TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime REAL NOT NULL,
        content_hash TEXT NOT NULL,
        body_hash TEXT NOT NULL,
        slug TEXT NOT NULL UNIQUE,
        first_seen TEXT NOT NULL,
        last_changed TEXT NOT NULL,
        published TEXT NOT NULL,
        duplicate_of TEXT,
        story TEXT,
        digest_id TEXT,
        rendered INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL
    );
    CREATE INDEX articles_order ON articles (published DESC, id);
    CREATE INDEX articles_body ON articles (body_hash);
    CREATE INDEX articles_undigested ON articles (digest_id) WHERE digest_id IS NULL;
    CREATE TABLE rejects (
        source_key TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime REAL NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE TABLE boilerplate (
        grp TEXT NOT NULL,
        key TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (grp, key, doc)
    ) WITHOUT ROWID;
    CREATE TABLE terms (
        term TEXT PRIMARY KEY,
        docs INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE digests (
        id TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        subject TEXT NOT NULL,
        entry_ids TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,
        message BLOB NOT NULL
    );
    CREATE TABLE subscribers (
        address TEXT PRIMARY KEY,
        name TEXT,
        status TEXT NOT NULL CHECK (status IN ('active', 'unsubscribed')),
        added TEXT NOT NULL,
        changed TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        digest_id TEXT NOT NULL REFERENCES digests (id),
        address TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        updated TEXT NOT NULL,
        PRIMARY KEY (digest_id, address)
    );
    CREATE TABLE jobs (
        name TEXT PRIMARY KEY,
        last_run TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT
    );
    """,
    # 1 -> 2: small named values the pipeline keeps between runs (the last render's signature).
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 2 -> 3: the followers of a story are looked up by their leader for every article page
    # rendered (a scan of the whole table each time, without it).
    """
    CREATE INDEX articles_story ON articles (story) WHERE story IS NOT NULL;
    """,
    # 3 -> 4: when a recipient was queued for an issue, to give up on it after days of
    # temporary refusals. For older rows the last attempt stands in (it can only be later).
    """
    ALTER TABLE deliveries ADD COLUMN queued TEXT;
    UPDATE deliveries SET queued = updated;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class FileState:
    """What the store remembers of one input file, to skip it when it has not changed."""

    id: str | None  # None for a file that was rejected
    size: int
    mtime: float
    content_hash: str | None


@dataclass(frozen=True)
class ArticleRecord:
    """One stored article: the identity the store gave it and the pipeline's JSON payload."""

    id: str
    source_key: str
    source: str
    group: str
    slug: str
    content_hash: str
    body_hash: str  # hash of the cleaned title and body: equal for exact duplicate articles
    first_seen: datetime
    last_changed: datetime
    published: datetime
    duplicate_of: str | None
    story: str | None
    digest_id: str | None
    data: Mapping[str, Any]


class EncodedData(Mapping[str, Any]):
    """A payload given as the text that Store.encode_data makes of it, decoded only when
    read: the pipeline encodes an article in the worker that made it, and the parent that
    saves it needs nothing but the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._decoded: dict[str, Any] | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def _data(self) -> dict[str, Any]:
        if self._decoded is None:
            self._decoded = json.loads(self.text)
        return self._decoded


@dataclass(frozen=True)
class Subscriber:
    """One address on the subscriber list (lower case), active or unsubscribed."""

    address: str
    name: str | None
    status: str
    added: datetime
    changed: datetime


@dataclass(frozen=True)
class Delivery:
    """The delivery log's entry for one issue and one recipient."""

    digest_id: str
    address: str
    status: str
    attempts: int
    last_error: str | None
    updated: datetime
    queued: datetime  # when the issue was frozen for this recipient


# SQLite's primary result codes for a database that is intact but cannot be used now: held
# by another program, or its file, directory or disk refuses the write.
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_UNWRITABLE = {
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_IOERR,
}


def _database_error(path: Path, exc: sqlite3.DatabaseError) -> PublisherError:
    """The error to report when SQLite fails on the state database at ``path``.

    Only a damaged file is to be restored or moved away: doing that to one that is merely
    locked, read-only or on a full disk would lose what was published and sent, and the next
    run would publish and mail everything again.
    """
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
    if code in _BUSY:
        return PublisherError(
            f"the state database {path} is locked by another program: {exc}",
            "let it finish (a sqlite3 shell, a backup?), then run again",
        )
    if code in _UNWRITABLE:
        return PublisherError(
            f"cannot write to the state database {path}: {exc}",
            "check the free disk space and that the file and its directory are writable "
            "(SQLite also writes -wal and -shm files beside it)",
        )
    return PublisherError(
        f"the state database {path} is unreadable: {exc}",
        "restore it from a backup, or move it away to start afresh",
    )


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


class Store:
    """A connection to the state database. Use ``Store.open(path)`` as a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[Store]:
        """Open (creating and migrating as needed) the database at ``path``; close on exit."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not path.exists()
            connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise PublisherError(
                f"cannot open the state database {path}: {exc}",
                "check [paths] state and the directory's permissions",
            ) from exc
        if fresh:
            os.chmod(path, 0o600)
        try:
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            store = cls(connection, path)
            store._migrate()
            yield store
        except sqlite3.DatabaseError as exc:
            raise _database_error(path, exc) from exc
        finally:
            connection.close()

    @classmethod
    @contextmanager
    def reading(cls, path: Path) -> Iterator[Store]:
        """Open the existing database at ``path`` read-only; close on exit.

        For worker processes that read records while the build's one writer holds the
        database: in WAL mode they see what it has committed, and never block it.
        """
        try:
            connection = sqlite3.connect(
                f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=30
            )
        except sqlite3.Error as exc:
            raise PublisherError(f"cannot read the state database {path}: {exc}") from exc
        connection.row_factory = sqlite3.Row
        try:
            yield cls(connection, Path(path))
        finally:
            connection.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise PublisherError(
                f"the state database {self.path} has schema version {version}, newer than this "
                f"program's {SCHEMA_VERSION}",
                "upgrade publisher",
            )
        for step in range(version, SCHEMA_VERSION):
            # executescript commits any open transaction first, so each migration carries its
            # own BEGIN/COMMIT, version bump included: it applies whole or not at all.
            try:
                self.db.executescript(
                    f"BEGIN IMMEDIATE;{MIGRATIONS[step]}PRAGMA user_version = {step + 1};COMMIT;"
                )
            except sqlite3.Error:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work: committed on success, rolled back on any exception."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- input files ---------------------------------------------------------------------

    def file_states(self) -> dict[str, FileState]:
        """Every input file the store knows, by source key (articles and rejected files)."""
        states = {
            row["source_key"]: FileState(row["id"], row["size"], row["mtime"], row["content_hash"])
            for row in self.db.execute(
                "SELECT id, source_key, size, mtime, content_hash FROM articles"
            )
        }
        # A file that was published once and is now unusable keeps its article (nothing
        # published is lost), but its current size and mtime are those of the rejection.
        for row in self.db.execute("SELECT source_key, size, mtime FROM rejects"):
            states[row["source_key"]] = FileState(None, row["size"], row["mtime"], None)
        return states

    def record_rejection(self, source_key: str, size: int, mtime: float, reason: str) -> None:
        """Remember that the file at this size and mtime cannot be used, and why."""
        self.db.execute(
            "INSERT INTO rejects (source_key, size, mtime, reason) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (source_key) DO UPDATE SET size = excluded.size, "
            "mtime = excluded.mtime, reason = excluded.reason",
            (source_key, size, mtime, reason),
        )

    def touch_file(self, source_key: str, size: int, mtime: float) -> None:
        """Remember new size/mtime for a file whose content hash did not change."""
        self.db.execute(
            "UPDATE articles SET size = ?, mtime = ? WHERE source_key = ?",
            (size, mtime, source_key),
        )

    # -- articles ------------------------------------------------------------------------

    def article_by_key(self, source_key: str) -> ArticleRecord | None:
        """The article made from the input file ``source_key``, if any."""
        row = self.db.execute(
            "SELECT * FROM articles WHERE source_key = ?", (source_key,)
        ).fetchone()
        return _record(row) if row else None

    def original_of(self, body_hash: str, source_key: str) -> ArticleRecord | None:
        """Another published article with exactly this cleaned text, if any."""
        row = self.db.execute(
            "SELECT * FROM articles WHERE body_hash = ? AND duplicate_of IS NULL "
            "AND source_key != ? ORDER BY first_seen, id LIMIT 1",
            (body_hash, source_key),
        ).fetchone()
        return _record(row) if row else None

    def save_article(
        self, record: ArticleRecord, *, size: int, mtime: float, first: bool = False
    ) -> None:
        """Insert or replace an article; id, slug and first-seen of a known key never change.

        ``first`` says the store has never recorded the article's file: there is no rejection
        of it to forget.
        """
        if not first:
            self.db.execute("DELETE FROM rejects WHERE source_key = ?", (record.source_key,))
        self.db.execute(
            """
            INSERT INTO articles (id, source_key, source, grp, size, mtime, content_hash,
                body_hash, slug, first_seen, last_changed, published, duplicate_of, story,
                digest_id, data)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                source = excluded.source, grp = excluded.grp, size = excluded.size,
                mtime = excluded.mtime, content_hash = excluded.content_hash,
                body_hash = excluded.body_hash,
                last_changed = excluded.last_changed, published = excluded.published,
                duplicate_of = excluded.duplicate_of, story = excluded.story,
                rendered = 0, data = excluded.data
            """,
            (
                record.id,
                record.source_key,
                record.source,
                record.group,
                size,
                mtime,
                record.content_hash,
                record.body_hash,
                record.slug,
                _ts(record.first_seen),
                _ts(record.last_changed),
                _ts(record.published),
                record.duplicate_of,
                record.story,
                record.digest_id,
                self.encode_data(record.data),
            ),
        )

    @staticmethod
    def encode_data(data: Mapping[str, Any]) -> str:
        """An article's payload as stored: JSON with sorted keys, so equal data is equal text."""
        if isinstance(data, EncodedData):
            return data.text
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    def replace_article_data(self, article_id: str, body_hash: str, data: str) -> None:
        """Give an article a new payload (``data``, from :meth:`encode_data`) and body hash,
        everything else kept; its page is rendered again."""
        self.db.execute(
            "UPDATE articles SET body_hash = ?, data = ?, rendered = 0 WHERE id = ?",
            (body_hash, data, article_id),
        )

    def unrendered(self) -> list[str]:
        """Ids of articles saved since their archive page was last written."""
        return [row[0] for row in self.db.execute("SELECT id FROM articles WHERE rendered = 0")]

    def mark_rendered(self, ids: Iterable[str]) -> None:
        """Record that the pages of these articles are written."""
        with self.transaction():
            self.db.executemany(
                "UPDATE articles SET rendered = 1 WHERE id = ?", ((i,) for i in ids)
            )

    def set_story(self, article_id: str, story: str | None) -> None:
        """Change an article's story group. Its page and the pages of its old and new leader
        list the group's reports, so all of them are rendered again."""
        row = self.db.execute("SELECT story FROM articles WHERE id = ?", (article_id,)).fetchone()
        self.db.execute(
            "UPDATE articles SET story = ?, rendered = 0 WHERE id = ?", (story, article_id)
        )
        leaders = {leader for leader in (row[0] if row else None, story) if leader}
        self.db.executemany(
            "UPDATE articles SET rendered = 0 WHERE id = ?", ((leader,) for leader in leaders)
        )

    def articles(self, *, limit: int | None = None) -> list[ArticleRecord]:
        """Published articles, newest first (by published date, then id for a stable order)."""
        sql = (
            "SELECT * FROM articles WHERE duplicate_of IS NULL "
            "ORDER BY published DESC, last_changed DESC, id"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_record(row) for row in self.db.execute(sql)]

    def fingerprints(
        self, *, limit: int
    ) -> list[tuple[str, datetime, str | None, tuple[int, ...]]]:
        """(id, first seen, story, story fingerprint) of the ``limit`` newest published
        articles, in the order of :meth:`articles`: all that story grouping reads, so SQLite
        leaves the bodies undecoded."""
        rows = self.db.execute(
            "SELECT id, first_seen, story, json_extract(data, '$.fingerprint') FROM articles "
            "WHERE duplicate_of IS NULL ORDER BY published DESC, last_changed DESC, id "
            "LIMIT ?",
            (limit,),
        )
        return [
            (article_id, _dt(first_seen), story, tuple(json.loads(fingerprint or "[]")))
            for article_id, first_seen, story, fingerprint in rows
        ]

    def light_articles(
        self,
        *,
        undigested: bool = False,
        stories: Iterable[str] = (),
        ids: Iterable[str] = (),
        limit: int | None = None,
    ) -> list[ArticleRecord]:
        """Published articles, newest first, without the bulky payload fields.

        The body blocks, terms and fingerprint are dropped by SQLite before Python decodes
        anything: archive pages and the digest need titles and summaries, not bodies.
        Filters: ``undigested`` (not yet in a digest issue), ``stories`` (articles that follow
        one of these leaders), ``ids`` (these articles); ``limit`` keeps the newest.
        """
        where, params = ["duplicate_of IS NULL"], []
        wanted = sorted(set(ids))
        if wanted:
            where.append(f"id IN ({','.join('?' * len(wanted))})")
            params += wanted
        if undigested:
            where.append("digest_id IS NULL")
        leaders = sorted(set(stories))
        if leaders:
            where.append(f"story IN ({','.join('?' * len(leaders))})")
            params += leaders
        sql = (
            "SELECT id, source_key, source, grp, slug, content_hash, body_hash, first_seen, "
            "last_changed, published, duplicate_of, story, digest_id, "
            "json_remove(data, '$.article.blocks', '$.terms', '$.fingerprint') AS data "
            f"FROM articles WHERE {' AND '.join(where)} "
            "ORDER BY published DESC, last_changed DESC, id"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_record(row) for row in self.db.execute(sql, params)]

    def month_order(self, month: str) -> list[tuple[str, str]]:
        """(id, last change) of each published article of ``month``, oldest first: the
        exact reverse of the newest-first order of :meth:`light_articles`."""
        rows = self.db.execute(
            "SELECT id, last_changed FROM articles "
            "WHERE duplicate_of IS NULL AND substr(published, 1, 7) = ? "
            "ORDER BY published, last_changed, id DESC",
            (month,),
        )
        return [(article_id, changed) for article_id, changed in rows]

    def months(self) -> dict[str, tuple[int, str]]:
        """Each month with published articles ("YYYY-MM"): (article count, latest change).

        Every save moves an article's ``last_changed`` past all others, and an article that
        moves to another month changes both months' counts: the pair says whether a month's
        page must be rendered again, without reading a record.
        """
        return {
            month: (count, latest)
            for month, count, latest in self.db.execute(
                "SELECT substr(published, 1, 7), COUNT(*), MAX(last_changed) FROM articles "
                "WHERE duplicate_of IS NULL GROUP BY 1 ORDER BY 1"
            )
        }

    def undigested_latest_change(self) -> datetime | None:
        """The newest change among articles not yet in a digest issue."""
        row = self.db.execute(
            "SELECT MAX(last_changed) FROM articles WHERE digest_id IS NULL "
            "AND duplicate_of IS NULL"
        ).fetchone()
        return _dt(row[0]) if row and row[0] else None

    def articles_by_id(self, ids: Iterable[str]) -> dict[str, ArticleRecord]:
        """Full records of the given articles, by id (unknown ids are left out)."""
        found: dict[str, ArticleRecord] = {}
        for chunk, marks in _in_chunks(ids):
            for row in self.db.execute(f"SELECT * FROM articles WHERE id IN ({marks})", chunk):
                found[row["id"]] = _record(row)
        return found

    def pages(self) -> dict[str, str]:
        """Every published article's slug (its page is ``articles/<slug>.html``) and id."""
        rows = self.db.execute("SELECT slug, id FROM articles WHERE duplicate_of IS NULL")
        return dict(rows.fetchall())

    def undigested_ids(self) -> set[str]:
        """Ids of published articles not yet in any digest issue."""
        return {
            row[0]
            for row in self.db.execute(
                "SELECT id FROM articles WHERE digest_id IS NULL AND duplicate_of IS NULL"
            )
        }

    def data_version(self) -> str:
        """A cheap summary that changes whenever stored data that outputs show changes.

        Articles are never deleted and every save moves ``last_changed`` forward (or marks the
        article unrendered); digest issues are only added. So counts and maxima suffice,
        without reading any payload. Articles waiting for their page (``unrendered``) are
        checked apart: marking them rendered must not change this value.
        """
        articles = self.db.execute(
            "SELECT COUNT(*), MAX(last_changed), SUM(digest_id IS NULL), "
            "SUM(duplicate_of IS NULL) FROM articles"
        ).fetchone()
        digests = self.db.execute("SELECT COUNT(*), MAX(created) FROM digests").fetchone()
        return json.dumps([*articles, *digests])

    def meta(self, key: str) -> str | None:
        """A value the pipeline stored with ``set_meta``, or None."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a named value for a later run (see ``meta``)."""
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def secret(self, name: str) -> bytes:
        """A random 32-byte key, made on first use and kept with the state, so that what it
        signs (unsubscribe links) stays valid across runs and machines sharing the state."""
        key = f"secret:{name}"
        value = self.meta(key)
        if value is None:  # written only once: reading it takes no lock from a running build
            with self.transaction():
                self.db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                    (key, secrets.token_hex(32)),
                )
                value = self.meta(key)
        assert value is not None  # inserted above unless another process did first
        return bytes.fromhex(value)

    def article_count(self) -> int:
        """How many articles are published (duplicates of another are not)."""
        return self.db.execute(
            "SELECT COUNT(*) FROM articles WHERE duplicate_of IS NULL"
        ).fetchone()[0]

    def latest_change(self) -> datetime | None:
        """The newest ``last_changed`` of any article, duplicates included."""
        row = self.db.execute("SELECT MAX(last_changed) FROM articles").fetchone()
        return _dt(row[0]) if row and row[0] else None

    # -- cross-document boilerplate memory -------------------------------------------------

    def record_boilerplate(
        self, group: str, doc: str, keys: Iterable[str], *, first: bool = False
    ) -> None:
        """Remember which line keys document ``doc`` of ``group`` contains (replacing old ones).

        ``first`` says the store has never recorded ``doc``: there is nothing to replace.
        """
        if not first:
            # Scans the group's rows (the key is ordered by line key, not document): cheap for
            # one changed file, but a cold build of a large site must not pay it per file.
            self.db.execute("DELETE FROM boilerplate WHERE grp = ? AND doc = ?", (group, doc))
        # One statement for all the keys, handed over as one JSON array: binding and stepping
        # a statement per key cost a cold build's parent more than SQLite's inserting does.
        self.db.execute(
            "INSERT OR IGNORE INTO boilerplate (grp, key, doc) "
            "SELECT ?, value, ? FROM json_each(?)",
            (group, doc, json.dumps(list(keys))),
        )

    def recurring_keys(self, group: str, *, min_docs: int = 2) -> dict[str, int]:
        """Keys seen in at least ``min_docs`` documents of ``group``, with their counts."""
        rows = self.db.execute(
            "SELECT key, COUNT(*) FROM boilerplate WHERE grp = ? GROUP BY key HAVING COUNT(*) >= ?",
            (group, min_docs),
        )
        return {key: count for key, count in rows}

    # -- keyword document frequencies --------------------------------------------------------

    def set_term_counts(self, counts: Iterable[tuple[str, int]]) -> None:
        """Store how many documents contain each term (see TermCounts, which counts them)."""
        self.db.executemany(
            "INSERT INTO terms (term, docs) VALUES (?, ?) "
            "ON CONFLICT (term) DO UPDATE SET docs = excluded.docs",
            counts,
        )

    def term_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """How many documents contain each of ``terms`` (terms never counted are left out)."""
        result: dict[str, int] = {}
        for chunk, marks in _in_chunks(terms):
            for row in self.db.execute(
                f"SELECT term, docs FROM terms WHERE term IN ({marks})", chunk
            ):
                result[row["term"]] = row["docs"]
        return result

    # -- digests -------------------------------------------------------------------------

    def save_digest(
        self,
        digest_id: str,
        created: datetime,
        subject: str,
        entry_ids: Sequence[str],
        html: str,
        text: str,
        message: bytes,
    ) -> None:
        """Store a digest issue and mark its articles as digested, in one transaction."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO digests (id, created, subject, entry_ids, html, text, message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    digest_id,
                    _ts(created),
                    subject,
                    json.dumps(list(entry_ids)),
                    html,
                    text,
                    message,
                ),
            )
            self.db.executemany(
                "UPDATE articles SET digest_id = ? WHERE id = ?",
                ((digest_id, entry_id) for entry_id in entry_ids),
            )

    def digests(self, *, limit: int | None = None) -> list[Digest]:
        """Digest issues, newest first."""
        sql = "SELECT * FROM digests ORDER BY created DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            Digest(
                id=row["id"],
                created=_dt(row["created"]),
                subject=row["subject"],
                entry_ids=tuple(json.loads(row["entry_ids"])),
                html=row["html"],
                text=row["text"],
                message=bytes(row["message"]),
            )
            for row in self.db.execute(sql)
        ]

    def digest_ids_on(self, day: str) -> list[str]:
        """Ids of the issues dated ``day`` ("YYYY-MM-DD"): the day itself, "<day>-2"..."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT id FROM digests WHERE id = ? OR id LIKE ?", (day, day + "-%")
            )
        ]

    # -- subscribers ---------------------------------------------------------------------

    def subscriber(self, address: str) -> Subscriber | None:
        """The subscriber with this address (any case), if known."""
        row = self.db.execute(
            "SELECT * FROM subscribers WHERE address = ?", (address.lower(),)
        ).fetchone()
        return _subscriber(row) if row else None

    def put_subscriber(self, address: str, name: str | None, status: str, now: datetime) -> None:
        """Add or change a subscriber; the address is folded to lower case."""
        self.db.execute(
            "INSERT INTO subscribers (address, name, status, added, changed) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (address) DO UPDATE SET name = COALESCE(excluded.name, name), "
            "status = excluded.status, changed = excluded.changed",
            (address.lower(), name, status, _ts(now), _ts(now)),
        )

    def subscribers(self, *, status: str | None = None) -> list[Subscriber]:
        """Every subscriber, or those with ``status``, by address."""
        if status is None:
            rows = self.db.execute("SELECT * FROM subscribers ORDER BY address")
        else:
            rows = self.db.execute(
                "SELECT * FROM subscribers WHERE status = ? ORDER BY address", (status,)
            )
        return [_subscriber(row) for row in rows]

    # -- deliveries ----------------------------------------------------------------------

    def deliveries(self, digest_id: str) -> dict[str, Delivery]:
        """The delivery log of one issue, by address."""
        return {
            row["address"]: Delivery(
                row["digest_id"],
                row["address"],
                row["status"],
                row["attempts"],
                row["last_error"],
                _dt(row["updated"]),
                _dt(row["queued"]),
            )
            for row in self.db.execute("SELECT * FROM deliveries WHERE digest_id = ?", (digest_id,))
        }

    def record_delivery(
        self, digest_id: str, address: str, status: str, now: datetime, error: str | None = None
    ) -> None:
        """Record one attempt at delivering ``digest_id`` to ``address`` (committed at once)."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO deliveries "
                "(digest_id, address, status, attempts, last_error, updated, queued) "
                "VALUES (?, ?, ?, 1, ?, ?, ?) ON CONFLICT (digest_id, address) DO UPDATE SET "
                "status = excluded.status, attempts = attempts + 1, "
                "last_error = excluded.last_error, updated = excluded.updated",
                (digest_id, address.lower(), status, error, _ts(now), _ts(now)),
            )

    def queue_deliveries(self, digest_id: str, now: datetime) -> int:
        """Freeze an issue's recipients: every active subscriber not yet in its log becomes
        pending (no attempt counted). Returns how many were queued."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO deliveries "
                "(digest_id, address, status, attempts, updated, queued) "
                "SELECT ?, address, 'pending', 0, ?, ? FROM subscribers WHERE status = 'active'",
                (digest_id, _ts(now), _ts(now)),
            )
        return cursor.rowcount

    def incomplete_digests(self) -> list[str]:
        """Ids of issues still pending for some active subscriber, oldest first."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT DISTINCT g.id, g.created FROM digests g "
                "JOIN deliveries d ON d.digest_id = g.id "
                "JOIN subscribers s ON s.address = d.address "
                "WHERE d.status = 'pending' AND s.status = 'active' ORDER BY g.created, g.id"
            )
        ]

    # -- scheduled jobs ------------------------------------------------------------------

    def record_job(self, name: str, when: datetime, status: str, detail: str | None = None) -> None:
        """Remember the last run of scheduled job ``name`` (committed at once)."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO jobs (name, last_run, status, detail) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run, "
                "status = excluded.status, detail = excluded.detail",
                (name, _ts(when), status, detail),
            )

    def last_job(self, name: str) -> tuple[datetime, str, str | None] | None:
        """(when, status, detail) of job ``name``'s last recorded run, or None."""
        row = self.db.execute("SELECT * FROM jobs WHERE name = ?", (name,)).fetchone()
        return (_dt(row["last_run"]), row["status"], row["detail"]) if row else None


class TermCounts:
    """The keyword terms' document frequencies while a batch of articles is saved: each term
    is read from the store once, counted here and written back by ``flush``.

    An upsert and a look-up per term of every saved article cost the saving of a cold build
    more than anything else; most terms recur from article to article. At most ``limit``
    terms are held: past that, ``add`` writes them back and forgets them.
    """

    def __init__(self, store: Store, *, limit: int = 50_000) -> None:
        self.store, self.limit = store, limit
        # Every term read or counted since the last flush; None for one the store lacks.
        self.counts: dict[str, int | None] = {}
        self.changed: dict[str, int] = {}  # the counts to write back

    def add(self, terms: Iterable[str], delta: int = 1) -> dict[str, int]:
        """Count one more (or, with delta=-1, one fewer) document containing each term;
        return the terms' new counts.

        A count never drops below 0, except that of a term never counted, which becomes
        ``delta``: the rule the store's terms table has always followed.
        """
        if len(self.counts) > self.limit:
            self.flush()
        distinct = set(terms)
        counts = self._load(distinct)
        added = {
            term: delta if (count := counts[term]) is None else max(0, count + delta)
            for term in distinct
        }
        counts.update(added)
        self.changed.update(added)
        return added

    def flush(self) -> None:
        """Write the changed counts to the store (in term order: its key order) and forget
        every term read."""
        self.store.set_term_counts(sorted(self.changed.items()))
        self.counts.clear()
        self.changed.clear()

    def _load(self, terms: set[str]) -> dict[str, int | None]:
        missing = [term for term in terms if term not in self.counts]
        if missing:
            stored = self.store.term_frequencies(missing)
            self.counts.update((term, stored.get(term)) for term in missing)
        return self.counts


def _in_chunks(values: Iterable[str]) -> Iterator[tuple[list[str], str]]:
    """The distinct ``values``, sorted, in chunks of 500 with their "?,?,..." placeholders:
    few enough for SQLite's limit on the parameters of one statement."""
    wanted = sorted(set(values))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        yield chunk, ",".join("?" * len(chunk))


def _record(row: sqlite3.Row) -> ArticleRecord:
    return ArticleRecord(
        id=row["id"],
        source_key=row["source_key"],
        source=row["source"],
        group=row["grp"],
        slug=row["slug"],
        content_hash=row["content_hash"],
        body_hash=row["body_hash"],
        first_seen=_dt(row["first_seen"]),
        last_changed=_dt(row["last_changed"]),
        published=_dt(row["published"]),
        duplicate_of=row["duplicate_of"],
        story=row["story"],
        digest_id=row["digest_id"],
        data=json.loads(row["data"]),
    )


def _subscriber(row: sqlite3.Row) -> Subscriber:
    return Subscriber(
        row["address"], row["name"], row["status"], _dt(row["added"]), _dt(row["changed"])
    )
