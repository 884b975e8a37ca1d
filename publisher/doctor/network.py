"""The doctor's one window on the network: DNS lookups (dnspython) and one HTTP request.

Kept in this module alone (the import-linter contracts name it), so that every lookup has
its timeout and the checks beside it stay plain functions of what was found.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import dns.exception
import dns.resolver

# Seconds for one DNS lookup or one HTTP request.
TIMEOUT = 5.0


class LookupFailed(Exception):
    """The DNS could not say (a timeout, a server failure): not the same as no record."""


class Resolver:
    """TXT lookups through the system's resolver, or one name server (``host[:port]``)."""

    def __init__(self, nameserver: str | None = None) -> None:
        if nameserver:
            host, port = nameserver, "53"
            if nameserver.count(":") == 1:  # host:port (an IPv6 address has more colons)
                host, port = nameserver.split(":")
            self.resolver = dns.resolver.Resolver(configure=False)
            self.resolver.nameservers = [host]
            self.resolver.port = int(port) if port.isdigit() else 53
        else:
            self.resolver = dns.resolver.Resolver()
        # EDNS with a payload a DKIM key's record fits in, over UDP.
        self.resolver.use_edns(0, 0, 1232)
        self.resolver.lifetime = TIMEOUT

    def txt(self, name: str) -> list[str]:
        """The TXT records at ``name``, each one string (its pieces joined); [] when there
        are none. Raises LookupFailed when the DNS cannot tell."""
        try:
            answer = self.resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
            raise LookupFailed(f"no answer for {name}: {exc}") from exc
        except dns.exception.DNSException as exc:
            raise LookupFailed(f"cannot look up {name}: {exc}") from exc
        return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


@dataclass(frozen=True)
class Fetched:
    """What a GET answered: the status and the headers that matter here."""

    status: int
    content_type: str
    cache_control: str


def get(url: str) -> Fetched:
    """GET ``url`` (no redirects followed). Raises OSError when it cannot be reached."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=TIMEOUT, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=TIMEOUT)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", path, headers={"User-Agent": "publisher doctor"})
        response = connection.getresponse()
        response.read(64 * 1024)
        return Fetched(
            response.status,
            response.getheader("Content-Type", ""),
            response.getheader("Cache-Control", ""),
        )
    except (http.client.HTTPException, ssl.SSLError) as exc:
        raise OSError(str(exc)) from exc
    finally:
        connection.close()
