"""Dates and titles the cleaner finds on a dev set's plain-text scrapes, against references.

Usage: .venv/bin/python benchmarks/metadata.py [--set aeb-dev] [--list]

The plain-text track has no head to read a date or a title from: what the text states is all
there is. References, for each page:
- the date: the one its URL spells (``/2019/11/19/``, ``2019-11-19``, ``/2019/11/``), else the
  one the HTML page's head gives (Open Graph, JSON-LD, ``<time>``; the cleaner's metadata
  reader on the html track), else none;
- the headline: the HTML page's ``<h1>`` when it has exactly one, else its ``og:title``;
  the site's name: ``og:site_name``.

It counts: pages with a date; dates whose year differs from the reference's (a wrong date
rather than a missing one), and dates more than a day from a reference that has a day; dates
after the reference time (the file's mtime) by more than a day; titles that keep a site
suffix (the title is the reference headline plus a tail after ``|``, ``-``, ``–``, ``—``,
``:`` or ``»``, or the tail is the site's name); titles that are the site's name.
--list prints each page's finding beside its references.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lxml import etree  # noqa: E402

from benchmarks.extraction import bench_dir, decode  # noqa: E402
from publisher.clean import clean  # noqa: E402
from publisher.models import Article, RawDocument  # noqa: E402

MTIME = 1_600_000_000.0  # what the extraction benchmark gives every page: 2020-09-13
_URL_DATE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d{2})[/-](?P<month>[01]?\d)(?:[/-](?P<day>[0-3]?\d))?(?!\d)"
)
_SEPARATORS = " |-–—:·»"


def url_date(url: str) -> tuple[int, int, int | None] | None:
    """(year, month, day or None) spelled by a URL's path, or None."""
    for match in _URL_DATE.finditer(url):
        year, month = int(match["year"]), int(match["month"])
        day = int(match["day"]) if match["day"] else None
        if 1 <= month <= 12 and (day is None or 1 <= day <= 31):
            return year, month, day
    return None


def doc(page_id: str, text: str, kind: str) -> RawDocument:
    """The page as the build would read it, with the benchmark's fixed mtime."""
    return RawDocument(
        source=page_id, key=page_id, group="bench", text=text, kind=kind,  # type: ignore[arg-type]
        encoding="utf-8", mtime=MTIME, size=len(text), content_hash=page_id,
    )  # fmt: skip


def head_references(page: str) -> tuple[str, str]:
    """(headline, site name) the HTML page states: its one <h1> or og:title; og:site_name."""
    try:
        root = etree.fromstring(page.encode("utf-8", "replace"), etree.HTMLParser(encoding="utf-8"))
    except (etree.ParserError, ValueError):
        return "", ""
    if root is None:
        return "", ""
    h1s = [" ".join("".join(h.itertext()).split()) for h in root.iter("h1")]
    h1s = [h for h in h1s if h]
    og = root.xpath("//meta[@property='og:title']/@content")
    site = root.xpath("//meta[@property='og:site_name']/@content")
    headline = h1s[0] if len(h1s) == 1 else (" ".join(str(og[0]).split()) if og else "")
    return headline, " ".join(str(site[0]).split()) if site else ""


def keeps_suffix(title: str, headline: str, site: str) -> bool:
    """True when title is the headline with a tail after a separator, or ends with the site."""
    fold = title.casefold()
    if site and len(site) < len(title) and fold.endswith(site.casefold()):
        return fold[: -len(site)].rstrip()[-1:] in _SEPARATORS
    if not headline or headline.casefold() == fold:
        return False
    head = headline.casefold()
    return fold.startswith(head) and fold[len(head) :].lstrip()[:1] in set(_SEPARATORS) - {" "}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="aeb-dev", help="the dev set (default aeb-dev)")
    parser.add_argument("--list", action="store_true", help="print every page's finding")
    args = parser.parse_args(argv)
    data = bench_dir() / args.set
    truth = json.loads((data / "ground-truth.json").read_text("utf-8"))
    reference_time = datetime.fromtimestamp(MTIME, UTC)
    counts = {"pages": 0, "dated": 0, "wrong year": 0, "wrong day": 0, "future": 0}
    counts["unreferenced"] = 0
    counts |= {"suffix": 0, "site name": 0}
    for page_id in sorted(truth):
        counts["pages"] += 1
        text = (data / "text" / f"{page_id}.txt").read_text("utf-8")
        page = decode(gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes()))
        result = clean(doc(page_id, text, "text"))
        if not isinstance(result, Article):
            print(f"{page_id}: {result}")
            continue
        ref_date: tuple[int, int, int | None] | None = url_date(truth[page_id].get("url", ""))
        if ref_date is None:
            from_head = clean(doc(page_id, page, "html"))
            if isinstance(from_head, Article) and from_head.published:
                p = from_head.published
                ref_date = (p.year, p.month, p.day)
        headline, site = head_references(page)
        date = result.published
        verdict = ""
        if date is not None:
            counts["dated"] += 1
            if ref_date is None:
                counts["unreferenced"] += 1
            elif date.year != ref_date[0]:
                counts["wrong year"] += 1
                verdict = "WRONG YEAR"
            elif (
                ref_date[2] is not None
                and abs(
                    (date.date() - datetime(*ref_date, tzinfo=UTC).date()).days  # type: ignore[misc]
                )
                > 1
            ):
                counts["wrong day"] += 1
                verdict = "WRONG DAY"
            if date > reference_time + timedelta(days=1):
                counts["future"] += 1
                verdict += " FUTURE"
        suffix = keeps_suffix(result.title, headline, site)
        is_site = bool(site) and result.title.casefold() == site.casefold()
        counts["suffix"] += suffix
        counts["site name"] += is_site
        if args.list:
            flags = " ".join(
                f for f, on in (("SUFFIX", suffix), ("SITE", is_site), (verdict, verdict)) if on
            )
            print(
                f"{page_id[:10]} {str(date.date()) if date else '-':10} ref={ref_date} "
                f"title={result.title[:70]!r} h1={headline[:50]!r} {flags}"
            )
    c = counts
    print(
        f"{args.set} text track: {c['pages']} pages, {c['dated']} dated "
        f"({c['pages'] - c['dated']} undated), {c['wrong year']} with a wrong year, "
        f"{c['wrong day']} more than a day off, {c['future']} in the future, "
        f"{c['unreferenced']} dated without a reference; titles: {c['suffix']} keep a site "
        f"suffix, {c['site name']} are the site's name"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
