"""``publisher unpublish``: take an article down for good."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Settings
from .common import EXIT_OK, Command, Subcommands, add_state_option, command


def _register(sub: Subcommands) -> None:
    p = command(
        sub,
        "unpublish",
        "Take articles down: out of the feeds, the archive and the digests to come, their "
        "pages left as tombstones (410 Gone from `publisher serve`), never published again.",
        "publisher unpublish 3f2a9c0d1e4b5a67\n"
        "  publisher unpublish https://news.example.org/articles/ferry-plan-3f2a9c.html\n"
        "  publisher unpublish inbox/ferry.html      # deleting the file alone unpublishes nothing",
    )
    p.add_argument(
        "refs",
        metavar="ID|URL|FILE",
        nargs="+",
        help="the article's id, the URL of its page or of the original article, or its file",
    )
    p.add_argument(
        "--input",
        metavar="PATH",
        action="append",
        type=Path,
        help="the inputs the build reads, to find a FILE among them (default: [paths] input)",
    )
    p.add_argument("--out", metavar="DIR", type=Path, help="output directory (default: out)")
    add_state_option(p)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"paths.input": args.input, "paths.out": args.out, "paths.state": args.state}


def _run(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: a build, which imports this module too, does without the summarizer.
    from ..build.unpublish import unpublish

    for article in unpublish(settings, args.refs, datetime.now(UTC)):
        if not args.quiet:
            state = "already unpublished" if article.already else "unpublished"
            print(f"{state}: {article.id} {article.title!r} ({article.page})")
    return EXIT_OK


COMMAND = Command("unpublish", _register, _run, _overrides)
