"""Issue 8: every kind of bad input is named and skipped (or cleaned); the rest is published."""

from __future__ import annotations

import codecs
import os
import random
from pathlib import Path

import feedparser
import pytest
from cli_helpers import build_argv
from lxml import etree

from publisher.cli import main

PARAGRAPHS = (
    "The regional council approved a new water plan on Tuesday after months of debate.",
    "The plan sets aside money for three reservoirs and a network of smaller pipes.",
    "Farmers had warned that the dry summers of recent years threatened their harvests.",
    "Officials said construction would begin next spring and take four years to finish.",
)


def article(title: str, extra: str = "") -> str:
    return title + "\n\n" + "\n\n".join(PARAGRAPHS) + ("\n\n" + extra if extra else "") + "\n"


def _build(inputs: Path, tmp_path: Path, *extra: str) -> int:
    return main(build_argv(inputs, tmp_path / "out", tmp_path / "state.db", *extra))


def _feed_titles(tmp_path: Path) -> dict[str, list[str]]:
    titles = {}
    for name in ("feed.atom", "feed.rss"):
        data = (tmp_path / "out" / name).read_bytes()
        etree.fromstring(data)
        parsed = feedparser.parse(data)
        assert not parsed.bozo, parsed.get("bozo_exception")
        titles[name] = [e.title for e in parsed.entries]
    return titles


@pytest.fixture
def inbox(tmp_path: Path, workdir: Path) -> Path:
    box = tmp_path / "inbox"
    box.mkdir()
    (box / "good.txt").write_text(article("A Good Article About Water"), encoding="utf-8")
    return box


BAD_FILES: dict[str, tuple[bytes, str]] = {
    "empty.txt": (b"", "empty file"),
    "blank.txt": (b"   \n\n\t  \n", "empty file"),
    "binary.txt": (bytes(range(256)) * 64, "binary file"),
    "image.html": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(500), "binary file"),
    # Compressed image data is random bytes, a ninth of them control bytes: this sample has
    # fewer than a tenth, as about one in twenty such files does.
    "photo.html": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(78).randbytes(4000),
        "binary file",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_unusable_file_is_named_and_the_rest_published(
    inbox: Path, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data, reason = BAD_FILES[name]
    (inbox / name).write_bytes(data)
    assert _build(inbox, tmp_path, "-q") == 0
    err = capsys.readouterr().err
    assert f"skipped {inbox / name}: {reason}" in err
    assert _feed_titles(tmp_path)["feed.atom"] == ["A Good Article About Water"]


def test_an_unusable_file_is_reported_once_and_counted_on_every_run(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (inbox / "empty.txt").write_bytes(b"")
    assert _build(inbox, tmp_path) == 0
    first = capsys.readouterr()
    assert "2 articles seen: 1 new, 0 changed, 0 unchanged, 1 skipped" in first.out
    assert "skipped" in first.err
    # Not read again while it is unchanged (so cron is not mailed about it every run), but
    # still one of the files seen: the counts add up to it.
    assert _build(inbox, tmp_path) == 0
    second = capsys.readouterr()
    assert "2 articles seen: 0 new, 0 changed, 2 unchanged, 0 skipped" in second.out
    assert second.err == ""


def test_file_larger_than_the_limit_is_skipped_before_reading(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = inbox / "huge.txt"
    with open(huge, "wb") as handle:  # 30 MB on one line
        handle.write(b"word " * (6 * 1024 * 1024))
    assert _build(inbox, tmp_path, "-q") == 0
    assert f"skipped {huge}: larger than 10 MB" in capsys.readouterr().err
    assert _feed_titles(tmp_path)["feed.atom"] == ["A Good Article About Water"]


def test_size_limit_is_configurable(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "publisher.toml"
    config.write_text("[sources]\nmax_bytes = 100\n")
    assert _build(inbox, tmp_path, "-q", "--config", str(config)) == 0
    assert "larger than" in capsys.readouterr().err


ENCODED: dict[str, tuple[bytes, str]] = {
    "invalid-utf8.txt": (
        article("Caf\xe9 Owners Welcome the Water Plan").encode("latin-1"),
        "Café Owners Welcome the Water Plan",
    ),
    "cp1252.txt": (
        article("\u201cQuoted\u201d Council Approves Plan, Caf\xe9 Owners Cheer").encode("cp1252"),
        "\u201cQuoted\u201d Council Approves Plan, Caf\xe9 Owners Cheer",
    ),
    "utf16.txt": (
        codecs.BOM_UTF16_LE + article("Grüße aus der Stadt am Fluss").encode("utf-16-le"),
        "Grüße aus der Stadt am Fluss",
    ),
    "utf16-no-bom.txt": (
        article("Grüße ohne Byte-Order-Mark").encode("utf-16-le"),
        "Grüße ohne Byte-Order-Mark",
    ),
    "utf16be-no-bom.html": (
        (
            "<html><head><title>Big Endian Without A Mark</title></head><body><article>"
            "<h1>Big Endian Without A Mark</h1>"
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
            + "</article></body></html>"
        ).encode("utf-16-be"),
        "Big Endian Without A Mark",
    ),
    "crlf-bom.txt": (
        codecs.BOM_UTF8 + article("Windows Line Endings Are Fine").replace("\n", "\r\n").encode(),
        "Windows Line Endings Are Fine",
    ),
    "latin1-meta.html": (
        (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
            "<title>Ni\xf1os Return to School</title></head><body><article><h1>Ni\xf1os Return "
            "to School</h1>"
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
            + "</article></body></html>"
        ).encode("latin-1"),
        "Niños Return to School",
    ),
}


@pytest.mark.parametrize("name", sorted(ENCODED))
def test_encodings_are_detected(inbox: Path, tmp_path: Path, name: str) -> None:
    data, title = ENCODED[name]
    (inbox / name).write_bytes(data)
    assert _build(inbox, tmp_path, "-q") == 0
    titles = _feed_titles(tmp_path)
    assert title in titles["feed.atom"] and title in titles["feed.rss"]


def test_xml_forbidden_characters_never_reach_the_feeds(inbox: Path, tmp_path: Path) -> None:
    (inbox / "controls.txt").write_text(
        article("Control\x01 Characters\x0b In\x1f The Title", "A line with \x00 a NUL and \x08."),
        encoding="utf-8",
    )
    assert _build(inbox, tmp_path, "-q") == 0
    assert "Control Characters In The Title" in _feed_titles(tmp_path)["feed.atom"]
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert not any(b in path.read_bytes() for b in (b"\x00", b"\x01", b"\x08", b"\x0b"))


def test_deeply_nested_and_unclosed_html(inbox: Path, tmp_path: Path) -> None:
    deep = "<div>" * 20000 + "<p>Lost deep inside.</p>" + "</div>" * 20000
    (inbox / "nested.html").write_text(f"<html><body>{deep}</body></html>")
    unclosed = (
        "<html><head><title>Unclosed Tags Everywhere</title><body><article>"
        "<h1>Unclosed Tags Everywhere<p>" + "<p>".join(PARAGRAPHS) + "<div><span><b><i>"
    )
    (inbox / "unclosed.html").write_text(unclosed)
    assert _build(inbox, tmp_path, "-q") == 0
    titles = _feed_titles(tmp_path)["feed.atom"]
    assert "Unclosed Tags Everywhere" in titles


def test_non_ascii_file_names(inbox: Path, tmp_path: Path) -> None:
    (inbox / "статья-文章-é.txt").write_text(article("Names Need Not Be ASCII"), encoding="utf-8")
    assert _build(inbox, tmp_path, "-q") == 0
    assert "Names Need Not Be ASCII" in _feed_titles(tmp_path)["feed.atom"]


def test_file_names_that_are_not_utf8(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = os.fsdecode(b"caf\xe9-latin1.txt")  # a Latin-1 name on a UTF-8 file system
    try:
        (inbox / name).write_text(article("A Name In The Wrong Encoding"), encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system refuses names that are not UTF-8")
    assert _build(inbox, tmp_path, "-q") == 0
    err = capsys.readouterr().err
    assert f"skipped {inbox}/caf\\xe9-latin1.txt: file name is not valid UTF-8" in err
    assert _feed_titles(tmp_path)["feed.atom"] == ["A Good Article About Water"]
    assert _build(inbox, tmp_path, "-q") == 0  # still named, still no crash


def test_symlink_loops_are_walked_once(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (inbox / "again").symlink_to(".")  # inbox/again/again/... until the OS says no
    assert _build(inbox, tmp_path) == 0
    assert "1 articles seen: 1 new" in capsys.readouterr().out
    assert len(list((tmp_path / "out" / "articles").glob("*.html"))) == 1


def test_titles_with_markup_characters(inbox: Path, tmp_path: Path) -> None:
    title = "Profits & Losses: <Q3> Results ]]> Expectations"
    (inbox / "markup.txt").write_text(article(title), encoding="utf-8")
    assert _build(inbox, tmp_path, "-q") == 0
    titles = _feed_titles(tmp_path)
    assert title in titles["feed.atom"] and title in titles["feed.rss"]
    index = (tmp_path / "out" / "index.html").read_text()
    assert "Profits &amp; Losses: &lt;Q3&gt; Results ]]&gt; Expectations" in index


def test_overlong_titles_are_shortened(inbox: Path, tmp_path: Path) -> None:
    title = "A Very Long Headline " + " ".join(f"word{i}" for i in range(120))
    (inbox / "long.txt").write_text(article(title), encoding="utf-8")
    assert _build(inbox, tmp_path, "-q") == 0
    long_titles = [t for t in _feed_titles(tmp_path)["feed.atom"] if t.startswith("A Very Long")]
    assert len(long_titles) == 1
    assert len(long_titles[0]) <= 200 and long_titles[0].endswith("…")


def test_nothing_but_boilerplate(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (inbox / "junk.txt").write_text(
        "Support Us\n\nBITCOIN: bc1qv7k70u2zynvem59u88ctdlaw7hc735d8xep9rq\n\nLeave a Reply\n\n"
        "Your email address will not be published. Required fields are marked *\n\nSource link\n"
    )
    assert _build(inbox, tmp_path, "-q") == 0
    assert f"skipped {inbox / 'junk.txt'}: no article text found" in capsys.readouterr().err
    assert _feed_titles(tmp_path)["feed.atom"] == ["A Good Article About Water"]


def test_exact_duplicates_are_published_once(inbox: Path, tmp_path: Path) -> None:
    (inbox / "copy.txt").write_bytes((inbox / "good.txt").read_bytes())
    (inbox / "copy-with-junk.txt").write_text(
        "Support Us\n\n" + (inbox / "good.txt").read_text() + "\nShare this article\n"
    )
    assert _build(inbox, tmp_path, "-q") == 0
    assert _feed_titles(tmp_path)["feed.atom"] == ["A Good Article About Water"]


ARABIC = (
    "مجلس المدينة يوافق على خطة جديدة للمياه",
    "وافق مجلس المدينة يوم الثلاثاء على خطة جديدة لتوفير المياه بعد أشهر من النقاش.",
    "وتخصص الخطة أموالا لبناء ثلاثة خزانات وشبكة من الأنابيب الصغيرة في الأحياء.",
    "وقال المسؤولون إن أعمال البناء ستبدأ في الربيع المقبل وتستمر أربع سنوات.",
)
CHINESE = (
    "市议会批准新的供水计划",
    "经过数月的辩论，市议会周二批准了一项新的供水计划，用于应对夏季干旱。",
    "该计划将拨款修建三座水库，并在各个社区铺设较小的输水管道网络。",
    "官员表示，工程将于明年春季开工，预计需要四年时间才能完成。",
)


@pytest.mark.parametrize("lines", [ARABIC, CHINESE], ids=["arabic", "chinese"])
def test_arabic_and_chinese_articles(inbox: Path, tmp_path: Path, lines: tuple[str, ...]) -> None:
    (inbox / "intl.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    assert _build(inbox, tmp_path, "-q") == 0
    assert lines[0] in _feed_titles(tmp_path)["feed.atom"]
    pages = list((tmp_path / "out" / "articles").glob("*.html"))
    assert any(lines[1] in page.read_text(encoding="utf-8") for page in pages)


def test_a_file_that_turns_bad_keeps_its_published_article(
    inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _build(inbox, tmp_path, "-q") == 0
    (inbox / "good.txt").write_bytes(b"")
    assert _build(inbox, tmp_path, "-q") == 0
    assert "empty file" in capsys.readouterr().err
    assert _feed_titles(tmp_path)["feed.atom"] == ["A Good Article About Water"]
