"""Signup with one-click double opt-in and each reader's own page, end to end: the real
server (`publisher serve`'s), a real SMTP peer (aiosmtpd), the state read back."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from cli_helpers import subprocess_env
from reader_helpers import Recorder, settings_for, write_articles
from smtp_helpers import free_port, smtp_server

from publisher.build import build
from publisher.config import Settings, SignupSettings
from publisher.mailing import sending
from publisher.mailing.account import preferences_endpoint
from publisher.mailing.signup import Outbox, signup_endpoints
from publisher.mailing.subscribers import add_subscribers, import_csv, remove_subscriber
from publisher.mailing.tokens import PREFERENCES_SECRET, preferences_token
from publisher.mailing.unsubscribe import unsubscribe_endpoint
from publisher.serve import make_server
from publisher.store import Store

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


class Site:
    """A published site, its server and SMTP peer, and a clock the test moves."""

    def __init__(self, settings: Settings, recorder: Recorder, address: tuple[str, int]):
        self.settings, self.recorder, self.address = settings, recorder, address
        self.now = NOW
        self.outbox = Outbox(settings, lambda: self.now, sleep=lambda _: None)

    def request(
        self,
        method: str,
        target: str,
        form: dict[str, str] | list[tuple[str, str]] | None = None,
        *,
        client: str = "127.0.0.1",
    ) -> tuple[int, dict[str, str], str]:
        """One request from ``client`` (127.0.0.2, 127.0.0.3... are other hosts)."""
        parts = urlsplit(target)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = urlencode(form).encode() if form is not None else None
        conn = http.client.HTTPConnection(*self.address, timeout=10, source_address=(client, 0))
        try:
            headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            found = {k.lower(): v for k, v in response.getheaders()}
            return response.status, found, response.read().decode("utf-8")
        finally:
            conn.close()

    def subscriber_status(self, address: str) -> str | None:
        with Store.open(self.settings.paths.state) as store:
            found = store.subscriber(address)
            return found.status if found else None

    def confirmations(self, address: str) -> list[EmailMessage]:
        return [m for m in self.recorder.to(address) if "confirm" in str(m["Subject"]).lower()]

    def send(self) -> None:
        sending.send(self.settings, now=lambda: self.now, sleep=lambda _: None)


@contextmanager
def running(settings: Settings, clock: Callable[[], datetime]) -> Iterator[tuple[str, int]]:
    """The server with the readers' endpoints, in a thread (the test sends the queued
    confirmation mails itself, with ``Outbox.deliver``)."""
    endpoints = preferences_endpoint(settings, clock)
    endpoints.update(signup_endpoints(settings, clock, None))
    httpd = make_server(
        settings.paths.out,
        "127.0.0.1",
        0,
        unsubscribe_endpoint(settings, clock),
        endpoints=endpoints,
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[:2]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    recorder = Recorder()
    inputs = tmp_path / "in"
    write_articles(inputs / "harbour-times", "harbour", 3)
    write_articles(inputs / "music-weekly", "orchestra", 3)
    with smtp_server(recorder) as port:
        settings = settings_for(tmp_path, inputs, port)
        build(settings, now=NOW - timedelta(hours=1))
        site = Site(settings, recorder, ("", 0))
        with running(settings, lambda: site.now) as address:
            site.address = address
            yield site


def confirm_link(message: EmailMessage) -> str:
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [link] = re.findall(r"https://news\.example\.org/confirm\?\S+", text)
    return link


def test_double_opt_in_end_to_end(site: Site) -> None:
    status, headers, page = site.request("GET", "/subscribe")
    assert status == 200 and 'name="address"' in page
    status, headers, page = site.request(
        "POST", "/subscribe", {"address": "Ann@Example.com", "website": ""}
    )
    assert status == 200 and "confirmation link is on its way" in page
    assert headers["cache-control"] == "no-store"
    # Nothing is sent to the address but the confirmation, and it is no subscriber yet.
    assert site.subscriber_status("ann@example.com") is None
    site.send()
    assert site.recorder.received == []
    assert site.outbox.deliver() == 1
    assert site.outbox.deliver() == 0  # sent once
    [(sender, recipient, _)] = site.recorder.received
    assert (sender, recipient) == ("digest@news.example.org", "ann@example.com")
    [mail] = site.confirmations("ann@example.com")
    assert mail["Auto-Submitted"] == "auto-generated"
    link = confirm_link(mail)

    # Following the link (or a scanner fetching it) only shows the button.
    for method in ("GET", "HEAD", "GET"):
        status, _, page = site.request(method, link)
        assert status == 200
    assert "Confirm my subscription" in page and "ann@example.com" in page
    assert site.subscriber_status("ann@example.com") is None
    status, _, page = site.request("POST", link)
    assert status == 200 and "is subscribed" in page
    assert site.subscriber_status("ann@example.com") == "active"
    [preferences] = re.findall(r'href="([^"]*preferences\?[^"]+)"', page)
    assert "token=" in preferences

    site.send()  # the articles waiting when Ann confirmed are hers
    digests = [m for m in site.recorder.to("ann@example.com") if m["List-Id"]]
    assert len(digests) == 1


def test_the_confirmation_mail_echoes_nothing_typed(site: Site) -> None:
    site.request(
        "POST",
        "/subscribe",
        {"address": "bob@example.net", "name": "Buy pills at pills.example", "note": "HELLO"},
    )
    site.outbox.deliver()
    [(_, _, raw)] = site.recorder.received
    assert b"pills" not in raw.lower() and b"HELLO" not in raw
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert b"bob@example.net" not in body.replace(b"=\r\n", b"").split(b"/confirm?")[0]


def test_a_filled_honeypot_is_thanked_and_ignored(site: Site) -> None:
    status, _, page = site.request(
        "POST", "/subscribe", {"address": "cy@example.org", "website": "http://spam.example"}
    )
    assert status == 200 and "on its way" in page
    assert site.outbox.deliver() == 0 and site.recorder.received == []


def test_a_bad_address_is_refused_and_not_echoed(site: Site) -> None:
    status, _, page = site.request("POST", "/subscribe", {"address": "<script>x</script>"})
    assert status == 400 and "<script>x" not in page and "not an e-mail address" in page


def test_a_burst_of_bot_signups_makes_a_handful_of_mails(site: Site) -> None:
    limits = site.settings.signup
    answers: dict[int, int] = {}
    # 40 clients, each trying 5 addresses spread over 4 domains (one a victim's, repeated).
    for client in range(2, 42):
        for n in range(5):
            address = "victim@target.example" if n == 0 else f"u{client}x{n}@d{n % 3}.example"
            status, _, _ = site.request(
                "POST", "/subscribe", {"address": address}, client=f"127.0.0.{client}"
            )
            answers[status] = answers.get(status, 0) + 1
    assert set(answers) <= {200, 429} and answers[429] > 0
    site.outbox.deliver()
    mails = site.recorder.received
    assert len(mails) <= limits.per_hour  # a handful, however many bots
    by_domain: dict[str, int] = {}
    for _, recipient, _ in mails:
        domain = recipient.partition("@")[2]
        by_domain[domain] = by_domain.get(domain, 0) + 1
    assert max(by_domain.values()) <= limits.per_domain
    assert sum(1 for _, r, _ in mails if r == "victim@target.example") == 1
    # An hour on, the limits are fresh; the victim still gets one a day at most.
    site.now += timedelta(hours=2)
    site.request("POST", "/subscribe", {"address": "victim@target.example"}, client="127.0.0.9")
    site.request("POST", "/subscribe", {"address": "new@fresh.example"}, client="127.0.0.9")
    site.outbox.deliver()
    recipients = [r for _, r, _ in site.recorder.received]
    assert recipients.count("victim@target.example") == 1 and "new@fresh.example" in recipients


def test_an_unsubscribed_address_comes_back_only_by_confirming(site: Site) -> None:
    with Store.open(site.settings.paths.state) as store:
        add_subscribers(store, ["dee@example.com"], NOW)
        remove_subscriber(store, "dee@example.com", NOW)
        epoch = store.subscriber("dee@example.com").epoch  # type: ignore[union-attr]
    site.request("POST", "/subscribe", {"address": "dee@example.com"})
    assert site.subscriber_status("dee@example.com") == "unsubscribed"
    site.outbox.deliver()
    [mail] = site.confirmations("dee@example.com")
    site.request("POST", confirm_link(mail))
    with Store.open(site.settings.paths.state) as store:
        again = store.subscriber("dee@example.com")
        assert again is not None and again.status == "active" and again.epoch == epoch + 1


def test_an_active_address_gets_no_confirmation(site: Site) -> None:
    with Store.open(site.settings.paths.state) as store:
        add_subscribers(store, ["eve@example.com"], NOW)
    status, _, page = site.request("POST", "/subscribe", {"address": "eve@example.com"})
    assert status == 200 and "on its way" in page  # the same answer: nothing is revealed
    assert site.outbox.deliver() == 0


def test_forged_damaged_and_old_confirmation_links_are_refused(site: Site) -> None:
    site.request("POST", "/subscribe", {"address": "fay@example.com"})
    site.outbox.deliver()
    link = confirm_link(site.confirmations("fay@example.com")[0])
    forged = re.sub(r"token=[0-9a-f]+", "token=" + "0" * 32, link)
    other = link.replace("fay%40example.com", "gus%40example.com").replace("fay@", "gus@")
    for bad in (forged, other, link[:-3]):
        status, _, page = site.request("POST", bad)
        assert status == 403 and "not valid" in page
    site.now += timedelta(days=8)
    status, _, _ = site.request("POST", link)
    assert status == 403
    assert site.subscriber_status("fay@example.com") is None
    assert site.subscriber_status("gus@example.com") is None


def _own_link(site: Site, address: str) -> str:
    with Store.open(site.settings.paths.state) as store:
        subscriber = store.subscriber(address)
        assert subscriber is not None
        token = preferences_token(store.secret(PREFERENCES_SECRET), address, subscriber.epoch)
    return f"/preferences?address={address}&token={token}"


def test_a_reader_sets_their_preferences_on_their_own_page(site: Site) -> None:
    with Store.open(site.settings.paths.state) as store:
        add_subscribers(store, ["hal@example.com"], NOW)
    link = _own_link(site, "hal@example.com")
    status, headers, page = site.request("GET", link)
    assert status == 200 and headers["referrer-policy"] == "no-referrer"
    assert 'value="harbour"' in page and 'value="orchestra"' in page
    assert 'value="music-weekly"' in page and "Europe/Berlin" in page
    form = [
        ("action", "save"),
        ("topic", "harbour"),
        ("cadence", "weekly"),
        ("day", "2"),
        ("hour", "9"),
        ("zone", "Europe/Berlin"),
    ]
    status, _, page = site.request("POST", link, form)
    assert status == 200 and "Saved." in page
    assert re.search(r'value="harbour" checked', page)
    with Store.open(site.settings.paths.state) as store:
        saved = json.loads(store.subscriber("hal@example.com").preferences)  # type: ignore[union-attr,arg-type]
    assert saved == {
        "topics": ["harbour"],
        "sites": [],
        "cadence": "weekly",
        "day": 2,
        "hour": 9,
        "zone": "Europe/Berlin",
    }
    status, _, page = site.request("POST", link, [("action", "save"), ("hour", "25")])
    assert status == 400 and "Not saved: hour must be" in page
    # A link for another address, or a changed token, shows nothing.
    status, _, page = site.request("GET", link.replace("hal@", "ann@"))
    assert status == 403 and "harbour" not in page
    status, _, page = site.request("GET", "/preferences")
    assert status == 200 and "Every digest" in page


def test_a_reader_downloads_and_deletes_their_data(site: Site) -> None:
    with Store.open(site.settings.paths.state) as store:
        add_subscribers(store, ["ivy@example.com"], NOW)
    site.send()
    link = _own_link(site, "ivy@example.com")
    status, headers, body = site.request("GET", link + "&download=json")
    assert status == 200 and headers["content-type"] == "application/json"
    assert "attachment" in headers["content-disposition"]
    data = json.loads(body)
    assert data["subscriber"]["address"] == "ivy@example.com"
    assert [d["status"] for d in data["deliveries"]] == ["sent"]

    status, _, page = site.request("POST", link, {"action": "delete"})
    assert status == 400 and site.subscriber_status("ivy@example.com") == "active"
    status, _, page = site.request("POST", link, {"action": "delete", "sure": "yes"})
    assert status == 200 and "is deleted" in page
    with Store.open(site.settings.paths.state) as store:
        assert store.reader_data("ivy@example.com") == {
            "subscriber": None,
            "deliveries": [],
            "signups": [],
            "bounces": [],
        }
        # No import brings the address back; its owner can.
        csv = site.settings.paths.out.parent / "people.csv"
        csv.write_text("ivy@example.com\n", encoding="utf-8")
        assert import_csv(store, csv, NOW).kept_unsubscribed == ("ivy@example.com",)
    status, _, _ = site.request("GET", link)
    assert status == 403  # the link went with the data
    site.request("POST", "/subscribe", {"address": "ivy@example.com"})
    site.outbox.deliver()
    site.request("POST", confirm_link(site.confirmations("ivy@example.com")[-1]))
    assert site.subscriber_status("ivy@example.com") == "active"


def test_signup_can_be_turned_off(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, tmp_path / "in", signup=SignupSettings(enabled=False))
    write_articles(tmp_path / "in" / "harbour-times", "harbour", 1)
    build(settings, now=NOW)
    assert 'class="signup"' not in (settings.paths.out / "index.html").read_text()
    on = replace(settings, signup=SignupSettings())
    build(on, now=NOW + timedelta(hours=1))
    assert 'action="subscribe"' in (settings.paths.out / "index.html").read_text()


def test_the_serve_command_sends_the_confirmation(tmp_path: Path) -> None:
    recorder = Recorder()
    inputs = tmp_path / "in"
    write_articles(inputs / "harbour-times", "harbour", 1)
    with smtp_server(recorder) as smtp_port:
        settings = settings_for(tmp_path, inputs, smtp_port)
        build(settings, now=NOW)
        config = tmp_path / "publisher.toml"
        config.write_text(
            '[site]\nbase_url = "https://news.example.org/"\n'
            f'[paths]\nout = "{settings.paths.out}"\nstate = "{settings.paths.state}"\n'
            '[digest]\nfrom = "Ledger <digest@news.example.org>"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n',
            encoding="utf-8",
        )
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "publisher",
                "serve",
                "--config",
                str(config),
                "--port",
                str(port),
                "-q",
            ],
            env=subprocess_env(),
            stderr=subprocess.PIPE,
        )
        try:
            for _ in range(100):  # up to 10 s for the server to listen
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request(
                        "POST",
                        "/subscribe",
                        body=b"address=jo%40example.com",
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                    )
                    assert conn.getresponse().status == 200
                    break
                except ConnectionRefusedError:
                    time.sleep(0.1)
            for _ in range(100):  # up to 10 s for the outbox's thread to send it
                if recorder.received:
                    break
                time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(10)
    assert len(recorder.received) == 1
    [mail] = recorder.to("jo@example.com")
    assert confirm_link(mail).startswith("https://news.example.org/confirm?address=jo@example.com")
