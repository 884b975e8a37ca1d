"""The archive's HTML pages as assistive technology and HTML validators read them: landmarks,
the skip link, language attributes. Checked with lxml, so CI needs no validator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import html

from publisher.config import Settings
from publisher.models import Article, Block, Entry
from publisher.render.archive import Archive, relative_link

WHEN = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
FOCUSABLE = "//a[@href] | //button | //input | //select | //textarea | //*[@tabindex]"


def _entry(n: int = 1, *, language: str | None = None) -> Entry:
    article = Article(
        source=f"in/{n}.html",
        key=f"{n}.html",
        title=f"Council approves the water plan, part {n}",
        blocks=(Block("paragraph", "The council approved the plan on Tuesday."),),
        published=WHEN,
        site="Example Times",
        url=f"https://times.example.com/news/{n}",
        language=language,
    )
    return Entry(
        id=f"e{n}",
        slug=f"story-{n}",
        article=article,
        summary=("The council approved the plan on Tuesday.",),
        keywords=("council", "water"),
        reading_minutes=1,
        published=WHEN,
        updated=WHEN,
        first_seen=WHEN,
    )


def _pages(entry: Entry | None = None) -> dict[str, html.HtmlElement]:
    archive = Archive(Settings())
    entry = entry or _entry()
    rendered = {
        "article": archive.article_page(entry, [_entry(2)]),
        "index": archive.index_page([entry], {"2026-11": 1}),
        "month": archive.month_page(("2026-11", 0), [entry], None, None),
        "unsubscribe": archive.unsubscribe_page(
            "confirm",
            url="http://localhost:8000/unsubscribe",
            mailbox="digest@localhost",
            address="ann@example.com",
            action="http://localhost:8000/unsubscribe?address=ann@example.com&token=ab",
        ),
    }
    return {name: html.fromstring(page) for name, page in rendered.items()}


@pytest.mark.parametrize("name", ["article", "index", "month", "unsubscribe"])
def test_the_first_link_skips_to_the_main_content(name: str) -> None:
    # Keyboard users would otherwise tab through the site title and every feed link on each
    # page before they reach the articles (WCAG 2.4.1).
    page = _pages()[name]
    first = page.xpath(FOCUSABLE)[0]
    assert first.tag == "a" and first.get("href", "").startswith("#"), html.tostring(first)
    (target,) = page.xpath("//*[@id=$id]", id=first.get("href")[1:])
    assert target.tag == "main"
    assert first.text_content().strip() == "Skip to main content"


@pytest.mark.parametrize("language", ["English", "en-US, fr", "en US", "12", "e", "en-", "de--at"])
def test_a_language_that_is_no_language_tag_is_left_out(language: str) -> None:
    # A page's lang or og:locale is copied as found; HTML only accepts BCP 47 tags there, and a
    # bad one is worse than none: the text keeps the site's language instead.
    for name, page in _pages(_entry(language=language)).items():
        langs = {e.tag: e.get("lang") for e in page.xpath("//body//*[@lang]")}
        assert langs == {}, name


@pytest.mark.parametrize(
    ("language", "expected"),
    [("pt_BR", "pt-BR"), ("de", "de"), ("zh-Hant-TW", "zh-Hant-TW"), ("en-us", "en-us")],
)
def test_language_tags_mark_the_article_text(language: str, expected: str) -> None:
    page = _pages(_entry(language=language))["article"]
    assert page.find(".//h1").get("lang") == expected
    assert page.find(".//div[@class='body']").get("lang") == expected


def test_keywords_are_in_the_article_language() -> None:
    # The keywords are words of the article's text: a screen reader must say them in its
    # language, and right-to-left ones run right to left.
    page = _pages(_entry(language="ar"))["article"]
    (keywords,) = page.xpath("//ul[@class='keywords']")
    assert (keywords.get("lang"), keywords.get("dir")) == ("ar", "auto")


@pytest.mark.parametrize(
    ("target", "page", "link"),
    [
        ("https://x.org/daily/style.css", "https://x.org/daily/index.html", "style.css"),
        ("https://x.org/daily/style.css", "https://x.org/daily/articles/a.html", "../style.css"),
        ("https://x.org/daily/articles/b.html", "https://x.org/daily/articles/a.html", "b.html"),
        ("https://x.org/daily/archive/2026-11.html", "https://x.org/daily/articles/a.html",
         "../archive/2026-11.html"),
        # The unsubscribe page answers at a path with a query.
        ("https://x.org/daily/style.css", "https://x.org/daily/unsubscribe?address=a&token=b",
         "style.css"),
        ("https://x.org/daily/icons/", "https://x.org/daily/index.html", "icons/"),
        # Outside the site (an icon elsewhere, the original article): as it is.
        ("https://cdn.example.com/icon.png", "https://x.org/daily/index.html",
         "https://cdn.example.com/icon.png"),
        ("https://x.org/other/page.html", "https://x.org/daily/index.html",
         "https://x.org/other/page.html"),
    ],
)  # fmt: skip
def test_links_inside_the_site_are_relative(target: str, page: str, link: str) -> None:
    assert relative_link(target, page=page, base="https://x.org/daily/") == link
