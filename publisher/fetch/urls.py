"""URLs as the fetcher compares them: an article's canonical URL, and the host a request
counts against.

The canonical URL is an article's identity (its source key), so its rules never change:
scheme and host in lower case, the default port dropped, an empty path made "/", the
fragment dropped, and the query parameters that only track a click (``utm_*``, ``fbclid``
and their kind) removed; everything else is kept as the site wrote it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that say where a click came from, never what the page is.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wickedid",
    }
)
TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_web_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in _DEFAULT_PORTS and bool(parts.hostname)
    except ValueError:
        return False


def canonical(url: str) -> str:
    """``url`` normalised into an article's lasting identity (see the module)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = parts.netloc.rpartition("@")[0] + "@" + netloc
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if not _tracking(k)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def host_of(url: str) -> str:
    """The host a request to ``url`` counts against (politeness is per host, whatever the
    port or scheme); also an article's boilerplate group."""
    return (urlsplit(url).hostname or "").lower()


def origin_of(url: str) -> str:
    """scheme://host[:port]: what one robots.txt speaks for (RFC 9309)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port or _DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{host}" + ("" if port == _DEFAULT_PORTS.get(scheme) else f":{port}")


def robots_url(url: str) -> str:
    """The robots.txt that speaks for ``url``."""
    return origin_of(url) + "/robots.txt"


def resolve(base: str, link: str) -> str | None:
    """``link`` (from a page, feed or Location header) made absolute against ``base``;
    None when it is not an http(s) URL."""
    try:
        absolute = urljoin(base, link.strip())
    except ValueError:
        return None
    return absolute if is_web_url(absolute) else None
