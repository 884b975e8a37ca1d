"""``publisher bounces``, ``publisher dkim`` and ``publisher doctor``: mail that arrives."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Settings
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    Command,
    Subcommands,
    add_state_option,
    command,
    overrides_state,
)


def _register_bounces(sub: Subcommands) -> None:
    p = command(
        sub,
        "bounces",
        "Read bounces and complaints sent to [mail] bounce_address: a Maildir, or one message "
        "on standard input (an MTA pipe). A permanent failure suspends the address, repeated "
        "temporary ones too; a spam complaint (ARF) unsubscribes it; auto-replies are ignored.",
        "publisher bounces /var/mail/bounces/          # a Maildir: new messages, marked seen\n"
        '  publisher bounces --recipient "$RECIPIENT" < message   # from an MTA pipe',
    )
    p.add_argument("maildir", metavar="MAILDIR", nargs="?", type=Path, help="a Maildir to read")
    p.add_argument(
        "--recipient",
        metavar="ADDRESS",
        help="the message's envelope recipient (bounces+...@...), when the MTA passes it",
    )
    add_state_option(p)


def _run_bounces(args: argparse.Namespace, settings: Settings) -> int:
    # Imported by each of these commands only: flufl.bounce, dkimpy and dnspython would
    # cost every other command's start-up (a cron build's, a fetch's) about 0.2 s.
    from ..mailing.bounces import read_messages

    now = datetime.now(UTC)
    if args.maildir is None:
        data = sys.stdin.buffer.read()
        outcomes = read_messages(settings, now, data=data, recipient=args.recipient)
    else:
        outcomes = read_messages(settings, now, maildir=args.maildir)
    if not args.quiet:
        for outcome in outcomes:
            print(outcome.line())
    return EXIT_OK


def _register_dkim(sub: Subcommands) -> None:
    p = command(
        sub,
        "dkim",
        "Print the DNS TXT records of the DKIM keys that sign the mail ([mail] dkim_selector), "
        "making the keys on first use; publish them before the first signed send.",
        "publisher dkim --config publisher.toml",
    )
    add_state_option(p)


def _run_dkim(args: argparse.Namespace, settings: Settings) -> int:
    from ..mailing.dkim import dkim_records

    records = dkim_records(settings)
    if not records:
        print(
            "publisher dkim: [mail] dkim_selector is not set: messages are not signed",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    for name, value in records:
        # A TXT string holds 255 bytes at most: longer values are given as several.
        pieces = " ".join(f'"{value[i : i + 255]}"' for i in range(0, len(value), 255))
        print(f"{name}. IN TXT ( {pieces} )")
    return EXIT_OK


def _register_doctor(sub: Subcommands) -> None:
    p = command(
        sub,
        "doctor",
        "Check what mail needs before the first send: the SMTP relay and its login, the From "
        "domain's SPF, DKIM and DMARC records, base_url's https, and publisher serve reachable "
        "at base_url. Each finding says what to fix; exit 1 when any is a problem.",
        "publisher doctor --config publisher.toml\n"
        "  publisher doctor --nameserver 9.9.9.9   # ask this name server, not the system's",
    )
    p.add_argument(
        "--nameserver",
        metavar="HOST[:PORT]",
        help="the DNS server to ask (default: the system's resolver)",
    )
    add_state_option(p)


def _run_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from ..doctor import diagnose

    findings = diagnose(settings, nameserver=args.nameserver)
    for finding in findings:
        if not args.quiet or finding.level != "ok":
            print(finding.line())
    return EXIT_FAILURE if any(f.level == "problem" for f in findings) else EXIT_OK


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return overrides_state(args)


BOUNCES = Command("bounces", _register_bounces, _run_bounces, _overrides)
DKIM = Command("dkim", _register_dkim, _run_dkim, _overrides)
DOCTOR = Command("doctor", _register_doctor, _run_doctor, _overrides)
