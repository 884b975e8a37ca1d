"""A real SMTP peer for the tests that send mail: aiosmtpd on a free loopback port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(handler: object, **options: Any) -> Iterator[int]:
    """Serve SMTP with ``handler`` on 127.0.0.1 (``options`` go to aiosmtpd's Controller,
    e.g. an authenticator) until the block ends; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
