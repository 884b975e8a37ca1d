"""A fixture web for the fetcher's tests: real HTTP servers on loopback, one per host address
(127.0.0.2, 127.0.0.3, ... are distinct hosts), all on one port, each answering the routes a
test gives it and logging every request it receives (host, path, headers, arrival time).

Also what the sites serve: article pages with a site's menus and footer around a few
paragraphs of distinct prose, RSS, Atom and JSON feeds, sitemaps and OPML lists.
"""

from __future__ import annotations

import errno
import html
import json
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    """What a route answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Logged:
    """One request a server received."""

    host: str  # the address it was sent to
    path: str  # with its query
    headers: dict[str, str]  # names in lower case
    at: float  # time.monotonic() on arrival


Route = Answer | Callable[[Logged], Answer]


class Web:
    """Servers on ``hosts`` loopback addresses, sharing one port (see the module)."""

    def __init__(self, hosts: Sequence[str], port: int | None = None) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        self.servers: list[ThreadingHTTPServer] = []
        if port is None:
            self.port = self._bind(hosts)
        else:
            self.port = port
            self.servers = [_Server((host, port), _handler(self)) for host in hosts]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()

    def _bind(self, hosts: Sequence[str]) -> int:
        for _attempt in range(20):
            with socket.socket() as probe:
                probe.bind((hosts[0], 0))
                port = int(probe.getsockname()[1])
            try:
                for host in hosts:
                    self.servers.append(_Server((host, port), _handler(self)))
                return port
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                for server in self.servers:
                    server.server_close()
                self.servers.clear()
        raise RuntimeError("no free port on every fixture host")

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, host: str, path: str, answer: Route) -> str:
        """Serve ``answer`` at ``path`` of ``host``; return its URL."""
        self.routes[host, path] = answer
        return self.url(host, path)

    def requests(self, host: str | None = None) -> list[Logged]:
        with self.lock:
            return [r for r in self.log if host is None or r.host == host]

    def paths(self, host: str | None = None) -> list[str]:
        return [r.path for r in self.requests(host)]

    def answer(self, logged: Logged) -> Answer:
        route = self.routes.get((logged.host, logged.path)) or self.routes.get(
            (logged.host, logged.path.partition("?")[0])
        )
        if route is None:
            return Answer(404, b"not found", {"Content-Type": "text/plain"})
        return route(logged) if callable(route) else route


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False


def _handler(web: Web) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            logged = Logged(
                host=self.server.server_address[0],  # type: ignore[index]
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                at=time.monotonic(),
            )
            with web.lock:
                web.log.append(logged)
            answer = web.answer(logged)
            self.send_response(answer.status)
            unsized = answer.headers.get("X-Unsized") == "1"
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if unsized:  # the body ends when the connection does, as in HTTP/1.0
                self.send_header("Connection", "close")
                self.close_connection = True
            elif "Content-Length" not in answer.headers:
                self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            try:
                for start in range(0, len(answer.body), 1 << 16):
                    self.wfile.write(answer.body[start : start + (1 << 16)])
            except OSError:
                pass  # the client stopped reading (a body over its cap)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the log is ours

    return Handler


@contextmanager
def serving(hosts: Sequence[str], port: int | None = None) -> Iterator[Web]:
    web = Web(hosts, port)
    try:
        yield web
    finally:
        web.close()


# -- what the sites serve ---------------------------------------------------------------------

_SUBJECTS = (
    "The city council",
    "A regional water board",
    "Local farmers",
    "The transport minister",
    "Researchers at the university",
    "The harbour authority",
    "A group of teachers",
    "The national weather service",
    "Several small businesses",
    "The hospital trust",
    "Volunteers from the river club",
    "The planning committee",
    "Engineers on the project",
    "The mayor's office",
    "A coalition of tenants",
    "Parents at the primary school",
)
_VERBS = (
    "approved",
    "questioned",
    "published",
    "delayed",
    "welcomed",
    "criticised",
    "funded",
    "reviewed",
    "announced",
    "rejected",
    "expanded",
    "tested",
    "defended",
    "measured",
)
_OBJECTS = (
    "a plan to repair the old bridge",
    "new rules for night buses",
    "the budget for flood defences",
    "a survey of drinking water quality",
    "a pilot scheme for electric ferries",
    "the timetable for the tram extension",
    "a report on rising rents",
    "proposals for a larger library",
    "funding for the cycle network",
    "an inquiry into the power cuts",
    "the design of the new market hall",
    "a study of air pollution near schools",
    "plans for a solar farm on the hill",
)
_TAILS = (
    "after a long debate on Tuesday evening",
    "despite objections from residents",
    "following months of consultation",
    "before the summer holidays begin",
    "at a cost that surprised observers",
    "in a vote that split the chamber",
    "with support from neighbouring towns",
    "while the opposition asked for more detail",
)


def prose(seed: int, paragraphs: int = 6, sentences: int = 4) -> list[str]:
    """Distinct, plausible paragraphs (the same seed gives the same text)."""
    rng = random.Random(seed)
    result = []
    for _ in range(paragraphs):
        said = []
        for _ in range(sentences):
            number = rng.randint(2, 9000)
            said.append(
                f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
                f"{rng.choice(_TAILS)}, and {number} people were affected."
            )
        result.append(" ".join(said))
    return result


def article_page(title: str, seed: int, *, charset: str | None = "utf-8", extra: str = "") -> str:
    """A news site's article page: menus, the article, a footer."""
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in prose(seed))
    return (
        f'<!DOCTYPE html><html lang="en"><head>{meta}<title>{html.escape(title)} | Gazette</title>'
        '</head><body><header><nav><a href="/">Home</a> <a href="/world">World</a> '
        '<a href="/sport">Sport</a></nav></header><main><article>'
        f"<h1>{html.escape(title)}</h1>{extra}{body}</article></main>"
        "<footer><p>Copyright The Gazette. All rights reserved.</p></footer></body></html>"
    )


@dataclass(frozen=True)
class Item:
    """One entry of a fixture feed."""

    title: str
    link: str
    id: str
    published: datetime
    text: str = ""  # HTML: the entry's own text
    updated: datetime | None = None
    author: str | None = None


def rss(items: Sequence[Item], *, title: str = "Gazette") -> bytes:
    entries = []
    for item in items:
        author = (
            f"<author>news@example.org ({html.escape(item.author)})</author>" if item.author else ""
        )
        entries.append(
            f"<item><title>{html.escape(item.title)}</title><link>{html.escape(item.link)}</link>"
            f'<guid isPermaLink="false">{html.escape(item.id)}</guid>'
            f"<pubDate>{format_datetime(item.published)}</pubDate>{author}"
            f"<description>{html.escape(item.text)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>http://example.org/</link>"
        f"<description>News</description>{''.join(entries)}</channel></rss>"
    ).encode()


def atom(items: Sequence[Item], *, title: str = "Gazette") -> bytes:
    entries = []
    for item in items:
        updated = (item.updated or item.published).isoformat()
        author = f"<author><name>{html.escape(item.author)}</name></author>" if item.author else ""
        entries.append(
            f"<entry><title>{html.escape(item.title)}</title>"
            f'<link rel="alternate" href="{html.escape(item.link)}"/>'
            f"<id>{html.escape(item.id)}</id>"
            f"<published>{item.published.isoformat()}</published><updated>{updated}</updated>"
            f'{author}<content type="html">{html.escape(item.text)}</content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{html.escape(title)}</title><id>urn:fixture</id>"
        f"<updated>{datetime(2026, 1, 1, tzinfo=UTC).isoformat()}</updated>"
        f"{''.join(entries)}</feed>"
    ).encode()


def json_feed(items: Sequence[Item], *, title: str = "Gazette") -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": title,
            "items": [
                {
                    "id": item.id,
                    "url": item.link,
                    "title": item.title,
                    "content_html": item.text,
                    "date_published": item.published.isoformat(),
                    **({"date_modified": item.updated.isoformat()} if item.updated else {}),
                    **({"authors": [{"name": item.author}]} if item.author else {}),
                }
                for item in items
            ],
        }
    ).encode()


def sitemap(urls: Sequence[tuple[str, datetime | None]]) -> bytes:
    rows = "".join(
        f"<url><loc>{html.escape(u)}</loc>"
        + (f"<lastmod>{when.isoformat()}</lastmod>" if when else "")
        + "</url>"
        for u, when in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'
    ).encode()


def opml(feeds: Sequence[tuple[str, str]]) -> bytes:
    outlines = "".join(
        f'<outline type="rss" text="{html.escape(t)}" title="{html.escape(t)}" '
        f'xmlUrl="{html.escape(u)}"/>'
        for t, u in feeds
    )
    return (
        '<?xml version="1.0"?><opml version="2.0"><head><title>Subscriptions</title></head>'
        f'<body><outline text="News">{outlines}</outline></body></opml>'
    ).encode()


HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
JSON_FEED = {"Content-Type": "application/feed+json"}
XML = {"Content-Type": "application/xml"}
TEXT = {"Content-Type": "text/plain"}
