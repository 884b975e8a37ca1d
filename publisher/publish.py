"""Writing the publication: atomic file replacement and the run lock.

Every output file is written to a temporary name in its own directory, flushed to disk and
renamed over the old one, so a reader (or a run killed half-way) only ever sees a complete
old file or a complete new one.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import LockedError, PublisherError

FILE_MODE = 0o644


def write_atomic(path: Path, data: bytes, *, mode: int = FILE_MODE) -> None:
    """Replace ``path`` with ``data`` atomically (temp file, fsync, os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_files(out_dir: Path, files: Mapping[str, bytes]) -> list[str]:
    """Write each ``relative path -> bytes`` under ``out_dir``; only files whose bytes change.

    Returns the relative paths actually written, in the order given (callers order files so
    that pages come before the index and feeds that link to them).
    """
    written: list[str] = []
    try:
        for name, data in files.items():
            path = out_dir / name
            try:
                if path.stat().st_size == len(data) and path.read_bytes() == data:
                    continue
            except FileNotFoundError:
                pass
            write_atomic(path, data)
            written.append(name)
    except OSError as exc:
        raise PublisherError(
            f"cannot write to {out_dir}: {exc.strerror or exc}",
            "check [paths] out and the directory's permissions",
        ) from exc
    return written


@contextmanager
def run_lock(state_path: Path) -> Iterator[None]:
    """Hold the exclusive lock next to the state database for the length of a run.

    An fcntl lock dies with its process, so a run that was killed never blocks the next one.
    """
    lock_path = Path(str(state_path) + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    # Private like the database it guards; held open for the lock's lifetime.
    handle = os.fdopen(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), "r+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # One line: cron mails it, and the next scheduled run simply tries again.
            raise LockedError(
                f"another publisher run holds the lock {lock_path}; try again later"
            ) from None
        yield
    finally:
        handle.close()
