"""Safe HTML for article bodies, shared by the feeds and the archive.

Article blocks are plain text, so the markup made here is escaped text in a few structural
tags. Everything is still passed through an allow-list sanitizer, so no output of ours can
carry active content even if a later stage starts keeping markup from the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape

import nh3

from ..models import Article, Block

ALLOWED_TAGS = frozenset(
    {"p", "h2", "h3", "blockquote", "ul", "ol", "li", "a", "em", "strong", "br", "span"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

_TAG = {"paragraph": "p", "heading": "h2", "quote": "blockquote"}


def sanitize(
    html: str, *, attribute_filter: Callable[[str, str, str], str | None] | None = None
) -> str:
    """Keep only structural tags and http(s)/mailto links: no script, style, handlers, frames.

    ``attribute_filter(element, attribute, value)`` may rewrite each kept attribute's value
    (None drops the attribute), as nh3 defines it.
    """
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=attribute_filter,
    )


def body_html(article: Article) -> str:
    """The article body as sanitized HTML: paragraphs, headings, quotes and lists."""
    return sanitize("".join(_blocks_html(article.blocks)))


def _blocks_html(blocks: Iterable[Block]) -> Iterable[str]:
    in_list = False
    for block in blocks:
        if block.kind == "item":
            if not in_list:
                yield "<ul>"
                in_list = True
            yield f"<li>{escape(block.text, quote=False)}</li>"
            continue
        if in_list:
            yield "</ul>"
            in_list = False
        tag = _TAG.get(block.kind, "p")
        yield f"<{tag}>{escape(block.text, quote=False)}</{tag}>"
    if in_list:
        yield "</ul>"
