"""``publisher send`` and ``publisher subscribers``: the digest and its subscriber list."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings

if TYPE_CHECKING:
    from ..mailing.sending import SendRun
from .common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_TEMPFAIL,
    Command,
    Subcommands,
    add_state_option,
    command,
    common,
    overrides_state,
)


def _register_send(sub: Subcommands) -> None:
    p = command(
        sub,
        "send",
        "Deliver the digest of new articles to every active subscriber over SMTP.",
        "PUBLISHER_SMTP_PASSWORD=... publisher send --config publisher.toml --dry-run\n"
        "  publisher send --retry -q   # from cron every 30 min: finish what was deferred\n"
        "  publisher send --hourly -q  # from cron at minute 0: readers who chose an hour",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show who would get which issue; freeze, write and send nothing",
    )
    p.add_argument(
        "--retry",
        action="store_true",
        help="only finish issues left unfinished by temporary failures; freeze no new one",
    )
    p.add_argument(
        "--hourly",
        action="store_true",
        help="only the readers who chose their own hour on their preferences page and whose "
        "hour has come (run it every hour; the daemon does)",
    )
    p.add_argument(
        "--retry-unknown",
        action="store_true",
        help="also send again the messages whose outcome is unknown (a connection lost, or a "
        "run killed, after the message went out): their recipients may get them twice",
    )
    add_state_option(p)


def _run_send(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: only these commands need the mail (a build does without).
    from ..mailing.sending import send

    run = send(
        settings,
        now=lambda: datetime.now(UTC),
        dry_run=args.dry_run,
        new_issue=not args.retry,
        retry_unknown=args.retry_unknown,
        hourly=args.hourly,
    )
    if not args.quiet:
        if run.released:
            print(f"{run.released} messages of unknown outcome will be sent again")
        if not run.reports:
            print(_nothing_sent(run, retry=args.retry, hourly=args.hourly))
    status = EXIT_OK
    for report in run.reports:
        for address, error in report.failed:
            print(f"digest {report.digest_id}: {address} refused: {error}", file=sys.stderr)
            status = EXIT_FAILURE
        for address, error in report.unknown:
            print(
                f"digest {report.digest_id}: {address} outcome unknown: {error} (not sent "
                "again; `publisher send --retry-unknown` would)",
                file=sys.stderr,
            )
            status = EXIT_FAILURE
        for address, error in report.deferred:
            print(f"digest {report.digest_id}: {address} deferred: {error}", file=sys.stderr)
        if report.deferred and status == EXIT_OK:
            status = EXIT_TEMPFAIL
        if args.quiet:
            continue
        if report.dry_run:
            print(
                f"digest {report.digest_id}: would send to {len(report.would_send)} "
                f"subscribers: {', '.join(report.would_send) or '-'}"
            )
        else:
            print(
                f"digest {report.digest_id}: sent {len(report.sent)}, refused "
                f"{len(report.failed)}, deferred {len(report.deferred)}, unknown "
                f"{len(report.unknown)}, done earlier {report.already}"
            )
    return status


def _nothing_sent(run: SendRun, *, retry: bool, hourly: bool = False) -> str:
    """Why a send sent nothing."""
    if retry:
        return "no issue is waiting for a retry: nothing sent"
    if hourly:
        return "no reader's hour has come with anything new: nothing sent"
    if not run.subscribers and run.waiting:
        return (
            f"no active subscribers: nothing frozen or sent; {run.waiting} articles wait "
            "for the first subscriber's digest"
        )
    if not run.subscribers:
        return "no active subscribers and nothing new: nothing sent"
    return "nothing new since the last digest: nothing sent"


def _register_subscribers(sub: Subcommands) -> None:
    p = command(
        sub,
        "subscribers",
        "Manage the digest's subscribers: add, remove, list, or import a CSV file.",
        "publisher subscribers add 'Ann Lee <ann@example.org>' bob@example.net\n"
        "  publisher subscribers import people.csv   # never re-adds an unsubscribed address",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    state = common(nested=True)
    add_state_option(state)
    specs = (
        (
            "add",
            "Subscribe addresses (also re-subscribes unsubscribed ones).",
            "publisher subscribers add ann@example.org 'Bob <bob@example.net>'",
        ),
        (
            "remove",
            "Unsubscribe addresses; they stay unsubscribed until added again.",
            "publisher subscribers remove ann@example.org",
        ),
        (
            "list",
            "List active subscribers (--all: unsubscribed and suspended ones too).",
            "publisher subscribers list --all",
        ),
        (
            "import",
            "Subscribe every address of a CSV file (email[,name]).",
            "publisher subscribers import people.csv",
        ),
    )
    for name, summary, example in specs:
        action = actions.add_parser(
            name,
            parents=[state],
            help=summary,
            description=summary,
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name in ("add", "remove"):
            action.add_argument("values", metavar="ADDRESS", nargs="+", help="e-mail addresses")
        elif name == "import":
            action.add_argument("values", metavar="FILE", nargs=1, help="CSV file")
        else:
            action.add_argument("--all", action="store_true", help="unsubscribed addresses too")


def _run_subscribers(args: argparse.Namespace, settings: Settings) -> int:
    from ..mailing import subscribers

    now = datetime.now(UTC)
    if args.action == "list":
        for subscriber in subscribers.list_subscribers(settings, everyone=args.all):
            extra = f"\t{subscriber.status}" if args.all else ""
            if args.all and subscriber.reason:
                extra += f"\t{subscriber.reason}"
            print(f"{subscriber.address}\t{subscriber.name or ''}{extra}")
        return EXIT_OK
    if args.action == "remove":
        for value, was_active in subscribers.unsubscribe(settings, args.values, now):
            if not args.quiet:
                print(f"{'removed' if was_active else 'not subscribed, blocked'}: {value}")
        return EXIT_OK
    if args.action == "add":
        report = subscribers.subscribe(settings, args.values, now)
    else:
        report = subscribers.import_file(settings, Path(args.values[0]), now)
    for given, reason in report.invalid:
        print(f"skipped {given}: {reason}", file=sys.stderr)
    if not args.quiet:
        print(
            f"{len(report.added)} added, {len(report.unchanged)} already subscribed, "
            f"{len(report.kept_unsubscribed)} kept unsubscribed, "
            f"{len(report.invalid)} invalid"
        )
    return EXIT_FAILURE if report.invalid else EXIT_OK


SEND = Command("send", _register_send, _run_send, overrides_state)
SUBSCRIBERS = Command("subscribers", _register_subscribers, _run_subscribers, overrides_state)
