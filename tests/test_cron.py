"""Running from cron, through the real command line as subprocesses: ``-q`` prints nothing
when all is well, an overlapping run exits 75 at once with one line, and the lock of a killed
run never blocks the next one."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import subprocess_env

EX_TEMPFAIL = 75
TITLE = "Harbour Council Approves New Ferry Timetable"
ARTICLE = f"""{TITLE}

The harbour council voted on Tuesday to approve a new ferry timetable that adds two early \
crossings on weekdays.

Commuters had asked for the change for more than a year, saying the first boat left too late \
for shifts that start at seven in the morning.

The operator said the extra sailings would use the smaller vessel, which burns less fuel and \
needs a crew of only four.

Council members agreed to review the timetable after six months, when passenger numbers for \
the new crossings are known.
"""
# Holds the run lock until its stdin closes, like a long build started by cron.
HOLDER = """
import sys
from pathlib import Path
from publisher.store import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


def _publisher(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        cwd=tmp_path,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _build(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return _publisher(
        tmp_path, "build", "--input", "in", "--out", "out", "--state", "state/state.db", "-q"
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ferry.txt").write_text(ARTICLE, encoding="utf-8")
    return tmp_path


@pytest.fixture
def holder(site: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(site / "state" / "state.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    assert process.stdout is not None and process.stdout.readline() == "held\n"
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_quiet_build_prints_nothing_when_all_is_well(site: Path) -> None:
    for _ in range(2):  # the first run publishes, the second finds nothing to do
        result = _build(site)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert TITLE in (site / "out" / "feed.atom").read_text(encoding="utf-8")


def test_overlapping_run_exits_75_with_one_line(site: Path, holder: subprocess.Popen[str]) -> None:
    # With someone to send to, a send must freeze an issue: that waits for the build lock.
    subscribe = ("subscribers", "add", "--state", "state/state.db", "ann@example.org")
    assert _publisher(site, *subscribe).returncode == 0
    for command in (["build", "--input", "in", "--out", "out"], ["send"]):
        result = _publisher(site, *command, "--state", "state/state.db", "-q")
        assert result.returncode == EX_TEMPFAIL, result.stderr
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert "holds the lock" in result.stderr
    assert not (site / "out" / "feed.atom").exists()
    holder.communicate("", timeout=10)  # the long run ends: the next one goes through
    assert _build(site).returncode == 0


def test_lock_of_a_killed_run_never_blocks(site: Path, holder: subprocess.Popen[str]) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    assert (site / "state" / "state.db.lock").exists()  # left behind, but not held
    result = _build(site)
    assert (result.returncode, result.stderr) == (0, "")
    assert TITLE in (site / "out" / "feed.atom").read_text(encoding="utf-8")
