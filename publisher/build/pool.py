"""Where the per-article work runs: this process, a pool of worker processes, or any
``concurrent.futures.Executor`` (a dask.distributed client's), results in input order."""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import islice
from typing import TypeVar

# Below this many tasks a process pool costs more to start than it saves.
POOL_THRESHOLD = 64
# Articles a worker reads (full records) and trims or renders at a time: no process holds
# many bodies, and each read connection serves a few dozen articles.
PAGE_CHUNK = 50

T = TypeVar("T")
R = TypeVar("R")

# (done, total): called as results come in, for a progress bar.
Progress = Callable[[int, int], None]


def _map_chunk(fn: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [fn(item) for item in chunk]


@contextmanager
def workers(jobs: int, executor: Executor | None, count: int) -> Iterator[Executor | None]:
    """Where ``count`` tasks run: ``executor`` when given, else a process pool of ``jobs``
    workers (0: one per CPU) for batches worth its start-up, else None (this process)."""
    size = jobs or os.cpu_count() or 1
    if executor is not None or size == 1 or count < POOL_THRESHOLD:
        yield executor
        return
    with ProcessPoolExecutor(max_workers=size, initializer=_end_with_parent) as pool:
        yield pool


def _end_with_parent() -> None:
    """Pool initializer: end this worker once the process that started it is gone. Killed
    with SIGKILL, a build cannot shut its pool down, and its workers would wait for work
    forever, more of them with every kill."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:  # an orphan is given another parent
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def map_in_order(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    jobs: int,
    executor: Executor | None = None,
    progress: Progress | None = None,
    total: int | None = None,
    chunk: int | None = None,
) -> Iterator[R]:
    """``fn`` over ``items``, results yielded in order: here when ``executor`` is None, else
    on it. ``total`` is how many items there are, when ``items`` cannot say (an iterator).

    Items go out in chunks (fewer round trips; about four per worker so that a slow chunk
    does not leave the others idle, or ``chunk`` items each: 1 for items that are chunks
    already, whose results may be large), which suits a process pool and a dask cluster.
    Items are taken from ``items`` and only a few chunks are in flight at once, and the
    caller consumes results as they come, so a batch of any size is never all in memory.
    """
    if total is None:
        total = len(items) if isinstance(items, Sized) else 0
    done = 0
    if executor is None:
        for item in items:
            yield fn(item)
            done += 1
            if progress:
                progress(done, total)
        return
    size = jobs or os.cpu_count() or 1
    chunk = chunk or max(1, min(64, total // (size * 4)))
    pending = iter(items)
    in_flight: deque[Future[list[R]]] = deque()

    def submit_next() -> None:
        batch = list(islice(pending, chunk))
        if batch:
            in_flight.append(executor.submit(_map_chunk, fn, batch))

    for _ in range(2 * size):
        submit_next()
    while in_flight:
        results = in_flight.popleft().result()
        submit_next()
        yield from results
        done += len(results)
        if progress:
            progress(done, total)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter), taken as they are needed."""
    pending = iter(items)
    while batch := list(islice(pending, size)):
        yield batch
