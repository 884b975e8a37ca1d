"""Deboilerplating: from a RawDocument to the article it contains (or a reason it has none).

Public API (what the pipeline calls):

- :func:`clean` turns one document into an :class:`~publisher.models.Article` (title, body
  blocks, date, author, site, url, language) or a :class:`~publisher.models.Rejected`;
- :func:`boilerplate_keys` gives the keys of a document's lines that could be boilerplate
  shared across a source; keys seen in other documents of the same group come back to
  :func:`clean` as ``known_boilerplate``.

Dates: ``RawDocument.mtime`` is the reference time for a date given without a year
("Thursday, August 5"): it resolves to the most recent such date not after mtime -- and when a
weekday is given, to the most recent year in which that date fell on that weekday (so the
example, seen in 2026, is 2021-08-05). Dates are ISO 8601 datetimes, timezone-aware (UTC when
the page names no zone). See dates.py.

Layout: ``text.py`` (plain-text scrapes, one block per line), ``html.py`` (HTML pages),
``scoring.py`` (the named heuristics and how they combine), ``patterns.py`` (boilerplate
families as data), ``dates.py`` (date parsing).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from publisher.clean import html, text
from publisher.clean.scoring import Unit, keys_of
from publisher.models import Article, Block, RawDocument, Rejected

__all__ = ["boilerplate_keys", "clean"]

# Longest document analysed, in characters; the rest is ignored (bounded work on huge input).
MAX_CHARS = 4_000_000
# Share of control or replacement characters above which a text is binary, not language.
MAX_BINARY_SHARE = 0.1
# Longest title kept whole; longer ones (an unpunctuated first line) are cut with "…".
MAX_TITLE_CHARS = 200
# How much of the start of a document the binary test looks at.
BINARY_SAMPLE = 2048
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def clean(
    doc: RawDocument, *, known_boilerplate: frozenset[str] = frozenset()
) -> Article | Rejected:
    """The article in doc, or Rejected with the reason there is none.

    known_boilerplate holds keys (from :func:`boilerplate_keys`) of lines seen in other documents
    of the same group; those lines are dropped. If dropping them leaves nothing, the document is
    cleaned again without them (a source that republishes one story must not lose it).
    Pure; never raises; the work is bounded by MAX_CHARS.
    """
    try:
        body = _usable_text(doc.text, doc.kind)
        if body is None:
            return Rejected(doc.source, "binary-looking content, not text")
        if not body or body.isspace():
            return Rejected(doc.source, "empty document")
        result = _clean(doc, body, known_boilerplate)
        if isinstance(result, Rejected) and known_boilerplate:
            result = _clean(doc, body, frozenset())
        return result
    except Exception as exc:  # a cleaner bug must cost one document, not the whole run
        return Rejected(doc.source, f"cleaner error: {type(exc).__name__}: {exc}")


def boilerplate_keys(doc: RawDocument) -> frozenset[str]:
    """Keys (short stable hashes of the normalised text) of doc's lines or blocks.

    Every line or block up to 400 characters is a candidate: whether it *is* boilerplate is
    decided by the pipeline, from how many other documents of the group share the key.
    Never raises; returns an empty set for documents that cannot be read.
    """
    try:
        body = _usable_text(doc.text, doc.kind)
        if not body:
            return frozenset()
        if doc.kind == "html":
            try:
                units, _ = html.to_units(html.parse(body), frozenset())
                return keys_of(unit.text for unit in units)
            except html.ParseFailure:
                body = html.strip_tags(body)
        return keys_of(line.strip() for line in body.split("\n"))
    except Exception:
        return frozenset()


def _usable_text(raw: str, kind: str) -> str | None:
    """The text bounded to MAX_CHARS; None if its start looks binary.

    HTML loses its control characters here (lxml refuses some); plain text keeps them until
    _article() removes them from what is kept, which is much less text to scan.
    """
    body = raw[:MAX_CHARS]
    sample = body[:BINARY_SAMPLE]
    if len(_BINARY.findall(sample)) > MAX_BINARY_SHARE * len(sample):
        return None
    return _BINARY.sub(" ", body) if kind == "html" else body


def _reference(doc: RawDocument) -> datetime:
    """The document's mtime as an aware datetime (resolves dates without a year)."""
    try:
        return datetime.fromtimestamp(doc.mtime, UTC)
    except (OverflowError, OSError, ValueError):
        return datetime(1970, 1, 1, tzinfo=UTC)


def _clean(doc: RawDocument, body: str, known: frozenset[str]) -> Article | Rejected:
    reference = _reference(doc)
    if doc.kind == "html":
        try:
            page = html.extract(body, reference, known, doc.url)
        except html.ParseFailure:
            body = html.strip_tags(body)
        else:
            return _article(
                doc, page.title, page.units, page.published, page.author,
                page.site, page.url, page.language,
            )  # fmt: skip
    plain = text.extract(body, reference, known)
    return _article(doc, plain.title, plain.units, plain.published, plain.author, None, doc.url)


def _article(
    doc: RawDocument,
    title: str,
    units: list[Unit],
    published: datetime | None,
    author: str | None,
    site: str | None,
    url: str | None,
    language: str | None = None,
) -> Article | Rejected:
    blocks = tuple(Block(unit.kind, _plain(unit.text)) for unit in units)
    blocks = tuple(block for block in blocks if block.text)
    if not blocks:
        return Rejected(doc.source, "no article text found")
    title = _shorten(_plain(title)) or _first_words(blocks[0].text)
    author = (_plain(author) or None) if author else None
    if site is None and url:
        site = urlsplit(url).hostname or None
    return Article(
        source=doc.source, key=doc.key, title=title, blocks=blocks, published=published,
        author=author, site=site, url=url, language=language,
    )  # fmt: skip


def _plain(text: str) -> str:
    """Text without control characters, its whitespace collapsed."""
    if _BINARY.search(text):
        text = _BINARY.sub(" ", text)
    if "  " in text or "\t" in text or "\xa0" in text or text[:1].isspace() or text[-1:].isspace():
        text = " ".join(text.split())
    return text


def _shorten(title: str) -> str:
    """A title of at most MAX_TITLE_CHARS, cut at a word boundary with an ellipsis."""
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return cut + "…"


def _first_words(text: str, count: int = 12) -> str:
    """A stand-in title for a document whose title could not be found."""
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")
