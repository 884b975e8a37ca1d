"""Issues 8 and 20: `publisher send` killed with SIGKILL, cut off by its mail server, or
unable to write its state: no subscriber gets a digest twice, and none misses it unreported.

Kills land at random moments before any mail is sent (start-up, freezing the issue) and,
chosen by the test SMTP server, while a message is being handed over: after the final dot,
either refused (451) or accepted (250) by the server. The sender cannot tell those two apart,
so both become 'unknown': reported, and sent again only by `send --retry-unknown`. A full
state disk during the send is the same window: the server has the message, the sender
cannot record it.
"""

from __future__ import annotations

import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path
from typing import Any

from cli_helpers import subprocess_env
from smtp_helpers import smtp_server

from publisher.cli import main

SUBSCRIBERS = [f"reader{n:02d}@example.org" for n in range(12)]


class Recorder:
    """Accepts every message, except that at the chosen message it kills the sender (or
    takes away its room to write) and then answers with ``answer``."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str]] = []  # (recipient, Message-ID) accepted
        self.kill_at: int | None = None
        self.answer = "451 sender vanished"
        self.fill_disk_at: int | None = None
        self.seen = 0
        self.process: subprocess.Popen[bytes] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        accepted = True
        if self.kill_at is not None and self.seen == self.kill_at and self.process:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            accepted = self.answer.startswith("250")
        if self.fill_disk_at is not None and self.seen == self.fill_disk_at and self.process:
            # The sender's files cannot grow any more: its next write to the state fails as
            # on a full disk (Python ignores SIGXFSZ, so the write returns an error).
            resource.prlimit(self.process.pid, resource.RLIMIT_FSIZE, (1, 1))
        if not accepted:
            return self.answer
        message = message_from_bytes(envelope.content)
        for rcpt in envelope.rcpt_tos:
            self.delivered.append((rcpt.lower(), str(message["Message-ID"])))
        return "250 OK"


def _config(tmp_path: Path, seeds: Path, port: int) -> tuple[Path, Path]:
    state = tmp_path / "state.db"
    config = tmp_path / "publisher.toml"
    config.write_text(
        f'[paths]\ninput = ["{seeds}"]\nout = "{tmp_path / "out"}"\nstate = "{state}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n'
    )
    assert main(["build", "--config", str(config), "-q"]) == 0
    assert main(["subscribers", "add", "--config", str(config), "-q", *SUBSCRIBERS]) == 0
    return config, state


def _send_command(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "publisher", "send", "--config", str(config), "-q", *extra]


def _statuses(state: Path) -> dict[str, str]:
    with sqlite3.connect(state) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT address, status FROM deliveries").fetchall()
    db.close()
    return dict(rows)


def test_send_survives_sigkill(seeds_copy: Path, tmp_path: Path, workdir: Path) -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        config, state = _config(tmp_path, seeds_copy, port)
        command = _send_command(config)
        rng = random.Random(75)
        reported: list[str] = []
        for round_ in range(10):
            recorder.seen = 0
            recorder.kill_at = None if round_ % 2 else rng.randint(1, 4)
            recorder.answer = rng.choice(["451 sender vanished", "250 OK but nobody heard"])
            process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=subprocess_env()
            )
            recorder.process = process
            if recorder.kill_at is None:
                time.sleep(rng.uniform(0.0, 0.2))  # before start-up is over: no SMTP yet
                process.send_signal(signal.SIGKILL)
            _, err = process.communicate(timeout=30)
            reported += [line for line in err.decode().splitlines() if "outcome unknown" in line]
            _statuses(state)
        recorder.kill_at = None
        final = subprocess.run(command, capture_output=True, timeout=60, env=subprocess_env())
        reported += [
            line for line in final.stderr.decode().splitlines() if "outcome unknown" in line
        ]
        again = subprocess.run(command, capture_output=True, timeout=60, env=subprocess_env())
        assert again.returncode == 0, again.stderr

        # At most once each; whoever did not get it is 'unknown', and was told about.
        received = Counter(rcpt for rcpt, _ in recorder.delivered)
        assert max(received.values()) == 1, "nobody gets the digest twice"
        statuses = _statuses(state)
        assert set(statuses) == set(SUBSCRIBERS)
        assert set(statuses.values()) <= {"sent", "unknown"}
        unknown = {a for a, status in statuses.items() if status == "unknown"}
        assert unknown, "the kills after the final dot leave unknown outcomes"
        assert {a for a, status in statuses.items() if status == "sent"} <= set(received)
        assert set(SUBSCRIBERS) - set(received) <= unknown, "nobody is lost unreported"
        assert {a for a in unknown if any(a in line for line in reported)} == unknown

        # The operator sends them again: only those, with the Message-ID they had.
        retried = subprocess.run(
            _send_command(config, "--retry-unknown"),
            capture_output=True,
            timeout=60,
            env=subprocess_env(),
        )
        assert retried.returncode == 0, retried.stderr
    assert set(_statuses(state).values()) == {"sent"}
    received = Counter(rcpt for rcpt, _ in recorder.delivered)
    assert set(received) == set(SUBSCRIBERS)
    assert {a for a, n in received.items() if n > 1} <= unknown
    ids = {rcpt: {mid for r, mid in recorder.delivered if r == rcpt} for rcpt in received}
    assert all(len(mids) == 1 for mids in ids.values())
    assert len({mid for mids in ids.values() for mid in mids}) == len(SUBSCRIBERS)
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT COUNT(*) FROM digests").fetchone()[0] == 1


def test_a_kill_between_data_and_the_commit_is_not_sent_twice(
    seeds_copy: Path, tmp_path: Path, workdir: Path
) -> None:
    """The server accepted the message; the sender died before it could record it."""
    recorder = Recorder()
    with smtp_server(recorder) as port:
        config, state = _config(tmp_path, seeds_copy, port)
        recorder.kill_at, recorder.answer = 3, "250 OK"
        process = subprocess.Popen(
            _send_command(config), stderr=subprocess.DEVNULL, env=subprocess_env()
        )
        recorder.process = process
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        victim = recorder.delivered[-1][0]
        assert _statuses(state)[victim] == "sending"

        after = subprocess.run(
            _send_command(config), capture_output=True, timeout=60, env=subprocess_env()
        )
    assert after.returncode == 1
    assert f"{victim} outcome unknown" in after.stderr.decode()
    assert Counter(rcpt for rcpt, _ in recorder.delivered) == Counter(SUBSCRIBERS)
    statuses = _statuses(state)
    assert statuses.pop(victim) == "unknown" and set(statuses.values()) == {"sent"}


def test_a_state_disk_that_fills_during_a_send_sends_nothing_twice(
    seeds_copy: Path, tmp_path: Path, workdir: Path
) -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        config, state = _config(tmp_path, seeds_copy, port)
        recorder.fill_disk_at = 2
        process = subprocess.Popen(
            _send_command(config), stderr=subprocess.PIPE, env=subprocess_env()
        )
        recorder.process = process
        _, err = process.communicate(timeout=30)
        assert process.returncode == 1
        assert f"cannot write to the state database {state}" in err.decode()
        assert len(recorder.delivered) == 2  # the second was accepted, then not recorded
        second = recorder.delivered[1][0]

        recorder.fill_disk_at = None  # space was freed
        after = subprocess.run(
            _send_command(config), capture_output=True, timeout=60, env=subprocess_env()
        )
    assert after.returncode == 1 and f"{second} outcome unknown" in after.stderr.decode()
    assert Counter(rcpt for rcpt, _ in recorder.delivered) == Counter(SUBSCRIBERS)
    statuses = _statuses(state)
    assert statuses.pop(second) == "unknown" and set(statuses.values()) == {"sent"}
