"""What link previews and search engines read of a page: Open Graph properties and
schema.org JSON-LD (``NewsArticle`` for an article, ``CollectionPage`` for a month).

Data, not presentation: the templates write it out (``tojson`` escapes what would end the
script element).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ..config import Settings
from ..models import Entry, Image


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _image_object(image: Image) -> dict[str, Any]:
    data: dict[str, Any] = {"@type": "ImageObject", "url": image.url}
    if image.width and image.height:
        data.update(width=image.width, height=image.height)
    if image.alt:
        data["caption"] = image.alt
    if image.credit:
        data["creditText"] = image.credit
    return data


def _publisher(settings: Settings) -> dict[str, Any]:
    data: dict[str, Any] = {"@type": "Organization", "name": settings.site.title}
    data["url"] = settings.base_url
    if settings.icon_url:
        data["logo"] = {"@type": "ImageObject", "url": settings.icon_url}
    return data


def article_data(
    entry: Entry, settings: Settings, *, url: str, image: Image | None
) -> dict[str, Any]:
    """JSON-LD ``NewsArticle`` of an article page at ``url``: ``isBasedOn`` the article it
    was made from, when its address is known."""
    article = entry.article
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": entry.title,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": _iso(entry.published),
        "dateModified": _iso(entry.updated),
        "description": " ".join(entry.summary),
        "publisher": _publisher(settings),
        "inLanguage": article.language or settings.site.language,
    }
    if article.author:
        data["author"] = {"@type": "Person", "name": article.author}
    if entry.keywords:
        data["keywords"] = list(entry.keywords)
    if image is not None:
        data["image"] = _image_object(image)
    if article.url:
        data["isBasedOn"] = article.url
    if article.site:
        data["sourceOrganization"] = {"@type": "Organization", "name": article.site}
    return data


def open_graph(
    entry: Entry, settings: Settings, *, url: str, image: Image | None
) -> list[tuple[str, str]]:
    """Open Graph properties of an article page, in the order they are written."""
    properties = [
        ("og:type", "article"),
        ("og:title", entry.title),
        ("og:url", url),
        ("og:site_name", settings.site.title),
        ("og:description", " ".join(entry.summary)),
        ("article:published_time", _iso(entry.published)),
        ("article:modified_time", _iso(entry.updated)),
    ]
    if image is not None:
        properties.append(("og:image", image.url))
        if image.width and image.height:
            properties += [
                ("og:image:width", str(image.width)),
                ("og:image:height", str(image.height)),
            ]
        if image.alt:
            properties.append(("og:image:alt", image.alt))
    properties += [("article:tag", keyword) for keyword in entry.keywords]
    return properties


def collection_data(
    title: str, url: str, entries: Sequence[Entry], settings: Settings
) -> dict[str, Any]:
    """JSON-LD ``CollectionPage`` of a month page: its articles, in the page's order."""
    return {
        "@context": "https://schema.org",
        "@type": "CollectionPage",
        "name": title,
        "url": url,
        "isPartOf": {"@type": "WebSite", "name": settings.site.title, "url": settings.base_url},
        "mainEntity": {
            "@type": "ItemList",
            "numberOfItems": len(entries),
            "itemListElement": [
                {
                    "@type": "ListItem",
                    "position": position,
                    "url": settings.url(quote(entry.page)),
                    "name": entry.title,
                }
                for position, entry in enumerate(entries, start=1)
            ],
        },
    }
