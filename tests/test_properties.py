"""Issue 8: property-based tests. Any text or HTML goes through clean, summarize and the feed
writers without an unexpected exception, and the feeds stay well-formed."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from publisher.clean import clean, scoring
from publisher.config import Settings
from publisher.ids import text_hash
from publisher.models import Article, Block, Entry, Image, RawDocument, Rejected
from publisher.render.feeds import render_feeds
from publisher.sources import decode
from publisher.store.payload import StoredArticle, encode_article, encode_stored
from publisher.summarize import split_sentences, summarize, summarize_text

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)

# Text with the awkward parts over-represented: markup characters, CDATA ends, controls,
# bidirectional and combining marks, emoji, surrogate-free astral characters.
AWKWARD = st.sampled_from(
    [
        "<",
        ">",
        "&",
        "]]>",
        "\x00",
        "\x0b",
        "\u202e",
        "\u0301",
        "\ufffe",
        "😀",
        "\n",
        "\n\n",
        "•",
        "“",
        "”",
        "U.S.",
        "Mr.",
        "$3.5",
        "...",
        "<script>",
        "&amp;",
        "&#0;",
        "\r\n",
    ]
)
TEXT = st.lists(st.one_of(st.text(min_size=1, max_size=40), AWKWARD), max_size=60).map("".join)
TAGS = st.sampled_from(
    [
        "p",
        "div",
        "h1",
        "h2",
        "article",
        "script",
        "style",
        "a",
        "li",
        "ul",
        "blockquote",
        "span",
        "table",
        "td",
        "svg",
        "iframe",
        "title",
        "meta",
    ]
)


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    parts = ["<html><head><title>", draw(TEXT), "</title></head><body>"]
    for _ in range(draw(st.integers(0, 25))):
        tag = draw(TAGS)
        attrs = draw(
            st.sampled_from(
                ["", ' class="content"', ' onclick="x()"', ' href="javascript:1"', ' id="main"']
            )
        )
        closed = draw(st.booleans())
        parts.append(f"<{tag}{attrs}>{draw(TEXT)}" + (f"</{tag}>" if closed else ""))
    return "".join(parts)


def _document(text: str, kind: str) -> RawDocument | None:
    decoded = decode(text.encode("utf-8", "surrogatepass"), kind)  # type: ignore[arg-type]
    if isinstance(decoded, str):
        return None  # rejected by the reader with a reason: also a valid outcome
    body, encoding = decoded
    return RawDocument(
        source="prop.txt",
        key="prop/prop.txt",
        group="prop",
        text=body,
        kind=kind,
        encoding=encoding,
        mtime=NOW.timestamp(),
        size=len(text),
        content_hash="0" * 64,
    )


def _check_feeds(article: Article) -> None:
    summary = summarize(article)
    assert len(" ".join(summary.sentences).split()) <= 75
    entry = Entry(
        id="0123456789abcdef",
        slug="prop-012345",
        article=article,
        summary=summary.sentences,
        keywords=(),
        reading_minutes=summary.reading_minutes,
        published=NOW,
        updated=NOW,
        first_seen=NOW - timedelta(days=1),
    )
    files = render_feeds([entry], Settings())
    for name in ("feed.atom", "feed.rss"):
        etree.fromstring(files[name])
        assert not feedparser.parse(files[name]).bozo
    json.loads(files["feed.json"])


def _check_pipeline(text: str, kind: str) -> None:
    """Through reading, cleaning, summarizing and the feed writers: a reason or valid feeds."""
    doc = _document(text, kind)
    if doc is None:
        return
    result = clean(doc)
    if isinstance(result, Rejected):
        assert result.reason
        return
    assert result.title.strip()
    _check_feeds(result)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_any_text_document(text: str) -> None:
    _check_pipeline(text, "text")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_pages())
def test_any_html_document(page: str) -> None:
    _check_pipeline(page, "html")


@settings(max_examples=100, deadline=None)
@given(TEXT, st.integers(1, 6), st.integers(5, 120))
def test_summaries_respect_their_budget(text: str, sentences: int, words: int) -> None:
    split_sentences(text)
    summary = summarize_text(text, sentences=sentences, words=words)
    assert len(summary) <= sentences
    assert len(" ".join(summary).split()) <= words


@settings(max_examples=100, deadline=None)
@given(TEXT, st.lists(TEXT, max_size=4), st.lists(st.tuples(TEXT, st.integers(0, 9)), max_size=4))
def test_a_stored_article_is_one_sorted_json_text_and_decodes_to_itself(
    text: str, summary: list[str], terms: list[tuple[str, int]]
) -> None:
    article = Article(
        source="a.txt",
        key="a.txt",
        title=text,
        blocks=(Block("paragraph", text), Block("item", text[::-1])),
        published=datetime(2026, 11, 21, 7, 30, tzinfo=UTC),
        image=Image(f"https://example.org/{len(text)}.jpg", alt=text, width=640) if text else None,
    )
    stored = StoredArticle(
        article=article,
        summary=tuple(summary),
        keywords=tuple(summary[:2]),
        reading_minutes=1,
        terms=tuple(terms),
        fingerprint=(3, 1),
    )
    whole = stored.encode()
    # The article's part, encoded apart (in a worker), makes the same text.
    assert (
        encode_stored(
            encode_article(article),
            summary=summary,
            keywords=summary[:2],
            reading_minutes=1,
            terms=terms,
            fingerprint=(3, 1),
        )
        == whole
    )
    assert whole == json.dumps(json.loads(whole), ensure_ascii=False, sort_keys=True)
    assert StoredArticle.decode(whole) == stored


SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\xa0", "\u2028", "\u3000", "\x1f", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(TEXT, SPACES), min_size=1, max_size=6).map(tuple))
def test_the_body_hash_is_of_the_text_with_its_spaces_folded(texts: tuple[str, ...]) -> None:
    title, *blocks = texts
    folded = " ".join((title + "\n" + "\n\n".join(blocks)).split())
    expected = hashlib.sha256(folded.encode("utf-8")).hexdigest()
    assert text_hash(title, blocks) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(TEXT, SPACES, st.sampled_from(["ß", "İ", "ﬁ", "Σ", "\ufffd", "12,3"]))).map(
        "".join
    )
)
def test_a_key_is_of_the_text_casefolded_with_its_spaces_and_digits_folded(text: str) -> None:
    folded = scoring.normalise(text)
    if not folded.isprintable() or "\ufffd" in folded:
        folded = scoring.normalise(scoring.CONTROL.sub(" ", folded))
    folded = re.sub(r"\d(?:[\d,.]*\d)?", "0", folded)
    expected = hashlib.blake2b(folded.encode("utf-8"), digest_size=8).hexdigest()
    assert scoring.key(text) == expected
