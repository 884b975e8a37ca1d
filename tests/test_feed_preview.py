"""Browser preview: a feed opened in a browser is turned into a readable page by feed.xsl.

Rendered in headless Chromium, served by our own preview server on 127.0.0.1, because
browsers apply an XSLT stylesheet only from the document's own origin (never from file://).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from browser_helpers import chromium, chromium_path
from test_feeds_helpers import make_settings, newest_first

from publisher.render.feeds import render_feeds
from publisher.serve import make_server

if chromium_path() is None and os.environ.get("CI") != "true":
    pytest.skip(
        "chromium is not installed (apt-get install chromium); CI installs it and runs this",
        allow_module_level=True,
    )

ENTRIES = newest_first(3)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("out")
    for name, data in render_feeds(ENTRIES, make_settings()).items():
        (out / name).write_bytes(data)
    server = make_server(out, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("name", ["feed.atom", "feed.rss"])
def test_feed_renders_as_a_page(base_url: str, name: str, tmp_path: Path) -> None:
    page = lxml.html.fromstring(chromium(tmp_path, base_url + name, "--dump-dom"))
    # Titles as links inside <article> only exist if the stylesheet ran: Chromium's raw XML
    # view would show the titles as source text, not in this structure.
    titles = [a.text_content() for a in page.xpath("//article/h2/a")]
    assert titles == [e.title for e in ENTRIES]
    links = page.xpath("//article/h2/a/@href")
    assert links == [f"https://news.example.org/articles/{e.slug}.html" for e in ENTRIES]
    assert page.xpath("//h1")[0].text_content() == "Publisher Digest"
