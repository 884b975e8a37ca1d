"""Polling sources: what each kind of source asks for, and what its answers leave in the state.

A feed is fetched (conditionally: an unchanged one costs a 304 and nothing else) and each
entry becomes a document keyed by its canonical URL; a re-titled or re-dated entry updates
its document, never adds another. An entry whose own text is the article is taken as it is;
a teaser (``full_text = "auto"``), or every entry (``"always"``), has its page fetched too,
once, and again only when the feed says the entry was updated. A sitemap (or sitemap index)
lists pages, fetched once each, again only when their ``lastmod`` moves on; a list of URLs
is fetched once. An OPML list adds a feed source per outline.

Every answer is handled in one transaction, after its bytes are stored, so a run killed at
any moment keeps everything it had received. A source's health is decided when all the
requests it depends on have ended (``health``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ..config import Settings, SourceSpec
from ..store import Store, WebDocument, WebSource
from .blobs import Blobs
from .crawl import Crawler, Outcome, Request
from .health import EPOCH, SourceChange, failed, succeeded
from .parse import FeedEntry, ParseError, parse_feed, parse_opml, parse_sitemap
from .urls import canonical, host_of

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
# Pages one source may have fetched in one run; the rest wait for its next poll.
MAX_PAGES_PER_POLL = 500
# Sitemap indexes followed this deep (an index of indexes of sitemaps).
MAX_SITEMAP_DEPTH = 2
# Media types a fetched page may have to be read as an article.
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", ""})


@dataclass(frozen=True)
class Failure:
    """Why a poll failed: ``gone`` for a 410; ``retry_at`` from the site's Retry-After."""

    reason: str
    gone: bool = False
    retry_at: datetime | None = None


@dataclass
class Tally:
    """What a run did, counted as it goes."""

    polled: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0  # answers 304 Not Modified
    changes: list[SourceChange] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (url, reason), once each


@dataclass
class _Poll:
    """One source's poll: the requests its health depends on, and their first failure."""

    source: WebSource
    spec: SourceSpec
    parts: int = 0
    failure: Failure | None = None
    moved_to: str | None = None
    pages: int = 0


Handler = Callable[[_Poll, Outcome], Failure | None]


class Poller:
    """Polls sources through a ``Crawler``, keeping what comes back in the store."""

    def __init__(
        self,
        store: Store,
        crawler: Crawler,
        blobs: Blobs,
        settings: Settings,
        now: datetime,
        rng: random.Random,
    ) -> None:
        self.store, self.crawler, self.blobs = store, crawler, blobs
        self.settings, self.now, self.rng = settings, now, rng
        self.tally = Tally()
        self.queued: set[str] = set()  # documents whose page is asked for this run

    # -- sources ---------------------------------------------------------------------------

    def poll(self, source: WebSource, spec: SourceSpec) -> None:
        """Queue the requests of one poll of ``source`` (configured as ``spec``)."""
        self.tally.polled += 1
        poll = _Poll(source, spec)
        poll.parts += 1  # held until the requests are queued, so none settles it early
        if source.kind == "feed":
            self._request(poll, source.url, FEED_ACCEPT, self._feed)
        elif source.kind == "sitemap":
            self._request(poll, source.url, SITEMAP_ACCEPT, functools.partial(self._sitemap, 0))
        elif source.kind == "urls":
            with self.store.transaction():
                for url in spec.urls:
                    self._listed_page(poll, canonical(url), url)
        elif spec.location.lower().startswith(("http://", "https://")):
            self._request(poll, source.url, FEED_ACCEPT, self._opml)
        else:
            self._done(poll, self._guarded(poll, lambda: self._opml_file(poll)))
            return
        self._done(poll, None)

    def _request(
        self,
        poll: _Poll,
        url: str,
        accept: str,
        handle: Handler,
        *,
        part: bool = True,
        keep: Callable[[bytes], str] | None = None,
    ) -> None:
        """Queue a GET of ``url`` whose outcome goes to ``handle``; with ``part``, the
        source's health waits for it."""
        etag, modified = self.store.validators(url)
        if part:
            poll.parts += 1

        def on_done(outcome: Outcome) -> None:
            failure = self._guarded(poll, lambda: handle(poll, outcome))
            if part:
                self._done(poll, failure)

        self.crawler.add(Request(url, on_done, accept, etag, modified, keep))

    def _guarded(self, poll: _Poll, handle: Callable[[], Failure | None]) -> Failure | None:
        """``handle()`` in one transaction; a bug in it costs this answer, not the run."""
        try:
            with self.store.transaction():
                return handle()
        except Exception as exc:
            log.exception("fetcher error on %s", poll.source.url)
            return Failure(f"internal error: {type(exc).__name__}: {exc}")

    def _done(self, poll: _Poll, failure: Failure | None) -> None:
        """One request of ``poll`` ended; when it was the last, settle the source."""
        poll.failure = poll.failure or failure
        poll.parts -= 1
        if poll.parts:
            return
        every = poll.spec.every
        if poll.failure is None:
            source, change = succeeded(poll.source, self.now, poll.moved_to)
        else:
            source, change = failed(
                poll.source,
                self.now,
                poll.failure.reason,
                every=every,
                rng=self.rng,
                gone=poll.failure.gone,
                retry_at=poll.failure.retry_at,
            )
        with self.store.transaction():
            self.store.save_web_source(source)
        if change is not None:
            self.tally.changes.append(change)

    # -- feeds -----------------------------------------------------------------------------

    def _feed(self, poll: _Poll, outcome: Outcome) -> Failure | None:
        failure = self._answered(poll, outcome)
        if failure is not None or outcome.status == 304:
            return failure
        try:
            feed = parse_feed(
                outcome.body, outcome.final_url, outcome.headers.get("content-type", "")
            )
        except ParseError as exc:
            return Failure(str(exc))
        self._keep_validators(outcome)
        for entry in feed.entries:
            self._entry(poll, entry)
        self._retry_waiting(poll)
        return None

    def _entry(self, poll: _Poll, entry: FeedEntry) -> None:
        source, spec = poll.source, poll.spec
        link = canonical(entry.link) if entry.link else None
        named = f"entry:{source.key}:{entry.id}" if entry.id else None
        key = (named and self.store.web_alias(named)) or (
            link and (self.store.web_alias(link) or link)
        )
        if not key:
            if not entry.text.strip():
                return  # neither a link nor a text: nothing to publish
            digest = hashlib.sha256(f"{entry.title}\n{entry.text}".encode()).hexdigest()[:16]
            key = f"{source.key}#{digest}"
        existing = self.store.web_document(key)
        if existing is not None and existing.source != source.key:
            return  # another source's article: it keeps it
        data = entry.text.encode("utf-8")
        text = self.blobs.put(data) if entry.text.strip() else None
        wants_page = bool(link) and (
            spec.full_text == "always" or (spec.full_text == "auto" and not entry.is_full())
        )
        base = existing or WebDocument(key=key, source=source.key, url=link or "")
        document = replace(
            base,
            url=link or base.url,
            feed_blob=text,
            title=entry.title,
            published=entry.published,
            author=entry.author,
            site=source.name,
            updated=entry.updated,
            wants_page=wants_page,
        )
        needs = self._needs_page(document)
        document = replace(document, ready=self._ready(document, waiting=needs))
        self._save(document, existing, len(data))
        for alias in (named, link):
            if alias:
                self.store.add_web_alias(alias, key)
        if needs:
            self._page(poll, document, part=False)

    # -- sitemaps and lists of URLs --------------------------------------------------------

    def _sitemap(self, depth: int, poll: _Poll, outcome: Outcome) -> Failure | None:
        failure = self._answered(poll, outcome)
        if failure is not None or outcome.status == 304:
            return failure
        try:
            sitemap = parse_sitemap(outcome.body, outcome.final_url, self.settings.fetch.max_bytes)
        except ParseError as exc:
            return Failure(f"{outcome.url}: {exc}")
        self._keep_validators(outcome)
        if depth < MAX_SITEMAP_DEPTH:
            for child in sitemap.sitemaps:
                handle = functools.partial(self._sitemap, depth + 1)
                self._request(poll, child, SITEMAP_ACCEPT, handle)
        latest = EPOCH
        for page in sorted(sitemap.pages, key=lambda p: p.lastmod or latest, reverse=True):
            self._listed_page(
                poll, canonical(page.url), page.url, page.title, page.published, page.lastmod
            )
        self._retry_waiting(poll)
        return None

    def _listed_page(
        self,
        poll: _Poll,
        link: str,
        url: str,
        title: str | None = None,
        published: datetime | None = None,
        updated: datetime | None = None,
    ) -> None:
        """A page a sitemap or a list of URLs names: its document, and its fetch when due."""
        source = poll.source
        key = self.store.web_alias(link) or link
        existing = self.store.web_document(key)
        if existing is not None and existing.source != source.key:
            return
        base = existing or WebDocument(key=key, source=source.key, url=url)
        document = replace(
            base,
            title=title or base.title,
            published=published or base.published,
            site=source.name,
            updated=updated or base.updated,
            wants_page=True,
        )
        needs = self._needs_page(document)
        document = replace(document, ready=self._ready(document, waiting=needs))
        self._save(document, existing)
        self.store.add_web_alias(link, key)
        if needs:
            # A list's pages are what the source is: its health waits for them.
            self._page(poll, document, part=source.kind == "urls")

    # -- OPML --------------------------------------------------------------------------------

    def _opml(self, poll: _Poll, outcome: Outcome) -> Failure | None:
        failure = self._answered(poll, outcome)
        if failure is not None or outcome.status == 304:
            return failure
        self._keep_validators(outcome)
        return self._outlines(poll, outcome.body, outcome.final_url)

    def _opml_file(self, poll: _Poll) -> Failure | None:
        path = Path(poll.spec.location)
        limit = self.settings.fetch.max_bytes
        try:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            return Failure(f"cannot read the OPML file {path}: {exc.strerror or exc}")
        if len(data) > limit:
            return Failure(f"the OPML file {path} is larger than [fetch] max_bytes")
        return self._outlines(poll, data, path.resolve().as_uri())

    def _outlines(self, poll: _Poll, body: bytes, base: str) -> Failure | None:
        """The feeds an OPML list names become sources of their own (a feed configured
        directly keeps its own settings)."""
        try:
            outlines = parse_opml(body, base, self.settings.fetch.max_bytes)
        except ParseError as exc:
            return Failure(str(exc))
        known = self.store.web_sources()
        configured = {spec.key for spec in self.settings.sources}
        listed = set()
        for outline in outlines:
            key = f"feed:{outline.url}"
            if key in configured:
                continue
            listed.add(key)
            name = outline.title or host_of(outline.url)
            current = known.get(key)
            if current is None:
                current = WebSource(key, "feed", name, outline.url, parent=poll.source.key)
            self.store.save_web_source(replace(current, name=name, parent=poll.source.key))
        gone = [k for k, s in known.items() if s.parent == poll.source.key and k not in listed]
        self.store.drop_web_sources(gone)
        return None

    # -- pages -----------------------------------------------------------------------------

    def _page(self, poll: _Poll, document: WebDocument, *, part: bool) -> None:
        if document.key in self.queued or poll.pages >= MAX_PAGES_PER_POLL:
            return
        self.queued.add(document.key)
        poll.pages += 1
        key = document.key
        self._request(
            poll,
            document.url,
            PAGE_ACCEPT,
            lambda p, o: self._page_answer(key, o),
            part=part,
            keep=self.blobs.put,
        )

    def _page_answer(self, key: str, outcome: Outcome) -> Failure | None:
        existing = self.store.web_document(key)
        if existing is None:
            return None
        version = existing.updated or EPOCH
        document = existing
        failure = None
        size = 0
        mime, charset = _media_type(outcome.headers.get("content-type", ""))
        if outcome.status == 304 and self.blobs.has(existing.page_blob):
            document = replace(existing, page_for=version, error=None)
        elif outcome.ok and mime not in PAGE_TYPES:
            failure = Failure(f"not an HTML page but {mime}")
            document = replace(existing, page_for=version, error=failure.reason)
        elif outcome.ok:
            self._keep_validators(outcome)
            page = outcome.kept or self.blobs.put(outcome.body)
            size = len(outcome.body)
            document = replace(
                existing, page_blob=page, charset=charset, page_for=version, error=None
            )
            if outcome.final_url != outcome.url:  # redirected: the page's own URL names it too
                self.store.add_web_alias(canonical(outcome.final_url), key)
        else:
            failure = Failure(outcome.error or "no answer", retry_at=outcome.retry_at)
            document = replace(existing, error=failure.reason)
            if not outcome.temporary:  # not again for this version of the entry
                document = replace(document, page_for=version)
        document = replace(document, ready=self._ready(document, waiting=False))
        if failure is not None and failure.reason != existing.error:
            self.tally.problems.append((existing.url, failure.reason))
        self._save(document, existing, size)
        # Only a temporary failure fails the source: a page that is not there (or is not
        # for us) never will be, and is reported once instead.
        return failure if failure is not None and outcome.temporary else None

    def _retry_waiting(self, poll: _Poll) -> None:
        """Ask again for the pages of this source that a failure left waiting."""
        for document in self.store.waiting_web_documents(poll.source.key):
            if self._needs_page(document):
                self._page(poll, document, part=False)

    def _needs_page(self, document: WebDocument) -> bool:
        """Whether the document's page is to be fetched: it is wanted, and was never had
        for this version of the entry (or its stored copy is lost)."""
        if not document.wants_page or not document.url:
            return False
        if document.page_for is None or (document.updated or EPOCH) > document.page_for:
            return True
        return document.page_blob is not None and not self.blobs.has(document.page_blob)

    def _ready(self, document: WebDocument, *, waiting: bool) -> bool:
        """Whether the build may take the document: it has its page, or its page is not
        wanted (or cannot be had now) and the feed's text stands in."""
        if document.page_blob is not None and self.blobs.has(document.page_blob):
            return True
        if document.feed_blob is None:
            return False
        # A new entry waits for the page it is about to get; a published one keeps going.
        return not (waiting and document.wants_page) or document.ready

    # -- the state ---------------------------------------------------------------------------

    def _answered(self, poll: _Poll, outcome: Outcome) -> Failure | None:
        """The failure of a source's own request, or None; counts a 304 and notes a move."""
        if outcome.url == poll.source.url and outcome.moved_to:
            poll.moved_to = outcome.moved_to
        if outcome.error is not None:
            return Failure(
                outcome.error
                if outcome.url == poll.source.url
                else f"{outcome.url}: {outcome.error}",
                gone=outcome.status == 410 and outcome.url == poll.source.url,
                retry_at=outcome.retry_at,
            )
        if outcome.status == 304:
            self.tally.unchanged += 1
        return None

    def _keep_validators(self, outcome: Outcome) -> None:
        """Remember the answer's validators for the next request of its URL (and forget
        those it was asked with when it gave none)."""
        headers = outcome.headers
        etag, modified = headers.get("etag"), headers.get("last-modified")
        if etag or modified or outcome.conditional:
            self.store.save_validators(outcome.url, etag, modified)

    def _save(self, document: WebDocument, existing: WebDocument | None, size: int = 0) -> None:
        """Write ``document`` when it differs from ``existing``; what the build reads
        changing moves its ``changed`` time (the build's mtime) on, and its size to
        ``size`` (the bytes just received) when given."""
        if document == existing:
            return
        if existing is None or _built(document) != _built(existing):
            stamp = self.now.timestamp()
            if existing is not None and stamp <= existing.changed:
                stamp = existing.changed + 0.001
            document = replace(document, changed=stamp, size=size or document.size)
            if document.ready and (existing is None or not existing.ready):
                self.tally.new += 1
            elif document.ready:
                self.tally.updated += 1
        self.store.save_web_document(document)


def _built(document: WebDocument) -> tuple[object, ...]:
    """What of a document the build reads: a change to any of it is a new version."""
    return (
        document.feed_blob,
        document.page_blob,
        document.charset,
        document.title,
        document.published,
        document.author,
        document.site,
        document.url,
        document.ready,
    )


def _media_type(value: str) -> tuple[str, str | None]:
    """A Content-Type's media type (lower case) and charset parameter."""
    mime, _, parameters = value.partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, given = parameter.partition("=")
        if name.strip().lower() == "charset" and given.strip().strip("\"'"):
            charset = given.strip().strip("\"'")
    return mime.strip().lower(), charset
