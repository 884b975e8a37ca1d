"""Metadata of an HTML page: what its <head> (meta tags, canonical link, JSON-LD) says of
the article's title, date and author, collected while the page is walked."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from publisher.clean import stated
from publisher.clean.dates import parse_date
from publisher.clean.patterns import TITLE_SITE_SUFFIX

_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')
_JSONLD_AUTHOR = re.compile(r'"author"\s*:\s*(?:\[\s*)?\{[^{}]*?"name"\s*:\s*"([^"]{2,80})"')
_DATE_METAS = (
    "article:published_time", "og:published_time", "datepublished", "date", "pubdate",
    "publishdate", "publish-date", "dc.date.issued", "dc.date", "sailthru.date",
    "parsely-pub-date", "article.published", "dcterms.created", "original-publish-date",
)  # fmt: skip


@dataclass
class Head:
    """Metadata collected while walking the page, and each unit's place in the tree."""

    metas: dict[str, str]
    jsonld: list[str]
    # Per unit: ids of the block elements that enclose it, outermost first.
    paths: list[tuple[int, ...]] = field(default_factory=list)
    title: str = ""
    canonical: str | None = None
    h1: str = ""
    # Data tables right under a sentence (see is_data_table): (lead-in unit, first row, end).
    # Their rows are kept with the lead-in, wherever the article's density ends.
    tables: list[tuple[int, int, int]] = field(default_factory=list)
    # Images and the figures holding them, as (index of the next unit, element, markup hint).
    images: list[tuple[int, etree._Element, int]] = field(default_factory=list)
    base: str | None = None  # <base href>


def read_head(el: etree._Element, tag: str, head: Head) -> None:
    """Collect <title>, <meta>, canonical <link> and JSON-LD from skipped elements."""
    if tag == "meta":
        name = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        content = el.get("content")
        if name and content and name not in head.metas:
            head.metas[name] = content.strip()
    elif tag == "link":
        if (el.get("rel") or "").lower() == "canonical" and el.get("href"):
            head.canonical = el.get("href")
    elif tag == "base":
        if head.base is None:
            head.base = el.get("href")
    elif tag == "title":
        if not head.title:
            head.title = " ".join("".join(el.itertext()).split())
    elif tag == "script" and (el.get("type") or "").lower() == "application/ld+json" and el.text:
        head.jsonld.append(el.text[:100_000])


def strip_site(title: str, site: str | None) -> str:
    """The title without a trailing (or leading) site name."""
    if site:
        for sep in (" | ", " - ", " – ", " — ", " :: ", " · ", " » "):
            if title.endswith(sep + site):
                return title[: -len(sep + site)].strip()
            if title.startswith(site + sep):
                return title[len(site + sep) :].strip()
    match = TITLE_SITE_SUFFIX.search(title)
    if match:
        head, suffix = title[: match.start()].strip(), title[match.start() :].strip(" |-–—:·»")
        if len(suffix.split()) <= 4 and len(suffix) < len(head):
            return head
    return title


def published(head: Head, reference: datetime) -> datetime | None:
    """Publication date from meta tags, JSON-LD or the first <time datetime>: the first that
    is not more than a day after reference (a future date is an event's, or a mistake)."""
    candidates = [head.metas[name] for name in _DATE_METAS if name in head.metas]
    for blob in head.jsonld:
        match = _JSONLD_DATE.search(blob)
        if match:
            candidates.append(match.group(1))
    if "time" in head.metas:
        candidates.append(head.metas["time"])
    for candidate in candidates:
        date = parse_date(candidate, reference)
        if date is not None and date <= reference + stated.FUTURE_SLACK:
            return date
    return None


def author(head: Head) -> str | None:
    """Author from meta tags or JSON-LD (profile URLs are not names)."""
    for name in ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator"):
        value = head.metas.get(name)
        if value and not value.startswith(("http://", "https://")):
            return value
    for blob in head.jsonld:
        match = _JSONLD_AUTHOR.search(blob)
        if match:
            try:
                return str(json.loads(f'"{match.group(1)}"'))
            except ValueError:
                return match.group(1)
    return None
