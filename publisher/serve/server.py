"""The server: a thread per connection, listening where it is told, and ``serve``, which
runs it until Ctrl-C."""

from __future__ import annotations

import errno
import sys
from http.server import ThreadingHTTPServer
from pathlib import Path

from ..errors import PublisherError
from .handler import StaticHandler, Unsubscribe


def make_server(
    out_dir: Path,
    bind: str,
    port: int,
    unsubscribe: tuple[str, Unsubscribe] | None = None,
) -> ThreadingHTTPServer:
    """A server for ``out_dir`` on ``bind``:``port`` (port 0 picks a free one), not started.

    ``unsubscribe`` is (URL path, handler) of the digest's unsubscribe link
    (``mailing.unsubscribe.unsubscribe_endpoint``); without it that path is a plain file path.
    Call ``serve_forever()`` on it (in a thread, for tests) and ``server_close()`` after.
    """
    root = Path(out_dir).resolve()
    if not root.is_dir():
        raise PublisherError(
            f"output directory not found: {out_dir}", "run `publisher build` first"
        )

    class Handler(StaticHandler):
        out_root = root
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
) -> None:
    """Serve ``out_dir`` (and ``unsubscribe``, see ``make_server``) on http://bind:port/
    until interrupted (Ctrl-C); ``quiet`` does not say where."""
    server = make_server(out_dir, bind, port, unsubscribe)
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
