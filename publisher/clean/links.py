"""Inline links of an article as a reader may follow them: absolute, of a safe scheme, and
without the parameters that only track who clicked.

The HTML walk records each link's text and raw href (see html.to_units); this module turns
an href into the URL the article links to, or None when it should not be a link at all (a
script, an in-page anchor, a relative link on a page whose address is unknown).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from publisher.models import Link

# Longest URL kept as a link (longer ones are data or tracking blobs, not addresses).
MAX_URL_CHARS = 2048
SCHEMES = frozenset(("http", "https", "mailto"))
# Query parameters that identify a campaign or a click, never the linked document.
TRACKING_PARAMETERS = frozenset(
    (
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "_ga", "_gl", "mkt_tok", "ncid", "ocid", "cmpid", "s_cid", "wt.mc_id", "icid",
        "_hsenc", "_hsmi", "trk", "trkcampaign", "spm", "share", "ref_src", "ref_url",
    )
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "vero_")
# An absolute http(s) URL with a host and no query, spaces or odd characters: kept as it is.
_PLAIN_URL = re.compile(r"https?://[\w.-]+(?::\d+)?(?:/[\w./~%+,;=:@!$&*()'-]*)?(?:#[\w./-]*)?$")


def base_url(page_url: str | None, base_href: str | None) -> str | None:
    """The URL relative links resolve against: <base href> (itself resolved against the
    page's address), else the page's address; None when neither is an absolute http(s) URL."""
    base = page_url
    if base_href:
        try:
            base = urljoin(page_url or "", base_href.strip())
        except ValueError:
            base = page_url
    if base and urlsplit(base).scheme in ("http", "https") and urlsplit(base).netloc:
        return base
    return None


def resolve(href: str, base: str | None) -> str | None:
    """The absolute, cleaned URL of an href, or None when it is not a link to keep.

    Kept: http(s) URLs with a host, and mailto. Dropped: other schemes (javascript:, data:),
    in-page anchors, links back to the page itself, relative links when there is no base,
    and URLs longer than MAX_URL_CHARS. Tracking parameters (utm_*, fbclid, ...) go.
    """
    href = href.strip()
    if not href or href.startswith("#") or len(href) > MAX_URL_CHARS:
        return None
    if _PLAIN_URL.match(href) and (not base or not href.startswith(base.split("#")[0])):
        return href  # the common case, absolute and without a query: urllib costs more
    try:
        url = urljoin(base, href) if base else href
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        return None
    if scheme == "mailto":
        return url if len(url) > len("mailto:") else None
    if not parts.netloc:
        return None
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(name, value) for name, value in pairs if not _tracking(name)]
        if len(kept) != len(pairs):  # re-encoded only when a parameter went
            query = urlencode(kept)
    url = urlunsplit((scheme, parts.netloc, parts.path, query, parts.fragment))
    if base and url.split("#")[0] == base.split("#")[0] and parts.fragment:
        return None  # an anchor into the page itself
    return url


def _tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMETERS or low.startswith(TRACKING_PREFIXES)


def block_links(
    text: str, anchors: tuple[tuple[str, str], ...], base: str | None
) -> tuple[Link, ...]:
    """The links of a block whose (normalised) text is text: anchors are its links' texts as
    gathered (raw, unnormalised) with their raw hrefs, in order. Each is found in text after
    the previous one; those not found, or whose href is not a link to keep (see resolve), go.
    """
    found = []
    cursor = 0
    for raw, href in anchors:
        words = " ".join(raw.split())
        at = text.find(words, cursor) if words else -1
        if at < 0:
            continue
        cursor = at + len(words)
        url = resolve(href, base)
        if url is not None:
            found.append(Link(at, cursor, url))
    return tuple(found)
