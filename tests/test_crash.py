"""Issue 8: `publisher build` killed with SIGKILL at random moments loses nothing.

After every kill, each file in out/ is complete (old or new), nothing the index or the feeds
link to is missing, and the SQLite state passes its integrity check; the next run completes
the work and ends with the same publication as an uninterrupted build.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import lxml.html
import pytest
from cli_helpers import build_argv
from lxml import etree

from publisher import build
from publisher.config import Settings, load_settings

SENTENCES = [
    "The committee met for the {n}th time to review the budget of the harbour district.",
    "Residents of district {n} asked for more frequent buses and safer crossings.",
    "Engineers said repairs to bridge number {n} would take most of the coming year.",
    "A local school won a national science prize for its project on river pollution.",
    "Officials expect the new rail link to cut travel times by a quarter.",
    "Shop owners reported a busy season despite higher prices for energy and food.",
]
NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


def _write_corpus(directory: Path, start: int, count: int) -> None:
    rng = random.Random(start)
    for n in range(start, start + count):
        lines = [s.format(n=n) for s in rng.sample(SENTENCES, len(SENTENCES))]
        body = "\n\n".join(lines)
        (directory / f"article-{n:04d}.txt").write_text(
            f"Harbour Report Number {n} From The City Council\n\n{body}\n", encoding="utf-8"
        )


def _build(inbox: Path, out: Path, state: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "publisher", *build_argv(inbox, out, state, "-q")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _check_consistent(out: Path, state: Path) -> None:
    if state.exists():
        with sqlite3.connect(state) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    if not out.exists():
        return
    assert not list(out.rglob("*.tmp")) or all(p.name.startswith(".") for p in out.rglob("*.tmp"))
    base = "http://localhost:8000/"
    links: set[str] = set()
    for name in ("feed.atom", "feed.rss"):
        if (out / name).exists():
            data = (out / name).read_bytes()
            etree.fromstring(data)  # complete and well-formed
            links |= {e.link for e in feedparser.parse(data).entries}
    if (out / "index.html").exists():
        page = lxml.html.fromstring((out / "index.html").read_bytes())
        links |= {h for h in page.xpath("//a/@href") if "/articles/" in h}
    for link in links:
        assert (out / link.removeprefix(base)).is_file(), f"dangling link {link}"


def _published(out: Path) -> list[tuple[str, str]]:
    feed = feedparser.parse((out / "feed.atom").read_bytes())
    return sorted((e.id, e.title) for e in feed.entries)


def test_build_survives_sigkill_at_random_moments(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    out, state = tmp_path / "out", tmp_path / "state.db"
    _write_corpus(inbox, 0, 30)
    # How long an uninterrupted build takes here, to aim the kills inside it.
    started = time.monotonic()
    assert _build(inbox, tmp_path / "ref-out", tmp_path / "ref.db").wait() == 0
    duration = time.monotonic() - started
    rng = random.Random(8)
    for round_ in range(12):
        _write_corpus(inbox, 100 + round_ * 5, 5)  # new work for every round
        process = _build(inbox, out, state)
        time.sleep(rng.uniform(0.05, duration))
        process.send_signal(signal.SIGKILL)
        process.wait()
        _check_consistent(out, state)
    final = _build(inbox, out, state)
    assert final.wait() == 0, final.stderr.read() if final.stderr else ""
    _check_consistent(out, state)
    reference = tmp_path / "ref2-out"
    assert _build(inbox, reference, tmp_path / "ref2.db").wait() == 0
    assert len(list(inbox.iterdir())) == 90
    assert _published(out) == _published(reference)
    pages = sorted(p.name for p in (out / "articles").iterdir() if not p.name.startswith("."))
    assert pages == sorted(p.name for p in (reference / "articles").iterdir())
    assert len(pages) == 90
    assert os.listdir(out / "articles") == [
        p for p in os.listdir(out / "articles") if not p.endswith(".tmp")
    ]


@pytest.mark.parametrize("stage", ["drop_recurring", "regroup_stories"])
def test_build_killed_after_saving_is_finished_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    """The articles are committed before the cross-document pass and the story grouping
    (their workers read committed records): a run killed in between leaves that work to the
    next run, which must end with the publication of an uninterrupted build."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _write_corpus(inbox, 0, 8)  # three sentences recur in every article: boilerplate

    def settings(name: str) -> Settings:
        return load_settings(
            None,
            {
                "paths.input": [inbox],
                "paths.out": tmp_path / name / "out",
                "paths.state": tmp_path / name / "state.db",
                "jobs": 1,
            },
        )

    build.build(settings("reference"), now=NOW)

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies here

    with monkeypatch.context() as patch:
        # Where the build finds them (imported when there is something to save).
        home = {"drop_recurring": build.boilerplate, "regroup_stories": build.saving}[stage]
        patch.setattr(home, stage, killed)
        with pytest.raises(KeyboardInterrupt):
            build.build(settings("crashed"), now=NOW)
    build.build(settings("crashed"), now=NOW)

    def outputs(name: str) -> dict[str, bytes]:
        out = tmp_path / name / "out"
        return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    assert outputs("crashed") == outputs("reference")


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return set()
    return {int(child) for child in text.split()}


def _running(pid: int) -> bool:
    """Whether ``pid`` is alive (an exited orphan may stay a zombie until init reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_of_a_killed_build_do_not_live_on(tmp_path: Path) -> None:
    """SIGKILL gives the build no chance to shut its process pool down; its workers, left
    waiting for work that never comes, must end rather than pile up with every kill."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _write_corpus(inbox, 0, 400)  # enough for a pool (build.pool.POOL_THRESHOLD)
    argv = build_argv(inbox, tmp_path / "out", tmp_path / "state.db", "-q")
    argv[argv.index("--jobs") + 1] = "2"
    process = subprocess.Popen(
        [sys.executable, "-m", "publisher", *argv], stdout=subprocess.DEVNULL
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 30
    while len(workers) < 2 and process.poll() is None and time.monotonic() < deadline:
        workers = _children(process.pid)
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len(workers) == 2, "the build ended before its pool was seen"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_running(w) for w in workers):
        time.sleep(0.1)
    alive = [w for w in workers if _running(w)]
    for worker in alive:
        os.kill(worker, signal.SIGKILL)
    assert not alive, "orphaned workers"
