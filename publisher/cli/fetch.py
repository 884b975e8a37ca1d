"""``publisher fetch`` and ``publisher sources``: the sources on the web."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..config import Settings
from .common import (
    EXIT_OK,
    Command,
    Subcommands,
    add_state_option,
    command,
    json_line,
    overrides_state,
)


def _register_fetch(sub: Subcommands) -> None:
    p = command(
        sub,
        "fetch",
        "Poll the [[sources]] that are due (feeds, sitemaps, URLs, OPML) and store what they "
        "gave; `build` publishes it.",
        "publisher fetch --config publisher.toml",
    )
    add_state_option(p)


def _register_sources(sub: Subcommands) -> None:
    p = command(
        sub,
        "sources",
        "List the sources: name, kind, state (ok, failing since ..., gone), last success, "
        "next poll, articles so far. Reads the state only; makes no request.",
        "publisher sources --json | jq -r 'select(.state != \"ok\") | .name'",
    )
    add_state_option(p)
    p.add_argument("--json", action="store_true", help="one JSON object per source and line")


if TYPE_CHECKING:
    from ..fetch import FetchReport, SourceStatus

# publisher.fetch (urllib3, feedparser, protego) is imported only by the commands that use
# it: every other command would pay for the import at start-up.


def _run_fetch(args: argparse.Namespace, settings: Settings) -> int:
    from ..fetch import fetch

    report = fetch(settings, now=datetime.now(UTC))
    if not settings.sources:
        if not args.quiet:
            print("no [[sources]] configured: nothing to fetch")
        return EXIT_OK
    print_fetch_report(report, quiet=args.quiet)
    return EXIT_OK


def print_fetch_report(report: FetchReport, *, quiet: bool) -> None:
    """What a fetch did: each source that changed state and each page that could not be
    fetched on stderr (once: the runs after say nothing until it changes again), counts on
    stdout."""
    for change in report.changes:
        print(f"source {change.describe()}", file=sys.stderr)
    for url, reason in report.problems:
        print(f"not fetched {url}: {reason}", file=sys.stderr)
    if quiet:
        return
    if not report.polled:
        print("no source is due (publisher sources says when each is)")
        return
    print(
        f"{report.polled} sources polled ({report.requests} requests): {report.new} new, "
        f"{report.updated} updated, {report.unchanged} not modified"
    )


def _run_sources(args: argparse.Namespace, settings: Settings) -> int:
    from ..fetch import source_status

    rows = source_status(settings)
    if args.json:
        for row in rows:
            json_line(_as_json(row))
        return EXIT_OK
    if not rows:
        if not args.quiet:
            print("no [[sources]] configured")
        return EXIT_OK
    table = [("NAME", "KIND", "STATE", "LAST SUCCESS", "NEXT POLL", "ARTICLES")]
    for row in rows:
        name = f"  {row.name}" if row.parent else row.name
        table.append(
            (
                name,
                row.kind,
                _state(row),
                _time(row.last_success) if row.last_success else "never",
                _time(row.next_poll) if row.next_poll else "now",
                str(row.articles),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        print("  ".join([*cells, line[-1]]).rstrip())
    return EXIT_OK


def _state(row: SourceStatus) -> str:
    if row.state == "failing":
        return f"failing since {_time(row.since)}" if row.since else "failing"
    if row.state == "gone":
        return f"gone since {_time(row.since)}" if row.since else "gone"
    return "not polled yet" if row.state == "new" else row.state


def _as_json(row: SourceStatus) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "name": row.name,
        "kind": row.kind,
        "url": row.url,
        "state": row.state,
        "since": iso(row.since),
        "error": row.error,
        "last_success": iso(row.last_success),
        "next_poll": iso(row.next_poll),
        "articles": row.articles,
        "listed_by": row.parent,
    }


def _time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


FETCH = Command("fetch", _register_fetch, _run_fetch, overrides_state)
SOURCES = Command("sources", _register_sources, _run_sources, overrides_state)
