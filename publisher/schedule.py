"""The daemon: an APScheduler 3 ``BlockingScheduler`` running the ``[schedule]`` jobs.

Two jobs: ``build`` (``fetch.fetch`` of the due ``[[sources]]``, then ``build.build``) and
``digest`` (the same, then ``mailing.sending.send``); with the digest, an ``hourly`` one (a
send for the readers who chose their own hour, ``send(hourly=True)``, every quarter hour: a
reader in a zone off the hour gets theirs within minutes of it). Each of the first two is a
five-field crontab string,
read with cron's own day-of-week numbers, or an interval ("30s", "15m", "1h", "2d"); an
empty string disables it. When a send leaves recipients for later (temporary failures), a
one-off ``retry`` job delivers the unfinished issues after RETRY_DELAYS, without building or
freezing a new issue.

Jobs run one at a time on a single worker thread, so the daemon never contends with itself
for the run locks. A build that finds a lock held (by cron or a command-line run) is logged
and skipped: the next one publishes the same. A digest is tried again (``late-digest``,
after LOCK_POLL) until the lock frees, so it is sent late rather than a day late. Every run
that happened is recorded in the state database's ``jobs`` table, which is how a digest that
fell due while the daemon was stopped is sent once on the next start.

SIGTERM and SIGINT let the running job finish, then the daemon exits 0; SIGHUP re-reads the
config and reschedules the jobs whose schedule changed.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import signal
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .build import build
from .config import Settings, load_settings
from .errors import ConfigError, LockedError, PublisherError
from .fetch import FetchReport, fetch
from .jobs import job_state, record_run
from .mailing.sending import SendRun, send
from .models import RunReport

log = logging.getLogger("publisher.daemon")

JOBS = ("build", "digest")
# The job that delivers at the hours readers chose, and how often it runs.
HOURLY = "hourly"
HOURLY_MINUTES = "*/15"
# The one-off job that runs a due digest again once the lock it found held is free.
LATE_DIGEST = "late-digest"
# Waits before each retry of recipients a send left for later, the last one repeated until
# they are delivered or given up (mail.GIVE_UP_AFTER): a daily digest's next run would
# deliver them a day late.
RETRY_DELAYS = (
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
)
# Waits before each new try of a digest that found the lock held (by a cron or manual build
# or send), the last one repeated until the lock frees: a digest that falls due then is sent
# as soon as it can be, not skipped until its next scheduled time.
LOCK_POLL = tuple(timedelta(seconds=s) for s in (1, 2, 4, 8, 15, 30))
_INTERVAL = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# Index = cron's day number (0 = Sunday); APScheduler reads these names unambiguously.
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_SCHEDULE_HINT = 'use a crontab like "0 7 * * mon-fri", an interval like "15m", or "" to disable'


# -- schedules ------------------------------------------------------------------------------


def parse_interval(spec: str) -> timedelta | None:
    """The interval written as "30s", "15m", "1h" or "2d"; None when ``spec`` is not one."""
    match = _INTERVAL.fullmatch(spec.strip())
    if match is None:
        return None
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def cron_day_of_week(field: str) -> str:
    """Translate a crontab day-of-week field into APScheduler day names.

    In cron 0 and 7 are Sunday and 1 is Monday, while APScheduler 3 counts Monday as 0, so a
    numeric field passed through unchanged fires one day late. Numbers, names, ranges, lists
    and steps are expanded to the days they mean in cron: "1-5" gives "mon,tue,wed,thu,fri",
    "*/2" gives "sun,tue,thu,sat", "0" and "7" give "sun". Raises ValueError when invalid.
    """
    days: set[int] = set()
    for part in field.lower().split(","):
        base, slash, step_text = part.partition("/")
        step = _number(step_text, "step") if slash else 1
        if step < 1:
            raise ValueError(f"day-of-week step must be at least 1 in {field!r}")
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            start, _, end = base.partition("-")
            first, last = _day(start), _day(end)
            if first > last:
                raise ValueError(f"day-of-week range {base!r} runs backwards")
        elif slash:
            raise ValueError(f"a day-of-week step needs * or a range before it, not {part!r}")
        else:
            first = last = _day(base)
        days.update(day % 7 for day in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def _day(text: str) -> int:
    if text in _DAY_NAMES:
        return _DAY_NAMES.index(text)
    day = _number(text, "day of week")
    if not 0 <= day <= 7:
        raise ValueError(f"day of week {day} is not within 0-7 (0 and 7 are Sunday)")
    return day


def _number(text: str, what: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{what} {text!r} is not a number or day name")
    return int(text)


def cron_trigger(spec: str, timezone: tzinfo) -> BaseTrigger:
    """A trigger firing when cron would for the five-field crontab ``spec``.

    As in cron, when both day of month and day of week are restricted (neither starts with
    "*") the job runs on days matching either; APScheduler alone would require both.
    """
    fields = spec.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 crontab fields (minute hour day month day-of-week), got {len(fields)}"
        )
    minute, hour, day, month, weekday = fields
    weekday_names = cron_day_of_week(weekday)

    def make(day_field: str, weekday_field: str) -> CronTrigger:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day_field,
            month=month,
            day_of_week=weekday_field,
            timezone=timezone,
        )

    if not day.startswith("*") and not weekday.startswith("*"):
        return OrTrigger([make(day, "*"), make("*", weekday_names)])
    return make(day, weekday_names)


def make_trigger(
    spec: str, timezone: tzinfo, *, start: datetime | None = None
) -> BaseTrigger | None:
    """The trigger for one ``[schedule]`` value, or None when it is empty (job disabled).

    An interval counts from ``start`` (default: now, so the first run is one interval after
    the daemon starts). Raises ValueError for a value that is neither a crontab nor an interval.
    """
    spec = spec.strip()
    if not spec:
        return None
    interval = parse_interval(spec)
    if interval is None:
        return cron_trigger(spec, timezone)
    if not interval:
        raise ValueError(f"interval {spec!r} must be longer than zero")
    return IntervalTrigger(
        seconds=int(interval.total_seconds()), start_date=start, timezone=timezone
    )


def job_trigger(
    settings: Settings, name: str, *, start: datetime | None = None
) -> BaseTrigger | None:
    """The trigger of job ``name`` ("build" or "digest"); ConfigError naming the bad key."""
    spec: str = getattr(settings.schedule, name)
    try:
        return make_trigger(spec, settings.schedule.zone(), start=start)
    except ValueError as exc:
        raise ConfigError(f"schedule.{name} = {spec!r}: {exc}", _SCHEDULE_HINT) from None


def missed_fire_time(
    settings: Settings, name: str, last_run: datetime | None, now: datetime
) -> datetime | None:
    """When job ``name`` fell due after its ``last_run`` and not longer ago than the grace.

    None when it has no recorded run (a fresh install waits for its first scheduled time),
    is disabled, or was not due in that window. An interval counts from the last run.
    """
    if last_run is None:
        return None
    trigger = job_trigger(settings, name, start=last_run)
    if trigger is None:
        return None
    since = max(
        last_run + timedelta(microseconds=1),
        now - timedelta(seconds=settings.schedule.misfire_grace),
    )
    due = trigger.get_next_fire_time(None, since)
    return due if due is not None and due <= now else None


def builds_missed(settings: Settings, since: datetime, now: datetime, *, enough: int) -> bool:
    """Whether ``enough`` scheduled builds fell due after ``since`` and by ``now``: those of
    the build job, or of the digest job (which builds too) when that one is disabled. False
    when neither is scheduled: nothing says when a build is due."""
    for name in JOBS:
        trigger = job_trigger(settings, name, start=since)
        if trigger is None:
            continue
        due = since
        for _ in range(enough):
            due = trigger.get_next_fire_time(None, due + timedelta(microseconds=1))
            if due is None or due > now:
                return False
        return True
    return False


def _utcnow() -> datetime:
    return datetime.now(UTC)


# -- reporting ----------------------------------------------------------------------------


def _fetch_first(settings: Settings, now: datetime) -> FetchReport | None:
    """The build job's fetch of the due [[sources]] (none configured: no fetch); each source
    that changed state is logged once, a warning when it failed."""
    if not settings.sources:
        return None
    report = fetch(settings, now=now)
    for change in report.changes:
        level = logging.INFO if change.state == "ok" else logging.WARNING
        log.log(level, "source %s", change.describe())
    for url, reason in report.problems:
        log.warning("not fetched %s: %s", url, reason)
    return report


def describe_build(report: RunReport, fetched: FetchReport | None = None) -> str:
    """One line of counts for the log and the jobs table (what was fetched first, if any)."""
    polled = ""
    if fetched is not None:
        polled = (
            f"{fetched.polled} sources polled ({fetched.requests} requests, {fetched.new} new, "
            f"{fetched.updated} updated); "
        )
    return polled + report.summary()


def describe_send(run: SendRun) -> str:
    """One line saying what ``send`` delivered, issue by issue."""
    return run.summary()


def configure_logging(log_file: Path | None, *, verbose: bool = False, quiet: bool = False) -> None:
    """Timestamped log lines on stderr, or appended to ``log_file``.

    A WatchedFileHandler reopens the file when logrotate moves it away.
    """
    try:
        handler: logging.Handler = (
            logging.handlers.WatchedFileHandler(log_file, encoding="utf-8")
            if log_file
            else logging.StreamHandler(sys.stderr)
        )
    except OSError as exc:
        raise PublisherError(
            f"cannot open the log file {log_file}: {exc.strerror or exc}",
            "check --log-file and the directory's permissions",
        ) from exc
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # APScheduler announces every job start and end at INFO; our own line per run says more.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbose else logging.WARNING)


# -- the daemon ---------------------------------------------------------------------------


class Daemon:
    """The scheduler with its two jobs, signal handling and configuration reloading."""

    def __init__(self, settings: Settings, config: str | None) -> None:
        self.settings = settings
        self.config = config  # re-read on SIGHUP exactly as it was found at start
        self.stopping = threading.Event()
        self.scheduler = BlockingScheduler(
            timezone=settings.schedule.zone(),
            # One worker: the two jobs never overlap and never lock each other out.
            executors={"default": ThreadPoolExecutor(1)},
        )
        self._scheduled: dict[str, tuple[str, str, int]] = {}
        self._retries = 0  # retries in a row that still left someone waiting
        self._lock_waits = 0  # tries in a row of a due digest that found the lock held
        # Held by a job while it changes the retry job, and by the stop before the shutdown:
        # the shutdown keeps the scheduler's job-store lock while it waits for the running
        # job, so a job asking the scheduler anything after that would wait for ever.
        self._planning = threading.Lock()
        self._reload_lock = threading.Lock()
        self._stopper: threading.Thread | None = None

    def run(self) -> int:
        """Schedule the jobs, catch up a missed digest, and run until SIGTERM or SIGINT."""
        self._schedule(self.settings)
        self._catch_up(_utcnow())
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)
        log.info("daemon started: %s", self._summary(self.settings))
        if not self.stopping.is_set():
            self._serve()
        log.info("daemon stopped")
        return 0

    def _serve(self) -> None:
        """Run the scheduler until a stop signal, then until the running job has finished."""
        self.scheduler.start()
        # start() returns as soon as the scheduler's state says stopped, which shutdown()
        # sets before it waits for the running job: wait for the whole shutdown.
        if self._stopper is not None:
            self._stopper.join()

    def _schedule(self, settings: Settings) -> None:
        """(Re)schedule each job whose schedule changed; ConfigError leaves all unchanged."""
        triggers = {name: job_trigger(settings, name) for name in JOBS}
        if all(trigger is None for trigger in triggers.values()):
            raise ConfigError(
                "[schedule] build and digest are both empty: the daemon has nothing to do",
                _SCHEDULE_HINT,
            )
        grace = settings.schedule.misfire_grace
        for name, trigger in triggers.items():
            key = (getattr(settings.schedule, name).strip(), settings.schedule.timezone, grace)
            if self._scheduled.get(name) == key:
                continue  # unchanged: rescheduling would restart an interval's count
            if trigger is None:
                if self.scheduler.get_job(name) is not None:
                    self.scheduler.remove_job(name)
            else:
                self.scheduler.add_job(
                    self._job,
                    trigger,
                    args=[name],
                    id=name,
                    name=name,
                    replace_existing=True,
                    coalesce=True,
                    max_instances=1,
                    # APScheduler needs a positive grace; 0 in the config means "on time".
                    misfire_grace_time=max(grace, 1),
                )
            self._scheduled[name] = key
        # The readers' own hours come with the digest: without it nothing is sent here.
        if triggers["digest"] is None:
            if self.scheduler.get_job(HOURLY) is not None:
                self.scheduler.remove_job(HOURLY)
        elif self.scheduler.get_job(HOURLY) is None:
            self.scheduler.add_job(
                self._job,
                CronTrigger(minute=HOURLY_MINUTES, timezone=UTC),
                args=[HOURLY],
                id=HOURLY,
                name=HOURLY,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=max(grace, 1),
            )

    def _catch_up(self, now: datetime) -> None:
        """Run the digest at once if it fell due while the daemon was stopped, and retry an
        issue that some subscribers are still waiting for."""
        state = job_state(self.settings)
        if state.waiting:
            log.info("retry: an unfinished issue is waiting; delivering it now")
            self._add_retry(now)
        if self.scheduler.get_job("digest") is None:
            return
        due = missed_fire_time(self.settings, "digest", state.last_digest, now)
        if due is not None:
            log.info("digest: due at %s while stopped; running it now", due.isoformat())
            self.scheduler.modify_job("digest", next_run_time=now)

    def _job(self, name: str) -> None:
        """One run of job ``name``: never raises, so the scheduler keeps going."""
        if self.stopping.is_set():
            return  # queued behind the run that was going on when the stop came
        settings = self.settings  # one consistent snapshot, even if SIGHUP swaps it mid-run
        now = _utcnow()
        run: SendRun | None = None
        try:
            if name == "retry":
                run = send(settings, now=_utcnow, new_issue=False)
                detail = describe_send(run) if run.reports else "nothing left to retry"
            elif name == HOURLY:
                run = send(settings, now=_utcnow, hourly=True)
                if not run.reports:
                    # Every quarter hour: a line each time nothing was due would bury the log.
                    log.debug("%s: nothing due", name)
                    return
                detail = describe_send(run)
            else:
                fetched = _fetch_first(settings, now)
                detail = describe_build(build(settings, now=now), fetched)
                if name == "digest":
                    run = send(settings, now=_utcnow)
                    detail += "; " + describe_send(run)
        except LockedError:
            if name == "digest":
                log.warning("digest: another publisher run holds the lock; sent when it frees")
                self._plan_late_digest()
                return
            log.warning("%s: skipped, another publisher run holds the lock", name)
            if name == "retry":
                self._plan_retry(waiting=True)
            return
        except PublisherError as exc:
            log.error("%s: failed: %s", name, exc)
            self._record(settings, name, now, "failed", exc.message)
            if name == "retry":
                self._plan_retry(waiting=True)
            return
        except Exception as exc:
            # A bug must not stop the schedule; the traceback goes to the log.
            log.exception("%s: failed", name)
            self._record(settings, name, now, "failed", repr(exc))
            return
        log.info("%s: %s", name, detail)
        self._record(settings, name, now, "ok", detail)
        if name == "digest":
            self._drop_late_digest()
        if run is not None:
            self._plan_retry(waiting=any(report.deferred for report in run.reports))

    def _plan_retry(self, *, waiting: bool) -> None:
        """After a send: retry after the next of RETRY_DELAYS while someone is still waiting,
        otherwise drop a planned retry and start the delays afresh. Nothing once stopping:
        the next start retries what is unfinished."""
        with self._planning:
            if self.stopping.is_set():
                return
            if not waiting:
                self._retries = 0
                self._drop_retry()
                return
            delay = RETRY_DELAYS[min(self._retries, len(RETRY_DELAYS) - 1)]
            self._retries += 1
            when = _utcnow() + delay
            log.info("retry: some subscribers are still waiting; next try at %s", when.isoformat())
            self._add_retry(when)

    def _plan_late_digest(self) -> None:
        """Try the digest again after the next of LOCK_POLL, until it finds the lock free.
        Nothing once stopping: the next start sends a digest missed within the grace."""
        with self._planning:
            if self.stopping.is_set():
                return
            delay = LOCK_POLL[min(self._lock_waits, len(LOCK_POLL) - 1)]
            self._lock_waits += 1
            if self.scheduler.get_job(LATE_DIGEST) is not None:
                self.scheduler.remove_job(LATE_DIGEST)
            self.scheduler.add_job(
                self._job,
                DateTrigger(run_date=_utcnow() + delay),
                args=["digest"],
                id=LATE_DIGEST,
                name=LATE_DIGEST,
                misfire_grace_time=None,
            )

    def _drop_late_digest(self) -> None:
        with self._planning:
            self._lock_waits = 0
            if not self.stopping.is_set() and self.scheduler.get_job(LATE_DIGEST) is not None:
                self.scheduler.remove_job(LATE_DIGEST)

    def _drop_retry(self) -> None:
        if self.scheduler.get_job("retry") is not None:
            self.scheduler.remove_job("retry")

    def _add_retry(self, when: datetime) -> None:
        # Dropped first rather than replaced: before the scheduler starts, replace_existing
        # would queue a second copy.
        self._drop_retry()
        self.scheduler.add_job(
            self._job,
            DateTrigger(run_date=when),
            args=["retry"],
            id="retry",
            name="retry",
            # However late (queued behind a long build), it still has to run.
            misfire_grace_time=None,
        )

    def _record(
        self, settings: Settings, name: str, when: datetime, status: str, detail: str
    ) -> None:
        try:
            record_run(settings, name, when, status, detail)
        except PublisherError as exc:
            log.error("%s: cannot record the run: %s", name, exc)

    # Signal handlers run in the main thread between two bytecodes, possibly while it holds
    # the scheduler's (or logging's) locks: they only set a flag and start a thread, which
    # does the work with ordinary locking.

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        if not self.stopping.is_set():
            self.stopping.set()
            # A daemon thread, so that it cannot keep the process alive if run() declined
            # to start the scheduler; otherwise _serve() waits for it.
            self._stopper = threading.Thread(
                target=self._shutdown, args=(signal.Signals(signum).name,), daemon=True
            )
            self._stopper.start()

    def _shutdown(self, signame: str) -> None:
        log.info("%s received: stopping after the running job", signame)
        # A signal that came before start() waits for it (or for run() to decline to start).
        while not self.scheduler.running:
            time.sleep(0.05)
        # Paused first, so the main loop submits nothing to the executor being shut down.
        with self._planning:
            self.scheduler.pause()
        self.scheduler.shutdown(wait=True)

    def _on_reload(self, signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=self._reload, daemon=True).start()

    def _reload(self) -> None:
        with self._reload_lock:
            try:
                settings = load_settings(self.config)
                self._schedule(settings)
            except PublisherError as exc:
                log.error("reload failed, keeping the running configuration: %s", exc)
                return
            self.settings = settings
            log.info("configuration reloaded: %s", self._summary(settings))

    @staticmethod
    def _summary(settings: Settings) -> str:
        schedule = settings.schedule
        jobs = ", ".join(
            f"{name} {getattr(schedule, name).strip() or 'disabled'!r}" for name in JOBS
        )
        return (
            f"{jobs} ({schedule.timezone}, misfire grace {schedule.misfire_grace}s); "
            f"state {settings.paths.state}"
        )


def run_daemon(
    settings: Settings,
    *,
    config: str | None,
    log_file: Path | None = None,
    verbose: bool = False,
    quiet: bool = False,
) -> int:
    """Run the scheduler until SIGTERM or SIGINT; returns the exit status (0).

    ``config`` is the ``--config`` argument, re-read on SIGHUP. Raises ConfigError for an
    invalid ``[schedule]`` before anything runs.
    """
    daemon = Daemon(settings, config)
    configure_logging(log_file, verbose=verbose, quiet=quiet)
    return daemon.run()
