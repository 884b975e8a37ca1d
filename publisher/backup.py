"""The operator's copy of the state: ``publisher state backup``.

The state database holds what cannot be made again from the inputs (subscribers, the
delivery log, the key that signs the unsubscribe links in mail already sent). A copy made
with SQLite's online backup is consistent even while a build or a send is writing.
"""

from __future__ import annotations

import os
from pathlib import Path

from .config import Settings
from .errors import ConfigError
from .store import Store


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
