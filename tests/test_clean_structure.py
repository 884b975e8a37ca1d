"""The typed body: links, lists, tables and the lead image the cleaner keeps, how the store
encodes them (older payloads still decode), and how render.markup shows them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from publisher.clean import clean, links, text
from publisher.models import Article, Block, Image, Link, RawDocument
from publisher.render.markup import body_html
from publisher.store.payload import StoredArticle

SENTENCE = "is what the reporters found when they visited the town on a cold Friday night."
BODY = "".join(f"<p>Paragraph {i} {SENTENCE}</p>" for i in range(5))
MORE = "".join(f"<p>Paragraph {i} {SENTENCE}</p>" for i in range(5, 10))
URL = "https://daily.example/news/big-story"


def page(body: str, head: str = "") -> str:
    head = f'<link rel="canonical" href="{URL}">{head}'
    return f"<html><head>{head}</head><body><article>{body}</article></body></html>"


def article(markup: str, kind: str = "html") -> Article:
    doc = RawDocument(
        source="p", key="p", group="site", text=markup, kind=kind,  # type: ignore[arg-type]
        encoding="utf-8", mtime=datetime(2026, 1, 1, tzinfo=UTC).timestamp(),
        size=len(markup), content_hash="0" * 64,
    )  # fmt: skip
    result = clean(doc)
    assert isinstance(result, Article), result
    return result


def linked(result: Article) -> list[tuple[str, str]]:
    return [(b.text[k.start : k.end], k.href) for b in result.blocks for k in b.links]


def test_inline_links_are_absolute_and_clean() -> None:
    body = (
        '<p>The <a href="/report?id=7&utm_source=x&fbclid=abc">report</a> and '
        '<a href="https://other.example/a?b=1">another one</a> were read by the '
        '<a href="javascript:alert(1)">council</a>, see <a href="#notes">the notes</a>, '
        "on Friday night in the town hall.</p>"
    )
    result = article(page(body + BODY))
    assert linked(result) == [
        ("report", "https://daily.example/report?id=7"),
        ("another one", "https://other.example/a?b=1"),
    ]
    assert result.blocks[0].text.startswith("The report and another one were read by the council")


def test_links_resolve_against_base_href_and_need_a_base() -> None:
    assert links.resolve("a/b", links.base_url(URL, "https://cdn.example/x/")) == (
        "https://cdn.example/x/a/b"
    )
    assert links.resolve("/relative", None) is None
    assert links.resolve("mailto:desk@daily.example", None) == "mailto:desk@daily.example"
    assert links.resolve("data:text/html,hi", URL) is None
    assert links.resolve(f"{URL}#comments", URL) is None  # the page itself


def test_ordered_and_unordered_lists() -> None:
    lists = (
        "<p>The recipe needs these steps, in this order, done on a Friday night:</p>"
        "<ol><li>Preheat the oven</li><li>Mix the flour</li></ol>"
        "<p>And these things, in any order, from the market on the corner:</p>"
        "<ul><li>Eggs</li><li>Milk</li></ul>"
    )
    result = article(page(BODY + lists + MORE))
    items = [(b.text, b.ordered) for b in result.blocks if b.kind == "item"]
    assert items == [
        ("Preheat the oven", True),
        ("Mix the flour", True),
        ("Eggs", False),
        ("Milk", False),
    ]
    html = body_html(result)
    assert "<ol><li>Preheat the oven</li><li>Mix the flour</li></ol>" in html
    assert "<ul><li>Eggs</li><li>Milk</li></ul>" in html


def test_a_data_table_keeps_its_cells() -> None:
    rows = "".join(f"<tr><td>{i}</td><td>Driver {i}</td><td>{5000 - i}</td></tr>" for i in range(6))
    table = (
        "<p>The final standings of the series after all of the races were these:</p>"
        f"<table><tr><th>Pos</th><th>Driver</th><th>Points</th></tr>{rows}</table>"
    )
    result = article(page(BODY + table + MORE))
    got = [(b.cells, b.header) for b in result.blocks if b.kind == "row"]
    assert got[0] == (("Pos", "Driver", "Points"), True)
    assert got[1] == (("0", "Driver 0", "5000"), False)
    assert "0 Driver 0 5000" in result.body  # the plain text reads as the flattened page
    assert "<table><tbody><tr><th>Pos</th><th>Driver</th><th>Points</th></tr><tr><td>0</td>" in (
        body_html(result)
    )


def test_lead_image_from_the_articles_figure_with_alt_and_credit() -> None:
    figure = (
        '<figure><img src="/img/harbour.jpg" alt="The harbour at dawn" width="800" '
        'height="450"><figcaption>Boats at dawn. <span class="credit">Jane Doe/Agency'
        "</span></figcaption></figure>"
    )
    head = '<meta property="og:image" content="https://daily.example/og.jpg">'
    result = article(page(figure + BODY, head))
    assert result.image == Image(
        "https://daily.example/img/harbour.jpg", "The harbour at dawn", "Jane Doe/Agency", 800, 450
    )
    assert "Boats at dawn" not in result.body


def test_lead_image_falls_back_to_og_image_never_a_pixel() -> None:
    pixel = '<img src="https://track.example/pixel.gif" width="1" height="1">'
    head = (
        '<meta property="og:image" content="https://daily.example/photo.jpg">'
        '<meta property="og:image:alt" content="A photo">'
    )
    assert article(page(pixel + BODY, head)).image == Image(
        "https://daily.example/photo.jpg", "A photo"
    )
    assert article(page(pixel + BODY)).image is None
    logo = '<meta property="og:image" content="https://daily.example/static/logo.png">'
    assert article(page(BODY, logo)).image is None


def test_lead_image_from_json_ld() -> None:
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"image": {"@type": "ImageObject", "url": "https://daily.example/ld.jpg"}}</script>'
    )
    assert article(page(BODY, head)).image == Image("https://daily.example/ld.jpg")


def test_numbered_lines_of_a_text_scrape_are_a_numbered_list() -> None:
    lines = [
        "How to bake bread at home",
        *[f"Paragraph {i} {SENTENCE}" for i in range(3)],
        "1. Preheat the oven",
        "2. Mix the flour and the water",
        "3. Bake it for forty minutes",
        *[f"Paragraph {i} {SENTENCE}" for i in range(3, 6)],
    ]
    body = text.extract(text.scan("\n".join(lines)), datetime(2026, 1, 1, tzinfo=UTC)).units
    items = [(u.text, u.kind, u.ordered) for u in body if u.kind == "item"]
    assert items == [
        ("1. Preheat the oven", "item", True),
        ("2. Mix the flour and the water", "item", True),
        ("3. Bake it for forty minutes", "item", True),
    ]
    result = article("\n".join(lines), "text")
    assert "<ol><li>Preheat the oven</li><li>Mix the flour" in body_html(result)


def stored(article: Article) -> StoredArticle:
    return StoredArticle(article, ("One.",), ("word",), 1, (("word", 2),), (1, 2))


def test_the_payload_keeps_the_structure_and_plain_blocks_encode_as_before() -> None:
    blocks = (
        Block("paragraph", "Read the report.", links=(Link(9, 15, "https://a.example/r"),)),
        Block("item", "First", ordered=True),
        Block("row", "a 1", cells=("a", "1"), header=True),
        Block("heading", "Plain"),
    )
    typed = Article("s", "k", "T", blocks, image=Image("https://a.example/i.jpg", "alt"))
    assert StoredArticle.decode(stored(typed).encode()) == stored(typed)
    assert '["heading", "Plain"]' in stored(typed).encode()


def test_a_payload_stored_before_the_body_was_typed_still_decodes() -> None:
    old = (
        '{"article": {"author": null, "blocks": [["paragraph", "Hello."], ["item", "One"]], '
        '"key": "k", "language": null, "published": null, "site": null, "source": "s", '
        '"title": "T", "url": null}, "fingerprint": [1], "keywords": [], '
        '"reading_minutes": 1, "summary": ["Hello."], "terms": []}'
    )
    decoded = StoredArticle.decode(old)
    assert decoded.article.blocks == (Block("paragraph", "Hello."), Block("item", "One"))
    assert decoded.encode() == old  # and encodes to the same bytes


def test_markup_renders_plain_blocks_as_before_and_links_safely() -> None:
    plain = Article("s", "k", "T", (Block("paragraph", "A <b>"), Block("item", "x")))
    assert body_html(plain) == "<p>A &lt;b&gt;</p><ul><li>x</li></ul>"
    hostile = Block("paragraph", "Click me now", links=(Link(0, 5, "javascript:alert(1)"),))
    html = body_html(Article("s", "k", "T", (hostile,)))
    assert html == "<p>Click me now</p>"
    good = Block("paragraph", "Read it", links=(Link(5, 7, 'https://a.example/?q="x"'),))
    assert body_html(Article("s", "k", "T", (good,))) == (
        '<p>Read <a href="https://a.example/?q=&quot;x&quot;" rel="noopener noreferrer">it</a></p>'
    )


@pytest.mark.parametrize("credit", [None, "Jane Doe"])
def test_markup_renders_the_lead_image_first(credit: str | None) -> None:
    image = Image("https://a.example/i.jpg", "A harbour", credit, 800, 450)
    html = body_html(Article("s", "k", "T", (Block("paragraph", "Text."),), image=image))
    caption = f"<figcaption>{credit}</figcaption>" if credit else ""
    assert html == (
        '<figure><img src="https://a.example/i.jpg" alt="A harbour" width="800" height="450">'
        f"{caption}</figure><p>Text.</p>"
    )
