"""A small static server for previewing out/: the right media types for feeds, conditional
requests (ETag, Last-Modified) and gzip, and nothing reachable outside the output directory.

For local preview and testing, bound to 127.0.0.1 by default; production sites are served by
a real web server. It also answers the one path a static server cannot: the digest's
unsubscribe link, which reads and writes the state. In production the web server passes that
path on to it (docs/deploy.md).
"""

from __future__ import annotations

import email.utils
import errno
import gzip
import hashlib
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from lxml import etree

from .errors import PublisherError

log = logging.getLogger(__name__)

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

# A browser navigation (an Accept header asking for HTML) to an Atom or RSS feed gets the feed
# as an HTML page, made here with the feed's own feed.xsl: browsers are dropping XSLT, and
# Chromium already covers an XSLT page with a banner saying so. Feed readers ask for feed
# types (or */*) and get the feed; Vary: Accept says the answer depends on it.
_FEED_TYPES = {"application/atom+xml", "application/rss+xml"}
FEED_PAGE_TYPE = "text/html; charset=utf-8"
# Without a usable feed.xsl, a browser gets the feed as generic XML, which it shows as a tree.
BROWSER_FEED_TYPE = "application/xml; charset=utf-8"
STYLESHEET_NAME = "feed.xsl"


@dataclass(frozen=True)
class Freshness:
    """What the server tells caches and feed readers: how long a file stays fresh
    (``max_age`` seconds, the time between two builds) and, for feeds, the WebSub hubs that
    push their changes and the feed's own URL under ``base_url`` (Link headers)."""

    max_age: int = 0
    hubs: tuple[str, ...] = ()
    base_url: str = ""


# Compressing already-compressed images only costs time.
_COMPRESSIBLE = ("text/", "application/", "image/svg+xml", "message/")
_INCOMPRESSIBLE = {"image/png", "image/jpeg", "image/gif", "image/webp", DEFAULT_TYPE}


def media_type(path: Path) -> str:
    """The Content-Type a file in out/ is served with."""
    return NAMED_TYPES.get(path.name) or MEDIA_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)


# Answers the unsubscribe path: (query string, confirm) -> (status, HTML page). A POST
# confirms; a GET must not change anything (see mailing.unsubscribe).
Unsubscribe = Callable[[str, bool], tuple[HTTPStatus, bytes]]
# An RFC 8058 one-click body is "List-Unsubscribe=One-Click"; nothing we accept is larger.
MAX_POST_BYTES = 64 * 1024


def make_server(
    out_dir: Path,
    bind: str,
    port: int,
    unsubscribe: tuple[str, Unsubscribe] | None = None,
    freshness: Freshness | None = None,
) -> ThreadingHTTPServer:
    """A server for ``out_dir`` on ``bind``:``port`` (port 0 picks a free one), not started.

    ``unsubscribe`` is (URL path, handler) of the digest's unsubscribe link
    (``mailing.unsubscribe.unsubscribe_endpoint``); without it that path is a plain file path.
    ``freshness`` gives the caching and WebSub headers (none without it).
    Call ``serve_forever()`` on it (in a thread, for tests) and ``server_close()`` after.
    """
    root = Path(out_dir).resolve()
    if not root.is_dir():
        raise PublisherError(
            f"output directory not found: {out_dir}", "run `publisher build` first"
        )

    class Handler(_StaticHandler):
        out_root = root
        hints = freshness or Freshness()
        pages = _FeedPages(root)
        unsubscribe_path = unsubscribe[0] if unsubscribe else ""
        # A plain function as a class attribute would be bound to the handler as a method.
        unsubscribe_answer = staticmethod(unsubscribe[1]) if unsubscribe else None

    try:
        return ThreadingHTTPServer((bind, port), Handler)
    except OSError as exc:  # socket.gaierror, for a name that does not resolve, is one too
        raise PublisherError(
            f"cannot listen on {bind}:{port}: {exc.strerror or exc}", _listen_hint(exc, port)
        ) from exc


def _listen_hint(exc: OSError, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"another program listens on port {port}: choose another --port"
    if exc.errno == errno.EACCES:
        return "ports below 1024 need root: choose another --port"
    return "--bind takes an address of this machine, e.g. 127.0.0.1 or 0.0.0.0"


def serve(
    out_dir: Path,
    *,
    bind: str = "127.0.0.1",
    port: int = 8000,
    quiet: bool = False,
    unsubscribe: tuple[str, Unsubscribe] | None = None,
    freshness: Freshness | None = None,
) -> None:
    """Serve ``out_dir`` (and ``unsubscribe`` and ``freshness``, see ``make_server``) on
    http://bind:port/ until interrupted (Ctrl-C); ``quiet`` does not say where."""
    server = make_server(out_dir, bind, port, unsubscribe, freshness)
    host, real_port = server.server_address[:2]
    if isinstance(host, bytes):  # the stub allows it; an IP socket gives str
        host = host.decode()
    if not quiet:
        print(f"Serving {out_dir} at http://{host}:{real_port}/ (Ctrl-C to stop)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class _StaticHandler(BaseHTTPRequestHandler):
    """GET and HEAD for regular files under ``out_root``, and GET, HEAD and POST for the
    unsubscribe path when it is answered; everything else is refused."""

    out_root: Path
    hints: Freshness
    pages: _FeedPages
    unsubscribe_path: str
    unsubscribe_answer: Unsubscribe | None
    server_version = "publisher"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self._is_unsubscribe():
            self._unsubscribe(confirm=False, send_body=True)
        else:
            self._respond(send_body=True)

    def do_HEAD(self) -> None:
        if self._is_unsubscribe():
            self._unsubscribe(confirm=False, send_body=False)
        else:
            self._respond(send_body=False)

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_POST_BYTES:
            self.close_connection = True  # the body is not read, so it cannot be skipped
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True  # a chunked body is not read, so it cannot be skipped
        else:
            self.rfile.read(int(length))  # the link carries all we need; the body says "One-Click"
        if self._is_unsubscribe():
            self._unsubscribe(confirm=True, send_body=True)
        else:
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, allow="GET, HEAD")

    def _is_unsubscribe(self) -> bool:
        path = urlsplit(self.path).path
        return self.unsubscribe_answer is not None and path == self.unsubscribe_path

    def _unsubscribe(self, *, confirm: bool, send_body: bool) -> None:
        assert self.unsubscribe_answer is not None  # checked by _is_unsubscribe
        try:
            status, page = self.unsubscribe_answer(urlsplit(self.path).query, confirm)
        except PublisherError as exc:  # the state is locked or damaged: ask to come back
            log.error("unsubscribe: %s", exc)
            self._error(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Length": str(len(page)),
            # The link holds the address and its token: keep it out of caches and referrers.
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        }
        self._send(status, headers, page, send_body=send_body)

    def log_message(self, format: str, *args: object) -> None:
        text = format % args
        query = urlsplit(getattr(self, "path", "")).query
        if query and self._is_unsubscribe():
            text = text.replace(query, "…")  # an address and its token stay out of the log
        log.info("%s %s", self.address_string(), text)

    def _respond(self, *, send_body: bool) -> None:
        url_path = urlsplit(self.path).path
        target = self._resolve(url_path)
        if target is None:
            self._error(HTTPStatus.NOT_FOUND)
            return
        if target.is_dir():
            if not url_path.endswith("/"):
                # As any static server does: relative URLs in a directory's index.html
                # resolve against the URL with the trailing slash.
                self._redirect(url_path + "/")
                return
            target = target / "index.html"
            if not target.is_file():
                self._error(HTTPStatus.NOT_FOUND)
                return

        data = target.read_bytes()
        relative = target.relative_to(self.out_root).as_posix()
        content_type = media_type(target)
        if relative.startswith("feeds/") and target.suffix == ".json":
            content_type = NAMED_TYPES["feed.json"]  # the topic and site JSON feeds
        is_feed = content_type in _FEED_TYPES
        as_page = is_feed and "text/html" in self.headers.get("Accept", "")
        if as_page:
            page = self.pages.page(data)
            if page is None:
                content_type = BROWSER_FEED_TYPE
            else:
                data, content_type = page, FEED_PAGE_TYPE
        digest = hashlib.sha256(data).hexdigest()[:32]
        modified = datetime.fromtimestamp(int(target.stat().st_mtime), UTC)

        use_gzip = self._accepts_gzip() and _compressible(content_type)
        # Each representation needs its own strong validator (RFC 9110 8.8.3).
        etag = f'"{digest}-gz"' if use_gzip else f'"{digest}"'
        hints = self.hints
        headers = {
            "Content-Type": content_type,
            "ETag": etag,
            "Last-Modified": email.utils.format_datetime(modified, usegmt=True),
            "Vary": "Accept, Accept-Encoding" if is_feed else "Accept-Encoding",
            # Fresh until the next build is due; revalidated (ETag) after that.
            "Cache-Control": f"max-age={hints.max_age}" if hints.max_age else "no-cache",
            "X-Content-Type-Options": "nosniff",
        }
        subscribable = content_type in _FEED_TYPES | {NAMED_TYPES["feed.json"]}
        if hints.hubs and subscribable and not relative.startswith("feeds/archive/"):
            # WebSub discovery (section 4): the hubs, and the URL to subscribe to.
            links = [f'<{hub}>; rel="hub"' for hub in hints.hubs]
            if hints.base_url:
                links.append(f'<{hints.base_url}{quote(relative)}>; rel="self"')
            headers["Link"] = ", ".join(links)
        if self._not_modified(etag, modified):
            self._send(HTTPStatus.NOT_MODIFIED, headers, b"", send_body=False)
            return
        if use_gzip:
            # mtime=0 keeps the compressed bytes, and so the ETag's meaning, reproducible.
            data = gzip.compress(data, mtime=0)
            headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(data))
        self._send(HTTPStatus.OK, headers, data, send_body=send_body)

    def _resolve(self, url_path: str) -> Path | None:
        """The file or directory ``url_path`` names inside out/, or None if it is outside,
        hidden, or missing. Decoding happens once, before the checks, so %2e%2e and %2f
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
        candidate = self.out_root.joinpath(*parts)
        try:
            # resolve() follows symlinks, so a link pointing out of out/ is caught here.
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if real != self.out_root and not real.is_relative_to(self.out_root):
            return None
        if not (real.is_file() or real.is_dir()):
            return None
        return real

    def _accepts_gzip(self) -> bool:
        header = self.headers.get("Accept-Encoding", "")
        for item in header.split(","):
            coding, _, params = item.partition(";")
            if coding.strip().lower() in ("gzip", "x-gzip", "*"):
                q = params.strip().lower()
                return not q.startswith("q=") or _qvalue(q[2:]) > 0
        return False

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                when = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return modified <= when
        return False

    def _redirect(self, location: str) -> None:
        self._send(
            HTTPStatus.MOVED_PERMANENTLY,
            {"Location": location, "Content-Length": "0"},
            b"",
            send_body=False,
        )

    def _error(self, status: HTTPStatus, *, allow: str = "") -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        headers = {"Content-Type": "text/plain; charset=utf-8", "Content-Length": str(len(body))}
        if allow:
            headers["Allow"] = allow
        if status == HTTPStatus.SERVICE_UNAVAILABLE:
            headers["Retry-After"] = "60"
        self._send(status, headers, body, send_body=self.command != "HEAD")

    def _send(
        self, status: HTTPStatus, headers: dict[str, str], body: bytes, *, send_body: bool
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)


class _FeedPages:
    """Feeds made HTML pages with the output directory's feed.xsl, the stylesheet compiled
    once per version of the file."""

    def __init__(self, root: Path) -> None:
        self.path = root / STYLESHEET_NAME
        self.lock = threading.Lock()
        self.compiled: tuple[float, etree.XSLT] | None = None

    def page(self, feed: bytes) -> bytes | None:
        """The HTML page of ``feed``, or None when there is no stylesheet or it fails."""
        try:
            stamp = self.path.stat().st_mtime
            with self.lock:
                if self.compiled is None or self.compiled[0] != stamp:
                    self.compiled = (stamp, etree.XSLT(etree.parse(str(self.path))))
                transform = self.compiled[1]
                # An XSLT object is not to be shared between threads while it runs.
                result = transform(etree.fromstring(feed))
            return b"<!DOCTYPE html>\n" + etree.tostring(result, method="html", encoding="utf-8")
        except (OSError, etree.Error) as exc:
            log.warning("cannot make a page of a feed with %s: %s", self.path, exc)
            return None


def _compressible(content_type: str) -> bool:
    base = content_type.split(";")[0]
    return base not in _INCOMPRESSIBLE and base.startswith(_COMPRESSIBLE)


def _qvalue(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0
