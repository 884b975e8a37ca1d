"""The one mail besides the digest: the signup confirmation, plain text, from templates
(``confirm.subject.j2``, ``confirm.txt.j2``). It carries the confirmation link and nothing
the visitor typed: a signup form must not become a way to send others words of one's own.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from ..config import Settings
from .message import MAIL_POLICY
from .templating import environment, render


def confirmation(settings: Settings, *, address: str, link: str, now: datetime, tag: str) -> bytes:
    """The confirmation mail to ``address`` with the link ``link``; ``tag`` makes its
    Message-ID unique."""
    env = environment(settings.paths.templates)
    context = {"site": settings.site, "link": link, "home_url": settings.base_url}
    host = urlsplit(settings.base_url).hostname or "localhost"
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = " ".join(render(env, "confirm.subject.j2", context).split())
    message["From"] = settings.digest.from_
    message["To"] = address
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<confirm-{tag}@{host}>"
    # Sent because of a web request, not by a person: auto-responders leave it alone.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        render(env, "confirm.txt.j2", context), charset="utf-8", cte="quoted-printable"
    )
    return message.as_bytes()
