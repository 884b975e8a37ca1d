"""``publisher daemon`` as a real subprocess with second-long schedules: new articles reach the
feed, one digest goes out per batch of new articles, a missed digest is sent on start, SIGHUP
reloads the config and SIGTERM exits 0. Every wait is a bounded polling loop."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import subprocess_env
from smtp_helpers import smtp_server

from publisher.build import build
from publisher.config import load_settings
from publisher.store import Store, run_lock

WAIT = 20.0  # generous: a loaded CI machine is slow, a passing run is fast
ARTICLES = {
    "ferry.txt": (
        "Harbour Council Approves New Ferry Timetable",
        "The harbour council voted on Tuesday to approve a new ferry timetable that adds two "
        "early crossings on weekdays.",
        "Commuters had asked for the change for more than a year, saying the first boat left "
        "too late for shifts that start at seven in the morning.",
        "The operator said the extra sailings would use the smaller vessel, which burns less "
        "fuel and needs a crew of only four.",
        "Council members agreed to review the timetable after six months, when passenger "
        "numbers for the new crossings are known.",
    ),
    "library.txt": (
        "City Library Extends Opening Hours Over Winter",
        "The city library will stay open until nine in the evening from December to February, "
        "the culture department announced on Monday.",
        "Students preparing for exams had collected more than two thousand signatures asking "
        "for quiet study space after school hours.",
        "The longer hours will be covered by two new part-time posts funded from the "
        "department's existing budget for the year.",
        "Librarians said the reading room would also get brighter lamps and more power "
        "sockets before the change takes effect.",
    ),
    "orchard.txt": (
        "Volunteers Replant Historic Orchard Near River",
        "About sixty volunteers spent the weekend planting apple and pear trees in the old "
        "orchard beside the river path.",
        "The orchard was first planted more than a century ago but lost most of its trees to "
        "storms and disease over the past decades.",
        "A local nursery grafted the young trees from cuttings of the few old varieties that "
        "had survived along the northern wall.",
        "Organisers hope the first fruit can be picked in four years and plan an open harvest "
        "day for families when it is.",
    ),
}


def _write_article(directory: Path, name: str) -> str:
    title, *paragraphs = ARTICLES[name]
    (directory / name).write_text("\n\n".join([title, *paragraphs]) + "\n", encoding="utf-8")
    return title


def _config(site: Path, *, smtp_port: int | None = None, **schedule: str) -> None:
    lines = [
        "[paths]",
        'input = ["in"]',
        'out = "out"',
        'state = "state/state.db"',
        "",
        "[schedule]",
    ]
    lines += [f'{key} = "{value}"' for key, value in schedule.items()]
    if smtp_port is not None:
        lines += [
            "",
            "[smtp]",
            'host = "127.0.0.1"',
            f"port = {smtp_port}",
            'security = "none"',
            "timeout = 5",
        ]
    (site / "publisher.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _wait_for(check: Callable[[], Any], what: str, log: Path | None = None) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    text = log.read_text(encoding="utf-8") if log and log.exists() else ""
    pytest.fail(f"timed out waiting for {what}; daemon log:\n{text}")


def _log_text(site: Path) -> str:
    path = site / "daemon.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _digests(site: Path) -> list[int]:
    """The number of entries of each digest issue, oldest first."""
    try:
        db = sqlite3.connect(f"file:{site / 'state' / 'state.db'}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT entry_ids FROM digests ORDER BY created, id").fetchall()
        finally:
            db.close()
    except sqlite3.OperationalError:  # no database or no table yet
        return []
    return [row[0].count(",") + 1 for row in rows]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    return tmp_path


@contextmanager
def daemon(site: Path) -> Iterator[subprocess.Popen[str]]:
    """The daemon running in ``site``, logging to daemon.log; killed if a test leaves it."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "publisher",
            "daemon",
            "--config",
            "publisher.toml",
            "--log-file",
            "daemon.log",
        ],
        cwd=site,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(
            lambda: "daemon started" in _log_text(site) or process.poll() is not None,
            "the daemon to start",
            site / "daemon.log",
        )
        assert process.poll() is None, process.communicate()
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def _stop(process: subprocess.Popen[str], sig: signal.Signals = signal.SIGTERM) -> None:
    process.send_signal(sig)
    assert process.wait(timeout=10) == 0


class _Sink:
    """An SMTP server's handler that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Sink, int]]:
    sink = _Sink()
    with smtp_server(sink) as port:
        yield sink, port


def test_new_article_reaches_the_feed_and_sigterm_exits_0(site: Path) -> None:
    _config(site, build="1s", digest="")
    with daemon(site) as process:
        title = _write_article(site / "in", "ferry.txt")
        feed = site / "out" / "feed.atom"
        _wait_for(
            lambda: feed.exists() and title in feed.read_text(encoding="utf-8"),
            "the article in feed.atom",
            site / "daemon.log",
        )
        _wait_for(lambda: "build: 1 seen, 1 new" in _log_text(site), "the run's log line")
        _stop(process)
    log = _log_text(site)
    assert "SIGTERM received" in log and log.rstrip().endswith("daemon stopped")
    with Store.open(site / "state" / "state.db") as store:
        last = store.last_job("build")
    assert last is not None and last[1] == "ok"


def test_one_digest_per_batch_of_new_articles(site: Path, smtp: tuple[_Sink, int]) -> None:
    sink, port = smtp
    _config(site, smtp_port=port, build="", digest="1s")
    state = site / "state" / "state.db"
    with Store.open(state) as store:
        store.put_subscriber("reader@example.org", "Reader", "active", datetime.now(UTC))
    with daemon(site) as process:
        _write_article(site / "in", "ferry.txt")
        _wait_for(
            lambda: _digests(site) == [1] and len(sink.messages) == 1,
            "the first digest",
            site / "daemon.log",
        )
        # Nothing new: later runs send nothing.
        _wait_for(
            lambda: _log_text(site).count("no digest: nothing new") >= 2,
            "two digest runs with nothing new",
            site / "daemon.log",
        )
        assert _digests(site) == [1] and len(sink.messages) == 1
        # Two articles arrive while another run holds the lock: the daemon waits for it,
        # then sends both in one issue.
        with run_lock(state):
            _write_article(site / "in", "library.txt")
            _write_article(site / "in", "orchard.txt")
            _wait_for(
                lambda: (
                    "digest: another publisher run holds the lock; sent when it frees"
                    in _log_text(site)
                ),
                "a run that waits",
                site / "daemon.log",
            )
        _wait_for(
            lambda: _digests(site) == [1, 2] and len(sink.messages) == 2,
            "the second digest",
            site / "daemon.log",
        )
        _stop(process, signal.SIGINT)
    assert "digest: 3 seen, 2 new" in _log_text(site)
    assert "sent to 1" in _log_text(site)


def test_digest_missed_while_stopped_is_sent_once_on_start(site: Path) -> None:
    _config(site, build="", digest="1h")
    _write_article(site / "in", "ferry.txt")
    settings = load_settings(site / "publisher.toml")
    now = datetime.now(UTC)
    build(settings, now=now)
    with Store.open(settings.paths.state) as store:
        # The last digest went out 61 minutes ago: one fell due a minute ago, while stopped.
        store.record_job("digest", now - timedelta(minutes=61), "ok")
    with daemon(site) as process:
        # Nobody is subscribed: the run says so, and freezes nothing for nobody.
        ran = "no digest: no active subscribers (1 articles waiting)"
        _wait_for(lambda: ran in _log_text(site), "the missed digest", site / "daemon.log")
        _stop(process)
    log = _log_text(site)
    assert "while stopped; running it now" in log
    assert log.count(ran) == 1 and _digests(site) == []
    with Store.open(settings.paths.state) as store:
        last = store.last_job("digest")
    assert last is not None and last[0] >= now and last[1] == "ok"


def test_sighup_reloads_the_config(site: Path) -> None:
    _config(site, build="1h", digest="")
    with daemon(site) as process:
        title = _write_article(site / "in", "library.txt")
        _config(site, build="every tuesday", digest="")
        process.send_signal(signal.SIGHUP)
        _wait_for(lambda: "reload failed" in _log_text(site), "the bad config refused")
        assert process.poll() is None
        _config(site, build="1s", digest="")
        process.send_signal(signal.SIGHUP)
        feed = site / "out" / "feed.atom"
        _wait_for(
            lambda: feed.exists() and title in feed.read_text(encoding="utf-8"),
            "the article after the reload",
            site / "daemon.log",
        )
        _stop(process)
    assert "configuration reloaded: build '1s'" in _log_text(site)


def test_nothing_to_schedule_is_a_config_error(site: Path) -> None:
    _config(site, build="", digest="")
    result = subprocess.run(
        [sys.executable, "-m", "publisher", "daemon", "--config", "publisher.toml"],
        cwd=site,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "both empty" in result.stderr


def test_a_digest_due_while_the_lock_is_held_is_sent_when_it_frees(
    site: Path, smtp: tuple[_Sink, int]
) -> None:
    """Not skipped until the next day: the daemon tries again until the lock frees."""
    sink, port = smtp
    _config(site, smtp_port=port, build="", digest="1h")
    _write_article(site / "in", "ferry.txt")
    settings = load_settings(site / "publisher.toml")
    state = site / "state" / "state.db"
    now = datetime.now(UTC)
    with Store.open(state) as store:
        store.put_subscriber("reader@example.org", None, "active", now)
        store.record_job("digest", now - timedelta(minutes=61), "ok")  # due a minute ago
    held = ExitStack()
    held.enter_context(run_lock(settings.paths.state))  # a long cron build, say
    with held, daemon(site) as process:
        _wait_for(
            lambda: _log_text(site).count("holds the lock; sent when it frees") >= 2,
            "the digest to find the lock held twice",
            site / "daemon.log",
        )
        assert sink.messages == [] and _digests(site) == []
        freed = datetime.now(UTC)
        held.close()
        _wait_for(lambda: len(sink.messages) == 1, "the digest once the lock is free")
        _stop(process)
    with Store.open(state) as store:
        last = store.last_job("digest")
    assert last is not None and last[1] == "ok" and last[0] >= freed
    assert _digests(site) == [1]
