"""``publisher build``: publish the inputs into the output directory."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ConfigError, PublisherError
from ..models import RunReport
from .common import EXIT_OK, Command, Subcommands, add_out_option, add_state_option, command
from .fetch import print_fetch_report
from .serve import DEFAULT_PORT


def _register(sub: Subcommands) -> None:
    p = command(
        sub,
        "build",
        "Fetch the [[sources]] that are due, then publish the input articles: feeds, digest "
        "and archive into the output directory.",
        "publisher build --input seeds --out out",
    )
    p.add_argument(
        "--input",
        metavar="PATH",
        action="append",
        type=Path,
        help="file or directory of .txt/.text/.html/.htm articles, gzipped too (repeatable; "
        "default: seeds)",
    )
    add_out_option(p)
    add_state_option(p)
    p.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        help="worker processes for cleaning and summarizing (default: CPUs)",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="publish what is stored without fetching the [[sources]] first (no request)",
    )
    p.add_argument(
        "--rescan",
        action="store_true",
        help="look at every input file and article page now (a build otherwise lists only "
        "the directories that changed and stats old files in rotation)",
    )
    p.add_argument(
        "--executor",
        metavar="ADDRESS",
        help="clean and summarize on a running dask.distributed scheduler instead, e.g. "
        "tcp://10.0.0.5:8786 (needs the dask extra; workers must see the input paths)",
    )


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "paths.input": args.input,
        "paths.out": args.out,
        "paths.state": args.state,
        "jobs": args.jobs,
    }


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if not args.offline and settings.sources:
        from ..fetch import fetch  # only with sources: a build of files does without it

        fetched = fetch(settings, now=datetime.now(UTC))
        if fetched.polled:  # a build says nothing of sources that were not due
            print_fetch_report(fetched, quiet=args.quiet)
    # Imported here: the other commands (fetch, send, serve) start without the build's
    # stages and templates.
    from ..build import build

    bar = _ProgressBar() if (not args.quiet and sys.stderr.isatty()) else None
    with _executor(args.executor) as executor:
        report = build(
            settings,
            now=datetime.now(UTC),
            progress=bar,
            executor=executor,
            rescan=args.rescan,
        )
    if bar:
        bar.finish()
    _print_report(report, settings, quiet=args.quiet)
    return EXIT_OK


@contextmanager
def _executor(address: str | None) -> Iterator[Executor | None]:
    """A dask.distributed client's executor for ``--executor ADDRESS``, or None."""
    if address is None:
        yield None
        return
    try:
        # Imported only here: dask is an optional extra and slow to import.
        from distributed import Client
    except ImportError:
        raise ConfigError(
            f"--executor {address} needs dask.distributed, which is not installed",
            "pip install 'publisher[dask]', or leave out --executor to use local processes",
        ) from None
    try:
        # distributed's constructor and get_executor carry no annotations.
        client = Client(address, timeout=30)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise PublisherError(
            f"--executor {address}: cannot reach the dask scheduler: {exc}",
            "start one with `dask scheduler` and workers with `dask worker ADDRESS`",
        ) from exc
    with client:
        yield client.get_executor()  # type: ignore[no-untyped-call]


def _print_report(report: RunReport, settings: Settings, *, quiet: bool) -> None:
    for rejected in report.skipped:
        print(f"skipped {rejected.source}: {rejected.reason}", file=sys.stderr)
    if quiet:
        return
    print(
        f"{report.seen} articles seen: {report.new} new, {report.changed} changed, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped"
    )
    out = settings.paths.out
    if report.written:
        shown = ", ".join(report.written[:6])
        more = f" and {len(report.written) - 6} more" if len(report.written) > 6 else ""
        print(f"wrote {len(report.written)} files in {out}/: {shown}{more}")
    else:
        print(f"{out}/ is up to date")
    print(f"feeds: {out / 'feed.atom'}, {out / 'feed.rss'}, {out / 'feed.json'}")
    print(_browse_hint(out))


def _browse_hint(out: Path) -> str:
    """How to look at the archive: its links are relative, so a local server shows it
    whatever base_url says (and before base_url is live)."""
    index = f"http://localhost:{DEFAULT_PORT}/index.html"
    return f"browse: publisher serve --out {out}   then open {index}"


class _ProgressBar:
    """A one-line progress bar on stderr, only for long runs on a terminal."""

    MIN_TOTAL = 50

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if total < self.MIN_TOTAL or (done % 10 and done != total):
            return
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} articles")
        sys.stderr.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


COMMAND = Command("build", _register, _run, _overrides)
