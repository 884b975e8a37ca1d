"""Mail a relay accepts: DKIM signatures made by the program and verified against the DNS
record `publisher dkim` prints, the VERP return path, Precedence: list, the relay's rate
limit, and SpamAssassin's score of the message exactly as it is sent."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import dkim
import pytest
from reader_helpers import Recorder, write_articles
from smtp_helpers import smtp_server

from publisher.cli import main
from publisher.config import MailSettings, Settings, SmtpSettings
from publisher.mailing.smtp import Connection

IN_CI = os.environ.get("CI") == "true"
SELECTOR = "pub2026"
REQUIRED = {"from", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"}


@pytest.fixture
def peer() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        yield recorder, port


def _config(workdir: Path, tmp_path: Path, port: int, mail: str) -> None:
    inputs = tmp_path / "in"
    write_articles(inputs / "harbour-times", "harbour", 2)
    (workdir / "publisher.toml").write_text(
        '[site]\nbase_url = "https://news.example.org/"\n'
        f'[paths]\ninput = ["{inputs}"]\nout = "{tmp_path / "out"}"\n'
        f'state = "{tmp_path / "state.db"}"\n'
        '[digest]\nfrom = "The Ledger <digest@news.example.org>"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n'
        f"[mail]\n{mail}",
        encoding="utf-8",
    )


def _records(printed: str) -> dict[str, bytes]:
    """The TXT records `publisher dkim` printed, by name, as a DNS lookup returns them."""
    records = {}
    for line in printed.splitlines():
        name, _, rest = line.partition(". IN TXT ")
        records[name] = "".join(re.findall(r'"([^"]*)"', rest)).encode("ascii")
    return records


def test_each_message_is_signed_over_its_final_bytes_and_verifies_against_the_record(
    peer: tuple[Recorder, int],
    tmp_path: Path,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorder, port = peer
    mail = (
        f'dkim_selector = "{SELECTOR}"\ndkim_ed25519 = true\n'
        'bounce_address = "bounces@news.example.org"\n'
    )
    _config(workdir, tmp_path, port, mail)
    assert main(["dkim"]) == 0
    printed = capsys.readouterr().out
    records = _records(printed)
    rsa = f"{SELECTOR}._domainkey.news.example.org"
    ed = f"{SELECTOR}-ed25519._domainkey.news.example.org"
    assert set(records) == {rsa, ed}
    assert records[rsa].startswith(b"v=DKIM1; k=rsa; p=MIIBIjAN")  # RSA 2048
    assert records[ed].startswith(b"v=DKIM1; k=ed25519; p=")
    assert main(["dkim"]) == 0 and capsys.readouterr().out == printed  # kept, not remade

    assert main(["build", "-q"]) == 0
    assert main(["subscribers", "add", "-q", "ann@example.com", "bob@example.net"]) == 0
    assert main(["send", "-q"]) == 0
    assert len(recorder.received) == 2

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return records.get(name.decode().rstrip("."))

    for sender, recipient, raw in recorder.received:
        # Both signatures verify over the bytes as the relay received them.
        assert dkim.DKIM(raw).verify(idx=0, dnsfunc=lookup)
        assert dkim.DKIM(raw).verify(idx=1, dnsfunc=lookup)
        message = message_from_bytes(raw, policy=default)
        signatures = message.get_all("DKIM-Signature")
        assert {re.search(r"a=([\w-]+)", s).group(1) for s in signatures} == {
            "rsa-sha256",
            "ed25519-sha256",
        }
        for signature in signatures:
            signed = set(re.search(r"h=([^;]+)", re.sub(r"\s", "", signature)).group(1).split(":"))
            assert {h.lower() for h in signed} >= REQUIRED
            assert "d=news.example.org" in signature.replace(" ", "")
        assert message["Precedence"] == "list" and message["List-Id"]
        # The return path carries the recipient's signed token, not the address.
        assert re.fullmatch(r"bounces\+[a-z2-7]{16}@news\.example\.org", sender)
        assert recipient.split("@")[0] not in sender
        # A changed byte breaks the signature: it covers what was sent.
        tampered = raw.replace(b"Subject: ", b"Subject: RE: ", 1)
        assert not dkim.DKIM(tampered).verify(idx=1, dnsfunc=lookup)
    senders = {sender for sender, _, _ in recorder.received}
    assert len(senders) == 2  # one token per recipient


def test_without_a_selector_nothing_is_signed_and_dkim_says_so(
    peer: tuple[Recorder, int],
    tmp_path: Path,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorder, port = peer
    _config(workdir, tmp_path, port, "")
    assert main(["dkim"]) == 1
    assert "dkim_selector is not set" in capsys.readouterr().err
    assert main(["build", "-q"]) == 0
    assert main(["subscribers", "add", "-q", "ann@example.com"]) == 0
    assert main(["send", "-q"]) == 0
    [(sender, _, raw)] = recorder.received
    assert b"DKIM-Signature" not in raw and sender == "digest@news.example.org"


def test_a_bad_selector_or_bounce_address_is_a_configuration_error(
    tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for mail, says in (
        ('dkim_selector = "a b"\n', "mail.dkim_selector must be a DNS label"),
        ('bounce_address = "bounces+x@example.org"\n', "mail.bounce_address"),
    ):
        _config(workdir, tmp_path, 25, mail)
        assert main(["dkim"]) == 2
        assert says in capsys.readouterr().err


def test_the_relay_gets_no_more_than_max_per_minute(peer: tuple[Recorder, int]) -> None:
    recorder, port = peer
    settings = Settings(
        smtp=SmtpSettings(host="127.0.0.1", port=port, security="none", max_per_minute=2)
    )
    now = [0.0]
    sent_at: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with Connection(settings, sleep=sleep, clock=lambda: now[0]) as connection:
        for n in range(5):
            message = f"Subject: {n}\r\nFrom: a@example.org\r\n\r\nhello\r\n".encode()
            connection.send(
                "a@example.org", f"r{n}@example.com", message, handing_over=lambda: None
            )
            sent_at.append(now[0])
    assert len(recorder.received) == 5
    for start in sent_at:  # in no minute more than two
        assert sum(1 for t in sent_at if start <= t < start + 60) <= 2
    assert sent_at == [0.0, 0.0, 60.0, 60.0, 120.0]


def test_a_relay_without_a_limit_is_never_waited_for(peer: tuple[Recorder, int]) -> None:
    _, port = peer
    settings = Settings(smtp=SmtpSettings(host="127.0.0.1", port=port, security="none"))
    waits: list[float] = []
    with Connection(replace(settings), sleep=waits.append) as connection:
        for n in range(3):
            message = f"Subject: {n}\r\n\r\nhello\r\n".encode()
            connection.send("a@example.org", "r@example.com", message, handing_over=lambda: None)
    assert waits == []


def test_spamassassin_scores_the_signed_message_as_sent_below_one(
    peer: tuple[Recorder, int], tmp_path: Path, workdir: Path
) -> None:
    spamassassin = shutil.which("spamassassin")
    if spamassassin is None:
        if IN_CI:
            pytest.fail("spamassassin is required in CI")
        pytest.skip("spamassassin is not installed")
    recorder, port = peer
    _config(workdir, tmp_path, port, f'dkim_selector = "{SELECTOR}"\n')
    assert main(["build", "-q"]) == 0
    assert main(["subscribers", "add", "-q", "reader@example.com"]) == 0
    assert main(["send", "-q"]) == 0
    [(_, _, raw)] = recorder.received
    result = subprocess.run(
        [spamassassin, "-L", "-t"],
        input=raw,
        capture_output=True,
        timeout=120,
        check=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    status = re.search(rb"^X-Spam-Status: .*?score=(-?[0-9.]+)", result.stdout, flags=re.M)
    assert status, result.stdout[:2000]
    assert float(status.group(1)) < 1.0, result.stdout.decode("utf-8", "replace")[-3000:]


def test_mail_settings_default_to_off() -> None:
    assert MailSettings() == MailSettings(None, False, None)
