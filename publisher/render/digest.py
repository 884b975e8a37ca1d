"""The e-mail digest: the entries new since the last issue, rendered once and archived.

Presentation lives in ``digest.html.j2``, ``digest.txt.j2``, ``digest.subject.j2``,
``digest.css`` and ``digest-media.css`` (all overridable from ``[paths] templates``); this
module only chooses what goes in, inlines the CSS for mail clients and assembles the MIME
message (``message``). The message carries no To header: the sender adds one per recipient
(``mailing.message.personalise``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import css_inline

from ..config import Settings
from ..models import Digest, Entry, Image
from .feeds import feed_image
from .message import compose, preferences_link, unsubscribe_url
from .templating import environment, render

# Gmail clips an HTML part past about 102 KB; stay safely below.
MAX_HTML_BYTES = 100_000
# The widest a story's thumbnail is shown, in CSS pixels; narrower than that, it is left out
# (a spacer or a tracking pixel, not a picture).
THUMB_WIDTH = 120
MIN_THUMB = 40

# At-rules (dark mode, narrow screens) cannot be inlined: the template keeps them in a
# <style data-css-inline="keep"> after <meta charset>, not keep_at_rules, which would put them
# before it. Nothing is fetched over the network while inlining.
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


@dataclass(frozen=True)
class AlsoReported:
    """A near-duplicate shown under the story's leading entry."""

    site: str
    url: str  # archive page
    original: str | None


@dataclass(frozen=True)
class Thumbnail:
    """A story's picture as the digest shows it: scaled to THUMB_WIDTH at most, its size
    always given, so that a mail client that blocks images keeps the same layout."""

    url: str
    alt: str
    width: int
    height: int


def thumbnail(image: Image | None) -> Thumbnail | None:
    """The digest's thumbnail of ``image``, when it has a known size that is a picture's."""
    usable = feed_image(image)
    if usable is None or not usable.width or not usable.height:
        return None
    width = min(THUMB_WIDTH, usable.width)
    height = round(usable.height * width / usable.width)
    if width < MIN_THUMB or height < MIN_THUMB // 2:
        return None
    return Thumbnail(usable.url, usable.alt, width, height)


@dataclass(frozen=True)
class DigestItem:
    """One story as the templates see it."""

    title: str
    source: str | None
    published: datetime
    summary: str
    url: str  # archive page
    original: str | None
    also: tuple[AlsoReported, ...]
    reading_minutes: int
    keywords: tuple[str, ...]
    image: Thumbnail | None = None


def digest_id_for(now: datetime, existing: Sequence[str]) -> str:
    """The id of an issue made at ``now``: the date, with "-2", "-3"... if already taken."""
    day = now.date().isoformat()
    taken = set(existing)
    if day not in taken:
        return day
    n = 2
    while f"{day}-{n}" in taken:
        n += 1
    return f"{day}-{n}"


def build_digest(
    entries: Sequence[Entry],
    settings: Settings,
    *,
    digest_id: str,
    now: datetime,
    more_ids: Sequence[str] = (),
    more_count: int = 0,
) -> Digest:
    """Render one digest issue of ``entries`` (new since the last issue, newest first).

    Reports of one story are one item: the story's leader (or its first report here, when
    the leader went out before), the others listed as "Also reported by" under it.
    Past ``[digest] max_items`` stories, or when the HTML part would pass MAX_HTML_BYTES,
    the rest is summed up as "N more stories in the archive". ``more_ids`` are further
    articles of the issue that the caller did not load: they count among those "more" and
    belong to the issue; ``more_count`` more are only counted (a preview that is never
    frozen need not know which). ``now`` is the issue's creation time and its Date header, so the
    same input always gives the same bytes. Raises ValueError when there are no entries:
    no news, no issue.
    """
    if not entries:
        raise ValueError("a digest needs at least one entry")
    items = _items(entries, settings)
    env = environment(settings.paths.templates)
    subject = " ".join(
        render(env, "digest.subject.j2", {"site": settings.site, "created": now}).split()
    )
    shown = min(len(items), settings.digest.max_items)
    while True:
        more = len(items) - shown + len(more_ids) + more_count
        context = _context(settings, digest_id, subject, now, items[:shown], more)
        html = _INLINER.inline(render(env, "digest.html.j2", context))
        size = len(html.encode("utf-8"))
        if size <= MAX_HTML_BYTES or shown <= 1:
            break
        # Shrink in proportion to the overshoot, at least by one story per round.
        shown = max(1, min(shown - 1, shown * MAX_HTML_BYTES // size))
    text = render(env, "digest.txt.j2", context)
    message = compose(settings, digest_id, subject, now, html, text)
    return Digest(
        id=digest_id,
        created=now,
        subject=subject,
        entry_ids=(*(entry.id for entry in entries), *sorted(more_ids)),
        html=html,
        text=text,
        message=message,
    )


def _items(entries: Sequence[Entry], settings: Settings) -> list[DigestItem]:
    """One item per story group among ``entries``: its leader, or the first of its reports
    here when the leader is not (it went out before, to other readers); the group's other
    reports are listed under it as "Also reported by"."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.story or entry.id, []).append(entry)
    heads = {
        key: next((e for e in members if e.id == key), members[0])
        for key, members in groups.items()
    }
    items = []
    for entry in entries:
        key = entry.story or entry.id
        if heads[key] is not entry:
            continue
        also = tuple(
            AlsoReported(
                site=_source(other) or other.title,
                url=settings.url(other.page),
                original=other.article.url,
            )
            for other in groups[key]
            if other is not entry
        )
        items.append(
            DigestItem(
                title=entry.title,
                source=_source(entry),
                published=entry.published,
                summary=" ".join(entry.summary),
                url=settings.url(entry.page),
                original=entry.article.url,
                also=also,
                reading_minutes=entry.reading_minutes,
                keywords=entry.keywords,
                image=thumbnail(entry.article.image),
            )
        )
    return items


def _source(entry: Entry) -> str | None:
    if entry.article.site:
        return entry.article.site
    if entry.article.url:
        return urlsplit(entry.article.url).hostname
    return None


def _context(
    settings: Settings,
    digest_id: str,
    subject: str,
    now: datetime,
    items: Sequence[DigestItem],
    more: int,
) -> dict[str, object]:
    return {
        "site": settings.site,
        "subject": subject,
        "created": now,
        "items": items,
        "more": more,
        "home_url": settings.base_url,
        "archive_url": settings.url("index.html"),
        "view_url": settings.url(f"digests/{digest_id}.html"),
        "unsubscribe_url": unsubscribe_url(settings),
        "preferences_url": preferences_link(settings, None, None),
        "icon_url": settings.icon_url,
    }
