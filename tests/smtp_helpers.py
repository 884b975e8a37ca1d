"""A real SMTP peer for the tests that send mail: aiosmtpd on a free loopback port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, BinaryIO

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


class RawPeer:
    """What ``raw_smtp_server`` saw: complete messages' recipients, and connections it cut."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.recipients: list[str] = []
        self.cuts = 0


@contextmanager
def raw_smtp_server(*, cut_after: int) -> Iterator[RawPeer]:
    """A minimal SMTP peer on a plain socket that hangs up in the middle of the first
    message, ``cut_after`` bytes into it, before its final dot (aiosmtpd only lets a test
    act once the whole message is in); every later message is taken whole."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    peer = RawPeer(listener.getsockname()[1])
    stop = threading.Event()

    def session(conn: socket.socket, reader: BinaryIO) -> None:
        conn.sendall(b"220 raw ESMTP\r\n")
        recipient = ""
        while not stop.is_set():
            line = reader.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250 raw\r\n")
            elif verb == b"RCPT":
                recipient = line.decode().partition(":")[2].strip().strip("<>")
                conn.sendall(b"250 OK\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                if peer.cuts == 0:
                    reader.read(cut_after)
                    peer.cuts += 1
                    return  # the connection goes before the final dot
                while reader.readline() not in (b".\r\n", b""):
                    pass
                peer.recipients.append(recipient)
                conn.sendall(b"250 queued\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:  # MAIL, RSET, NOOP
                conn.sendall(b"250 OK\r\n")

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as reader:
                conn.settimeout(10)
                with suppress(OSError):
                    session(conn, reader)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        stop.set()
        listener.close()
        thread.join(10)
