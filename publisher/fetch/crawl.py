"""The crawler: every request of a run, politely.

Requests are queued per host. A host has at most one request in flight, and the next starts
no sooner than its interval after the last one ended: ``[fetch] host_interval``, raised by
its robots.txt's ``Crawl-delay`` and ``Request-rate``. Different hosts are fetched at once, on
a few worker threads that only wait for the network; everything else (parsing, the state,
queuing what a response leads to) happens in the calling thread, one response at a time.

Before anything else is requested from an origin, its robots.txt is (RFC 9309): taken from
the state when fetched less than a day ago, else fetched once this run. 200: its rules
apply; 4xx: everything is allowed; 5xx or no answer: nothing is, until the next run tries
again. A URL it disallows is never requested. A 429 or 503 with ``Retry-After`` pauses the
host for that long: up to MAX_WAIT it is waited out and the request retried, beyond that the
host's requests are left for a later run (and the pause is remembered). Redirects (at most
MAX_REDIRECTS) are followed as requests of their own, queued at their host, paced and
checked against robots.txt like any other.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from protego import Protego

from .http import FetchError, Response
from .urls import host_of, origin_of, resolve, robots_url

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
# The longest pause (Retry-After, Crawl-delay) waited out within a run; a longer one leaves
# the host's requests for a later run.
MAX_WAIT = 60.0
# Times one request is retried after a short Retry-After.
MAX_RETRIES = 2
ROBOTS_FRESH = timedelta(days=1)
# RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt; the rest is ignored.
ROBOTS_MAX = 500 * 1024
WORKERS = 16
_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT = {301, 308}

# GET url with these headers (``http.Client.get``).
Getter = Callable[[str, Mapping[str, str]], Response]
# What a worker thread brings back: the answer and what ``Request.keep`` made of it.
_Result = tuple[Response, str | None] | FetchError


@dataclass(frozen=True)
class Outcome:
    """How a request ended, after any redirects."""

    url: str  # as asked
    final_url: str  # where the answer came from
    moved_to: str | None  # where 301/308 redirects from ``url`` lead, if they did
    status: int | None = None  # the final answer's HTTP status; None without one
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None  # why there is no usable answer
    temporary: bool = False  # whether asking again later may work
    retry_at: datetime | None = None  # when the host said it may (Retry-After)
    kept: str | None = None  # what the request's ``keep`` made of a 200's body
    conditional: bool = False  # validators were sent with the request

    @property
    def ok(self) -> bool:
        """A 200 with its body."""
        return self.status == 200 and self.error is None


@dataclass
class Request:
    """A GET to make, and what to do with its outcome (called in the crawler's thread)."""

    url: str
    on_done: Callable[[Outcome], None]
    accept: str = "*/*"
    etag: str | None = None
    last_modified: str | None = None
    # Run on a 200's body in the worker thread (storing it: hashing and writing a page
    # need not wait for the one thread that handles answers); its result is Outcome.kept.
    keep: Callable[[bytes], str] | None = None

    def headers(self) -> dict[str, str]:
        """The request's own headers (the client adds User-Agent and Accept-Encoding)."""
        headers = {"Accept": self.accept}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class _Task:
    request: Request
    url: str  # this hop's
    hops: int = 0
    moved_to: str | None = None  # where the 301/308s so far lead
    permanent: bool = True  # every hop so far was a 301/308
    retries: int = 0
    robots_for: str | None = None  # the origin whose robots.txt this is


class _Rules:
    """What an origin's robots.txt says: its rules, or allow or deny everything."""

    def __init__(self, parsed: Protego | None, *, allow: bool, reason: str = "") -> None:
        self.parsed, self.allow, self.reason = parsed, allow, reason

    def allows(self, url: str, agent: str) -> bool:
        if self.parsed is not None:
            return bool(self.parsed.can_fetch(url, agent))
        return self.allow

    def delay(self, agent: str) -> float:
        """The least seconds between two requests the rules ask for."""
        if self.parsed is None:
            return 0.0
        delay = float(self.parsed.crawl_delay(agent) or 0.0)
        rate = self.parsed.request_rate(agent)
        if rate is not None and rate.requests:
            delay = max(delay, float(rate.seconds) / rate.requests)
        return delay


_PENDING = _Rules(None, allow=False, reason="robots.txt is being fetched")


@dataclass
class _Host:
    name: str
    interval: float
    queue: deque[_Task] = field(default_factory=deque)
    busy: bool = False
    ready_at: float = 0.0  # monotonic time before which nothing is sent
    paused_until: datetime | None = None  # left for a later run until then
    paused_reason: str = ""


class RobotsCache:
    """Where the crawler keeps robots.txt between runs (the state): override both."""

    def get(self, origin: str) -> tuple[int, str, datetime] | None:
        """The last stored answer for ``origin``: status, text, when."""
        return None

    def put(self, origin: str, status: int, text: str, when: datetime) -> None:
        """Store ``origin``'s answer."""


class Crawler:
    """One run's requests (see the module): ``add`` them (also from ``on_done``), then
    ``run``. ``paused`` holds the hosts that asked to be left alone beyond the run."""

    def __init__(
        self,
        get: Getter,
        *,
        user_agent: str,
        host_interval: float,
        now: datetime,
        robots: RobotsCache,
        pauses: Mapping[str, datetime] | None = None,
        workers: int = WORKERS,
    ) -> None:
        self.get, self.agent, self.interval = get, user_agent, host_interval
        self.robots_cache, self.workers = robots, workers
        self.started = (now, time.monotonic())
        self.hosts: dict[str, _Host] = {}
        self.rules: dict[str, _Rules] = {}
        self.stored_pauses = dict(pauses or {})
        self.paused: dict[str, datetime] = {}
        self.requests = 0

    def now(self) -> datetime:
        """The wall-clock time: the run's ``now`` moved on by the time spent since."""
        start, mark = self.started
        return start + timedelta(seconds=time.monotonic() - mark)

    def add(self, request: Request) -> None:
        """Queue a request at its host."""
        self._queue(_Task(request, request.url))

    def run(self) -> None:
        """Make every queued request (and those their outcomes add); return when none is
        left."""
        in_flight: dict[Future[_Result], tuple[_Host, _Task]] = {}
        with ThreadPoolExecutor(self.workers, thread_name_prefix="fetch") as pool:
            while True:
                earliest = self._start_ready(pool, in_flight)
                if not in_flight:
                    if earliest is None:
                        return
                    time.sleep(max(0.0, earliest - time.monotonic()))
                    continue
                timeout = None if earliest is None else max(0.0, earliest - time.monotonic())
                done, _ = wait(in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
                for future in done:
                    host, task = in_flight.pop(future)
                    finished = time.monotonic()
                    host.busy = False
                    # The answer may change the pace (a robots.txt's Crawl-delay) or ask for
                    # a longer wait (Retry-After): both count from the end of this request.
                    self._answer(host, task, future.result())
                    host.ready_at = max(host.ready_at, finished + host.interval)

    # -- scheduling ------------------------------------------------------------------------

    def _queue(self, task: _Task, *, first: bool = False) -> None:
        name = host_of(task.url)
        host = self.hosts.get(name)
        if host is None:
            host = self.hosts[name] = _Host(name, self.interval)
            until = self.stored_pauses.get(name)
            if until is not None and until > self.now():
                host.paused_until, host.paused_reason = until, "the site asked us to wait"
        if first:
            host.queue.appendleft(task)
        else:
            host.queue.append(task)

    def _start_ready(
        self,
        pool: ThreadPoolExecutor,
        in_flight: dict[Future[_Result], tuple[_Host, _Task]],
    ) -> float | None:
        """Start the next request of every idle host whose interval has passed; return the
        earliest monotonic time at which a waiting host may start one."""
        earliest: float | None = None
        for host in list(self.hosts.values()):
            while not host.busy and host.queue:
                if host.paused_until is not None:
                    self._leave_for_later(host)
                    break
                wait_for = host.ready_at - time.monotonic()
                if wait_for > MAX_WAIT:
                    until = self.now() + timedelta(seconds=wait_for)
                    host.paused_until, host.paused_reason = until, "the site's pace"
                    continue
                if wait_for > 0:
                    earliest = host.ready_at if earliest is None else min(earliest, host.ready_at)
                    break
                task = self._next(host)
                if task is None:
                    break
                host.busy = True
                self.requests += 1
                log.debug("GET %s", task.url)
                in_flight[pool.submit(self._get, task)] = (host, task)
        return earliest

    def _next(self, host: _Host) -> _Task | None:
        """The host's next request to send, after robots.txt; None when it must wait for
        another host (a robots.txt redirected there)."""
        while host.queue:
            task = host.queue[0]
            if task.robots_for is not None:
                return host.queue.popleft()
            origin = origin_of(task.url)
            rules = self.rules.get(origin) or self._cached_rules(origin)
            if rules is None:
                self.rules[origin] = _PENDING
                return _Task(
                    Request(robots_url(task.url), _ignore), robots_url(task.url), robots_for=origin
                )
            if rules is _PENDING:
                return None
            host.queue.popleft()
            if rules.allows(task.url, self.agent):
                return task
            reason = rules.reason or "disallowed by the site's robots.txt"
            self._finish(task, error=reason, temporary=rules.parsed is None)
        return None

    def _cached_rules(self, origin: str) -> _Rules | None:
        stored = self.robots_cache.get(origin)
        if stored is None:
            return None
        status, text, when = stored
        if status >= 500 or self.now() - when > ROBOTS_FRESH:
            return None
        return self._learn(origin, status, text)

    def _learn(self, origin: str, status: int, text: str) -> _Rules:
        """Take ``origin``'s robots.txt answer: its rules, and the pace they ask of its host."""
        if status == 200:
            rules = _Rules(Protego.parse(text), allow=True)
        else:  # 4xx: no rules, everything allowed
            rules = _Rules(None, allow=True)
        self.rules[origin] = rules
        host = self.hosts.get(host_of(origin))
        if host is not None:
            host.interval = max(self.interval, rules.delay(self.agent))
        return rules

    def _leave_for_later(self, host: _Host) -> None:
        """Fail every queued request of a paused host, saying when it may be retried."""
        # A pause without a Retry-After (a 503 alone) ends with the run: its sources back
        # off as after any failure.
        until = host.paused_until if host.paused_until and host.paused_until > self.now() else None
        while host.queue:
            task = host.queue.popleft()
            if task.robots_for is not None:
                self.rules.pop(task.robots_for, None)
                continue
            self._finish(
                task,
                error=f"{host.paused_reason}: left for a later run"
                + (f" (not before {until:%Y-%m-%d %H:%M:%S} UTC)" if until else ""),
                temporary=True,
                retry_at=until,
            )

    # -- answers ---------------------------------------------------------------------------

    def _get(self, task: _Task) -> _Result:
        """In a worker thread: the request itself, and the request's ``keep`` of a 200."""
        try:
            response = self.get(task.url, task.request.headers() if task.robots_for is None else {})
        except FetchError as exc:
            return exc
        keep = task.request.keep if task.robots_for is None else None
        kept = keep(response.body) if keep is not None and response.status == 200 else None
        return response, kept

    def _answer(self, host: _Host, task: _Task, outcome: _Result) -> None:
        if isinstance(outcome, FetchError):
            log.debug("%s: %s", task.url, outcome.reason)
            self._finish(task, error=outcome.reason, temporary=outcome.temporary)
            return
        result, kept = outcome
        status = result.status
        log.debug("%s: %d", task.url, status)
        if status in _REDIRECTS:
            self._redirect(task, result)
            return
        if status in (429, 503):
            wait_for = retry_after(result.headers.get("retry-after"), self.now())
            if wait_for is not None and wait_for <= MAX_WAIT and task.retries < MAX_RETRIES:
                host.ready_at = time.monotonic() + wait_for
                self._queue(replace(task, retries=task.retries + 1), first=True)
                return
            until = self.now() + timedelta(seconds=wait_for) if wait_for is not None else None
            if until is not None:
                self.paused[host.name] = until
            host.paused_until = until or self.now()
            host.paused_reason = f"HTTP {status}: the site asked us to wait"
            self._finish(
                task, status=status, error=host.paused_reason, temporary=True, retry_at=until
            )
            return
        error = None if status in (200, 304) else f"HTTP {status} {result.reason}".rstrip()
        self._finish(
            task,
            status=status,
            headers=result.headers,
            body=result.body,
            error=error,
            temporary=status >= 500 or status == 408,
            kept=kept,
        )

    def _redirect(self, task: _Task, result: Response) -> None:
        target = resolve(task.url, result.headers.get("location", ""))
        if target is None:
            self._finish(task, error=f"HTTP {result.status} to no http(s) URL")
            return
        if task.hops >= MAX_REDIRECTS:
            self._finish(task, error=f"more than {MAX_REDIRECTS} redirects")
            return
        permanent = task.permanent and result.status in _PERMANENT
        self._queue(
            replace(
                task,
                url=target,
                hops=task.hops + 1,
                moved_to=target if permanent else task.moved_to,
                permanent=permanent,
            ),
            first=True,
        )

    def _finish(
        self,
        task: _Task,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        error: str | None = None,
        temporary: bool = False,
        retry_at: datetime | None = None,
        kept: str | None = None,
    ) -> None:
        if task.robots_for is not None:
            self._robots_answer(task.robots_for, status, body, error)
            return
        task.request.on_done(
            Outcome(
                url=task.request.url,
                final_url=task.url,
                moved_to=task.moved_to,
                status=status,
                headers=headers or {},
                body=body,
                error=error,
                temporary=temporary,
                retry_at=retry_at,
                kept=kept,
                conditional=bool(task.request.etag or task.request.last_modified),
            )
        )

    def _robots_answer(
        self, origin: str, status: int | None, body: bytes, error: str | None
    ) -> None:
        # 429 is no "unavailable" 4xx but a request to wait: like a 5xx, nothing until then.
        if status is not None and (status == 200 or (400 <= status < 500 and status != 429)):
            text = body[:ROBOTS_MAX].decode("utf-8", "replace") if status == 200 else ""
            self.robots_cache.put(origin, status, text, self.now())
            self._learn(origin, status, text)
            return
        # 5xx, or no answer at all: the whole origin is off limits until it answers.
        why = error or f"HTTP {status}"
        self.rules[origin] = _Rules(
            None,
            allow=False,
            reason=f"its robots.txt cannot be read ({why}): nothing fetched from it",
        )


def _ignore(outcome: Outcome) -> None:
    """A robots.txt's outcome is the crawler's own (see ``_finish``)."""


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` value asks to wait (a number of seconds or an HTTP date);
    None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
