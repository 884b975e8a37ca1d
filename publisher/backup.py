"""Looking after the state database: ``publisher state backup`` and ``publisher state
vacuum``.

The state database holds what cannot be made again from the inputs (subscribers, the
delivery log, the key that signs the unsubscribe links in mail already sent). A copy made
with SQLite's online backup is consistent even while a build or a send is writing.

A build keeps the state bounded (the boilerplate memory forgets what its retention rule
says, see build/boilerplate.py), but SQLite keeps the pages it frees for later rows rather
than giving them back: ``vacuum`` applies the retention rule to every site and rewrites
the file without them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .errors import ConfigError
from .store import Store, run_lock


@dataclass(frozen=True)
class VacuumReport:
    """What ``vacuum_state`` did: the file's size before and after (bytes, with its write-
    ahead log), and the documents the boilerplate memory forgot."""

    before: int
    after: int
    forgotten: int


def backup_state(settings: Settings, target: Path) -> Path:
    """Copy the state database to ``target`` (replaced whole, never half-written); return
    it. Raises PublisherError when there is no state database or it cannot be read, and
    ConfigError when ``target`` is the database itself."""
    state = settings.paths.state
    if os.path.realpath(target) == os.path.realpath(state):
        raise ConfigError(
            f"{target} is the state database itself", "give the backup another file name"
        )
    Store.copy(state, target)
    return target


def vacuum_state(settings: Settings) -> VacuumReport:
    """Apply the boilerplate memory's retention rule to every site and give the space the
    database no longer uses back to the file system. Takes the build lock (a build waits,
    or this raises LockedError); needs free disk space about the database's size for the
    time it runs. Raises PublisherError when there is no state database."""
    # Imported here: the rule lives with the build, whose cleaner the other commands of
    # this module do without.
    from .build.boilerplate import forget_old_boilerplate

    state = settings.paths.state
    if not state.exists():
        raise ConfigError(f"no state database at {state}", "check [paths] state or --state")
    with run_lock(state), Store.open(state) as store:
        before = _size(state)
        with store.transaction():
            forgotten = forget_old_boilerplate(store, store.boilerplate_groups())
        store.vacuum()
    return VacuumReport(before, _size(state), forgotten)


def _size(state: Path) -> int:
    """The bytes of the database and its write-ahead log."""
    wal = state.with_name(state.name + "-wal")
    return state.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
