from __future__ import annotations

import codecs
import gzip
import os
from pathlib import Path
from typing import Any

import pytest

from publisher.models import RawDocument, Rejected
from publisher.sources import decode, discover, read


def _read(path: Path, max_bytes: int = 10 * 1024 * 1024) -> RawDocument | Rejected:
    files, missing = discover([path])
    assert not missing
    (file,) = files
    return read(file, max_bytes=max_bytes)


def test_discover_walks_directories_sorted_and_skips_other_files(tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    (root / "sub").mkdir(parents=True)
    for name in ["b.txt", "a.html", "sub/c.htm", "d.txt.gz", "notes.md", ".hidden.txt"]:
        (root / name).write_bytes(b"x")
    files, missing = discover([root, tmp_path / "missing"])
    assert [f.key for f in files] == [
        "inbox/a.html",
        "inbox/b.txt",
        "inbox/d.txt.gz",
        "inbox/sub/c.htm",
    ]
    assert [f.kind for f in files] == ["html", "text", "text", "html"]
    assert {f.group for f in files} == {"inbox", "sub"}
    assert missing == [Rejected(str(tmp_path / "missing"), "no such file or directory")]


def test_a_directory_that_cannot_be_listed_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Said, not skipped in silence: every article under it would go unpublished. (Made
    unlistable by hand: root, as CI may run, lists any directory.)"""
    root = tmp_path / "inbox"
    for name in ["open/a.txt", "locked/b.txt"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")
    scandir = os.scandir

    def refusing(path: str) -> Any:
        if path.endswith("locked"):
            raise PermissionError(13, "Permission denied", path)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    files, rejected = discover([root])
    assert [f.key for f in files] == ["inbox/open/a.txt"]
    assert rejected == [
        Rejected(str(root / "locked"), "cannot read the directory: Permission denied")
    ]


def test_keys_do_not_depend_on_the_checkout_path(tmp_path: Path) -> None:
    for place in ("one", "two/deeper"):
        d = tmp_path / place / "seeds"
        d.mkdir(parents=True)
        (d / "x.txt").write_text("hello")
    keys = {discover([tmp_path / p / "seeds"])[0][0].key for p in ("one", "two/deeper")}
    keys |= {discover([tmp_path / "one" / "seeds" / "x.txt"])[0][0].key}
    assert keys == {"seeds/x.txt"}


def test_encodings(tmp_path: Path) -> None:
    cases = {
        "utf8.txt": ("Café déjà vu".encode(), "Café déjà vu"),
        "cp1252.txt": ("“Quoted” — café".encode("cp1252"), "“Quoted” — café"),
        "bom16.txt": (codecs.BOM_UTF16_LE + "Grüße".encode("utf-16-le"), "Grüße"),
        "crlf.txt": (codecs.BOM_UTF8 + b"one\r\ntwo\rthree", "one\ntwo\nthree"),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        doc = _read(tmp_path / name)
        assert isinstance(doc, RawDocument), name
        assert doc.text == expected, name


def test_html_meta_charset_latin1_read_as_windows_1252(tmp_path: Path) -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body>Caf\xe9 \x93x\x94</body></html>'
    (tmp_path / "p.html").write_bytes(page.encode("latin-1"))
    doc = _read(tmp_path / "p.html")
    assert isinstance(doc, RawDocument)
    assert "Café “x”" in doc.text and doc.kind == "html"


def test_xml_forbidden_characters_are_removed() -> None:
    text = "A title\x0b with\x01 stray\x1f controls\tand a tab.\nSecond line \x7f ok, é."
    result = decode(text.encode())
    assert result == ("A title with stray controls\tand a tab.\nSecond line \x7f ok, é.", "utf-8")


def test_unusable_files_are_rejected_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b" \n\t\n")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "huge.txt").write_bytes(b"a" * 2000)
    (tmp_path / "broken.txt.gz").write_bytes(b"\x1f\x8b not really gzip")
    assert _read(tmp_path / "empty.txt") == Rejected(str(tmp_path / "empty.txt"), "empty file")
    assert _read(tmp_path / "blank.txt").reason == "empty file"  # type: ignore[union-attr]
    assert "binary" in _read(tmp_path / "binary.txt").reason  # type: ignore[union-attr]
    assert "larger than" in _read(tmp_path / "huge.txt", max_bytes=1000).reason  # type: ignore[union-attr]
    assert "gzip" in _read(tmp_path / "broken.txt.gz").reason  # type: ignore[union-attr]


def test_gzip_is_decompressed_with_a_limit(tmp_path: Path) -> None:
    (tmp_path / "a.html.gz").write_bytes(gzip.compress(b"<html><body>Hello</body></html>"))
    doc = _read(tmp_path / "a.html.gz")
    assert isinstance(doc, RawDocument) and doc.kind == "html" and "Hello" in doc.text
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"a" * 5_000_000))
    rejected = _read(tmp_path / "bomb.txt.gz", max_bytes=1_000_000)
    assert isinstance(rejected, Rejected) and "decompressed" in rejected.reason


def test_gzip_members_and_damage_read_as_gzip_reads_them(tmp_path: Path) -> None:
    page = b"<html><body>Hello</body></html>"
    (tmp_path / "two.html.gz").write_bytes(gzip.compress(page[:12]) + gzip.compress(page[12:]))
    doc = _read(tmp_path / "two.html.gz")
    assert isinstance(doc, RawDocument) and doc.text == page.decode()
    damaged = bytearray(gzip.compress(page))
    damaged[-8] ^= 1  # the CRC
    (tmp_path / "crc.html.gz").write_bytes(damaged)
    rejected = _read(tmp_path / "crc.html.gz")
    assert isinstance(rejected, Rejected) and "CRC check failed" in rejected.reason
    (tmp_path / "cut.html.gz").write_bytes(gzip.compress(page)[:-4])
    rejected = _read(tmp_path / "cut.html.gz")
    assert isinstance(rejected, Rejected) and "end-of-stream marker" in rejected.reason


def test_a_file_that_grew_since_discover_is_read_whole_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Title\n")
    (file,) = discover([path])[0]
    path.write_text("Title\n\nA longer body than when it was found.\n")
    doc = read(file, max_bytes=1000)
    assert isinstance(doc, RawDocument) and doc.text.endswith("when it was found.\n")
    path.write_text("x" * 1001)
    rejected = read(file, max_bytes=1000)
    assert isinstance(rejected, Rejected) and "larger than" in rejected.reason


def test_content_hash_is_of_the_raw_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("same")
    (tmp_path / "b.txt").write_text("same")
    a, b = _read(tmp_path / "a.txt"), _read(tmp_path / "b.txt")
    assert isinstance(a, RawDocument) and isinstance(b, RawDocument)
    assert a.content_hash == b.content_hash and len(a.content_hash) == 64


def test_forbidden_characters_are_removed_in_every_encoding() -> None:
    utf8 = "Title\n\nNon-characters \ufffe and \uffff and a bell \x07 in prose.\n".encode()
    assert decode(utf8) == ("Title\n\nNon-characters  and  and a bell  in prose.\n", "utf-8")
    cp1252 = "“Quoted” text with a\x01 control and € sign.".encode("cp1252")
    assert decode(cp1252) == ("“Quoted” text with a control and € sign.", "cp1252")
    utf16 = codecs.BOM_UTF16_LE + "Grüße\x02 aus\x0b Wien".encode("utf-16-le")
    assert decode(utf16) == ("Grüße aus Wien", "utf-16-le")


def test_form_feed_is_removed_but_not_taken_for_binary() -> None:
    text = "Title\n\n" + "A page of prose.\x0c The next page goes on.\n" * 3
    assert decode(text.encode()) == (text.replace("\x0c", ""), "utf-8")


JAPANESE = (
    "東京都は、新しい水道計画を発表しました。市民の多くはこの計画を歓迎しています。"
    "計画は来年の春から始まり、十年かけて古い水道管を取り替えます。"
)


def test_undeclared_shift_jis_is_detected_not_read_as_latin_1(tmp_path: Path) -> None:
    """The hand-written candidate list read this page as Windows-1252 mojibake; the detector
    (charset-normalizer, behind Beautiful Soup's order) reads it as Japanese."""
    page = f"<html><head><title>水道計画</title></head><body><p>{JAPANESE}</p></body></html>"
    (tmp_path / "tokyo.html").write_bytes(page.encode("shift_jis"))
    doc = _read(tmp_path / "tokyo.html")
    assert isinstance(doc, RawDocument)
    assert JAPANESE in doc.text and doc.encoding == "cp932"
    text = decode(("水道計画\n\n" + JAPANESE).encode("shift_jis"))
    assert not isinstance(text, str) and JAPANESE in text[0]


def test_a_charset_given_only_by_the_http_header_is_used() -> None:
    """Windows-1252 declared only in Content-Type: no <meta>, and bytes that a detector
    could read otherwise (0x8A is Š in Windows-1252, a control in Latin-1, Ŕ in others)."""
    body = "<html><body><p>\u0160koda’s “new” caf\xe9 menu costs 5 €.</p></body></html>"
    data = body.encode("cp1252")
    assert decode(data, "html", charset="windows-1252") == (body, "cp1252")
    assert decode(data, "html", charset="iso-8859-1") == (body, "cp1252")  # as browsers do


def test_the_order_bom_http_charset_declaration_then_detector() -> None:
    latin = "<html><head><meta charset='koi8-r'></head><body>caf\xe9</body></html>"
    # The HTTP charset wins over <meta>; <meta> wins over the detector.
    assert decode(latin.encode("cp1252"), "html", charset="cp1252")[0] == latin  # type: ignore[index]
    meta_only = decode(latin.encode("cp1252"), "html")
    assert meta_only == (latin.replace("\xe9", "И"), "koi8-r")
    # A byte-order mark wins over everything said about the bytes.
    bom = codecs.BOM_UTF8 + "<p>Grüße</p>".encode()
    assert decode(bom, "html", charset="iso-8859-1") == ("<p>Grüße</p>", "utf-8")
    # Valid UTF-8 under a legacy label is a page re-encoded without fixing its label.
    assert decode("<p>Grüße</p>".encode(), "html", charset="iso-8859-1") == (
        "<p>Grüße</p>",
        "utf-8",
    )
