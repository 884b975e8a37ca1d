"""The digest as an e-mail message: MIME assembly, the list headers and the links they carry.

Pure functions of the settings and the issue's parts; nothing here connects anywhere. The
message of an issue carries no To header and the issue's shared unsubscribe link: the
delivery (``mailing.message.personalise``) puts each recipient's own in their copy.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime, parseaddr
from typing import Any, cast
from urllib.parse import quote, urlencode, urlsplit

from ..config import Settings


class _AsWritten(UnstructuredHeader):
    """A header we format ourselves (List-Unsubscribe's <URL>s, List-Id's phrase and id):
    kept as written, and folded only after the commas between its items.

    The stock folding turns a word longer than a line, such as a recipient's unsubscribe link,
    into RFC 2047 encoded-words, which are not allowed in a URL or an id (RFC 2047, section 5):
    a mail provider would then find no link to unsubscribe with.
    """

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value, kwds)
        kwds["decoded"] = value  # not decoded: the encoded-words of a phrase stay as they are

    def fold(self, *, policy: Policy) -> str:
        # The registry makes the header's class from this one and BaseHeader, a str.
        header = cast(BaseHeader, self)
        items = f",{policy.linesep} <".join(str(header).split(", <"))
        return f"{header.name}: {items}{policy.linesep}"


_HEADERS = HeaderRegistry()
# (The stub asks for a BaseHeader subclass: the registry itself mixes BaseHeader in.)
_HEADERS.map_to_type("list-unsubscribe", _AsWritten)  # type: ignore[arg-type]
_HEADERS.map_to_type("list-id", _AsWritten)  # type: ignore[arg-type]
# Every message is built and parsed with this policy: SMTP's CRLF line ends, those headers as
# written, and quoted-printable lines of at most 76 characters (RFC 2045, 6.7; SMTP's own
# limit of 78 is for header lines).
MAIL_POLICY = SMTP.clone(max_line_length=76, header_factory=_HEADERS)

# Where the one-click unsubscribe endpoint lives, under base_url (answered by `serve`).
UNSUBSCRIBE_PATH = "unsubscribe"
# Where each reader's preferences page lives, under base_url (answered by `serve`).
PREFERENCES_PATH = "preferences"
# Where the signup form posts, and where its confirmation link points (answered by `serve`).
SUBSCRIBE_PATH = "subscribe"
CONFIRM_PATH = "confirm"


def sender_address(settings: Settings) -> str:
    """The bare address of ``[digest] from``: envelope sender and unsubscribe mailbox."""
    return parseaddr(settings.digest.from_)[1]


def unsubscribe_url(settings: Settings) -> str:
    """The link a reader follows to unsubscribe: https when the site is https, else mailto.

    This is the issue's shared link, in the digest as it is archived; the delivery puts each
    recipient's own link in its place."""
    return unsubscribe_links(settings)[-1]


def unsubscribe_link(settings: Settings, address: str | None, token: str | None) -> str:
    """The unsubscribe endpoint's URL for ``address`` (the shared one without an address)."""
    link = settings.url(UNSUBSCRIBE_PATH)
    if not address:
        return link
    query = urlencode({"address": address, "token": token or ""}, safe="@", quote_via=quote)
    return f"{link}?{query}"


def confirm_link(settings: Settings, address: str, asked: int, token: str) -> str:
    """The signup confirmation link of ``address``, asked for at ``asked`` (Unix time)."""
    query = urlencode(
        {"address": address, "t": str(asked), "token": token}, safe="@", quote_via=quote
    )
    return f"{settings.url(CONFIRM_PATH)}?{query}"


def preferences_link(settings: Settings, address: str | None, token: str | None) -> str:
    """The preferences page's URL for ``address`` (the shared one without an address)."""
    link = settings.url(PREFERENCES_PATH)
    if not address:
        return link
    query = urlencode({"address": address, "token": token or ""}, safe="@", quote_via=quote)
    return f"{link}?{query}"


def unsubscribe_links(
    settings: Settings, address: str | None = None, token: str | None = None
) -> list[str]:
    """The mailto link, then the https endpoint's when the site is https: the links of
    List-Unsubscribe, best last."""
    subject = f"unsubscribe {address}" if address else "unsubscribe"
    links = [f"mailto:{sender_address(settings)}?subject={quote(subject)}"]
    if urlsplit(settings.base_url).scheme == "https":
        links.append(unsubscribe_link(settings, address, token))
    return links


def list_unsubscribe_headers(
    settings: Settings, address: str | None = None, token: str | None = None
) -> list[tuple[str, str]]:
    """List-Unsubscribe (mailto, plus https when the site is https) and, with an https
    link, List-Unsubscribe-Post for RFC 8058 one-click unsubscription."""
    links = unsubscribe_links(settings, address, token)
    headers = [("List-Unsubscribe", ", ".join(f"<{link}>" for link in links))]
    # RFC 8058 requires an https URI for one-click; announcing it without one is invalid.
    if len(links) > 1:
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return headers


def _phrase(text: str) -> str:
    """``text`` as an RFC 5322 phrase: as it is when it can be, else quoted, else (not
    ASCII) RFC 2047 encoded-words of at most 75 characters."""
    if not text.isascii():
        return Header(text, "utf-8", maxlinelen=75).encode().replace("\n", "")
    if re.fullmatch(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+", text) and text.strip() == text:
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def compose(
    settings: Settings, digest_id: str, subject: str, now: datetime, html: str, text: str
) -> bytes:
    """The RFC 5322 message of issue ``digest_id``: plain text and HTML alternatives, the
    list headers, and ids and a boundary derived from the issue, so equal input gives equal
    bytes."""
    site = urlsplit(settings.base_url)
    host = site.hostname or "localhost"
    # Two sites on one host (example.org/a/ and example.org/b/) are two lists: their ids and
    # their issues' Message-IDs differ, or a reader of both would lose one of each day's.
    label = "-".join(["digest", *re.findall(r"[A-Za-z0-9]+", site.path)])
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = subject
    message["From"] = settings.digest.from_
    if settings.digest.reply_to:
        message["Reply-To"] = settings.digest.reply_to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{label}-{digest_id}@{host}>"
    message["List-Id"] = f"{_phrase(settings.site.title)} <{label}.{host}>"
    # Beside List-Id: auto-responders that honour it (RFC 3834, 2) do not answer a list.
    message["Precedence"] = "list"
    for name, value in list_unsubscribe_headers(settings):
        message[name] = value
    # RFC 2046: alternatives in increasing order of preference, plain text first.
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # A boundary derived from the id keeps the bytes reproducible; "=_" can never occur in
    # quoted-printable bodies, so it cannot collide with the content.
    token = hashlib.sha256(digest_id.encode("utf-8")).hexdigest()[:24]
    message.set_boundary(f"=_digest_{token}")
    return message.as_bytes()
