from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from publisher import output
from publisher.errors import LockedError, PublisherError
from publisher.output import publish_staged, stage_file, write_files
from publisher.store import ArticleRecord, Store, TermCounts, run_lock
from publisher.store.database import PAGE_SIZE
from publisher.store.schema import MIGRATIONS, SCHEMA_VERSION

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


def _record(key: str = "seeds/a.txt", **changes: object) -> ArticleRecord:
    values: dict[str, object] = dict(
        id="abc",
        source_key=key,
        source=key,
        group="seeds",
        slug="a-abc",
        content_hash="h1",
        body_hash="b1",
        first_seen=NOW,
        last_changed=NOW,
        published=NOW,
        duplicate_of=None,
        story=None,
        digest_id=None,
        data='{"x": 1}',
    )
    values.update(changes)
    return ArticleRecord(**values)  # type: ignore[arg-type]


def test_schema_is_versioned_and_database_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "state.db"
    with Store.open(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 2048
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with Store.open(path) as store:  # reopening migrates nothing and keeps data
        assert store.article_count() == 0


def test_an_older_database_is_migrated_keeping_its_deliveries(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    old = sqlite3.connect(path)
    old.executescript("".join(MIGRATIONS[:3]) + "PRAGMA user_version = 3;")
    old.execute(
        "INSERT INTO digests VALUES ('2026-11-20', '2026-11-20T07:00:00Z', 's', '[]', "
        "'h', 't', x'00')"
    )
    old.execute(
        "INSERT INTO deliveries VALUES ('2026-11-20', 'a@example.com', 'pending', 1, "
        "'451 later', '2026-11-20T08:00:00Z')"
    )
    old.commit()
    old.close()
    with Store.open(path) as store:
        [delivery] = store.deliveries("2026-11-20").values()
    # Its first try is not known: the last one stands in, which can only give up later.
    assert delivery.queued == delivery.updated == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert (delivery.status, delivery.attempts) == ("pending", 1)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}").connection.close()
    with pytest.raises(PublisherError, match="newer"), Store.open(path):
        pass


def test_a_damaged_database_is_named_and_only_then_to_be_replaced(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"not a database, " * 512)
    with pytest.raises(PublisherError) as damaged, Store.open(path):
        pass
    assert str(path) in str(damaged.value) and "backup" in str(damaged.value)


def test_a_locked_database_is_not_called_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Locked (or read-only, or on a full disk) the database is intact: the message must not
    send the operator to move it away, which would publish and mail everything again."""
    path = tmp_path / "state.db"
    with Store.open(path):
        pass
    real_connect = sqlite3.connect
    # Give up at once instead of after the real 30 seconds.
    monkeypatch.setattr(
        sqlite3, "connect", lambda *args, **kwargs: real_connect(*args, **{**kwargs, "timeout": 0})
    )
    holder = real_connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program writing
    try:
        with pytest.raises(PublisherError) as locked, Store.open(path) as store:
            store.record_job("build", NOW, "ok")
    finally:
        holder.close()
    message = str(locked.value)
    assert str(path) in message and "locked" in message
    assert "unreadable" not in message and "move it away" not in message


def test_article_identity_is_kept_on_update(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.save_article(_record(), size=1, mtime=1.0)
        later = datetime(2026, 11, 22, tzinfo=UTC)
        store.save_article(
            _record(content_hash="h2", last_changed=later, slug="other"), size=2, mtime=2.0
        )
        (record,) = store.articles()
        assert record.slug == "a-abc" and record.first_seen == NOW
        assert record.last_changed == later and record.content_hash == "h2"
        state = store.file_state("seeds/a.txt")
        assert state is not None and state.size == 2


def test_transaction_rolls_back(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.save_article(_record(), size=1, mtime=1.0)
            raise RuntimeError
        assert store.article_count() == 0


def test_boilerplate_memory_counts_documents(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.record_boilerplate("g", "d1", ["k1", "k2"])
        store.record_boilerplate("g", "d2", ["k1"])
        store.record_boilerplate("g", "d2", ["k1", "k3"])  # replaces d2's keys
        store.record_boilerplate("other", "d3", ["k1"])
        assert store.recurring_keys("g") == {"k1": 2}


def test_term_counts_follow_the_stored_rule_and_reach_the_store(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.set_term_counts([("old", 3), ("zero", 0)])
        terms = TermCounts(store, limit=2)
        assert terms.add(["old", "new", "new"]) == {"old": 4, "new": 1}
        assert terms.add(["new", "unseen"]) == {"new": 2, "unseen": 1}
        # Past the limit: the counts so far are written first.
        assert terms.add(["zero", "absent"], -1) == {"zero": 0, "absent": -1}
        assert store.term_frequencies(["old", "new", "unseen"]) == {"old": 4, "new": 2, "unseen": 1}
        terms.flush()
        assert store.term_frequencies(["zero", "absent", "never"]) == {"zero": 0, "absent": -1}


def test_write_files_only_rewrites_changed_files(tmp_path: Path) -> None:
    assert write_files(tmp_path, {"a.txt": b"1", "sub/b.txt": b"2"}) == ["a.txt", "sub/b.txt"]
    before = (tmp_path / "a.txt").stat().st_mtime_ns
    assert write_files(tmp_path, {"a.txt": b"1", "sub/b.txt": b"3"}) == ["sub/b.txt"]
    assert (tmp_path / "a.txt").stat().st_mtime_ns == before
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_a_failed_write_leaves_the_old_files_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(tmp_path, {"a.html": b"old a", "b.html": b"old b"})
    real_replace = os.replace

    def disk_full_on_b(src: str, dst: object) -> None:
        if str(dst).endswith("b.html"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", disk_full_on_b)
    with pytest.raises(PublisherError, match="No space left") as failure:
        write_files(tmp_path, {"a.html": b"new a", "b.html": b"new b"})
    assert "free some space" in (failure.value.hint or "")  # not a hint about permissions
    # Each file is whole, old or new, and no temporary file is left behind.
    assert (tmp_path / "a.html").read_bytes() == b"new a"
    assert (tmp_path / "b.html").read_bytes() == b"old b"
    assert sorted(os.listdir(tmp_path)) == ["a.html", "b.html"]


def test_a_failed_flush_publishes_nothing_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"{n:02d}.html" for n in range(3 * output.FLUSH_BATCH + 1)]
    write_files(tmp_path, {name: b"old" for name in names})
    real_fsync = output._fsync

    def failing_on_one(path: str | Path) -> None:
        if ".05.html." in str(path):
            raise OSError(5, "Input/output error")
        real_fsync(path)

    monkeypatch.setattr(output, "_fsync", failing_on_one)
    with pytest.raises(PublisherError, match="Input/output error"):
        write_files(tmp_path, {name: b"new" for name in names})
    assert sorted(os.listdir(tmp_path)) == names
    assert all((tmp_path / name).read_bytes() == b"old" for name in names)


def test_a_failed_staging_publishes_nothing_and_leaves_no_temporary(tmp_path: Path) -> None:
    """Workers stage files (output.stage_file) and the parent renames them: when staging
    one of them fails, none is published and the staged temporaries go."""
    write_files(tmp_path, {"a.html": b"old a", "b.html": b"old b"})

    def staged() -> Iterator[tuple[str, str | None]]:
        yield "a.html", stage_file(tmp_path / "a.html", b"new a")
        yield "b.html", stage_file(tmp_path / "b.html", b"old b")  # unchanged: nothing staged
        raise OSError(28, "No space left on device")

    with pytest.raises(PublisherError, match="No space left"):
        publish_staged(tmp_path, staged())
    assert (tmp_path / "a.html").read_bytes() == b"old a"
    assert sorted(os.listdir(tmp_path)) == ["a.html", "b.html"]
    assert publish_staged(tmp_path, [("a.html", stage_file(tmp_path / "a.html", b"new a"))]) == [
        "a.html"
    ]
    assert (tmp_path / "a.html").read_bytes() == b"new a"


def test_a_lock_file_that_cannot_be_made_is_an_error_naming_it(tmp_path: Path) -> None:
    """A read-only state directory (here: the lock's name taken by a directory) is told
    like every other unusable path, not as a traceback in cron's mail."""
    state = tmp_path / "state.db"
    (tmp_path / "state.db.lock").mkdir()
    with pytest.raises(PublisherError) as failure, run_lock(state):
        pass
    assert not isinstance(failure.value, LockedError)
    assert f"{state}.lock" in str(failure.value)


def test_lock_of_a_killed_run_is_not_kept_by_a_child_that_outlives_it(tmp_path: Path) -> None:
    """A build forks its pool's workers while it holds the lock; killed with SIGKILL, it
    leaves them behind, orphans waiting for work. They must not keep the lock: every later
    run would exit 75."""
    state = tmp_path / "state.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, time; from pathlib import Path; from publisher.store import run_lock\n"
            f"with run_lock(Path({str(state)!r})):\n"
            "    if os.fork() == 0:\n"
            "        print(os.getpid(), flush=True)  # the child runs: its fork is complete\n"
            "        time.sleep(60)\n"
            "        os._exit(0)\n"
            "    time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    child = int(holder.stdout.readline())
    try:
        holder.kill()
        holder.wait()
        with run_lock(state):
            pass
    finally:
        os.kill(child, signal.SIGKILL)


def test_lock_is_exclusive_across_processes_and_dies_with_its_holder(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from publisher.store import run_lock\n"
            f"with run_lock(Path({str(state)!r})):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockedError) as info, run_lock(state):
            pass
        assert info.value.exit_code == 75
    finally:
        holder.kill()
        holder.wait()
    with run_lock(state):  # the killed holder's lock is gone
        pass
