"""Signup with one-click double opt-in, answered by ``publisher serve``.

``POST /subscribe`` (the form on every archive page) queues a confirmation mail and nothing
else: the address is not subscribed, and nothing but that one mail is sent to it, until
its owner confirms. The mail carries a signed link (``tokens.confirm_token``: the address
and when it was asked for, valid CONFIRM_DAYS); a GET of the link only shows a page with
one button, whose POST confirms, so a mail scanner that follows links confirms nothing.

A bot's burst of signups becomes a handful of mails at most: a form with a field no person
fills (a honeypot), and confirmation mails limited per hour per client address, per
recipient domain and in all (``[signup]``), and to one per address a day. An address
already subscribed gets none. The answer to a signup is the same whether a mail was queued
or not, so the form tells nobody who is subscribed.

The mails are sent by ``Outbox``, a thread of the server, through the same SMTP session
code, rate limit and DKIM signing as the digest, each at most once (``queued`` ->
``sending`` -> ``sent`` | ``failed``, or ``unknown`` when the outcome was lost).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from ..config import Settings
from ..errors import PublisherError
from ..models import PageAnswer, PageRequest
from ..render.archive import Archive
from ..render.message import (
    CONFIRM_PATH,
    SUBSCRIBE_PATH,
    confirm_link,
    preferences_link,
    sender_address,
)
from ..render.notice import confirmation
from ..store import Store
from .dkim import Signer
from .smtp import Connection, Permanent, Temporary, Unknown
from .subscribers import AddressError, parse_address
from .tokens import (
    CONFIRM_SECRET,
    ERASED_SECRET,
    PREFERENCES_SECRET,
    confirm_token,
    confirm_valid,
    erased_mark,
    preferences_token,
)

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
# One confirmation mail per address in this time at most, whoever asks.
PER_ADDRESS = timedelta(days=1)
# Signup requests (client addresses) are forgotten after this.
KEEP_SIGNUPS = timedelta(days=30)
# A confirmation still unsent after this is given up: the visitor has long left.
GIVE_UP_AFTER = timedelta(days=1)
# The form's honeypot field.
HONEYPOT = "website"
# Tries of a confirmation mail refused for now before it is given up.
TRIES = 5


def client_address(settings: Settings, request: PageRequest) -> str:
    """The visitor's address: the peer's, or behind a trusted proxy the last
    X-Forwarded-For hop (``[signup] forwarded_for``)."""
    if settings.signup.forwarded_for and request.forwarded_for.strip():
        return request.forwarded_for.split(",")[-1].strip()[:64]
    return request.client


def ask(settings: Settings, address: str, client: str, now: datetime) -> str:
    """Queue a confirmation mail to ``address`` asked for by ``client``, within the limits.
    Returns "queued", "busy" (this client asked too often: it may be told), or "dropped"
    (the domain's or the hour's limit, a mail already sent today, or an address already
    subscribed: nobody is told)."""
    limits = settings.signup
    with Store.open(settings.paths.state) as store:
        store.forget_signups(now - KEEP_SIGNUPS)
        domain = address.rpartition("@")[2]
        by_client, by_domain, total = store.signup_counts(now - HOUR, client=client, domain=domain)
        if by_client >= limits.per_client:
            return "busy"
        if by_domain >= limits.per_domain or total >= limits.per_hour:
            log.warning("signup limit reached (domain %s: %d, all: %d)", domain, by_domain, total)
            return "dropped"
        last = store.last_signup(address)
        if last is not None and now - last < PER_ADDRESS:
            return "dropped"
        current = store.subscriber(address)
        if current is not None and current.status == "active":
            return "dropped"
        store.add_signup(address, client, now)
    return "queued"


def confirm(store: Store, address: str, now: datetime) -> None:
    """Subscribe ``address`` on its owner's confirmation: a new reader, or one who
    unsubscribed, was suspended or erased their data before (an erasure is forgotten)."""
    with store.transaction():
        store.unerase(erased_mark(store.secret(ERASED_SECRET), address))
        current = store.subscriber(address)
        if current is None or current.status != "active":
            store.put_subscriber(address, None, "active", now)


class Outbox:
    """Sends the queued confirmation mails from a thread of the server: woken by each
    signup, and every minute for those refused for now."""

    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], datetime],
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings, self.clock, self.sleep = settings, clock, sleep
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (it sends what is queued at once)."""
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Have the thread look for queued mail now."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread after the mail it is sending."""
        self._closing.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._closing.is_set():
            self._wake.clear()
            try:
                self.deliver()
            except Exception:  # a bug or a broken state must not end the thread silently
                log.exception("confirmation mails: the run failed")
            self._wake.wait(60)

    def deliver(self) -> int:
        """Send every queued confirmation mail once; returns how many were sent."""
        if not self.settings.paths.state.exists():
            return 0
        sent = 0
        with Store.open(self.settings.paths.state) as store:
            for left in store.signups(status="sending"):
                # The server stopped while handing it over: it may have arrived.
                store.set_signup(left.id, "unknown", "interrupted while being sent")
            queued = store.signups(status="queued")
            if not queued:
                return 0
            secret = store.secret(CONFIRM_SECRET)
            signer = Signer(store, self.settings)
            sender = sender_address(self.settings)
            with Connection(self.settings, sleep=self.sleep) as connection:
                for signup in queued:
                    now = self.clock()
                    if now - signup.requested > GIVE_UP_AFTER:
                        store.set_signup(signup.id, "failed", "not sent within a day")
                        continue
                    asked = int(signup.requested.timestamp())
                    link = confirm_link(
                        self.settings,
                        signup.address,
                        asked,
                        confirm_token(secret, signup.address, asked),
                    )
                    message = signer.sign(
                        confirmation(
                            self.settings,
                            address=signup.address,
                            link=link,
                            now=now,
                            tag=f"{asked}.{signup.id}",
                        )
                    )

                    def handing_over(signup_id: int = signup.id) -> None:
                        store.set_signup(signup_id, "sending")

                    try:
                        connection.send(sender, signup.address, message, handing_over=handing_over)
                    except Permanent as exc:
                        store.set_signup(signup.id, "failed", str(exc))
                    except Unknown as exc:
                        store.set_signup(signup.id, "unknown", str(exc))
                    except Temporary as exc:
                        status = "failed" if signup.attempts + 1 >= TRIES else "queued"
                        store.set_signup(signup.id, status, str(exc))
                        if not connection.reachable:
                            break
                    except PublisherError as exc:  # our login or sender refused: all wait
                        log.error("confirmation mails: %s", exc)
                        store.set_signup(signup.id, "queued", str(exc))
                        break
                    else:
                        store.set_signup(signup.id, "sent")
                        sent += 1
        return sent


def signup_endpoints(
    settings: Settings, clock: Callable[[], datetime], outbox: Outbox | None
) -> dict[str, Callable[[PageRequest], PageAnswer]]:
    """The signup form's and the confirmation link's endpoints, by URL path; ``outbox``
    is woken when a mail is queued."""
    archive = Archive(settings)
    form_url = settings.url(SUBSCRIBE_PATH)
    confirm_url = settings.url(CONFIRM_PATH)

    def page(url: str, status: HTTPStatus, state: str, **values: str) -> PageAnswer:
        body = archive.reader_page(
            "subscribe.html.j2",
            url,
            {"state": state, "action": form_url, "form": form_url, **values},
        )
        return PageAnswer(status, body)

    def subscribe(request: PageRequest) -> PageAnswer:
        if request.method != "POST":
            return page(form_url, HTTPStatus.OK, "form")
        fields = _form(request.body)
        if fields.get(HONEYPOT, [""])[0].strip():
            log.info("signup: honeypot filled by %s; ignored", request.client)
            return page(form_url, HTTPStatus.OK, "sent")
        try:
            address, _ = parse_address(fields.get("address", [""])[0])
        except AddressError:
            return page(form_url, HTTPStatus.BAD_REQUEST, "invalid")
        outcome = ask(settings, address, client_address(settings, request), clock())
        if outcome == "busy":
            return page(form_url, HTTPStatus.TOO_MANY_REQUESTS, "busy")
        if outcome == "queued" and outbox is not None:
            outbox.wake()
        return page(form_url, HTTPStatus.OK, "sent")

    def confirming(request: PageRequest) -> PageAnswer:
        fields = parse_qs(request.query, max_num_fields=6)
        raw = fields.get("address", [""])[0]
        asked, token = fields.get("t", [""])[0], fields.get("token", [""])[0]
        try:
            address, _ = parse_address(raw)
        except AddressError:
            return page(confirm_url, HTTPStatus.FORBIDDEN, "expired")
        if not settings.paths.state.exists():
            return page(confirm_url, HTTPStatus.FORBIDDEN, "expired")
        now = clock()
        with Store.open(settings.paths.state) as store:
            if not confirm_valid(store.secret(CONFIRM_SECRET), address, asked, token, now):
                return page(confirm_url, HTTPStatus.FORBIDDEN, "expired")
            link = confirm_link(settings, address, int(asked), token)
            if request.method != "POST":
                return page(confirm_url, HTTPStatus.OK, "confirm", address=address, action=link)
            confirm(store, address, now)
            subscriber = store.subscriber(address)
            epoch = subscriber.epoch if subscriber else 0
            own = preferences_token(store.secret(PREFERENCES_SECRET), address, epoch)
        log.info("signup confirmed for %s", address)
        return page(
            confirm_url,
            HTTPStatus.OK,
            "confirmed",
            address=address,
            preferences=preferences_link(settings, address, own),
        )

    return {urlsplit(form_url).path: subscribe, urlsplit(confirm_url).path: confirming}


def _form(body: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(body.decode("utf-8", "replace"), max_num_fields=8)
    except ValueError:  # more fields than our form has
        return {}
