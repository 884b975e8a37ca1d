"""The HTML cleaner: blocks from markup, metadata from the head, chrome dropped."""

from __future__ import annotations

from datetime import UTC, datetime

from publisher.clean import clean, container, html, scoring
from publisher.models import Article, RawDocument

P = "<p>{} is what the reporters found when they visited the town on a cold Friday night.</p>"
BODY = "".join(P.format(f"Paragraph {i}") for i in range(6))


def page(body: str = BODY, head: str = "", lang: str = "en") -> str:
    return f'<html lang="{lang}"><head>{head}</head><body>{body}</body></html>'


def doc(text: str, kind: str = "html", url: str | None = None) -> RawDocument:
    return RawDocument(
        source="page.html", key="page.html", group="site", text=text, kind=kind,  # type: ignore[arg-type]
        encoding="utf-8", mtime=datetime(2026, 1, 1, tzinfo=UTC).timestamp(), size=len(text),
        content_hash="0" * 64, url=url,
    )  # fmt: skip


def article(text: str, url: str | None = None) -> Article:
    result = clean(doc(text, url=url))
    assert isinstance(result, Article), result
    return result


def test_metadata_from_the_head() -> None:
    head = (
        "<title>Big story - The Daily</title>"
        '<meta property="og:title" content="Big story">'
        '<meta property="og:site_name" content="The Daily">'
        '<meta property="article:published_time" content="2021-08-05T10:30:00Z">'
        '<meta name="author" content="Jane Doe">'
        '<link rel="canonical" href="https://daily.example/big-story">'
    )
    result = article(page(head=head))
    assert result.title == "Big story"
    assert result.site == "The Daily"
    assert result.url == "https://daily.example/big-story"
    assert result.published == datetime(2021, 8, 5, 10, 30, tzinfo=UTC)
    assert result.author == "Jane Doe"
    assert result.language == "en"


def test_title_falls_back_to_h1_then_title_without_site() -> None:
    assert article(page("<h1>The headline</h1>" + BODY)).title == "The headline"
    assert article(page(head="<title>The headline | Daily News</title>")).title == "The headline"


def test_site_falls_back_to_the_host() -> None:
    assert article(page(), url="https://news.example.org/a").site == "news.example.org"


def test_json_ld_date_and_author() -> None:
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": '
        '"2019-11-19T06:21:00-05:00", "author": {"@type": "Person", "name": "Michael Smith"}}'
        "</script>"
    )
    result = article(page(head=ld))
    assert result.published is not None and result.published.isoformat() == (
        "2019-11-19T06:21:00-05:00"
    )
    assert result.author == "Michael Smith"


def test_body_excludes_title_and_chrome() -> None:
    body = (
        "<nav><a href='/'>Home</a><a href='/news'>News</a></nav>"
        "<h1>The headline</h1>"
        + BODY
        + "<div class='share-bar'><p>Share this story with all of your friends today.</p></div>"
        + "<footer><p>© 2020 The Daily. All rights reserved everywhere, always.</p></footer>"
        + "<script>var x = 'Paragraph injected by script that is long enough.';</script>"
    )
    result = article(page(body))
    text = result.body
    assert "Home" not in text and "Share this" not in text and "©" not in text
    assert "injected" not in text and "The headline" not in text
    assert text.count("Paragraph") == 6


def test_block_kinds_from_markup() -> None:
    body = (
        P.format("Opening")
        + "<h2>A section</h2>"
        + P.format("Second")
        + "<blockquote><p>We will take all measures to protect the city, he said.</p></blockquote>"
        + "<ul><li>The first point of the plan is a ceasefire.</li>"
        "<li>The second point of the plan is an election.</li></ul>" + P.format("Closing")
    )
    kinds = [(b.kind, b.text[:12]) for b in article(page(body)).blocks]
    assert ("heading", "A section") in kinds
    assert ("quote", "We will take") in kinds
    assert [k for k, _ in kinds].count("item") == 2


def test_link_lists_are_dropped() -> None:
    links = "".join(
        f"<li><a href='/{i}'>Another story number {i} you may like</a></li>" for i in range(8)
    )
    result = article(page(BODY + f"<ul>{links}</ul>"))
    assert "Another story" not in result.body


def test_hidden_elements_are_dropped() -> None:
    hidden = (
        "<div hidden><p>Secret paragraph that nobody sees but is long enough to count.</p></div>"
    )
    styled = (
        "<div style='display: none'><p>Invisible words that are long enough to count.</p></div>"
    )
    result = article(page(BODY + hidden + styled))
    assert "Secret" not in result.body and "Invisible" not in result.body


def test_chrome_container_that_holds_the_article_is_trusted() -> None:
    wrapped = f"<div class='content-with-sidebar'>{BODY}</div>"
    assert article(page(wrapped)).body.count("Paragraph") == 6


def test_a_layout_wrapper_named_for_its_sidebar_is_no_chrome() -> None:
    assert html.names_hint("panel-display panel-two-col-sidebar-right-mix") is None
    assert html.names_hint("content-sidebar-wrap") is None
    assert html.names_hint("no-sidebars") is None
    assert html.names_hint("sidebar-right") == -1
    assert html.names_hint("primary-sidebar") == -1
    # One article whose paragraphs are mostly marked as body text: the unmarked ones (its
    # lead among them) are not a sidebar's because the layout wrapper names one.
    paragraphs = "".join(
        (P if i in (0, 4) else f"<p class='body-text'>{P[3:-4]}</p>").format(f"Paragraph {i}")
        for i in range(10)
    )
    sidebar = "<div class='sidebar'><p>Sign up for our newsletter and more today.</p></div>"
    wrapped = f"<div class='panel-two-col-sidebar-right-mix'><div>{paragraphs}</div>{sidebar}</div>"
    assert article(page(wrapped)).body.count("Paragraph") == 10


def test_a_list_introduced_right_above_the_first_paragraph_opens_the_article() -> None:
    tools = ["Cloche", "Floral foam oasis", "Ruler", "Spoon", "Small plants from a nursery"]
    items = "".join(f"<li>{tool}</li>" for tool in tools)
    menu = "".join(f"<li><a href='/{i}'>Section {i}</a></li>" for i in range(5))
    body = f"<ul>{menu}</ul><p>What You'll Need:</p><ul>{items}</ul><p>Step 1</p>{BODY}"
    result = article(page(body)).body
    assert result.startswith("What You'll Need:") and all(tool in result for tool in tools)
    assert "Step 1" in result and "Section" not in result
    # Without its lead-in, a list above the article is a sidebar's.
    result = article(page(f"<ul>{items}</ul>{BODY}")).body
    assert "Ruler" not in result


def test_tail_text_after_skipped_elements_is_kept() -> None:
    body = "<p>The mayor <script>x()</script>said the city is safe again after a long night.</p>"
    result = article(page(BODY + body))
    assert "The mayor said the city is safe again" in result.body


def test_strip_tags_fallback() -> None:
    text = html.strip_tags("<div><p>One &amp; two</p><script>bad()</script><p>three</p></div>")
    assert "One & two" in text and "three" in text and "bad" not in text


def test_parse_rejects_too_deep_trees() -> None:
    deep = "<div>" * 5000 + "text" + "</div>" * 5000
    try:
        html.parse(deep)
    except html.ParseFailure:
        return
    raise AssertionError("a tree deeper than libxml2's limit must not pass as complete")


def test_prose_past_a_teaser_box_in_the_article_container_is_kept() -> None:
    teasers = "".join(
        f"<p><a href='/{i}'>Another story number {i} that you may like</a></p>" for i in range(3)
    )
    body = (
        "<div class='story'>"
        + BODY
        + "<h3>Don't miss</h3>"
        + teasers
        + P.format("After the box")
        + "</div><div class='more'>"
        + P.format("Unrelated teaser")
        + "</div>"
    )
    text = article(page(body)).body
    assert "After the box" in text
    assert "Another story" not in text


def test_the_article_container_ends_at_its_comment_section() -> None:
    # The comments sit in the article's container, under its header, each a barrier apart
    # (a numbered name and date): their prose is not the article's however long it runs.
    comments = "".join(
        f"<p>{n}. Reader{n} - October 26, 2012</p>"
        f"<p>{n}. I think the {n}th paragraph was wrong about the town and its cold nights.</p>"
        for n in range(1, 7)
    )
    body = f"<div class='story'>{BODY}<h3>Comments »</h3>{comments}</div>"
    text = article(page(body)).body
    assert "Paragraph 5" in text
    assert "Reader" not in text and "I think" not in text


def test_a_list_of_cut_teasers_after_a_short_article_is_not_kept() -> None:
    short = "".join(P.format(f"Paragraph {i}") for i in range(2))
    teasers = "".join(
        f"<h3>Another Car Number {n} Looks Almost the Same</h3><p>The new car number {n} looks "
        "almost the same as its older versions, but there seems to be a significant "
        "improvement in what it does for the driver on the road and in the city [...]</p>"
        for n in range(6)
    )
    text = article(page(f"<div>{short}</div><div>{teasers}</div>")).body
    assert "Paragraph 1" in text
    assert "Another Car" not in text and "The new car" not in text


def test_a_long_unmarked_notice_after_the_marked_article_body_is_not_kept() -> None:
    short = "".join(P.format(f"Paragraph {i}") for i in range(4))
    headlines = "".join(
        f"<p><a href='/{i}'>Headline number {i} of the day</a></p>" for i in range(6)
    )
    notice = (
        "<p>"
        + " ".join(
            f"The mark number {i} is a registered trademark of the league." for i in range(9)
        )
        + "</p>"
    )
    body = f"<div><div class='article-body'>{short}</div><div>{headlines}{notice}</div></div>"
    text = article(page(body)).body
    assert "Paragraph 3" in text
    assert "trademark" not in text


def test_the_article_stated_again_in_its_container_is_kept_once() -> None:
    # A print version after the article, in the same marked body: its paragraphs are
    # repeats, so the density stops before them, and the container does not take them back.
    body = f"<div class='article-body'>{BODY}<h3>Events</h3>{BODY}</div>"
    text = article(page(body)).body
    assert text.count("Paragraph 0") == 1
    assert text.count("Paragraph 5") == 1


def test_container_restricts_the_body() -> None:
    body = f"<div><div>{BODY}</div></div><div><p>{'Short bits. ' * 3}</p></div>"
    units, head = html.to_units(html.parse(page(body)))
    kept = [u for u in units if "Paragraph" in u.text]
    assert container.within_container(units, head.paths, kept) == kept


ROWS = "".join(
    f"<tr><td>{i}</td><td>Driver {i}</td><td>{5000 - 7 * i}</td><td>{i % 3}</td></tr>"
    for i in range(1, 7)
)
LEAD = "<p>The final standings of the series after all of the races were these:</p>"


def test_grid_table_rows_are_lines_and_layout_tables_are_not_grids() -> None:
    grid = f"<table><tr><th>Pos.</th><th>Driver</th></tr>{ROWS}</table>"
    units, _ = html.to_units(html.parse(page(grid)))
    assert [u.text for u in units][:2] == ["Pos. Driver", "1 Driver 1 4993 1"]
    root = html.parse(page(grid + "<table><tr><td><p>A paragraph</p></td></tr></table>"))
    grids = [html.is_grid_table(t) for t in root.iter("table")]
    assert grids == [True, False]


def test_data_table_is_rows_of_figures() -> None:
    units, _ = html.to_units(html.parse(page(f"<table>{ROWS}</table>")))
    assert html.is_data_table(units)
    assert not html.is_data_table(units[:3])  # too few rows
    words = [scoring.Unit(f"Label {i} of the menu", words=5) for i in range(9)]
    assert not html.is_data_table(units + words)  # mostly not figures


def test_data_table_under_its_lead_in_is_kept_at_the_end_of_the_article() -> None:
    body = f"<div>{BODY}{LEAD}<table>{ROWS}</table></div><div><p>Home</p></div>"
    lines = [block.text for block in article(page(body)).blocks]
    assert lines[-7:] == [
        "The final standings of the series after all of the races were these:"
    ] + [f"{i} Driver {i} {5000 - 7 * i} {i % 3}" for i in range(1, 7)]


def test_data_table_under_a_heading_is_not_attached() -> None:
    _, head = html.to_units(html.parse(page(f"{BODY}<h3>Standings</h3><table>{ROWS}</table>")))
    assert head.tables == []
    _, head = html.to_units(html.parse(page(f"{BODY}{LEAD}<table>{ROWS}</table>")))
    assert head.tables == [(6, 7, 13)]


def test_short_lines_that_open_a_marked_article_body_are_kept() -> None:
    items = "".join(f"<li>{name}</li>" for name in ("New levels", "Bugs fixed"))
    body = f"<div class='entry-content'><p><b>What is new?</b></p><ul>{items}</ul>{BODY}</div>"
    blocks = [
        block.text for block in article(page("<div><a href='/'>Home</a></div>" + body)).blocks
    ]
    assert blocks[:4] == ["What is new?", "New levels", "Bugs fixed", P.format("Paragraph 0")[3:-4]]


def test_digest_items_with_linked_headlines_stay_in_the_article() -> None:
    item = "<li><a href='/{0}'>Story {0} made the news across the whole country</a>. {1}</li>"
    summary = "It was confirmed by the company on Monday evening."
    items = "".join(item.format(i, summary) for i in range(3))
    links = "".join(
        f"<li><a href='/m{i}'>Menu entry number {i} of the site</a></li>" for i in range(3)
    )
    body = f"<div>{BODY}<ul>{items}{links}</ul>{BODY.replace('Paragraph', 'Part')}</div>"
    text = article(page(body)).body
    assert "Story 2 made the news" in text
    assert "Menu entry" not in text


def test_repeated_short_lines_inside_the_article_are_its_structure() -> None:
    day = "<h3>Breakfast</h3><p>Two eggs, toast and a cup of tea.</p>"
    body = f"<div class='post'>{BODY}{day}{day}{BODY.replace('Paragraph', 'Part')}</div>"
    blocks = [block.text for block in article(page(body)).blocks]
    assert blocks.count("Breakfast") == 2


def test_parse_reads_text_of_any_width_and_charset_declaration() -> None:
    # parse hands lxml UTF-8 bytes when it can: the text must come out the same whatever the
    # str's width (Latin-1, UCS-2, UCS-4) and whatever charset the page declares.
    meta = "<meta charset='iso-8859-1'>"
    for words in ("café au lait", "“quoted” — dash", "emoji 😀 here", "\ufeffbom"):
        root = html.parse(page(f"<p>{words}</p>", head=meta))
        assert root.findtext(".//p") == words
    # A lone surrogate cannot be UTF-8: the str goes to lxml as it is.
    root = html.parse(page("<p>half \ud800 pair</p>"))
    assert (root.findtext(".//p") or "").startswith("half")


def test_an_articles_own_header_holds_its_deck_the_pages_header_is_the_masthead() -> None:
    # HTML5 templates put the deck (standfirst) in <article><header>; the page's <header>
    # is the site's masthead and menu.
    deck = (
        "Neuroscience tells us that most of the work done by our brains happens on an "
        "unconscious level, but when does that moment of insight occur?"
    )
    masthead = (
        "<header><p>The Daily Example is the newspaper of record for the whole of the "
        "river valley and its towns.</p><ul><li>News</li><li>Sport</li></ul></header>"
    )
    body = f"{masthead}<article><header><h1>The headline</h1><p>{deck}</p></header>{BODY}</article>"
    text = article(page(body)).body
    assert text.startswith(deck)
    assert "newspaper of record" not in text


def test_a_head_date_in_the_future_is_not_the_published_date() -> None:
    head = '<meta property="article:published_time" content="2031-08-05T10:30:00Z">'
    body = "<p>Posted: 18 Nov 2019</p>" + BODY
    assert article(page(body, head=head)).published == datetime(2019, 11, 18, tzinfo=UTC)


def test_a_second_document_glued_after_the_first_is_read() -> None:
    first = "<html><body><p>Bluefield, WV</p><p>Currently: Clear</p></body></html>"
    script = "<script>" + "x = 1;\n" * 400 + "</script>"
    second = f"<!DOCTYPE html><html><head><title>Big story</title></head><body>{BODY}</body></html>"
    result = article(first + script + second)
    assert [b.text for b in result.blocks][:1] == [
        "Paragraph 0 is what the reporters found when they visited the town on a cold Friday night."
    ]


def test_a_run_of_key_points_is_kept_in_the_article() -> None:
    points = "".join(f"<p>+ Added feature number {i} to the game</p>" for i in range(12))
    body = P.format("Paragraph 0") + points + P.format("Paragraph 1")
    result = article(page(body + "<p><a href='/a'>Home</a></p>"))
    assert sum(1 for b in result.blocks if b.text.startswith("+ Added feature")) == 12
