"""``publisher clean`` and ``publisher summarize``: the stages on files, nothing published."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..config import Settings
from ..models import Article, Rejected
from .common import EXIT_FAILURE, EXIT_OK, Command, Subcommands, command, json_line, print_rejected


def _register_clean(sub: Subcommands) -> None:
    p = command(
        sub,
        "clean",
        "Strip boilerplate from articles and print title, metadata and body.",
        "publisher clean --json seeds/ | jq .title",
    )
    _add_paths(p)


def _add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", metavar="PATH", nargs="+", type=Path, help="files or directories")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def _run_clean(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: the other commands (a build with nothing to read) do without the cleaner.
    from ..preview import clean_paths

    failed = False
    for result in clean_paths(args.paths, settings):
        if isinstance(result, Rejected):
            failed = True
            print_rejected(result, as_json=args.json)
            continue
        if args.json:
            json_line(_article_json(result))
        else:
            _print_article(result)
    return EXIT_FAILURE if failed and not args.json else EXIT_OK


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


def _register_summarize(sub: Subcommands) -> None:
    p = command(
        sub,
        "summarize",
        "Print a short extractive summary of each article.",
        "publisher summarize --sentences 2 --words 50 seeds/001_d3da1405dce3dce3.txt",
    )
    _add_paths(p)
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
    from ..preview import summarize_paths

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
            print_rejected(result, as_json=args.json)
            continue
        source, title, sentences = result
        if args.json:
            json_line(
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


CLEAN = Command("clean", _register_clean, _run_clean)
SUMMARIZE = Command("summarize", _register_summarize, _run_summarize, _overrides_summarize)
