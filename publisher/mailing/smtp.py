"""One SMTP session for a delivery run: opened on first use, reopened after a failure, and
every outcome of a message told apart: accepted, refused for now (retry later), refused for
good (this recipient, never), or unknowable (handed over whole, no answer came).

The message's transaction is spelled out rather than left to ``smtplib.sendmail``, because
when the connection is lost matters: before the final dot nothing can have been accepted
and a retry is safe; after it the server may have accepted the message (RFC 1047), and a
retry could deliver it twice.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar, NoReturn
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import DeliveryError


class Temporary(Exception):
    """Not accepted, worth retrying: 4xx, or the connection could not be made or was lost
    before the message was handed over whole."""


class Permanent(Exception):
    """A 5xx answer about this recipient or this message."""


class Unknown(Exception):
    """The message was handed over whole (the final dot was sent) but no answer came: the
    server may have accepted it. Sending it again could deliver it twice."""


# How long to wait for the server's answer to a whole message (RFC 5321, 4.5.3.2.6: at
# least ten minutes). The server may be filtering it; giving up sooner makes the outcome
# unknown for a message it would have accepted.
DATA_TIMEOUT = 600.0

# Lines of a message that start with a dot get another (RFC 5321, 4.5.2).
_LEADING_DOT = re.compile(rb"(?m)^\.")


@contextmanager
def _patient(smtp: smtplib.SMTP) -> Iterator[None]:
    """Wait DATA_TIMEOUT (or ``[smtp] timeout`` if longer) for the answer to a message; the
    other commands keep the configured timeout."""
    if smtp.sock is not None:
        smtp.sock.settimeout(max(smtp.timeout, DATA_TIMEOUT))
    try:
        yield
    finally:
        if smtp.sock is not None:
            smtp.sock.settimeout(smtp.timeout)


class RateLimit:
    """At most ``per_minute`` messages handed to one relay in any minute (0: no limit),
    shared by every connection of this process to that relay (``for_relay``)."""

    _relays: ClassVar[dict[tuple[str, int], RateLimit]] = {}
    _registry: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    @classmethod
    def for_relay(cls, host: str, port: int, per_minute: int) -> RateLimit:
        """The limit of the relay at ``host``:``port``, made on first use."""
        with cls._registry:
            limit = cls._relays.get((host, port))
            if limit is None or limit.per_minute != per_minute:
                limit = cls._relays[(host, port)] = cls(per_minute)
            return limit

    def wait(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        """Wait until one more message may go, and count it."""
        if self.per_minute <= 0:
            return
        with self._lock:  # held while sleeping: the others wait for the same relay
            moment = clock()
            while self._times and moment - self._times[0] >= 60:
                self._times.popleft()
            if len(self._times) >= self.per_minute:
                delay = self._times[0] + 60 - moment
                if delay > 0:
                    sleep(delay)
                    moment += delay  # counted as sent then, whatever the clock says
                self._times.popleft()
            self._times.append(moment)


class Connection:
    """One SMTP session, reopened after a failure; raises only Temporary, Permanent,
    Unknown, or DeliveryError when no recipient can be mailed at all. Messages go no faster
    than ``[smtp] max_per_minute`` (``RateLimit``), waiting with ``sleep``."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None
        self.reachable = True
        cfg = settings.smtp
        self.limit = RateLimit.for_relay(cfg.host, cfg.port, cfg.max_per_minute)
        self.sleep, self.clock = sleep, clock

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close(polite=True)

    def send(
        self, sender: str, address: str, message: bytes, *, handing_over: Callable[[], None]
    ) -> None:
        """Deliver ``message`` from ``sender`` to ``address``.

        ``handing_over`` is called once the server has taken the envelope, just before the
        DATA command: from then on the outcome can be lost (see Unknown), so the caller
        records it first. If it raises, nothing is handed over and the session is dropped.
        """
        self.limit.wait(self.clock, self.sleep)
        try:
            smtp = self.smtp or self._open()
            self._envelope(smtp, sender, address, len(message))
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
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPHeloError, OSError) as exc:
            self._close(polite=False)
            raise Temporary(f"connection lost: {exc}") from exc
        try:
            handing_over()
        except BaseException:
            self._close(polite=False)
            raise
        self._data(smtp, message)

    def _envelope(self, smtp: smtplib.SMTP, sender: str, address: str, size: int) -> None:
        """MAIL FROM and RCPT TO, refusals raised as smtplib's own exceptions."""
        smtp.ehlo_or_helo_if_needed()
        options = [f"SIZE={size}"] if smtp.does_esmtp and smtp.has_extn("size") else []
        code, answer = smtp.mail(sender, options)
        if code != 250:
            self._reset(smtp, code)
            raise smtplib.SMTPSenderRefused(code, answer, sender)
        code, answer = smtp.rcpt(address)
        if code not in (250, 251):
            self._reset(smtp, code)
            raise smtplib.SMTPRecipientsRefused({address: (code, answer)})

    def _data(self, smtp: smtplib.SMTP, message: bytes) -> None:
        """DATA, the message and its final dot, and the answer: Unknown when the connection
        is lost after the dot went out."""
        try:
            code, answer = smtp.docmd("DATA")
            if code != 354:
                self._reset(smtp, code)
                self._fail(code, answer)
            body = _LEADING_DOT.sub(b"..", message)
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            # One write: if it fails, the final dot at its end has not all gone out, so the
            # server cannot have taken the message.
            smtp.send(body + b".\r\n")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._close(polite=False)
            raise Temporary(f"connection lost before the message was complete: {exc}") from exc
        try:
            with _patient(smtp):
                code, answer = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._close(polite=False)
            raise Unknown(
                f"connection lost after the message was sent, before the server answered: {exc}"
            ) from exc
        if code != 250:
            self._fail(code, answer)

    def _reset(self, smtp: smtplib.SMTP, code: int) -> None:
        """End a refused transaction so that the session can take the next one (after a
        421 the server has closed it)."""
        if code == 421:
            self._close(polite=False)
            return
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._close(polite=False)

    def _fail(self, code: int, answer: bytes | str, *, temporary: bool = False) -> NoReturn:
        error = f"{code} {_text(answer)}"
        if temporary or 400 <= code < 500:
            # Start afresh: after a 421 the server has closed, and a new session is the
            # cleanest state for a retry anyway.
            self._close(polite=code != 421)
            raise Temporary(error)
        raise Permanent(error)

    def _open(self) -> smtplib.SMTP:
        cfg = self.settings.smtp
        host = urlsplit(self.settings.base_url).hostname or "localhost"
        logging_in = False  # which step an SMTPNotSupportedError comes from
        try:
            if cfg.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    cfg.host,
                    cfg.port,
                    local_hostname=host,
                    timeout=cfg.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, local_hostname=host, timeout=cfg.timeout)
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
            raise Temporary(f"cannot connect to {cfg.host}:{cfg.port}: {exc}") from exc
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


def probe(settings: Settings) -> str:
    """Open a session as a send would (TLS, login) and close it; says what was reached.
    Raises DeliveryError when the login or TLS is refused, Temporary when the server
    cannot be reached."""
    with Connection(settings) as connection:
        smtp = connection._open()
        smtp.ehlo_or_helo_if_needed()
        secured = " with TLS" if settings.smtp.security != "none" else " without TLS"
        login = f", logged in as {settings.smtp.username}" if settings.smtp.username else ""
        name = _text(smtp.ehlo_resp or b"").split("\n")[0] if smtp.ehlo_resp else "the server"
    return f"{settings.smtp.host}:{settings.smtp.port} answered{secured}{login} ({name})"
