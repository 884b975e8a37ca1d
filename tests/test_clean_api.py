"""clean() and boilerplate_keys(): bad input, cross-document boilerplate, text metadata."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from publisher.clean import boilerplate_keys, clean, scoring
from publisher.models import Article, RawDocument, Rejected

STORY = "\n\n".join(
    f"Paragraph {i} tells what the reporters found when they visited the town on Friday."
    for i in range(5)
)


def doc(text: str, kind: str = "text", mtime: float | None = None) -> RawDocument:
    return RawDocument(
        source="in/story.txt", key="story.txt", group="in", text=text, kind=kind,  # type: ignore[arg-type]
        encoding="utf-8",
        mtime=datetime(2026, 1, 1, tzinfo=UTC).timestamp() if mtime is None else mtime,
        size=len(text), content_hash="0" * 64,
    )  # fmt: skip


def test_text_article_title_and_body() -> None:
    result = clean(doc("A headline for the story\n\n" + STORY))
    assert isinstance(result, Article)
    assert result.title == "A headline for the story"
    assert len(result.blocks) == 5
    assert result.source == "in/story.txt" and result.key == "story.txt"


def test_text_byline_and_dateline_become_metadata() -> None:
    text = "A headline for the story\n\nBy Jane Doe\n\nAugust 5, 2021\n\n" + STORY
    result = clean(doc(text))
    assert isinstance(result, Article)
    assert result.author == "Jane Doe"
    assert result.published == datetime(2021, 8, 5, tzinfo=UTC)
    assert "Jane Doe" not in result.body and "August 5" not in result.body


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n\t\n  ", "empty"),
        ("\x00\x01\x02\x03binary\x04\x05\x06\x07" * 100, "binary"),
        ("Home\nNews\nSport\nAbout us", "no article text"),
    ],
)
def test_bad_text_input_is_rejected_with_a_reason(text: str, reason: str) -> None:
    for kind in ("text", "html"):
        result = clean(doc(text, kind))
        assert isinstance(result, Rejected)
        assert reason in result.reason
        assert result.source == "in/story.txt"


def test_overlong_title_is_shortened() -> None:
    title = "A Very Long Headline " + " ".join(f"word{i}" for i in range(120))
    result = clean(doc(title + "\n\n" + STORY))
    assert isinstance(result, Article)
    assert result.title.startswith("A Very Long Headline word0")
    assert len(result.title) <= 200 and result.title.endswith("…")
    assert "word119" not in result.body


def test_control_characters_are_removed() -> None:
    result = clean(doc("A headline\n\n" + STORY.replace("town", "to\x07wn")))
    assert isinstance(result, Article)
    assert "\x07" not in result.body


def test_huge_single_line_is_bounded() -> None:
    line = "word " * 6_000_000  # 30 MB, one line
    result = clean(doc(line))
    assert isinstance(result, (Article, Rejected))
    if isinstance(result, Article):
        assert len(result.title) < 200


@pytest.mark.parametrize(
    "markup",
    [
        "<div>" * 10_000 + "<p>deep</p>" + "</div>" * 10_000,
        "<html><body><p>" + STORY.replace("\n\n", "</p><p>") + "<div><span><b>unclosed",
        "<svg><script>alert(1)</script><style>p{}</style></svg><iframe src='x'></iframe>"
        + "<p>"
        + STORY.replace("\n\n", "</p><p>")
        + "</p>",
        '<?xml version="1.0" encoding="utf-8"?><html><body><p>'
        + STORY.replace("\n\n", "</p><p>")
        + "</p></body></html>",
        "<p>" * 5000,
        "<<<>>>&&&;;;</p></div></html>",
    ],
)
def test_hostile_html_never_raises(markup: str) -> None:
    result = clean(doc(markup, "html"))
    assert isinstance(result, (Article, Rejected))
    if isinstance(result, Article):
        assert "alert" not in result.body and "<" not in result.body


def test_deeply_nested_html_falls_back_to_text() -> None:
    markup = (
        "<div>" * 10_000 + "<p>" + STORY.replace("\n\n", "</p><p>") + "</p>" + "</div>" * 10_000
    )
    result = clean(doc(markup, "html"))
    assert isinstance(result, Article)
    assert "Paragraph 4 tells" in result.body


def test_unreadable_mtime_does_not_break_dates() -> None:
    result = clean(doc("A headline\n\nThursday, August 5\n\n" + STORY, mtime=1e20))
    assert isinstance(result, Article)


# --- cross-document boilerplate ------------------------------------------------------------

SIGNUP = "Get the best stories of the week from our editors every Sunday morning for free."


def test_boilerplate_keys_cover_short_lines() -> None:
    keys = boilerplate_keys(doc(f"A headline\n\n{STORY}\n\n{SIGNUP}"))
    # The five paragraphs differ only in a digit, which keys fold (counters match across pages).
    assert keys == {
        scoring.key("A headline"),
        scoring.key(STORY.split("\n")[0]),
        scoring.key(SIGNUP),
    }


def test_boilerplate_keys_never_raise() -> None:
    assert boilerplate_keys(doc("")) == frozenset()
    assert boilerplate_keys(doc("<div>" * 10_000, "html")) == frozenset()
    assert boilerplate_keys(doc("<p>One line of text</p>", "html"))


def test_known_boilerplate_lines_are_dropped() -> None:
    text = f"A headline\n\n{STORY}\n\n{SIGNUP}"
    plain = clean(doc(text))
    assert isinstance(plain, Article) and SIGNUP in plain.body
    signup_keys = boilerplate_keys(doc(SIGNUP))
    known = clean(doc(text), known_boilerplate=signup_keys)
    assert isinstance(known, Article) and SIGNUP not in known.body
    assert "Paragraph 4" in known.body


def test_known_boilerplate_never_empties_an_article() -> None:
    text = f"A headline\n\n{STORY}"
    everything = boilerplate_keys(doc(text))
    result = clean(doc(text), known_boilerplate=everything)
    assert isinstance(result, Article)
    assert "Paragraph 0" in result.body


def test_clean_is_deterministic() -> None:
    text = f"A headline\n\n{STORY}\n\n{SIGNUP}"
    assert clean(doc(text)) == clean(doc(text))
