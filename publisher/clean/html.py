"""Cleaning HTML pages: blocks from the markup, metadata from the head.

The page is parsed with lxml (recovering from broken markup) and walked once, in document
order, into :class:`~publisher.clean.scoring.Unit` blocks: each block-level element (p, h2,
li, blockquote, div text, ...) starts a new block; inline text joins the current one; text
inside links is counted for link density. In a grid table (cells of inline content only) a
row is one block, its cells joined by spaces, as a flattened page reads. Elements that
never hold article text (script, style, nav, aside, figure, forms' controls, hidden
elements, ...) are skipped whole. class/id names and ARIA roles give each block a markup
hint (inside an article body: +1; inside a comment box, share bar or sidebar: -1), used by
the shared scoring.

Metadata comes from the head (Open Graph, article:*, JSON-LD, canonical link, <html lang>)
and falls back to the visible text (a byline or dateline just before the body).

Pages libxml2 cannot fully parse (nesting deeper than its limit, parser errors) are reduced to
text with a tag-stripping fallback and cleaned as plain text.
"""

from __future__ import annotations

import contextlib
import functools
import html as htmllib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from publisher.clean import anchor, container, keep, links, media, metadata, scoring, stated
from publisher.clean.metadata import Head, read_head
from publisher.clean.scoring import Unit
from publisher.clean.text import TABLE_MIN_ROWS, attach_table, is_table_row
from publisher.models import BlockKind, Image

# Elements whose whole subtree is never article text.
SKIP_TAGS = frozenset(
    (
        "script",
        "style",
        "noscript",
        "iframe",
        "svg",
        "math",
        "template",
        "nav",
        "aside",
        "footer",
        "figure",
        "figcaption",
        "picture",
        "video",
        "audio",
        "canvas",
        "object",
        "embed",
        "map",
        "dialog",
        "menu",
        "button",
        "select",
        "option",
        "textarea",
        "input",
        "label",
        "header",
    )
)
# Elements that start a new block; text inside inline elements joins the enclosing block.
BLOCK_TAGS = frozenset(
    (
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dd",
        "dt",
        "blockquote",
        "pre",
        "section",
        "article",
        "main",
        "table",
        "tr",
        "td",
        "th",
        "tbody",
        "thead",
        "caption",
        "address",
        "center",
        "details",
        "summary",
        "hr",
        "br",
        "body",
        "html",
        "form",
        "fieldset",
        "header",
    )
)
_KIND_OF_TAG: dict[str, BlockKind] = {
    "h1": "heading", "h2": "heading", "h3": "heading", "h4": "heading", "h5": "heading",
    "h6": "heading", "li": "item", "dd": "item", "blockquote": "quote",
}  # fmt: skip

# class/id words of containers that hold the article text (markup semantics, positive).
# Both hint patterns are lower-case and matched against lower-cased names: IGNORECASE makes
# the negative one three times slower.
POSITIVE_HINT = re.compile(
    r"article[-_]?body|articlebody|article[-_]?content|article[-_]?text|entry[-_]?content|"
    r"post[-_]?(?:body|content|entry|text)|story[-_]?(?:body|content|text)|body[-_]?text|"
    r"content[-_]?body|main[-_]?content|rich[-_]?text|td-post-content",
)
# class/id words of containers that hold chrome around the article (negative).
# Matched at the start of a class/id word or of a part of it after "-" or "_", so that
# "post-comments" counts and "uncommented" does not.
NEGATIVE_HINT = re.compile(
    r"(?:^|[\s_-])(?:comment|related|share|sharing|sidebar|footer|navbar|navigation|"
    r"breadcrumb|newsletter|subscribe|signup|sign-up|promo|advert|sponsor|cookie|consent|"
    r"caption|credit|byline|author-?(?:bio|info|box)|tags|tag-list|popup|modal|recommend|"
    r"outbrain|taboola|disqus|masthead|toolbar|pagination|pager|trending|most-?popular|"
    r"more-?stories|read-?more|teaser|skip-link|banner|donat|paywall|login)",
)
# A layout wrapper that holds the content beside a sidebar names both ("content-sidebar-wrap",
# "panel-two-col-sidebar-right-mix", "content-with-sidebar", "has-sidebar"): the sidebar in
# its name is the page's shape, not what the element holds, so it gives no negative hint.
LAYOUT_SIDEBAR = re.compile(
    r"(?:content|col|columns?)[-_](?:with[-_])?(?:[a-z0-9]+[-_])?sidebars?|"
    r"(?:^|[\s_-])(?:no|has|with)[-_]sidebars?"
)
# Elements whose class names describe the whole page, not a part of it.
_PAGE_TAGS = frozenset(("html", "body", "main", "article", "form"))
# A negative-hinted container holding more than this share of the page's prose is the article.
MAJORITY = 0.4
_HEAD_TAGS = frozenset(("meta", "link", "title", "base"))
# Skipped elements that can hold the article's lead image.
_IMAGE_HOLDERS = frozenset(("figure", "picture"))
_UNWALKED_TAGS = SKIP_TAGS | _HEAD_TAGS
# Cells of a grid table (see is_grid_table): inline in their row, so that a row is one block
# with its cells joined by spaces ("1 Kyle Busch 5040 5"), as a flattened page shows it.
_CELL_TAGS = frozenset(("td", "th"))
# Block elements a grid table may hold: its own structure (anything else makes it layout).
_GRID_TAGS = frozenset(("table", "tbody", "thead", "tfoot", "tr", "td", "th", "caption"))
_NEGATIVE_ROLES = frozenset(("navigation", "complementary", "contentinfo", "banner", "dialog"))
# Attributes that can hide an element or give it a hint other than by class/id.
_RARE_ATTRIBUTES = frozenset(("hidden", "aria-hidden", "style", "itemprop", "role"))
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_DOCUMENT_END = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
# Characters after a page's </body> or </html> beyond which they hold another document.
TRAILING_DOCUMENT = 2000
_TAG = re.compile(r"<[^>]*>")
_DROP_ELEMENTS = re.compile(
    r"<(script|style|noscript|svg|iframe|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_BLOCK_BREAK = re.compile(
    r"<(?:/?(?:p|div|h[1-6]|li|br|tr|blockquote|section|article))\b[^>]*>", re.IGNORECASE
)


class ParseFailure(Exception):
    """lxml could not give a complete tree (too deep, or a parser error)."""


@dataclass(frozen=True)
class HtmlResult:
    """What the HTML cleaner found."""

    title: str
    units: list[Unit]
    published: datetime | None
    author: str | None
    site: str | None
    url: str | None
    language: str | None
    image: Image | None = None
    base: str | None = None  # what the units' relative links resolve against


def parse(text: str) -> etree._Element:
    """Parse a page with lxml; raise ParseFailure when the tree would be incomplete."""
    text = _XML_DECLARATION.sub("", text, count=1)
    root, errors = _parse(text)
    if any("misplaced <html>" in error for error in errors):
        # Another document after </html> (pages glued by a server or a scraper): browsers
        # show it in the same body, libxml2 stops at the first end. Without the end tags,
        # both documents' text is walked. libxml2's complaint about the second <html> is
        # the cheap sign (a search of every page for end tags costs a tenth of its parse).
        match = _DOCUMENT_END.search(text)
        if match is not None and len(text) - match.end() > TRAILING_DOCUMENT:
            root, errors = _parse(_DOCUMENT_END.sub(" ", text))
    return root


def _parse(text: str) -> tuple[etree._Element, list[str]]:
    """The tree of a page and libxml2's error messages (ParseFailure when incomplete)."""
    # lxml's plain parser, not lxml.html's: the same tree, but its elements need no Python
    # class lookup each time the walk touches one (a tenth of the walk's time).
    # UTF-8 is libxml2's own encoding: given a str, lxml hands it the str's Latin-1, UCS-2 or
    # UCS-4 buffer to transcode, which is slower than Python's encoder; the tree is the same.
    # A str that cannot be UTF-8 (lone surrogates), or that starts with an XML declaration
    # (lxml refuses a str that declares an encoding), still goes in as a str.
    # collect_ids=False: nothing looks elements up by id, and the id table costs time.
    source: str | bytes = text
    encoding = None
    if not text.startswith("<?xml"):
        with contextlib.suppress(UnicodeEncodeError):
            source, encoding = text.encode("utf-8"), "utf-8"
    parser = etree.HTMLParser(
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        collect_ids=False,
        encoding=encoding,
    )
    try:
        root = etree.fromstring(source, parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseFailure(str(exc)) from exc
    if root is None:
        raise ParseFailure("Document is empty")
    errors = [error.message for error in parser.error_log]
    for message in errors:
        if "depth" in message.lower():  # libxml2 drops everything below its depth limit
            raise ParseFailure(message)
    return root, errors


def strip_tags(text: str) -> str:
    """Plain text of a page without a parser: for pages lxml cannot handle."""
    text = _DROP_ELEMENTS.sub(" ", text)
    text = _BLOCK_BREAK.sub("\n", text)
    return htmllib.unescape(_TAG.sub(" ", text))


def to_units(root: etree._Element) -> tuple[list[Unit], Head]:
    """Walk the tree once into blocks (see the module docstring) and collect head metadata."""
    head = Head({}, [])
    units: list[Unit] = []
    parts: list[str] = []
    link_chars = 0
    # Per open block element: (kind, hint, hint source) of the block it starts.
    contexts: list[tuple[BlockKind, int, int]] = [("paragraph", 0, 0)]
    blocks: list[int] = [0]  # ids of the open block elements
    block_ids = itertools.count(1)
    # Per open element: its hint (nearest telling class/id) and the element that gave it.
    hints: list[tuple[int, int]] = [(0, 0)]
    sources: list[int] = []  # hint source of each unit
    source_count = 0
    in_link = 0
    # Open <article> elements: a <header> inside one holds the article's own deck and byline,
    # not the site's masthead, so it is walked like any block.
    articles = 0
    in_h1 = False
    skipped: etree._Element | None = None
    table: etree._Element | None = None  # the grid table being walked (its cells are inline)
    table_start = 0
    # Structure kept beside the text: per open <a>, (flushes before it, where its text starts
    # in parts, href); the closed links of the block being gathered, as (text, href); per open
    # list, whether it is numbered; the cells of the grid table's row being gathered.
    flushes = 0
    open_links: list[tuple[int, int, str] | None] = []
    anchors: list[tuple[str, str]] = []
    lists: list[bool] = []
    cells: list[str] = []
    header_cells = 0
    cell_start = 0

    def flush() -> None:
        nonlocal link_chars, flushes, header_cells
        flushes += 1
        joined = "".join(parts)
        parts.clear()
        # Most flushes hold only the whitespace between block tags: one C scan sees it.
        if joined and not joined.isspace():
            # A printable text has no blank but the space (no newline, tab or odd space): most
            # blocks are then already single-spaced, and splitting them would copy every word.
            text = joined.strip(" ")
            printable = text.isprintable()
            if not printable or "  " in text:
                text = " ".join(joined.split())
                printable = text.isprintable()
            if not printable or "\ufffd" in text:  # C scans; the regex rarely runs
                text = " ".join(scoring.CONTROL.sub(" ", text).split())
            if text:
                kind, hint, source = contexts[-1]
                sources.append(source)
                head.paths.append(tuple(blocks))
                words = scoring.weight(text)
                unit = Unit(
                    text,
                    kind,
                    words,
                    scoring.is_sentence(text, words),
                    scoring.link_density(link_chars, len(text)),
                    scoring.is_boilerplate(text),
                    hint,
                )
                if anchors:
                    unit.anchors = tuple(anchors)
                if kind == "item" and lists:
                    unit.ordered = lists[-1]
                if len(cells) > 1:
                    unit.cells = tuple(cells)
                    unit.header = header_cells == len(cells)
                units.append(unit)
        link_chars = 0
        if anchors:
            anchors.clear()
        if cells:
            cells.clear()
            header_cells = 0

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            tag = ""
        if event == "start":
            attributes: list[str] = []
            rare = False
            if tag not in _UNWALKED_TAGS:
                # Most elements carry none of the rarer attributes: one set test on their names
                # spares looking each one up (an lxml lookup costs as much as all the names).
                attributes = el.keys()
                rare = not _RARE_ATTRIBUTES.isdisjoint(attributes)
            if (tag in _UNWALKED_TAGS and not (articles and tag == "header")) or (
                rare and _hidden(el)
            ):
                if tag in _IMAGE_HOLDERS:
                    own = _hint(el, tag, el.keys(), False)
                    head.images.append((len(units), el, hints[-1][0] if own is None else own))
                read_head(el, tag, head)
                walker.skip_subtree()
                # A skipped element's "end" event comes next (it carries its tail text).
                skipped = el
                continue
            if tag == "article":
                articles += 1
            if tag == "time" and el.get("datetime") and "time" not in head.metas:
                head.metas["time"] = el.get("datetime") or ""
            # Only blocks read hints: an inline element with no child elements starts none.
            heads = attributes and (tag in BLOCK_TAGS or len(el))
            own = _hint(el, tag, attributes, rare) if heads else None
            if own is None:
                hints.append(hints[-1])
            else:
                source_count += 1
                hints.append((own, source_count))
            if table is not None and tag in _CELL_TAGS:
                parts.append(" ")
                cell_start = len(parts)
                header_cells += tag == "th"
            elif tag in BLOCK_TAGS:
                flush()
                if tag == "table" and table is None and is_grid_table(el):
                    table, table_start = el, len(units)
                elif tag == "ul" or tag == "ol":
                    lists.append(tag == "ol")
                kind = _KIND_OF_TAG.get(tag, "paragraph")
                parent_kind = contexts[-1][0]
                if parent_kind in ("quote", "item") and kind == "paragraph":
                    kind = parent_kind
                contexts.append((kind, *hints[-1]))
                blocks.append(next(block_ids))
            if tag == "a":
                in_link += 1
                href = el.get("href") if "href" in attributes else None
                open_links.append((flushes, len(parts), href) if href else None)
            elif tag == "h1":
                in_h1 = True
            elif tag == "img":
                head.images.append((len(units), el, hints[-1][0]))
            text = el.text
        else:
            if el is not skipped:
                hints.pop()
                if table is not None and tag in _CELL_TAGS:
                    cells.append(" ".join("".join(parts[cell_start:]).split()))
                    parts.append(" ")
                elif tag in BLOCK_TAGS:
                    flush()
                    contexts.pop()
                    blocks.pop()
                    if (tag == "ul" or tag == "ol") and lists:
                        lists.pop()
                    if el is table:
                        if _leads_in(units, table_start) and is_data_table(units[table_start:]):
                            head.tables.append((table_start - 1, table_start, len(units)))
                        table = None
                if tag == "a":
                    in_link -= 1
                    opened = open_links.pop() if open_links else None
                    # A link that spans blocks (a teaser card) is no inline link.
                    if opened is not None and opened[0] == flushes:
                        anchors.append(("".join(parts[opened[1] :]), opened[2]))
                elif tag == "article":
                    articles -= 1
                elif tag == "h1":
                    in_h1 = False
                    head.h1 += "\n"
            text = el.tail
        if text:
            parts.append(text)
            if in_link:
                link_chars += len(text.strip())
            if in_h1:
                head.h1 += text
    flush()
    _trust_majority(units, sources)
    return units, head


def _leads_in(units: list[Unit], at: int) -> bool:
    """True when the block before units[at] is a sentence: a table under it is the article's
    data (a table under a menu or a heading is a sidebar's, as in the text cleaner)."""
    return at > 0 and units[at - 1].sentence and units[at - 1].hint >= 0


def is_grid_table(el: etree._Element) -> bool:
    """A table whose cells hold only inline content (no paragraphs, lists, line breaks or
    nested tables): a grid of values, whose rows read as lines. Layout tables hold blocks."""
    return (
        not any(d.tag in BLOCK_TAGS and d.tag not in _GRID_TAGS for d in el.iterdescendants())
        and el.find(".//table") is None
    )


def is_data_table(rows: list[Unit]) -> bool:
    """Rows of a grid table that are data: at least TABLE_MIN_ROWS of them are rows of
    figures by the text cleaner's test (text.is_table_row), they are most of the rows, and
    they are not links (a table of headlines is a teaser list)."""
    data = sum(
        1
        for row in rows
        if row.links <= scoring.MAX_LINK_DENSITY and is_table_row(row.text, row.words)
    )
    return data >= TABLE_MIN_ROWS and 2 * data >= len(rows)


def _trust_majority(units: list[Unit], sources: list[int]) -> None:
    """Clear negative hints of a container that holds most of the page's prose.

    Class names are chosen by designers, not for us: a wrapper called "content-with-sidebar"
    that holds the article is not a sidebar. Chrome is by definition the smaller part.
    """
    prose: dict[int, int] = {}
    total = 0
    for unit, source in zip(units, sources, strict=True):
        if scoring.is_prose(unit):
            total += unit.words
            if unit.hint < 0:
                prose[source] = prose.get(source, 0) + unit.words
    for source, words in prose.items():
        if words > MAJORITY * total:
            for unit, unit_source in zip(units, sources, strict=True):
                if unit_source == source:
                    unit.hint = 0


def _hidden(el: etree._Element) -> bool:
    """Elements the reader never sees."""
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return style is not None and "display:none" in style.replace(" ", "").lower()


def _hint(el: etree._Element, tag: str, attributes: list[str], rare: bool) -> int | None:
    """Markup hint of an element from its class/id/role/itemprop; None if they tell nothing.

    attributes are the element's attribute names; rare tells whether one of them is in
    _RARE_ATTRIBUTES (which holds itemprop and role).
    """
    if rare:
        if el.get("itemprop") == "articleBody":
            return 1
        if el.get("role") in _NEGATIVE_ROLES:
            return -1
    if tag in _PAGE_TAGS:
        return None
    # An attribute lookup costs as much as listing the names: only the present ones are read
    # (most elements have a class and no id). Neither hint pattern can match across the space
    # between the two, nor use it at either end, so the class or id alone gives the same hint.
    if "class" in attributes:
        if "id" in attributes:
            return names_hint(f"{el.get('class')} {el.get('id')}")
        return names_hint(el.get("class") or "")
    if "id" in attributes:
        return names_hint(el.get("id") or "")
    return None


@functools.lru_cache(maxsize=4096)
def names_hint(names: str) -> int | None:
    """Hint of a class/id string: +1 for an article body, -1 for chrome, None otherwise.

    Cached: a page repeats the same few class strings on hundreds of elements, and the two
    searches cost more than the rest of an element's walk.
    """
    names = names.lower()
    if POSITIVE_HINT.search(names):
        return 1
    if NEGATIVE_HINT.search(names):
        if "sidebar" in names and NEGATIVE_HINT.search(LAYOUT_SIDEBAR.sub(" ", names)) is None:
            return None
        return -1
    return None


def extract(
    root: etree._Element,
    units: list[Unit],
    head: Head,
    reference: datetime,
    known: Sequence[bool] = (),
    url: str | None = None,
) -> HtmlResult:
    """Title, body units and metadata of a parsed page, from its to_units() walk.

    known, when not empty, flags the units that are known cross-document boilerplate (one flag
    per unit). The units are relabelled in place: a second extraction needs a new walk.
    """
    if known:
        for unit, boiler in zip(units, known, strict=True):
            if boiler:
                unit.boiler = True
    site = head.metas.get("og:site_name") or None
    page_url = head.canonical or head.metas.get("og:url") or url
    if page_url and not page_url.startswith(("http://", "https://")):
        page_url = url
    if site is None and page_url:
        site = urlsplit(page_url).hostname or None
    raw_title = head.metas.get("og:title") or _first_line(head.h1) or head.title
    title = metadata.strip_site(" ".join(raw_title.split()), site)
    # A gallery's slides end the article, inside its marked body too (see anchor.py).
    slides = anchor.slide_counters(lambda i: units[i].text, len(units))
    for i in slides:
        units[i].boiler = True
    kept = keep.select(
        units, title, raw_title=head.title, **_anchored(units, title, head, reference, slides)
    )
    kept = container.within_marked_body(kept)
    titles = {scoring.normalise(title), scoring.normalise(head.title)}
    body = [
        u
        for u in container.within_container(units, head.paths, kept, frozenset(slides))
        if scoring.normalise(u.text) not in titles
    ]
    for lead, table_start, table_end in head.tables:
        attach_table(body, units[lead], units[table_start:table_end])
    first_body = next((i for i, unit in enumerate(units) if body and unit is body[0]), 0)
    last_body = max((i for i, unit in enumerate(units) if body and unit is body[-1]), default=0)
    nearby = units[max(0, first_body - 8) : first_body]
    published = metadata.published(head, reference) or stated.article_date(
        lambda i: units[i].text,
        len(units),
        first_body,
        last_body,
        reference,
        range(max(0, first_body - 8), first_body),
    )
    author = metadata.author(head) or next(
        (a for u in nearby if (a := scoring.byline_author(u.text))), None
    )
    language = root.get("lang") or head.metas.get("og:locale") or None
    base = links.base_url(page_url, head.base)
    image = media.lead_image(head, first_body, last_body, base) if body else None
    return HtmlResult(
        title, body, published, author, site, page_url,
        language.strip() if language else None, image, base,
    )  # fmt: skip


def _anchored(
    units: list[Unit], title: str, head: Head, reference: datetime, slides: Sequence[int] = ()
) -> dict[str, Any]:
    """select()'s values and region, with the page's landmarks (see anchor.py): comment
    signatures and a gallery's slide counters priced as barriers, and the region moved to
    the lead under the headline (every unit that states the title or one of the page's <h1>
    lines)."""
    repeats = scoring.repeated(units)
    values = [scoring.unit_value(u, repeat) for u, repeat in zip(units, repeats, strict=True)]
    signatures = anchor.signatures(lambda i: units[i].text, len(units), reference)
    anchor.price_signatures(values, signatures)
    anchor.price_signatures(values, slides)
    anchor.price_teasers(values, anchor.teaser_excerpts(lambda i: units[i].text, len(units)))
    region = scoring.densest_region(values)
    headlines = {scoring.normalise(line) for line in (title, *head.h1.split("\n"))} - {""}
    leads = [
        anchor.lead_after(values, i)
        for i, unit in enumerate(units)
        # A copy in chrome or in a linked line (a breadcrumb, a menu) is not the article's
        # headline; a linked heading is (a blog's title links to the post's own page).
        if unit.words <= anchor.MAX_HEADLINE_WORDS
        and not (unit.boiler or unit.hint < 0)
        and (unit.kind == "heading" or unit.links <= scoring.MAX_LINK_DENSITY)
        and scoring.normalise(unit.text) in headlines
    ]
    found = [lead for lead in leads if lead is not None]
    return {
        "values": values,
        "region": anchor.anchored_region(values, leads, region),
        "leads": found,
    }


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.split("\n") if line.strip()), "")
