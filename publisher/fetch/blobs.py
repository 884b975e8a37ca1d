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
import threading
from pathlib import Path

from ..store.fetch import blob_path


class Blobs:
    """The content-addressed store of fetched bytes under ``root`` (thread-safe: the
    crawler's worker threads store the pages they fetch)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        """Where the bytes with SHA-256 ``digest`` are kept."""
        return blob_path(self.root, digest)

    def put(self, data: bytes) -> str:
        """Keep ``data``; return its SHA-256 (hex), its name in this store."""
        digest = hashlib.sha256(data).hexdigest()
        target = str(self.path(digest))
        if os.path.exists(target):
            return digest
        # Named after the digest, this process and thread: no other writer uses the name.
        temporary = f"{target}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
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
        return digest is not None and os.path.isfile(self.path(digest))
