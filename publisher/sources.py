"""Finding input files and turning their bytes into text.

``discover`` walks the inputs and only stats files (so unchanged files can be skipped without
being read); ``read`` loads one file, refusing it with a reason when it is too large, binary,
empty or undecodable; ``read_web`` does the same for a document the fetcher stored.

Decoding order (``decode``), for files and fetched pages alike: the byte-order mark; UTF-16
told by its NUL bytes; then Beautiful Soup's ``EncodingDetector`` order: the HTTP charset, the
XML declaration or ``<meta>`` prescan, a detector's guess (charset-normalizer here), UTF-8,
Windows-1252; Latin-1 last, which never fails. Labels are read as browsers read them
(``iso-8859-1`` is Windows-1252, ``shift_jis`` is Windows-31J). One exception to the order:
bytes that are valid UTF-8 are UTF-8 whatever legacy charset a label names, because real
legacy text practically never forms valid UTF-8, while servers and scrapers that re-encode a
page without fixing its label are common.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import gzip
import hashlib
import html
import io
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .models import DocumentKind, RawDocument, Rejected

TEXT_SUFFIXES = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html"}

# Characters XML 1.0 forbids (C0 controls other than tab/newline/CR, lone surrogates, and the
# two non-characters); they would make feedgen or lxml fail later, so they never get in.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Bytes a text file is made of: everything from space up, plus tab, newline, form feed and
# carriage return. Many other control bytes mean a binary file.
_TEXT_BYTES = bytes(range(32, 256)) + b"\t\n\x0c\r"
# Bytes that are never a character XML forbids: as above but without form feed.
_XML_BYTES = bytes(range(32, 256)) + b"\t\n\r"
# Share of control bytes (those not in _TEXT_BYTES) above which data is binary. Random or
# compressed data (images, archives) has 28 in 256, about 11 %: so close to the limit that
# one such file in twenty passes under it. Data that is not UTF-8 either has no excuse for
# control bytes (8-bit text has none but strays), so it is held to the lower limit.
MAX_CONTROL_SHARE = 0.1
MAX_CONTROL_SHARE_NOT_UTF8 = 0.05
# Encodings in which every byte below 0x20 stands for that control character, and no other
# byte does: a forbidden character in the text is a forbidden byte in the data. (Strict
# decoding never yields surrogates.)
_BYTE_TRANSPARENT = frozenset({"utf-8", "cp1252", "latin-1"})
# Labels read as browsers read them (the WHATWG Encoding Standard): each of these names a
# superset that pages so labelled are in fact written in.
_BROWSER_READS = {
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}
# Bytes the detector looks at: enough for its statistics, bounded for a huge page.
DETECTOR_SAMPLE = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class WebParts:
    """What the fetcher stored of a document from the web (``publisher.fetch``): its page
    and its feed entry's own text, as files, and what its feed says of it."""

    url: str | None  # the article's link (its canonical URL), when it has one
    page: str | None  # the stored page's path
    charset: str | None  # the page's HTTP charset
    entry: str | None  # the stored feed entry text's path (HTML)
    title: str | None = None
    published: datetime | None = None
    author: str | None = None
    site: str | None = None  # the source's name


@dataclass(frozen=True)
class WebDocuments:
    """A document from the web read: its page and its feed entry's text (either may be
    missing), and one content hash of both and of what the feed says."""

    page: RawDocument | Rejected | None
    entry: RawDocument | None
    content_hash: str


@dataclass(frozen=True)
class SourceFile:
    """An input file found by ``discover``: stat data only, nothing read yet. A document the
    fetcher stored is one too, with ``web`` set: its path is its URL, its group its host,
    its mtime the time it last changed."""

    path: str  # as found under the input given: for opening and for messages
    key: str
    group: str
    kind: DocumentKind
    size: int
    mtime: float
    web: WebParts | None = None


def discover(inputs: Iterable[Path]) -> tuple[list[SourceFile], list[Rejected]]:
    """Every usable file under ``inputs`` (files or directories), sorted by key.

    Directories are walked recursively for .txt/.html/.htm files (and their .gz); hidden files
    are skipped. A missing input, a directory that cannot be listed and a file that cannot
    be stat-ed are reported as rejected rather than ending the run.
    """
    found: dict[str, SourceFile] = {}
    missing: list[Rejected] = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            root = root_name(path)
            _walk(found, missing, str(path), root, f"{root}/", frozenset())
        elif path.is_file():
            kind = kind_of(path.name) or "text"  # named explicitly: taken whatever its suffix
            stat = path.stat()
            group = root_name(path.parent)
            key = f"{group}/{path.name}"
            found[key] = SourceFile(str(path), key, group, kind, stat.st_size, stat.st_mtime)
        else:
            missing.append(Rejected(str(path), "no such file or directory"))
    return [found[key] for key in sorted(found)], missing


def root_name(directory: Path) -> str:
    """The name an input directory's files are keyed under."""
    # The directory's own name, not its absolute path: keys (and so article ids) must not
    # change when the checkout moves or another machine builds the same inputs.
    return directory.resolve().name or "root"


def _walk(
    found: dict[str, SourceFile],
    problems: list[Rejected],
    directory: str,
    group: str,
    prefix: str,
    above: frozenset[tuple[int, int]],
) -> None:
    """Add the files under ``directory``: keyed by ``prefix`` (the input directory's name and
    the path below it) plus their name, grouped by their own directory (a site or source);
    what cannot be listed or stat-ed goes to ``problems``.

    ``above`` holds the (device, inode) of the directories being walked above this one: a
    symbolic link back to one of them (a loop) is not followed again.
    """
    # os.scandir and plain strings: a no-op build of a large archive is mostly this walk,
    # and pathlib costs several times more per file.
    try:
        stat = os.stat(directory)
        here = (stat.st_dev, stat.st_ino)
        if here in above:
            return
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        # Said, not skipped silently: every article under it would go unpublished.
        problems.append(Rejected(directory, f"cannot read the directory: {exc.strerror or exc}"))
        return
    above |= {here}
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.is_dir():
                _walk(found, problems, entry.path, entry.name, f"{prefix}{entry.name}/", above)
                continue
            kind = kind_of(entry.name)
            if kind is None or not entry.is_file():
                continue
            stat = entry.stat()
        except OSError as exc:
            problems.append(Rejected(entry.path, f"cannot read: {exc.strerror or exc}"))
            continue
        key = f"{prefix}{entry.name}"
        found[key] = SourceFile(entry.path, key, group, kind, stat.st_size, stat.st_mtime)


def kind_of(name: str) -> DocumentKind | None:
    """The kind of document a file of this name holds, None when it is not an input."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return TEXT_SUFFIXES.get(os.path.splitext(lower)[1])  # type: ignore[return-value]


def read(file: SourceFile, *, max_bytes: int) -> RawDocument | Rejected:
    """Read and decode one file; a Rejected names the problem instead of raising."""
    source = file.path
    if file.size > max_bytes:
        return _too_large(source, max_bytes)
    try:
        with open(file.path, "rb") as handle:
            # Sized as discover() saw the file: read(max_bytes + 1) would allocate that much.
            data = handle.read(file.size + 1)
            if len(data) > file.size:  # the file grew since
                data += handle.read(max_bytes - file.size)
    except OSError as exc:
        return Rejected(source, f"cannot read: {exc.strerror or exc}")
    if len(data) > max_bytes:
        return _too_large(source, max_bytes)
    content_hash = hashlib.sha256(data).hexdigest()
    if file.path.lower().endswith(".gz"):
        try:
            data = gunzip(data, max_bytes)
        except (OSError, EOFError, zlib.error) as exc:
            return Rejected(source, f"not a valid gzip file: {exc}")
        except OverflowError:
            return Rejected(source, f"larger than {_megabytes(max_bytes)} once decompressed")
    kind = file.kind
    result = decode(data, kind)
    if isinstance(result, str):
        return Rejected(source, result)
    text, encoding = result
    if kind == "text" and _looks_like_html(text):
        kind = "html"
    return RawDocument(
        source=source,
        key=file.key,
        group=file.group,
        text=text,
        kind=kind,
        encoding=encoding,
        mtime=file.mtime,
        size=file.size,
        content_hash=content_hash,
    )


def read_web(file: SourceFile, *, max_bytes: int) -> WebDocuments | Rejected:
    """Read a fetched document's stored page and feed entry text (``file.web``); Rejected
    when neither can be read."""
    web = file.web
    assert web is not None
    facts = [web.page, web.entry, web.charset, web.title, web.published, web.author, web.site]
    digest = hashlib.sha256(json.dumps(facts, default=str).encode("utf-8")).hexdigest()
    page: RawDocument | Rejected | None = None
    if web.page is not None:
        page = _stored(file, web.page, "html", max_bytes, web.charset)
    entry = None
    if web.entry is not None:
        found = _stored(file, web.entry, "html", max_bytes, "utf-8", entry_of=web)
        entry = found if isinstance(found, RawDocument) else None
    if entry is None and not isinstance(page, RawDocument):
        return page or Rejected(file.path, "its stored copy is missing; it will be fetched again")
    return WebDocuments(page, entry, digest)


def _stored(
    file: SourceFile,
    path: str,
    kind: DocumentKind,
    max_bytes: int,
    charset: str | None,
    entry_of: WebParts | None = None,
) -> RawDocument | Rejected:
    """One stored part of a fetched document, decoded (a feed entry's text made a page)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return Rejected(file.path, f"its stored copy cannot be read: {exc.strerror or exc}")
    if len(data) > max_bytes:
        return _too_large(file.path, max_bytes)
    result = decode(data, kind, charset=charset)
    if isinstance(result, str):
        return Rejected(file.path, result)
    text, encoding = result
    if entry_of is not None:
        text = entry_page(text, entry_of.title, entry_of.author)
    elif _looks_plain(text):
        kind = "text"
    return RawDocument(
        source=file.path,
        key=file.key,
        group=file.group,
        text=text,
        kind=kind,
        encoding=encoding,
        mtime=file.mtime,
        size=len(data),
        content_hash=hashlib.sha256(data).hexdigest(),
        url=file.web.url if file.web else None,
    )


def entry_page(text: str, title: str | None, author: str | None) -> str:
    """A feed entry's own text (HTML) as a page for the cleaner: the entry's title, and its
    text as the page's one article."""
    heading = html.escape(title or "")
    byline = f'<meta name="author" content="{html.escape(author)}">' if author else ""
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{heading}</title>{byline}'
        f"</head><body><article><h1>{heading}</h1>\n{text}\n</article></body></html>"
    )


def _looks_plain(text: str) -> bool:
    """A fetched page served as text/plain, or with no markup at all."""
    return "<" not in text[:4096]


def decode(
    data: bytes, kind: DocumentKind = "text", *, charset: str | None = None
) -> tuple[str, str] | str:
    """Decode bytes to clean text and the encoding used, or return why it cannot be done.

    ``charset`` is what the HTTP ``Content-Type`` said of fetched bytes (None for a file).
    """
    if not data.strip():
        return "empty file"
    text: str | None = None
    encoding = ""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text, encoding = data[len(bom) :].decode(name), name
            except UnicodeDecodeError:
                return f"invalid {name} after its byte-order mark"
            break
    if text is None and (order := _utf16_without_bom(data)):
        with contextlib.suppress(UnicodeDecodeError):
            decoded = data.decode(order)
            # 16-bit binary data (samples, tables of small numbers) has this shape too.
            if not _is_binary(decoded[:4096].encode("utf-8")):
                text, encoding = decoded, order
    if text is None:
        if _is_binary(data):
            return "binary file (not text or HTML)"
        text, encoding = _decode_8bit(data, kind, charset)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if encoding not in _BYTE_TRANSPARENT or _may_be_forbidden(data, text):
        text = _XML_FORBIDDEN.sub("", text)
    if not text.strip():
        return "empty file"
    return text, encoding


def _decode_8bit(data: bytes, kind: DocumentKind, charset: str | None) -> tuple[str, str]:
    """``data`` (no byte-order mark, not UTF-16) decoded in the module's order."""
    # ISO-2022 encodings are 7-bit: their escape sequences are valid UTF-8 too.
    if b"\x1b" not in data:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode("utf-8"), "utf-8"
    is_html = kind == "html" or data.lstrip()[:1] == b"<"
    for label in _candidates(data, charset, is_html=is_html):
        name = _codec(label)
        if name is None:
            continue
        try:
            return data.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1"), "latin-1"


def _candidates(data: bytes, charset: str | None, *, is_html: bool) -> Iterator[str]:
    """Beautiful Soup's candidate encodings for ``data`` (see ``_detector``)."""
    detector = _detector()(data, known_definite_encodings=[charset] if charset else None,
                           is_html=is_html)  # fmt: skip
    yield from detector.encodings


@functools.cache
def _detector() -> type[Any]:
    """Beautiful Soup's ``EncodingDetector``, with charset-normalizer as its detector: it
    gives the candidate encodings in its order, the known definite one (the HTTP charset),
    the declared one (XML declaration or ``<meta>``), the detector's guess, then UTF-8 and
    Windows-1252.

    Beautiful Soup takes the guess from whichever detector is installed (cchardet, chardet
    or charset-normalizer, in that order of preference); here it is always charset-normalizer,
    and computed only when the declared encodings have failed. Imported on first use: almost
    every input is UTF-8, and every command would pay for the import.
    """
    from bs4.dammit import EncodingDetector

    class Detector(EncodingDetector):
        _guess: str | None = None

        @property
        def chardet_encoding(self) -> str | None:
            """charset-normalizer's guess (Beautiful Soup asks for it by this attribute)."""
            if self._guess is None:
                self._guess = _guess(self.markup) or "windows-1252"
            return self._guess

        @chardet_encoding.setter
        def chardet_encoding(self, value: str | None) -> None:
            """Beautiful Soup stores its own detector's guess here: never used."""

    return Detector


def _guess(data: bytes) -> str | None:
    """charset-normalizer's best guess for ``data``; Windows-1252 when that is one of the
    encodings giving the very same text (the detector often names another Western code page
    first, which differs from it only in letters the text does not use)."""
    import charset_normalizer  # on first use, as Beautiful Soup (see _detector)

    best = charset_normalizer.from_bytes(data[:DETECTOR_SAMPLE]).best()
    if best is None:
        return None
    if "cp1252" in best.could_be_from_charset:
        return "cp1252"
    return str(best.encoding)


def _codec(label: str) -> str | None:
    """The codec for an encoding label, as a browser reads it; None for an unknown label."""
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return _BROWSER_READS.get(name, name)


def _utf16_without_bom(data: bytes) -> str | None:
    """The UTF-16 byte order of ``data`` when it looks like UTF-16 without a byte-order mark,
    else None. Text mostly in Latin script is then a NUL every other byte (each character's
    high byte), on one side only; a NUL is rare in any 8-bit text, and never so regular."""
    head = data[:8192]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > len(head) // 4 and even * 10 < odd:
        return "utf-16-le"
    if even > len(head) // 4 and odd * 10 < even:
        return "utf-16-be"
    return None


def _is_binary(data: bytes) -> bool:
    # A stray NUL or control character is noise to strip (XML forbids it anyway); binary
    # files are full of them.
    head = data[:8192]
    nuls = head.count(0)
    controls = len(head.translate(None, _TEXT_BYTES))
    if nuls > max(1, len(head) // 100) or controls > len(head) * MAX_CONTROL_SHARE:
        return True
    return controls > len(head) * MAX_CONTROL_SHARE_NOT_UTF8 and not _utf8_prefix(head)


def _utf8_prefix(head: bytes) -> bool:
    """Whether ``head`` is valid UTF-8 (a sequence cut off at its end allowed)."""
    try:
        codecs.utf_8_decode(head, "strict", False)
    except UnicodeDecodeError:
        return False
    return True


def _may_be_forbidden(data: bytes, text: str) -> bool:
    """Whether ``text``, decoded from ``data`` by a _BYTE_TRANSPARENT encoding, may hold
    characters XML forbids: a control byte, or U+FFFE or U+FFFF.

    Scanning the bytes in C is ten times cheaper than the regex over the decoded text, and
    almost every page has nothing to remove. The two non-characters are looked for in the
    text: a one-character search, where the bytes would need a slower three-byte one."""
    return bool(data.translate(None, _XML_BYTES)) or "\ufffe" in text or "\uffff" in text


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in head)


def gunzip(data: bytes, limit: int) -> bytes:
    """``data`` decompressed from gzip; OverflowError past ``limit`` bytes, OSError,
    EOFError or zlib.error when damaged."""
    # The common case, one gzip member and nothing after it, in one bounded zlib call (which
    # checks the header, CRC and length too). Anything else -- several members, trailing
    # bytes, damage, too much output -- goes the GzipFile way below, whose errors name it.
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        whole = inflater.decompress(data, limit + 1)
        if inflater.eof and not inflater.unused_data and len(whole) <= limit:
            return whole
    except zlib.error:
        pass
    # Decompress in bounded chunks: a small .gz can expand to gigabytes.
    out = bytearray()
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
        while chunk := handle.read(1 << 20):
            out += chunk
            if len(out) > limit:
                raise OverflowError
    return bytes(out)


def _too_large(source: str, max_bytes: int) -> Rejected:
    """Rejected for being larger than ``max_bytes``."""
    return Rejected(source, f"larger than {_megabytes(max_bytes)} (limit: [fetch] max_bytes)")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def keys_of(path: Path, inputs: Iterable[Path]) -> list[str]:
    """The keys ``discover`` gives (or gave) the file at ``path`` under ``inputs``: one per
    input that holds it. The file need not exist any more."""
    target = Path(os.path.abspath(path))
    keys = []
    for given in inputs:
        root = Path(os.path.abspath(given))
        if target == root:
            keys.append(f"{root_name(target.parent)}/{target.name}")
        elif target.is_relative_to(root):
            keys.append(f"{root_name(root)}/{target.relative_to(root).as_posix()}")
    return keys
