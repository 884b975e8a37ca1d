"""What the server knows about the files of out/: their media types, which are worth
compressing, and which request paths name one (nothing outside the directory, nothing
hidden)."""

from __future__ import annotations

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
