"""The archive as people use it, in headless Chromium driven over the DevTools protocol:
a word typed into the search box finds its articles, no page scrolls sideways on a 375 px
phone, and axe-core finds no serious or critical accessibility violation.

The site is a real build of a handful of articles, served by our own server on 127.0.0.1
(the search script reads its index over HTTP, as it would on any static host).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser_helpers import IN_CI, Page, chromium_path
from test_feeds_helpers import make_entry, make_settings

from publisher.build import build
from publisher.config import Settings, load_settings
from publisher.models import Image
from publisher.render.archive import Archive
from publisher.serve import make_server

if chromium_path() is None and not IN_CI:
    pytest.skip(
        "chromium is not installed (apt-get install chromium); CI installs it and runs this",
        allow_module_level=True,
    )

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)

STORIES = {
    "harbour": (
        "Harbour cranes return to the old quay",
        "The port authority said the cranes would be back on the quay by spring. Dockers "
        "welcomed the news after two years of work at the harbour.",
    ),
    "tram": (
        "Tram line to the university opens next week",
        "The new tram line links the station with the university campus. Trams will run "
        "every six minutes from early morning until midnight on weekdays.",
    ),
    "library": (
        "Library extends its opening hours",
        "The central library will stay open until ten in the evening. Students had asked for "
        "longer hours during the examination period for years.",
    ),
    "harbour2": (
        "Ferry service moves to the harbour's new terminal",
        "Ferries to the islands will leave from the new terminal in the harbour from May. The "
        "old terminal closes for repairs at the end of April.",
    ),
    "harbour3": (
        "Harbour wall to be rebuilt after winter storms",
        "The harbour wall will be rebuilt this summer. The harbour master said the harbour "
        "had not seen storms like these in forty years.",
    ),
}


def _article(title: str, text: str) -> str:
    sentences = " ".join(f"{text} Paragraph {n} adds a few more words." for n in range(3))
    return f"{title}\n\n{sentences}\n\n{text}\n\n{sentences}\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Settings]]:
    root = tmp_path_factory.mktemp("site")
    inbox = root / "inbox"
    inbox.mkdir()
    for name, (title, text) in STORIES.items():
        (inbox / f"{name}.txt").write_text(_article(title, text), encoding="utf-8")
    # Topics from two articles on, so that the site has topic pages to look at.
    config = root / "publisher.toml"
    config.write_text("[feed]\ntopic_min_articles = 2\n", encoding="utf-8")
    settings = load_settings(
        config,
        {
            "paths.input": [inbox],
            "paths.out": root / "out",
            "paths.state": root / "state.db",
            "jobs": 1,
        },
        cwd=root,
    )
    build(settings, now=NOW)
    server = make_server(settings.paths.out, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}/", root, settings
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _pages(out: Path) -> dict[str, str]:
    """One page of each kind the archive has."""
    article = sorted((out / "articles").iterdir())[0].name
    month = sorted((out / "archive").iterdir())[0].name
    topic = sorted((out / "topics").iterdir())[0].name
    return {
        "index": "index.html",
        "month": f"archive/{month}",
        "article": f"articles/{article}",
        "topic": f"topics/{topic}",
        "feeds": "feeds.html",
        "search": "search.html?q=harbour",
        "digests": "digests/index.html",
        # A feed opened in the browser: the server answers with a page of it.
        "feed": "feed.atom",
    }


def test_typing_a_word_shows_the_matching_articles(site, tmp_path: Path) -> None:
    url, _, _ = site
    with Page(tmp_path) as page:
        page.open(url + "index.html")
        # The box is on every page: submitting it opens the search page with the query.
        page.type("#search-box", "harbour")
        page.evaluate("document.querySelector('form.search').submit()")
        page.wait_for("location.pathname.endsWith('/search.html')")
        page.wait_for("document.readyState === 'complete'")
        found = page.wait_for(
            "Array.from(document.querySelectorAll('#search-results h2 a'), a => a.textContent)"
            ".join('|') || ''"
        )
        about = [
            title for title, text in STORIES.values() if "harbour" in f"{title} {text}".lower()
        ]
        assert len(about) == 3
        assert sorted(str(found).split("|")) == sorted(about)
        # Typing on the search page itself narrows the results as the words come.
        page.evaluate("document.getElementById('search-box').value = ''")
        page.type("#search-box", "tram")
        page.wait_for(
            "document.querySelectorAll('#search-results li').length === 1 && "
            f"document.querySelector('#search-results h2 a').textContent === "
            f"{json.dumps(STORIES['tram'][0])}"
        )
        link = page.evaluate("document.querySelector('#search-results h2 a').href")
        assert str(link).startswith(url + "articles/")
        status = page.evaluate("document.getElementById('search-status').textContent")
        assert status == "1 article matches \u201ctram\u201d."
        page.evaluate("document.getElementById('search-box').value = ''")
        page.type("#search-box", "zeppelin")
        page.wait_for("document.getElementById('search-status').textContent.startsWith('No')")


def test_no_page_scrolls_sideways_on_a_phone(site, tmp_path: Path) -> None:
    url, _, settings = site
    with Page(tmp_path, width=375, height=800) as page:
        for name, path in _pages(settings.paths.out).items():
            page.open(url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width == 375, (name, width)


def test_a_lead_image_fits_a_phone(tmp_path: Path, workdir: Path) -> None:

    entry = make_entry(1)
    image = Image("https://img.example.org/wide.jpg", "A wide picture", "Photo: Ann", 2400, 800)
    entry = entry.__class__(
        **{
            **entry.__dict__,
            "article": entry.article.__class__(**{**entry.article.__dict__, "image": image}),
        }
    )
    out = tmp_path / "out"
    (out / "articles").mkdir(parents=True)
    archive = Archive(make_settings("http://127.0.0.1/"))
    (out / "articles" / "a.html").write_bytes(archive.article_page(entry))
    (out / "style.css").write_bytes(archive.stylesheet())
    server = make_server(out, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        with Page(tmp_path, width=375, height=800) as page:
            page.open(f"http://{host}:{port}/articles/a.html")
            assert page.evaluate("document.documentElement.scrollWidth") == 375
            box = page.evaluate(
                "JSON.stringify(document.querySelector('article figure img')"
                ".getBoundingClientRect())"
            )
            assert json.loads(str(box))["width"] <= 375
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    "kind", ["index", "month", "article", "topic", "feeds", "search", "digests", "feed"]
)
def test_axe_finds_no_serious_violation(site, tmp_path: Path, kind: str) -> None:
    if not AXE.is_file():
        if IN_CI or os.environ.get("PUBLISHER_REQUIRE_AXE"):
            pytest.fail(f"{AXE} is missing: make test installs axe-core with npm")
        pytest.skip("axe-core is not installed (make test installs it with npm)")
    url, _, settings = site
    with Page(tmp_path) as page:
        page.open(url + _pages(settings.paths.out)[kind])
        if kind == "search":
            page.wait_for("document.querySelectorAll('#search-results li').length > 0")
        page.evaluate(AXE.read_text(encoding="utf-8") + ";true")
        result = page.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify("
            "r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))))"
        )
    violations = json.loads(str(result))
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
