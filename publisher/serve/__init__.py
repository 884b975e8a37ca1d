"""A small static server for previewing out/: the right media types for feeds, conditional
requests (ETag, Last-Modified) and gzip, and nothing reachable outside the output directory.

For local preview and testing, bound to 127.0.0.1 by default; production sites are served by
a real web server. It also answers the paths a static server cannot: the digest's
unsubscribe link, and the readers' signup, confirmation and preferences pages, which read
and write the state. In production the web server passes that
path on to it (docs/deploy.md).

``files`` knows the files (media types, what a request path names), ``handler`` answers one
request, ``server`` holds the connections, ``feedpage`` makes feeds pages for browsers and
says how fresh files are.
"""

from .feedpage import Freshness
from .files import media_type
from .handler import Endpoint, Unsubscribe
from .server import make_server, serve

__all__ = ["Endpoint", "Freshness", "Unsubscribe", "make_server", "media_type", "serve"]
