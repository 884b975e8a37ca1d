"""The request handler: GET and HEAD of the files of out/ (conditional, gzipped when
accepted; 410 Gone for the tombstone of an unpublished article), ``/healthz``, the
digest's unsubscribe link, and the readers' pages (``Endpoint``: signup, confirmation,
preferences)."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from ..errors import PublisherError
from ..models import PageAnswer, PageRequest
from .feedpage import PAGE_TYPE, FeedPages, Freshness
from .files import (
    BROWSER_FEED_TYPE,
    FEED_TYPES,
    LARGEST_CACHED,
    NAMED_TYPES,
    compressible,
    media_type,
    qvalue,
    resolve,
)

if TYPE_CHECKING:
    from .server import Server

# One logger for the whole server (its name is what operators filter on).
log = logging.getLogger("publisher.serve")

# Answers the unsubscribe path: (query string, confirm) -> (status, HTML page). A POST
# confirms; a GET must not change anything (see mailing.unsubscribe).
Unsubscribe = Callable[[str, bool], tuple[HTTPStatus, bytes]]

# Answers one path of the readers' pages (a use case's: see mailing.signup, mailing.account).
Endpoint = Callable[[PageRequest], PageAnswer]
# Answers GET /healthz: (status, JSON body).
Health = Callable[[], tuple[HTTPStatus, bytes]]
# Whether a page of out/ (its path relative to out/) is the tombstone of an unpublished article.
Gone = Callable[[str], bool]
# An RFC 8058 one-click body is "List-Unsubscribe=One-Click"; nothing we accept is larger.
MAX_POST_BYTES = 64 * 1024
HEALTH_PATH = "/healthz"
# What a request line or header may smuggle into a log: terminal escapes, line breaks.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class StaticHandler(BaseHTTPRequestHandler):
    """GET and HEAD for regular files under ``out_root``, and GET, HEAD and POST for the
    unsubscribe path when it is answered; everything else is refused."""

    out_root: Path
    unsubscribe_path: str
    unsubscribe_answer: Unsubscribe | None
    endpoints: Mapping[str, Endpoint]
    health: Health | None
    gone: Gone | None
    hints: Freshness
    pages: FeedPages
    server: Server
    server_version = "publisher"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def handle_one_request(self) -> None:
        # However slowly it trickles in, a request has a bounded time to arrive whole (the
        # socket's timeout only bounds each wait for a byte).
        self.server.watch(self.connection, self.server.limits.request)
        super().handle_one_request()

    def do_GET(self) -> None:
        self._get(send_body=True)

    def do_HEAD(self) -> None:
        self._get(send_body=False)

    def _get(self, *, send_body: bool) -> None:
        if self._is_unsubscribe():
            self._unsubscribe(confirm=False, send_body=send_body)
        elif urlsplit(self.path).path in self.endpoints:
            self._endpoint(b"", send_body=send_body)
        elif self.health is not None and urlsplit(self.path).path == HEALTH_PATH:
            status, body = self.health()
            headers = {
                "Content-Type": "application/json",
                "Content-Length": str(len(body)),
                "Cache-Control": "no-store",
            }
            self._send(status, headers, body, send_body=send_body)
        else:
            self._respond(send_body=send_body)

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_POST_BYTES:
            self.close_connection = True  # the body is not read, so it cannot be skipped
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        body = b""
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True  # a chunked body is not read, so it cannot be skipped
        else:
            # The unsubscribe link carries all it needs (the body says "One-Click"); the
            # readers' pages post forms.
            body = self.rfile.read(int(length))
        if self._is_unsubscribe():
            self._unsubscribe(confirm=True, send_body=True)
        elif urlsplit(self.path).path in self.endpoints:
            self._endpoint(body, send_body=True)
        else:
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, allow="GET, HEAD")

    def _endpoint(self, body: bytes, *, send_body: bool) -> None:
        url = urlsplit(self.path)
        request = PageRequest(
            self.command,
            url.query,
            body,
            self.client_address[0],
            self.headers.get("X-Forwarded-For", ""),
        )
        try:
            answer = self.endpoints[url.path](request)
        except PublisherError as exc:  # the state is locked or damaged: ask to come back
            log.error("%s: %s", url.path, exc)
            self._error(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        headers = {
            "Content-Type": answer.content_type,
            "Content-Length": str(len(answer.body)),
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            **dict(answer.headers),
        }
        self._send(HTTPStatus(answer.status), headers, answer.body, send_body=send_body)

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
        url = urlsplit(getattr(self, "path", ""))
        if url.query and (self._is_unsubscribe() or url.path in self.endpoints):
            text = text.replace(url.query, "…")  # an address and its token stay out of the log
        text = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}", text)
        log.info("%s %s", self.address_string(), text)

    def _respond(self, *, send_body: bool) -> None:
        url_path = urlsplit(self.path).path
        target = resolve(self.out_root, url_path)
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
        try:
            version = self.server.files.version(target)
        except OSError:  # gone since it was resolved, or a directory without index.html
            self._error(HTTPStatus.NOT_FOUND)
            return
        content_type = media_type(target)
        if self.gone is not None and self.gone(target.relative_to(self.out_root).as_posix()):
            # The tombstone of an unpublished article: its page says so, and the status
            # tells crawlers and feed readers it is gone for good.
            headers = {
                "Content-Type": content_type,
                "Content-Length": str(len(version.data)),
                "Cache-Control": "no-cache",
                "X-Content-Type-Options": "nosniff",
            }
            self._send(HTTPStatus.GONE, headers, version.data, send_body=send_body)
            return
        relative = target.relative_to(self.out_root).as_posix()
        if relative.startswith("feeds/") and target.suffix == ".json":
            content_type = NAMED_TYPES["feed.json"]  # the topic and site JSON feeds
        is_feed = content_type in FEED_TYPES
        data, tag = version.data, version.tag
        if is_feed and "text/html" in self.headers.get("Accept", ""):
            page = self.pages.page(data)
            if page is None:  # no usable feed.xsl: the browser shows the XML as a tree
                content_type = BROWSER_FEED_TYPE
            else:
                data, content_type = page, PAGE_TYPE
                tag = hashlib.sha256(page).hexdigest()[:32]
        use_gzip = (
            self._accepts_gzip() and compressible(content_type) and len(data) <= LARGEST_CACHED
        )
        # Each representation needs its own strong validator (RFC 9110 8.8.3).
        etag = f'"{tag}-gz"' if use_gzip else f'"{tag}"'
        hints = self.hints
        headers = {
            "Content-Type": content_type,
            "ETag": etag,
            "Last-Modified": email.utils.format_datetime(version.modified, usegmt=True),
            "Vary": "Accept, Accept-Encoding" if is_feed else "Accept-Encoding",
            # Fresh until the next build is due; revalidated (ETag) after that.
            "Cache-Control": f"max-age={hints.max_age}" if hints.max_age else "no-cache",
            "X-Content-Type-Options": "nosniff",
        }
        subscribable = content_type in FEED_TYPES | {NAMED_TYPES["feed.json"]}
        if hints.hubs and subscribable and not relative.startswith("feeds/archive/"):
            # WebSub discovery (section 4): the hubs, and the URL to subscribe to.
            links = [f'<{hub}>; rel="hub"' for hub in hints.hubs]
            if hints.base_url:
                links.append(f'<{hints.base_url}{quote(relative)}>; rel="self"')
            headers["Link"] = ", ".join(links)
        if self._not_modified(etag, version.modified):
            self._send(HTTPStatus.NOT_MODIFIED, headers, b"", send_body=False)
            return
        if use_gzip:
            data = version.gzipped() if data is version.data else gzip.compress(data, mtime=0)
            headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(data))
        self._send(HTTPStatus.OK, headers, data, send_body=send_body)

    def _accepts_gzip(self) -> bool:
        header = self.headers.get("Accept-Encoding", "")
        for item in header.split(","):
            coding, _, params = item.partition(";")
            if coding.strip().lower() in ("gzip", "x-gzip", "*"):
                q = params.strip().lower()
                return not q.startswith("q=") or qvalue(q[2:]) > 0
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
        # A client that reads slowly has a bounded time to take the whole answer.
        self.server.watch(self.connection, self.server.limits.response)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)
