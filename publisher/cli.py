"""The command line. It parses arguments, calls a use case (``build``, ``preview``,
``mailing``), and turns the errors they raise into messages.

Exit status: 0 ok, 1 failure, 2 usage or configuration error, 75 another run holds the lock.
Each command is a (register, run) pair in ``COMMANDS``; adding a command adds one pair.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

from .build import build
from .config import Settings, load_settings
from .errors import ConfigError, PublisherError
from .mailing import subscribers
from .mailing.issues import send
from .mailing.unsubscribe import unsubscribe_endpoint
from .models import Article, Rejected, RunReport
from .preview import clean_paths, summarize_paths
from .serve import serve

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_PORT = 8000  # of `publisher serve`

Runner = Callable[[argparse.Namespace, Settings], int]
# A string: argparse's action class takes no type arguments at run time.
_Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class _VersionAction(argparse.Action):
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


def _common(*, nested: bool = False) -> argparse.ArgumentParser:
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


def _command(sub: _Subcommands, name: str, summary: str, example: str) -> argparse.ArgumentParser:
    """Add command ``name`` with the common options, its summary and an example as epilog."""
    return sub.add_parser(
        name,
        parents=[_common()],
        help=summary,
        description=summary,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _add_state_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state", metavar="FILE", type=Path, help="state database (default: .publisher/state.db)"
    )


# -- build ----------------------------------------------------------------------------------


def _register_build(sub: _Subcommands) -> None:
    p = _command(
        sub,
        "build",
        "Publish the input articles: feeds, digest and archive into the output directory.",
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
    p.add_argument("--out", metavar="DIR", type=Path, help="output directory (default: out)")
    _add_state_option(p)
    p.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        help="worker processes for cleaning and summarizing (default: CPUs)",
    )
    p.add_argument(
        "--executor",
        metavar="ADDRESS",
        help="clean and summarize on a running dask.distributed scheduler instead, e.g. "
        "tcp://10.0.0.5:8786 (needs the dask extra; workers must see the input paths)",
    )


def _overrides_build(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "paths.input": args.input,
        "paths.out": args.out,
        "paths.state": args.state,
        "jobs": args.jobs,
    }


def _run_build(args: argparse.Namespace, settings: Settings) -> int:
    bar = _ProgressBar() if (not args.quiet and sys.stderr.isatty()) else None
    with _executor(args.executor) as executor:
        report = build(settings, now=datetime.now(UTC), progress=bar, executor=executor)
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


# -- clean ----------------------------------------------------------------------------------


def _register_clean(sub: _Subcommands) -> None:
    p = _command(
        sub,
        "clean",
        "Strip boilerplate from articles and print title, metadata and body.",
        "publisher clean --json seeds/ | jq .title",
    )
    p.add_argument("paths", metavar="PATH", nargs="+", type=Path, help="files or directories")
    p.add_argument("--json", action="store_true", help="one JSON object per line")


def _run_clean(args: argparse.Namespace, settings: Settings) -> int:
    failed = False
    for result in clean_paths(args.paths, settings):
        if isinstance(result, Rejected):
            failed = True
            _print_rejected(result, as_json=args.json)
            continue
        if args.json:
            _json_line(_article_json(result))
        else:
            _print_article(result)
    return EXIT_FAILURE if failed and not args.json else EXIT_OK


def _print_rejected(rejected: Rejected, *, as_json: bool) -> None:
    if as_json:
        _json_line({"source": rejected.source, "error": rejected.reason})
    else:
        print(f"{rejected.source}: {rejected.reason}", file=sys.stderr)


def _article_json(article: Article) -> dict[str, Any]:
    return {
        "source": article.source,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "author": article.author,
        "body": article.body,
    }


def _print_article(article: Article) -> None:
    print(f"# {article.title}")
    meta = [article.source]
    if article.published:
        meta.append(article.published.isoformat())
    if article.author:
        meta.append(article.author)
    print("  ".join(meta))
    print()
    print(article.body)
    print()


# -- summarize --------------------------------------------------------------------------------


def _register_summarize(sub: _Subcommands) -> None:
    p = _command(
        sub,
        "summarize",
        "Print a short extractive summary of each article.",
        "publisher summarize --sentences 2 --words 50 seeds/001_d3da1405dce3dce3.txt",
    )
    p.add_argument("paths", metavar="PATH", nargs="+", type=Path, help="files or directories")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--sentences", metavar="N", type=int, help="at most N sentences (default 3)")
    p.add_argument("--words", metavar="N", type=int, help="at most N words (default 75)")
    p.add_argument(
        "--no-clean",
        action="store_true",
        help="take each file as an already clean body without a title line",
    )


def _overrides_summarize(args: argparse.Namespace) -> dict[str, Any]:
    return {"summary.sentences": args.sentences, "summary.words": args.words}


def _run_summarize(args: argparse.Namespace, settings: Settings) -> int:
    failed = False
    results = summarize_paths(
        args.paths,
        settings,
        sentences=settings.summary.sentences,
        words=settings.summary.words,
        no_clean=args.no_clean,
    )
    for result in results:
        if isinstance(result, Rejected):
            failed = True
            _print_rejected(result, as_json=args.json)
            continue
        source, title, sentences = result
        if args.json:
            _json_line(
                {
                    "source": source,
                    "title": title,
                    "summary": " ".join(sentences),
                    "sentences": list(sentences),
                }
            )
        else:
            print(f"# {title or source}")
            print(" ".join(sentences))
            print()
    return EXIT_FAILURE if failed and not args.json else EXIT_OK


def _json_line(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False))


# -- send -----------------------------------------------------------------------------------

EXIT_TEMPFAIL = 75  # EX_TEMPFAIL: some recipients are left for the next run


def _register_send(sub: _Subcommands) -> None:
    p = _command(
        sub,
        "send",
        "Deliver the digest of new articles to every active subscriber over SMTP.",
        "PUBLISHER_SMTP_PASSWORD=... publisher send --config publisher.toml --dry-run\n"
        "  publisher send --retry -q   # from cron every 30 min: finish what was deferred",
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
    _add_state_option(p)


def _run_send(args: argparse.Namespace, settings: Settings) -> int:
    reports = send(
        settings, now=lambda: datetime.now(UTC), dry_run=args.dry_run, new_issue=not args.retry
    )
    if not reports and not args.quiet:
        if args.retry:
            print("no issue is waiting for a retry: nothing sent")
        else:
            print("nothing new since the last digest: nothing sent")
    status = EXIT_OK
    for report in reports:
        for address, error in report.failed:
            print(f"digest {report.digest_id}: {address} refused: {error}", file=sys.stderr)
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
                f"{len(report.failed)}, deferred {len(report.deferred)}, "
                f"done earlier {report.already}"
            )
    return status


# -- subscribers ------------------------------------------------------------------------------


def _register_subscribers(sub: _Subcommands) -> None:
    p = _command(
        sub,
        "subscribers",
        "Manage the digest's subscribers: add, remove, list, or import a CSV file.",
        "publisher subscribers add 'Ann Lee <ann@example.org>' bob@example.net\n"
        "  publisher subscribers import people.csv   # never re-adds an unsubscribed address",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    state = _common(nested=True)
    _add_state_option(state)
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
        ("list", "List active subscribers.", "publisher subscribers list --all"),
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


def _overrides_state(args: argparse.Namespace) -> dict[str, Any]:
    return {"paths.state": args.state}


def _run_subscribers(args: argparse.Namespace, settings: Settings) -> int:
    now = datetime.now(UTC)
    if args.action == "list":
        for subscriber in subscribers.list_subscribers(settings, everyone=args.all):
            extra = f"\t{subscriber.status}" if args.all else ""
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


# -- serve ----------------------------------------------------------------------------------


def _register_serve(sub: _Subcommands) -> None:
    p = _command(
        sub,
        "serve",
        "Preview the output directory over HTTP (feeds with their media types; Ctrl-C stops), "
        "and answer the digest's unsubscribe link (base_url + unsubscribe) from the state.",
        "publisher serve --out out --port 8000   # then open http://127.0.0.1:8000/\n"
        "  publisher serve --port 8001 -q          # behind nginx, for the unsubscribe link",
    )
    p.add_argument("--out", metavar="DIR", type=Path, help="output directory (default: out)")
    _add_state_option(p)
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
    unsubscribe = unsubscribe_endpoint(settings, lambda: datetime.now(UTC))
    serve(
        settings.paths.out,
        bind=args.bind,
        port=args.port,
        quiet=args.quiet,
        unsubscribe=unsubscribe,
    )
    return EXIT_OK


# -- daemon ---------------------------------------------------------------------------------


def _register_daemon(sub: _Subcommands) -> None:
    p = _command(
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
    from .schedule import run_daemon

    return run_daemon(
        settings,
        config=args.config,
        log_file=args.log_file,
        verbose=args.verbose,
        quiet=args.quiet,
    )


# -- the command table ------------------------------------------------------------------------

Registrar = Callable[[_Subcommands], None]
Overrides = Callable[[argparse.Namespace], dict[str, Any]]

COMMANDS: dict[str, tuple[Registrar, Runner, Overrides | None]] = {
    "build": (_register_build, _run_build, _overrides_build),
    "clean": (_register_clean, _run_clean, None),
    "summarize": (_register_summarize, _run_summarize, _overrides_summarize),
    "send": (_register_send, _run_send, _overrides_state),
    "subscribers": (_register_subscribers, _run_subscribers, _overrides_state),
    "serve": (_register_serve, _run_serve, _overrides_serve),
    "daemon": (_register_daemon, _run_daemon, None),
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
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register, _, _ in COMMANDS.values():
        register(sub)
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
    _, run, overrides = COMMANDS[args.command]
    try:
        settings = load_settings(args.config, overrides(args) if overrides else None)
        status = run(args, settings)
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
