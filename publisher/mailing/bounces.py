"""Bounces and complaints read back: ``publisher bounces`` on a Maildir or one message.

What a message is:
- a delivery status notification (RFC 3464, ``multipart/report; report-type=
  delivery-status``) or a bounce in an older format: classified by its status codes
  (``Status: 5.1.1``), and by flufl.bounce's detectors where there are none. A permanent
  failure (5.x.x) suspends the address at once; a temporary one (4.x.x, or delayed) is
  counted, and SOFT_LIMIT of them within SOFT_WINDOW suspend it;
- a feedback-loop complaint (ARF, RFC 5965, ``report-type=feedback-report``): the reader
  marked the mail as spam, and is unsubscribed at once;
- an automatic reply (``Auto-Submitted``, RFC 3834; out-of-office notes): ignored, as is
  anything else.

Which subscriber it is about comes from what we signed, never from what the report claims
alone: the VERP return path (``bounces+<token>@domain``, ``[mail] bounce_address``) the
bounce was sent to, or, in the copy of our message a report carries, that return path or
the signed unsubscribe link. A report that names an address without proof is not acted on.
Each message is acted on once (its Message-ID, or its hash, is recorded).
"""

from __future__ import annotations

import email
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flufl.bounce import all_failures

from ..config import Settings
from ..errors import PublisherError
from ..store import Store
from .tokens import RETURN_PATH_SECRET, return_path_owner, return_path_token
from .unsubscribe import unsubscribe_address

# Temporary failures that suspend an address, within this window.
SOFT_LIMIT = 3
SOFT_WINDOW = timedelta(days=7)
# A message larger than this is no bounce of ours (a DSN carries at most our message).
MAX_BYTES = 10 * 1024 * 1024
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|out of (the )?office|abwesenheit|absence|vacation)", re.I
)


def return_path(settings: Settings, secret: bytes, address: str) -> str | None:
    """The envelope sender of mail to ``address``: ``[mail] bounce_address`` with the
    address's signed token (``bounces+<token>@domain``), or None when bounces are not read."""
    bounce = settings.mail.bounce_address
    if not bounce:
        return None
    local, _, domain = bounce.rpartition("@")
    return f"{local}+{return_path_token(secret, address)}@{domain}"


@dataclass(frozen=True)
class Outcome:
    """What one message turned out to be and what was done."""

    source: str  # the file's name, or "<stdin>"
    kind: str  # hard, soft, complaint, auto-reply, not a bounce, unknown recipient
    address: str | None = None
    action: str = "ignored"
    detail: str = ""

    def line(self) -> str:
        """One line for the command's output."""
        who = f" for {self.address}" if self.address else ""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.source}: {self.kind}{who}{detail}: {self.action}"


@dataclass(frozen=True)
class _Report:
    kind: str  # hard, soft, complaint, auto-reply, not a bounce
    detail: str = ""


def classify(message: Message) -> _Report:
    """What ``message`` is (see the module), without deciding whom it is about."""
    content = message.get_content_type()
    report = str(message.get_param("report-type", "") or "").lower()
    if content == "multipart/report" and report == "feedback-report":
        fields = _report_fields(message, "message/feedback-report")
        kind = fields[0].get("Feedback-Type", "abuse").strip() if fields else "abuse"
        return _Report("complaint", f"feedback type {kind}")
    statuses: list[tuple[str, str]] = []
    if content == "multipart/report" and report == "delivery-status":
        for block in _report_fields(message, "message/delivery-status"):
            action = (block.get("Action") or "").strip().lower()
            found = _STATUS.search(block.get("Status") or "")
            if action in ("failed", "delayed") or found:
                statuses.append((action, found.group(0) if found else ""))
    elif not _bounce_like(message) and _auto_reply(message):
        return _Report("auto-reply")
    if statuses:
        if any(a == "failed" and s.startswith("5") for a, s in statuses):
            code = next(s for a, s in statuses if a == "failed" and s.startswith("5"))
            return _Report("hard", f"status {code}")
        if any(a == "failed" and not s for a, s in statuses):
            return _Report("hard", "failed")
        code = next((s for _, s in statuses if s), "")
        return _Report("soft", f"status {code}" if code else "delayed")
    temporary, permanent = all_failures(message)
    if permanent:
        match = _STATUS.search(_text(message))
        if match and match.group(1) == "4":
            return _Report("soft", f"status {match.group(0)}")
        return _Report("hard", f"status {match.group(0)}" if match else "permanent failure")
    if temporary:
        return _Report("soft", "temporary failure")
    if _auto_reply(message):
        return _Report("auto-reply")
    return _Report("not a bounce")


def _report_fields(message: Message, content_type: str) -> list[Message]:
    """The field blocks of the report's part of ``content_type`` (per message, then per
    recipient)."""
    for part in message.walk():
        if part.get_content_type() == content_type:
            payload = part.get_payload()
            if isinstance(payload, list):
                return [block for block in payload if isinstance(block, Message)]
            if isinstance(payload, str):  # not parsed as fields: parse them here
                blocks = re.split(r"\r?\n\s*\r?\n", payload.strip())
                return [email.message_from_string(block) for block in blocks]
    return []


def _bounce_like(message: Message) -> bool:
    """Whether a message that is not a report still comes from a mail server about a
    failure (older bounce formats carry Auto-Submitted too, RFC 3834 asks them to)."""
    if message.get("X-Failed-Recipients"):
        return True
    sender = str(message.get("From", "")) + str(message.get("Return-Path", ""))
    return bool(re.search(r"mailer-daemon|postmaster", sender, re.I))


def _auto_reply(message: Message) -> bool:
    """An automatic reply (RFC 3834), or one of the usual signs of a vacation responder."""
    submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if submitted and not submitted.startswith("no"):
        return True
    if any(message.get(h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")):
        return True
    if str(message.get("Precedence", "")).strip().lower() in ("auto_reply", "bulk", "junk"):
        return True
    return bool(_AUTO_SUBJECT.match(str(message.get("Subject", ""))))


def _text(message: Message) -> str:
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                parts.append(payload.decode("utf-8", "replace"))
    return "\n".join(parts)


class Reader:
    """Reads bounces into the state: who each is about, and what it does to them."""

    def __init__(self, store: Store, settings: Settings, now: datetime) -> None:
        self.store, self.settings, self.now = store, settings, now
        self.secret = store.secret(RETURN_PATH_SECRET)
        self._addresses: list[str] | None = None
        bounce = settings.mail.bounce_address or ""
        local, _, domain = bounce.rpartition("@")
        self._verp = (
            re.compile(rf"{re.escape(local)}\+([a-z2-7]{{16}})@{re.escape(domain)}", re.I)
            if bounce
            else None
        )

    def read(self, raw: bytes, source: str, recipient: str | None = None) -> Outcome:
        """Act on one message (``recipient``: its envelope recipient, when known)."""
        message = email.message_from_bytes(raw)
        report = classify(message)
        if report.kind in ("auto-reply", "not a bounce"):
            return Outcome(source, report.kind, detail=report.detail)
        address = self._whom(message, recipient)
        if address is None:
            return Outcome(
                source,
                report.kind,
                None,
                "ignored: not about a subscriber of "
                "ours (no signed return path or unsubscribe link)",
                report.detail,
            )
        key = str(message.get("Message-ID") or "").strip() or hashlib.sha256(raw).hexdigest()
        with self.store.transaction():
            if not self.store.record_bounce(key, address, report.kind, report.detail, self.now):
                return Outcome(source, report.kind, address, "already read", report.detail)
            action = self._act(address, report)
        return Outcome(source, report.kind, address, action, report.detail)

    def _act(self, address: str, report: _Report) -> str:
        current = self.store.subscriber(address)
        if current is None or current.status != "active":
            return f"recorded (already {current.status if current else 'gone'})"
        if report.kind == "complaint":
            self.store.put_subscriber(
                address, None, "unsubscribed", self.now, reason=f"complaint: {report.detail}"
            )
            return "unsubscribed"
        if report.kind == "hard":
            self.store.put_subscriber(
                address, None, "suspended", self.now, reason=f"bounced: {report.detail}"
            )
            return "suspended"
        count = self.store.soft_bounces(address, self.now - SOFT_WINDOW)
        if count >= SOFT_LIMIT:
            self.store.put_subscriber(
                address,
                None,
                "suspended",
                self.now,
                reason=f"{count} temporary failures in {SOFT_WINDOW.days} days",
            )
            return f"suspended ({count} temporary failures in {SOFT_WINDOW.days} days)"
        return f"counted ({count} of {SOFT_LIMIT} in {SOFT_WINDOW.days} days)"

    def _whom(self, message: Message, recipient: str | None) -> str | None:
        """The subscriber the message is about, from what we signed (see the module)."""
        headers = [recipient or ""]
        for name in ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To"):
            headers += [str(v) for v in message.get_all(name, [])]
        for original in _originals(message):
            headers += [str(v) for v in original.get_all("Return-Path", [])]
        found = self._from_return_path(" ".join(headers))
        if found:
            return found
        for original in _originals(message):
            for value in original.get_all("List-Unsubscribe", []):
                found = self._from_unsubscribe(str(value))
                if found:
                    return found
        return None

    def _from_return_path(self, text: str) -> str | None:
        if self._verp is None:
            return None
        for token in self._verp.findall(text):
            if self._addresses is None:
                self._addresses = [s.address for s in self.store.subscribers()]
            owner = return_path_owner(self.secret, token, self._addresses)
            if owner:
                return owner
        return None

    def _from_unsubscribe(self, header: str) -> str | None:
        for link in re.findall(r"<(https?://[^>]+)>", header):
            fields = parse_qs(urlsplit(link).query)
            raw, token = fields.get("address", [""])[0], fields.get("token", [""])[0]
            if raw and token:
                address = unsubscribe_address(self.store, raw, token)
                if address:
                    return address
        return None


def _originals(message: Message) -> Iterator[Message]:
    """The copies of our message (or its headers) a report carries."""
    for part in message.walk():
        content = part.get_content_type()
        if content in ("message/rfc822", "message/rfc822-headers"):
            payload = part.get_payload()
            for inner in payload if isinstance(payload, list) else [payload]:
                if isinstance(inner, Message):
                    yield inner
        elif content == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                yield email.message_from_bytes(payload)


def read_messages(
    settings: Settings,
    now: datetime,
    *,
    maildir: Path | None = None,
    data: bytes | None = None,
    recipient: str | None = None,
) -> list[Outcome]:
    """Read the bounces of ``maildir`` (its new messages, and those in cur/ not yet seen;
    each moved to cur/ and marked seen once acted on), or the one message ``data`` (an MTA
    pipe's standard input, ``recipient`` its envelope recipient).

    Raises PublisherError when the Maildir cannot be read."""
    with Store.open(settings.paths.state) as store:
        reader = Reader(store, settings, now)
        if data is not None:
            if len(data) > MAX_BYTES:
                return [Outcome("<stdin>", "not a bounce", action="ignored: too large")]
            return [reader.read(data, "<stdin>", recipient)]
        assert maildir is not None
        return [reader.read(raw, path.name) for path, raw in _unread(maildir)]


def _unread(maildir: Path) -> Iterator[tuple[Path, bytes]]:
    """The Maildir's unread messages, each moved to cur/ marked seen after the caller is
    done with it (RFC-less Maildir convention: "<name>:2,S")."""
    new, cur = maildir / "new", maildir / "cur"
    if not new.is_dir() or not cur.is_dir():
        raise PublisherError(
            f"{maildir} is not a Maildir: it needs new/ and cur/ directories",
            "give the Maildir that receives [mail] bounce_address's mail",
        )
    candidates = sorted(p for p in new.iterdir() if not p.name.startswith("."))
    candidates += sorted(
        p for p in cur.iterdir() if not p.name.startswith(".") and "S" not in _flags(p.name)
    )
    for path in candidates:
        try:
            raw = b"" if path.stat().st_size > MAX_BYTES else path.read_bytes()
        except OSError as exc:
            raise PublisherError(f"cannot read {path}: {exc.strerror or exc}") from exc
        yield path, raw
        name, _, flags = path.name.partition(":2,")
        os.replace(path, cur / f"{name}:2,{''.join(sorted(set(flags + 'S')))}")


def _flags(name: str) -> str:
    return name.partition(":2,")[2]
