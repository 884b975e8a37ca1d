"""A list kept on disk past a few thousand items: what a build collects per file (the files
to read, the page files staged) costs it no memory however large the batch."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Generic, TypeVar

T = TypeVar("T")

# Items held in memory before they go to the file together (one pickle each batch).
BATCH = 2_000


class Spill(Generic[T]):
    """Items appended, then read back once in the same order. The file is anonymous (gone
    with the process) and made beside ``directory``'s other files, only once there is more
    than a batch. Use it as a context manager, or ``close`` it."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self.batch: list[T] = []
        self.file: IO[bytes] | None = None
        self.count = 0

    def append(self, item: T) -> None:
        """Add ``item`` at the end."""
        self.batch.append(item)
        self.count += 1
        if len(self.batch) >= BATCH:
            if self.file is None:
                # Closed by close(): the spill outlives any one block.
                self.file = tempfile.TemporaryFile(dir=self.directory)  # noqa: SIM115
            pickle.dump(self.batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.batch = []

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[T]:
        """The items in the order they were appended (read from the file as they go)."""
        if self.file is not None:
            self.file.seek(0)
            while True:
                try:
                    batch: list[T] = pickle.load(self.file)
                except EOFError:
                    break
                yield from batch
        yield from self.batch

    def close(self) -> None:
        """Forget every item (and the file)."""
        if self.file is not None:
            self.file.close()
            self.file = None
        self.batch = []

    def __enter__(self) -> Spill[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
