"""Issue 20: `publisher unpublish ID|URL|FILE` takes an article down for good: out of the
feeds, the archive and the digests to come, a tombstone page that `publisher serve` answers
with 410, and never published again, even when its file (or a copy of it) comes back."""

from __future__ import annotations

import http.client
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import feedparser
import pytest
from cli_helpers import build_argv

from publisher.build.unpublish import Tombstones
from publisher.cli import main
from publisher.config import load_settings
from publisher.mailing.issues import pending_digest
from publisher.serve import make_server
from publisher.store import Store

SEED = "001_d3da1405dce3dce3.txt"


@pytest.fixture
def site(seeds_copy: Path, tmp_path: Path) -> Path:
    assert main(build_argv(seeds_copy, tmp_path / "out", tmp_path / "state.db", "-q")) == 0
    return tmp_path


def _article(site: Path, key: str) -> tuple[str, str, str]:
    """(id, slug, original URL) of the article of ``key``."""
    with Store.open(site / "state.db") as store:
        record = store.article_by_key(key)
    assert record is not None
    return record.id, record.slug, record.payload.article.url or ""


def _unpublish(site: Path, *refs: str, seeds: Path | None = None) -> int:
    extra = ["--input", str(seeds)] if seeds else []
    state, out = str(site / "state.db"), str(site / "out")
    return main(["unpublish", "--state", state, "--out", out, *extra, *refs])


def _outputs_mention(site: Path, article_id: str, slug: str) -> list[str]:
    out = site / "out"
    found = []
    for name in ("feed.atom", "feed.rss", "feed.json", "index.html", "digest.html", "digest.txt"):
        text = (out / name).read_text(encoding="utf-8")
        if slug in text or article_id in text:
            found.append(name)
    for page in (out / "archive").iterdir():
        if slug in page.read_text(encoding="utf-8"):
            found.append(f"archive/{page.name}")
    return found


@contextmanager
def _served(site: Path) -> Iterator[int]:
    server = make_server(site / "out", "127.0.0.1", 0, gone=Tombstones(site / "state.db"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_unpublish_by_id_takes_it_out_of_every_output(
    site: Path, seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article_id, slug, _ = _article(site, f"seeds/{SEED}")
    assert _outputs_mention(site, article_id, slug)
    with _served(site) as port:
        assert _get(port, f"/articles/{slug}.html")[0] == 200
        assert _unpublish(site, article_id) == 0
        assert f"unpublished: {article_id}" in capsys.readouterr().out
        status, page = _get(port, f"/articles/{slug}.html")
    assert status == 410
    assert b"was removed" in page and b'content="noindex"' in page
    assert (site / "out" / "articles" / f"{slug}.html").read_bytes() == page
    assert _outputs_mention(site, article_id, slug) == []
    feed = feedparser.parse((site / "out" / "feed.atom").read_bytes())
    assert len(feed.entries) == 4
    settings = load_settings(None, {"paths.state": site / "state.db"})
    with Store.open(site / "state.db") as store:
        digest = pending_digest(store, settings)
    assert digest is not None and article_id not in digest.entry_ids


def test_unpublish_by_page_url_or_file_and_twice(
    site: Path, seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = []
    for seed in sorted(p.name for p in seeds_copy.iterdir())[:2]:
        ids.append(_article(site, f"seeds/{seed}"))
    (first_id, first_slug, _), (second_id, _, _) = ids
    url = f"http://localhost:8000/articles/{first_slug}.html"
    second_file = seeds_copy / sorted(p.name for p in seeds_copy.iterdir())[1]
    assert _unpublish(site, url, str(second_file), seeds=seeds_copy) == 0
    said = capsys.readouterr().out
    assert f"unpublished: {first_id}" in said and f"unpublished: {second_id}" in said
    assert _unpublish(site, first_id) == 0
    assert f"already unpublished: {first_id}" in capsys.readouterr().out


def test_unpublish_by_the_original_articles_url(site: Path, seeds_copy: Path) -> None:
    original = "https://times.example.com/2026/ferry-plan"
    paragraphs = "".join(
        f"<p>The harbour council voted on the ferry plan, part {n}, after a long debate "
        "about early crossings, fares and the smaller vessel's crew.</p>"
        for n in range(6)
    )
    (seeds_copy / "ferry.html").write_text(
        f'<html><head><title>Ferry plan approved</title><link rel="canonical" '
        f'href="{original}"></head><body><article><h1>Ferry plan approved</h1>{paragraphs}'
        "</article></body></html>",
        encoding="utf-8",
    )
    assert main(build_argv(seeds_copy, site / "out", site / "state.db", "-q")) == 0
    article_id, slug, url = _article(site, "seeds/ferry.html")
    assert url == original and _outputs_mention(site, article_id, slug)
    assert _unpublish(site, original) == 0
    assert _outputs_mention(site, article_id, slug) == []


def test_an_unknown_reference_changes_nothing(
    site: Path, seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    article_id, _, _ = _article(site, f"seeds/{SEED}")
    feed = (site / "out" / "feed.atom").read_bytes()
    assert _unpublish(site, article_id, "0123456789abcdef") == 1
    assert "no article is '0123456789abcdef'" in capsys.readouterr().err
    assert (site / "out" / "feed.atom").read_bytes() == feed  # not even the one that exists


def test_it_never_comes_back_from_its_file_or_a_copy(site: Path, seeds_copy: Path) -> None:
    article_id, slug, _ = _article(site, f"seeds/{SEED}")
    assert _unpublish(site, article_id) == 0
    source = seeds_copy / SEED
    text = source.read_text(encoding="utf-8")
    source.unlink()
    assert main(build_argv(seeds_copy, site / "out", site / "state.db", "-q")) == 0
    source.write_text(text + "\nA line added since.\n", encoding="utf-8")  # back, edited
    shutil.copy(source, seeds_copy / "copy-of-it.txt")  # and copied
    assert main(build_argv(seeds_copy, site / "out", site / "state.db", "-q")) == 0
    assert _outputs_mention(site, article_id, slug) == []
    feed = feedparser.parse((site / "out" / "feed.atom").read_bytes())
    assert len(feed.entries) == 4
    assert b"was removed" in (site / "out" / "articles" / f"{slug}.html").read_bytes()


def test_a_deleted_file_does_not_unpublish_by_itself(site: Path, seeds_copy: Path) -> None:
    article_id, slug, _ = _article(site, f"seeds/{SEED}")
    (seeds_copy / SEED).unlink()
    assert main(build_argv(seeds_copy, site / "out", site / "state.db", "-q")) == 0
    assert "feed.atom" in _outputs_mention(site, article_id, slug)
