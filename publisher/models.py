"""Frozen dataclasses that flow between the stages.

sources -> RawDocument -> clean -> Article | Rejected -> summarize -> Summary
build + store -> Entry -> render (feeds / digest / archive)

Nothing in this module imports another module of ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

DocumentKind = Literal["text", "html"]
BlockKind = Literal["paragraph", "heading", "quote", "item", "row"]


@dataclass(frozen=True)
class RawDocument:
    """One input file, decoded to text, before any judgement about its content."""

    source: str  # path as the user gave it, for messages
    key: str  # stable identity: path relative to its input root, "/"-separated
    group: str  # documents that share boilerplate: the input directory (or site)
    text: str  # decoded, newlines normalised to "\n", XML-forbidden characters removed
    kind: DocumentKind
    encoding: str
    mtime: float
    size: int
    content_hash: str  # sha256 hex of the raw bytes
    url: str | None = None  # original location when known (e.g. <link rel=canonical>)


@dataclass(frozen=True)
class Link:
    """An inline link of a block: the block's text[start:end] links to href."""

    start: int
    end: int
    href: str  # absolute http(s) or mailto URL, without tracking parameters


@dataclass(frozen=True)
class Block:
    """One block of an article body, as plain text with its structure beside it.

    Consecutive "item" blocks form one list (numbered when ``ordered``; a change of
    ``ordered`` starts another list; an item of a plain-text scrape keeps the number its line
    shows, "1. Preheat the oven", which a rendered list does not repeat); consecutive "row"
    blocks form one table, whose cells are ``cells`` (``text`` is them joined by spaces, as
    a flattened page reads), header cells when ``header``. ``links`` are the inline links,
    in order, not overlapping.
    """

    kind: BlockKind
    text: str
    links: tuple[Link, ...] = ()
    ordered: bool = False
    cells: tuple[str, ...] = ()
    header: bool = False


@dataclass(frozen=True)
class Image:
    """An article's lead image, as the page names it."""

    url: str  # absolute http(s) URL
    alt: str = ""
    credit: str | None = None
    width: int | None = None  # pixels, when the page says
    height: int | None = None


@dataclass(frozen=True)
class Article:
    """What the cleaner keeps of a document: the real article and its metadata."""

    source: str
    key: str
    title: str
    blocks: tuple[Block, ...]
    published: datetime | None = None  # timezone-aware (UTC when the page gives no zone)
    author: str | None = None
    site: str | None = None  # publication name or host, for "Also reported by ..."
    url: str | None = None
    language: str | None = None
    image: Image | None = None  # the lead image, when the page has one

    @property
    def body(self) -> str:
        """The body as plain text: one block per paragraph, blank line between blocks."""
        return "\n\n".join(block.text for block in self.blocks)

    @property
    def word_count(self) -> int:
        """Words in the body (white-space separated), for the reading time."""
        return sum(len(block.text.split()) for block in self.blocks)


@dataclass(frozen=True)
class Rejected:
    """A document the cleaner (or the reader) could not turn into an article."""

    source: str
    reason: str


@dataclass(frozen=True)
class Summary:
    """What the summarizer derives from one article, on its own (a pure function of it)."""

    sentences: tuple[str, ...]
    reading_minutes: int
    # Candidate keyword terms with their counts in the article, best first; keywords are
    # chosen across the corpus (TF-IDF) from these.
    terms: tuple[tuple[str, int], ...] = ()
    # Locality-sensitive fingerprint of the text, for near-duplicate story grouping.
    fingerprint: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        """The summary as one paragraph."""
        return " ".join(self.sentences)


@dataclass(frozen=True)
class Entry:
    """A published article: the article, its summary and what the store knows of it."""

    id: str  # stable short id, never changes once given
    slug: str  # archive page name: articles/<slug>.html
    article: Article
    summary: tuple[str, ...]
    keywords: tuple[str, ...]
    reading_minutes: int
    published: datetime  # the article's date, or first-seen time
    updated: datetime  # last time the article's content changed (distinct per entry)
    first_seen: datetime
    story: str | None = None  # id of the entry that leads this story group, if grouped
    also: tuple[str, ...] = field(default=())  # ids of near-duplicate entries it leads

    @property
    def page(self) -> str:
        """Where the entry's archive page lives, relative to the output directory."""
        return f"articles/{self.slug}.html"

    @property
    def title(self) -> str:
        """The article's title."""
        return self.article.title


@dataclass(frozen=True)
class RunReport:
    """What one build did, for the CLI and the daemon log."""

    seen: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: tuple[Rejected, ...] = ()
    written: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line of counts, for the daemon's log and the record of the last build."""
        return (
            f"{self.seen} seen, {self.new} new, {self.changed} changed, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped, "
            f"{len(self.written)} files written"
        )


@dataclass(frozen=True)
class Digest:
    """One issue of the e-mail digest: rendered once, archived, then delivered."""

    id: str  # "2026-11-21", or "2026-11-21-2" for a second issue the same day
    created: datetime
    subject: str
    entry_ids: tuple[str, ...]
    html: str  # inlined, e-mail ready
    text: str  # plain-text alternative
    message: bytes  # the RFC 5322 message without a recipient (To is set per delivery)


@dataclass(frozen=True)
class PageRequest:
    """A request to one of the pages ``serve`` answers for readers (signup, confirmation,
    preferences), as the use case behind it sees it."""

    method: str  # GET, HEAD or POST
    query: str  # the URL's query string
    body: bytes  # a POST's body (a form), else empty
    client: str  # the peer's IP address
    forwarded_for: str = ""  # the X-Forwarded-For header ("" without one)


@dataclass(frozen=True)
class PageAnswer:
    """The answer to a ``PageRequest``: an HTTP status and a body (``serve`` adds the
    headers that keep it out of caches and referrers)."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
