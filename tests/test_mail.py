"""Delivery against a real SMTP server (aiosmtpd) on 127.0.0.1: normal runs, a server that
drops the connection, one that answers 451 first, permanent refusals and resumed runs."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult
from smtp_helpers import free_port, raw_smtp_server, smtp_server

from publisher.cli import main
from publisher.config import DigestSettings, Settings, SiteSettings, SmtpSettings
from publisher.errors import DeliveryError
from publisher.mailing import sending
from publisher.mailing.delivery import GIVE_UP_AFTER, SendReport, send_digest
from publisher.mailing.smtp import Connection, Temporary
from publisher.mailing.subscribers import add_subscribers, remove_subscriber
from publisher.models import Article, Block, Digest, Entry
from publisher.render.digest import build_digest
from publisher.store import Store

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
RECIPIENTS = ["ann@example.com", "bob@example.net", "cy@example.org"]


class Server:
    """An aiosmtpd handler that records messages and misbehaves on request."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.greylist: dict[str, int] = {}  # address -> 451 answers to give before accepting
        self.refuse: set[str] = set()  # addresses answered with 550
        self.full: set[str] = set()  # addresses answered with 552 (mailbox full)
        self.drop_at: int | None = None  # drop the connection after this message's final dot
        self.drops = 0
        self.ponder = 0.0  # seconds to take before answering the first message
        self.refuse_data = 0  # messages to answer 451 after their final dot
        self.attempts: list[tuple[str, bytes]] = []  # every message received, refused or not

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: no such user"
        if address in self.full:
            return f"552 5.2.2 <{address}>: mailbox full"
        if self.greylist.get(address, 0) > 0:
            self.greylist[address] -= 1
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts.append((envelope.rcpt_tos[0], envelope.original_content))
        if self.refuse_data > 0:
            self.refuse_data -= 1
            return "451 4.3.0 queue full, try again"
        if self.drop_at is not None and len(self.messages) == self.drop_at:
            self.drop_at = None
            self.drops += 1
            server.transport.abort()  # the client sees the connection vanish mid-message
            return "250 never seen"
        if self.ponder and not self.messages:
            await asyncio.sleep(self.ponder)  # a filter scanning the message
        self.messages.append((envelope.rcpt_tos[0], envelope.original_content))
        return "250 OK queued"


def _settings(port: int, **smtp: Any) -> Settings:
    return Settings(
        site=SiteSettings(title="The Example Ledger", base_url="https://news.example.org/"),
        digest=DigestSettings(from_="The Example Ledger <digest@news.example.org>"),
        smtp=SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5, **smtp),
    )


def _digest(settings: Settings) -> Digest:
    article = Article(
        source="a.html",
        key="a.html",
        title="Council approves bike lanes",
        blocks=(Block("paragraph", "The council voted."),),
        site="Example Times",
        url="https://times.example.com/bike-lanes",
    )
    entry = Entry(
        id="e1",
        slug="council-approves-bike-lanes",
        article=article,
        summary=("The council voted for protected bike lanes.",),
        keywords=("council",),
        reading_minutes=2,
        published=NOW,
        updated=NOW,
        first_seen=NOW,
    )
    return build_digest([entry], settings, digest_id="2026-11-21", now=NOW)


@pytest.fixture
def server() -> Iterator[tuple[Server, int]]:
    handler = Server()
    with smtp_server(handler) as port:
        yield handler, port


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "state.db") as opened:
        add_subscribers(opened, RECIPIENTS, NOW)
        yield opened


def _save(digest: Digest, store: Store) -> None:
    # What the pipeline does before sending: deliveries reference the stored issue.
    if not store.digests():
        store.save_digest(digest)


def _send(digest: Digest, store: Store, settings: Settings, sleeps: list[float]) -> SendReport:
    _save(digest, store)
    return send_digest(digest, store, settings, now=lambda: NOW, sleep=sleeps.append)


def test_delivers_to_every_active_subscriber_with_personal_headers(
    server: tuple[Server, int], store: Store
) -> None:
    handler, port = server
    settings = _settings(port)
    remove_subscriber(store, "cy@example.org", NOW)
    report = _send(_digest(settings), store, settings, [])

    assert report.sent == ("ann@example.com", "bob@example.net")
    assert report.complete and not report.failed
    assert [rcpt for rcpt, _ in handler.messages] == ["ann@example.com", "bob@example.net"]
    message = message_from_bytes(handler.messages[0][1], policy=default)
    assert message["To"] == "ann@example.com"
    # One Message-ID per issue and recipient, which does not show the address.
    ids = [message_from_bytes(m, policy=default)["Message-ID"] for _, m in handler.messages]
    assert all(
        re.fullmatch(r"<digest-2026-11-21\.[0-9a-f]{20}@news\.example\.org>", i) for i in ids
    )
    assert len(set(ids)) == 2
    assert "subject=unsubscribe%20ann%40example.com" in message["List-Unsubscribe"]
    assert "unsubscribe?address=ann@example.com" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_all("To") == ["ann@example.com"]
    assert {d.status for d in store.deliveries("2026-11-21").values()} == {"sent"}


def test_second_run_sends_nothing(server: tuple[Server, int], store: Store) -> None:
    handler, port = server
    settings = _settings(port)
    digest = _digest(settings)
    _send(digest, store, settings, [])
    again = _send(digest, store, settings, [])
    assert again.sent == () and again.already == 3
    assert len(handler.messages) == 3


def test_dry_run_connects_to_nothing(store: Store) -> None:
    settings = _settings(free_port())  # nothing listens there
    report = _send(_digest(settings), store, settings, [])  # would fail if it connected...
    assert report.deferred  # ...as this real run shows
    dry = send_digest(_digest(settings), store, settings, now=lambda: NOW, dry_run=True)
    assert dry.would_send == tuple(RECIPIENTS) and dry.sent == ()


def test_a_connection_lost_after_the_final_dot_is_unknown_and_not_sent_again(
    server: tuple[Server, int], store: Store
) -> None:
    """RFC 1047: the server may have accepted the message before the connection went. Sent
    again, it could arrive twice; it is reported as unknown instead."""
    handler, port = server
    handler.drop_at = 1
    settings = _settings(port)
    digest = _digest(settings)
    sleeps: list[float] = []
    report = _send(digest, store, settings, sleeps)
    assert handler.drops == 1 and sleeps == []
    assert report.sent == ("ann@example.com", "cy@example.org")
    [(address, why)] = report.unknown
    assert address == "bob@example.net" and "after the message was sent" in why
    assert report.complete  # nothing left for a later run
    assert store.deliveries(digest.id)["bob@example.net"].status == "unknown"
    assert store.incomplete_digests() == []
    again = _send(digest, store, settings, [])
    assert again.sent == () and again.unknown == () and again.already == 3
    assert [rcpt for rcpt, _ in handler.attempts].count("bob@example.net") == 1


def test_retry_unknown_sends_the_same_message_id_again(
    server: tuple[Server, int], store: Store
) -> None:
    handler, port = server
    handler.drop_at = 1
    settings = _settings(port)
    digest = _digest(settings)
    _send(digest, store, settings, [])
    assert store.release_unknown(NOW) == 1
    report = _send(digest, store, settings, [])
    assert report.sent == ("bob@example.net",)
    copies = [m for rcpt, m in handler.attempts if rcpt == "bob@example.net"]
    assert len(copies) == 2
    ids = {message_from_bytes(m, policy=default)["Message-ID"] for m in copies}
    assert len(ids) == 1  # a server that sees both can drop one


def test_every_attempt_carries_the_same_message_id(
    server: tuple[Server, int], store: Store
) -> None:
    handler, port = server
    handler.refuse_data = 1  # 451 after the first message's final dot: retried
    settings = _settings(port)
    sleeps: list[float] = []
    report = _send(_digest(settings), store, settings, sleeps)
    assert report.sent == tuple(RECIPIENTS) and sleeps == [2.0]
    first, second = [m for rcpt, m in handler.attempts if rcpt == "ann@example.com"]
    assert (
        message_from_bytes(first, policy=default)["Message-ID"]
        == message_from_bytes(second, policy=default)["Message-ID"]
    )


def test_a_connection_lost_before_the_final_dot_is_temporary() -> None:
    """Before the final dot the server cannot have taken the message: a retry is safe. (Only
    a message larger than the sockets' buffers can be seen to be cut short: a smaller one is
    all handed over before the server's hang-up shows, and its outcome is unknown.)"""
    message = b"Subject: big\r\n\r\n" + b"x" * 998 + b"\r\n"
    message *= 16 * 1024  # 16 MB
    handed: list[str] = []
    with raw_smtp_server(cut_after=200) as peer, Connection(_settings(peer.port)) as connection:

        def attempt() -> None:
            sender, address = "digest@news.example.org", "ann@example.com"
            connection.send(sender, address, message, handing_over=lambda: handed.append("ann"))

        with pytest.raises(Temporary, match="before the message was complete"):
            attempt()
        attempt()
    assert peer.cuts == 1 and peer.recipients == ["ann@example.com"]
    assert handed == ["ann", "ann"]


def test_the_handover_is_recorded_before_data(server: tuple[Server, int], store: Store) -> None:
    handler, port = server
    settings = _settings(port)
    digest = _digest(settings)
    seen: list[str] = []
    real = store.mark_sending

    def watch(digest_id: str, address: str, now: datetime) -> None:
        real(digest_id, address, now)
        seen.append(store.deliveries(digest_id)[address].status)
        assert len(handler.attempts) == len(seen) - 1  # not yet received by the server

    store.mark_sending = watch  # type: ignore[method-assign]
    report = _send(digest, store, settings, [])
    assert report.sent == tuple(RECIPIENTS) and seen == ["sending"] * 3


def test_a_slow_answer_to_a_message_is_waited_for_not_retried(
    server: tuple[Server, int], store: Store
) -> None:
    """Giving up on the answer to a whole message and sending it again would deliver it twice
    when the server accepts the first copy after all: that wait is RFC 5321's ten minutes,
    whatever [smtp] timeout says for the other commands."""
    handler, port = server
    handler.ponder = 2.0
    settings = _settings(port)
    settings = replace(settings, smtp=replace(settings.smtp, timeout=0.5))
    sleeps: list[float] = []
    report = _send(_digest(settings), store, settings, sleeps)
    assert report.sent == tuple(RECIPIENTS)
    assert sleeps == []
    assert [rcpt for rcpt, _ in handler.messages] == RECIPIENTS


def test_run_killed_while_waiting_to_retry_resumes_with_what_is_missing(
    server: tuple[Server, int], store: Store
) -> None:
    handler, port = server
    handler.greylist = {"bob@example.net": 1}
    settings = _settings(port)
    digest = _digest(settings)

    def crash(_: float) -> None:
        raise KeyboardInterrupt  # the process dies while waiting to retry

    _save(digest, store)
    with pytest.raises(KeyboardInterrupt):
        send_digest(digest, store, settings, now=lambda: NOW, sleep=crash)
    assert [rcpt for rcpt, _ in handler.messages] == ["ann@example.com"]
    assert store.deliveries(digest.id)["bob@example.net"].status == "pending"

    report = _send(digest, store, settings, [])
    assert report.already == 1
    assert report.sent == ("bob@example.net", "cy@example.org")
    assert sorted(rcpt for rcpt, _ in handler.messages) == RECIPIENTS


def test_451_is_retried_with_backoff(server: tuple[Server, int], store: Store) -> None:
    handler, port = server
    handler.greylist = {"bob@example.net": 2}
    settings = _settings(port)
    sleeps: list[float] = []
    report = _send(_digest(settings), store, settings, sleeps)
    assert report.sent == tuple(RECIPIENTS)
    assert sleeps == [2.0, 4.0]
    assert [rcpt for rcpt, _ in handler.messages].count("bob@example.net") == 1


def test_persistent_451_leaves_the_address_for_the_next_run(
    server: tuple[Server, int], store: Store
) -> None:
    handler, port = server
    handler.greylist = {"bob@example.net": 99}
    settings = _settings(port)
    digest = _digest(settings)
    sleeps: list[float] = []
    report = _send(digest, store, settings, sleeps)
    assert len(sleeps) == 4  # bounded
    assert [a for a, _ in report.deferred] == ["bob@example.net"]
    assert report.deferred[0][1].startswith("451")
    assert not report.complete
    assert store.deliveries(digest.id)["bob@example.net"].status == "pending"

    handler.greylist = {}
    later = _send(digest, store, settings, [])
    assert later.sent == ("bob@example.net",) and later.complete


def test_a_server_deferring_everyone_costs_one_address_s_retries_not_each_one_s(
    server: tuple[Server, int], store: Store
) -> None:
    # Greylisting (or a full queue) refusing every recipient for a while: retrying each
    # address in turn would hold a run for half a minute per subscriber.
    handler, port = server
    handler.greylist = {address: 99 for address in RECIPIENTS}
    settings = _settings(port)
    digest = _digest(settings)
    sleeps: list[float] = []
    report = _send(digest, store, settings, sleeps)
    assert sleeps == [2.0, 4.0, 8.0, 16.0]  # the first address's retries only
    assert [a for a, _ in report.deferred] == RECIPIENTS
    assert all(error.startswith("451") for _, error in report.deferred)  # each one was tried
    assert {d.status for d in store.deliveries(digest.id).values()} == {"pending"}

    handler.greylist = {}
    assert _send(digest, store, settings, []).sent == tuple(RECIPIENTS)


def test_5xx_is_recorded_and_reported_per_address(server: tuple[Server, int], store: Store) -> None:
    handler, port = server
    handler.refuse = {"bob@example.net"}
    settings = _settings(port)
    digest = _digest(settings)
    sleeps: list[float] = []
    report = _send(digest, store, settings, sleeps)
    assert report.sent == ("ann@example.com", "cy@example.org")
    assert [a for a, _ in report.failed] == ["bob@example.net"]
    assert report.failed[0][1].startswith("550")
    assert sleeps == []  # permanent: not retried
    delivery = store.deliveries(digest.id)["bob@example.net"]
    assert (delivery.status, delivery.last_error) == ("failed", report.failed[0][1])
    assert _send(digest, store, settings, []).sent == ()  # nor retried by the next run


def test_a_full_mailbox_is_tried_again_later_not_given_up(
    server: tuple[Server, int], store: Store
) -> None:
    # RFC 5321, 4.5.3.1.10: a 552 to RCPT is to be treated as the temporary 452.
    handler, port = server
    handler.full = {"bob@example.net"}
    settings = _settings(port)
    digest = _digest(settings)
    report = _send(digest, store, settings, [])
    assert report.failed == ()
    assert [a for a, _ in report.deferred] == ["bob@example.net"]
    assert report.deferred[0][1].startswith("552 5.2.2")
    handler.full = set()
    assert _send(digest, store, settings, []).sent == ("bob@example.net",)


def test_an_address_refused_for_days_is_given_up_after_a_last_try(
    server: tuple[Server, int], store: Store
) -> None:
    # As a mail server bounces what it could not deliver in five days: an issue pending for
    # ever would be tried at every run, and every run would end "some left for later" (75).
    handler, port = server
    handler.greylist = {"bob@example.net": 99}
    settings = _settings(port)
    digest = _digest(settings)
    _save(digest, store)
    store.queue_deliveries(digest.id, NOW - GIVE_UP_AFTER + timedelta(hours=1))
    early = send_digest(digest, store, settings, now=lambda: NOW, sleep=[].append)
    assert [a for a, _ in early.deferred] == ["bob@example.net"] and early.failed == ()

    tries = handler.greylist["bob@example.net"]
    later = NOW + timedelta(hours=1)
    report = send_digest(digest, store, settings, now=lambda: later, sleep=[].append)
    assert handler.greylist["bob@example.net"] < tries  # tried once more before giving up
    assert report.deferred == () and report.complete
    [(address, error)] = report.failed
    assert address == "bob@example.net"
    assert error.startswith("451") and "given up after 5 days" in error
    assert store.deliveries(digest.id)["bob@example.net"].status == "failed"
    assert store.incomplete_digests() == []


def test_only_refusals_are_logged_per_address_unless_verbose(
    server: tuple[Server, int], store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    # The daemon logs at INFO, one line per job run with its counts: a line per delivered
    # address would bury it (every delivery is in the deliveries table).
    handler, port = server
    handler.refuse = {"bob@example.net"}
    settings = _settings(port)
    caplog.set_level(logging.INFO, logger="publisher")
    _send(_digest(settings), store, settings, [])
    assert [r.getMessage() for r in caplog.records] == [
        "digest 2026-11-21 refused for bob@example.net: 550 5.1.1 <bob@example.net>: no such user"
    ]


def test_unreachable_server_stops_the_run_early(store: Store) -> None:
    settings = _settings(free_port())
    sleeps: list[float] = []
    report = _send(_digest(settings), store, settings, sleeps)
    assert report.sent == () and len(sleeps) == 4  # one recipient's retries, not three
    assert [a for a, _ in report.deferred] == RECIPIENTS


def test_a_server_without_login_says_so(server: tuple[Server, int], store: Store) -> None:
    _, port = server  # offers no AUTH: aiosmtpd has no authenticator here
    settings = _settings(port, username="ledger")
    with pytest.raises(DeliveryError) as failure:
        _send(_digest(settings), store, settings, [])
    message = str(failure.value)
    assert "offers no login" in message and "[smtp] username" in message
    assert "does not support none" not in message


def test_a_server_without_starttls_says_so(server: tuple[Server, int], store: Store) -> None:
    _, port = server  # aiosmtpd offers STARTTLS only with a TLS context
    settings = _settings(port)
    settings = replace(settings, smtp=replace(settings.smtp, security="starttls"))
    with pytest.raises(DeliveryError) as failure:
        _send(_digest(settings), store, settings, [])
    message = str(failure.value)
    assert "does not support STARTTLS" in message and 'security = "ssl"' in message


def test_refused_login_raises_without_revealing_the_password(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def authenticator(*args: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)

    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", "s3cret-pw")
    with smtp_server(Server(), authenticator=authenticator, auth_require_tls=False) as port:
        settings = _settings(port, username="ledger")
        with pytest.raises(DeliveryError) as failure:
            _send(_digest(settings), store, settings, [])
    assert "s3cret-pw" not in str(failure.value)
    assert "PUBLISHER_SMTP_PASSWORD" in str(failure.value)


def test_subscriber_added_after_an_issue_waits_for_the_next(
    server: tuple[Server, int], store: Store
) -> None:
    handler, port = server
    handler.greylist = {"cy@example.org": 99}
    settings = _settings(port)
    digest = _digest(settings)
    _send(digest, store, settings, [])
    add_subscribers(store, ["dee@example.com"], NOW)
    remove_subscriber(store, "cy@example.org", NOW)  # unsubscribed while still pending
    handler.greylist = {}
    later = _send(digest, store, settings, [])
    assert later.sent == () and later.complete
    assert "dee@example.com" not in {rcpt for rcpt, _ in handler.messages}
    assert "cy@example.org" not in {rcpt for rcpt, _ in handler.messages}
    assert store.incomplete_digests() == []


def _write_config(workdir: Path, seeds: Path, out: Path, state: Path, port: int) -> None:
    """publisher.toml for the command-line tests: the seeds, a digest sender, the test server."""
    (workdir / "publisher.toml").write_text(
        f'[site]\nbase_url = "https://news.example.org/"\n'
        f'[paths]\ninput = ["{seeds}"]\nout = "{out}"\nstate = "{state}"\n'
        f'[digest]\nfrom = "Ledger <digest@news.example.org>"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n',
        encoding="utf-8",
    )


def test_send_command_end_to_end(
    server: tuple[Server, int],
    seeds_copy: Path,
    tmp_path: Path,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler, port = server
    out, state = tmp_path / "out", tmp_path / "state.db"
    _write_config(workdir, seeds_copy, out, state, port)
    assert main(["build", "-q"]) == 0
    pending = message_from_bytes((out / "digest.eml").read_bytes(), policy=default)
    assert pending["To"] is None
    assert main(["subscribers", "add", *RECIPIENTS]) == 0
    assert main(["send", "--dry-run"]) == 0
    assert handler.messages == [] and "would send to 3 subscribers" in capsys.readouterr().out

    assert main(["send"]) == 0
    assert sorted(rcpt for rcpt, _ in handler.messages) == RECIPIENTS
    sent = message_from_bytes(handler.messages[0][1], policy=default)
    issue_id = pending["Message-ID"].removesuffix("@news.example.org>")
    assert sent["Message-ID"].startswith(issue_id + ".")
    digest_id = issue_id.removeprefix("<digest-")
    assert (out / "digests" / f"{digest_id}.html").is_file()

    # Nothing new since: no second issue, nothing sent.
    assert main(["send"]) == 0
    assert "nothing new" in capsys.readouterr().out
    assert len(handler.messages) == 3


def test_send_retry_finishes_the_unfinished_issue_and_freezes_no_new_one(
    server: tuple[Server, int],
    seeds_copy: Path,
    tmp_path: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler, port = server
    monkeypatch.setitem(sending.send.__kwdefaults__, "sleep", [].append)
    out, state = tmp_path / "out", tmp_path / "state.db"
    _write_config(workdir, seeds_copy, out, state, port)
    assert main(["build", "-q"]) == 0
    assert main(["subscribers", "add", *RECIPIENTS]) == 0
    handler.greylist = {"bob@example.net": 99}
    assert main(["send", "-q"]) == 75
    assert main(["send", "--retry", "--dry-run"]) == 0
    assert "would send to 1 subscribers: bob@example.net" in capsys.readouterr().out

    # New articles arrive; a retry delivers the old issue to bob and leaves them waiting.
    story = next(seeds_copy.iterdir())
    story.with_name("late.txt").write_text(
        "Harbour reopens after storm\n\n" + "The harbour reopened on Monday after the storm. " * 20,
        encoding="utf-8",
    )
    assert main(["build", "-q"]) == 0
    handler.greylist = {}
    assert main(["send", "--retry"]) == 0
    assert sorted(rcpt for rcpt, _ in handler.messages) == RECIPIENTS
    with Store.open(state) as opened:
        assert len(opened.digests()) == 1 and opened.undigested_ids()
    assert main(["send", "--retry"]) == 0
    assert "no issue is waiting for a retry" in capsys.readouterr().out
    assert len(handler.messages) == 3


def test_a_sent_issue_is_listed_in_the_digests_feed_at_once(
    server: tuple[Server, int], seeds_copy: Path, tmp_path: Path, workdir: Path
) -> None:
    """`send` freezes the issue, archives it and lists it in digests.atom (README), without
    waiting for a build: a daemon running only the digest job builds once a day."""
    handler, port = server
    out = tmp_path / "out"
    (workdir / "publisher.toml").write_text(
        f'[paths]\ninput = ["{seeds_copy}"]\nout = "{out}"\nstate = "{tmp_path / "state.db"}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n',
        encoding="utf-8",
    )
    assert main(["build", "-q"]) == 0
    assert main(["subscribers", "add", "-q", *RECIPIENTS]) == 0
    assert main(["send", "-q"]) == 0
    assert len(handler.messages) == len(RECIPIENTS)
    (issue,) = [p.stem for p in (out / "digests").iterdir() if p.name != "index.html"]
    feed = (out / "digests.atom").read_text(encoding="utf-8")
    assert f"digests/{issue}.html" in feed
    before = (out / "digests.atom").read_bytes()
    assert main(["build", "-q"]) == 0  # the same feed as a build makes: not rewritten
    assert (out / "digests.atom").read_bytes() == before


def test_with_no_subscribers_nothing_is_frozen_and_send_says_so(
    server: tuple[Server, int],
    seeds_copy: Path,
    tmp_path: Path,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An issue frozen for nobody would use up its articles: the first real subscribers
    would never get them."""
    handler, port = server
    out, state = tmp_path / "out", tmp_path / "state.db"
    _write_config(workdir, seeds_copy, out, state, port)
    assert main(["build", "-q"]) == 0
    capsys.readouterr()
    assert main(["send"]) == 0
    said = capsys.readouterr().out
    assert "no active subscribers: nothing frozen or sent; 5 articles wait" in said
    with Store.open(state) as opened:
        assert opened.digests() == [] and len(opened.undigested_ids()) == 5
    assert "<entry>" not in (out / "digests.atom").read_text(encoding="utf-8")

    assert main(["subscribers", "add", "-q", "ann@example.com"]) == 0
    assert main(["send", "-q"]) == 0
    assert [rcpt for rcpt, _ in handler.messages] == ["ann@example.com"]
    with Store.open(state) as opened:
        [issue] = opened.digests()
        assert len(issue.entry_ids) == 5 and not opened.undigested_ids()


def test_send_reports_an_unknown_outcome_and_sends_it_again_only_when_asked(
    server: tuple[Server, int],
    seeds_copy: Path,
    tmp_path: Path,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler, port = server
    out, state = tmp_path / "out", tmp_path / "state.db"
    _write_config(workdir, seeds_copy, out, state, port)
    assert main(["build", "-q"]) == 0
    assert main(["subscribers", "add", "-q", *RECIPIENTS]) == 0
    handler.drop_at = 0
    capsys.readouterr()
    assert main(["send", "-q"]) == 1
    err = capsys.readouterr().err
    assert "ann@example.com outcome unknown: connection lost after the message was sent" in err
    assert "--retry-unknown" in err
    assert main(["send"]) == 0  # the next run leaves it alone
    assert "nothing new" in capsys.readouterr().out
    assert [rcpt for rcpt, _ in handler.attempts].count("ann@example.com") == 1
    assert main(["send", "--retry-unknown"]) == 0
    assert "1 messages of unknown outcome will be sent again" in capsys.readouterr().out
    assert [rcpt for rcpt, _ in handler.attempts].count("ann@example.com") == 2
    with Store.open(state) as opened:
        [issue] = opened.digests()
        assert {d.status for d in opened.deliveries(issue.id).values()} == {"sent"}


def test_send_does_not_start_on_a_nearly_full_disk(
    server: tuple[Server, int],
    seeds_copy: Path,
    tmp_path: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler, port = server
    out, state = tmp_path / "out", tmp_path / "state.db"
    _write_config(workdir, seeds_copy, out, state, port)
    assert main(["build", "-q"]) == 0
    assert main(["subscribers", "add", "-q", *RECIPIENTS]) == 0
    real = shutil.disk_usage

    def nearly_full(path: Any) -> Any:
        usage = real(path)
        return usage._replace(free=3 * 1024 * 1024)

    capsys.readouterr()
    with monkeypatch.context() as patched:
        patched.setattr(sending.shutil, "disk_usage", nearly_full)
        assert main(["send", "-q"]) == 1
    err = capsys.readouterr().err
    assert f"only 3072 KiB free on the disk of the state database {state}" in err
    assert handler.messages == []
    with Store.open(state) as opened:
        assert opened.digests() == []
    assert main(["send", "-q"]) == 0
    assert len(handler.messages) == 3


class _Stalling(Server):
    """Holds its answer to the first message until released: a slow mail server."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.holding.is_set():
            self.holding.set()
            for _ in range(400):  # at most 20 s
                if self.release.is_set():
                    break
                await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def test_a_slow_mail_server_does_not_hold_up_building_but_a_second_send_waits(
    seeds_copy: Path, tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = _Stalling()
    with smtp_server(handler) as port:
        out, state = tmp_path / "out", tmp_path / "state.db"
        _write_config(workdir, seeds_copy, out, state, port)
        assert main(["build", "-q"]) == 0
        assert main(["subscribers", "add", "-q", *RECIPIENTS]) == 0
        first = threading.Thread(target=main, args=(["send", "-q"],))
        first.start()
        try:
            assert handler.holding.wait(10)  # the first send is delivering
            (seeds_copy / "late.txt").write_text(
                "Harbour reopens\n\n" + "The harbour reopened after the storm. " * 20,
                encoding="utf-8",
            )
            capsys.readouterr()
            assert main(["build", "-q"]) == 0  # publishing goes on
            assert main(["send", "-q"]) == 75
            assert "another publisher send holds the lock" in capsys.readouterr().err
        finally:
            handler.release.set()
            first.join(30)
    assert sorted(rcpt for rcpt, _ in handler.messages) == RECIPIENTS
    assert "harbour-reopens" in " ".join(p.name for p in (out / "articles").iterdir())
