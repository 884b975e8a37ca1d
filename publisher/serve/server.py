"""The server: a thread per connection, but never more than ``Limits.connections`` of them,
each with bounded time to send its request and to take its answer; and ``serve``, which runs
it until Ctrl-C.

Idle and slow clients are dropped, so they cannot hold every thread (and, at the descriptor
limit, keep everyone out, the one-click unsubscribe included); past the bound a connection
is answered 503 at once. A client that hangs up is nobody's error: nothing is printed.
"""

from __future__ import annotations

import errno
import logging
import socket
import sys
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..errors import PublisherError
from .feedpage import FeedPages, Freshness
from .files import FileCache
from .handler import Endpoint, Gone, Health, StaticHandler, Unsubscribe

log = logging.getLogger("publisher.serve")


@dataclass(frozen=True)
class Limits:
    """How much of the server one client may hold."""

    connections: int = 64  # open at once; more are answered 503 and closed
    idle: float = 15.0  # seconds without a byte from the client, between or inside requests
    request: float = 30.0  # seconds for a whole request to arrive, counted from its first wait
    response: float = 120.0  # seconds for a client to take a whole answer


# Answered, without reading anything, to a connection past Limits.connections.
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 20\r\nConnection: close\r\n\r\n503 Service Busy\r\n\r\n"
)


class Server(ThreadingHTTPServer):
    """A ThreadingHTTPServer with ``Limits`` and a cache of the files it serves."""

    request_queue_size = 128  # connections the kernel holds before one is accepted

    def __init__(
        self, address: tuple[str, int], handler: type[StaticHandler], limits: Limits
    ) -> None:
        # Set before the socket is bound: a failed bind closes the server at once.
        self.limits = limits
        self.files = FileCache()
        self._lock = threading.Lock()
        self._open = 0
        self._deadlines: dict[socket.socket, float] = {}
        self._full = False  # said once in the log, until a connection is free again
        self._closing = threading.Event()
        self._reaper: threading.Thread | None = None
        super().__init__(address, handler)

    def watch(self, connection: socket.socket, seconds: float) -> None:
        """Drop ``connection`` if it is still open ``seconds`` from now, unless watched anew."""
        with self._lock:
            self._deadlines[connection] = time.monotonic() + seconds

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            full = self._open >= self.limits.connections
            if not full:
                self._open += 1
                self._full = False
            elif not self._full:
                self._full = True
                log.warning(
                    "%d connections open: answering 503 to more until one closes",
                    self._open,
                )
        if full:
            self._refuse(request)
            return
        self._start_reaper()
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._open -= 1
                self._deadlines.pop(request, None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)) or (
            isinstance(error, OSError) and error.errno in (errno.EBADF, errno.ENOTCONN)
        ):
            # The client hung up, or was dropped for being too slow: nothing went wrong here.
            log.debug("%s: connection closed: %s", client_address[0], error)
            return
        log.exception("%s: the request failed", client_address[0])

    def server_close(self) -> None:
        self._closing.set()
        super().server_close()

    def _refuse(self, request: socket.socket) -> None:
        with suppress(OSError):  # it may not even take that much: it is closed all the same
            request.setblocking(False)
            request.send(_BUSY)
        self.shutdown_request(request)

    def _start_reaper(self) -> None:
        with self._lock:
            if self._reaper is not None:
                return
            self._reaper = threading.Thread(target=self._reap, name="reaper", daemon=True)
        self._reaper.start()

    def _reap(self) -> None:
        """Shut down the connections past their deadline: the handler blocked reading or
        writing them then sees the connection closed, and ends."""
        limits = self.limits
        every = min(1.0, limits.idle / 4, limits.request / 4, limits.response / 4)
        while not self._closing.wait(every):
            now = time.monotonic()
            with self._lock:
                late = [c for c, deadline in self._deadlines.items() if deadline < now]
                for connection in late:
                    del self._deadlines[connection]
            for connection in late:
                with suppress(OSError):  # closed meanwhile
                    connection.shutdown(socket.SHUT_RDWR)


def make_server(
    out_dir: Path,
    bind: str,
    port: int,
    unsubscribe: tuple[str, Unsubscribe] | None = None,
    *,
    health: Health | None = None,
    gone: Gone | None = None,
    limits: Limits = Limits(),
    freshness: Freshness | None = None,
    endpoints: Mapping[str, Endpoint] | None = None,
) -> Server:
    """A server for ``out_dir`` on ``bind``:``port`` (port 0 picks a free one), not started.

    ``unsubscribe`` is (URL path, handler) of the digest's unsubscribe link
    (``mailing.unsubscribe.unsubscribe_endpoint``); without it that path is a plain file path.
    ``health`` answers GET /healthz (``serve.health``); ``gone`` tells the tombstones of
    unpublished articles, answered 410 (``build.unpublish.Tombstones``); ``freshness``
    gives the caching and WebSub headers (``serve.feedpage``; none without it); ``endpoints``
    answer the readers' pages, by URL path (``mailing.signup``, ``mailing.account``).
    Call ``serve_forever()`` on it (in a thread, for tests) and ``server_close()`` after.
    """
    root = Path(out_dir).resolve()
    if not root.is_dir():
        raise PublisherError(
            f"output directory not found: {out_dir}", "run `publisher build` first"
        )

    # (A class body cannot see the function's names it assigns itself.)
    health_answer, tombstone = health, gone
    # A dict's values are not bound to the handler as methods, unlike a class attribute.
    paths = dict(endpoints or {})

    class Handler(StaticHandler):
        out_root = root
        timeout = limits.idle
        unsubscribe_path = unsubscribe[0] if unsubscribe else ""
        # A plain function as a class attribute would be bound to the handler as a method.
        unsubscribe_answer = staticmethod(unsubscribe[1]) if unsubscribe else None
        endpoints = paths
        health = staticmethod(health_answer) if health_answer else None
        gone = staticmethod(tombstone) if tombstone else None
        hints = freshness or Freshness()
        pages = FeedPages(root)

    try:
        return Server((bind, port), Handler, limits)
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
    health: Health | None = None,
    gone: Gone | None = None,
    freshness: Freshness | None = None,
    endpoints: Mapping[str, Endpoint] | None = None,
) -> None:
    """Serve ``out_dir`` (and ``unsubscribe``, ``health``, ``gone``, ``freshness`` and
    ``endpoints``, see ``make_server``) on http://bind:port/ until interrupted (Ctrl-C);
    ``quiet`` does not say where."""
    server = make_server(
        out_dir,
        bind,
        port,
        unsubscribe,
        health=health,
        gone=gone,
        freshness=freshness,
        endpoints=endpoints,
    )
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
