"""Each reader's own page, at the signed link every digest carries (``preferences_link``):
their topics, sources, cadence, hour and time zone; a download of everything kept about
them; and the deletion of it all.

The link is signed like the unsubscribe link (``tokens.preferences_token``: the address
and its subscription's epoch, under a key in the state), so nothing is stored per link and
it stops working once the address subscribes anew. A GET only shows (a mail scanner
changes nothing); the page's forms POST.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from ..config import Settings
from ..models import PageAnswer, PageRequest
from ..render.archive import Archive
from ..render.message import preferences_link
from ..store import Store, Subscriber
from .issues import sites, topics
from .preferences import DAYS, MOST_CHOSEN, Preferences, PreferencesError, from_form, zone_names
from .subscribers import AddressError, parse_address
from .tokens import ERASED_SECRET, PREFERENCES_SECRET, erased_mark, preferences_token

log = logging.getLogger(__name__)

# Sources offered on the page: the ones with the most articles.
MOST_SITES = 100


def reader(store: Store, raw: str, token: str) -> Subscriber | None:
    """The subscriber a preferences link names, when ``token`` is that address's for its
    current subscription; else None. Compared in constant time."""
    try:
        address, _ = parse_address(raw)
    except AddressError:
        return None
    subscriber = store.subscriber(address)
    if subscriber is None:
        return None
    expected = preferences_token(store.secret(PREFERENCES_SECRET), address, subscriber.epoch)
    return subscriber if hmac.compare_digest(expected.encode(), token.encode()) else None


def erase(store: Store, address: str, now: datetime) -> None:
    """Delete everything kept about ``address``; keep only a keyed hash of it, so that no
    import adds it back."""
    store.erase_reader(address, erased_mark(store.secret(ERASED_SECRET), address), now)


def preferences_endpoint(
    settings: Settings, clock: Callable[[], datetime]
) -> dict[str, Callable[[PageRequest], PageAnswer]]:
    """The preferences page's endpoint, by URL path."""
    archive = Archive(settings)
    shared = preferences_link(settings, None, None)

    def page(status: HTTPStatus, values: dict[str, object]) -> PageAnswer:
        return PageAnswer(status, archive.reader_page("preferences.html.j2", shared, values))

    def answer(request: PageRequest) -> PageAnswer:
        query = parse_qs(request.query, max_num_fields=6)
        raw, token = query.get("address", [""])[0], query.get("token", [""])[0]
        if not raw:
            return page(HTTPStatus.OK, {"state": "help"})
        if not settings.paths.state.exists():
            return page(HTTPStatus.FORBIDDEN, {"state": "invalid"})
        with Store.open(settings.paths.state) as store:
            subscriber = reader(store, raw, token)
            if subscriber is None:
                return page(HTTPStatus.FORBIDDEN, {"state": "invalid"})
            address = subscriber.address
            if request.method != "POST":
                if query.get("download", [""])[0]:
                    return _download(store, address)
                return page(HTTPStatus.OK, _form_values(store, settings, subscriber, token))
            form = _form(request.body)
            action = form.get("action", ["save"])[0]
            if action == "delete":
                if form.get("sure", [""])[0] != "yes":
                    values = _form_values(store, settings, subscriber, token)
                    values["error"] = "Tick the box to confirm the deletion."
                    return page(HTTPStatus.BAD_REQUEST, values)
                erase(store, address, clock())
                log.info("erased %s at its owner's request", address)
                return page(HTTPStatus.OK, {"state": "deleted", "address": address})
            try:
                chosen = from_form(form)
            except PreferencesError as exc:
                values = _form_values(store, settings, subscriber, token)
                values["error"] = f"Not saved: {exc.message}."
                return page(HTTPStatus.BAD_REQUEST, values)
            store.set_preferences(address, chosen.encode(), clock())
            updated = store.subscriber(address) or subscriber
            values = _form_values(store, settings, updated, token)
        values["state"] = "saved"
        return page(HTTPStatus.OK, values)

    return {urlsplit(shared).path: answer}


def _form_values(
    store: Store, settings: Settings, subscriber: Subscriber, token: str
) -> dict[str, object]:
    """What the page's form shows: the reader's choices among the topics and sites now."""
    chosen = Preferences.decode(subscriber.preferences)
    link = preferences_link(settings, subscriber.address, token)
    counts = sites(store)
    offered = sorted(counts, key=lambda name: (-counts[name], name))[:MOST_SITES]
    return {
        "state": "form",
        "address": subscriber.address,
        "status": subscriber.status,
        "action": link,
        "download": f"{link}&download=json",
        "topics": sorted({*topics(store, settings), *chosen.topics}),
        "sites": sorted({*offered, *chosen.sites}),
        "chosen_topics": chosen.topics,
        "chosen_sites": chosen.sites,
        "cadence": chosen.cadence,
        "day": chosen.day,
        "days": DAYS,
        "hour": chosen.hour,
        "zone": chosen.zone or settings.schedule.timezone,
        "zones": zone_names(),
        "error": "",
    }


def _download(store: Store, address: str) -> PageAnswer:
    data = json.dumps(store.reader_data(address), ensure_ascii=False, indent=1) + "\n"
    return PageAnswer(
        HTTPStatus.OK,
        data.encode("utf-8"),
        "application/json",
        (("Content-Disposition", 'attachment; filename="subscription.json"'),),
    )


def _form(body: bytes) -> dict[str, list[str]]:
    try:
        return parse_qs(body.decode("utf-8", "replace"), max_num_fields=2 * MOST_CHOSEN + 10)
    except ValueError:  # more fields than the page's form has
        return {}
