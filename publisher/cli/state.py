"""``publisher state``: looking after the state database itself."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..backup import backup_state
from ..config import Settings
from .common import EXIT_OK, Command, Subcommands, add_state_option, command, common


def _register(sub: Subcommands) -> None:
    p = command(
        sub,
        "state",
        "Look after the state database: `backup FILE` copies it, consistent even while a "
        "build or send runs.",
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


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    return {"paths.state": getattr(args, "state", None)}


def _run(args: argparse.Namespace, settings: Settings) -> int:
    target = backup_state(settings, args.file)
    if not args.quiet:
        print(f"state database {settings.paths.state} copied to {target}")
    return EXIT_OK


COMMAND = Command("state", _register, _run, _overrides)
