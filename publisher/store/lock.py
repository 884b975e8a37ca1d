"""The run lock: one build or send at a time per state database.

An flock(2) lock on ``STATE.lock`` beside the database, held for the length of a run. The
kernel drops it when its process dies, so a run that was killed never blocks the next one.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ..errors import LockedError, PublisherError


@contextmanager
def run_lock(state_path: Path) -> Iterator[None]:
    """Hold the exclusive lock next to the state database for the length of a run.

    An fcntl lock dies with its process, so a run that was killed never blocks the next one.
    Raises LockedError when another run holds it, PublisherError when the lock file cannot
    be made.
    """
    lock_path = Path(str(state_path) + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        # Private like the database it guards; held open for the lock's lifetime.
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        # A read-only or missing state directory: a message naming it, not a traceback.
        raise PublisherError(
            f"cannot create the lock file {lock_path}: {exc.strerror or exc}",
            "check [paths] state and the directory's permissions",
        ) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # One line: cron mails it, and the next scheduled run simply tries again.
            raise LockedError(
                f"another publisher run holds the lock {lock_path}; try again later"
            ) from None
        _held_locks.add(fd)
        try:
            yield
        finally:
            _held_locks.discard(fd)
    finally:
        os.close(fd)


# The descriptors of the run locks this process holds. An flock belongs to the open file,
# which a forked child shares: the workers of a build's process pool, orphaned when the
# build is killed, would keep the lock for good and every later run would exit 75. So a
# child closes its copies at once (the parent's lock stands; the child never unwinds
# run_lock, which would close them again).
_held_locks: set[int] = set()


def _close_held_locks() -> None:
    for fd in _held_locks:
        with suppress(OSError):
            os.close(fd)
    _held_locks.clear()


os.register_at_fork(after_in_child=_close_held_locks)
