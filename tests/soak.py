"""`make soak`: a long randomized kill loop over `publisher build` and `publisher send`
against a local SMTP server (aiosmtpd) that sometimes drops the connection after the final
dot. Not part of `make test`: it runs for minutes.

Each round may add articles and subscribers, then runs a build and a send as subprocesses and
SIGKILLs each at a random moment (or, for a send, while the server holds a message). At the
end every issue is finished without kills, and each (issue, subscriber) pair the state queued
is counted:

    tried       pairs queued
    survived    received exactly once; or never received, or received once, and 'unknown'
                (reported: the operator decides)
    duplicated  received more than once
    lost        never received, not refused, not reported unknown

It exits 1 when anything was duplicated or lost, or the state failed its integrity check.
Usage: python tests/soak.py [ROUNDS] [SEED]  (defaults: 40 rounds, seed from the clock)
"""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path
from typing import Any

from cli_helpers import subprocess_env
from smtp_helpers import smtp_server

VOCABULARY = (
    "harbour council ferry timetable budget bridge river school library orchard rail station "
    "market museum festival hospital clinic tram tunnel quay pier lighthouse garden stadium"
)
WORDS = tuple(re.findall(r"\w+", VOCABULARY))


class Server:
    """Records every message it keeps; drops some connections after the final dot (keeping
    the message or not), and may kill the sender while it waits for the answer."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.kept: Counter[tuple[str, str]] = Counter()  # (issue, address) -> copies
        self.sender: subprocess.Popen[bytes] | None = None
        self.kill_at = 0  # kill the sender at this message of the run (0: never)
        self.seen = 0
        self.calm = False  # no more drops or refusals (the final runs)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        message_id = str(message_from_bytes(envelope.content)["Message-ID"])
        issue = message_id.removeprefix("<digest-").partition(".")[0]
        keep = self.calm or self.rng.random() < 0.9
        if keep:
            for rcpt in envelope.rcpt_tos:
                self.kept[(issue, rcpt.lower())] += 1
        if self.seen == self.kill_at and self.sender is not None:
            self.sender.send_signal(signal.SIGKILL)
        if not self.calm and self.rng.random() < 0.05:
            server.transport.abort()  # lost after the final dot
            await asyncio.sleep(0)
        return "250 OK" if keep else "451 try again later"


def _run(command: list[str], rng: random.Random, server: Server | None, kill_within: float) -> str:
    """Run ``command``, killing it after a random time (or, through ``server``, at a random
    message); return how it ended."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=subprocess_env()
    )
    if server is not None:
        server.sender, server.seen = process, 0
        server.kill_at = rng.choice([0, 0, 1, 2, 3, 5, 8])
    # Two runs in three are killed at some moment; the others run to their end.
    patience = rng.uniform(0, kill_within) if rng.random() < 2 / 3 else 600.0
    deadline = time.monotonic() + patience
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    return "killed" if process.returncode == -signal.SIGKILL else f"exit {process.returncode}"


def _write_article(inbox: Path, rng: random.Random, number: int) -> None:
    title = " ".join(rng.choice(WORDS).title() for _ in range(5)) + f" {number}"
    body = "\n\n".join(
        " ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + f" ({number}.{n})."
        for n in range(4)
    )
    (inbox / f"article-{number:04d}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")


def soak(rounds: int, seed: int) -> int:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="publisher-soak-"))
    inbox, state = work / "in", work / "state.db"
    inbox.mkdir()
    server = Server(rng)
    python = [sys.executable, "-m", "publisher"]
    subscribers = 0
    outcomes: Counter[str] = Counter()
    with smtp_server(server) as port:
        config = work / "publisher.toml"
        config.write_text(
            f'[paths]\ninput = ["{inbox}"]\nout = "{work / "out"}"\nstate = "{state}"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n',
            encoding="utf-8",
        )
        base = ["--config", str(config), "-q"]
        articles = 0
        for round_ in range(rounds):
            for _ in range(rng.choice([0, 1, 2, 3, 5])):
                articles += 1
                _write_article(inbox, rng, articles)
            if rng.random() < 0.3 or not subscribers:
                new = [f"reader{subscribers + n:03d}@example.org" for n in range(3)]
                subscribers += 3
                add = [*python, "subscribers", "add", *base, *new]
                subprocess.run(add, check=True, env=subprocess_env())
            outcomes["build " + _run([*python, "build", *base], rng, None, 1.2)] += 1
            send = [*python, "send", *base, *(["--retry"] if rng.random() < 0.2 else [])]
            outcomes["send " + _run(send, rng, server, 1.5)] += 1
            with sqlite3.connect(state) as db:
                if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    print(f"round {round_}: the state failed its integrity check")
                    return 1
            db.close()
        server.kill_at, server.calm = 0, True
        env = subprocess_env()
        subprocess.run([*python, "build", *base], check=True, capture_output=True, env=env)
        for _ in range(5):  # finish: deferred recipients need a run or two
            subprocess.run([*python, "send", *base], capture_output=True, env=env)
    with sqlite3.connect(state) as db:
        rows = db.execute("SELECT digest_id, address, status FROM deliveries").fetchall()
    db.close()
    tried = len(rows)
    survived = duplicated = lost = unknown = 0
    for issue, address, status in rows:
        copies = server.kept[(issue, address)]
        if copies > 1:
            duplicated += 1
        elif status == "unknown":
            unknown += 1
            survived += 1
        elif copies == 1 or status == "failed":
            survived += 1
        else:
            lost += 1
    runs = ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items()))
    print(f"seed {seed}, {rounds} rounds: {runs}")
    print(f"tried {tried} / survived {survived} / duplicated {duplicated} / lost {lost}")
    print(f"({unknown} of the survivors were reported as unknown outcomes)")
    shutil.rmtree(work)
    return 1 if duplicated or lost else 0


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else int(time.time())
    sys.exit(soak(rounds, seed))
