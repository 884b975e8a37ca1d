"""An article's lead image in every output: an Atom enclosure, media:thumbnail in RSS,
``image`` in JSON Feed, a figure on the article page and a thumbnail in the digest, each
with its text alternative and size; never a tracking pixel."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import feedparser
import lxml.html
from lxml import etree
from test_feeds_helpers import ATOM, BASE, atom_problems, make_entry, make_settings, rss_problems

from publisher.models import Entry, Image
from publisher.render.archive import Archive
from publisher.render.digest import THUMB_WIDTH, build_digest
from publisher.render.feeds import MEDIA_NS, render_feeds

SETTINGS = make_settings()
PHOTO = Image(
    "https://img.example.org/cranes.jpg", "Cranes on the quay", "Photo: Ann Lee", 1200, 800
)
PIXEL = Image("https://track.example.net/p.gif", "", None, 1, 1)


def with_image(entry: Entry, image: Image | None) -> Entry:
    return dataclasses.replace(entry, article=dataclasses.replace(entry.article, image=image))


def entries() -> list[Entry]:
    return [
        with_image(make_entry(3), PHOTO),
        with_image(make_entry(2), PIXEL),
        make_entry(1),
    ]


def test_feeds_carry_the_image_and_never_a_pixel() -> None:
    out = render_feeds(entries(), SETTINGS)
    assert atom_problems(out["feed.atom"], SETTINGS.url("feed.atom")) == []
    assert rss_problems(out["feed.rss"], SETTINGS.url("feed.rss"), SETTINGS.base_url) == []
    atom = etree.fromstring(out["feed.atom"])
    enclosures = [
        (link.get("href"), link.get("type"))
        for link in atom.iter(f"{ATOM}link")
        if link.get("rel") == "enclosure"
    ]
    assert enclosures == [(PHOTO.url, "image/jpeg")]
    rss = etree.fromstring(out["feed.rss"])
    thumbs = [t.attrib for t in rss.iter(f"{{{MEDIA_NS}}}thumbnail")]
    assert thumbs == [{"url": PHOTO.url, "width": "1200", "height": "800"}]
    items = json.loads(out["feed.json"])["items"]
    assert [item.get("image") for item in items] == [PHOTO.url, None, None]
    parsed = feedparser.parse(out["feed.atom"])
    assert [e.href for e in parsed.entries[0].enclosures] == [PHOTO.url]
    assert parsed.entries[1].enclosures == []
    assert feedparser.parse(out["feed.rss"]).entries[0].media_thumbnail[0]["url"] == PHOTO.url


def test_the_article_page_shows_the_image_once_and_names_it_for_previews() -> None:
    page = lxml.html.fromstring(Archive(SETTINGS).article_page(entries()[0]))
    # The body (render.markup) shows the lead image with its credit; the page adds none.
    (image,) = page.xpath("//article//img")
    assert image.get("src") == PHOTO.url
    assert (image.get("alt"), image.get("width"), image.get("height")) == (PHOTO.alt, "1200", "800")
    assert page.xpath("string(//figure/figcaption)") == "Photo: Ann Lee"
    og = {m.get("property"): m.get("content") for m in page.xpath("//meta[@property]")}
    assert (og["og:image"], og["og:image:width"], og["og:image:alt"]) == (
        PHOTO.url,
        "1200",
        PHOTO.alt,
    )
    pixel = lxml.html.fromstring(Archive(SETTINGS).article_page(entries()[1]))
    assert "og:image" not in {m.get("property") for m in pixel.xpath("//meta[@property]")}


def test_the_digest_shows_a_thumbnail_with_alt_and_size() -> None:
    digest = build_digest(entries(), SETTINGS, digest_id="2026-11-21", now=BASE)
    page = lxml.html.fromstring(digest.html)
    images = page.xpath("//td[contains(@class, 'item')]//img")
    assert len(images) == 1  # the pixel and the article without an image show none
    (thumb,) = images
    assert thumb.get("src") == PHOTO.url and thumb.get("alt") == PHOTO.alt
    assert (thumb.get("width"), thumb.get("height")) == (str(THUMB_WIDTH), "80")
    assert "pixel" not in digest.html and "track.example.net" not in digest.html
    # The plain-text part is not touched by pictures.
    assert PHOTO.url not in digest.text


def test_a_digest_with_images_blocked_keeps_its_layout(tmp_path: Path) -> None:
    from browser_helpers import Page, require_chromium

    require_chromium()
    digest = build_digest(entries(), SETTINGS, digest_id="2026-11-21", now=BASE)
    (tmp_path / "digest.html").write_text(digest.html, encoding="utf-8")
    with Page(
        tmp_path, width=375, height=800, flags=("--blink-settings=imagesEnabled=false",)
    ) as page:
        page.open((tmp_path / "digest.html").as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") == 375
        box = json.loads(
            str(
                page.evaluate(
                    "JSON.stringify(document.querySelector('img.thumb').getBoundingClientRect())"
                )
            )
        )
        # The space it takes is the size it says, whether or not it is shown.
        assert box["width"] <= THUMB_WIDTH and box["height"] <= 80
