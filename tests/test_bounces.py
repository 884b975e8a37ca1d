"""Bounces and complaints read back by `publisher bounces`, from a corpus of reports in the
formats real servers send (tests/fixtures/bounces/README.md): a Maildir and an MTA pipe."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from reader_helpers import Recorder, write_articles
from smtp_helpers import smtp_server

from publisher.cli import main
from publisher.config import load_settings
from publisher.mailing.bounces import SOFT_LIMIT, return_path
from publisher.mailing.tokens import RETURN_PATH_SECRET
from publisher.mailing.unsubscribe import UNSUBSCRIBE_SECRET, unsubscribe_token
from publisher.render.message import unsubscribe_links
from publisher.store import Store

CORPUS = Path(__file__).parent / "fixtures" / "bounces"
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
READERS = ["ann@example.com", "bob@example.net", "cy@example.org", "dee@example.com"]
# The corpus: file -> (what it is, what becomes of the subscriber).
EXPECTED = {
    "postfix-hard.eml": ("hard", "suspended"),
    "postfix-delayed.eml": ("soft", "active"),
    "exim-hard.eml": ("hard", "suspended"),
    "exim-text.eml": ("hard", "suspended"),
    "exchange-hard.eml": ("hard", "suspended"),
    "gmail-delayed.eml": ("soft", "active"),
    "gmail-hard.eml": ("hard", "suspended"),
    "arf-complaint.eml": ("complaint", "unsubscribed"),
    "out-of-office.eml": ("auto-reply", "active"),
}


@pytest.fixture
def site(tmp_path: Path, workdir: Path) -> Path:
    """A site whose bounces go to bounces@news.example.org, with READERS subscribed."""
    state = tmp_path / "state.db"
    (workdir / "publisher.toml").write_text(
        '[site]\nbase_url = "https://news.example.org/"\n'
        f'[paths]\ninput = ["{tmp_path / "in"}"]\nout = "{tmp_path / "out"}"\n'
        f'state = "{state}"\n'
        '[digest]\nfrom = "The Example Ledger <digest@news.example.org>"\n'
        '[mail]\nbounce_address = "bounces@news.example.org"\n',
        encoding="utf-8",
    )
    assert main(["subscribers", "add", "-q", *READERS]) == 0
    return workdir / "publisher.toml"


def report(config: Path, name: str, address: str, *, token: str | None = None) -> bytes:
    """The corpus file ``name`` about ``address``, as it would come back for our mail."""
    settings = load_settings(config)
    with Store.open(settings.paths.state) as store:
        verp = return_path(settings, store.secret(RETURN_PATH_SECRET), address)
        subscriber = store.subscriber(address)
        epoch = subscriber.epoch if subscriber else 0
        signed = unsubscribe_token(store.secret(UNSUBSCRIBE_SECRET), address, epoch)
    assert verp is not None
    if token is not None:  # a forged or damaged return path
        verp = f"bounces+{token}@news.example.org"
        signed = "0" * 32
    text = (CORPUS / name).read_text(encoding="utf-8")
    link = unsubscribe_links(settings, address, signed)[-1]
    text = text.replace("%VERP%", verp).replace("%UNSUBSCRIBE%", link)
    return text.replace("%RECIPIENT%", address).replace("\n", "\r\n").encode("utf-8")


def statuses(config: Path) -> dict[str, str]:
    with Store.open(load_settings(config).paths.state) as store:
        return {s.address: s.status for s in store.subscribers()}


def pipe(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: bytes) -> str:
    """`publisher bounces` with ``data`` on standard input; what it printed."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    capsys.readouterr()
    assert main(["bounces"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_report_is_told_apart_and_acted_on(
    name: str,
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kind, status = EXPECTED[name]
    said = pipe(monkeypatch, capsys, report(site, name, "bob@example.net"))
    assert said.startswith(f"<stdin>: {kind}")
    after = statuses(site)
    assert after["bob@example.net"] == status, said
    assert all(after[a] == "active" for a in READERS if a != "bob@example.net")
    # The same message read again changes nothing more (an MTA may deliver it twice).
    again = pipe(monkeypatch, capsys, report(site, name, "bob@example.net"))
    assert "already read" in again or kind == "auto-reply" or status != "active"


def test_reports_that_prove_nothing_are_not_acted_on(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Anyone can send a DSN naming a subscriber; only our signed return path (or the
    # signed link of our attached message) says it is about mail we sent.
    forged = report(site, "postfix-hard.eml", "ann@example.com", token="a" * 16)
    said = pipe(monkeypatch, capsys, forged)
    assert "not about a subscriber of ours" in said
    assert statuses(site)["ann@example.com"] == "active"


def test_temporary_failures_suspend_after_several(
    site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(SOFT_LIMIT):
        data = report(site, "postfix-delayed.eml", "cy@example.org")
        data = data.replace(b"9B7D1A0C33@", f"9B7D1A0C3{n}@".encode(), 1)  # another message
        said = pipe(monkeypatch, capsys, data)
        expected = "suspended" if n == SOFT_LIMIT - 1 else f"counted ({n + 1} of {SOFT_LIMIT}"
        assert expected in said, said
    assert statuses(site)["cy@example.org"] == "suspended"


def test_a_maildir_is_read_once(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    about = {
        "postfix-hard.eml": "ann@example.com",
        "arf-complaint.eml": "bob@example.net",
        "out-of-office.eml": "cy@example.org",
        "gmail-delayed.eml": "dee@example.com",
    }
    for n, (name, address) in enumerate(about.items()):
        (maildir / "new" / f"1795676{n}.M1P2.mail").write_bytes(report(site, name, address))
    capsys.readouterr()
    assert main(["bounces", str(maildir)]) == 0
    said = capsys.readouterr().out.splitlines()
    assert len(said) == 4
    assert statuses(site) == {
        "ann@example.com": "suspended",
        "bob@example.net": "unsubscribed",
        "cy@example.org": "active",
        "dee@example.com": "active",
    }
    assert list((maildir / "new").iterdir()) == []
    assert all(p.name.endswith(":2,S") for p in (maildir / "cur").iterdir())
    assert main(["bounces", str(maildir)]) == 0
    assert capsys.readouterr().out == ""  # nothing unread


def test_a_suspended_address_gets_no_more_mail_until_added_again(
    site: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorder = Recorder()
    write_articles(tmp_path / "in" / "harbour-times", "harbour", 1)
    with smtp_server(recorder) as port:
        text = site.read_text(encoding="utf-8")
        site.write_text(
            text + f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n',
            encoding="utf-8",
        )
        pipe(monkeypatch, capsys, report(site, "exchange-hard.eml", "dee@example.com"))
        assert main(["build", "-q"]) == 0
        assert main(["send", "-q"]) == 0
        assert sorted(r for _, r, _ in recorder.received) == [
            a for a in READERS if a != "dee@example.com"
        ]
        capsys.readouterr()
        assert main(["subscribers", "list", "--all"]) == 0
        listed = capsys.readouterr().out
        assert "dee@example.com\t\tsuspended\tbounced: status 5.1.10" in listed
        assert main(["subscribers", "add", "-q", "dee@example.com"]) == 0
        assert statuses(site)["dee@example.com"] == "active"


def test_a_directory_that_is_no_maildir_is_named(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bounces", str(tmp_path)]) == 1
    assert f"{tmp_path} is not a Maildir" in capsys.readouterr().err


def test_the_corpus_is_all_there() -> None:
    assert {p.name for p in CORPUS.glob("*.eml")} == set(EXPECTED)
