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
from concurrent.futures import Executor
from datetime import UTC, datetime

from ..config import Settings
from ..jobs import record_failure
from ..models import RunReport
from ..store import Store, run_lock
from ..websub import send_pings
from .inputs import Found, find_changed, remember
from .outputs import render_outputs
from .pool import Progress, map_in_order, workers

__all__ = ["Progress", "build"]

# What a build did, file by file, for `publisher build -v`.
log = logging.getLogger(__name__)


def build(
    settings: Settings,
    *,
    now: datetime,
    progress: Progress | None = None,
    executor: Executor | None = None,
    rescan: bool = False,
) -> RunReport:
    """Publish the inputs into the output directory; return what was done.

    Cleaning and summarizing run on ``executor`` when given (any concurrent.futures
    Executor, e.g. a dask.distributed client's), else on a pool of ``settings.jobs`` worker
    processes. Workers read the input files themselves, so they must see the same paths.
    Only what changed since the last build is looked at (see ``inputs``); ``rescan``
    lists every input directory, stats every file and lists every article page.
    Raises LockedError when another run holds the lock, PublisherError on unusable state or
    output directories. Bad input files never raise: they are reported in ``skipped``.
    """
    now = now.astimezone(UTC).replace(microsecond=0)
    with run_lock(settings.paths.state), Store.open(settings.paths.state) as store:
        try:
            report = _publish(store, settings, now, progress, executor, rescan)
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
    rescan: bool,
) -> RunReport:
    """The build's work, under its lock (see ``build``)."""
    found = find_changed(
        store, settings.paths.input, settings.paths.state, now=now.timestamp(), rescan=rescan
    )
    with found.changed:
        log.debug(
            "%d input files: %d unchanged since the last run, %d to read",
            found.seen,
            found.seen - len(found),
            len(found),
        )
        new = changed = unchanged = 0
        with workers(settings.jobs, executor, len(found)) as pool:
            # Later stages run on the same workers. Those of our own pool read the records
            # they need and write the pages; a cluster's are sent the records, and send the
            # pages back to be written here.
            ship = executor is not None
            if len(found) or store.has_pending():
                counts = _save(store, settings, now, found, progress, pool, ship)
                new, changed, unchanged = counts
            else:  # the directories listed, where the rotation stands
                with store.transaction():
                    remember(store, found)
            written = render_outputs(store, settings, pool, now=now, ship=ship, rescan=rescan)
    return RunReport(
        seen=found.seen,
        new=new,
        changed=changed,
        unchanged=found.seen - len(found) - found.unusable + unchanged,
        skipped=tuple(found.skipped),
        written=tuple(written),
    )


def _save(
    store: Store,
    settings: Settings,
    now: datetime,
    found: Found,
    progress: Progress | None,
    pool: Executor | None,
    ship: bool,
) -> tuple[int, int, int]:
    """Read, clean, summarize and save the files of ``found``, then finish what the saved
    articles (and any a killed build left) wait for: the cross-document trim, the groups of
    identical articles and of stories, the boilerplate memory's window. Returns how many
    articles were new, changed, and unchanged after all (only their boilerplate changed).
    The work runs on ``pool`` (see ``render_outputs`` for ``ship``)."""
    # Imported only when there is something to read: a no-op build does without the
    # cleaner and the summarizer (and their patterns, compiled as they are imported).
    from .boilerplate import drop_recurring, forget_old_boilerplate
    from .process import make_tasks, process
    from .saving import Batch, regroup_duplicates, regroup_stories

    tasks = make_tasks(store, found, settings)
    batch = Batch(store, now, len(found), found.skipped)
    with store.transaction():
        for item in map_in_order(
            process, tasks, jobs=settings.jobs, executor=pool, progress=progress, total=len(found)
        ):
            batch.add(item)
        batch.flush()
        remember(store, found)
    pending = store.has_pending()
    if pending:
        drop_recurring(store, settings, pool, ship=ship)
    if pending or batch.groups:
        with store.transaction():
            groups = batch.groups
            if pending:
                # The trimming changed some texts: their new groups count too.
                regroup_duplicates(store, batch.stamp)
                regroup_stories(store)
                groups = groups | set(store.pending_groups())
                store.clear_pending()
            # Only now: the trimming counted every document of the batch.
            forget_old_boilerplate(store, groups)
    return batch.new, batch.changed, batch.unchanged
