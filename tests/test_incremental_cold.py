"""Issue 20: incremental builds end where a cold build of the same files ends.

Ids, page URLs, which article is a copy of which, and the set of article pages do not depend
on the order files arrive in or on how they are batched: among identical articles the first
published (by its date, then its file) is the original, whatever was read first; copies get
no page; and two articles whose page names would collide both get one.
"""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path

import pytest
from cli_helpers import build_argv

from publisher.cli import main
from publisher.ids import article_id_for

# Words to make sentences of (random choices: no line recurs across articles).
VOCABULARY = (
    "harbour council ferry timetable budget bridge river school library orchard rail station "
    "market museum festival hospital clinic tram tunnel quay pier lighthouse garden stadium "
    "theatre gallery archive factory warehouse depot square avenue"
)
WORDS = tuple(re.findall(r"\w+", VOCABULARY))
MONTHS = ("January", "February", "March", "April", "May", "June")


def _article(rng: random.Random, day: int) -> str:
    """A plain-text article with a title, a date and sentences nobody else has."""
    title = " ".join(rng.choice(WORDS).title() for _ in range(5))
    sentences = [
        " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + f" number {rng.random()}."
        for _ in range(5)
    ]
    date = f"{MONTHS[day % 6]} {1 + day % 28}, 2026"
    return f"{title}\n\n{date}\n\n" + "\n\n".join(sentences) + "\n"


def _redated(text: str, date: str) -> str:
    title, _, rest = text.partition("\n\n")
    return f"{title}\n\n{date}\n\n{rest.partition(chr(10) * 2)[2]}"


def _corpus(rng: random.Random) -> dict[str, str]:
    """File name -> text: distinct articles, exact copies, and copies republished later."""
    files = {f"story-{n:02d}.txt": _article(rng, n) for n in range(24)}
    names = sorted(files)
    for n, name in enumerate(rng.sample(names, 5)):
        files[f"copy-{n}.txt"] = files[name]  # the same file twice
    for n, name in enumerate(rng.sample(names, 3)):
        files[f"later-{n}.txt"] = _redated(files[name], "December 30, 2026")
    return files


def _state(state: Path) -> dict[str, tuple[str, str, str | None]]:
    """Source key -> (id, slug, id of the original it copies)."""
    with sqlite3.connect(state) as db:
        rows = db.execute("SELECT source_key, id, slug, duplicate_of FROM articles").fetchall()
    db.close()
    return {key: (article_id, slug, original) for key, article_id, slug, original in rows}


def _pages(out: Path) -> set[str]:
    return {p.name for p in (out / "articles").iterdir()}


def _build(inbox: Path, root: Path) -> None:
    assert main(build_argv(inbox, root / "out", root / "state.db", "-q")) == 0


def _cold(
    files: dict[str, str], root: Path
) -> tuple[dict[str, tuple[str, str, str | None]], set[str]]:
    inbox = root / "news"
    inbox.mkdir(parents=True)
    for name, text in files.items():
        (inbox / name).write_text(text, encoding="utf-8")
    _build(inbox, root)
    return _state(root / "state.db"), _pages(root / "out")


@pytest.mark.parametrize("seed", [20, 2026])
def test_any_order_and_batching_ends_as_a_cold_build(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    files = _corpus(rng)
    cold_state, cold_pages = _cold(files, tmp_path / "cold")
    copies = {key for key, (_, _, original) in cold_state.items() if original}
    assert len(copies) == 8 and len(cold_pages) == len(files) - 8

    root = tmp_path / "incremental"
    inbox = root / "news"
    inbox.mkdir(parents=True)
    order = list(files)
    rng.shuffle(order)
    while order:
        size = rng.randint(1, 7)
        batch, order = order[:size], order[size:]
        for name in batch:
            (inbox / name).write_text(files[name], encoding="utf-8")
        _build(inbox, root)
    assert _state(root / "state.db") == cold_state
    assert _pages(root / "out") == cold_pages


def test_an_older_article_edited_to_match_a_younger_one_keeps_its_place(tmp_path: Path) -> None:
    rng = random.Random(7)
    older = _redated(_article(rng, 1), "January 5, 2026")
    younger = _redated(_article(rng, 2), "March 9, 2026")
    root = tmp_path / "incremental"
    inbox = root / "news"
    inbox.mkdir(parents=True)
    (inbox / "b-older.txt").write_text(older, encoding="utf-8")
    (inbox / "a-younger.txt").write_text(younger, encoding="utf-8")
    _build(inbox, root)
    before = _state(root / "state.db")
    assert len(_pages(root / "out")) == 2

    edited = _redated(younger, "January 5, 2026")  # the older one's date, the younger's text
    (inbox / "b-older.txt").write_text(edited, encoding="utf-8")
    _build(inbox, root)
    after = _state(root / "state.db")
    older_id, older_slug, _ = before["news/b-older.txt"]
    assert after["news/b-older.txt"] == (older_id, older_slug, None)  # still there, same URL
    assert after["news/a-younger.txt"][2] == older_id
    assert _pages(root / "out") == {f"{older_slug}.html"}  # the copy's page is gone
    feed = (root / "out" / "feed.atom").read_text(encoding="utf-8")
    assert older_slug in feed and before["news/a-younger.txt"][1] not in feed

    cold_state, cold_pages = _cold(
        {"b-older.txt": edited, "a-younger.txt": younger}, tmp_path / "cold"
    )
    # (A page keeps its first name for ever: the edited article's URL is its old one.)
    assert {k: (i, o) for k, (i, _, o) in after.items()} == {
        k: (i, o) for k, (i, _, o) in cold_state.items()
    }
    assert len(cold_pages) == 1

    # Edited again so that they differ: the younger one is an article of its own again.
    (inbox / "b-older.txt").write_text(older, encoding="utf-8")
    _build(inbox, root)
    again = _state(root / "state.db")
    assert again["news/a-younger.txt"] == before["news/a-younger.txt"]
    assert len(_pages(root / "out")) == 2


def test_a_copy_that_arrives_later_gets_no_page(tmp_path: Path) -> None:
    text = _article(random.Random(3), 4)
    inbox = tmp_path / "news"
    inbox.mkdir()
    (inbox / "first.txt").write_text(text, encoding="utf-8")
    _build(inbox, tmp_path)
    pages = _pages(tmp_path / "out")
    (inbox / "second.txt").write_text(text, encoding="utf-8")
    _build(inbox, tmp_path)
    assert _pages(tmp_path / "out") == pages
    assert _state(tmp_path / "state.db")["news/second.txt"][2] is not None


def _colliding_names() -> tuple[str, str]:
    """Two file names in news/ whose article ids share their first six hex digits."""
    seen: dict[str, str] = {}
    for n in range(100_000):
        name = f"story-{n}.txt"
        prefix = article_id_for(f"news/{name}")[:6]
        if prefix in seen:
            return seen[prefix], name
        seen[prefix] = name
    raise AssertionError("no collision among 100,000 names")


@pytest.mark.parametrize("together", [True, False])
def test_a_page_name_collision_gives_the_later_article_another_name(
    tmp_path: Path, together: bool
) -> None:
    first, second = _colliding_names()
    rng = random.Random(11)
    title = "Harbour Council Approves The New Ferry Timetable"
    inbox = tmp_path / "news"
    inbox.mkdir()
    for name in (first, second):
        body = _article(rng, 3).partition("\n\n")[2]
        (inbox / name).write_text(f"{title}\n\n{body}", encoding="utf-8")
        if not together:
            _build(inbox, tmp_path)
    _build(inbox, tmp_path)
    state = _state(tmp_path / "state.db")
    slugs = sorted(slug for _, slug, _ in state.values())
    shared = article_id_for(f"news/{first}")[:6]
    later = second if not together or second > first else first
    assert slugs[0] == f"harbour-council-approves-the-new-ferry-timetable-{shared}"
    assert state[f"news/{later}"][1].startswith(slugs[0]) and state[f"news/{later}"][1] != slugs[0]
    assert _pages(tmp_path / "out") == {f"{slug}.html" for slug in slugs}
