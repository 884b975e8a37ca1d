"""Fetched bytes, kept content-addressed under the state directory.

``<state directory>/fetched/ab/cdef…`` (``store.fetch.blob_root``): the SHA-256 of the
bytes names the file, so the same page fetched twice (or listed by two feeds) is kept once,
and a rebuild reads what was fetched instead of fetching again. A file is written to a
temporary name and renamed, and the state database refers to it only after that: a run
killed mid-fetch leaves at most an unreferenced temporary. A stored copy found missing (a
power cut before the kernel wrote it) makes the fetcher fetch the page again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from ..store.fetch import blob_path


class Blobs:
    """The content-addressed store of fetched bytes under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        """Where the bytes with SHA-256 ``digest`` are kept."""
        return blob_path(self.root, digest)

    def put(self, data: bytes) -> str:
        """Keep ``data``; return its SHA-256 (hex), its name in this store."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return digest

    def has(self, digest: str | None) -> bool:
        """Whether the bytes named ``digest`` are here."""
        return digest is not None and self.path(digest).is_file()
