"""What the tests of readers' own subscriptions share: articles on distinct topics written as
input files, settings for a site with an SMTP peer, and a recorder of the mail it gets."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from publisher.config import (
    DigestSettings,
    FeedSettings,
    PathSettings,
    Settings,
    SiteSettings,
    SmtpSettings,
)

PLACES = ("Aberdeen", "Bergen", "Cadiz", "Danzig", "Esbjerg", "Faro", "Genoa", "Hull")
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


def word(index: int) -> str:
    """A made-up word of three syllables, a different one for each ``index``: articles
    that share nothing but their topic are never taken for reports of one story."""
    syllables = [c + v for c in _CONSONANTS for v in _VOWELS]
    n = index + 1000
    parts = []
    for _ in range(3):
        n, rest = divmod(n, len(syllables))
        parts.append(syllables[rest])
    return "".join(parts)


# Per topic: a headline and sentences in which the topic word recurs, so that the summarizer
# takes it for a keyword of every article about it; {a}...{l} are the article's own words.
TOPICS = {
    "harbour": (
        "Harbour of {place} greets {a} and {b}",
        "The harbour of {place} greeted {a} and {b} today. {C} harbour {d} {e} the {f}. "
        "Harbour {g} said {h} {i}. {J} harbour {k} {l} again.",
    ),
    "orchestra": (
        "Orchestra of {place} plays {a} and {b}",
        "The orchestra of {place} played {a} and {b} tonight. {C} orchestra {d} {e} the "
        "{f}. Orchestra {g} said {h} {i}. {J} orchestra {k} {l} again.",
    ),
}


def write_articles(directory: Path, topic: str, count: int, start: int = 0) -> list[Path]:
    """``count`` distinct articles about ``topic`` as text files in ``directory`` (its name
    is their site); ``start`` numbers them (different numbers, different words)."""
    directory.mkdir(parents=True, exist_ok=True)
    title, body = TOPICS[topic]
    offset = 0 if topic == "harbour" else 50_000
    written = []
    for n in range(start, start + count):
        own = {letter: word(offset + n * 12 + k) for k, letter in enumerate("abcdefghijkl")}
        own.update({key.upper(): value.capitalize() for key, value in own.items()})
        path = directory / f"{topic}-{n:03d}.txt"
        values = {**own, "place": PLACES[n % len(PLACES)]}
        path.write_text(
            title.format(**values) + "\n\n" + body.format(**values) + "\n", encoding="utf-8"
        )
        written.append(path)
    return written


def settings_for(tmp_path: Path, inputs: Path, port: int = 25, **extra: Any) -> Settings:
    """Settings publishing ``inputs`` on https://news.example.org/, mail to 127.0.0.1:port;
    a keyword of two articles is a topic."""
    return Settings(
        site=SiteSettings(title="The Example Ledger", base_url="https://news.example.org/"),
        digest=DigestSettings(from_="The Example Ledger <digest@news.example.org>"),
        smtp=SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5),
        paths=PathSettings(input=(inputs,), out=tmp_path / "out", state=tmp_path / "state.db"),
        feed=FeedSettings(topic_min_articles=2),
        jobs=1,
        **extra,
    )


class Recorder:
    """An aiosmtpd handler that keeps every message: (envelope sender, recipient, bytes)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for recipient in envelope.rcpt_tos:
            self.received.append((envelope.mail_from, recipient, envelope.original_content))
        return "250 OK queued"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages ``address`` got, parsed."""
        return [
            message_from_bytes(raw, policy=default)  # type: ignore[misc]
            for _, recipient, raw in self.received
            if recipient == address
        ]
