"""Finding input files and turning their bytes into text.

``discover`` walks the inputs and only stats files (so unchanged files can be skipped without
being read); ``read`` loads one file, refusing it with a reason when it is too large, binary,
empty or undecodable. Decoding order: byte-order mark, UTF-16 told by its NUL bytes, UTF-8, a
declared HTML charset, then Windows-1252 (a superset of Latin-1 for text), which never fails.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import hashlib
import io
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .models import DocumentKind, RawDocument, Rejected

TEXT_SUFFIXES = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html"}

# Characters XML 1.0 forbids (C0 controls other than tab/newline/CR, lone surrogates, and the
# two non-characters); they would make feedgen or lxml fail later, so they never get in.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A declared charset in the first bytes of an HTML page: <meta charset=...> or http-equiv.
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
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
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class SourceFile:
    """An input file found by ``discover``: stat data only, nothing read yet."""

    path: str  # as found under the input given: for opening and for messages
    key: str
    group: str
    kind: DocumentKind
    size: int
    mtime: float


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
            root = _root_name(path)
            _walk(found, missing, str(path), root, f"{root}/", frozenset())
        elif path.is_file():
            kind = _kind(path.name) or "text"  # named explicitly: taken whatever its suffix
            stat = path.stat()
            group = _root_name(path.parent)
            key = f"{group}/{path.name}"
            found[key] = SourceFile(str(path), key, group, kind, stat.st_size, stat.st_mtime)
        else:
            missing.append(Rejected(str(path), "no such file or directory"))
    return [found[key] for key in sorted(found)], missing


def _root_name(directory: Path) -> str:
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
            kind = _kind(entry.name)
            if kind is None or not entry.is_file():
                continue
            stat = entry.stat()
        except OSError as exc:
            problems.append(Rejected(entry.path, f"cannot read: {exc.strerror or exc}"))
            continue
        key = f"{prefix}{entry.name}"
        found[key] = SourceFile(entry.path, key, group, kind, stat.st_size, stat.st_mtime)


def _kind(name: str) -> DocumentKind | None:
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
            data = _gunzip(data, max_bytes)
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


def decode(data: bytes, kind: DocumentKind = "text") -> tuple[str, str] | str:
    """Decode bytes to clean text and the encoding used, or return why it cannot be done."""
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
        for name in _candidates(data, kind):
            try:
                text, encoding = data.decode(name), name
                break
            except (UnicodeDecodeError, LookupError):
                continue
        else:
            text, encoding = data.decode("latin-1"), "latin-1"
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if encoding not in _BYTE_TRANSPARENT or _may_be_forbidden(data, text):
        text = _XML_FORBIDDEN.sub("", text)
    if not text.strip():
        return "empty file"
    return text, encoding


def _candidates(data: bytes, kind: DocumentKind) -> list[str]:
    names = ["utf-8"]
    if kind == "html" or data.lstrip()[:1] == b"<":
        match = _META_CHARSET.search(data[:4096])
        if match:
            declared = match.group(1).decode("ascii", "replace").lower()
            try:
                # Browsers read a page labelled latin-1 as Windows-1252; so do we.
                name = codecs.lookup(declared).name
                names.append("cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name)
            except LookupError:
                pass
    names.append("cp1252")
    return names


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


def _gunzip(data: bytes, limit: int) -> bytes:
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
    return Rejected(source, f"larger than {_megabytes(max_bytes)} (limit: [sources] max_bytes)")


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
            keys.append(f"{_root_name(target.parent)}/{target.name}")
        elif target.is_relative_to(root):
            keys.append(f"{_root_name(root)}/{target.relative_to(root).as_posix()}")
    return keys
