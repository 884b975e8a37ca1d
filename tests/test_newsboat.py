"""A real feed reader: newsboat reads our Atom and RSS feeds through file:// URLs.

It must see every entry, count exactly the new ones as unread after a rebuild, and nothing
after a no-op rebuild or after an article's text was edited (stable ids, no duplicates).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from test_feeds_helpers import edit_text, make_settings, newest_first

from publisher.models import Entry
from publisher.render.feeds import atom_id, render_feeds

NEWSBOAT = shutil.which("newsboat")
SETTINGS = make_settings()

if NEWSBOAT is None and os.environ.get("CI") != "true":
    pytest.skip(
        "newsboat is not installed (apt-get install newsboat); CI installs it and runs this",
        allow_module_level=True,
    )


class Reader:
    """One newsboat subscriber with a throwaway cache, config and home directory."""

    def __init__(self, tmp_path: Path, feed_name: str) -> None:
        self.home = tmp_path
        self.feed = tmp_path / feed_name
        self.urls = tmp_path / "urls"
        self.urls.write_text(self.feed.as_uri() + "\n")
        self.cache = tmp_path / "cache.db"
        self.config = tmp_path / "config"
        self.config.write_text("")

    def publish(self, entries: list[Entry]) -> None:
        self.feed.write_bytes(render_feeds(entries, SETTINGS)[self.feed.name])

    def run(self, *args: str) -> str:
        assert NEWSBOAT is not None, "newsboat is required in CI"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "xdg-config"),
            "XDG_DATA_HOME": str(self.home / "xdg-data"),
            "LANG": "C.UTF-8",
        }
        result = subprocess.run(
            [NEWSBOAT, "-u", str(self.urls), "-c", str(self.cache), "-C", str(self.config), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        return result.stdout

    def reload_unread(self) -> int:
        """Fetch the feed and return newsboat's unread count."""
        output = self.run("-x", "reload", "print-unread")
        match = re.search(r"^(\d+) unread articles?$", output, re.MULTILINE)
        assert match, output
        return int(match.group(1))

    def read_all(self, entries: list[Entry]) -> None:
        """Mark entries read through newsboat's own import of read GUIDs."""
        read = self.home / "read.txt"
        read.write_text("".join(atom_id(SETTINGS, e.id) + "\n" for e in entries))
        self.run("-I", str(read))

    def items(self) -> dict[str, tuple[str, str]]:
        """guid -> (title, url) of everything in newsboat's cache."""
        with sqlite3.connect(self.cache) as db:
            rows = db.execute("SELECT guid, title, url FROM rss_item WHERE deleted = 0")
            return {guid: (title, url) for guid, title, url in rows}


@pytest.fixture(params=["feed.atom", "feed.rss"])
def reader(request: pytest.FixtureRequest, tmp_path: Path) -> Reader:
    return Reader(tmp_path, request.param)


def test_newsboat_sees_every_entry(reader: Reader) -> None:
    entries = newest_first(3)
    reader.publish(entries)
    assert reader.reload_unread() == 3
    assert reader.items() == {
        atom_id(SETTINGS, e.id): (e.title, SETTINGS.url(f"articles/{e.slug}.html")) for e in entries
    }


def test_rebuilds_show_only_new_entries_as_unread(reader: Reader) -> None:
    first = newest_first(3)
    reader.publish(first)
    assert reader.reload_unread() == 3
    reader.read_all(first)

    # A no-op rebuild: nothing unread.
    reader.publish(first)
    assert reader.reload_unread() == 0

    # Two new articles: exactly two unread.
    second = newest_first(5)
    reader.publish(second)
    assert reader.reload_unread() == 2
    reader.read_all(second)

    # An article's text was edited: same id, so nothing comes back as unread.
    edited = [edit_text(e, "Corrected text.") if e.id == "e0002" else e for e in second]
    reader.publish(edited)
    assert reader.reload_unread() == 0
    assert len(reader.items()) == 5
