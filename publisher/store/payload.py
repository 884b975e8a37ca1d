"""What the store keeps of an article, and its one encoding.

The ``articles`` table has a column per thing the build looks rows up by (ids, hashes, dates,
story, digest) and one JSON column, ``data``, with what the cleaner and the summarizer made
of the article: ``StoredArticle``. Its keys are spelled here and nowhere else, SQL included
(``LISTING_DATA``, ``FINGERPRINT_DATA``). A record read with its body (``ArticleRecord``)
and one read without it (``ArticleListing``, for pages and digests that show summaries)
are different types, so code that needs the body cannot be handed a listing.

The encoding is JSON with sorted keys, so equal data is equal text; the article's part
sorts first and is encoded on its own (``encode_article``), so a worker can encode the
article it cleaned and the saving process only splice it in (``encode_stored``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from ..models import Article, Block, Entry, Image, Link

# SQL giving a row's data without the body blocks, the terms and the fingerprint: what
# ArticleListing.decode reads. SQLite drops them before Python decodes anything.
LISTING_DATA = "json_remove(data, '$.article.blocks', '$.terms', '$.fingerprint')"
# SQL giving a row's story fingerprint (a JSON array), all that story grouping reads.
FINGERPRINT_DATA = "json_extract(data, '$.fingerprint')"


def _article_data(article: Article) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": article.source,
        "key": article.key,
        "title": article.title,
        "blocks": [_block_data(block) for block in article.blocks],
        "published": article.published.isoformat() if article.published else None,
        "author": article.author,
        "site": article.site,
        "url": article.url,
        "language": article.language,
    }
    if article.image is not None:  # absent rather than null: older payloads stay as they were
        data["image"] = dataclasses.asdict(article.image)
    return data


def _block_data(block: Block) -> list[Any]:
    """A block as [kind, text], and its structure as a third item only when it has some: a
    plain block is encoded as every earlier version encoded it."""
    structure: dict[str, Any] = {}
    if block.links:
        structure["links"] = [[link.start, link.end, link.href] for link in block.links]
    if block.ordered:
        structure["ordered"] = True
    if block.cells:
        structure["cells"] = list(block.cells)
    if block.header:
        structure["header"] = True
    return [block.kind, block.text, structure] if structure else [block.kind, block.text]


def _block(data: list[Any]) -> Block:
    """The block of _block_data's list (two items in payloads stored before links were)."""
    if len(data) == 2:
        return Block(data[0], data[1])
    kind, text, structure = data
    return Block(
        kind,
        text,
        links=tuple(Link(start, end, href) for start, end, href in structure.get("links", ())),
        ordered=bool(structure.get("ordered")),
        cells=tuple(structure.get("cells", ())),
        header=bool(structure.get("header")),
    )


def _article(data: dict[str, Any]) -> Article:
    blocks: list[list[Any]] = data.get("blocks", [])  # a listing has none
    return Article(
        source=data["source"],
        key=data["key"],
        title=data["title"],
        blocks=tuple(_block(block) for block in blocks),
        published=datetime.fromisoformat(data["published"]) if data["published"] else None,
        author=data["author"],
        site=data["site"],
        url=data["url"],
        language=data["language"],
        image=Image(**data["image"]) if data.get("image") else None,
    )


def _encode(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def encode_article(article: Article) -> str:
    """The article's part of a stored payload, encoded (see ``encode_stored``)."""
    return _encode(_article_data(article))


def encode_stored(
    article: str,
    *,
    summary: Sequence[str],
    keywords: Sequence[str],
    reading_minutes: int,
    terms: Iterable[tuple[str, int]],
    fingerprint: Iterable[int],
) -> str:
    """The encoded payload of an article whose part is already encoded (``article``, from
    ``encode_article``): the same text ``StoredArticle.encode`` gives, as "article" sorts
    before every other key."""
    rest = _encode(
        {
            "summary": list(summary),
            "keywords": list(keywords),
            "reading_minutes": reading_minutes,
            "terms": [list(pair) for pair in terms],
            "fingerprint": list(fingerprint),
        }
    )
    return '{"article": ' + article + ", " + rest[1:]


def _listed(data: dict[str, Any]) -> tuple[Article, tuple[str, ...], tuple[str, ...], int]:
    """What a listing and a stored article share: article, summary, keywords, reading time."""
    return (
        _article(data["article"]),
        tuple(data["summary"]),
        tuple(data["keywords"]),
        data["reading_minutes"],
    )


@dataclass(frozen=True)
class StoredArticle:
    """What the cleaner and the summarizer made of one article, as the store keeps it."""

    article: Article
    summary: tuple[str, ...]
    keywords: tuple[str, ...]
    reading_minutes: int
    # Candidate keyword terms with their counts, best first (Summary.terms).
    terms: tuple[tuple[str, int], ...]
    fingerprint: tuple[int, ...]  # the story fingerprint (Summary.fingerprint)

    def encode(self) -> str:
        """The payload as stored (JSON, sorted keys)."""
        return encode_stored(
            encode_article(self.article),
            summary=self.summary,
            keywords=self.keywords,
            reading_minutes=self.reading_minutes,
            terms=self.terms,
            fingerprint=self.fingerprint,
        )

    @classmethod
    def decode(cls, text: str) -> StoredArticle:
        """The payload of ``encode``'s text."""
        data = json.loads(text)
        return cls(
            *_listed(data),
            terms=tuple((term, count) for term, count in data["terms"]),
            fingerprint=tuple(data["fingerprint"]),
        )


@dataclass(frozen=True)
class Listing:
    """A stored article without its body, terms and fingerprint: what lists of articles
    (archive pages, the digest, the feeds' neighbours) show."""

    article: Article  # its blocks are empty
    summary: tuple[str, ...]
    keywords: tuple[str, ...]
    reading_minutes: int

    @classmethod
    def decode(cls, text: str) -> Listing:
        """The listing in the text of SQL's ``LISTING_DATA``."""
        return cls(*_listed(json.loads(text)))


@dataclass(frozen=True)
class ArticleRow:
    """The columns of one stored article: the identity the store gave it and its state."""

    id: str
    source_key: str
    source: str
    group: str
    slug: str
    content_hash: str
    body_hash: str  # hash of the cleaned title and body: equal for exact duplicate articles
    first_seen: datetime
    last_changed: datetime
    published: datetime
    duplicate_of: str | None
    story: str | None
    digest_id: str | None

    def _entry(self, listing: Listing | StoredArticle) -> Entry:
        return Entry(
            id=self.id,
            slug=self.slug,
            article=listing.article,
            summary=listing.summary,
            keywords=listing.keywords,
            reading_minutes=listing.reading_minutes,
            published=self.published,
            updated=self.last_changed,
            first_seen=self.first_seen,
            story=self.story,
        )


@dataclass(frozen=True)
class ArticleRecord(ArticleRow):
    """A stored article with its body. ``data`` is the encoded payload, decoded only when
    ``payload`` is read: a record saved from a worker's result is never decoded at all."""

    data: str

    @cached_property
    def payload(self) -> StoredArticle:
        """The decoded payload."""
        return StoredArticle.decode(self.data)

    def entry(self) -> Entry:
        """The published entry this record is."""
        return self._entry(self.payload)


@dataclass(frozen=True)
class ArticleListing(ArticleRow):
    """A stored article read without its body (see ``Listing``)."""

    listing: Listing

    def entry(self) -> Entry:
        """The published entry this listing is, its article without blocks."""
        return self._entry(self.listing)
