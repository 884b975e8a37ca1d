"""Cross-document evidence through the real build: a line that recurs across one source's
articles is boilerplate, in a batch and for a single new article in a later run."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from publisher.build import build
from publisher.clean import block_key
from publisher.config import load_settings
from publisher.store import Store

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
# Reads like an article sentence, so no pattern can know it is the site's footer: only
# its recurrence across the site's articles gives it away.
FOOTER = "The Harbour Gazette has been published by Coastline Media Group since 1887."
TOPICS = ["bridge", "school", "harbour", "museum", "market", "library"]


def _article(topic: str) -> str:
    return (
        f"Council Votes On The New {topic.title()} Plan\n\n"
        f"The council voted on Tuesday to approve the new {topic} plan after a long debate.\n\n"
        f"Supporters said the {topic} had waited decades for proper investment and repairs.\n\n"
        f"Critics warned that the cost of the {topic} plan could rise by a third next year.\n\n"
        f"{FOOTER}\n"
    )


def _build(inbox: Path, tmp_path: Path) -> None:
    settings = load_settings(
        overrides={
            "paths.input": [inbox],
            "paths.out": tmp_path / "out",
            "paths.state": tmp_path / "state.db",
            "jobs": 1,
        },
        cwd=tmp_path,
    )
    build(settings, now=NOW)


def _gazette(tmp_path: Path, articles: int) -> Path:
    """A site of ``articles`` articles that all end with FOOTER, built once; its inbox."""
    inbox = tmp_path / "gazette"
    inbox.mkdir()
    for topic in TOPICS[:articles]:
        (inbox / f"{topic}.txt").write_text(_article(topic))
    _build(inbox, tmp_path)
    return inbox


def _bodies(tmp_path: Path) -> dict[str, str]:
    with Store.open(tmp_path / "state.db") as store:
        return {
            r.source_key.rsplit("/", 1)[1]: "\n".join(b.text for b in r.payload.article.blocks)
            for r in store.articles()
        }


def test_a_line_recurring_across_a_batch_is_dropped(tmp_path: Path) -> None:
    _gazette(tmp_path, 4)
    bodies = _bodies(tmp_path)
    assert len(bodies) == 4
    for name, body in bodies.items():
        assert FOOTER not in body, name
        assert "council voted on Tuesday" in body


def test_two_articles_are_not_enough_evidence(tmp_path: Path) -> None:
    _gazette(tmp_path, 2)
    assert all(FOOTER in body for body in _bodies(tmp_path).values())


def test_a_single_new_article_from_a_known_source(tmp_path: Path) -> None:
    inbox = _gazette(tmp_path, 3)
    (inbox / "library.txt").write_text(_article("library"))
    _build(inbox, tmp_path)  # the only changed file in this run
    assert FOOTER not in _bodies(tmp_path)["library.txt"]


def test_a_republished_story_is_not_emptied(tmp_path: Path) -> None:
    inbox = tmp_path / "gazette"
    inbox.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):  # the same story three times, other wrappers
        (inbox / name).write_text(f"Edition {name}\n\n" + _article("bridge"))
    _build(inbox, tmp_path)
    bodies = _bodies(tmp_path)
    assert bodies and all("council voted on Tuesday" in body for body in bodies.values())


def test_a_summary_never_quotes_a_dropped_line(tmp_path: Path) -> None:
    inbox = tmp_path / "gazette"
    inbox.mkdir()
    for topic in TOPICS[:4]:
        title, _, rest = _article(topic).partition("\n\n")
        (inbox / f"{topic}.txt").write_text(f"{title}\n\n{FOOTER}\n\n{rest}")
    _build(inbox, tmp_path)
    with Store.open(tmp_path / "state.db") as store:
        summaries = [" ".join(r.payload.summary) for r in store.articles()]
    assert len(summaries) == 4
    for summary in summaries:
        assert FOOTER not in summary and "council voted" in summary


def test_an_edited_article_no_longer_counts_the_lines_it_lost(tmp_path: Path) -> None:
    inbox = _gazette(tmp_path, 3)
    footer = block_key(FOOTER)
    with Store.open(tmp_path / "state.db") as store:
        assert store.recurring_keys("gazette")[footer] == 3
    edited = inbox / "bridge.txt"
    edited.write_text(_article("bridge").replace(FOOTER, "Letters to the editor are welcome."))
    os.utime(edited, (1, 1))  # a different mtime whatever the clock's resolution
    _build(inbox, tmp_path)
    with Store.open(tmp_path / "state.db") as store:
        assert store.recurring_keys("gazette")[footer] == 2
