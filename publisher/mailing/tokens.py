"""The signed tokens of the links and addresses a reader's mail carries, besides the
unsubscribe link's (``unsubscribe``): each an HMAC under a key kept in the state
(``Store.secret``), so nothing is stored per link and nobody can make one for another
address.

- the preferences link: the address and the subscription's epoch, like the unsubscribe
  link, so that it stops working once the address unsubscribes and subscribes again;
- the signup confirmation link: the address and when it was asked for, valid CONFIRM_DAYS;
- the return path (VERP): ``bounces+<token>@domain``, the token telling which subscriber a
  bounce is about without showing the address;
- the mark kept of an erased address, so that no import adds it again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

# The names of the store's keys (Store.secret).
PREFERENCES_SECRET = "preferences"
CONFIRM_SECRET = "confirm"
RETURN_PATH_SECRET = "return-path"
ERASED_SECRET = "erased"
# How long a confirmation link works.
CONFIRM_DAYS = 7


def _sign(secret: bytes, *parts: str) -> bytes:
    return hmac.new(secret, "\n".join(parts).encode("utf-8"), hashlib.sha256).digest()


def preferences_token(secret: bytes, address: str, epoch: int) -> str:
    """The token of ``address``'s preferences link for its subscription ``epoch``."""
    return _sign(secret, "preferences", address, str(epoch)).hex()[:32]


def confirm_token(secret: bytes, address: str, asked: int) -> str:
    """The token of the confirmation link sent to ``address`` at ``asked`` (Unix time)."""
    return _sign(secret, "confirm", address, str(asked)).hex()[:32]


def confirm_valid(secret: bytes, address: str, asked: str, token: str, now: datetime) -> bool:
    """Whether a confirmation link's ``token`` is ours for ``address`` and ``asked``, and
    the link is younger than CONFIRM_DAYS. Compared in constant time."""
    if not asked.isdigit() or len(asked) > 12:
        return False
    expected = confirm_token(secret, address, int(asked))
    if not hmac.compare_digest(expected.encode(), token.encode()):
        return False
    age = now.timestamp() - int(asked)
    return -300 <= age <= timedelta(days=CONFIRM_DAYS).total_seconds()


def return_path_token(secret: bytes, address: str) -> str:
    """The token in the return path of mail to ``address`` (base32, lower case, 16
    letters: short enough for a local part of 64 characters)."""
    digest = _sign(secret, "return-path", address)[:10]
    return base64.b32encode(digest).decode("ascii").lower()


def return_path_owner(secret: bytes, token: str, addresses: Iterable[str]) -> str | None:
    """The one of ``addresses`` whose return-path token is ``token``, or None."""
    token = token.lower()
    for address in addresses:
        if hmac.compare_digest(return_path_token(secret, address), token):
            return address
    return None


def erased_mark(secret: bytes, address: str) -> str:
    """What is kept of an address whose owner erased their data: a keyed hash of it."""
    return _sign(secret, "erased", address.lower()).hex()
