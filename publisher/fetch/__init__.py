"""The fetch use case: poll the ``[[sources]]`` that are due and store what they gave.

``fetch`` is one run: the configured sources are synchronised with the state, the OPML
lists that are due are read first (they add feed sources), then every due feed, sitemap and
list of URLs, all through one ``Crawler`` (politeness: ``crawl``) and one HTTP client (the
only network code: ``http``). What comes back is stored by ``poll`` (documents, validators)
and ``blobs`` (the bytes); ``health`` decides each source's state and next poll. The build
then takes the documents that are ready as it takes files (``documents``).

``source_status`` lists the sources and their health from the state alone, without a request.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ..config import Settings, SourceSpec
from ..store import Store, WebSource, run_lock
from ..store.fetch import blob_root
from .blobs import Blobs
from .crawl import Crawler, RobotsCache
from .health import SourceChange, due, next_poll
from .http import AddressPolicy, Client, anything, not_public
from .poll import Poller
from .urls import canonical, host_of

__all__ = ["FetchReport", "SourceChange", "SourceStatus", "fetch", "source_status", "user_agent"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchReport:
    """What one fetch run did, for the CLI and the daemon log."""

    polled: int = 0  # sources polled
    requests: int = 0  # HTTP requests made
    new: int = 0  # documents ready for the first time
    updated: int = 0  # documents changed
    unchanged: int = 0  # 304 Not Modified answers
    changes: tuple[SourceChange, ...] = ()  # sources whose state changed
    problems: tuple[tuple[str, str], ...] = ()  # (url, reason) of pages not fetched


@dataclass(frozen=True)
class SourceStatus:
    """One source as ``publisher sources`` shows it."""

    name: str
    kind: str
    url: str
    state: str  # new (never polled), ok, failing, gone
    since: datetime | None
    error: str | None
    last_success: datetime | None
    next_poll: datetime | None  # None: due now
    articles: int
    parent: str | None  # the OPML list's name, for a feed it lists


def user_agent(settings: Settings) -> str:
    """``[fetch] user_agent``, or "publisher/VERSION (+BASE_URL)"."""
    if settings.fetch.user_agent:
        return settings.fetch.user_agent
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("publisher")
    except PackageNotFoundError:
        found = "0"
    return f"publisher/{found} (+{settings.base_url})"


def fetch(
    settings: Settings,
    *,
    now: datetime,
    refuse: AddressPolicy | None = None,
    seed: int | None = None,
) -> FetchReport:
    """Poll the sources that are due at ``now`` and store what they gave.

    ``refuse`` overrides the SSRF guard's policy (``[fetch] allow_private``); ``seed`` makes
    the retry jitter repeatable. A failing source is no error: it is in ``changes`` when its
    state changed. Raises LockedError when another run holds the lock, PublisherError on an
    unusable state.
    """
    if not settings.sources:
        return FetchReport()
    now = now.astimezone(UTC)
    state = settings.paths.state
    policy = refuse or (anything if settings.fetch.allow_private else not_public)
    agent = user_agent(settings)
    with run_lock(state), Store.open(state) as store:
        specs = _synchronise(store, settings)
        client = Client(
            user_agent=agent,
            timeout=settings.fetch.timeout,
            max_bytes=settings.fetch.max_bytes,
            refuse=policy,
        )
        crawler = Crawler(
            client.get,
            user_agent=agent,
            host_interval=settings.fetch.host_interval,
            now=now,
            robots=_StoredRobots(store),
            pauses=store.host_pauses(),
        )
        poller = Poller(store, crawler, Blobs(blob_root(state)), settings, now, random.Random(seed))
        try:
            # OPML lists first: the feeds they name are polled in the same run.
            for kinds in (("opml",), ("feed", "sitemap", "urls")):
                for source in store.web_sources().values():
                    spec = specs.get(source.key) or specs.get(source.parent or "")
                    if spec is None or source.kind not in kinds:
                        continue
                    if due(source, spec.every, now) and _has_work(store, source, spec):
                        poller.poll(source, spec)
                crawler.run()
        finally:
            client.close()
        with store.transaction():
            for host, until in store.host_pauses().items():
                if until <= now:  # over: forgotten
                    store.pause_host(host, None)
            for host, until in crawler.paused.items():
                store.pause_host(host, until)
    tally = poller.tally
    return FetchReport(
        polled=tally.polled,
        requests=crawler.requests,
        new=tally.new,
        updated=tally.updated,
        unchanged=tally.unchanged,
        changes=tuple(tally.changes),
        problems=tuple(tally.problems),
    )


def source_status(settings: Settings) -> list[SourceStatus]:
    """Every configured source (and each feed an OPML list adds) with its health, from the
    state alone: no request is made, and a missing state database is not created."""
    rows: dict[str, WebSource] = {}
    counts: dict[str, int] = {}
    if settings.paths.state.exists():
        with Store.open(settings.paths.state) as store:
            rows, counts = store.web_sources(), store.source_article_counts()
    names = {spec.key: _default(spec).name for spec in settings.sources}
    result = []
    for spec in settings.sources:
        children = sorted(
            (row for row in rows.values() if row.parent == spec.key), key=lambda r: r.name
        )
        for row in [rows.get(spec.key) or _default(spec), *children]:
            scheduled = next_poll(row, spec.every)
            result.append(
                SourceStatus(
                    name=row.name,
                    kind=row.kind,
                    url=row.url,
                    state=row.state,
                    since=row.since,
                    error=row.error,
                    last_success=row.last_success,
                    next_poll=None
                    if row.last_poll is None and row.next_poll is None
                    else scheduled,
                    articles=counts.get(row.key, 0),
                    parent=names.get(row.parent or ""),
                )
            )
    return result


def _synchronise(store: Store, settings: Settings) -> dict[str, SourceSpec]:
    """Bring the state's sources in line with the configuration (names, new sources); return
    the configured sources by key."""
    rows = store.web_sources()
    with store.transaction():
        for spec in settings.sources:
            current = rows.get(spec.key)
            wanted = _default(spec)
            if current is None:
                store.save_web_source(wanted)
            elif current.name != wanted.name:
                store.save_web_source(replace(current, name=wanted.name))
    return {spec.key: spec for spec in settings.sources}


def _default(spec: SourceSpec) -> WebSource:
    """A configured source as the state first records it."""
    url = spec.location if spec.kind != "urls" else spec.urls[0]
    if spec.kind == "opml" and not url.lower().startswith(("http://", "https://")):
        name = spec.name or Path(url).name
        return WebSource(spec.key, spec.kind, name, url)
    return WebSource(spec.key, spec.kind, spec.name or host_of(url) or urlsplit(url).netloc, url)


def _has_work(store: Store, source: WebSource, spec: SourceSpec) -> bool:
    """Whether polling ``source`` can request anything: a list of URLs has nothing to do
    once every page is fetched (or known never to be)."""
    if source.kind != "urls":
        return True
    for url in spec.urls:
        key = store.web_alias(canonical(url)) or canonical(url)
        document = store.web_document(key)
        if document is None or document.page_for is None:
            return True
    return False


class _StoredRobots(RobotsCache):
    """robots.txt kept in the state database between runs."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, origin: str) -> tuple[int, str, datetime] | None:
        return self.store.robots(origin)

    def put(self, origin: str, status: int, text: str, when: datetime) -> None:
        with self.store.transaction():
            self.store.save_robots(origin, status, text, when)
