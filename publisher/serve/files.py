"""What the server knows about the files of out/: their media types, which are worth
compressing, which request paths name one (nothing outside the directory, nothing hidden),
and each file version's bytes, ETag and gzip, made once (``FileCache``)."""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

MEDIA_TYPES = {
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".xsl": "text/xsl; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".eml": "message/rfc822",
}
# JSON Feed has its own registered type; other .json files are plain JSON.
NAMED_TYPES = {"feed.json": "application/feed+json"}
DEFAULT_TYPE = "application/octet-stream"

# Chromium shows application/atom+xml and application/rss+xml as plain text and never runs
# their xml-stylesheet, so a browser navigation (an Accept header asking for HTML) gets the
# feed as generic XML, which it transforms with feed.xsl. Feed readers ask for feed types
# (or */*) and get the registered ones. Same bytes either way; Vary: Accept says so.
FEED_TYPES = {"application/atom+xml", "application/rss+xml"}
BROWSER_FEED_TYPE = "application/xml; charset=utf-8"

# Compressing already-compressed images only costs time.
_COMPRESSIBLE = ("text/", "application/", "image/svg+xml", "message/")
_INCOMPRESSIBLE = {"image/png", "image/jpeg", "image/gif", "image/webp", DEFAULT_TYPE}


def media_type(path: Path) -> str:
    """The Content-Type a file in out/ is served with."""
    return NAMED_TYPES.get(path.name) or MEDIA_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)


def resolve(root: Path, url_path: str) -> Path | None:
    """The file or directory ``url_path`` names inside ``root`` (resolved), or None if it is
    outside, hidden, or missing. Decoding happens once, before the checks, so %2e%2e and %2f
    cannot sneak a ".." past them."""
    try:
        decoded = unquote(url_path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\x00" in decoded or "\\" in decoded:
        return None
    parts = [p for p in decoded.split("/") if p]
    # Dot names cover "..", "." and hidden files such as the publisher's temp files.
    if any(p.startswith(".") for p in parts):
        return None
    candidate = root.joinpath(*parts)
    try:
        # resolve() follows symlinks, so a link pointing out of out/ is caught here.
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if real != root and not real.is_relative_to(root):
        return None
    if not (real.is_file() or real.is_dir()):
        return None
    return real


def compressible(content_type: str) -> bool:
    """Whether a body of this type is worth gzipping (text, not an already packed image)."""
    base = content_type.split(";")[0]
    return base not in _INCOMPRESSIBLE and base.startswith(_COMPRESSIBLE)


def qvalue(text: str) -> float:
    """The q-value of an Accept-Encoding item (0 when unreadable)."""
    try:
        return float(text)
    except ValueError:
        return 0.0


# What the file cache holds at most: the feeds, the index and the pages being read now.
CACHE_BYTES = 64 * 1024 * 1024
# A file larger than this is read for each request and never gzipped: compressing it for
# every request would let a few clients take all the CPU.
LARGEST_CACHED = 8 * 1024 * 1024


class Version:
    """One version of a file: its bytes, their strong validator and its modification time,
    and the gzip of the bytes once it has been asked for."""

    def __init__(self, data: bytes, modified: datetime) -> None:
        self.data = data
        self.tag = hashlib.sha256(data).hexdigest()[:32]
        self.modified = modified
        self._gzip: bytes | None = None
        self._lock = threading.Lock()

    def gzipped(self) -> bytes:
        """The bytes gzipped, compressed on the first call only."""
        with self._lock:
            if self._gzip is None:
                # mtime=0 keeps the compressed bytes, and so the ETag's meaning, reproducible.
                self._gzip = gzip.compress(self.data, mtime=0)
            return self._gzip


class FileCache:
    """The versions of the files served, by (device, inode, size, mtime): the build replaces a
    file by renaming a new one over it, so a new version is a new key and an old one is never
    served again. The least recently used versions go when they pass CACHE_BYTES."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit = limit
        self._versions: OrderedDict[tuple[int, int, int, int], Version] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def version(self, path: Path) -> Version:
        """The current version of the file at ``path``. Raises OSError if it cannot be read."""
        with open(path, "rb") as handle:
            # Stat the file opened, not the name: the build may rename a new one over it.
            stat = os.fstat(handle.fileno())
            key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
            with self._lock:
                found = self._versions.get(key)
                if found is not None:
                    self._versions.move_to_end(key)
                    return found
            data = handle.read()
        version = Version(data, datetime.fromtimestamp(int(stat.st_mtime), UTC))
        if len(data) > LARGEST_CACHED:
            return version
        with self._lock:
            found = self._versions.get(key)  # another thread read it meanwhile
            if found is not None:
                return found
            self._versions[key] = version
            self._bytes += 2 * len(data)  # room for the bytes and their gzip
            while self._bytes > self.limit and len(self._versions) > 1:
                _, old = self._versions.popitem(last=False)
                self._bytes -= 2 * len(old.data)
        return version
