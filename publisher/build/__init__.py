"""The build use case: the only place the stages are chained, sources -> clean -> summarize
-> store -> outputs.

``build`` is one publish run. It reads only files (and documents the fetcher stored: see
``publisher.fetch``) whose size or mtime changed, cleans and
summarizes them (``process``, in a pool of workers for large batches: ``pool``), records
them in the store (``saving``), drops the blocks that recur across a site's documents
(``boilerplate``), regroups stories, then renders feeds, digest and archive and writes
whatever changed atomically into the output directory (``outputs``), and last tells the
WebSub hubs which feeds changed (``websub``). The clock is passed in, so a run is a pure
function of its inputs, state and ``now``.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Executor
from datetime import UTC, datetime

from .. import sources
from ..config import Settings
from ..jobs import record_failure
from ..models import Rejected, RunReport
from ..sources import SourceFile
from ..store import Store, run_lock
from .boilerplate import drop_recurring
from .outputs import render_outputs
from .pool import Progress, map_in_order, workers
from .process import make_tasks, process, web_files
from .saving import (
    UNFINISHED_HASHES_META,
    UNFINISHED_META,
    Batch,
    regroup_duplicates,
    regroup_stories,
    with_unfinished,
    with_unfinished_hashes,
)
from .websub import send_pings

__all__ = ["Progress", "build"]

# What a build did, file by file, for `publisher build -v`.
log = logging.getLogger(__name__)


def build(
    settings: Settings,
    *,
    now: datetime,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> RunReport:
    """Publish the inputs into the output directory; return what was done.

    Cleaning and summarizing run on ``executor`` when given (any concurrent.futures
    Executor, e.g. a dask.distributed client's), else on a pool of ``settings.jobs`` worker
    processes. Workers read the input files themselves, so they must see the same paths.
    Raises LockedError when another run holds the lock, PublisherError on unusable state or
    output directories. Bad input files never raise: they are reported in ``skipped``.
    """
    now = now.astimezone(UTC).replace(microsecond=0)
    with run_lock(settings.paths.state), Store.open(settings.paths.state) as store:
        try:
            report = _publish(store, settings, now, progress, executor)
        except Exception as exc:
            record_failure(store, "build", now, exc)
            raise
        store.record_outcome("build", now, "ok", report.summary())
    if settings.feed.hubs:
        # After the lock is let go and everything is published: a slow hub holds nothing.
        send_pings(settings.paths.state, now)
    return report


def _publish(
    store: Store,
    settings: Settings,
    now: datetime,
    progress: Progress | None,
    executor: Executor | None,
) -> RunReport:
    """The build's work, under its lock (see ``build``)."""
    files, skipped_list = sources.discover(settings.paths.input)
    # Documents the fetcher stored are read like files: keyed by canonical URL, grouped by
    # host, changed when the fetcher changed them.
    web = web_files(store, settings.paths.state)
    if web:
        files = sorted([*files, *web], key=lambda file: file.key)
    skipped: list[Rejected] = list(skipped_list)
    states = store.file_states()
    stale = []
    unchanged = 0
    for file in files:
        if not _storable(file):
            skipped.append(Rejected(_shown_path(file.path), "file name is not valid UTF-8"))
            continue
        state = states.get(file.key)
        if state and state.size == file.size and state.mtime == file.mtime:
            # A file skipped before (state.id None) too: it is not read again, and its
            # reason was reported on the run that read it; the counts still add up.
            unchanged += 1
        else:
            stale.append(file)
    log.debug(
        "%d input files: %d unchanged since the last run, %d to read",
        len(files),
        len(files) - len(stale),
        len(stale),
    )
    tasks = make_tasks(store, stale, states, settings)
    batch = Batch(store, now, len(tasks), skipped, known=states.keys())
    with workers(settings.jobs, executor, len(tasks)) as pool:
        with store.transaction():
            for item in map_in_order(
                process, tasks, jobs=settings.jobs, executor=pool, progress=progress
            ):
                batch.add(item)
            batch.flush()
            saved = with_unfinished(store, batch.saved)
            hashes = with_unfinished_hashes(store, batch.hashes | store.body_hashes(saved))
        del tasks
        # Later stages read records in the workers: only our own pool's see the state.
        local = pool if executor is None else None
        drop_recurring(store, saved, settings, local)
        new, changed = batch.new, batch.changed
        unchanged += batch.unchanged
        if saved:
            with store.transaction():
                # The trimming changed some texts: their new groups count too.
                hashes |= store.body_hashes(saved)
                regroup_duplicates(store, hashes, batch.stamp)
                regroup_stories(store)
                store.set_meta(UNFINISHED_META, "[]")
                store.set_meta(UNFINISHED_HASHES_META, "[]")
        written = render_outputs(store, settings, local, now=now)
    return RunReport(
        seen=len(files),
        new=new,
        changed=changed,
        unchanged=unchanged,
        skipped=tuple(skipped),
        written=tuple(written),
    )


def _storable(file: SourceFile) -> bool:
    """Whether the store can record ``file``: its key and path are kept as UTF-8 text, and
    a name with bytes that are not UTF-8 (decoded by Python to lone surrogates) is not."""
    try:
        file.key.encode("utf-8")
        file.path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown_path(path: str) -> str:
    """``path`` printable: bytes that are not UTF-8 shown as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")
