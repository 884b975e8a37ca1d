"""Delivering one digest issue to its recipients, once each.

Delivery is idempotent: every recipient's outcome is committed to the store's delivery log
before the next recipient is tried, so a second run sends nothing already sent and a run
after a crash or a dropped connection sends only what is missing. Temporary failures (4xx
answers, a 552 to a recipient, dropped or refused connections) are retried with bounded
exponential backoff, and given up after GIVE_UP_AFTER; permanent ones (5xx) are recorded
per address and not retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..config import Settings
from ..models import Digest
from ..render.message import sender_address
from ..store import Store
from .message import personalise
from .smtp import Connection, Permanent, Temporary
from .unsubscribe import UNSUBSCRIBE_SECRET, unsubscribe_token

logger = logging.getLogger(__name__)


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
    with Connection(settings) as connection:
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
    connection: Connection,
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
        except Permanent as exc:
            return "failed", str(exc)
        except Temporary as exc:
            error = str(exc)
            if attempt < retries:
                sleep(min(60.0, backoff * 2**attempt))
    return "pending", error
