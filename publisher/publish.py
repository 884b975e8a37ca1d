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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import LockedError, PublisherError

FILE_MODE = 0o644
TEMP_SUFFIX = ".tmp"
# Files written and flushed at once: enough to keep a disk's queue busy, few enough to stay polite
# on a shared machine.
WRITE_THREADS = 8


def write_files(out_dir: Path, files: Mapping[str, bytes]) -> list[str]:
    """Write each ``relative path -> bytes`` under ``out_dir``; only files whose bytes change.

    Every changed file is written to a temporary name and flushed to disk first (several at
    once: each waits on the disk, not the CPU), then all are renamed into place in the
    order given: callers order files so that pages come before the index and feeds that
    link to them. Returns the relative paths actually written, in that order.
    """
    changed = [(name, data) for name, data in files.items() if _differs(out_dir / name, data)]
    if not changed:
        return []
    temps: list[tuple[str, str]] = []
    try:
        for directory in {(out_dir / name).parent for name, _ in changed}:
            directory.mkdir(parents=True, exist_ok=True)
        # Creating, filling and flushing files is system calls (which release the GIL), so
        # threads overlap them; a failure surfaces once every started temporary is known.
        with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
            futures = [
                (name, pool.submit(_write_temp, out_dir / name, data)) for name, data in changed
            ]
            failure: OSError | None = None
            for name, future in futures:
                try:
                    temps.append((name, future.result()))
                except OSError as exc:
                    failure = failure or exc
            if failure is not None:
                raise failure
        for name, tmp in temps:
            os.replace(tmp, out_dir / name)
        for directory in {(out_dir / name).parent for name, _ in changed}:
            _fsync(directory)
    except OSError as exc:
        for _, tmp in temps:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
        raise PublisherError(
            f"cannot write to {out_dir}: {exc.strerror or exc}",
            "check [paths] out and the directory's permissions",
        ) from exc
    return [name for name, _ in changed]


def remove_stale_temps(directory: Path) -> None:
    """Remove temporary files a killed run left in ``directory`` (never a published file)."""
    with suppress(FileNotFoundError):
        for entry in os.scandir(directory):
            if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
                with suppress(FileNotFoundError):
                    os.unlink(entry.path)


def _differs(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size != len(data) or path.read_bytes() != data
    except FileNotFoundError:
        return True


def _write_temp(path: Path, data: bytes) -> str:
    """``data`` in a new temporary file next to ``path``, flushed to disk; its name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(fd, FILE_MODE)
            os.fsync(fd)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _fsync(path: str | Path) -> None:
    """Flush a file, or a directory (renames are durable only once it is flushed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
