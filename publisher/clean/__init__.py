"""Deboilerplating: from a RawDocument to the article it contains (or a reason it has none).

Public API (what the build and the preview commands call):

- :func:`clean` turns one document into an :class:`~publisher.models.Article` (title, body
  blocks, date, author, site, url, language) or a :class:`~publisher.models.Rejected`;
- :func:`boilerplate_keys` gives the keys of a document's lines that could be boilerplate
  shared across a source; keys seen in other documents of the same group come back to
  :func:`clean` as ``known_boilerplate``;
- :func:`clean_document` does both on one parse (a build that learns boilerplate from the
  batch it cleans), and :func:`block_key` keys one block of the result, so that blocks whose
  key recurs in other documents can be dropped afterwards.

Dates: ``RawDocument.mtime`` is the reference time for a date given without a year
("Thursday, August 5"): it resolves to the most recent such date not after mtime -- and when a
weekday is given, to the most recent year in which that date fell on that weekday (so the
example, seen in 2026, is 2021-08-05). Dates are ISO 8601 datetimes, timezone-aware (UTC when
the page names no zone). See dates.py.

Layout: ``text.py`` (plain-text scrapes, one block per line), ``html.py`` (HTML pages),
``metadata.py`` (what an HTML head says of title, date and author),
``scoring.py`` (the named heuristics), ``keep.py`` (how they combine into the article),
``patterns.py`` (boilerplate families as data), ``dates.py`` (date parsing), ``stated.py``
(the date and the title as a page's text states them: the dateline nearest the article, the
headline without the site),
``anchor.py`` (the headline's copy and the lead under it, comment signatures),
``container.py`` (the article's element in a page), ``links.py`` (inline links) and
``media.py`` (the lead image).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from lxml import etree

from publisher.clean import html, links, metadata, scoring, text
from publisher.clean.scoring import Unit
from publisher.models import Article, Block, BlockKind, Image, RawDocument, Rejected

__all__ = [
    "BOILERPLATE_MIN_OTHERS",
    "MAX_KEY_CHARS",
    "block_key",
    "boilerplate_keys",
    "clean",
    "clean_document",
]

# A line is cross-document boilerplate when it recurs in at least this many *other*
# documents of the same group (two, so that one pair of related articles quoting the same
# sentence keeps it).
BOILERPLATE_MIN_OTHERS = 2

# Longest document analysed, in characters; the rest is ignored (bounded work on huge input).
MAX_CHARS = 4_000_000
# Share of control or replacement characters above which a text is binary, not language.
MAX_BINARY_SHARE = 0.1
# Longest title kept whole; longer ones (an unpunctuated first line) are cut with "…".
MAX_TITLE_CHARS = 200
# How much of the start of a document the binary test looks at.
BINARY_SAMPLE = 2048
_BINARY = scoring.CONTROL
# Longest line or block that has a cross-document key.
MAX_KEY_CHARS = scoring.MAX_PATTERN_CHARS


def clean_document(
    doc: RawDocument, *, known_boilerplate: frozenset[str] = frozenset()
) -> tuple[Article | Rejected, frozenset[str]]:
    """One parse: the cleaned article (exactly what :func:`clean` returns) and the document's
    keys (exactly what :func:`boilerplate_keys` returns).

    For a build that learns the group's boilerplate from the same batch: clean with what is
    already known, then drop the blocks whose :func:`block_key` recurs in other documents.
    Never raises.
    """
    parsed = _Parsed(doc)
    return parsed.article(known_boilerplate), parsed.keys()


def clean(
    doc: RawDocument, *, known_boilerplate: frozenset[str] = frozenset()
) -> Article | Rejected:
    """The article in doc, or Rejected with the reason there is none.

    known_boilerplate holds keys (from :func:`boilerplate_keys`) of lines seen in other documents
    of the same group; those lines are dropped. If dropping them leaves nothing, the document is
    cleaned again without them (a source that republishes one story must not lose it).
    Pure; never raises; the work is bounded by MAX_CHARS.
    """
    return _Parsed(doc).article(known_boilerplate)


def boilerplate_keys(doc: RawDocument) -> frozenset[str]:
    """Keys (short stable hashes of the normalised text) of doc's lines or blocks.

    Every line or block up to MAX_KEY_CHARS characters is a candidate: whether it *is*
    boilerplate is decided by the caller, from how many other documents of the group share
    the key. Lines are keyed as the cleaner sees them (a bullet glyph removed). Never raises;
    returns an empty set for documents that cannot be read.
    """
    return _Parsed(doc).keys()


def block_key(text: str) -> str:
    """The cross-document key of one block's text, computed exactly as boilerplate_keys
    computes keys (case, spacing, digits and control characters folded).

    Every block of an article cleaned from a document whose text is at most MAX_KEY_CHARS long
    has its key among the document's keys (a longer line was never keyed; whitespace folding
    can make a block a little shorter than the line it came from).
    """
    return scoring.key(text)


class _Parsed:
    """A document read and parsed once, from which both the keys and the article come.

    HTML is parsed into a tree and walked into units; plain text (and HTML that lxml cannot
    parse, reduced to text) is scanned into rows. The keys are computed at most once, and
    reused to flag known boilerplate. A failure is kept, not raised: each public function
    turns it into its own answer (Rejected, or no keys).
    """

    def __init__(self, doc: RawDocument) -> None:
        self.doc = doc
        self.failure: Rejected | None = None
        self.root: etree._Element | None = None
        # The HTML walk the keys come from; `walked` once an extraction has used its units.
        self.walk: tuple[list[Unit], metadata.Head] = ([], metadata.Head({}, []))
        self.walked = False
        self.rows: list[tuple[str, BlockKind, int, bool]] = []
        self._line_keys: list[str | None] | None = None
        try:
            body = _usable_text(doc.text)
            if body is None:
                self.failure = Rejected(doc.source, "binary-looking content, not text")
            elif not body or body.isspace():
                self.failure = Rejected(doc.source, "empty document")
            elif doc.kind == "html":
                try:
                    self.root = html.parse(body)
                    self.walk = html.to_units(self.root)
                except html.ParseFailure:
                    self.root = None
                    self.rows = text.scan(html.strip_tags(body))
            else:
                self.rows = text.scan(body)
        except Exception as exc:  # a cleaner bug must cost one document, not the whole run
            self.failure = _error(doc, exc)

    def line_keys(self) -> list[str | None]:
        """The key of each unit (HTML) or row (text), None where the text is not keyed."""
        if self._line_keys is None:
            if self.root is not None:
                self._line_keys = scoring.line_keys(unit.text for unit in self.walk[0])
            else:
                self._line_keys = scoring.line_keys(row[0] for row in self.rows)
        return self._line_keys

    def keys(self) -> frozenset[str]:
        """The document's keys (see boilerplate_keys)."""
        if self.failure is not None:
            return frozenset()
        try:
            return frozenset(self.line_keys()) - {None}  # type: ignore[return-value]
        except Exception:
            return frozenset()

    def article(self, known: frozenset[str]) -> Article | Rejected:
        """The article (see clean)."""
        if self.failure is not None:
            return self.failure
        try:
            result = self._extract(known)
            if isinstance(result, Rejected) and known:
                result = self._extract(frozenset())
            return result
        except Exception as exc:  # a cleaner bug must cost one document, not the whole run
            return _error(self.doc, exc)

    def _extract(self, known: frozenset[str]) -> Article | Rejected:
        doc = self.doc
        flags = [k in known for k in self.line_keys()] if known else []
        reference = _reference(doc)
        if self.root is None:
            plain = text.extract(self.rows, reference, flags)
            return _article(
                doc, plain.title, plain.units, plain.published, plain.author, None, doc.url
            )
        # select() relabels the units it keeps (texts stay): a second extraction walks again.
        units, head = html.to_units(self.root) if self.walked else self.walk
        self.walked = True
        page = html.extract(self.root, units, head, reference, flags, doc.url)
        return _article(
            doc, page.title, page.units, page.published, page.author,
            page.site, page.url, page.language, page.image, page.base,
        )  # fmt: skip


def _error(doc: RawDocument, exc: Exception) -> Rejected:
    return Rejected(doc.source, f"cleaner error: {type(exc).__name__}: {exc}")


def _usable_text(raw: str) -> str | None:
    """The text bounded to MAX_CHARS; None if its start looks binary.

    Control characters stay: the HTML walk replaces them in the blocks it makes, and the
    text cleaner in what it keeps (_plain), which is much less text to scan than the page.
    """
    body = raw[:MAX_CHARS]
    sample = body[:BINARY_SAMPLE]
    if len(_BINARY.findall(sample)) > MAX_BINARY_SHARE * len(sample):
        return None
    return body


def _reference(doc: RawDocument) -> datetime:
    """The document's mtime as an aware datetime (resolves dates without a year)."""
    try:
        return datetime.fromtimestamp(doc.mtime, UTC)
    except (OverflowError, OSError, ValueError):
        return datetime(1970, 1, 1, tzinfo=UTC)


def _article(
    doc: RawDocument,
    title: str,
    units: list[Unit],
    published: datetime | None,
    author: str | None,
    site: str | None,
    url: str | None,
    language: str | None = None,
    image: Image | None = None,
    base: str | None = None,
) -> Article | Rejected:
    blocks = tuple(block for unit in units if (block := _block(unit, base)).text)
    if not blocks:
        return Rejected(doc.source, "no article text found")
    title = _shorten(_plain(title)) or _first_words(blocks[0].text)
    author = (_plain(author) or None) if author else None
    if site is None and url:
        site = urlsplit(url).hostname or None
    return Article(
        source=doc.source, key=doc.key, title=title, blocks=blocks, published=published,
        author=author, site=site, url=url, language=language, image=image,
    )  # fmt: skip


def _block(unit: Unit, base: str | None) -> Block:
    """The block of a unit: its plain text, and its structure (links resolved against base,
    list numbering, table cells). A row needs cells; links need the text they were found in.
    """
    text = _plain(unit.text)
    if unit.cells:
        cells = tuple(_plain(cell) for cell in unit.cells)
        return Block("row", text, ordered=False, cells=cells, header=unit.header)
    found = (
        links.block_links(text, unit.anchors, base) if unit.anchors and text == unit.text else ()
    )
    return Block(unit.kind, text, links=found, ordered=unit.kind == "item" and unit.ordered)


def _plain(text: str) -> str:
    """Text without control characters, its whitespace collapsed."""
    # isprintable() is False for tabs, odd spaces and control characters: one C scan clears
    # the common case (a clean line) of the regex and the split.
    if text.isprintable() and "\ufffd" not in text and "  " not in text:
        return text.strip(" ")
    return " ".join(_BINARY.sub(" ", text).split())


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
