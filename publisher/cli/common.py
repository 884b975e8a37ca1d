"""What every command shares: the common options, how a command is declared, exit statuses
and the small printing helpers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from ..config import Settings
from ..models import Rejected

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_TEMPFAIL = 75  # EX_TEMPFAIL: try again later (a lock held, recipients left for later)

Runner = Callable[[argparse.Namespace, Settings], int]
# A string: argparse's action class takes no type arguments at run time.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Registrar = Callable[[Subcommands], None]
Overrides = Callable[[argparse.Namespace], dict[str, Any]]


@dataclass(frozen=True)
class Command:
    """One command: how its arguments are declared, how it runs, and which settings its
    arguments override (dotted keys, as ``config.load_settings`` takes them)."""

    name: str
    register: Registrar
    run: Runner
    overrides: Overrides | None = None


class VersionAction(argparse.Action):
    """--version, looked up only when asked: importlib.metadata slows every start-up."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("publisher")
        except PackageNotFoundError:
            found = "unknown"
        print(f"publisher {found}")
        parser.exit()


def common(*, nested: bool = False) -> argparse.ArgumentParser:
    """Options every command accepts after its name.

    ``nested`` is for the actions of a command that takes them too (``subscribers --config
    FILE add``): argparse copies every attribute of an action's namespace over the command's,
    defaults included, so an action must leave out what it was not given.
    """
    parent = argparse.ArgumentParser(add_help=False)
    default: dict[str, Any] = {"default": argparse.SUPPRESS} if nested else {}
    group = parent.add_argument_group("common options")
    group.add_argument(
        "--config", metavar="FILE", help="TOML config (default: ./publisher.toml)", **default
    )
    noise = group.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", help="log what happens", **default)
    noise.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing unless something is wrong",
        **default,
    )
    return parent


def command(sub: Subcommands, name: str, summary: str, example: str) -> argparse.ArgumentParser:
    """Add command ``name`` with the common options, its summary and an example as epilog."""
    return sub.add_parser(
        name,
        parents=[common()],
        help=summary,
        description=summary,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_out_option(parser: argparse.ArgumentParser) -> None:
    """``--out DIR``, the output directory."""
    parser.add_argument("--out", metavar="DIR", type=Path, help="output directory (default: out)")


def add_state_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state", metavar="FILE", type=Path, help="state database (default: .publisher/state.db)"
    )


def overrides_state(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--state`` option's override."""
    return {"paths.state": args.state}


def print_rejected(rejected: Rejected, *, as_json: bool) -> None:
    """A file that could not be used: a JSON line, or a line on stderr."""
    if as_json:
        json_line({"source": rejected.source, "error": rejected.reason})
    else:
        print(f"{rejected.source}: {rejected.reason}", file=sys.stderr)


def json_line(obj: dict[str, Any]) -> None:
    """One JSON object on its own line of stdout."""
    print(json.dumps(obj, ensure_ascii=False))
