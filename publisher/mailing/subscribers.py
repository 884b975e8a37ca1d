"""The subscriber list: addresses validated once, added, imported from CSV and removed.

The functions taking a ``Store`` are the list's rules; those taking ``Settings`` are the
``subscribers`` command's use cases, each opening the state for its one transaction.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses, parseaddr
from pathlib import Path

from ..config import Settings
from ..errors import PublisherError
from ..store import Store, Subscriber
from .tokens import ERASED_SECRET, erased_mark

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


@dataclass(frozen=True)
class SubscriberReport:
    """What one add or import did to the subscriber list."""

    added: tuple[str, ...] = ()  # new, or (explicit add only) reactivated
    unchanged: tuple[str, ...] = ()  # already active
    # import never reactivates an unsubscribed, suspended or erased address
    kept_unsubscribed: tuple[str, ...] = ()
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
    erased_key = store.secret(ERASED_SECRET)
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
            mark = erased_mark(erased_key, address)
            if current is not None and current.status == "active":
                unchanged.append(address)
            elif (current is not None or store.is_erased(mark)) and not reactivate:
                kept.append(address)  # unsubscribed, suspended, or its owner erased it
            else:
                store.unerase(mark)
                store.put_subscriber(address, name, "active", now)
                added.append(address)
    return SubscriberReport(tuple(added), tuple(unchanged), tuple(kept), tuple(invalid))


def list_subscribers(settings: Settings, *, everyone: bool = False) -> list[Subscriber]:
    """Active subscribers (with ``everyone``, unsubscribed addresses too), by address."""
    with Store.open(settings.paths.state) as store:
        return store.subscribers(status=None if everyone else "active")


def subscribe(settings: Settings, addresses: Sequence[str], now: datetime) -> SubscriberReport:
    """Subscribe addresses (re-subscribing unsubscribed ones: the user asked explicitly)."""
    with Store.open(settings.paths.state) as store:
        return add_subscribers(store, addresses, now)


def unsubscribe(
    settings: Settings, addresses: Sequence[str], now: datetime
) -> list[tuple[str, bool]]:
    """Unsubscribe addresses; returns (address, was it active) for each."""
    with Store.open(settings.paths.state) as store:
        return [(a, remove_subscriber(store, a, now)) for a in addresses]


def import_file(settings: Settings, csv_path: Path, now: datetime) -> SubscriberReport:
    """Subscribe every valid address of a CSV file; unsubscribed addresses stay unsubscribed."""
    with Store.open(settings.paths.state) as store:
        return import_csv(store, csv_path, now)
