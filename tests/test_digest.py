"""The digest issue: content, grouping, size cap, MIME structure, golden files, SpamAssassin
and rendering in headless Chromium (light, dark, 375 px)."""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime
from pathlib import Path

import pytest
from browser_helpers import chromium

from publisher.config import DigestSettings, PathSettings, Settings, SiteSettings
from publisher.mailing.message import personalise
from publisher.models import Article, Block, Digest, Entry
from publisher.render.digest import MAX_HTML_BYTES, build_digest, digest_id_for

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
GOLDEN = Path(__file__).parent / "golden" / "digest"
IN_CI = os.environ.get("CI") == "true"


def _settings(**site: object) -> Settings:
    return Settings(
        site=SiteSettings(
            title="The Example Ledger",
            base_url=str(site.pop("base_url", "https://news.example.org/")),
            **site,  # type: ignore[arg-type]
        ),
        digest=DigestSettings(from_="The Example Ledger <digest@news.example.org>"),
    )


def _entry(
    n: int,
    title: str = "",
    *,
    site: str | None = "Example Times",
    url: str | None = "",
    story: str | None = None,
    also: tuple[str, ...] = (),
    summary: tuple[str, ...] = (
        "The city council voted on Tuesday to approve a network of protected bike lanes.",
        "Construction starts in the spring & ends by 2028.",
    ),
) -> Entry:
    when = NOW - timedelta(hours=n)
    article = Article(
        source=f"seeds/{n}.html",
        key=f"{n}.html",
        title=title or f"Council approves protected bike lanes, part {n}",
        blocks=(Block("paragraph", " ".join(summary)),),
        published=when,
        site=site,
        url=f"https://times.example.com/news/{n}" if url == "" else url,
    )
    return Entry(
        id=f"e{n}",
        slug=f"story-{n}",
        article=article,
        summary=summary,
        keywords=("council",),
        reading_minutes=3,
        published=when,
        updated=when,
        first_seen=when,
        story=story,
        also=also,
    )


def _sample() -> list[Entry]:
    """A leader with one near-duplicate, an entry without original URL, and a plain one."""
    return [
        _entry(1, "Rail strike ends after <three> days", also=("e2",)),
        _entry(2, "Trains run again as strike ends", site="Daily Post", story="e1"),
        _entry(3, "Library opens on Sundays", site=None, url=None),
        _entry(4, "Café owners welcome new market hall"),
    ]


def _build(entries: list[Entry] | None = None, settings: Settings | None = None) -> Digest:
    return build_digest(
        _sample() if entries is None else entries,
        settings or _settings(),
        digest_id="2026-11-21",
        now=NOW,
    )


def test_digest_id_is_the_date_then_numbered() -> None:
    assert digest_id_for(NOW, []) == "2026-11-21"
    assert digest_id_for(NOW, ["2026-11-20"]) == "2026-11-21"
    assert digest_id_for(NOW, ["2026-11-21"]) == "2026-11-21-2"
    assert digest_id_for(NOW, ["2026-11-21", "2026-11-21-2"]) == "2026-11-21-3"


def test_no_entries_no_issue() -> None:
    with pytest.raises(ValueError):
        _build([])


def test_each_story_has_title_source_date_summary_and_links() -> None:
    digest = _build()
    assert digest.subject == "The Example Ledger — 21 November 2026"
    assert digest.entry_ids == ("e1", "e2", "e3", "e4")
    # <bdi> only isolates the direction of the source's name.
    html = re.sub(r"</?bdi>", "", htmllib.unescape(digest.html))
    for part in (" ".join(html.split()), " ".join(digest.text.split())):
        assert "The Example Ledger" in part and "21 November 2026" in part
        assert "Café owners welcome new market hall" in part
        assert "Example Times · 21 November 2026" in part
        assert "protected bike lanes." in part
        assert "https://news.example.org/articles/story-4.html" in part
        assert "https://times.example.com/news/4" in part
        assert "https://news.example.org/digests/2026-11-21.html" in part
        assert "https://news.example.org/unsubscribe" in part
        assert "you subscribed to the digest of The Example Ledger" in part
    assert "Read more</a>" in digest.html and "View in browser</a>" in digest.html
    # A story without a known original has no "Original article" link, but a "Read more".
    library = digest.html.split("Library opens on Sundays</a>")[1].split("Café owners")[0]
    assert "Read more" in library and "Original article" not in library
    assert '<div class="preheader"' in digest.html
    assert "3 new stories: Rail strike ends" in digest.html


def test_near_duplicates_are_grouped_under_their_leader() -> None:
    digest = _build()
    assert "Trains run again" not in digest.html and "Trains run again" not in digest.text
    assert re.search(
        r'Also reported by <a href="https://news.example.org/articles/story-2.html"'
        r"[^>]*>Daily Post</a>",
        digest.html,
    )
    assert "Also reported by: Daily Post <https://news.example.org/articles/story-2.html>" in (
        digest.text
    )
    # A follower whose leader went out in an earlier issue is a story of its own.
    alone = _build([_entry(2, "Trains run again as strike ends", story="e1")])
    assert "Trains run again" in alone.html and "Also reported by" not in alone.html
    # Two of its reports without the leader are still one story: the first, and the other
    # under it (a reader who never had the leader gets the story once).
    pair = _build(
        [
            _entry(2, "Trains run again as strike ends", story="e1"),
            _entry(3, "Rail services resume", story="e1"),
        ]
    )
    assert "Trains run again" in pair.html and "Rail services resume" not in pair.html
    assert "Also reported by" in pair.html


def test_keywords_take_their_own_direction() -> None:
    # Keywords are words of the story, like its summary: an Arabic story's run right to left.
    digest = _build()
    keywords = re.findall(r'<p class="keywords"[^>]*>', digest.html)
    assert keywords and all('dir="auto"' in tag for tag in keywords)


def test_markup_in_titles_is_escaped_in_html_and_kept_in_text() -> None:
    digest = _build([_entry(1, "<script>alert(1)</script> & more")])
    assert "<script" not in digest.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in digest.html
    assert "<script>alert(1)</script> & more" in digest.text


def test_past_max_items_the_rest_is_counted_with_an_archive_link() -> None:
    settings = Settings(
        site=_settings().site,
        digest=DigestSettings(from_="digest@news.example.org", max_items=2),
    )
    digest = _build([_entry(n) for n in range(1, 6)], settings)
    assert digest.html.count('class="item"') == 2
    assert re.search(
        r'<a href="https://news.example.org/index.html"[^>]*>3 more stories in the '
        r"archive</a>",
        digest.html,
    )
    assert "3 more stories in the archive: https://news.example.org/index.html" in digest.text
    assert digest.entry_ids == ("e1", "e2", "e3", "e4", "e5")  # all go out in this issue


def test_html_part_stays_under_the_size_limit() -> None:
    long_summary = ("A long sentence about the day's events that keeps going on and on. " * 12,)
    entries = [_entry(n, summary=long_summary) for n in range(1, 301)]
    settings = Settings(
        site=_settings().site,
        digest=DigestSettings(from_="digest@news.example.org", max_items=300),
    )
    digest = _build(entries, settings)
    shown = digest.html.count('class="item"')
    assert len(digest.html.encode("utf-8")) <= MAX_HTML_BYTES
    assert 10 < shown < 300
    assert f"{300 - shown} more stories in the archive" in digest.html


def test_styles_are_inlined_and_only_media_rules_stay() -> None:
    digest = _build(settings=_settings(icon="icon.png"))
    styles = re.findall(r"<style\b[^>]*>(.*?)</style>", digest.html, flags=re.S)
    assert len(styles) == 1
    # Nothing but @media blocks is left in the style sheet: everything else is inlined.
    leftover = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^}]*\})*\s*\}", "", styles[0])
    assert leftover.strip() == ""
    assert "prefers-color-scheme: dark" in styles[0] and "max-width: 620px" in styles[0]
    assert 'class="item" style="' in digest.html
    for tag in re.findall(r"<img\b[^>]*>", digest.html):
        assert re.search(r'\balt="[^"]+"', tag)
    assert 'src="https://news.example.org/icon.png"' in digest.html
    lowered = digest.html.lower()
    for banned in ("<script", "<link", "@import", "@font-face", "fonts.googleapis"):
        assert banned not in lowered
    assert 'role="presentation"' in digest.html and 'width="600"' in digest.html


def test_charset_is_declared_in_the_first_1024_bytes() -> None:
    # The issue is a web page too (digests/<id>.html, "View in browser"). Served without a
    # charset in Content-Type, or opened from disk, the browser looks for <meta charset> in
    # the first 1024 bytes only; past them Firefox reloads the page, others guess.
    digest = _build(settings=_settings(icon="icon.png"))
    assert b'<meta charset="utf-8">' in digest.html.encode("utf-8")[:1024]


def test_mime_message_structure_and_headers() -> None:
    digest = _build()
    message = message_from_bytes(digest.message, policy=default)
    assert isinstance(message, EmailMessage)
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    # Text parts travel with CRLF line ends (RFC 2046 canonical form), ending in one.
    assert parts[0].get_content().replace("\r\n", "\n") == digest.text
    assert parts[1].get_content().replace("\r\n", "\n") == digest.html + "\n"
    assert message["To"] is None
    assert message["Subject"] == digest.subject
    assert message["From"] == "The Example Ledger <digest@news.example.org>"
    assert message["Date"] == format_datetime(NOW)
    assert message["Message-ID"] == "<digest-2026-11-21@news.example.org>"
    assert message["List-Id"] == "The Example Ledger <digest.news.example.org>"
    assert message["List-Unsubscribe"] == (
        "<mailto:digest@news.example.org?subject=unsubscribe>, "
        "<https://news.example.org/unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    head, _, body = digest.message.partition(b"\r\n\r\n")
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    # RFC 2045, 6.7: quoted-printable lines are at most 76 characters.
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))


@pytest.mark.parametrize(
    "title",
    ["The Example Ledger", 'The "Ledger", daily <news>', "Ünïcode & <Friends> News, " * 4],
)
def test_list_id_is_one_phrase_and_one_id_whatever_the_title(title: str) -> None:
    # Left to the email package, a title with non-ASCII letters and <, > or commas came out
    # half-encoded, and a reader took "<Friends>" for the list's id (RFC 2919, RFC 5322 3.2.5).
    settings = _settings(base_url="https://news.example.org/")
    settings = replace(settings, site=replace(settings.site, title=title))
    raw = _build(settings=settings).message.partition(b"\r\n\r\n")[0].decode("ascii")
    value = re.search(r"^List-Id: (.*?)\r\n(?! )", raw, flags=re.M | re.S)
    assert value, raw
    unfolded = value.group(1).replace("\r\n", "")
    phrase, _, list_id = unfolded.rpartition(" ")
    assert list_id == "<digest.news.example.org>"
    # Outside its quoted strings and encoded-words, the phrase has none of RFC 5322's specials.
    bare = re.sub(r'"(?:[^"\\]|\\.)*"|=\?[^ ]*?\?=', "", phrase)
    assert not re.search(r'[<>,;:@"()\[\]\\]', bare), phrase
    assert str(make_header(decode_header(phrase))).strip('"').replace('\\"', '"') == title
    assert all(len(word) <= 75 for word in re.findall(r"=\?[^ ]*?\?=", phrase))


def test_two_sites_on_one_host_are_two_lists() -> None:
    # A reader of both would otherwise lose an issue: mailbox providers keep one message
    # per Message-ID.
    messages = [
        message_from_bytes(_build(settings=_settings(base_url=url)).message, policy=default)
        for url in ("https://example.org/", "https://example.org/a/", "https://example.org/b/")
    ]
    assert [m["List-Id"].rpartition(" ")[2] for m in messages] == [
        "<digest.example.org>",
        "<digest-a.example.org>",
        "<digest-b.example.org>",
    ]
    assert [m["Message-ID"] for m in messages] == [
        "<digest-2026-11-21@example.org>",
        "<digest-a-2026-11-21@example.org>",
        "<digest-b-2026-11-21@example.org>",
    ]


def test_http_site_has_mailto_unsubscribe_only() -> None:
    digest = _build(settings=_settings(base_url="http://news.example.org/"))
    message = message_from_bytes(digest.message, policy=default)
    assert message["List-Unsubscribe"] == "<mailto:digest@news.example.org?subject=unsubscribe>"
    # RFC 8058: one-click needs an https link, so it is not announced without one.
    assert message["List-Unsubscribe-Post"] is None
    assert "mailto:digest@news.example.org?subject=unsubscribe" in digest.html


def test_same_input_same_bytes() -> None:
    assert _build().message == _build().message


def test_user_templates_are_searched_first(tmp_path: Path) -> None:
    (tmp_path / "digest.txt.j2").write_text("Custom: {{ items|length }} stories\n")
    settings = Settings(
        site=_settings().site,
        digest=_settings().digest,
        paths=PathSettings(templates=tmp_path),
    )
    digest = _build(settings=settings)
    assert digest.text == "Custom: 3 stories\n"
    assert "Rail strike ends" in digest.html  # the built-in HTML template still applies


@pytest.mark.parametrize("name", ["digest.html", "digest.txt"])
def test_golden(name: str) -> None:
    digest = _build()
    actual = digest.html if name.endswith(".html") else digest.text
    path = GOLDEN / name
    if os.environ.get("PUBLISHER_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} changed; if intended, regenerate with PUBLISHER_REGEN_GOLDEN=1"
    )


def _require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        if IN_CI:
            pytest.fail(f"{program} is required in CI")
        pytest.skip(f"{program} is not installed")
    return path


def test_spamassassin_scores_below_one(tmp_path: Path) -> None:
    spamassassin = _require("spamassassin")
    digest = _build()
    message = personalise(
        digest.message,
        "reader@example.com",
        _settings(),
        token="0f" * 16,
        id_key=b"k",
        preferences="ab" * 16,
    )
    result = subprocess.run(
        [spamassassin, "-L", "-t"],
        input=message,
        capture_output=True,
        timeout=120,
        check=True,
        env={**os.environ, "HOME": str(tmp_path)},  # its user_prefs go there, not to ~
    )
    status = re.search(rb"^X-Spam-Status: .*?score=(-?[0-9.]+)", result.stdout, flags=re.M)
    assert status, result.stdout[:2000]
    assert float(status.group(1)) < 1.0, result.stdout.decode("utf-8", "replace")[-3000:]


# Written into the page wrapper's DOM after load, so --dump-dom reports what the browser saw.
# The frame is first made taller than the digest: a vertical scrollbar would take its width
# from the viewport and say nothing of horizontal overflow.
_PROBE = """
<script>
window.addEventListener("load", () => {
  const frame = document.querySelector("iframe");
  const doc = frame.contentDocument;
  frame.style.height = (doc.documentElement.scrollHeight + 200) + "px";
  void doc.documentElement.offsetHeight;  // lay it out again at that height
  const color = (el, prop) => getComputedStyle(el)[prop];
  document.body.setAttribute("data-probe", JSON.stringify({
    scrollHeight: doc.documentElement.scrollHeight,
    clientHeight: doc.documentElement.clientHeight,
    scrollWidth: doc.documentElement.scrollWidth,
    clientWidth: doc.documentElement.clientWidth,
    background: color(doc.querySelector(".container"), "backgroundColor"),
    title: color(doc.querySelector(".item h2 a"), "color"),
    summary: color(doc.querySelector(".summary"), "color"),
  }));
});
</script>
"""


def _luminance(css_color: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize(
    ("label", "width", "flags"),
    [("light", 600, ()), ("dark", 600, ("--force-dark-mode",)), ("narrow", 375, ())],
)
def test_renders_without_horizontal_scroll(
    tmp_path: Path, label: str, width: int, flags: tuple[str, ...]
) -> None:
    # Headless windows cannot be narrower than 500 px, so the e-mail is shown in an iframe
    # of the wanted width; srcdoc keeps it same-origin for the probe.
    digest = _build([*_sample(), _entry(5, "A" * 40 + " " + "https://example.com/" + "x" * 120)])
    frame = (
        f'<iframe srcdoc="{htmllib.escape(digest.html)}" '
        f'style="border:0;width:{width}px;height:1500px"></iframe>'
    )
    window = ("--window-size=800,1600", *flags)
    page = tmp_path / "page.html"
    page.write_text(
        f'<!DOCTYPE html><html><body style="margin:0">{frame}{_PROBE}</body></html>',
        encoding="utf-8",
    )
    dom = chromium(tmp_path, page.as_uri(), *window, "--dump-dom", "--virtual-time-budget=3000")
    probe = re.search(r'data-probe="([^"]*)"', dom)
    assert probe, dom[:500]
    seen = json.loads(htmllib.unescape(probe.group(1)))
    # The whole digest fits the frame's height (no vertical scrollbar), so the full width is
    # the digest's, and nothing is wider than that.
    assert seen["scrollHeight"] <= seen["clientHeight"], seen
    assert seen["clientWidth"] == width, seen
    assert seen["scrollWidth"] <= seen["clientWidth"], seen
    if label == "dark":
        assert _luminance(seen["background"]) < 0.2, seen
        assert _luminance(seen["title"]) > 0.8 and _luminance(seen["summary"]) > 0.7, seen
    else:
        assert _luminance(seen["background"]) > 0.9, seen
        assert _luminance(seen["title"]) < 0.3, seen
    screenshot = tmp_path / f"digest-{label}.png"
    chromium(tmp_path, page.as_uri(), *window, f"--screenshot={screenshot}")
    assert screenshot.stat().st_size > 1000
