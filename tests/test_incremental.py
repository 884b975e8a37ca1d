"""Issue 9: the incremental path. What a rebuild skips and exactly what it rewrites."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from publisher.build import build as run_build
from publisher.build import outputs
from publisher.config import Settings, load_settings
from publisher.models import RunReport
from publisher.render import archive
from publisher.render.templating import BUILTIN_TEMPLATES
from publisher.store import Store

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TOWNS = ("Aldford", "Brent", "Carrow", "Dunmore", "Elsham", "Fenwick", "Garth", "Holt")
THINGS = ("reservoir", "bridge", "library", "tram line", "harbour", "school", "clinic", "park")
# A short index, so the tests see it hold only the newest of a handful of articles.
INDEX_SIZE = 5
MARCH = "archive/2026-03.html"
FEEDS = ("feed.atom", "feed.rss", "feed.json")
DIGEST = ("digest.html", "digest.txt", "digest.eml")
# An article listed on a page (its title as a link; the page's JSON-LD names it too).
LISTED = r'<a href="[^"]*">\w+ approves plan number (\d+) for'


def article(n: int) -> str:
    """A distinct plain-text article: every line differs from every other article's."""
    town, thing = TOWNS[n % len(TOWNS)], THINGS[n // len(TOWNS) % len(THINGS)]
    return (
        f"{town} approves plan number {n} for a new {thing}\n\n"
        f"The council of {town} voted on plan {n} on Tuesday after months of debate about "
        f"the {thing}.\n\n"
        f"Supporters of plan {n} said the {thing} would serve {n * 37 + 120} families in "
        f"{town} within five years.\n\n"
        f"Critics argued that the {thing} in {town} would cost {n + 3} million more than "
        f"the estimate published last spring.\n"
    )


def add(inbox: Path, n: int) -> Path:
    path = inbox / f"{n:03d}.txt"
    path.write_text(article(n), encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(outputs, "INDEX_SIZE", INDEX_SIZE)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(21):
        add(inbox, n)
    return load_settings(
        None,
        {
            "paths.input": [inbox],
            "paths.out": tmp_path / "out",
            "paths.state": tmp_path / "state.db",
            "jobs": 1,
        },
    )


def build(settings: Settings, minutes: int = 0) -> RunReport:
    return run_build(settings, now=T0 + timedelta(minutes=minutes))


def inbox_of(settings: Settings) -> Path:
    return settings.paths.input[0]


def pages_of(out: Path) -> list[Path]:
    return sorted((out / "archive").iterdir())


def page_of(settings: Settings, n: int) -> str:
    """The archive page path of inbox article ``n``, found through its slug."""
    (page,) = (settings.paths.out / "articles").glob(f"*-plan-number-{n}-for-*.html")
    return f"articles/{page.name}"


def test_cold_build_writes_every_page_and_a_page_per_month(settings: Settings) -> None:
    report = build(settings)
    assert (report.new, report.skipped) == (21, ())
    out = settings.paths.out
    # Undated articles are dated when first seen: all in March 2026.
    assert sorted(p.name for p in (out / "archive").iterdir()) == ["2026-03.html"]
    assert len(list((out / "articles").iterdir())) == 21
    assert {"index.html", MARCH, *FEEDS, *DIGEST, "style.css", "digests.atom"} <= set(
        report.written
    )
    listed = re.findall(LISTED, (out / MARCH).read_text(encoding="utf-8"))
    assert sorted(map(int, listed)) == list(range(21))
    index = (out / "index.html").read_text(encoding="utf-8")
    assert len(re.findall(LISTED, index)) == INDEX_SIZE
    assert "March 2026</a> (21)" in index


def test_noop_rebuild_reads_no_article_and_writes_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(settings)
    before = {p: p.read_bytes() for p in settings.paths.out.rglob("*") if p.is_file()}

    def fail(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a no-op build loaded article records")

    for loader in (
        "light_articles",
        "articles_by_id",
        "articles",
        "facet_articles",
        "facet_listings",
    ):
        monkeypatch.setattr(Store, loader, fail)
    report = build(settings, minutes=5)
    assert (report.new, report.changed, report.unchanged, report.written) == (0, 0, 21, ())
    after = {p: p.read_bytes() for p in settings.paths.out.rglob("*") if p.is_file()}
    assert after == before


def test_one_new_article_rewrites_its_page_its_month_the_index_feeds_and_digest(
    settings: Settings,
) -> None:
    build(settings)
    add(inbox_of(settings), 21)
    report = build(settings, minutes=5)
    assert (report.new, report.changed, report.unchanged) == (1, 0, 21)
    digest_issue = [w for w in report.written if w.startswith("digests/")]
    # These articles are alike enough to be grouped as one story: the page of the report
    # the new one follows gains an "Also reported" link.
    with Store.open(settings.paths.state) as store:
        (new,) = [r for r in store.articles() if r.source_key.endswith("021.txt")]
        leaders = [f"articles/{r.slug}.html" for r in store.articles() if r.id == new.story]
    out = settings.paths.out
    # The feeds and pages of the topics it is about (and of its source), the newest month
    # of the feed's history and of the sitemaps, its month's search shard: nothing else.
    topics = [k for k in new.payload.keywords if (out / f"topics/{k}.html").exists()]
    facets = [f"feeds/topic/{k}.{ext}" for k in topics for ext in ("atom", "rss", "json")]
    facets += [f"topics/{k}.html" for k in topics]
    facets += [f"feeds/site/inbox.{ext}" for ext in ("atom", "rss", "json")] + ["feeds.html"]
    history = ["feeds/archive/2026-03.atom", "sitemaps/2026-03.xml", "sitemaps/news.xml"]
    search = ["search/2026-03.json"]
    assert sorted(report.written) == sorted(
        [
            page_of(settings, 21),
            *leaders,
            MARCH,
            "index.html",
            *FEEDS,
            *DIGEST,
            *digest_issue,
            *facets,
            *history,
            *search,
        ]
    )
    # Pages are written before the index and the feeds that link to them.
    assert report.written[0] == page_of(settings, 21)
    assert report.written.index("index.html") < report.written.index("feed.atom")


def test_a_new_month_leaves_the_older_months_alone(settings: Settings) -> None:
    build(settings)
    add(inbox_of(settings), 21)
    april = build(settings, minutes=40 * 24 * 60)  # first seen in April
    archived = sorted(w for w in april.written if w.startswith("archive/"))
    # April is new; March only gains its link to April.
    assert archived == [MARCH, "archive/2026-04.html"]
    add(inbox_of(settings), 22)
    later = build(settings, minutes=41 * 24 * 60)
    assert sorted(w for w in later.written if w.startswith("archive/")) == ["archive/2026-04.html"]


def test_changed_article_rewrites_its_own_page_only(settings: Settings) -> None:
    build(settings)
    path = inbox_of(settings) / "007.txt"
    path.write_text(article(7).replace("months of debate", "a year of debate"), "utf-8")
    report = build(settings, minutes=5)
    assert (report.new, report.changed) == (0, 1)
    written = set(report.written)
    assert page_of(settings, 7) in written
    assert not {w for w in written if w.startswith("articles/")} - {page_of(settings, 7)}


def test_touched_file_is_not_reprocessed(settings: Settings) -> None:
    build(settings)
    path = inbox_of(settings) / "003.txt"
    os.utime(path, (1_800_000_000, 1_800_000_000))
    report = build(settings, minutes=5)
    assert (report.new, report.changed, report.unchanged, report.written) == (0, 0, 21, ())


def test_deleted_outputs_are_restored_and_nothing_else_is_written(settings: Settings) -> None:
    build(settings)
    page = page_of(settings, 4)
    for name in (page, "feed.json", MARCH):
        (settings.paths.out / name).unlink()
    report = build(settings, minutes=5)
    assert sorted(report.written) == sorted([page, "feed.json", MARCH])


def test_changed_template_rerenders_everything_it_shapes(
    settings: Settings, tmp_path: Path
) -> None:
    build(settings)
    templates = tmp_path / "templates"
    templates.mkdir()
    builtin = BUILTIN_TEMPLATES / "article.html.j2"
    (templates / "article.html.j2").write_text(
        builtin.read_text("utf-8").replace("{% block main %}", "{% block main %}<!-- mine -->"),
        "utf-8",
    )
    custom = load_settings(
        None,
        {
            "paths.input": list(settings.paths.input),
            "paths.out": settings.paths.out,
            "paths.state": settings.paths.state,
            "paths.templates": templates,
            "jobs": 1,
        },
    )
    report = build(custom, minutes=5)
    # Only the article template changed: the article pages are rewritten, nothing else.
    assert len(report.written) == 21
    assert all(w.startswith("articles/") for w in report.written)


def test_a_template_edited_between_builds_of_one_process_is_used(
    settings: Settings, tmp_path: Path
) -> None:
    # A daemon builds again and again in one process, with the same settings.
    templates = tmp_path / "templates"
    templates.mkdir()
    builtin = BUILTIN_TEMPLATES / "article.html.j2"
    mine = templates / "article.html.j2"
    mine.write_text(builtin.read_text("utf-8"), "utf-8")
    custom = load_settings(
        None,
        {
            "paths.input": list(settings.paths.input),
            "paths.out": settings.paths.out,
            "paths.state": settings.paths.state,
            "paths.templates": templates,
            "jobs": 1,
        },
    )
    build(custom)
    edited = mine.read_text("utf-8").replace("{% block main %}", "{% block main %}<!-- mine -->")
    mine.write_text(edited, "utf-8")
    report = build(custom, minutes=5)
    assert len(report.written) == 21
    assert "<!-- mine -->" in (settings.paths.out / page_of(settings, 4)).read_text("utf-8")


def test_a_template_in_a_subdirectory_shapes_the_pages_too(
    settings: Settings, tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    (templates / "partials").mkdir(parents=True)
    builtin = BUILTIN_TEMPLATES / "article.html.j2"
    (templates / "article.html.j2").write_text(
        builtin.read_text("utf-8").replace(
            "{% block main %}", '{% block main %}{% include "partials/note.html.j2" %}'
        ),
        "utf-8",
    )
    note = templates / "partials" / "note.html.j2"
    note.write_text("<!-- first -->", "utf-8")
    custom = load_settings(
        None,
        {
            "paths.input": list(settings.paths.input),
            "paths.out": settings.paths.out,
            "paths.state": settings.paths.state,
            "paths.templates": templates,
            "jobs": 1,
        },
    )
    build(custom)
    note.write_text("<!-- second -->", "utf-8")
    report = build(custom, minutes=5)
    assert len(report.written) == 21
    assert "<!-- second -->" in (settings.paths.out / page_of(settings, 4)).read_text("utf-8")


def test_a_large_month_is_split_and_a_new_article_rewrites_only_its_newest_page(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "MONTH_PAGE_SIZE", 5)
    build(settings)
    out = settings.paths.out
    # 21 articles: four full parts of 5, oldest first, and the newest page with the 21st.
    parts = [f"archive/2026-03-{k}.html" for k in (1, 2, 3, 4)]
    assert sorted(p.name for p in pages_of(out)) == sorted(
        ["2026-03.html", *(p.removeprefix("archive/") for p in parts)]
    )
    listed = {
        page: re.findall(LISTED, (out / page).read_text(encoding="utf-8"))
        for page in [*parts, MARCH]
    }
    assert sorted(int(n) for numbers in listed.values() for n in numbers) == list(range(21))
    assert [len(listed[page]) for page in [*parts, MARCH]] == [5, 5, 5, 5, 1]
    newest = (out / MARCH).read_text(encoding="utf-8")
    assert re.search(r'rel="next" href="2026-03-4\.html">March 2026, part 4<', newest)
    oldest = (out / parts[0]).read_text(encoding="utf-8")
    assert "<h1>March 2026, part 1</h1>" in oldest and 'rel="next"' not in oldest
    assert re.search(r'rel="prev" href="2026-03-2\.html"', oldest)

    add(inbox_of(settings), 21)
    report = build(settings, minutes=5)
    assert sorted(w for w in report.written if w.startswith("archive/")) == [MARCH]
    # The search index's shards follow the month's pages: only the newest one changed.
    assert sorted(w for w in report.written if w.startswith("search/")) == ["search/2026-03.json"]
    assert len(re.findall(LISTED, (out / MARCH).read_text("utf-8"))) == 2

    for n in range(22, 26):  # the newest page fills up: a fifth part, the rest unchanged
        add(inbox_of(settings), n)
    report = build(settings, minutes=10)
    assert sorted(w for w in report.written if w.startswith("archive/")) == sorted(
        [MARCH, "archive/2026-03-4.html", "archive/2026-03-5.html"]  # 4 links to 5 now
    )


def test_pages_a_month_no_longer_needs_are_removed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "MONTH_PAGE_SIZE", 5)
    build(settings)
    # Larger parts (a new program would re-render every page: its code is part of the
    # presentation signature); the month changes, so its pages are worked out again.
    monkeypatch.setattr(archive, "MONTH_PAGE_SIZE", 10)
    add(inbox_of(settings), 21)
    report = build(settings, minutes=5)
    assert sorted(p.name for p in pages_of(settings.paths.out)) == [
        "2026-03-1.html",
        "2026-03-2.html",
        "2026-03.html",
    ]
    assert "archive/2026-03-1.html" in report.written
