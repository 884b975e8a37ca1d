from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of seeds/ (named seeds, so article ids match the repository's)."""
    target = tmp_path / "in" / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with no publisher.toml, so defaults apply."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work
