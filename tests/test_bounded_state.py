"""Bounded state (issue 24): the boilerplate memory keeps a window of each site's documents
and the counts of the keys that recurred, forgets the rest under its rule, and `publisher
state vacuum` gives the space back."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from publisher.build import boilerplate as memory
from publisher.build import build
from publisher.cli import main
from publisher.config import Settings, load_settings
from publisher.store import Store
from publisher.store.database import PAGE_SIZE

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
FOOTER = "The Harbour Gazette has been published by Coastline Media Group since 1887."


def _record(store: Store, docs: range, keys: list[str] | None = None) -> None:
    with store.transaction():
        for n in docs:
            store.record_boilerplate("g", f"d{n}", [f"own{n}", *(keys or [])], first=True)


def test_the_memory_keeps_a_window_and_the_counts_of_recurring_keys(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.db") as store:
        _record(store, range(2), ["pair"])
        _record(store, range(2, 250))
        with store.transaction():
            for n in range(250, 260):
                store.record_boilerplate("g", f"d{n}", ["chrome"], first=True)
        _record(store, range(260, 300))
        with store.transaction():
            # Chrome in three documents of the last 50: recurring.
            gone = store.forget_boilerplate("g", keep=45, recurring=3, absent=1_000)
        assert gone == 300 - 45
        kept = store.db.execute("SELECT COUNT(*) FROM boilerplate_docs WHERE grp = 'g'")
        assert kept.fetchone()[0] == 45
        counts = store.recurring_keys("g")
        # Recurred (10 documents), all gone from the window: its count is kept.
        assert counts == {"chrome": 10}
        # A key seen twice long ago, and a document's own line, are forgotten.
        keys = {row[0] for row in store.db.execute("SELECT key FROM boilerplate_keys")}
        assert "pair" not in keys and "own0" not in keys and "own299" in keys


def test_a_recurring_key_absent_long_enough_is_forgotten(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.db") as store:
        _record(store, range(5), ["menu"])
        _record(store, range(5, 40))
        with store.transaction():
            store.forget_boilerplate("g", keep=10, recurring=3, absent=100)
        assert store.recurring_keys("g") == {"menu": 5}  # absent from 35 only
        _record(store, range(40, 120))
        with store.transaction():
            store.forget_boilerplate("g", keep=10, recurring=3, absent=100)
        assert store.recurring_keys("g") == {}  # absent from the last 100 recordings


def test_a_group_within_its_window_counts_as_it_always_did(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.db") as store:
        _record(store, range(3), ["footer"])
        with store.transaction():
            store.record_boilerplate("g", "d1", ["own1"])  # changed: its old keys go
            store.forget_boilerplate("g", keep=200, recurring=3, absent=1_000)
        assert store.recurring_keys("g") == {"footer": 2}


TOPICS = ["bridge", "school", "harbour", "museum", "market", "library", "stadium", "theatre"]


def _gazette(tmp_path: Path, n: int) -> None:
    # Lines that differ by more than their digits (keys fold digits), so only the footer
    # recurs.
    inbox = tmp_path / "gazette"
    inbox.mkdir(exist_ok=True)
    topic = TOPICS[n]
    (inbox / f"{n:03d}.txt").write_text(
        f"Council Votes On The New {topic.title()} Plan\n\n"
        f"The council voted on Tuesday to approve the new {topic} plan after a long debate.\n\n"
        f"Supporters said the {topic} had waited decades for proper investment and repairs.\n\n"
        f"{FOOTER}\n",
        "utf-8",
    )


def _settings(tmp_path: Path) -> Settings:
    return load_settings(
        overrides={
            "paths.input": [tmp_path / "gazette"],
            "paths.out": tmp_path / "out",
            "paths.state": tmp_path / "state.db",
            "jobs": 1,
        },
        cwd=tmp_path,
    )


def test_a_build_keeps_the_window_and_still_knows_the_footer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory, "WINDOW", 3)
    settings = _settings(tmp_path)
    for n in range(8):  # one new article per build
        _gazette(tmp_path, n)
        build(settings, now=NOW + timedelta(hours=n))
    with Store.open(settings.paths.state) as store:
        docs = store.db.execute("SELECT COUNT(*) FROM boilerplate_docs").fetchone()[0]
        assert docs == 3
        # The footer is still known, by the documents gone from the window too.
        assert next(iter(store.recurring_keys("gazette").values())) == 8
        newest = store.articles(limit=1)[0]
    assert all(FOOTER not in block.text for block in newest.payload.article.blocks)


def test_state_vacuum_forgets_and_shrinks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(tmp_path)
    for n in range(6):
        _gazette(tmp_path, n)
    build(settings, now=NOW)
    monkeypatch.setattr(memory, "WINDOW", 2)
    state = str(settings.paths.state)
    assert main(["state", "vacuum", "--state", state]) == 0
    out = capsys.readouterr().out
    assert "4 documents left the boilerplate memory" in out
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT COUNT(*) FROM boilerplate_docs").fetchone()[0] == 2
        assert db.execute("PRAGMA freelist_count").fetchone()[0] == 0


def test_state_vacuum_moves_an_older_database_to_the_new_page_size(tmp_path: Path) -> None:
    """A database made with SQLite's 4 KB pages gets ``PAGE_SIZE`` pages from ``state
    vacuum``, its rows kept and back in write-ahead mode; not while another connection has
    it open (then it is vacuumed as it is)."""
    settings = _settings(tmp_path)
    for n in range(4):
        _gazette(tmp_path, n)
    build(settings, now=NOW)
    state = settings.paths.state
    with closing(sqlite3.connect(state, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("PRAGMA page_size=4096")
        db.execute("VACUUM")
        db.execute("PRAGMA journal_mode=WAL")
        articles = db.execute("SELECT id, data FROM articles ORDER BY id").fetchall()
    other = sqlite3.connect(state)
    other.execute("SELECT COUNT(*) FROM articles").fetchone()
    assert main(["state", "vacuum", "-q", "--state", str(state)]) == 0
    other.close()
    with closing(sqlite3.connect(state)) as db:
        assert db.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert main(["state", "vacuum", "-q", "--state", str(state)]) == 0
    with closing(sqlite3.connect(state)) as db:
        assert db.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 2048
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT id, data FROM articles ORDER BY id").fetchall() == articles
    build(settings, now=NOW + timedelta(hours=1))  # and the state works on
