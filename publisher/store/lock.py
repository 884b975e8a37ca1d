"""The run locks, each an flock(2) lock on a file beside the state database.

``run_lock`` (``STATE.lock``): one writer of the articles and the outputs at a time, held by
a build for its length and by a send only while it freezes an issue. ``send_lock``
(``STATE.send.lock``): one delivery at a time, held by a send for its length, so that a slow
mail server never holds up publishing and two sends never deliver side by side. The kernel
drops a lock when its process dies, so a run that was killed never blocks the next one.
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
    """Hold the lock on the articles and the outputs (``STATE.lock``) for a build, or for
    the freezing of an issue.

    Raises LockedError when another run holds it, PublisherError when the lock file cannot
    be made.
    """
    with _flock(Path(str(state_path) + ".lock"), "publisher run"):
        yield


@contextmanager
def send_lock(state_path: Path) -> Iterator[None]:
    """Hold the delivery lock (``STATE.send.lock``) for the length of a send.

    Raises LockedError when another send holds it, PublisherError when the lock file cannot
    be made.
    """
    with _flock(Path(str(state_path) + ".send.lock"), "publisher send"):
        yield


@contextmanager
def _flock(lock_path: Path, holder: str) -> Iterator[None]:
    """An exclusive flock on ``lock_path``; an fcntl lock dies with its process."""
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
                f"another {holder} holds the lock {lock_path}; try again later"
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
