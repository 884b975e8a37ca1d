"""The connection to the state database: opening, migrating, transactions, small named
values and secrets. The tables' own methods live in ``articles``, ``mail`` and ``jobs``.

One file, never inside the output directory. WAL journaling and one transaction per unit of
work, so a process killed at any moment leaves either the old or the new state.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from ..errors import PublisherError
from .schema import MIGRATIONS, SCHEMA_VERSION

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


def ts(value: datetime) -> str:
    """A time as stored: UTC, ISO 8601 with microseconds (so that text order is time order)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def dt(value: str) -> datetime:
    """A stored time (see ``ts``)."""
    return datetime.fromisoformat(value)


def in_chunks(values: Iterable[str]) -> Iterator[tuple[list[str], str]]:
    """The distinct ``values``, sorted, in chunks of 500 with their "?,?,..." placeholders:
    few enough for SQLite's limit on the parameters of one statement."""
    wanted = sorted(set(values))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        yield chunk, ",".join("?" * len(chunk))


class Database:
    """A connection to the state database. Use ``Store.open(path)`` as a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[Self]:
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
    def reading(cls, path: Path) -> Iterator[Self]:
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

    def meta(self, key: str) -> str | None:
        """A value a run stored with ``set_meta``, or None."""
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
