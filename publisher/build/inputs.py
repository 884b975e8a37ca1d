"""Which input files a build must read: those added, changed or renamed since the last one,
found without listing or stat-ing the whole archive (a publisher runs for years, and its
inputs only grow).

The rule:

* An input directory is listed, and each file in it stat-ed, when it is new, when its
  inode or modification time changed since the build last listed it (a file was added,
  removed or renamed in it: how scrapers and atomic writers deliver files), or when that
  time was within RACY_NS of the listing (a file added in the same clock tick would not
  have changed it). Other directories are only stat-ed.
* A file in a directory that is not listed is stat-ed when it was modified in the last
  RECENT seconds (by the time the store has of it: corrections come soon after the
  article), and otherwise in rotation, RECHECK known files per build in key order: an
  old file edited in place is found within ceil(files / RECHECK) builds. An archive of
  at most RECHECK files is so looked at whole at every build.
* ``rescan`` lists every directory and stats every file.

Fetched documents are taken when their number (every save of one numbers it anew) is past
the last one a build took.

The files to read come back in key order, the order of a full walk, kept on disk past a few
thousand (``Spill``): a cold build of any size holds none of them in memory.
"""

from __future__ import annotations

import heapq
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..models import Rejected
from ..sources import SourceFile, WebParts, kind_of, root_name
from ..store import DirState, FileState, Store
from ..store.fetch import blob_path, blob_root
from .spill import Spill

# Seconds: a file modified this recently (as the store last saw it) is stat-ed at every build.
RECENT = 24 * 3600
# Known files stat-ed per build in rotation, besides the recent ones.
RECHECK = 1_000
# A directory whose modification time was this close to its listing (or later) is listed
# again next time: a file added in the same clock tick as the last change would not show.
RACY_NS = 2_000_000_000
# The store's meta keys: where the rotation stands; the number of the last fetched document
# taken and how many fetched documents the build has taken in all.
RECHECK_META = "recheck"
WEB_META = "web-documents"

# A file to read, with what the store remembers of it (None: never seen).
Changed = tuple[SourceFile, FileState | None]


@dataclass
class Found:
    """What changed in the inputs: the files to read, in key order; how many input files
    there are in all; the problems met (unlistable directories, unusable names)."""

    changed: Spill[Changed]
    seen: int = 0
    skipped: list[Rejected] = field(default_factory=list)
    unusable: int = 0  # files among ``seen`` whose names the store cannot keep
    groups: set[str] = field(default_factory=set)  # the groups of the files to read
    # What to remember once the files are saved (``remember``).
    dirs: list[DirState] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.changed)

    def __iter__(self) -> Iterator[Changed]:
        return iter(self.changed)


def find_changed(
    store: Store, inputs: Sequence[Path], state: Path, *, now: float, rescan: bool = False
) -> Found:
    """The input files (and fetched documents) to read, and what to remember of the inputs
    afterwards (see the module). Paths that cannot be listed or used are in ``skipped``."""
    walk = _Walk(store, rescan=rescan, cold=not store.knows_files(), now_ns=time.time_ns())
    roots: dict[str, list[Path]] = {}
    streams: list[Iterator[tuple[str, int, Changed]]] = []
    for order, given in enumerate(inputs):
        path = Path(given)
        if path.is_dir():
            name = root_name(path)
            roots.setdefault(name, []).append(path)
            spill: Spill[Changed] = Spill(state.parent)
            walk.root(str(path), name, spill)
            streams.append(_ranked(spill, order))
        elif path.is_file():
            stat = path.stat()
            group = root_name(path.parent)
            key = f"{group}/{path.name}"
            file = SourceFile(
                str(path), key, group, kind_of(path.name) or "text", stat.st_size, stat.st_mtime
            )
            walk.seen += 1
            if (changed := walk.changed_file(file)) is not None:
                streams.append(_ranked([changed], order))
        else:
            walk.skipped.append(Rejected(str(path), "no such file or directory"))
    meta: dict[str, str] = {}
    if not rescan:
        rechecked, cursor = _recheck(store, walk, roots, now)
        streams.append(_ranked(rechecked, len(inputs)))
        meta[RECHECK_META] = json.dumps(cursor)
    web, web_meta = _web(store, walk, state)
    streams.append(_ranked(web, len(inputs) + 1))
    meta.update(web_meta)
    found = Found(Spill(state.parent), walk.seen, walk.skipped, walk.unusable)
    found.dirs, found.gone, found.meta = walk.dirs, walk.gone(), meta
    last: Changed | None = None
    # Two inputs with the same name key their files alike: the later one's file is taken.
    for _, _, item in heapq.merge(*streams, key=lambda ranked: ranked[:2]):
        if last is not None and last[0].key != item[0].key:
            found.changed.append(last)
            found.groups.add(last[0].group)
        last = item
    if last is not None:
        found.changed.append(last)
        found.groups.add(last[0].group)
    return found


def remember(store: Store, found: Found) -> None:
    """Record what ``find_changed`` saw: call it in the transaction that saves the files
    (or, when there are none, in a transaction of its own)."""
    if found.dirs:
        store.save_input_dirs(found.dirs)
    if found.gone:
        store.drop_input_dirs(found.gone)
    for key, value in found.meta.items():
        if store.meta(key) != value:
            store.set_meta(key, value)


def _ranked(
    items: Spill[Changed] | list[Changed], order: int
) -> Iterator[tuple[str, int, Changed]]:
    return ((item[0].key, order, item) for item in items)


class _Walk:
    """The walk of the input directories (see the module)."""

    def __init__(self, store: Store, *, rescan: bool, cold: bool, now_ns: int) -> None:
        self.store, self.rescan, self.cold, self.now_ns = store, rescan, cold, now_ns
        self.seen = self.unusable = 0
        self.skipped: list[Rejected] = []
        self.dirs: list[DirState] = []
        self.listed: set[str] = set()  # keys of the directories listed
        self.visited: set[str] = set()
        self.known: dict[str, DirState] = {}

    def root(self, path: str, name: str, out: Spill[Changed]) -> None:
        """Walk the input directory ``path``, keyed ``name``: its changed files into ``out``."""
        prefix = f"{name}/"
        known = self.store.input_dirs(prefix)
        self.known.update(known)
        children: dict[str, list[str]] = {}
        for key in known:
            if key != prefix:
                parent = key[: key.rstrip("/").rfind("/") + 1]
                children.setdefault(parent, []).append(key)
        self._directory(path, prefix, name, frozenset(), children, out)

    def gone(self) -> list[str]:
        """The directories remembered under the roots walked that are no longer there."""
        return sorted(set(self.known) - self.visited)

    def _directory(
        self,
        path: str,
        prefix: str,
        group: str,
        above: frozenset[tuple[int, int]],
        children: dict[str, list[str]],
        out: Spill[Changed],
    ) -> None:
        # os.scandir and plain strings: a cold build of a large archive is mostly this walk,
        # and pathlib costs several times more per file.
        try:
            stat = os.stat(path)
            here = (stat.st_dev, stat.st_ino)
            if here in above:  # a symbolic link back to a directory being walked
                return
        except OSError as exc:
            self.skipped.append(Rejected(path, f"cannot read the directory: {exc.strerror or exc}"))
            return
        above |= {here}
        self.visited.add(prefix)
        known = self.known.get(prefix)
        if (
            known is not None
            and not self.rescan
            and known.mtime_ns == stat.st_mtime_ns
            and known.inode == stat.st_ino
        ):
            # Nothing was added, removed or renamed here: only its subdirectories are looked at.
            self.seen += known.files
            for child in sorted(children.get(prefix, ())):
                name = child[len(prefix) : -1]
                self._directory(os.path.join(path, name), child, name, above, children, out)
            return
        try:
            # Sorted as their keys sort: a directory's files are keyed under "name/".
            entries = sorted(os.scandir(path), key=_sort_key)
        except OSError as exc:
            # Said, not skipped silently: every article under it would go unpublished.
            self.skipped.append(Rejected(path, f"cannot read the directory: {exc.strerror or exc}"))
            return
        # A directory without subdirectories (as last listed) has its files' states read in
        # one go; under one with subdirectories, that would read theirs too.
        states = None
        if not self.cold and prefix not in children:
            states = self.store.files_under(prefix)
        files = 0
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    self._directory(
                        entry.path, f"{prefix}{entry.name}/", entry.name, above, children, out
                    )
                    continue
                kind = kind_of(entry.name)
                if kind is None or not entry.is_file():
                    continue
                file_stat = entry.stat()
            except OSError as exc:
                self.skipped.append(Rejected(entry.path, f"cannot read: {exc.strerror or exc}"))
                continue
            files += 1
            file = SourceFile(
                entry.path,
                f"{prefix}{entry.name}",
                group,
                kind,
                file_stat.st_size,
                file_stat.st_mtime,
            )
            if (changed := self.changed_file(file, states)) is not None:
                out.append(changed)
        self.listed.add(prefix)
        self.seen += files
        racy = self.now_ns - stat.st_mtime_ns < RACY_NS
        self.dirs.append(DirState(prefix, stat.st_ino, None if racy else stat.st_mtime_ns, files))

    def changed_file(
        self, file: SourceFile, states: dict[str, FileState] | None = None
    ) -> Changed | None:
        """``file`` with what the store knows of it (from ``states`` when given: those of
        its directory), unless it is unchanged since; None also for a file whose name the
        store cannot keep (reported as skipped)."""
        if not _storable(file):
            self.unusable += 1
            self.skipped.append(Rejected(_shown_path(file.path), "file name is not valid UTF-8"))
            return None
        if self.cold:
            state = None
        elif states is not None:
            state = states.get(file.key)
        else:
            state = self.store.file_state(file.key)
        if state and state.size == file.size and state.mtime == file.mtime:
            return None
        return file, state


def _sort_key(entry: os.DirEntry[str]) -> str:
    """Where ``entry``'s keys sort among its siblings': under "name/" for a directory."""
    try:
        return entry.name + "/" if entry.is_dir() else entry.name
    except OSError:
        return entry.name


def _recheck(
    store: Store, walk: _Walk, roots: dict[str, list[Path]], now: float
) -> tuple[list[Changed], dict[str, str]]:
    """The known files, in directories not listed, that are recent or next in the rotation
    and changed; and where the rotation goes on next time."""
    cursor: dict[str, str] = json.loads(store.meta(RECHECK_META) or "{}")
    candidates = dict.fromkeys(store.recent_files(now - RECENT))
    for table in ("articles", "rejects"):
        batch = store.files_after(table, cursor.get(table, ""), RECHECK)
        # A short slice ends the round: the next build starts from the first key again.
        cursor[table] = batch[-1][0] if len(batch) == RECHECK else ""
        candidates.update(dict.fromkeys(batch))
    changed: dict[str, Changed] = {}
    checked: set[str] = set()
    for key, size, mtime in candidates:
        directory = key[: key.rfind("/") + 1]
        name, _, rest = key.partition("/")
        if directory in walk.listed or key in checked or name not in roots or not rest:
            continue  # listed already, seen in the other table, or not a file of these inputs
        checked.add(key)
        for root in roots[name]:
            path = os.path.join(root, rest)
            try:
                stat = os.stat(path)
            except OSError:
                continue  # gone (what was published stays), or not under this root
            if stat.st_size == size and stat.st_mtime == mtime:
                break
            state = store.file_state(key)
            if state and state.size == stat.st_size and state.mtime == stat.st_mtime:
                break
            kind = kind_of(rest.rsplit("/", 1)[-1])
            if kind is not None:
                group = directory.rstrip("/").rsplit("/", 1)[-1]
                file = SourceFile(path, key, group, kind, stat.st_size, stat.st_mtime)
                changed[key] = (file, state)
            break
    return [changed[key] for key in sorted(changed)], cursor


def _web(store: Store, walk: _Walk, state: Path) -> tuple[list[Changed], dict[str, str]]:
    """The fetched documents changed since the last build took any, and the meta to keep."""
    known = json.loads(store.meta(WEB_META) or "[0, 0]")
    last, count = int(known[0]), int(known[1])
    files, seq = web_files(store, state, after=last)
    changed: list[Changed] = []
    for file in files:
        file_state = store.file_state(file.key)
        if file_state is None:
            count += 1
        elif file_state.size == file.size and file_state.mtime == file.mtime:
            continue
        changed.append((file, file_state))
    walk.seen += count
    return changed, {WEB_META: json.dumps([seq, count])}


def web_files(store: Store, state: Path, *, after: int) -> tuple[list[SourceFile], int]:
    """The documents the fetcher stored that are ready and changed since number ``after``
    (see ``Store.changed_web_documents``), as the build's input files in key order, and
    the number to pass next time."""
    root = blob_root(state)
    files = []
    documents, last = store.changed_web_documents(after)
    for document in documents:
        parts = WebParts(
            # The canonical URL is the link, when the entry has one.
            url=document.key if document.key.startswith(("http://", "https://")) else None,
            page=str(blob_path(root, document.page_blob)) if document.page_blob else None,
            charset=document.charset,
            entry=str(blob_path(root, document.feed_blob)) if document.feed_blob else None,
            title=document.title,
            published=document.published,
            author=document.author,
            site=document.site,
        )
        host = urlsplit(document.url or document.key.partition(":")[2]).hostname or "web"
        files.append(
            SourceFile(
                document.url or document.key,
                document.key,
                host.lower(),
                "html",
                document.size,
                document.changed,
                parts,
            )
        )
    return files, last


def _storable(file: SourceFile) -> bool:
    """Whether the store can record ``file``: its key and path are kept as UTF-8 text, and
    a name with bytes that are not UTF-8 (decoded by Python to lone surrogates) is not."""
    try:
        file.key.encode("utf-8")
        file.path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown_path(path: str) -> str:
    """``path`` printable: bytes that are not UTF-8 shown as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")
