"""An article's lead image: from the article's own figure, else what the page's head names
(og:image, then JSON-LD), never a tracking pixel, an icon or a logo.

The HTML walk records every <img> and every skipped <figure>/<picture> with its place among
the units (see html.to_units). The lead image is the first figure at the article's top (just
above its first block or among its first few; a bare <img> there only with a stated size);
failing that, the head's og:image or JSON-LD image; failing that, the first figure or image
inside the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from lxml import etree

from publisher.clean import links
from publisher.clean.metadata import Head
from publisher.models import Image

# Units above the article's first block, and among its first, where its lead figure sits.
TOP_BEFORE = 4
TOP_WITHIN = 3
# A side shorter than this (in pixels, when the page says) is an icon, a button or a pixel.
MIN_SIDE = 120
MAX_ALT_CHARS = 300
MAX_CREDIT_CHARS = 120
# Words in an image's address that mark it as chrome or a tracker, not a photograph.
_NOT_A_PHOTO = re.compile(
    r"(?:^|[/_.=-])(?:pixel|spacer|blank|1x1|beacon|tracking|tracker|ads?|logo|icon|avatar|"
    r"sprite|gravatar|emoji|badge|button|placeholder|loading|lazy|transparent|share)s?"
    r"(?:[/_.=-]|$)|doubleclick",
    re.IGNORECASE,
)
# class/id words of the element that holds a photograph's credit.
_CREDIT_CLASS = re.compile(r"credit|copyright|photographer|source|attribution", re.IGNORECASE)
# A caption's credit: "Photo: Jane Doe", "Image by Jane Doe", "(Reuters)" at its end.
_CREDIT_TEXT = re.compile(
    r"(?:^|\s)(?:photo(?:graph)?|image|picture|foto|credit)s?\s*(?:by|:|credit:?)\s*"
    r"(?P<name>[^|]{2,80})$|\((?P<agency>[^()]{2,60})\)$",
    re.IGNORECASE,
)
_JSONLD_IMAGE = re.compile(
    r'"image"\s*:\s*(?:\[\s*)?(?:"(?P<url>https?:[^"]+)"'
    r'|\{[^{}]*?"url"\s*:\s*"(?P<inner>https?:[^"]+)")'
)
_SRCSET_FIRST = re.compile(r"\s*(\S+)")
# A size written into a file's name: "photo-115x115.png".
_NAMED_SIZE = re.compile(r"(\d{2,4})x(\d{2,4})")


def lead_image(head: Head, first: int, last: int, base: str | None) -> Image | None:
    """The article's lead image, or None (see the module docstring); first and last are the
    indexes of the article's first and last units, base resolves relative addresses."""
    inside = [item for item in head.images if item[2] >= 0 and first - TOP_BEFORE <= item[0]]
    # At the top, a bare <img> without a stated size is as often a source's logo as a photo.
    top = [
        item
        for item in inside
        if item[0] <= first + TOP_WITHIN
        and (item[1].tag != "img" or (item[1].get("width") and item[1].get("height")))
    ]
    found = next(_from_elements(top, base), None) or _from_head(head, base)
    if found is not None:
        return found
    within = [item for item in inside if first <= item[0] <= last]
    return next(_from_elements(within, base), None)


def _from_elements(
    items: Sequence[tuple[int, etree._Element, int]], base: str | None
) -> Iterator[Image]:
    for _, el, _ in items:
        image = _from_element(el, base)
        if image is not None:
            yield image


def _from_element(el: etree._Element, base: str | None) -> Image | None:
    """The photograph an <img>, <picture> or <figure> shows, with its alt text and credit."""
    img = el if el.tag == "img" else next(el.iter("img"), None)
    if img is None:
        return None
    url = _source(img, base)
    width, height = _side(img.get("width")), _side(img.get("height"))
    if url is None or not _photo(url, width, height):
        return None
    alt = " ".join((img.get("alt") or "").split())[:MAX_ALT_CHARS]
    return Image(url, alt, _credit(el), width, height)


def _source(img: etree._Element, base: str | None) -> str | None:
    """The address an <img> loads: src, or the lazy-loading attributes that stand for it."""
    for name in ("src", "data-src", "data-lazy-src", "data-original", "srcset", "data-srcset"):
        value = (img.get(name) or "").strip()
        if name.endswith("srcset"):
            match = _SRCSET_FIRST.match(value)
            value = match.group(1) if match else ""
        if value and not value.startswith("data:"):
            return links.resolve(value, base)
    return None


def _photo(url: str, width: int | None, height: int | None) -> bool:
    """True unless the image is too small, a vector drawing or named like chrome or a tracker."""
    if (width is not None and width < MIN_SIDE) or (height is not None and height < MIN_SIDE):
        return False
    path = url.split("?")[0].lower()
    if path.endswith(".svg") or (path.endswith(".gif") and width is None):
        return False
    named = _NAMED_SIZE.search(path.rsplit("/", 1)[-1])
    if named and max(int(named.group(1)), int(named.group(2))) < MIN_SIDE:
        return False  # "logo-115x115.png"
    return _NOT_A_PHOTO.search(url) is None


def _side(value: str | None) -> int | None:
    if value is None:
        return None
    digits = value.strip().removesuffix("px")
    return int(digits) if digits.isdigit() and len(digits) <= 5 else None


def _credit(el: etree._Element) -> str | None:
    """The credit of a figure: the text of an element named for it, or the end of its caption."""
    if el.tag == "img":
        return None
    for node in el.iter():
        names = f"{node.get('class') or ''} {node.get('id') or ''}"
        if node is not el and _CREDIT_CLASS.search(names):
            text = " ".join("".join(node.itertext()).split())
            if 1 < len(text) <= MAX_CREDIT_CHARS:
                return text
    caption = next(el.iter("figcaption"), None)
    if caption is None:
        return None
    match = _CREDIT_TEXT.search(" ".join("".join(caption.itertext()).split()))
    if match is None:
        return None
    return (match.group("name") or match.group("agency")).strip()[:MAX_CREDIT_CHARS] or None


def _from_head(head: Head, base: str | None) -> Image | None:
    """The image the head names for the page: og:image (or twitter:image), then JSON-LD."""
    metas = head.metas
    for name in ("og:image", "og:image:url", "og:image:secure_url", "twitter:image"):
        value = metas.get(name)
        url = links.resolve(value, base) if value else None
        if url is None:
            continue
        width, height = _side(metas.get("og:image:width")), _side(metas.get("og:image:height"))
        if _photo(url, width, height):
            alt = metas.get("og:image:alt") or metas.get("twitter:image:alt") or ""
            return Image(url, " ".join(alt.split())[:MAX_ALT_CHARS], None, width, height)
    for blob in head.jsonld:
        match = _JSONLD_IMAGE.search(blob)
        if match:
            url = links.resolve(match.group("url") or match.group("inner"), base)
            if url is not None and _photo(url, None, None):
                return Image(url)
    return None
