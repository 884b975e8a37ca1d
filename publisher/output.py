"""Writing the publication: atomic file replacement.

Every output file is written to a temporary name in its own directory, flushed to disk and
renamed over the old one, so a reader (or a run killed half-way) only ever sees a complete
old file or a complete new one.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

from .errors import PublisherError

FILE_MODE = 0o644
TEMP_SUFFIX = ".tmp"
# Files written and flushed at once: enough to keep a disk's queue busy, few enough to stay polite
# on a shared machine.
WRITE_THREADS = 8
# Temporaries one thread flushes in a row: a thread task (and a thread woken) per file cost
# more than its flush, thousands of article pages over.
FLUSH_BATCH = 8


def write_files(out_dir: Path, files: Mapping[str, bytes]) -> list[str]:
    """Write each ``relative path -> bytes`` under ``out_dir``; only files whose bytes change.

    Every changed file is written to a temporary name (several at once, in threads), then
    flushed and renamed into place in the order given (see ``publish_staged``). Returns the
    relative paths actually written.
    """
    return publish_staged(out_dir, stage_files(out_dir, files))


def stage_files(out_dir: Path, files: Mapping[str, bytes]) -> Iterator[tuple[str, str | None]]:
    """``stage_file`` for each ``relative path -> bytes`` under ``out_dir``, several at once
    (in threads): each name with its temporary (None: unchanged), in the order given, for
    ``publish_staged``. The first failure is raised once every file is staged."""
    with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
        futures = [
            (name, pool.submit(stage_file, out_dir / name, data)) for name, data in files.items()
        ]
    yield from _all_results(futures)


def stage_file(path: Path, data: bytes) -> str | None:
    """Write ``data`` to a new temporary file beside ``path``, unless ``path`` already holds
    exactly these bytes. Returns the temporary's path, or None.

    The first half of an atomic write, safe to run in another thread or process; the
    temporary becomes ``path`` when ``publish_staged`` flushes and renames it. Raises OSError.
    """
    if not _differs(path, data):
        return None
    # The directory is missing only before its first file: making sure of it before every
    # file cost two system calls each (thousands of article pages).
    try:
        return _write_temp(path, data)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _write_temp(path, data)


def publish_staged(out_dir: Path, staged: Iterable[tuple[str, str | None]]) -> list[str]:
    """Flush the temporaries of ``stage_file`` to disk and rename them into place: ``staged``
    yields each file's path relative to ``out_dir`` and its temporary (None: unchanged), in
    publishing order.

    Callers order files so that pages come before the index and feeds that link to them. The
    flushes run in threads (each waits on the disk, not the CPU), FLUSH_BATCH files at a time
    as soon as they are staged, so that they overlap with the staging of the rest (thousands
    of article pages); all end before the first rename, and the directories are flushed once
    all are renamed.
    Returns the relative paths written. An OSError while staging (raised by ``staged``),
    flushing or renaming removes the temporaries and becomes a PublisherError; a run killed
    half-way leaves temporaries that ``remove_stale_temps`` removes, never a half-written file.
    """
    temps: list[tuple[str, str]] = []
    try:
        with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
            flushes = []
            batch: list[str] = []
            # Every temporary is collected before a failed flush is raised: all get removed.
            for name, tmp in staged:
                if tmp is not None:
                    temps.append((name, tmp))
                    batch.append(tmp)
                    if len(batch) == FLUSH_BATCH:
                        flushes.append(pool.submit(_fsync_all, batch))
                        batch = []
            if batch:
                flushes.append(pool.submit(_fsync_all, batch))
            for flush in flushes:
                flush.result()
        for name, tmp in temps:
            os.replace(tmp, out_dir / name)
        for directory in {(out_dir / name).parent for name, _ in temps}:
            _fsync(directory)
    except BaseException as exc:
        # Whatever stopped it (a full disk, a template that broke while its pages were
        # staged), nothing half-done is left beside the published files.
        for _, tmp in temps:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
        if not isinstance(exc, OSError):
            raise
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        raise PublisherError(
            f"cannot write to {out_dir}: {exc.strerror or exc}",
            "free some space on its disk (the files already there are intact)"
            if full
            else "check [paths] out and the directory's permissions",
        ) from exc
    return [name for name, _ in temps]


def _all_results(futures: list[tuple[str, Future[str | None]]]) -> Iterator[tuple[str, str | None]]:
    """Each name with its future's result; the first failure is raised once every result has
    been yielded, so that every temporary made is known and can be removed."""
    failure: OSError | None = None
    for name, future in futures:
        try:
            yield name, future.result()
        except OSError as exc:
            failure = failure or exc
    if failure is not None:
        raise failure


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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def _fsync_all(paths: Iterable[str]) -> None:
    for path in paths:
        _fsync(path)


def _fsync(path: str | Path) -> None:
    """Flush a file, or a directory (renames are durable only once it is flushed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Staging:
    """Files staged beside their place as soon as they are rendered (``stage_file``), and
    published together later (``publish``): a render of thousands of feeds holds none of
    their bytes in memory. Takes ``staging[name] = data`` and ``staging.update(files)``."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.staged: list[tuple[str, str | None]] = []

    def __setitem__(self, name: str, data: bytes) -> None:
        self.staged.append((name, stage_file(self.out_dir / name, data)))

    def update(self, files: Mapping[str, bytes]) -> None:
        """Stage each of ``files`` (relative path -> bytes)."""
        for name, data in files.items():
            self[name] = data

    @property
    def names(self) -> list[str]:
        """Every file staged, written or unchanged."""
        return [name for name, _ in self.staged]

    def publish(self) -> list[str]:
        """Flush and rename the staged files into place (see ``publish_staged``); returns
        the relative paths written."""
        return publish_staged(self.out_dir, self.staged)

    def discard(self) -> None:
        """Remove the temporaries of files that will not be published."""
        for _, tmp in self.staged:
            if tmp is not None:
                with suppress(FileNotFoundError):
                    os.unlink(tmp)
