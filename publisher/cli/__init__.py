"""The command line. It parses arguments, calls a use case (``build``, ``preview``,
``mailing``), and turns the errors they raise into messages.

Exit status: 0 ok, 1 failure, 2 usage or configuration error, 75 another run holds the lock.
Each command is a ``Command`` (how it declares its arguments, how it runs, what settings
they override) in a module of this package named after what it does; ``COMMANDS`` lists
them, and adding a command adds one there.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from ..config import load_settings
from ..errors import PublisherError
from . import build, deliver, fetch, mail, preview, serve, state, unpublish
from .common import EXIT_FAILURE, Command, VersionAction

COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        build.COMMAND,
        fetch.FETCH,
        fetch.SOURCES,
        preview.CLEAN,
        preview.SUMMARIZE,
        mail.SEND,
        mail.SUBSCRIBERS,
        serve.SERVE,
        serve.DAEMON,
        state.COMMAND,
        unpublish.COMMAND,
        deliver.BOUNCES,
        deliver.DKIM,
        deliver.DOCTOR,
    )
}


def make_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for tests of every command's help)."""
    parser = argparse.ArgumentParser(
        prog="publisher",
        description="Turn scraped news articles into clean feeds, an e-mail digest and an archive.",
        epilog="example:\n  publisher build            # publish ./seeds into ./out\n"
        "  publisher COMMAND --help   # help and an example for each command",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for spec in COMMANDS.values():
        spec.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``publisher`` console script; returns the exit status."""
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    spec = COMMANDS[args.command]
    try:
        settings = load_settings(args.config, spec.overrides(args) if spec.overrides else None)
        for notice in settings.notices:
            print(f"publisher {args.command}: {notice}", file=sys.stderr)
        status = spec.run(args, settings)
        # Here rather than at exit, so that a reader gone by now is handled below.
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # The reader of our output went away (`publisher clean --json seeds/ | head -1`):
        # stop as any filter does, without a traceback. (Sockets handle their own errors.)
        # Python flushes stdout again at exit, so it now goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except PublisherError as exc:
        print(f"publisher {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"publisher {args.command}: interrupted", file=sys.stderr)
        return 130
