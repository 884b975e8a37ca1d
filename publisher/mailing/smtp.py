"""One SMTP session for a delivery run: opened on first use, reopened after a failure, and
every failure told apart as temporary (retry later) or permanent (this recipient, never).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import DeliveryError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class Temporary(Exception):
    """A failure worth retrying: 4xx, or the connection could not be made or was lost."""


class Permanent(Exception):
    """A 5xx answer about this recipient or this message."""


# How long to wait for the server's answer to a whole message (RFC 5321, 4.5.3.2.6: at
# least ten minutes). The server may be filtering it; giving up sooner and retrying would
# deliver the digest twice if it then accepts the first copy.
DATA_TIMEOUT = 600.0


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


class _SMTP(smtplib.SMTP):
    """A plain or STARTTLS session, patient for the answer to a message."""

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        with _patient(self):
            return super().data(msg)


class _SMTP_SSL(smtplib.SMTP_SSL):
    """A session over TLS from the start, patient for the answer to a message."""

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        with _patient(self):
            return super().data(msg)


class Connection:
    """One SMTP session, reopened after a failure; raises only Temporary or Permanent."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None
        self.reachable = True

    def __enter__(self) -> Connection:
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
            raise Temporary(f"connection lost: {exc}") from exc

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
