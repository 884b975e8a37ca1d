"""What the server adds for feed readers and browsers: freshness and WebSub headers
(``Freshness``), and a feed opened in a browser answered as an HTML page (``FeedPages``).

Browsers are dropping XSLT (Chromium covers an XSLT page with a banner saying so), so a
navigation to an Atom or RSS feed (an Accept header asking for HTML) gets the page that the
output directory's own feed.xsl makes of it, made here; feed readers ask for feed types (or
*/*) and get the feed; Vary: Accept says the answer depends on it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

log = logging.getLogger("publisher.serve")

STYLESHEET_NAME = "feed.xsl"
PAGE_TYPE = "text/html; charset=utf-8"
# Pages of feed versions kept made (a handful of feeds are opened in browsers at a time).
KEPT_PAGES = 32


@dataclass(frozen=True)
class Freshness:
    """What the server tells caches and feed readers: how long a file stays fresh
    (``max_age`` seconds, the time between two builds) and, for feeds, the WebSub hubs that
    push their changes and the feed's own URL under ``base_url`` (Link headers)."""

    max_age: int = 0
    hubs: tuple[str, ...] = ()
    base_url: str = ""


class FeedPages:
    """Feeds made HTML pages with ``root``'s feed.xsl: the stylesheet compiled once per
    version of its file, each feed version's page made once."""

    def __init__(self, root: Path) -> None:
        self.path = root / STYLESHEET_NAME
        self.lock = threading.Lock()
        self.compiled: tuple[float, etree.XSLT] | None = None
        self.pages: OrderedDict[tuple[float, str], bytes] = OrderedDict()

    def page(self, feed: bytes) -> bytes | None:
        """The HTML page of ``feed``, or None when there is no usable stylesheet."""
        try:
            stamp = self.path.stat().st_mtime
            key = (stamp, hashlib.sha256(feed).hexdigest())
            with self.lock:
                if key in self.pages:
                    self.pages.move_to_end(key)
                    return self.pages[key]
                if self.compiled is None or self.compiled[0] != stamp:
                    self.compiled = (stamp, etree.XSLT(etree.parse(str(self.path))))
                # An XSLT object is not to be run by two threads at once.
                result = self.compiled[1](etree.fromstring(feed))
                page = b"<!DOCTYPE html>\n" + etree.tostring(
                    result, method="html", encoding="utf-8"
                )
                self.pages[key] = page
                if len(self.pages) > KEPT_PAGES:
                    self.pages.popitem(last=False)
                return page
        except (OSError, etree.Error) as exc:
            log.warning("cannot make a page of a feed with %s: %s", self.path, exc)
            return None
