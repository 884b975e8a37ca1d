"""Delivering one digest issue to its recipients: at most once each, and none silently lost.

Each recipient's entry in the delivery log (the store's ``deliveries``) moves through these
states, each committed before the next step:

    pending ──▶ sending ──▶ sent       the server answered 250 to the message
                   ├─────▶ failed     5xx: refused for good (or still refused GIVE_UP_AFTER
                   │                  after the issue was queued)
                   ├─────▶ pending    4xx, or the connection lost before the message was
                   │                  whole: nothing was accepted, the next run tries again
                   └─────▶ unknown    the connection lost after the final dot, before the
                                      answer (RFC 1047); or the run died while 'sending'
    unknown ──▶ pending               only when the operator asks (``send --retry-unknown``)

'sending' is written before the DATA command, so a run killed while handing a message over
(or unable to write the outcome: a full disk) leaves a trace; the next run turns it into
'unknown' instead of sending the message again. The promise is therefore: no message is sent
twice to a recipient unless the operator asks for unknown outcomes to be sent again; every
message either reaches 'sent' or 'failed', or is reported as 'unknown'. Every copy of an
issue to one recipient carries the same Message-ID (see ``message.personalise``), so a server
that does get two copies can drop one.

Temporary failures are retried with bounded exponential backoff within a run and left
pending for the next; permanent ones are recorded per address and not retried.
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
from .bounces import return_path
from .dkim import Signer
from .message import MESSAGE_ID_SECRET, personalise
from .smtp import Connection, Permanent, Temporary, Unknown
from .tokens import PREFERENCES_SECRET, RETURN_PATH_SECRET, preferences_token
from .unsubscribe import UNSUBSCRIBE_SECRET, unsubscribe_token

logger = logging.getLogger(__name__)

# Why a delivery a dead run left 'sending' is 'unknown'.
INTERRUPTED = "the run stopped while the message was being handed over; it may have arrived"


@dataclass(frozen=True)
class SendReport:
    """What one delivery run did for one digest issue."""

    digest_id: str
    sent: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()  # (address, server answer): permanent, 5xx
    deferred: tuple[tuple[str, str], ...] = ()  # (address, error): retried by the next run
    # (address, why): may or may not have arrived; not sent again unless the operator asks.
    unknown: tuple[tuple[str, str], ...] = ()
    already: int = 0  # recipients done (sent, failed or unknown) by an earlier run
    dry_run: bool = False
    would_send: tuple[str, ...] = field(default=())  # with dry_run: who would get it

    @property
    def complete(self) -> bool:
        """True when no recipient is left for a later run."""
        return not self.deferred and not self.dry_run


@dataclass(frozen=True)
class _Outcome:
    status: str  # sent, failed, pending or unknown
    error: str | None = None


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
    """Deliver ``digest`` to its recipients that have not had it yet. The caller holds the
    send lock (``store.send_lock``): no other run is delivering.

    The first run freezes the recipients (every active subscriber, see
    ``Store.queue_deliveries``); later runs only finish that list, so a subscriber added
    afterwards waits for the next issue. Deliveries a dead run left 'sending' become
    'unknown' first. A temporary failure is retried ``retries`` times, waiting ``backoff``,
    2×``backoff``... seconds (capped at a minute); if it persists the recipient stays
    pending for the next run, the later recipients of the run get one try each, and a
    server that cannot be reached at all ends the run early. An address still refused
    GIVE_UP_AFTER its issue was queued is recorded as failed.
    Raises DeliveryError when the server rejects our login or our sender address, since no
    recipient could get the issue then, and PublisherError when the state cannot be written
    (the message being handed over then stays 'sending', and becomes 'unknown').
    """
    # Each active address with its subscription's epoch, which its unsubscribe link signs.
    active = {s.address: s.epoch for s in store.subscribers(status="active")}
    log = store.deliveries(digest.id)
    if not log and dry_run:
        return SendReport(digest.id, dry_run=True, would_send=tuple(sorted(active)))
    if not log:
        store.queue_deliveries(digest.id, now())
        log = store.deliveries(digest.id)
    # Someone who unsubscribed since the issue was made is skipped, not mailed.
    todo = sorted(a for a, d in log.items() if d.status == "pending" and a in active)
    if dry_run:
        already = sum(1 for d in log.values() if d.status not in ("pending", "sending"))
        return SendReport(digest.id, already=already, dry_run=True, would_send=tuple(todo))
    interrupted = store.settle_interrupted(digest.id, now(), INTERRUPTED)
    unknown = [(address, INTERRUPTED) for address in interrupted]
    for address in interrupted:
        logger.warning("digest %s outcome unknown for %s: %s", digest.id, address, INTERRUPTED)
    already = sum(1 for d in log.values() if d.status in ("sent", "failed", "unknown"))

    secret = store.secret(UNSUBSCRIBE_SECRET)
    id_key = store.secret(MESSAGE_ID_SECRET)
    preferences_key = store.secret(PREFERENCES_SECRET)
    return_key = store.secret(RETURN_PATH_SECRET)
    signer = Signer(store, settings)
    started = now()
    sent: list[str] = []
    failed: list[tuple[str, str]] = []
    deferred: list[tuple[str, str]] = []
    with Connection(settings, sleep=sleep) as connection:
        for index, address in enumerate(todo):
            current = store.subscriber(address)
            if current is None or current.status != "active":
                # Unsubscribed, suspended or erased while this run was sending: left alone.
                continue
            message = personalise(
                digest.message,
                address,
                settings,
                token=unsubscribe_token(secret, address, active[address]),
                id_key=id_key,
                preferences=preferences_token(preferences_key, address, active[address]),
            )
            # Signed last, over the very bytes that go on the wire.
            message = signer.sign(message)
            sender = return_path(settings, return_key, address) or sender_address(settings)

            def handing_over(address: str = address) -> None:
                store.mark_sending(digest.id, address, now())

            outcome = _deliver(
                connection, sender, address, message, handing_over, sleep, retries, backoff
            )
            if outcome.status == "pending" and started - log[address].queued >= GIVE_UP_AFTER:
                outcome = _Outcome(
                    "failed", f"{outcome.error} (given up after {GIVE_UP_AFTER.days} days)"
                )
            if outcome.status == "pending":
                # One address refused through all its retries: the server is deferring this
                # run (greylisting, a full queue). Waiting as long for each of the others
                # would hold the run for minutes per subscriber; they get one try each, and
                # what is still refused waits for the next run.
                retries = 0
            store.record_delivery(digest.id, address, outcome.status, now(), outcome.error)
            error = outcome.error or ""
            if outcome.status == "sent":
                # Not INFO: the daemon's log has one line per run, and with thousands of
                # subscribers these would bury it. The deliveries table keeps each one.
                logger.debug("digest %s sent to %s", digest.id, address)
                sent.append(address)
            elif outcome.status == "failed":
                logger.warning("digest %s refused for %s: %s", digest.id, address, error)
                failed.append((address, error))
            elif outcome.status == "unknown":
                logger.warning("digest %s outcome unknown for %s: %s", digest.id, address, error)
                unknown.append((address, error))
            else:
                logger.warning("digest %s deferred for %s: %s", digest.id, address, error)
                deferred.append((address, error))
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
        unknown=tuple(unknown),
        already=already,
    )


def _deliver(
    connection: Connection,
    sender: str,
    address: str,
    message: bytes,
    handing_over: Callable[[], None],
    sleep: Callable[[float], None],
    retries: int,
    backoff: float,
) -> _Outcome:
    """One recipient's outcome: sent, failed (5xx), unknown, or pending (still refused for
    now after ``retries`` retries)."""
    error = ""
    for attempt in range(retries + 1):
        try:
            connection.send(sender, address, message, handing_over=handing_over)
            return _Outcome("sent")
        except Permanent as exc:
            return _Outcome("failed", str(exc))
        except Unknown as exc:
            return _Outcome("unknown", str(exc))
        except Temporary as exc:
            error = str(exc)
            if attempt < retries:
                sleep(min(60.0, backoff * 2**attempt))
    return _Outcome("pending", error)
