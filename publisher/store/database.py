"""The connection to the state database: opening, migrating, transactions, small named
values and secrets. The tables' own methods live in ``articles``, ``mail`` and ``jobs``.

One file, never inside the output directory. WAL journaling and one transaction per unit of
work, so a process killed at any moment leaves either the old or the new state.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
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
_SQLITE_HEADER = b"SQLite format 3\x00"
# The page size of a new database. An article row (about 7 KB of payload) spills into
# overflow pages and keeps a head of up to a page in its leaf, where the space no other row
# fits is lost: with 2 KB pages instead of SQLite's 4 KB, about 370 bytes an article less
# (measured on the 10,000-article benchmark: docs/performance.md), at the same cost for a
# no-op build. A database made with other pages keeps them.
PAGE_SIZE = 2048


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
        """Open the database at ``path``, migrating it as needed (a backup of it is made
        first, beside it); close on exit.

        Only a path where nothing exists gets a new database. A file that is there but is
        not a publisher database (empty, truncated to nothing, another program's) is an
        error naming it, never replaced: it may be the only copy of the subscribers, the
        delivery log and the key that signs the links in mail already sent.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not (path.exists() or path.is_symlink()):
                _create(path)
            _check_file(path)
            connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise PublisherError(
                f"cannot open the state database {path}: {exc}",
                "check [paths] state and the directory's permissions",
            ) from exc
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

    @classmethod
    def copy(cls, path: Path, target: Path) -> None:
        """Copy the publisher database at ``path`` to ``target`` as it is (no migration), while
        other runs may be using it: see ``backup``."""
        path = Path(path)
        if not (path.exists() or path.is_symlink()):
            raise PublisherError(
                f"no state database at {path}", "check [paths] state or the --state option"
            )
        _check_file(path)
        with cls.reading(path) as database:
            try:
                if not database._has_tables():
                    raise _not_ours(path, "it has none of publisher's tables")
                database.backup(target)
            except sqlite3.DatabaseError as exc:
                raise _database_error(path, exc) from exc

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise PublisherError(
                f"the state database {self.path} has schema version {version}, newer than this "
                f"program's {SCHEMA_VERSION}",
                "upgrade publisher",
            )
        if version == 0 or not self._has_tables():
            # Every database this program makes is migrated before it gets its name.
            raise _not_ours(self.path, "it has none of publisher's tables")
        if version < SCHEMA_VERSION:
            self.backup(_backup_path(self.path, version))
        for step in range(version, SCHEMA_VERSION):
            _apply(self.db, step)

    def _has_tables(self) -> bool:
        names = {row[0] for row in self.db.execute("SELECT name FROM sqlite_schema")}
        return {"articles", "subscribers", "deliveries"} <= names

    def backup(self, target: Path) -> None:
        """A consistent copy of the database at ``target`` (SQLite's online backup: the
        database may be in use), private like it. Written beside ``target`` and renamed, so
        ``target`` is only ever a whole copy."""
        target = Path(target)
        staging = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            copy = sqlite3.connect(staging)
            try:
                self.db.backup(copy)
            finally:
                copy.close()
            os.replace(staging, target)
        except OSError as exc:
            raise PublisherError(
                f"cannot write the backup {target}: {exc.strerror or exc}",
                "check that its directory exists, is writable and has room",
            ) from exc
        finally:
            with suppress(FileNotFoundError):
                staging.unlink()

    def vacuum(self) -> None:
        """Rewrite the database without its free pages, and empty the write-ahead log; with
        ``PAGE_SIZE`` pages when no other connection has it open (the page size changes only
        outside the write-ahead log, which needs the database to itself)."""
        resized = False
        if self.db.execute("PRAGMA page_size").fetchone()[0] != PAGE_SIZE:
            with suppress(sqlite3.OperationalError):  # open elsewhere: pages kept as they are
                mode = self.db.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
                resized = mode == "delete"
        try:
            if resized:
                self.db.execute(f"PRAGMA page_size={PAGE_SIZE}")
            self.db.execute("VACUUM")
        finally:
            if resized:
                self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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

    def kept(self, name: str, make: Callable[[], str]) -> str:
        """A named value made once by ``make`` (a private key) and kept with the state, like
        ``secret``: every later call, in any process, gets the same one."""
        key = f"kept:{name}"
        value = self.meta(key)
        if value is None:
            made = make()
            with self.transaction():
                self.db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                    (key, made),
                )
                value = self.meta(key)
        assert value is not None  # inserted above unless another process did first
        return value


def _create(path: Path) -> None:
    """A new, fully migrated database at ``path``, which must not exist.

    Made under a temporary name and linked into place, so that a run killed while creating
    it leaves no half-made file under the real name, which the next run would refuse.
    """
    staging = path.with_name(f".{path.name}.{secrets.token_hex(4)}.new")
    try:
        # Private from its first byte: it will hold subscribers' addresses and a secret.
        os.close(os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        connection = sqlite3.connect(staging, isolation_level=None)
        try:
            # Set before the first table (and the log) exists, after which it is fixed.
            connection.execute(f"PRAGMA page_size={PAGE_SIZE}")
            connection.execute("PRAGMA journal_mode=WAL")
            for step in range(SCHEMA_VERSION):
                _apply(connection, step)
        finally:
            connection.close()
        try:
            os.link(staging, path)
        except FileExistsError:
            pass  # another run made it first: that one is used
        except OSError:
            # No hard links on this file system: a rename, which could only replace a
            # database made at this very moment by another run with an equally empty one.
            os.replace(staging, path)
    finally:
        for leftover in (staging, *(Path(f"{staging}{end}") for end in ("-wal", "-shm"))):
            with suppress(FileNotFoundError):
                leftover.unlink()


def _check_file(path: Path) -> None:
    """Refuse a file that cannot be a SQLite database before SQLite sees it: SQLite takes
    an empty file for a new database, and would make one in its place."""
    with open(path, "rb") as handle:
        head = handle.read(len(_SQLITE_HEADER))
    if not head:
        raise _not_ours(path, "it is empty (0 bytes)")
    if head != _SQLITE_HEADER:
        raise _not_ours(path, "it is not a SQLite database")


def _not_ours(path: Path, why: str) -> PublisherError:
    return PublisherError(
        f"the state database {path} is not a publisher database: {why}",
        f"restore it from a backup (publisher keeps one beside it before each upgrade: "
        f"{path.name}.v*.backup), or move it away to start afresh with no subscribers, "
        "delivery history or unsubscribe key",
    )


def _backup_path(path: Path, version: int) -> Path:
    """Where the database at schema ``version`` is copied before it is migrated."""
    return path.with_name(f"{path.name}.v{version}.backup")


def _apply(connection: sqlite3.Connection, step: int) -> None:
    """Migration ``step`` (version ``step`` to ``step + 1``) in one transaction, version bump
    included: it applies whole or not at all. Another process that migrated first wins;
    this one then has nothing left to do."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        if connection.execute("PRAGMA user_version").fetchone()[0] == step:
            for statement in _statements(MIGRATIONS[step]):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {step + 1}")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of ``script`` one by one (executescript would commit the
    transaction they must run in)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip().rstrip(";").strip():
                yield pending
            pending = ""
