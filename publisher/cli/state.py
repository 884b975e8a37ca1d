"""``publisher state``: looking after the state database itself."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..backup import backup_state, vacuum_state
from ..config import Settings
from .common import EXIT_OK, Command, Subcommands, add_state_option, command, common


def _register(sub: Subcommands) -> None:
    p = command(
        sub,
        "state",
        "Look after the state database: `backup FILE` copies it, consistent even while a "
        "build or send runs; `vacuum` gives the space it no longer uses back.",
        "publisher state backup /var/backups/publisher-$(date +%F).db",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    options = common(nested=True)
    add_state_option(options)
    backup = actions.add_parser(
        "backup",
        parents=[options],
        help="Copy the state database to FILE (SQLite's online backup).",
        description="Copy the state database to FILE (SQLite's online backup): subscribers, "
        "delivery log and the unsubscribe key, which no build can make again.",
        epilog="example:\n  publisher state backup --state /srv/pub/state.db /backups/pub.db",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backup.add_argument("file", metavar="FILE", type=Path, help="where the copy goes")
    actions.add_parser(
        "vacuum",
        parents=[options],
        help="Forget what the boilerplate memory's retention rule says, and shrink the file.",
        description="Apply the boilerplate memory's retention rule to every site (a build "
        "applies it to the sites it reads) and rewrite the state database without the space "
        "it no longer uses (SQLite keeps freed pages for later rows). Waits for no build: "
        "it fails if one is running. Needs free disk space about the database's size.",
        epilog="example:\n  publisher state vacuum --state /srv/pub/state.db",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    return {"paths.state": getattr(args, "state", None)}


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "vacuum":
        report = vacuum_state(settings)
        if not args.quiet:
            print(
                f"state database {settings.paths.state}: {_mb(report.before)} -> "
                f"{_mb(report.after)} ({report.forgotten} documents left the boilerplate "
                "memory)"
            )
        return EXIT_OK
    target = backup_state(settings, args.file)
    if not args.quiet:
        print(f"state database {settings.paths.state} copied to {target}")
    return EXIT_OK


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


COMMAND = Command("state", _register, _run, _overrides)
