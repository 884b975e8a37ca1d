"""``publisher serve`` and ``publisher daemon``: the long-running commands."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Settings
from .common import EXIT_OK, Command, Subcommands, add_out_option, add_state_option, command

DEFAULT_PORT = 8000  # of `publisher serve`


def _register_serve(sub: Subcommands) -> None:
    p = command(
        sub,
        "serve",
        "Preview the output directory over HTTP (feeds with their media types; Ctrl-C stops), "
        "answer the digest's unsubscribe link (base_url + unsubscribe), the signup form "
        "(subscribe, confirm: it sends the confirmation mails) and each reader's preferences "
        "page (preferences) from the state, GET /healthz (the last build and send), and 410 "
        "for unpublished articles.",
        "publisher serve --out out --port 8000   # then open http://127.0.0.1:8000/\n"
        "  publisher serve --port 8001 -q          # behind nginx, for the unsubscribe link",
    )
    add_out_option(p)
    add_state_option(p)
    p.add_argument(
        "--bind",
        metavar="ADDRESS",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    p.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to listen on (default: {DEFAULT_PORT})",
    )


def _port(text: str) -> int:
    """A TCP port number for argparse (0: any free port)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def _overrides_serve(args: argparse.Namespace) -> dict[str, Any]:
    return {"paths.out": args.out, "paths.state": args.state}


def _run_serve(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: only this command needs the schedule (APScheduler) that health reads,
    # and the server and its endpoints (a build, which prints DEFAULT_PORT, does without).
    from ..build.unpublish import Tombstones
    from ..mailing.account import preferences_endpoint
    from ..mailing.signup import Outbox, signup_endpoints
    from ..mailing.unsubscribe import unsubscribe_endpoint
    from ..serve import Freshness, serve
    from ..serve.health import health_endpoint

    def clock() -> datetime:
        return datetime.now(UTC)

    freshness = Freshness(
        max_age=settings.schedule.build_every(),
        hubs=settings.feed.hubs,
        base_url=settings.base_url,
    )
    endpoints = preferences_endpoint(settings, clock)
    outbox = None
    if settings.signup.enabled:
        outbox = Outbox(settings, clock)
        endpoints.update(signup_endpoints(settings, clock, outbox))
        outbox.start()
    try:
        serve(
            settings.paths.out,
            bind=args.bind,
            port=args.port,
            quiet=args.quiet,
            unsubscribe=unsubscribe_endpoint(settings, clock),
            health=health_endpoint(settings, clock),
            gone=Tombstones(settings.paths.state),
            freshness=freshness,
            endpoints=endpoints,
        )
    finally:
        if outbox is not None:
            outbox.close()
    return EXIT_OK


# -- daemon ---------------------------------------------------------------------------------


def _register_daemon(sub: Subcommands) -> None:
    p = command(
        sub,
        "daemon",
        "Run the [schedule] jobs (build, digest) until SIGTERM; SIGHUP reloads the config.",
        "publisher daemon --config /etc/publisher.toml --log-file /var/log/publisher.log",
    )
    p.add_argument(
        "--log-file",
        metavar="FILE",
        type=Path,
        help="append the log here instead of stderr (reopened after logrotate)",
    )


def _run_daemon(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: only this command needs APScheduler.
    from ..schedule import run_daemon

    return run_daemon(
        settings,
        config=args.config,
        log_file=args.log_file,
        verbose=args.verbose,
        quiet=args.quiet,
    )


SERVE = Command("serve", _register_serve, _run_serve, _overrides_serve)
DAEMON = Command("daemon", _register_daemon, _run_daemon)
