"""Every query a steady-state build runs is served by an index (issue 24): what a build costs
must not grow with the archive. The builds below (one new article, a no-op, an edit that
moves an article to another month, an unpublished article) run with every SQLite statement
traced; each is then explained (EXPLAIN QUERY PLAN), and a full scan of a table that grows
with the archive fails the test. A scan of an index is allowed when the statement takes a
bounded number of rows (LIMIT), or when the index is a partial one over rows that wait for
something a build or a send finishes (pages to write, articles not yet in a digest issue,
tombstones). A cold build, a new presentation (every page rendered again) and a directory
of pages changed by someone else (listed to restore deleted pages) read everything by
design, and are not checked here.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from publisher.build import build
from publisher.build.unpublish import unpublish
from publisher.config import Settings, load_settings
from publisher.store import Store

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
# Tables with a row per article, input file, line key, term or fetched document: those that
# grow with the archive. (Digest issues grow by one a day, whatever the archive; the digests
# page lists them all.)
GROWING = {
    "articles",
    "rejects",
    "boilerplate_docs",
    "boilerplate_keys",
    "boilerplate_groups",
    "terms",
    "facets",
    "facet_counts",
    "input_dirs",
    "web_documents",
    "web_aliases",
}
# Partial indexes over rows that wait for a build or a send to finish something (pages to
# write, articles for the next digest), or over the unpublished articles' tombstones.
BOUNDED = {
    "articles_unrendered",
    "articles_unsent_changed",
    "articles_removed",
    "articles_removed_months",
}
SCAN = re.compile(r"\bSCAN (\w+)(?: AS \w+)?(?: USING (?:COVERING )?INDEX (\w+))?")
# A search whose first constraint is "IS NOT NULL" (shown as "archive_month>?") walks most
# of the index: a scan by another name. (A range from a recent value, "mtime>?", is not.)
RANGE = re.compile(r"\bSEARCH (\w+)(?: AS \w+)? USING (?:COVERING )?INDEX (\w+) \((\w+)>\?\)")


def _article(site: str, n: int, month: int) -> str:
    return (
        f"The {site.title()} Council Approves Plan Number {n}\n\n"
        f"Published {month} March 2026 by the {site} desk.\n\n"
        f"The council of {site} approved plan number {n} on Tuesday after a debate that "
        f"lasted until late in the evening, with {n + 3} members voting in favour.\n\n"
        f"Supporters said plan {n} would bring new jobs to the district within two years, "
        f"while critics warned that its cost could rise by a third before it is finished.\n\n"
        f"Read more from the {site} desk every morning in our newsletter.\n"
    )


@pytest.fixture
def settings(tmp_path: Path, workdir: Path) -> Settings:
    for site in ("north", "south"):
        inbox = tmp_path / "in" / site
        inbox.mkdir(parents=True)
        for n in range(12):
            (inbox / f"{n:03d}.txt").write_text(_article(site, n, 1 + n % 20), "utf-8")
    return load_settings(
        overrides={
            "paths.input": [tmp_path / "in"],
            "paths.out": tmp_path / "out",
            "paths.state": tmp_path / "state.db",
            "jobs": 1,
        },
        cwd=tmp_path,
    )


def _traced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement run by connections opened from now on (builds run in process)."""
    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)  # type: ignore[arg-type]
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", traced)
    return statements


def _plans(state: Path, statements: list[str]) -> Iterator[tuple[str, str]]:
    """(statement, plan line) of each query among ``statements``."""
    db = sqlite3.connect(state)
    try:
        for sql in dict.fromkeys(statements):
            words = sql.lstrip().split(None, 1)
            verb = words[0].upper() if words else ""
            if verb not in ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH"):
                continue  # BEGIN, COMMIT, PRAGMA, a trigger's own statements ("--")
            for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"):
                yield sql, row[3]
    finally:
        db.close()


def _full_scans(state: Path, statements: list[str]) -> list[str]:
    problems = []
    for sql, detail in _plans(state, statements):
        scan = SCAN.search(detail)
        ranged = RANGE.search(detail)
        if ranged is not None and f"{ranged.group(3)} IS NOT NULL" in sql:
            scan = ranged
        if scan is None or scan.group(1) not in GROWING:
            continue
        index = scan.group(2)
        bounded = index is not None and (index in BOUNDED or " LIMIT " in sql.upper())
        if not bounded:
            problems.append(f"{detail}: {sql[:300]}")
    return problems


def _steps(settings: Settings, tmp_path: Path) -> list[tuple[str, Callable[[], object]]]:
    north = tmp_path / "in" / "north"

    def new_article() -> None:
        (north / "100.txt").write_text(_article("north", 100, 9), "utf-8")

    def moved_to_another_month() -> None:
        path = north / "003.txt"
        path.write_text(_article("north", 3, 9).replace("March", "April"), "utf-8")
        # In place, as a scraper correcting an article would: the directory does not change.
        later = (NOW + timedelta(hours=2)).timestamp()
        os.utime(path, (later, later))

    def unpublished() -> None:
        with Store.open(settings.paths.state) as store:
            article_id = next(iter(store.articles(limit=1))).id
        unpublish(settings, [article_id], NOW + timedelta(hours=3))

    return [
        ("one new article", new_article),
        ("a no-op", lambda: None),
        ("an article moved to another month", moved_to_another_month),
        ("an article unpublished", unpublished),
    ]


def test_a_steady_state_build_scans_no_growing_table(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(settings, now=NOW)  # cold: reads everything, not checked
    for hours, (what, change) in enumerate(_steps(settings, tmp_path), start=1):
        change()
        statements = _traced(monkeypatch)
        build(settings, now=NOW + timedelta(hours=hours))
        monkeypatch.undo()
        assert statements, what
        problems = _full_scans(settings.paths.state, statements)
        assert problems == [], f"{what}:\n" + "\n".join(problems)


def test_the_check_finds_a_full_scan(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # The check itself: the month query of old (substr on every row) is caught.
    build(settings, now=NOW)
    old = "SELECT substr(published, 1, 7), COUNT(*), MAX(last_changed) FROM articles GROUP BY 1"
    assert _full_scans(settings.paths.state, [old]) != []
    bounded = "SELECT id FROM articles WHERE rendered = 0"
    assert _full_scans(settings.paths.state, [bounded]) == []
    # An open range on an index is caught too (the tombstones' query once took the history
    # months' index for "archive_month IS NOT NULL").
    ranged = "SELECT id FROM articles WHERE archive_month IS NOT NULL"
    assert _full_scans(settings.paths.state, [ranged]) != []
