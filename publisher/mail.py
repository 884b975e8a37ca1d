"""Delivering digest issues over SMTP, and the subscriber list.

Delivery is idempotent: every recipient's outcome is committed to the store's delivery log
before the next recipient is tried, so a second run sends nothing already sent and a run
after a crash or a dropped connection sends only what is missing. Temporary failures (4xx
answers, a 552 to a recipient, dropped or refused connections) are retried with bounded
exponential backoff, and given up after GIVE_UP_AFTER; permanent ones (5xx) are recorded
per address and not retried.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import html as htmllib
import logging
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.parser import BytesParser
from email.policy import SMTP, Policy
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote, urlencode, urlsplit

from .config import Settings
from .errors import DeliveryError, PublisherError
from .models import Digest
from .store import Store

logger = logging.getLogger(__name__)


class _AsWritten(UnstructuredHeader):
    """A header we format ourselves (List-Unsubscribe's <URL>s, List-Id's phrase and id):
    kept as written, and folded only after the commas between its items.

    The stock folding turns a word longer than a line, such as a recipient's unsubscribe link,
    into RFC 2047 encoded-words, which are not allowed in a URL or an id (RFC 2047, section 5):
    a mail provider would then find no link to unsubscribe with.
    """

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value, kwds)
        kwds["decoded"] = value  # not decoded: the encoded-words of a phrase stay as they are

    def fold(self, *, policy: Policy) -> str:
        items = f",{policy.linesep} <".join(self.split(", <"))
        return f"{self.name}: {items}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _AsWritten)
_HEADERS.map_to_type("list-id", _AsWritten)
# Every message is built and parsed with this policy: SMTP's CRLF line ends, those headers as
# written, and quoted-printable lines of at most 76 characters (RFC 2045, 6.7; SMTP's own
# limit of 78 is for header lines).
MAIL_POLICY = SMTP.clone(max_line_length=76, header_factory=_HEADERS)

# Where the one-click unsubscribe endpoint lives, under base_url (see serve.py).
UNSUBSCRIBE_PATH = "unsubscribe"
# The name of the store's key that signs unsubscribe links (Store.secret).
UNSUBSCRIBE_SECRET = "unsubscribe"

# -- addresses -----------------------------------------------------------------------------

# Deliberately narrower than RFC 5322: a dot-atom local part and a DNS host name with a TLD,
# ASCII only, which is what real subscription forms produce.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class AddressError(PublisherError):
    """A subscriber address that cannot be used."""


def parse_address(raw: str) -> tuple[str, str | None]:
    """Validate ``raw`` ("a@b.org" or "Name <a@b.org>"): (lower-cased address, name or None).

    Raises AddressError for anything that is not exactly one plain address: control
    characters (header injection), several addresses, or a display name that smuggles in
    another address.
    """
    text = raw.strip()
    if _CONTROL.search(text):
        raise AddressError(f"invalid address {raw!r}: contains control characters")
    if len(getaddresses([text])) != 1 or text.count("@") != 1:
        raise AddressError(f"invalid address {raw!r}: give exactly one address")
    name, address = parseaddr(text)
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        raise AddressError(f"invalid address {raw!r}", "expected name@example.org")
    return address.lower(), _checked_name(name, raw)


def _checked_name(name: str, raw: str) -> str | None:
    # A name that looks like an address could pass for another sender in a client's view.
    if _CONTROL.search(name) or any(c in name for c in '<>@"'):
        raise AddressError(f'invalid name in {raw!r}: it must not contain <>@" or controls')
    return name.strip() or None


# -- headers shared with the digest ----------------------------------------------------------


def sender_address(settings: Settings) -> str:
    """The bare address of ``[digest] from``: envelope sender and unsubscribe mailbox."""
    return parseaddr(settings.digest.from_)[1]


def unsubscribe_url(settings: Settings) -> str:
    """The link a reader follows to unsubscribe: https when the site is https, else mailto.

    This is the issue's shared link, in the digest as it is archived; ``personalise`` puts
    each recipient's own link in its place."""
    return _unsubscribe_links(settings)[-1]


def unsubscribe_token(secret: bytes, address: str) -> str:
    """The hard-to-forge part of ``address``'s unsubscribe link (RFC 8058, section 3): an
    HMAC of the address under the store's secret, so nobody can unsubscribe someone else."""
    return hmac.new(secret, address.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def unsubscribe_address(store: Store, raw: str, token: str) -> str | None:
    """The address an unsubscribe link names when ``token`` is that address's, else None
    (a forged, damaged or truncated link). Compared in constant time."""
    try:
        address, _ = parse_address(raw)
    except AddressError:
        return None
    expected = unsubscribe_token(store.secret(UNSUBSCRIBE_SECRET), address)
    return address if hmac.compare_digest(expected.encode(), token.encode()) else None


def list_unsubscribe_headers(
    settings: Settings, address: str | None = None, token: str | None = None
) -> list[tuple[str, str]]:
    """List-Unsubscribe (mailto, plus https when the site is https) and, with an https
    link, List-Unsubscribe-Post for RFC 8058 one-click unsubscription."""
    links = _unsubscribe_links(settings, address, token)
    headers = [("List-Unsubscribe", ", ".join(f"<{link}>" for link in links))]
    # RFC 8058 requires an https URI for one-click; announcing it without one is invalid.
    if len(links) > 1:
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return headers


def _unsubscribe_links(
    settings: Settings, address: str | None = None, token: str | None = None
) -> list[str]:
    subject = f"unsubscribe {address}" if address else "unsubscribe"
    links = [f"mailto:{sender_address(settings)}?subject={quote(subject)}"]
    if urlsplit(settings.base_url).scheme == "https":
        links.append(unsubscribe_link(settings, address, token))
    return links


def unsubscribe_link(settings: Settings, address: str | None, token: str | None) -> str:
    """The unsubscribe endpoint's URL for ``address`` (the shared one without an address)."""
    link = settings.url(UNSUBSCRIBE_PATH)
    if not address:
        return link
    query = urlencode({"address": address, "token": token or ""}, safe="@", quote_via=quote)
    return f"{link}?{query}"


def personalise(message: bytes, address: str, settings: Settings, token: str) -> bytes:
    """The issue's message addressed to one recipient: their own unsubscribe links (``token``
    from ``unsubscribe_token``), in the headers and in place of the shared link in the text."""
    parsed = BytesParser(policy=MAIL_POLICY).parsebytes(message)
    for name, value in list_unsubscribe_headers(settings, address, token):
        del parsed[name]
        parsed[name] = value
    parsed["To"] = address
    shared, own = unsubscribe_url(settings), _unsubscribe_links(settings, address, token)[-1]
    # The shared link ends where a URL cannot go on (a quote, a space, a line end), so a
    # longer URL that starts with it is left alone.
    link = re.compile(re.escape(shared) + r"(?=[\"'\s<>]|\Z)")
    for part in parsed.walk():
        if part.get_content_maintype() != "text":
            continue
        html = part.get_content_subtype() == "html"
        text = part.get_content()
        value = htmllib.escape(own) if html else own
        replaced = link.sub(value.replace("\\", r"\\"), text)  # a backslash is all re.sub reads
        if replaced != text:
            part.set_content(
                replaced,
                subtype=part.get_content_subtype(),
                charset="utf-8",
                cte="quoted-printable",
            )
            del part["MIME-Version"]  # set_content adds one; only the message has it
    return parsed.as_bytes()


# -- delivery --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendReport:
    """What one delivery run did for one digest issue."""

    digest_id: str
    sent: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()  # (address, server answer): permanent, 5xx
    deferred: tuple[tuple[str, str], ...] = ()  # (address, error): retried by the next run
    already: int = 0  # recipients done (sent or failed) by an earlier run
    dry_run: bool = False
    would_send: tuple[str, ...] = field(default=())  # with dry_run: who would get it

    @property
    def complete(self) -> bool:
        """True when no recipient is left for a later run."""
        return not self.deferred and not self.dry_run


# How long an address refused temporarily is tried again, counted from when the issue was
# queued for it: a mail server's usual queue lifetime. An issue pending for ever would be
# tried at every run, and every run would end with some left for later.
GIVE_UP_AFTER = timedelta(days=5)


class _Temporary(Exception):
    """A failure worth retrying: 4xx, or the connection could not be made or was lost."""


class _Permanent(Exception):
    """A 5xx answer about this recipient or this message."""


def send_digest(
    digest: Digest,
    store: Store,
    settings: Settings,
    *,
    now: Callable[[], datetime],
    dry_run: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    retries: int = 4,
    backoff: float = 2.0,
) -> SendReport:
    """Deliver ``digest`` to its recipients that have not had it yet.

    The first run freezes the recipients (every active subscriber, see
    ``Store.queue_deliveries``); later runs only finish that list, so a subscriber added
    afterwards waits for the next issue. Each outcome is committed before the next
    recipient. A temporary failure is retried ``retries`` times, waiting ``backoff``,
    2×``backoff``... seconds (capped at a minute); if it persists the recipient stays
    pending for the next run, the later recipients of the run get one try each, and a
    server that cannot be reached at all ends the run early. An address still refused
    GIVE_UP_AFTER its issue was queued is recorded as failed.
    Raises DeliveryError when the server rejects our login or our sender address, since no
    recipient could get the issue then.
    """
    active = {subscriber.address for subscriber in store.subscribers(status="active")}
    log = store.deliveries(digest.id)
    if not log and dry_run:
        return SendReport(digest.id, dry_run=True, would_send=tuple(sorted(active)))
    if not log:
        store.queue_deliveries(digest.id, now())
        log = store.deliveries(digest.id)
    # Someone who unsubscribed since the issue was made is skipped, not mailed.
    todo = sorted(a for a, d in log.items() if d.status == "pending" and a in active)
    already = sum(1 for delivery in log.values() if delivery.status != "pending")
    if dry_run:
        return SendReport(digest.id, already=already, dry_run=True, would_send=tuple(todo))

    secret = store.secret(UNSUBSCRIBE_SECRET)
    started = now()
    sent: list[str] = []
    failed: list[tuple[str, str]] = []
    deferred: list[tuple[str, str]] = []
    with _Connection(settings) as connection:
        for index, address in enumerate(todo):
            message = personalise(
                digest.message, address, settings, unsubscribe_token(secret, address)
            )
            status, error = _deliver(
                connection, message, address, settings, sleep, retries, backoff
            )
            if status == "pending" and started - log[address].queued >= GIVE_UP_AFTER:
                status, error = "failed", f"{error} (given up after {GIVE_UP_AFTER.days} days)"
            if status == "pending":
                # One address refused through all its retries: the server is deferring this
                # run (greylisting, a full queue). Waiting as long for each of the others
                # would hold the run for minutes per subscriber; they get one try each, and
                # what is still refused waits for the next run.
                retries = 0
            store.record_delivery(digest.id, address, status, now(), error)
            if status == "sent":
                # Not INFO: the daemon's log has one line per run, and with thousands of
                # subscribers these would bury it. The deliveries table keeps each one.
                logger.debug("digest %s sent to %s", digest.id, address)
                sent.append(address)
            elif status == "failed":
                logger.warning("digest %s refused for %s: %s", digest.id, address, error)
                failed.append((address, error or ""))
            else:
                logger.warning("digest %s deferred for %s: %s", digest.id, address, error)
                deferred.append((address, error or ""))
                if not connection.reachable:
                    # The server is gone: the rest waits for the next run untouched.
                    skipped = todo[index + 1 :]
                    deferred.extend((rest, "not attempted: server unreachable") for rest in skipped)
                    break
    return SendReport(
        digest.id,
        sent=tuple(sent),
        failed=tuple(failed),
        deferred=tuple(deferred),
        already=already,
    )


def _deliver(
    connection: _Connection,
    message: bytes,
    address: str,
    settings: Settings,
    sleep: Callable[[float], None],
    retries: int,
    backoff: float,
) -> tuple[str, str | None]:
    """One recipient's outcome: ("sent", None), ("failed", answer) or ("pending", error)."""
    sender = sender_address(settings)
    for attempt in range(retries + 1):
        try:
            connection.send(sender, address, message)
            return "sent", None
        except _Permanent as exc:
            return "failed", str(exc)
        except _Temporary as exc:
            error = str(exc)
            if attempt < retries:
                sleep(min(60.0, backoff * 2**attempt))
    return "pending", error


# How long to wait for the server's answer to a whole message (RFC 5321, 4.5.3.2.6: at
# least ten minutes). The server may be filtering it; giving up sooner and retrying would
# deliver the digest twice if it then accepts the first copy.
DATA_TIMEOUT = 600.0


class _PatientData:
    """Waits DATA_TIMEOUT (or ``[smtp] timeout`` if longer) for the answer to a message; the
    other commands keep the configured timeout."""

    sock: socket.socket | None
    timeout: float

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        if self.sock is not None:
            self.sock.settimeout(max(self.timeout, DATA_TIMEOUT))
        try:
            return super().data(msg)  # type: ignore[misc]
        finally:
            if self.sock is not None:
                self.sock.settimeout(self.timeout)


class _SMTP(_PatientData, smtplib.SMTP):
    """A plain or STARTTLS session."""


class _SMTP_SSL(_PatientData, smtplib.SMTP_SSL):
    """A session over TLS from the start."""


class _Connection:
    """One SMTP session, reopened after a failure; raises only _Temporary or _Permanent."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None
        self.reachable = True

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close(polite=True)

    def send(self, sender: str, address: str, message: bytes) -> None:
        try:
            smtp = self.smtp or self._open()
            smtp.sendmail(sender, [address], message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = exc.recipients[address]
            # RFC 5321, 4.5.3.1.10: a 552 to RCPT (mailbox full, too many recipients) is to
            # be taken as the temporary 452.
            self._fail(code, answer, temporary=code == 552)
        except smtplib.SMTPSenderRefused as exc:
            if not 400 <= exc.smtp_code < 500:
                raise DeliveryError(
                    f"the SMTP server refused the sender {sender}: {exc.smtp_code} "
                    f"{_text(exc.smtp_error)}",
                    "check [digest] from: the server must accept it as a sender",
                ) from exc
            self._fail(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPDataError as exc:
            self._fail(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPHeloError, OSError) as exc:
            self._close(polite=False)
            raise _Temporary(f"connection lost: {exc}") from exc

    def _fail(self, code: int, answer: bytes | str, *, temporary: bool = False) -> NoReturn:
        error = f"{code} {_text(answer)}"
        if temporary or 400 <= code < 500:
            # Start afresh: after a 421 the server has closed, and a new session is the
            # cleanest state for a retry anyway.
            self._close(polite=code != 421)
            raise _Temporary(error)
        raise _Permanent(error)

    def _open(self) -> smtplib.SMTP:
        cfg = self.settings.smtp
        host = urlsplit(self.settings.base_url).hostname or "localhost"
        logging_in = False  # which step an SMTPNotSupportedError comes from
        try:
            if cfg.security == "ssl":
                smtp: smtplib.SMTP = _SMTP_SSL(
                    cfg.host,
                    cfg.port,
                    local_hostname=host,
                    timeout=cfg.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = _SMTP(cfg.host, cfg.port, local_hostname=host, timeout=cfg.timeout)
                if cfg.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                logging_in = True
                smtp.login(cfg.username, cfg.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"the SMTP server {cfg.host} refused the login for {cfg.username}",
                "check [smtp] username and the PUBLISHER_SMTP_PASSWORD environment variable",
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            if logging_in:
                raise DeliveryError(
                    f"the SMTP server {cfg.host} offers no login (SMTP AUTH)"
                    + (" without TLS" if cfg.security == "none" else ""),
                    "leave [smtp] username empty if it needs none; many servers offer a "
                    'login only with security = "starttls" or "ssl"',
                ) from exc
            raise DeliveryError(
                f"the SMTP server {cfg.host} does not support STARTTLS",
                'use security = "ssl" if it takes TLS from the start (usually port 465), or "none"',
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.reachable = False
            raise _Temporary(f"cannot connect to {cfg.host}:{cfg.port}: {exc}") from exc
        self.reachable = True
        self.smtp = smtp
        return smtp

    def _close(self, *, polite: bool) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            if polite:
                smtp.quit()
            else:
                smtp.close()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _text(answer: bytes | str) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer


# -- subscribers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriberReport:
    """What one add or import did to the subscriber list."""

    added: tuple[str, ...] = ()  # new, or (explicit add only) reactivated
    unchanged: tuple[str, ...] = ()  # already active
    kept_unsubscribed: tuple[str, ...] = ()  # import never reactivates an unsubscribed address
    invalid: tuple[tuple[str, str], ...] = ()  # (what was given, why it was refused)


def add_subscribers(store: Store, addresses: Iterable[str], now: datetime) -> SubscriberReport:
    """Subscribe ``addresses`` (explicitly: this reactivates unsubscribed ones)."""
    given = ((f"argument {n}", raw, None) for n, raw in enumerate(addresses, start=1))
    return _subscribe(store, given, now, reactivate=True)


def import_csv(store: Store, path: Path, now: datetime) -> SubscriberReport:
    """Subscribe the addresses of a CSV file; unsubscribed addresses stay unsubscribed.

    The file has the address in its first column and an optional name in the second, or a
    header row naming an "email" (or "address") column and optionally a "name" column.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            # (line number, cells): csv's line_num counts the lines read, quoted newlines too.
            reader = csv.reader(handle)
            rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except OSError as exc:
        raise PublisherError(
            f"cannot read {path}: {exc.strerror or exc}", "check the file's path"
        ) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise PublisherError(f"cannot read {path}: {exc}", "give a UTF-8 CSV file") from exc
    email_col, name_col = 0, 1
    header = [cell.strip().lower() for _, cell_row in rows[:1] for cell in cell_row]
    for label in ("email", "e-mail", "address", "email address"):
        if label in header:
            email_col = header.index(label)
            name_col = header.index("name") if "name" in header else -1
            rows = rows[1:]
            break
    given = []
    for number, row in rows:
        raw = row[email_col].strip() if email_col < len(row) else ""
        name = row[name_col].strip() if 0 <= name_col < len(row) else ""
        given.append((f"{path.name}:{number}: {raw}", raw, name))
    return _subscribe(store, given, now, reactivate=False)


def remove_subscriber(store: Store, address: str, now: datetime) -> bool:
    """Unsubscribe ``address``; True if it was active.

    An unknown address is still recorded as unsubscribed, so a later import cannot add it.
    """
    address, _ = parse_address(address)
    current = store.subscriber(address)
    with store.transaction():
        store.put_subscriber(address, None, "unsubscribed", now)
    return current is not None and current.status == "active"


def _subscribe(
    store: Store,
    given: Iterable[tuple[str, str, str | None]],
    now: datetime,
    *,
    reactivate: bool,
) -> SubscriberReport:
    """Apply (label for messages, address, separate name or None) triples in one transaction."""
    added: list[str] = []
    unchanged: list[str] = []
    kept: list[str] = []
    invalid: list[tuple[str, str]] = []
    seen: set[str] = set()
    with store.transaction():
        for label, raw, extra_name in given:
            try:
                address, name = parse_address(raw)
                name = _checked_name(extra_name, raw) if extra_name else name
            except AddressError as exc:
                invalid.append((label, exc.message))
                continue
            if address in seen:
                continue
            seen.add(address)
            current = store.subscriber(address)
            if current is not None and current.status == "active":
                unchanged.append(address)
            elif current is not None and not reactivate:
                kept.append(address)
            else:
                store.put_subscriber(address, name, "active", now)
                added.append(address)
    return SubscriberReport(tuple(added), tuple(unchanged), tuple(kept), tuple(invalid))
