"""A name server on loopback for the tests that look records up: TXT records from a dict,
answered over UDP with dnspython's own message code; every other name does not exist."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def _txt(value: str) -> str:
    """A TXT record's text: the value in quoted strings of at most 255 characters."""
    pieces = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in pieces)


@contextmanager
def dns_server(records: Mapping[str, Sequence[str]]) -> Iterator[str]:
    """Answer TXT queries for ``records`` (name -> values) on 127.0.0.1 until the block
    ends; yields "127.0.0.1:port" (what `publisher doctor --nameserver` takes)."""
    zone = {name.lower().rstrip("."): list(values) for name, values in records.items()}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, client = sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            with suppress(Exception):  # a malformed query gets no answer, as from any server
                query = dns.message.from_wire(data)
                response = dns.message.make_response(query)
                question = query.question[0]
                name = question.name.to_text().rstrip(".").lower()
                if name not in zone:
                    response.set_rcode(dns.rcode.NXDOMAIN)
                elif question.rdtype == dns.rdatatype.TXT and zone[name]:
                    response.answer.append(
                        dns.rrset.from_text_list(
                            question.name,
                            300,
                            dns.rdataclass.IN,
                            dns.rdatatype.TXT,
                            [_txt(v) for v in zone[name]],
                        )
                    )
                sock.sendto(response.to_wire(), client)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        sock.close()
