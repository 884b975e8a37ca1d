"""WebSub: telling the hubs of ``[feed] hubs`` that a feed changed, so that subscribers get
it pushed instead of polling (the PubSubHubbub 0.4 publish ping: a form POST of
``hub.mode=publish`` and ``hub.url``, one per changed feed per hub).

Shared by the two use cases that rewrite feeds: a build, and a send that freezes a digest
issue (``digests.atom``). Each queues its pings in the state with the files it wrote, and
sends them after it has published and let go of its lock: a hub that is slow or down never
holds a run. A ping that fails waits in the queue for a later run, longer after each
failure (BACKOFF), and is given up after the last wait; a newer change of the same feed
replaces it.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .config import Settings
from .store import Store

log = logging.getLogger(__name__)

PING_META = "websub"
# Seconds a hub has to answer a ping.
TIMEOUT = 10.0
# How long a failed ping waits before its next try, by the number of failures so far; after
# the last, it is given up.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
)
# Pings sent at once.
CONNECTIONS = 4
USER_AGENT = "publisher (WebSub publisher)"

# Sends one ping: (hub, feed URL) -> None, or raises OSError (urllib's errors are).
Poster = Callable[[str, str], None]


@dataclass(frozen=True)
class PingReport:
    """What one round of pings did."""

    sent: tuple[tuple[str, str], ...] = ()  # (hub, feed URL)
    failed: tuple[tuple[str, str, str], ...] = ()  # (hub, feed URL, why), kept for later
    given_up: tuple[tuple[str, str], ...] = ()


def changed_feeds(written: Iterable[str]) -> list[str]:
    """The feeds among the files a build wrote (archive documents never change for
    subscribers and are not announced)."""
    return sorted(
        name
        for name in written
        if name.endswith((".atom", ".rss", ".json"))
        and (name.count("/") == 0 or name.startswith(("feeds/topic/", "feeds/site/")))
    )


def queue_pings(store: Store, settings: Settings, feeds: Iterable[str], now: datetime) -> None:
    """Queue a ping of every hub for each of ``feeds`` (paths in the output directory), due
    now; a ping already waiting for the same feed and hub starts over."""
    if not settings.feed.hubs:
        return
    queue = _load(store)
    for feed in feeds:
        for hub in settings.feed.hubs:
            queue[_key(hub, settings.url(feed))] = {"attempts": 0, "due": now.isoformat()}
    with store.transaction():
        store.set_meta(PING_META, json.dumps(queue, sort_keys=True))


def send_pings(
    state: Path, now: datetime, *, post: Poster | None = None, wait: float = TIMEOUT
) -> PingReport:
    """Send the pings that are due at ``now`` (several at once) and record what became of
    each: sent ones leave the queue, failed ones wait (BACKOFF), or are given up.

    Opens the state only to read and to record, never while a request is under way.
    ``post`` sends one ping (a test's own, or HTTP with ``wait`` seconds of patience).
    """
    with Store.open(state) as store:
        queue = _load(store)
    due = sorted(k for k, v in queue.items() if datetime.fromisoformat(v["due"]) <= now)
    if not due:
        return PingReport()
    send = post or _poster(wait)

    def attempt(key: str) -> str | None:
        hub, feed = json.loads(key)
        try:
            send(hub, feed)
        except (OSError, ValueError) as exc:
            return str(getattr(exc, "reason", None) or exc)
        return None

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        outcomes = dict(zip(due, pool.map(attempt, due), strict=True))
    sent, failed, given_up = [], [], []
    with Store.open(state) as store, store.transaction():
        queue = _load(store)  # a build may have queued more in the meantime
        for key, problem in outcomes.items():
            hub, feed = json.loads(key)
            waiting = queue.get(key)
            if waiting is None or datetime.fromisoformat(waiting["due"]) > now:
                continue  # replaced by a newer change while we were sending
            if problem is None:
                del queue[key]
                sent.append((hub, feed))
                continue
            attempts = waiting["attempts"] + 1
            if attempts > len(BACKOFF):
                del queue[key]
                given_up.append((hub, feed))
                log.warning("WebSub: gave up telling %s that %s changed: %s", hub, feed, problem)
                continue
            queue[key] = {"attempts": attempts, "due": (now + BACKOFF[attempts - 1]).isoformat()}
            failed.append((hub, feed, problem))
            log.warning(
                "WebSub: %s did not take the ping for %s (%s); will retry", hub, feed, problem
            )
        store.set_meta(PING_META, json.dumps(queue, sort_keys=True))
    return PingReport(tuple(sent), tuple(failed), tuple(given_up))


def _key(hub: str, feed: str) -> str:
    return json.dumps([hub, feed])


def _load(store: Store) -> dict[str, dict[str, Any]]:
    queue: dict[str, dict[str, Any]] = json.loads(store.meta(PING_META) or "{}")
    return queue


def _poster(wait: float) -> Poster:
    def post(hub: str, feed: str) -> None:
        body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": feed}).encode()
        request = urllib.request.Request(
            hub,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": USER_AGENT,
            },
        )
        # Any 2xx is an acceptance (the spec's is 204); urllib raises HTTPError for the rest.
        with urllib.request.urlopen(request, timeout=wait) as answer:
            answer.read(64 * 1024)

    return post
