"""Issue 8: `publisher send` killed with SIGKILL, many times; no subscriber gets the digest
twice or misses it.

Kills land at random moments before any mail is sent (start-up, freezing the issue) and,
chosen by the test SMTP server, in the middle of the conversation for a random recipient,
before the server has accepted that message. (Once a server has answered 250 a client may
still die before recording it; SMTP cannot tell that case apart, RFC 5321 section 6.1 accepts
the rare duplicate, and no test can assert otherwise.)
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

from smtp_helpers import smtp_server

from publisher.cli import main

SUBSCRIBERS = [f"reader{n:02d}@example.org" for n in range(12)]


class Recorder:
    """Accepts every message, except that it kills the sender at the chosen message."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str]] = []
        self.kill_at: int | None = None
        self.seen = 0
        self.process: subprocess.Popen[bytes] | None = None

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.kill_at is not None and self.seen == self.kill_at and self.process:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            return "451 sender vanished"
        message = message_from_bytes(envelope.content)
        for rcpt in envelope.rcpt_tos:
            self.delivered.append((rcpt.lower(), str(message["Message-ID"])))
        return "250 OK"


def test_send_survives_sigkill(seeds_copy: Path, tmp_path: Path, workdir: Path) -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        state = tmp_path / "state.db"
        config = tmp_path / "publisher.toml"
        config.write_text(
            f'[paths]\ninput = ["{seeds_copy}"]\nout = "{tmp_path / "out"}"\nstate = "{state}"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n'
        )
        command = [sys.executable, "-m", "publisher", "send", "--config", str(config), "-q"]
        rng = random.Random(75)
        assert main(["build", "--config", str(config), "-q"]) == 0
        assert main(["subscribers", "add", "--config", str(config), *SUBSCRIBERS]) == 0
        for round_ in range(10):
            recorder.seen = 0
            recorder.kill_at = None if round_ % 2 else rng.randint(1, 4)
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            recorder.process = process
            if recorder.kill_at is None:
                time.sleep(rng.uniform(0.0, 0.2))  # before start-up is over: no SMTP yet
                process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            with sqlite3.connect(state) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        recorder.kill_at = None
        final = subprocess.run(command, capture_output=True, timeout=60)
        assert final.returncode == 0, final.stderr
        again = subprocess.run(command, capture_output=True, timeout=60)
        assert again.returncode == 0, again.stderr
    recipients = sorted(rcpt for rcpt, _ in recorder.delivered)
    assert recipients == sorted(SUBSCRIBERS), "each subscriber exactly once"
    assert len({message_id for _, message_id in recorder.delivered}) == 1
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT COUNT(*) FROM digests").fetchone()[0] == 1
        statuses = db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall()
    assert statuses == [("sent", len(SUBSCRIBERS))]
