"""The digest's unsubscribe link, end to end: a digest delivered to a real SMTP peer
(aiosmtpd), its links followed against the real server (`publisher serve`'s), the outcome
read back from the state. RFC 8058 one-click is a POST; a GET only asks to confirm."""

from __future__ import annotations

import html as htmllib
import http.client
import logging
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cli_helpers import subprocess_env
from smtp_helpers import smtp_server

from publisher.config import DigestSettings, PathSettings, Settings, SiteSettings, SmtpSettings
from publisher.errors import PublisherError
from publisher.mailing.delivery import send_digest
from publisher.mailing.message import personalise
from publisher.mailing.subscribers import add_subscribers, list_subscribers
from publisher.mailing.unsubscribe import (
    unsubscribe_endpoint,
    unsubscribe_page,
    unsubscribe_token,
)
from publisher.models import Article, Block, Digest, Entry
from publisher.render.digest import build_digest
from publisher.serve import Unsubscribe, make_server
from publisher.store import Store

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
RECIPIENTS = ["ann@example.com", "bob@example.net"]
ONE_CLICK = b"List-Unsubscribe=One-Click"


class Recorder:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: dict[str, EmailMessage] = {}
        self.raw: dict[str, bytes] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=default)
        self.messages[envelope.rcpt_tos[0]] = message  # type: ignore[assignment]
        self.raw[envelope.rcpt_tos[0]] = envelope.original_content
        return "250 OK queued"


def _settings(tmp_path: Path, port: int = 25) -> Settings:
    # A site under a path: the link, and so the server's path, is /ledger/unsubscribe.
    return Settings(
        site=SiteSettings(title="The Example Ledger", base_url="https://example.org/ledger/"),
        digest=DigestSettings(from_="The Example Ledger <digest@example.org>"),
        smtp=SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5),
        paths=PathSettings(out=tmp_path / "out", state=tmp_path / "state.db"),
    )


def _digest(settings: Settings, day: int = 21) -> Digest:
    when = NOW.replace(day=day)
    article = Article(
        source="a.html",
        key=f"a{day}.html",
        title="Council approves bike lanes",
        blocks=(Block("paragraph", "The council voted."),),
    )
    entry = Entry(
        id=f"e{day}",
        slug=f"council-{day}",
        article=article,
        summary=("The council voted for protected bike lanes.",),
        keywords=(),
        reading_minutes=1,
        published=when,
        updated=when,
        first_seen=when,
    )
    return build_digest([entry], settings, digest_id=when.date().isoformat(), now=when)


def _deliver(
    settings: Settings, digest: Digest, recorder: Recorder | None = None
) -> dict[str, EmailMessage]:
    """Send ``digest`` to the active subscribers through a real SMTP peer; what each got."""
    recorder = recorder or Recorder()
    with smtp_server(recorder) as port, Store.open(settings.paths.state) as store:
        store.save_digest(digest)
        live = replace(settings, smtp=replace(settings.smtp, port=port))
        send_digest(digest, store, live, now=lambda: digest.created, sleep=lambda _: None)
    return recorder.messages


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = _settings(tmp_path)
    settings.paths.out.mkdir()
    with Store.open(settings.paths.state) as store:
        add_subscribers(store, RECIPIENTS, NOW)
    return settings


@pytest.fixture
def received(settings: Settings) -> dict[str, EmailMessage]:
    return _deliver(settings, _digest(settings))


@contextmanager
def serving(out: Path, endpoint: tuple[str, Unsubscribe]) -> Iterator[tuple[str, int]]:
    """`publisher serve`'s server in a thread; yields its address."""
    httpd = make_server(out, "127.0.0.1", 0, endpoint)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[:2]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[str, int]]:
    clock = lambda: NOW + timedelta(hours=1)  # noqa: E731
    with serving(settings.paths.out, unsubscribe_endpoint(settings, clock)) as address:
        yield address


def request(
    server: tuple[str, int], method: str, target: str, body: bytes | None = None
) -> tuple[int, dict[str, str], str]:
    """One HTTP request; ``target`` may be a whole URL (only its path and query are sent)."""
    parts = urlsplit(target)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, response.read().decode("utf-8")
    finally:
        conn.close()


def one_click_link(message: EmailMessage) -> str:
    links = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return next(link for link in links if link.startswith("https:"))


def active(settings: Settings) -> list[str]:
    return [s.address for s in list_subscribers(settings)]


def test_one_click_post_unsubscribes_only_that_address(
    settings: Settings, received: dict[str, EmailMessage], server: tuple[str, int]
) -> None:
    link = one_click_link(received["ann@example.com"])
    assert link.startswith("https://example.org/ledger/unsubscribe?address=ann@example.com&token=")

    status, headers, page = request(server, "POST", link, ONE_CLICK)

    assert status == 200
    assert "ann@example.com</strong> is unsubscribed" in page
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    assert active(settings) == ["bob@example.net"]
    # The next issue goes to the others only.
    assert list(_deliver(settings, _digest(settings, day=22))) == ["bob@example.net"]


def test_the_log_keeps_no_address_or_token(
    received: dict[str, EmailMessage], server: tuple[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="publisher")
    link = one_click_link(received["ann@example.com"])
    request(server, "GET", link)
    request(server, "POST", link, ONE_CLICK)
    requests = [r.getMessage() for r in caplog.records if r.name == "publisher.serve"]
    assert len(requests) == 2 and all("/ledger/unsubscribe?… HTTP" in r for r in requests)
    assert not any("token" in r or "ann@" in r for r in requests)


def test_a_get_only_asks_to_confirm(
    settings: Settings, received: dict[str, EmailMessage], server: tuple[str, int]
) -> None:
    # Link scanners and prefetchers fetch every link of a message: a GET changes nothing.
    link = one_click_link(received["ann@example.com"])
    status, _, page = request(server, "GET", link)
    assert status == 200
    assert active(settings) == RECIPIENTS
    form = re.search(r'<form class="unsubscribe" method="post" action="([^"]+)">', page)
    assert form and htmllib.unescape(form.group(1)) == link
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in page
    assert request(server, "HEAD", link)[0] == 200
    assert active(settings) == RECIPIENTS
    # The page's button posts the form: that unsubscribes.
    assert request(server, "POST", htmllib.unescape(form.group(1)), ONE_CLICK)[0] == 200
    assert active(settings) == ["bob@example.net"]


def test_a_running_build_does_not_hold_up_the_confirmation_page(
    settings: Settings, received: dict[str, EmailMessage], server: tuple[str, int]
) -> None:
    # A build holds the state's write lock through its whole batch; a GET only reads.
    writer = sqlite3.connect(settings.paths.state, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        status, _, page = request(server, "GET", one_click_link(received["ann@example.com"]))
        assert status == 200 and "Stop sending the digest" in page
    finally:
        writer.close()


@pytest.mark.parametrize(
    "address", ["ann@example.com", "firstname.lastname@medical-school.example.edu"]
)
def test_the_links_reach_the_provider_as_written(settings: Settings, address: str) -> None:
    # Longer than a header line, the link was sent as RFC 2047 encoded-words, which are not
    # allowed in a URL: a provider reading the bytes found no link to unsubscribe with.
    with Store.open(settings.paths.state) as store:
        add_subscribers(store, [address], NOW)
        token = unsubscribe_token(store.secret("unsubscribe"), address)
    recorder = Recorder()
    _deliver(settings, _digest(settings), recorder)
    head = recorder.raw[address].partition(b"\r\n\r\n")[0].decode("ascii")
    field = re.search(r"^List-Unsubscribe: (.*?)\r\n(?! )", head, flags=re.M | re.S)
    assert field, head
    mailto = f"mailto:digest@example.org?subject=unsubscribe%20{address.replace('@', '%40')}"
    https = f"https://example.org/ledger/unsubscribe?address={address}&token={token}"
    assert field.group(1).replace("\r\n", "") == f"<{mailto}>, <{https}>"
    assert all(len(line) <= 998 for line in head.split("\r\n"))


def test_the_body_links_are_the_recipients_own(received: dict[str, EmailMessage]) -> None:
    for address, message in received.items():
        link = one_click_link(message)
        assert f"address={address}&token=" in link
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert f"Unsubscribe: {link}" in text
        assert f'href="{htmllib.escape(link)}"' in html
        # The shared link is gone; the other links to the site are untouched.
        assert not re.search(r"ledger/unsubscribe\s", text) and '/unsubscribe"' not in html
        assert "https://example.org/ledger/digests/2026-11-21.html" in text


def test_without_https_the_personal_link_is_a_mail(tmp_path: Path) -> None:
    settings = replace(_settings(tmp_path), site=SiteSettings(base_url="http://localhost:8000/"))
    shared = "mailto:digest@example.org?subject=unsubscribe"
    own = "mailto:digest@example.org?subject=unsubscribe%20ann%40example.com"
    digest = _digest(settings)
    assert f"Unsubscribe: {shared}\n" in digest.text
    message = message_from_bytes(
        personalise(digest.message, "ann@example.com", settings, token="ab" * 16, id_key=b"k"),
        policy=default,
    )
    # (folded before its one long word, so the value starts with the fold's space)
    assert message["List-Unsubscribe"].strip() == f"<{own}>"
    assert not message["List-Unsubscribe-Post"]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"Unsubscribe: {own}" in text and f'href="{own}"' in html
    assert shared + '"' not in html


@pytest.mark.parametrize(
    "query",
    [
        "address=ann@example.com&token=0123456789abcdef0123456789abcdef",  # forged
        "address=ann@example.com&token=",  # token cut off
        "address=ann@example.com",  # no token at all
        "address=not-an-address&token=abc",
        "address=ann@example.com&token=%E2%82%AC",  # not even ASCII
    ],
)
def test_a_link_that_does_not_verify_is_refused(
    settings: Settings, server: tuple[str, int], query: str
) -> None:
    status, _, page = request(server, "POST", f"/ledger/unsubscribe?{query}", ONE_CLICK)
    assert status == 403
    assert "This unsubscribe link is not valid" in page
    assert active(settings) == RECIPIENTS


def test_one_addresss_token_does_not_unsubscribe_another(
    settings: Settings, received: dict[str, EmailMessage], server: tuple[str, int]
) -> None:
    link = one_click_link(received["ann@example.com"])
    assert request(server, "POST", link.replace("ann@example.com", "bob@example.net"))[0] == 403
    assert active(settings) == RECIPIENTS


def test_a_link_stops_working_once_the_address_has_subscribed_again(
    settings: Settings, received: dict[str, EmailMessage], server: tuple[str, int]
) -> None:
    """Someone who subscribed again asked for the digest after that mail: a link of the
    earlier subscription (forwarded, or in an old mail) must not end the new one."""
    old = one_click_link(received["ann@example.com"])
    assert request(server, "POST", old, ONE_CLICK)[0] == 200
    assert "ann@example.com" not in active(settings)
    with Store.open(settings.paths.state) as store:
        add_subscribers(store, ["ann@example.com"], NOW + timedelta(days=1))
    status, _, page = request(server, "GET", old)
    assert status == 403 and "This unsubscribe link is not valid" in page
    assert request(server, "POST", old, ONE_CLICK)[0] == 403
    assert "ann@example.com" in active(settings)

    again = _deliver(settings, _digest(settings, 22))
    new = one_click_link(again["ann@example.com"])
    assert new != old
    assert request(server, "POST", new, ONE_CLICK)[0] == 200
    assert "ann@example.com" not in active(settings)


def test_the_token_is_an_hmac_under_the_states_own_secret(settings: Settings) -> None:
    with Store.open(settings.paths.state) as store:
        secret = store.secret("unsubscribe")
        assert store.secret("unsubscribe") == secret and len(secret) == 32
    with Store.open(settings.paths.state) as store:
        assert store.secret("unsubscribe") == secret  # kept: links in old mails still work
    other = Path(str(settings.paths.state) + "-other")
    with Store.open(other) as store:
        assert store.secret("unsubscribe") != secret
    assert unsubscribe_token(secret, "ann@example.com") != unsubscribe_token(
        secret, "bob@example.net"
    )


def test_the_shared_link_tells_how_to_unsubscribe(
    settings: Settings, server: tuple[str, int]
) -> None:
    # Archived issues (digests/<date>.html) carry the link without an address.
    status, _, page = request(server, "GET", "/ledger/unsubscribe")
    assert status == 200
    assert "follow the Unsubscribe link at the end of" in page
    assert 'href="mailto:digest@example.org?subject=unsubscribe"' in page
    assert request(server, "POST", "/ledger/unsubscribe", ONE_CLICK)[0] == 400
    assert active(settings) == RECIPIENTS


def test_without_a_state_nothing_is_created(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    status, _ = unsubscribe_page(
        settings, "address=ann@example.com&token=abc", confirm=True, now=NOW
    )
    assert status == 403
    assert not settings.paths.state.exists()


def test_other_paths_take_no_post(settings: Settings, server: tuple[str, int]) -> None:
    status, headers, _ = request(server, "POST", "/ledger/index.html", ONE_CLICK)
    assert (status, headers["allow"]) == (405, "GET, HEAD")
    # The endpoint answers only at base_url's path, not at the server's root.
    assert request(server, "POST", "/unsubscribe?address=ann@example.com", ONE_CLICK)[0] == 405


def test_a_busy_state_asks_to_come_back(settings: Settings) -> None:
    def busy(query: str, confirm: bool) -> tuple[HTTPStatus, bytes]:
        raise PublisherError("the state database is locked by another program")

    with serving(settings.paths.out, ("/ledger/unsubscribe", busy)) as server:
        status, headers, _ = request(server, "POST", "/ledger/unsubscribe?address=a", ONE_CLICK)
    assert (status, headers["retry-after"]) == (503, "60")


def test_an_oversized_post_is_refused(settings: Settings, server: tuple[str, int]) -> None:
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        conn.putrequest("POST", "/ledger/unsubscribe?address=ann@example.com&token=x")
        conn.putheader("Content-Length", str(10**9))
        conn.endheaders()
        assert conn.getresponse().status == 413
    finally:
        conn.close()
    assert active(settings) == RECIPIENTS


def test_publisher_serve_answers_the_link(
    settings: Settings, received: dict[str, EmailMessage], tmp_path: Path
) -> None:
    config = tmp_path / "publisher.toml"
    config.write_text('[site]\nbase_url = "https://example.org/ledger/"\n', encoding="utf-8")
    argv = [sys.executable, "-m", "publisher", "serve", "--config", str(config)]
    argv += ["--out", str(settings.paths.out), "--state", str(settings.paths.state)]
    with subprocess.Popen(
        [*argv, "--port", "0"], stderr=subprocess.PIPE, text=True, env=subprocess_env()
    ) as process:
        try:
            assert process.stderr is not None
            line = process.stderr.readline()
            port = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            assert port, line
            link = one_click_link(received["bob@example.net"])
            status, _, _ = request(("127.0.0.1", int(port.group(1))), "POST", link, ONE_CLICK)
        finally:
            process.terminate()
    assert status == 200
    assert active(settings) == ["ann@example.com"]
