"""The digest's unsubscribe link: each recipient's own, signed, and what answers it.

A link carries the address and a token, an HMAC of the address under a key kept in the
state (``Store.secret``), so nobody can unsubscribe someone else and no token is stored.
``publisher serve`` answers the link with ``unsubscribe_endpoint``: a POST (a provider's
RFC 8058 one-click, or the page's button) unsubscribes; a GET only asks to confirm, since
mail scanners fetch every link of a message.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from ..config import Settings
from ..render.archive import Archive
from ..render.message import sender_address, unsubscribe_link
from ..store import Store
from .subscribers import AddressError, parse_address, remove_subscriber

log = logging.getLogger(__name__)

# The name of the store's key that signs unsubscribe links (Store.secret).
UNSUBSCRIBE_SECRET = "unsubscribe"

# Answers a request to the unsubscribe path: (query string, confirm) -> (status, page).
Answer = Callable[[str, bool], tuple[HTTPStatus, bytes]]


def unsubscribe_token(secret: bytes, address: str, epoch: int = 0) -> str:
    """The hard-to-forge part of ``address``'s unsubscribe link (RFC 8058, section 3): an
    HMAC of the address under the store's secret, so nobody can unsubscribe someone else.
    ``epoch`` is the subscription's (``Subscriber.epoch``): once the address subscribes
    again, the links of its earlier subscription no longer work."""
    signed = address if epoch == 0 else f"{address}\n{epoch}"
    return hmac.new(secret, signed.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def unsubscribe_address(store: Store, raw: str, token: str) -> str | None:
    """The address an unsubscribe link names when ``token`` is that address's for its
    current subscription, else None (a forged, damaged or truncated link, or one sent before
    the address subscribed again). Compared in constant time."""
    try:
        address, _ = parse_address(raw)
    except AddressError:
        return None
    subscriber = store.subscriber(address)
    epoch = subscriber.epoch if subscriber else 0
    expected = unsubscribe_token(store.secret(UNSUBSCRIBE_SECRET), address, epoch)
    return address if hmac.compare_digest(expected.encode(), token.encode()) else None


def unsubscribe_endpoint(settings: Settings, clock: Callable[[], datetime]) -> tuple[str, Answer]:
    """Where the digest's unsubscribe link points (the URL path under ``base_url``) and what
    answers it (see ``unsubscribe_page``)."""
    path = urlsplit(unsubscribe_link(settings, None, None)).path

    def answer(query: str, confirm: bool) -> tuple[HTTPStatus, bytes]:
        return unsubscribe_page(settings, query, confirm=confirm, now=clock())

    return path, answer


def unsubscribe_page(
    settings: Settings, query: str, *, confirm: bool, now: datetime
) -> tuple[HTTPStatus, bytes]:
    """Answer a request to a digest's unsubscribe link (``query`` is its query string: the
    address and the token that proves the link was ours): the HTTP status and the page.

    To ``confirm`` (a POST: a mail provider's RFC 8058 one-click, or the page's button), a
    valid link unsubscribes the address. Otherwise (a GET: the reader's click, or a scanner
    that fetches every link in a message) the page only asks to confirm, so nothing that
    merely fetches links can unsubscribe anyone. A forged or damaged link is refused; a link
    without an address says how to unsubscribe.
    """
    archive = Archive(settings)
    page = partial(
        archive.unsubscribe_page,
        url=unsubscribe_link(settings, None, None),
        mailbox=sender_address(settings),
    )
    try:
        fields = parse_qs(query, max_num_fields=4)
    except ValueError:  # more fields than a link of ours has
        fields = {}
    raw = fields.get("address", [""])[0]
    token = fields.get("token", [""])[0]
    if not raw:
        return (HTTPStatus.BAD_REQUEST if confirm else HTTPStatus.OK), page("help")
    address = None
    # No state, no subscribers: an unsubscribe request must not create the database.
    if settings.paths.state.exists():
        with Store.open(settings.paths.state) as store:
            address = unsubscribe_address(store, raw, token)
            if address and confirm:
                remove_subscriber(store, address, now)
    if address is None:
        return HTTPStatus.FORBIDDEN, page("invalid")
    if confirm:
        log.info("unsubscribed %s by its link", address)
        return HTTPStatus.OK, page("done", address=address)
    action = unsubscribe_link(settings, address, token)
    return HTTPStatus.OK, page("confirm", address=address, action=action)
