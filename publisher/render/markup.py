"""Safe HTML for article bodies, shared by the feeds and the archive.

An article body is typed (models.Block): plain text with its structure beside it (inline
links, numbered and bulleted lists, table rows, quotes, subheadings) and a lead image. The
markup made here is escaped text in a few structural tags, links and the image as the
cleaner resolved them; everything is still passed through an allow-list sanitizer, so no
output of ours can carry active content whatever the input held. A body without links,
rows, numbered items or an image renders exactly as it did before the body was typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from html import escape
from itertools import groupby

import nh3

from ..models import Article, Block, Image

ALLOWED_TAGS = frozenset(
    {"p", "h2", "h3", "blockquote", "ul", "ol", "li", "a", "em", "strong", "br", "span"}
)
# What an article body may hold besides: its tables and its lead image.
BODY_TAGS = ALLOWED_TAGS | {
    "table", "thead", "tbody", "tr", "th", "td", "figure", "img", "figcaption",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

_TAG = {"paragraph": "p", "heading": "h2", "quote": "blockquote"}
_NUMBER = re.compile(r"\d{1,3}[.)]\s+(?=\S)")


def sanitize(
    html: str,
    *,
    attribute_filter: Callable[[str, str, str], str | None] | None = None,
    tags: frozenset[str] = ALLOWED_TAGS,
) -> str:
    """Keep only structural tags (``tags``: by default no tables or images) and http(s)/mailto
    links: no script, style, handlers, frames.

    ``attribute_filter(element, attribute, value)`` may rewrite each kept attribute's value
    (None drops the attribute), as nh3 defines it.
    """
    return nh3.clean(
        html,
        tags=set(tags),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=attribute_filter,
    )


def body_html(article: Article) -> str:
    """The article body as sanitized HTML: the lead image, then paragraphs, subheadings,
    quotes, lists and tables, with their inline links."""
    image = _image_html(article.image) if article.image else ""
    return sanitize(image + "".join(_blocks_html(article.blocks)), tags=BODY_TAGS)


def _blocks_html(blocks: Iterable[Block]) -> Iterator[str]:
    # Runs of items make one list (numbered or not), runs of rows one table.
    for (kind, ordered), run in groupby(blocks, key=lambda b: (b.kind, b.ordered)):
        if kind == "item":
            tag = "ol" if ordered else "ul"
            items = "".join(f"<li>{_inline(_unnumbered(block, ordered))}</li>" for block in run)
            yield f"<{tag}>{items}</{tag}>"
        elif kind == "row":
            rows = "".join(_row_html(block) for block in run)
            yield f"<table><tbody>{rows}</tbody></table>"
        else:
            tag = _TAG.get(kind, "p")
            yield from (f"<{tag}>{_inline(block)}</{tag}>" for block in run)


def _unnumbered(block: Block, ordered: bool) -> Block:
    """An item of a numbered list without the number its text may start with ("1. Mix"):
    the list numbers itself. Its links move with the text."""
    match = _NUMBER.match(block.text) if ordered else None
    if match is None:
        return block
    cut = match.end()
    moved = tuple(
        replace(link, start=link.start - cut, end=link.end - cut)
        for link in block.links
        if link.start >= cut
    )
    return replace(block, text=block.text[cut:], links=moved)


def _inline(block: Block) -> str:
    """A block's text, escaped, with its links as anchors."""
    if not block.links:
        return escape(block.text, quote=False)
    out = []
    at = 0
    for link in block.links:
        if link.start < at or _scheme(link.href) not in ALLOWED_SCHEMES:
            continue  # overlapping spans cannot be nested (the first wins); unsafe ones go
        out.append(escape(block.text[at : link.start], quote=False))
        anchor = escape(block.text[link.start : link.end], quote=False)
        out.append(f'<a href="{escape(link.href)}">{anchor}</a>')
        at = link.end
    out.append(escape(block.text[at:], quote=False))
    return "".join(out)


def _scheme(url: str) -> str:
    return url.split(":", 1)[0].strip().lower() if ":" in url else ""


def _row_html(block: Block) -> str:
    cell = "th" if block.header else "td"
    cells = block.cells or (block.text,)
    return "<tr>" + "".join(f"<{cell}>{escape(c, quote=False)}</{cell}>" for c in cells) + "</tr>"


def _image_html(image: Image) -> str:
    size = "".join(
        f' {name}="{value}"'
        for name, value in (("width", image.width), ("height", image.height))
        if value
    )
    alt = escape(image.alt)
    caption = (
        f"<figcaption>{escape(image.credit, quote=False)}</figcaption>" if image.credit else ""
    )
    return f'<figure><img src="{escape(image.url)}" alt="{alt}"{size}>{caption}</figure>'
