"""What the store remembers of the input directories and files, so that a build looks at
what changed without listing or stat-ing the whole archive (see ``build.inputs``).

``input_dirs`` holds each input directory the build listed, by key (the prefix of its files'
source keys, "root/site/"), with its inode and modification time then (NULL when that time
was too close to the listing to be trusted: the directory is listed again) and how many
input files it held.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .articles import FileState
from .database import Database


@dataclass(frozen=True)
class DirState:
    """An input directory as the build last listed it."""

    key: str  # "root/sub/": what the source keys of the files in it start with
    inode: int
    mtime_ns: int | None  # None: list it again
    files: int  # input files directly in it


class InputTables(Database):
    """The methods of the input snapshots (see the module)."""

    def file_state(self, source_key: str) -> FileState | None:
        """What the store remembers of the input file ``source_key``: a rejection when the
        file's current version could not be used (its article, if it had one, stays),
        else its article's, else None."""
        row = self.db.execute(
            "SELECT NULL, size, mtime, NULL FROM rejects WHERE source_key = ?1 "
            "UNION ALL SELECT id, size, mtime, content_hash FROM articles WHERE source_key = ?1",
            (source_key,),
        ).fetchone()
        return FileState(row[0], row[1], row[2], row[3]) if row else None

    def files_under(self, prefix: str) -> dict[str, FileState]:
        """What the store remembers (as ``file_state``) of every input file whose key starts
        with ``prefix`` ("root/site/"), by key: two range reads of the keys' indexes instead
        of a look-up per file, for a directory that is listed."""
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        states = {
            key: FileState(article_id, size, mtime, content_hash)
            for key, article_id, size, mtime, content_hash in self.db.execute(
                "SELECT source_key, id, size, mtime, content_hash FROM articles "
                "WHERE source_key >= ? AND source_key < ?",
                (prefix, end),
            )
        }
        # A rejection of the file's current version comes first (see ``file_state``).
        states.update(
            (key, FileState(None, size, mtime, None))
            for key, size, mtime in self.db.execute(
                "SELECT source_key, size, mtime FROM rejects "
                "WHERE source_key >= ? AND source_key < ?",
                (prefix, end),
            )
        )
        return states

    def knows_files(self) -> bool:
        """Whether the store has a record of any input file at all."""
        row = self.db.execute(
            "SELECT (SELECT 1 FROM articles LIMIT 1) IS NOT NULL "
            "OR (SELECT 1 FROM rejects LIMIT 1) IS NOT NULL"
        ).fetchone()
        return bool(row[0])

    def recent_files(self, since: float) -> list[tuple[str, int, float]]:
        """(source key, size, mtime) of the known files modified at or after ``since``."""
        rows = self.db.execute(
            "SELECT source_key, size, mtime FROM articles WHERE mtime >= ?1 "
            "UNION SELECT source_key, size, mtime FROM rejects WHERE mtime >= ?1",
            (since,),
        )
        return [(key, size, mtime) for key, size, mtime in rows]

    def files_after(self, table: str, after: str, limit: int) -> list[tuple[str, int, float]]:
        """(source key, size, mtime) of the ``limit`` known files of ``table`` ("articles" or
        "rejects") whose keys follow ``after``, in key order: a slice of the rotation."""
        if table not in ("articles", "rejects"):
            raise ValueError(f"no input files in {table}")
        rows = self.db.execute(
            f"SELECT source_key, size, mtime FROM {table} WHERE source_key > ? "
            "ORDER BY source_key LIMIT ?",
            (after, limit),
        )
        return [(key, size, mtime) for key, size, mtime in rows]

    def input_dirs(self, prefix: str) -> dict[str, DirState]:
        """The directories remembered under (and including) ``prefix`` ("root/"), by key."""
        rows = self.db.execute(
            "SELECT key, inode, mtime_ns, files FROM input_dirs WHERE key >= ? AND key < ?",
            (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)),
        )
        return {row[0]: DirState(row[0], row[1], row[2], row[3]) for row in rows}

    def save_input_dirs(self, states: Iterable[DirState]) -> None:
        """Remember how these directories were listed."""
        self.db.executemany(
            "INSERT OR REPLACE INTO input_dirs (key, inode, mtime_ns, files) VALUES (?, ?, ?, ?)",
            ((s.key, s.inode, s.mtime_ns, s.files) for s in states),
        )

    def drop_input_dirs(self, keys: Iterable[str]) -> None:
        """Forget directories that are gone."""
        self.db.executemany("DELETE FROM input_dirs WHERE key = ?", ((k,) for k in keys))
