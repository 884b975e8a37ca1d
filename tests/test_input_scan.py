"""Which input files a build looks at (issue 24, build/inputs.py): a directory nothing was
added to, removed from or renamed in is not listed; files in it are stat-ed when recent,
else in rotation; ``--rescan`` looks at everything. And a list that outgrows memory goes
to disk (build/spill.py)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from publisher.build import build, inputs
from publisher.build.spill import Spill
from publisher.config import Settings, load_settings
from publisher.store import Store

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
# An old time for files and directories: neither recent nor too close to a listing.
OLD = time.time() - 30 * 86400


def _article(topic: str, note: str = "") -> str:
    return (
        f"The Council Approves The New {topic.title()} Plan\n\n"
        f"The council voted on Tuesday to approve the new {topic} plan after a long debate"
        f"{note}.\n\n"
        f"Supporters said the {topic} had waited decades for proper investment and repairs.\n"
    )


def _write(path: Path, text: str, when: float = OLD) -> None:
    path.write_text(text, "utf-8")
    os.utime(path, (when, when))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    inbox = tmp_path / "in" / "site"
    inbox.mkdir(parents=True)
    for n, topic in enumerate(["bridge", "school", "harbour", "museum", "market"]):
        _write(inbox / f"{n}.txt", _article(topic))
    os.utime(inbox, (OLD, OLD))
    return inbox


@pytest.fixture
def settings(tmp_path: Path, site: Path) -> Settings:
    return load_settings(
        overrides={
            "paths.input": [tmp_path / "in"],
            "paths.out": tmp_path / "out",
            "paths.state": tmp_path / "state.db",
            "jobs": 1,
        },
        cwd=tmp_path,
    )


def _titles(settings: Settings) -> set[str]:
    with Store.open(settings.paths.state) as store:
        return {record.payload.article.title for record in store.articles()}


def test_an_unchanged_directory_is_not_listed_and_rescan_lists_it(
    settings: Settings, site: Path
) -> None:
    build(settings, now=NOW)
    # A file slipped in while the directory keeps its time: only a listing finds it.
    _write(site / "9.txt", _article("library"))
    os.utime(site, (OLD, OLD))
    report = build(settings, now=NOW + timedelta(hours=1))
    assert (report.new, report.seen) == (0, 5)
    report = build(settings, now=NOW + timedelta(hours=2), rescan=True)
    assert (report.new, report.seen) == (1, 6)
    assert "The Council Approves The New Library Plan" in _titles(settings)


def test_a_file_added_the_usual_way_is_found_at_once(settings: Settings, site: Path) -> None:
    build(settings, now=NOW)
    (site / "9.txt").write_text(_article("library"), "utf-8")  # the directory changes
    assert build(settings, now=NOW + timedelta(hours=1)).new == 1


def test_a_listed_directory_reads_its_files_states_in_one_go(
    settings: Settings, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(settings, now=NOW)
    # A new file (the directory is listed), an edited one and a rejected one beside it.
    _write(site / "3.txt", _article("museum", " that ran late"), OLD + 60)
    _write(site / "7.txt", "")
    (site / "9.txt").write_text(_article("library"), "utf-8")
    looked_up: list[str] = []
    file_state = Store.file_state

    def counted(store: Store, key: str) -> object:
        looked_up.append(key)
        return file_state(store, key)

    monkeypatch.setattr(Store, "file_state", counted)
    report = build(settings, now=NOW + timedelta(hours=1))
    assert (report.new, report.changed, report.seen) == (1, 1, 7)
    assert looked_up == []  # not one look-up per file of the directory
    # The rejected file is remembered as such: unchanged, it is not read again.
    report = build(settings, now=NOW + timedelta(hours=2), rescan=True)
    assert (report.new, report.changed) == (0, 0)
    assert looked_up == []


def test_an_old_file_edited_in_place_is_found_by_the_rotation(
    settings: Settings, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inputs, "RECHECK", 2)  # two known files a build
    build(settings, now=NOW)
    _write(site / "3.txt", _article("museum", " that ran late"), OLD + 60)
    os.utime(site, (OLD, OLD))
    changed = [build(settings, now=NOW + timedelta(hours=h)).changed for h in range(1, 5)]
    # Five files, two a build: found within three builds, and only once.
    assert sum(changed[:3]) == 1 and changed[3] == 0


def test_a_recent_file_edited_in_place_is_found_at_once(
    settings: Settings, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inputs, "RECHECK", 1)
    now = time.time()
    _write(site / "4.txt", _article("market"), now - 3600)
    build(settings, now=NOW)
    _write(site / "4.txt", _article("market", " that ran late"), now - 60)
    os.utime(site, (OLD, OLD))
    assert build(settings, now=NOW + timedelta(hours=1)).changed == 1


def test_a_spill_gives_back_what_it_was_given_in_order(tmp_path: Path) -> None:
    with Spill[tuple[int, str]](tmp_path) as spill:
        for n in range(5_000):
            spill.append((n, f"item {n}"))
        assert len(spill) == 5_000
        assert spill.file is not None  # most of it on disk
        assert list(spill) == [(n, f"item {n}") for n in range(5_000)]
