"""The HTTP client: the one module of the project that talks to the network.

urllib3 2 (see the README's development notes for the choice) with what the fetcher
promises built in: one GET at a time per call, never a redirect followed here (the crawler
follows them, paced and checked like any request), a size cap enforced while the body
streams in (after decompression, so a gzip or brotli bomb stops at the cap), a deadline on
the whole exchange, no cookies (urllib3 keeps none), and the SSRF guard: a connection to a
loopback, private, link-local or otherwise non-public address is refused after the name is
resolved and before a byte is sent, on every hop, unless the policy allows it.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Whether a connection to this address is refused (the SSRF guard).
AddressPolicy = Callable[[IPAddress], bool]
# What one read from the socket may return, decompressed: the cap is checked between reads.
CHUNK = 64 * 1024
# A non-200 answer's body is read this far to keep the connection for the next request;
# a longer one closes it.
DRAIN_LIMIT = 64 * 1024


def not_public(address: IPAddress) -> bool:
    """The default policy: refuse every address that is not global unicast (loopback,
    private, link-local, shared, reserved, documentation, multicast, unspecified)."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return not address.is_global or address.is_multicast


def anything(address: IPAddress) -> bool:
    """The policy of ``allow_private = true``: refuse nothing."""
    return False


@dataclass(frozen=True)
class Response:
    """One HTTP answer, its body read whole (and decompressed) only for a 200."""

    url: str
    status: int
    headers: Mapping[str, str]  # names in lower case, repeated headers joined by ", "
    body: bytes
    reason: str = ""  # the status line's words ("Not Found")


class FetchError(Exception):
    """A request that got no usable answer: ``temporary`` when trying again later may work
    (a refused connection, a timeout), not when it never will (a private address, a body
    over the cap)."""

    def __init__(self, reason: str, *, temporary: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary


class _RefusedAddress(Exception):
    """Raised inside urllib3 by the guard; deliberately not an OSError, which urllib3 would
    wrap and take for a network failure."""


class Client:
    """GET requests with the fetcher's limits (see the module). Thread-safe: the crawler
    calls it from one worker thread per host at a time."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float,
        max_bytes: int,
        refuse: AddressPolicy = not_public,
    ) -> None:
        self.timeout, self.max_bytes, self.refuse = timeout, max_bytes, refuse
        self.headers = urllib3.util.make_headers(accept_encoding=True, user_agent=user_agent)
        self.pool = urllib3.PoolManager(
            num_pools=64,
            maxsize=1,
            retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
        )
        self.pool.pool_classes_by_scheme = _guarded_pools(self._check)

    def close(self) -> None:
        """Close every kept connection."""
        self.pool.clear()

    def get(self, url: str, headers: Mapping[str, str]) -> Response:
        """GET ``url`` once (a redirect is returned, not followed); FetchError when there is
        no answer, or the body is over the cap, damaged or too slow."""
        host = urllib3.util.parse_url(url).host or ""
        deadline = time.monotonic() + self.timeout
        try:
            literal = _literal(host)
            if literal is not None:  # refused before even connecting
                self._check(literal, host)
            response = self.pool.request(
                "GET",
                url,
                # A request's headers replace the pool's, not add to them.
                headers={**self.headers, **headers},
                preload_content=False,
                redirect=False,
                retries=False,
                decode_content=True,
            )
        except _RefusedAddress as exc:
            raise FetchError(str(exc), temporary=False) from None
        except Exception as exc:
            raise FetchError(_describe(exc, self.timeout), temporary=True) from None
        try:
            answer = {name.lower(): value for name, value in _joined(response.headers).items()}
            reason = response.reason or ""
            if response.status != 200:
                _drain(response)
                return Response(url, response.status, answer, b"", reason)
            return Response(url, 200, answer, self._body(response, answer, deadline), reason)
        finally:
            response.release_conn()

    def _body(
        self, response: urllib3.BaseHTTPResponse, headers: Mapping[str, str], deadline: float
    ) -> bytes:
        limit = self.max_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise FetchError(_too_large(limit), temporary=False)
        body = bytearray()
        try:
            for chunk in response.stream(CHUNK, decode_content=True):
                body += chunk
                if len(body) > limit:
                    response.close()
                    raise FetchError(_too_large(limit), temporary=False)
                if time.monotonic() > deadline:
                    response.close()
                    raise FetchError(
                        f"timed out: the body took more than {self.timeout:g} s", temporary=True
                    )
        except DecodeError as exc:
            response.close()
            raise FetchError(f"damaged compressed body: {exc}", temporary=False) from None
        except (ProtocolError, ReadTimeoutError, SSLError, OSError) as exc:
            response.close()
            raise FetchError(_describe(exc, self.timeout), temporary=True) from None
        return bytes(body)

    def _check(self, address: IPAddress, host: str) -> None:
        if self.refuse(address):
            raise _RefusedAddress(
                f"refused: {host} is at {address}, a private or local address "
                "(set [fetch] allow_private = true to fetch from it)"
            )


def _guarded_pools(check: Callable[[IPAddress, str], None]) -> dict[str, type[Any]]:
    """Connection pool classes whose connections pass ``check`` on the address they are
    connected to before anything is sent: the resolved address, whatever a name said."""

    def guarded(connection: Any, sock: socket.socket) -> socket.socket:
        try:
            peer = _literal(str(sock.getpeername()[0]))
            if peer is not None:
                check(peer, connection.host)
        except BaseException:
            sock.close()
            raise
        return sock

    class GuardedHTTP(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return guarded(self, super()._new_conn())

    class GuardedHTTPS(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return guarded(self, super()._new_conn())

    class Pool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTP

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPS

    return {"http": Pool, "https": SecurePool}


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def _joined(headers: Any) -> dict[str, str]:
    return {name: ", ".join(headers.getlist(name)) for name in headers}


def _drain(response: urllib3.BaseHTTPResponse) -> None:
    """Read a short body so the connection can serve the next request; close a long one."""
    try:
        data = response.read(DRAIN_LIMIT + 1, decode_content=False)
        if len(data) > DRAIN_LIMIT:
            response.close()
    except (HTTPError, OSError):
        response.close()


def _describe(exc: BaseException, timeout: float) -> str:
    """A failed request's reason, in a few words."""
    # Checked before the timeouts: urllib3's NewConnectionError is a ConnectTimeoutError.
    if isinstance(exc, NameResolutionError):
        return "host name not found"
    if isinstance(exc, NewConnectionError):
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, TimeoutError):
            return f"timed out connecting after {timeout:g} s"
        return f"cannot connect: {cause or exc}"
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError | TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, SSLError):
        return f"TLS failed: {exc}"
    if isinstance(exc, ProtocolError):
        return f"connection broken: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _too_large(limit: int) -> str:
    return f"larger than {limit / (1024 * 1024):g} MB (limit: [fetch] max_bytes)"
