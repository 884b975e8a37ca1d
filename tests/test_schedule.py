"""The daemon's schedules, in process: cron day-of-week as cron means it, intervals, the
missed-digest window, and a job that finds the lock held."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher import schedule
from publisher.config import PathSettings, ScheduleSettings, Settings
from publisher.errors import ConfigError
from publisher.mailing.delivery import SendReport
from publisher.mailing.sending import SendRun
from publisher.models import Digest, Rejected, RunReport
from publisher.schedule import (
    Daemon,
    cron_day_of_week,
    describe_build,
    describe_send,
    make_trigger,
    missed_fire_time,
    parse_interval,
)
from publisher.store import Store, run_lock

FRIDAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 2026-11-22 is a Sunday


def _next(spec: str, after: datetime, tz: str = "UTC") -> datetime:
    trigger = make_trigger(spec, ZoneInfo(tz))
    assert trigger is not None
    fire = trigger.get_next_fire_time(None, after)
    assert fire is not None
    return fire


def _settings(tmp_path: Path, **schedule: object) -> Settings:
    return Settings(
        paths=PathSettings(
            input=(tmp_path / "in",), out=tmp_path / "out", state=tmp_path / "state.db"
        ),
        schedule=ScheduleSettings(**schedule),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("0", "sun"),
        ("7", "sun"),
        ("1", "mon"),
        ("6", "sat"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("*/2", "sun,tue,thu,sat"),
        ("1-5/2", "mon,wed,fri"),
        ("5-7", "sun,fri,sat"),
        ("0,6", "sun,sat"),
        ("sat,sun", "sun,sat"),
        ("*", "*"),
        ("0-6", "*"),
        ("1-7", "*"),
    ],
)
def test_cron_day_of_week_means_what_cron_means(field: str, names: str) -> None:
    assert cron_day_of_week(field) == names


@pytest.mark.parametrize("field", ["8", "5-1", "funday", "*/0", "3/2", "", "1-"])
def test_invalid_day_of_week_is_refused(field: str) -> None:
    with pytest.raises(ValueError):
        cron_day_of_week(field)


@pytest.mark.parametrize(
    ("spec", "after", "expected"),
    [
        # Sunday is both 0 and 7; APScheduler alone would take 0 as Monday.
        ("0 7 * * 0", FRIDAY, datetime(2026, 11, 22, 7, 0, tzinfo=UTC)),
        ("0 7 * * 7", FRIDAY, datetime(2026, 11, 22, 7, 0, tzinfo=UTC)),
        ("0 7 * * 1-5", FRIDAY, datetime(2026, 11, 23, 7, 0, tzinfo=UTC)),
        ("0 7 * * mon-fri", FRIDAY - timedelta(hours=6), datetime(2026, 11, 20, 7, 0, tzinfo=UTC)),
        ("30 6 * * */2", FRIDAY, datetime(2026, 11, 21, 6, 30, tzinfo=UTC)),  # Saturday
        ("*/15 * * * *", FRIDAY + timedelta(minutes=1), FRIDAY + timedelta(minutes=15)),
    ],
)
def test_crontab_fire_times(spec: str, after: datetime, expected: datetime) -> None:
    assert _next(spec, after) == expected


def test_crontab_is_read_in_the_schedule_timezone() -> None:
    fire = _next("0 7 * * *", FRIDAY, "Europe/Berlin")
    assert fire.astimezone(UTC) == datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def test_day_of_month_or_day_of_week_as_in_cron() -> None:
    # "the 1st, and every Monday": cron runs on either day, not only on a Monday the 1st.
    first = _next("0 7 1 * 1", FRIDAY)
    second = _next("0 7 1 * 1", first + timedelta(seconds=1))
    third = _next("0 7 1 * 1", datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    assert first == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert second == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert third == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("spec", "interval"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        (" 1h ", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
    ],
)
def test_intervals(spec: str, interval: timedelta) -> None:
    assert parse_interval(spec) == interval
    trigger = make_trigger(spec, UTC, start=FRIDAY)
    assert trigger is not None
    assert trigger.get_next_fire_time(FRIDAY, FRIDAY) == FRIDAY + interval


@pytest.mark.parametrize("spec", ["15", "1w", "0 7 * *", "every day", "0s", "0 25 * * *"])
def test_invalid_schedules_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        make_trigger(spec, UTC)


def test_empty_schedule_disables_the_job(tmp_path: Path) -> None:
    assert make_trigger("", UTC) is None
    assert make_trigger("  ", UTC) is None
    with pytest.raises(ConfigError, match="both empty"):
        Daemon(_settings(tmp_path, build="", digest=""), None).run()


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"schedule\.digest"):
        Daemon(_settings(tmp_path, digest="0 7 * * 9"), None).run()
    with pytest.raises(ConfigError, match=r"schedule\.timezone"):
        Daemon(_settings(tmp_path, timezone="Mars/Olympus"), None)


def test_missed_digest_window(tmp_path: Path) -> None:
    settings = _settings(tmp_path, digest="0 7 * * *", misfire_grace=3600)
    yesterday = datetime(2026, 11, 19, 7, 0, 2, tzinfo=UTC)
    due = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    assert missed_fire_time(settings, "digest", yesterday, due + timedelta(minutes=30)) == due
    # Too late: past the grace window, the next scheduled run will take it.
    assert missed_fire_time(settings, "digest", yesterday, due + timedelta(minutes=90)) is None
    # Already sent at 07:00: nothing missed.
    assert (
        missed_fire_time(
            settings, "digest", due + timedelta(seconds=3), due + timedelta(minutes=30)
        )
        is None
    )
    # Never run (a fresh install): wait for the first scheduled time.
    assert missed_fire_time(settings, "digest", None, due + timedelta(minutes=30)) is None
    hourly = _settings(tmp_path, digest="1h", misfire_grace=3600)
    last = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
    assert missed_fire_time(
        hourly, "digest", last, last + timedelta(minutes=70)
    ) == last + timedelta(hours=1)
    assert missed_fire_time(hourly, "digest", last, last + timedelta(minutes=50)) is None


def test_missed_digest_is_run_once_at_start(tmp_path: Path) -> None:
    settings = _settings(tmp_path, digest="1h", build="")
    now = datetime.now(UTC)
    with Store.open(settings.paths.state) as store:
        store.record_job("digest", now - timedelta(minutes=61), "ok")
    daemon = Daemon(settings, None)
    daemon._schedule(settings)
    daemon._catch_up(now)
    assert daemon.scheduler.get_job("digest").next_run_time == now


def test_a_job_that_finds_the_lock_held_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path, build="1s")
    daemon = Daemon(settings, None)
    with caplog.at_level(logging.INFO, logger="publisher.daemon"), run_lock(settings.paths.state):
        daemon._job("build")
    assert "build: skipped, another publisher run holds the lock" in caplog.text
    with Store.open(settings.paths.state) as store:
        assert store.last_job("build") is None
    (tmp_path / "in").mkdir()
    with caplog.at_level(logging.INFO, logger="publisher.daemon"):
        daemon._job("build")
    with Store.open(settings.paths.state) as store:
        last = store.last_job("build")
    assert last is not None and last[1] == "ok" and last[2] is not None
    assert last[2].startswith("0 seen, 0 new")


def test_stop_lets_the_running_job_finish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_build(settings: Settings, *, now: datetime) -> RunReport:
        started.set()
        assert release.wait(10)
        return RunReport(seen=1, new=1, changed=0, unchanged=0, skipped=(), written=())

    monkeypatch.setattr(schedule, "build", slow_build)
    settings = _settings(tmp_path, build="1s", digest="")
    daemon = Daemon(settings, None)
    daemon._schedule(settings)
    # It blocks: in a thread here, with the signal handler called from the test's thread.
    runner = threading.Thread(target=daemon._serve)
    runner.start()
    try:
        assert started.wait(10)
        daemon._on_stop(signal.SIGTERM, None)
        runner.join(0.5)
        assert runner.is_alive()  # still waiting for the job, which was not interrupted
    finally:
        release.set()
        runner.join(10)
    assert not runner.is_alive()
    with Store.open(settings.paths.state) as store:
        last = store.last_job("build")
    assert last is not None and last[1] == "ok"
    assert last[2] is not None and last[2].startswith("1 seen, 1 new")


def test_deferred_recipients_are_retried_soon_with_growing_delays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a daily digest, "left for the next run" would mean a day late.
    sends: list[bool] = []
    outcomes = [
        [SendReport("2026-11-20", sent=("a@example.org",), deferred=(("b@example.org", "451"),))],
        [SendReport("2026-11-20", deferred=(("b@example.org", "451"),))],
        [SendReport("2026-11-20", sent=("b@example.org",))],
    ]

    def send(settings: Settings, *, now: object, new_issue: bool = True) -> SendRun:
        sends.append(new_issue)
        return SendRun(tuple(outcomes[len(sends) - 1]), subscribers=2, waiting=0)

    monkeypatch.setattr(schedule, "send", send)
    monkeypatch.setattr(schedule, "build", lambda settings, *, now: RunReport(0, 0, 0, 0, (), ()))
    settings = _settings(tmp_path, build="", digest="0 7 * * *")
    daemon = Daemon(settings, None)
    daemon._schedule(settings)

    def delay() -> timedelta:
        job = daemon.scheduler.get_job("retry")
        return job.trigger.run_date - datetime.now(UTC)

    daemon._job("digest")
    assert timedelta(minutes=14) < delay() <= timedelta(minutes=15)
    daemon._job("retry")
    assert timedelta(minutes=29) < delay() <= timedelta(minutes=30)
    daemon._job("retry")
    assert daemon.scheduler.get_job("retry") is None
    assert sends == [True, False, False]  # a retry builds nothing and freezes no new issue
    with Store.open(settings.paths.state) as store:
        last = store.last_job("retry")
    assert last is not None and last[1] == "ok" and "sent to 1" in (last[2] or "")


def test_a_stop_during_a_send_does_not_deadlock_the_retry_planning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The scheduler's shutdown holds its job-store lock while it waits for the running job;
    # a job that then asked the scheduler for its retry job would wait for ever.
    started, release = threading.Event(), threading.Event()

    def slow_send(settings: Settings, *, now: object, new_issue: bool = True) -> SendRun:
        started.set()
        assert release.wait(10)
        report = SendReport("2026-11-20", deferred=(("b@example.org", "451"),))
        return SendRun((report,), subscribers=1, waiting=0)

    monkeypatch.setattr(schedule, "send", slow_send)
    monkeypatch.setattr(schedule, "build", lambda settings, *, now: RunReport(0, 0, 0, 0, (), ()))
    settings = _settings(tmp_path, build="", digest="1s")
    daemon = Daemon(settings, None)
    daemon._schedule(settings)
    runner = threading.Thread(target=daemon._serve, daemon=True)
    runner.start()
    try:
        assert started.wait(10)
        daemon._on_stop(signal.SIGTERM, None)
        time.sleep(0.5)  # the shutdown is under way, waiting for the job
    finally:
        release.set()
    runner.join(10)
    assert not runner.is_alive()


def test_an_unfinished_issue_found_at_start_is_retried_at_once(tmp_path: Path) -> None:
    settings = _settings(tmp_path, build="1h", digest="0 7 * * *")
    with Store.open(settings.paths.state) as store:
        store.put_subscriber("b@example.org", None, "active", FRIDAY)
        store.save_digest(Digest("2026-11-20", FRIDAY, "s", ("e1",), "<p>h</p>", "t", b"m"))
        store.queue_deliveries("2026-11-20", FRIDAY)
    daemon = Daemon(settings, None)
    daemon._schedule(settings)
    now = datetime.now(UTC)
    daemon._catch_up(now)
    assert daemon.scheduler.get_job("retry").trigger.run_date == now


def test_reload_of_an_unreadable_config_is_logged_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An editor or a deploy that leaves the file unreadable to the daemon's user: the reload
    thread must log why (the log file is all a daemon has), not die with a traceback."""
    config = tmp_path / "publisher.toml"
    config.write_text('[schedule]\nbuild = "1h"\ndigest = ""\n', encoding="utf-8")
    settings = _settings(tmp_path, build="1h", digest="")
    daemon = Daemon(settings, str(config))
    daemon._schedule(settings)
    real_read_text = Path.read_text

    def unreadable(path: Path, *args: object, **kwargs: object) -> str:
        if path == config:
            raise PermissionError(13, "Permission denied", str(path))
        return real_read_text(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", unreadable)
    with caplog.at_level(logging.INFO, logger="publisher.daemon"):
        daemon._reload()
    assert "reload failed, keeping the running configuration" in caplog.text
    assert str(config) in caplog.text and "Permission denied" in caplog.text
    assert daemon.settings is settings


def test_run_descriptions() -> None:
    report = RunReport(
        seen=5,
        new=2,
        changed=1,
        unchanged=2,
        skipped=(Rejected("x.txt", "empty"),),
        written=("feed.atom",),
    )
    assert describe_build(report) == (
        "5 seen, 2 new, 1 changed, 2 unchanged, 1 skipped, 1 files written"
    )
    assert describe_send(SendRun((), subscribers=3, waiting=0)) == "no digest: nothing new"
    assert describe_send(SendRun((), subscribers=0, waiting=4)) == (
        "no digest: no active subscribers (4 articles waiting)"
    )
    sent = SendReport(
        "2026-11-20",
        sent=("a@example.org", "b@example.org"),
        deferred=(("c@example.org", "451"),),
        unknown=(("d@example.org", "connection lost"),),
    )
    assert describe_send(SendRun((sent,), subscribers=4, waiting=0)) == (
        "digest 2026-11-20 sent to 2, outcome unknown for 1 (not sent again; publisher send "
        "--retry-unknown would), 1 left for the next run"
    )
