"""Issue 20: state that cannot vanish. Only a path where nothing exists gets a new state
database; an empty, truncated or foreign file is an error naming it, and stays as it was; a
database is copied beside itself before it is migrated; `publisher state backup` copies a
live one."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from cli_helpers import build_argv

from publisher.cli import main
from publisher.errors import PublisherError
from publisher.store import Store
from publisher.store.schema import MIGRATIONS, SCHEMA_VERSION


def _built(seeds: Path, tmp_path: Path) -> Path:
    state = tmp_path / "state" / "state.db"
    assert main(build_argv(seeds, tmp_path / "out", state, "-q")) == 0
    assert main(["subscribers", "add", "--state", str(state), "ann@example.org", "-q"]) == 0
    return state


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "it is empty (0 bytes)"),
        (b"PK\x03\x04 a zip file, say" * 100, "not a SQLite database"),
        (b"SQLite format", "not a SQLite database"),  # cut inside the header
    ],
)
def test_a_file_that_is_not_a_database_is_refused_and_kept(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(content)
    with pytest.raises(PublisherError) as refused, Store.open(path):
        pass
    assert str(path) in str(refused.value) and said in str(refused.value)
    assert "backup" in str(refused.value)
    assert path.read_bytes() == content  # nothing made in its place


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(PublisherError, match="not a publisher database"), Store.open(path):
        pass
    with sqlite3.connect(path) as other:
        tables = [row[0] for row in other.execute("SELECT name FROM sqlite_schema")]
    assert tables == ["notes"]


def test_an_emptied_state_fails_the_build_instead_of_starting_afresh(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = _built(seeds_copy, tmp_path)
    state.write_bytes(b"")  # a disk that filled, a botched copy, `> state.db`
    capsys.readouterr()
    assert main(build_argv(seeds_copy, tmp_path / "out", state, "-q")) == 1
    assert f"the state database {state} is not a publisher database" in capsys.readouterr().err
    assert state.stat().st_size == 0


def test_a_truncated_state_is_named_and_kept(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = _built(seeds_copy, tmp_path)
    data = state.read_bytes()
    state.write_bytes(data[: len(data) // 2])
    capsys.readouterr()
    assert main(build_argv(seeds_copy, tmp_path / "out", state, "-q")) == 1
    err = capsys.readouterr().err
    assert str(state) in err and "unreadable" in err
    assert state.read_bytes() == data[: len(data) // 2]


def test_a_new_database_appears_whole_and_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "state.db"
    with Store.open(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.db"]  # no leftovers


def test_a_migration_is_preceded_by_a_backup_beside_the_database(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as old:
        old.executescript("".join(MIGRATIONS[:4]) + "PRAGMA user_version = 4;")
        old.execute(
            "INSERT INTO subscribers VALUES ('ann@example.org', NULL, 'active', "
            "'2026-11-20T07:00:00+00:00', '2026-11-20T07:00:00+00:00')"
        )
    old.close()
    with Store.open(path):
        pass
    backup = tmp_path / "state.db.v4.backup"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA user_version").fetchone()[0] == 4
        assert copy.execute("SELECT address FROM subscribers").fetchall() == [("ann@example.org",)]
    copy.close()
    with Store.open(path):  # up to date: no second backup
        pass
    assert sorted(p.name for p in tmp_path.glob("*.backup")) == ["state.db.v4.backup"]


def test_state_backup_copies_a_live_database(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = _built(seeds_copy, tmp_path)
    writer = sqlite3.connect(state, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another run in the middle of a transaction
    writer.execute("DELETE FROM subscribers")
    try:
        target = tmp_path / "copy.db"
        assert main(["state", "backup", "--state", str(state), str(target)]) == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert str(target) in capsys.readouterr().out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with Store.open(target) as copy:
        assert [s.address for s in copy.subscribers()] == ["ann@example.org"]
        assert copy.article_count() == 5


def test_state_backup_of_no_state_creates_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.db"
    assert main(["state", "backup", "--state", str(state), str(tmp_path / "copy.db")]) == 1
    assert f"no state database at {state}" in capsys.readouterr().err
    assert not state.exists() and not (tmp_path / "copy.db").exists()


def test_state_backup_never_overwrites_the_database(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = _built(seeds_copy, tmp_path)
    before = state.read_bytes()
    assert main(["state", "backup", "--state", str(state), str(state)]) == 2
    assert "is the state database itself" in capsys.readouterr().err
    assert state.read_bytes() == before
