"""Each recipient's copy of an issue: the issue's message with their own unsubscribe and
preferences links and their own Message-ID."""

from __future__ import annotations

import hashlib
import hmac
import html as htmllib
import re
from email.parser import BytesParser

from ..config import Settings
from ..render.message import (
    MAIL_POLICY,
    list_unsubscribe_headers,
    preferences_link,
    unsubscribe_links,
    unsubscribe_url,
)

# The name of the store's key that makes each recipient's Message-ID (Store.secret).
MESSAGE_ID_SECRET = "message-id"


def recipient_message_id(issue_id: str, address: str, key: bytes) -> str:
    """The Message-ID of ``address``'s copy of the issue whose own Message-ID is ``issue_id``:
    one per issue and recipient, the same on every attempt, so that a receiving server that
    gets a second copy (after an unknown outcome was sent again) can drop it. The part that
    tells recipients apart is keyed (``key``), so it does not reveal the address."""
    local, _, host = issue_id.strip().strip("<>").partition("@")
    tag = hmac.new(key, f"{local}\0{address}".encode(), hashlib.sha256).hexdigest()[:20]
    return f"<{local}.{tag}@{host}>"


def personalise(
    message: bytes,
    address: str,
    settings: Settings,
    *,
    token: str,
    id_key: bytes,
    preferences: str = "",
) -> bytes:
    """The issue's message addressed to one recipient: their own unsubscribe links (``token``
    from ``unsubscribe_token``), in the headers and in place of the shared link in the text,
    their own preferences link (``preferences``, from ``tokens.preferences_token``) in place
    of the shared one, and their own Message-ID (``recipient_message_id`` under ``id_key``)."""
    parsed = BytesParser(policy=MAIL_POLICY).parsebytes(message)
    own_id = recipient_message_id(str(parsed["Message-ID"]), address, id_key)
    parsed.replace_header("Message-ID", own_id)
    for name, value in list_unsubscribe_headers(settings, address, token):
        del parsed[name]
        parsed[name] = value
    parsed["To"] = address
    links = [(unsubscribe_url(settings), unsubscribe_links(settings, address, token)[-1])]
    if preferences:
        links.append(
            (
                preferences_link(settings, None, None),
                preferences_link(settings, address, preferences),
            )
        )
    for part in parsed.walk():
        if part.get_content_maintype() != "text":
            continue
        html = part.get_content_subtype() == "html"
        text = part.get_content()
        replaced = text
        for shared, own in links:
            # The shared link ends where a URL cannot go on (a quote, a space, a line end),
            # so a longer URL that starts with it is left alone.
            link = re.compile(re.escape(shared) + r"(?=[\"'\s<>]|\Z)")
            value = htmllib.escape(own) if html else own
            replaced = link.sub(value.replace("\\", r"\\"), replaced)  # re.sub reads "\\"
        if replaced != text:
            part.set_content(
                replaced,
                subtype=part.get_content_subtype(),
                charset="utf-8",
                cte="quoted-printable",
            )
            del part["MIME-Version"]  # set_content adds one; only the message has it
    return parsed.as_bytes()
