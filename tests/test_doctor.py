"""`publisher doctor` against real peers on loopback: a name server holding the From
domain's records (tests/dns_helpers.py), an SMTP server that asks for a login (aiosmtpd),
and `publisher serve`'s server over https with a certificate the test makes and trusts."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from dns_helpers import dns_server
from smtp_helpers import free_port, smtp_server

from publisher.cli import main
from publisher.config import load_settings
from publisher.doctor import aligned, organizational
from publisher.mailing.account import preferences_endpoint
from publisher.mailing.dkim import dkim_records
from publisher.mailing.unsubscribe import unsubscribe_endpoint
from publisher.serve import make_server

PASSWORD = "correct horse"
DOMAIN = "news.example.org"


class Quiet:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def relay() -> Iterator[int]:
    with smtp_server(Quiet(), authenticator=_authenticator, auth_require_tls=False) as port:
        yield port


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def https_serve(config: Path, tmp_path: Path, port: int) -> Iterator[None]:
    """`publisher serve`'s server for the site of ``config``, over TLS on ``port``."""
    settings = load_settings(config)
    settings.paths.out.mkdir(parents=True, exist_ok=True)
    cert, key = _certificate(tmp_path)
    clock = lambda: datetime.now(UTC)  # noqa: E731
    httpd = make_server(
        settings.paths.out,
        "127.0.0.1",
        port,
        unsubscribe_endpoint(settings, clock),
        endpoints=preferences_endpoint(settings, clock),
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _config(workdir: Path, tmp_path: Path, smtp_port: int, base_url: str, mail: str = "") -> Path:
    config = workdir / "publisher.toml"
    config.write_text(
        f'[site]\nbase_url = "{base_url}"\n'
        f'[paths]\nout = "{tmp_path / "out"}"\nstate = "{tmp_path / "state.db"}"\n'
        f'[digest]\nfrom = "The Ledger <digest@{DOMAIN}>"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
        'username = "ledger"\n'
        f'[mail]\ndkim_selector = "pub2026"\n{mail}',
        encoding="utf-8",
    )
    return config


def test_a_site_set_up_right_passes_every_check(
    relay: int,
    tmp_path: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()
    config = _config(workdir, tmp_path, relay, f"https://127.0.0.1:{port}/")
    [(name, key)] = dkim_records(load_settings(config))
    records = {
        DOMAIN: ["v=spf1 ip4:192.0.2.10 -all", "google-site-verification=abc"],
        name: [key],
        f"_dmarc.{DOMAIN}": ["v=DMARC1; p=quarantine; adkim=s; rua=mailto:dmarc@example.org"],
    }
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
    with dns_server(records) as nameserver, https_serve(config, tmp_path, port):
        status = main(["doctor", "--nameserver", nameserver])
    said = capsys.readouterr().out
    assert status == 0, said
    lines = said.splitlines()
    assert all(line.startswith("[ok] ") for line in lines), said
    assert re.search(r"\[ok\] SMTP: 127\.0\.0\.1:\d+ answered .*logged in as ledger", said)
    assert f"[ok] SPF of {DOMAIN}: v=spf1 ip4:192.0.2.10 -all" in said
    assert f"[ok] DKIM pub2026: {name} holds our rsa-sha256 key" in said
    assert f"[ok] DMARC of {DOMAIN}" in said
    assert (
        f"[ok] serve at https://127.0.0.1:{port}/unsubscribe: answered by publisher serve" in said
    )
    assert f"[ok] serve at https://127.0.0.1:{port}/preferences" in said


def test_each_thing_wrong_is_found_and_says_what_to_fix(
    relay: int,
    tmp_path: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    nothing = free_port()  # no server there
    _config(workdir, tmp_path, relay, f"http://127.0.0.1:{nothing}/")
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", "wrong")
    with dns_server({}) as nameserver:
        status = main(["doctor", "--nameserver", nameserver])
    said = capsys.readouterr().out
    assert status == 1
    expected = [
        ("SMTP", "refused the login", "PUBLISHER_SMTP_PASSWORD"),
        (f"SPF of {DOMAIN}", "no SPF record", f"publish a TXT record at {DOMAIN}"),
        ("DKIM pub2026", "no key published", "`publisher dkim`"),
        (f"DMARC of {DOMAIN}", "no DMARC record", f"_dmarc.{DOMAIN}"),
        ("base_url", "is not https", "https://"),
        ("serve at", "cannot be reached", "publisher serve"),
    ]
    for subject, found, fix in expected:
        finding = re.search(
            rf"^\[problem\] {re.escape(subject)}[^\n]*{re.escape(found)}[^\n]*\n    fix: "
            rf"[^\n]*{re.escape(fix)}",
            said,
            flags=re.M,
        )
        assert finding, (subject, said)


def test_records_that_exist_but_do_not_align_are_problems(
    relay: int,
    tmp_path: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = _config(
        workdir,
        tmp_path,
        relay,
        "https://news.example.org/",
        'bounce_address = "bounces@mailer.example.net"\n',
    )
    [(name, _)] = dkim_records(load_settings(config))
    records = {
        "mailer.example.net": ["v=spf1 include:relay.example.net -all"],
        name: ["v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsomeoneelse"],
        f"_dmarc.{DOMAIN}": ["v=DMARC1; p=reject; aspf=s"],
    }
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
    with dns_server(records) as nameserver:
        status = main(["doctor", "--nameserver", nameserver, "-q"])
    said = capsys.readouterr().out
    assert status == 1
    assert "[problem] SPF of mailer.example.net: the return path's domain" in said
    assert "does not align with the From domain news.example.org (strict aspf=s)" in said
    assert "[problem] DKIM pub2026: the key published at" in said and "not the one" in said
    assert "[ok]" not in said  # -q: only what is wrong


def test_an_spf_record_that_lets_anyone_send_is_a_problem(
    relay: int,
    tmp_path: Path,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _config(workdir, tmp_path, relay, "https://news.example.org/")
    monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", PASSWORD)
    with dns_server({DOMAIN: ["v=spf1 a mx +all"]}) as nameserver:
        main(["doctor", "--nameserver", nameserver])
    said = capsys.readouterr().out
    assert "lets anyone send as news.example.org" in said and "end it with -all" in said


def test_alignment_follows_rfc_7489() -> None:
    assert organizational("mail.news.example.org") == "example.org"
    assert organizational("news.example.co.uk") == "example.co.uk"
    assert aligned("bounces.example.org", "news.example.org", "r")
    assert not aligned("bounces.example.org", "news.example.org", "s")
    assert not aligned("example.net", "example.org", "r")
