"""The tables of what the build read and made: input files, articles, the cross-document
boilerplate memory and the keyword terms' document frequencies."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .database import Database, dt, in_chunks, ts
from .payload import FINGERPRINT_DATA, LISTING_DATA, ArticleListing, ArticleRecord, Listing

# The condition of a published article: neither a copy of another nor unpublished.
PUBLISHED = "duplicate_of IS NULL AND removed IS NULL"
# The article columns, in the order ArticleRow lists them: what every record read selects.
_COLUMNS = (
    "id, source_key, source, grp, slug, content_hash, body_hash, first_seen, last_changed, "
    "published, duplicate_of, story, digest_id"
)


@dataclass(frozen=True)
class FileState:
    """What the store remembers of one input file, to skip it when it has not changed."""

    id: str | None  # None for a file that was rejected
    size: int
    mtime: float
    content_hash: str | None


class ArticleTables(Database):
    """The methods of the tables the build keeps (see the module)."""

    # -- input files ---------------------------------------------------------------------

    def file_states(self) -> dict[str, FileState]:
        """Every input file the store knows, by source key (articles and rejected files)."""
        states = {
            row["source_key"]: FileState(row["id"], row["size"], row["mtime"], row["content_hash"])
            for row in self.db.execute(
                "SELECT id, source_key, size, mtime, content_hash FROM articles"
            )
        }
        # A file that was published once and is now unusable keeps its article (nothing
        # published is lost), but its current size and mtime are those of the rejection.
        for row in self.db.execute("SELECT source_key, size, mtime FROM rejects"):
            states[row["source_key"]] = FileState(None, row["size"], row["mtime"], None)
        return states

    def record_rejection(self, source_key: str, size: int, mtime: float, reason: str) -> None:
        """Remember that the file at this size and mtime cannot be used, and why."""
        self.db.execute(
            "INSERT INTO rejects (source_key, size, mtime, reason) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (source_key) DO UPDATE SET size = excluded.size, "
            "mtime = excluded.mtime, reason = excluded.reason",
            (source_key, size, mtime, reason),
        )

    def touch_file(self, source_key: str, size: int, mtime: float) -> None:
        """Remember new size/mtime for a file whose content hash did not change."""
        self.db.execute(
            "UPDATE articles SET size = ?, mtime = ? WHERE source_key = ?",
            (size, mtime, source_key),
        )

    # -- articles ------------------------------------------------------------------------

    def article_by_key(self, source_key: str) -> ArticleRecord | None:
        """The article made from the input file ``source_key``, if any."""
        row = self.db.execute(
            f"SELECT {_COLUMNS}, data FROM articles WHERE source_key = ?", (source_key,)
        ).fetchone()
        return _record(row) if row else None

    def original_of(self, body_hash: str, source_key: str) -> str | None:
        """The id of another published article with exactly this cleaned text, if any (a
        first guess while a batch is saved: ``regroup_duplicates`` decides)."""
        row = self.db.execute(
            f"SELECT id FROM articles WHERE body_hash = ? AND {PUBLISHED} "
            "AND source_key != ? ORDER BY published, source_key LIMIT 1",
            (body_hash, source_key),
        ).fetchone()
        return row[0] if row else None

    def regroup_duplicates(self, hashes: Iterable[str]) -> list[tuple[str, str | None]]:
        """The articles whose side must change, with the hashes' groups of identical articles
        ordered as a cold build would read them: (article id, the original it copies, or None
        when it is now the original). In each group the original is the first published
        (earliest ``published``, then source key); every other member copies it."""
        changes: list[tuple[str, str | None]] = []
        for chunk, marks in in_chunks(hashes):
            rows = self.db.execute(
                f"SELECT id, body_hash, duplicate_of FROM articles WHERE body_hash IN ({marks}) "
                # An unpublished article comes first: its copies stay unpublished with it.
                "ORDER BY body_hash, removed IS NULL, published, source_key",
                chunk,
            )
            original: tuple[str, str] | None = None  # (body hash, id)
            for article_id, body_hash, duplicate_of in rows:
                if original is None or original[0] != body_hash:
                    original = (body_hash, article_id)
                wanted = None if original[1] == article_id else original[1]
                if duplicate_of != wanted:
                    changes.append((article_id, wanted))
        return changes

    def set_duplicate(self, article_id: str, original: str | None, changed: datetime) -> None:
        """Make an article a copy of ``original`` (or, with None, an original itself), changed
        at ``changed``; its page is rendered (or removed) again."""
        self.db.execute(
            "UPDATE articles SET duplicate_of = ?, last_changed = ?, rendered = 0 WHERE id = ?",
            (original, ts(changed), article_id),
        )

    def body_hashes(self, ids: Iterable[str]) -> set[str]:
        """The body hashes of these articles."""
        found: set[str] = set()
        for chunk, marks in in_chunks(ids):
            rows = self.db.execute(f"SELECT body_hash FROM articles WHERE id IN ({marks})", chunk)
            found.update(row[0] for row in rows)
        return found

    def slug_taken(self, slug: str) -> bool:
        """Whether an article (of any kind) has this page name."""
        row = self.db.execute("SELECT 1 FROM articles WHERE slug = ?", (slug,)).fetchone()
        return row is not None

    def save_article(
        self, record: ArticleRecord, *, size: int, mtime: float, first: bool = False
    ) -> None:
        """Insert or replace an article; id, slug and first-seen of a known key never change.

        ``first`` says the store has never recorded the article's file: there is no rejection
        of it to forget.
        """
        if not first:
            self.db.execute("DELETE FROM rejects WHERE source_key = ?", (record.source_key,))
        self.db.execute(
            """
            INSERT INTO articles (id, source_key, source, grp, size, mtime, content_hash,
                body_hash, slug, first_seen, last_changed, published, duplicate_of, story,
                digest_id, data)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                source = excluded.source, grp = excluded.grp, size = excluded.size,
                mtime = excluded.mtime, content_hash = excluded.content_hash,
                body_hash = excluded.body_hash,
                last_changed = excluded.last_changed, published = excluded.published,
                duplicate_of = excluded.duplicate_of, story = excluded.story,
                rendered = 0, data = excluded.data
            """,
            (
                record.id,
                record.source_key,
                record.source,
                record.group,
                size,
                mtime,
                record.content_hash,
                record.body_hash,
                record.slug,
                ts(record.first_seen),
                ts(record.last_changed),
                ts(record.published),
                record.duplicate_of,
                record.story,
                record.digest_id,
                record.data,
            ),
        )

    def replace_article_data(self, article_id: str, body_hash: str, data: str) -> None:
        """Give an article a new payload (``data``, from ``StoredArticle.encode``) and body hash,
        everything else kept; its page is rendered again."""
        self.db.execute(
            "UPDATE articles SET body_hash = ?, data = ?, rendered = 0 WHERE id = ?",
            (body_hash, data, article_id),
        )

    def unrendered(self) -> list[str]:
        """Ids of articles saved since their archive page was last written."""
        return [row[0] for row in self.db.execute("SELECT id FROM articles WHERE rendered = 0")]

    def mark_rendered(self, ids: Iterable[str]) -> None:
        """Record that the pages of these articles are written."""
        with self.transaction():
            self.db.executemany(
                "UPDATE articles SET rendered = 1 WHERE id = ?", ((i,) for i in ids)
            )

    def set_story(self, article_id: str, story: str | None) -> None:
        """Change an article's story group. Its page and the pages of its old and new leader
        list the group's reports, so all of them are rendered again."""
        row = self.db.execute("SELECT story FROM articles WHERE id = ?", (article_id,)).fetchone()
        self.db.execute(
            "UPDATE articles SET story = ?, rendered = 0 WHERE id = ?", (story, article_id)
        )
        leaders = {leader for leader in (row[0] if row else None, story) if leader}
        self.db.executemany(
            "UPDATE articles SET rendered = 0 WHERE id = ?", ((leader,) for leader in leaders)
        )

    def articles(self, *, limit: int | None = None) -> list[ArticleRecord]:
        """Published articles, newest first (by published date, then id for a stable order)."""
        sql = (
            f"SELECT {_COLUMNS}, data FROM articles WHERE {PUBLISHED} "
            "ORDER BY published DESC, last_changed DESC, id"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_record(row) for row in self.db.execute(sql)]

    def fingerprints(
        self, *, limit: int
    ) -> list[tuple[str, datetime, str | None, tuple[int, ...]]]:
        """(id, first seen, story, story fingerprint) of the ``limit`` newest published
        articles, in the order of :meth:`articles`: all that story grouping reads, so SQLite
        leaves the bodies undecoded."""
        rows = self.db.execute(
            f"SELECT id, first_seen, story, {FINGERPRINT_DATA} FROM articles "
            f"WHERE {PUBLISHED} ORDER BY published DESC, last_changed DESC, id "
            "LIMIT ?",
            (limit,),
        )
        return [
            (article_id, dt(first_seen), story, tuple(json.loads(fingerprint or "[]")))
            for article_id, first_seen, story, fingerprint in rows
        ]

    def light_articles(
        self,
        *,
        undigested: bool = False,
        stories: Iterable[str] = (),
        ids: Iterable[str] = (),
        limit: int | None = None,
    ) -> list[ArticleListing]:
        """Published articles, newest first, without their bodies (see ``Listing``).

        The body blocks, terms and fingerprint are dropped by SQLite before Python decodes
        anything: archive pages and the digest need titles and summaries, not bodies.
        Filters: ``undigested`` (not yet in the mail stream: in no mail round), ``stories``
        (articles that follow one of these leaders), ``ids`` (these articles); ``limit``
        keeps the newest.
        """
        where, params = [PUBLISHED], []
        wanted = sorted(set(ids))
        if wanted:
            where.append(f"id IN ({','.join('?' * len(wanted))})")
            params += wanted
        if undigested:
            where.append("round IS NULL")
        leaders = sorted(set(stories))
        if leaders:
            where.append(f"story IN ({','.join('?' * len(leaders))})")
            params += leaders
        sql = (
            f"SELECT {_COLUMNS}, {LISTING_DATA} FROM articles WHERE {' AND '.join(where)} "
            "ORDER BY published DESC, last_changed DESC, id"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_listing(row) for row in self.db.execute(sql, params)]

    def month_order(self, month: str) -> list[tuple[str, str]]:
        """(id, last change) of each published article of ``month``, oldest first: the
        exact reverse of the newest-first order of :meth:`light_articles`."""
        rows = self.db.execute(
            "SELECT id, last_changed FROM articles "
            f"WHERE {PUBLISHED} AND substr(published, 1, 7) = ? "
            "ORDER BY published, last_changed, id DESC",
            (month,),
        )
        return [(article_id, changed) for article_id, changed in rows]

    def months(self) -> dict[str, tuple[int, str]]:
        """Each month with published articles ("YYYY-MM"): (article count, latest change).

        Every save moves an article's ``last_changed`` past all others, and an article that
        moves to another month changes both months' counts: the pair says whether a month's
        page must be rendered again, without reading a record.
        """
        return {
            month: (count, latest)
            for month, count, latest in self.db.execute(
                "SELECT substr(published, 1, 7), COUNT(*), MAX(last_changed) FROM articles "
                f"WHERE {PUBLISHED} GROUP BY 1 ORDER BY 1"
            )
        }

    def undigested_latest_change(self) -> datetime | None:
        """The newest change among articles not yet in the mail stream (in no mail round)."""
        row = self.db.execute(
            f"SELECT MAX(last_changed) FROM articles WHERE round IS NULL AND {PUBLISHED}"
        ).fetchone()
        return dt(row[0]) if row and row[0] else None

    def articles_by_id(self, ids: Iterable[str]) -> dict[str, ArticleRecord]:
        """Full records of the given articles, by id (unknown ids are left out)."""
        found: dict[str, ArticleRecord] = {}
        for chunk, marks in in_chunks(ids):
            for row in self.db.execute(
                f"SELECT {_COLUMNS}, data FROM articles WHERE id IN ({marks})", chunk
            ):
                found[row["id"]] = _record(row)
        return found

    def pages(self) -> dict[str, str]:
        """Every published article's slug (its page is ``articles/<slug>.html``) and id."""
        rows = self.db.execute(f"SELECT slug, id FROM articles WHERE {PUBLISHED}")
        return dict(rows.fetchall())

    def copies_pages(self) -> set[str]:
        """The slugs of articles that are copies of another: they have no page."""
        rows = self.db.execute(
            "SELECT slug FROM articles WHERE duplicate_of IS NOT NULL AND removed IS NULL"
        )
        return {row[0] for row in rows}

    def undigested_ids(self) -> set[str]:
        """Ids of published articles not yet in the mail stream (in no mail round): what the
        next round of issues takes in."""
        return {
            row[0]
            for row in self.db.execute(
                f"SELECT id FROM articles WHERE round IS NULL AND {PUBLISHED}"
            )
        }

    def data_version(self) -> str:
        """A cheap summary that changes whenever stored data that outputs show changes.

        Articles are never deleted and every save moves ``last_changed`` forward (or marks the
        article unrendered); digest issues are only added. So counts and maxima suffice,
        without reading any payload. Articles waiting for their page (``unrendered``) are
        checked apart: marking them rendered must not change this value.
        """
        articles = self.db.execute(
            "SELECT COUNT(*), MAX(last_changed), SUM(round IS NULL), "
            f"SUM({PUBLISHED}) FROM articles"
        ).fetchone()
        digests = self.db.execute("SELECT COUNT(*), MAX(created) FROM digests").fetchone()
        return json.dumps([*articles, *digests])

    def article_count(self) -> int:
        """How many articles are published (duplicates of another are not)."""
        row = self.db.execute(f"SELECT COUNT(*) FROM articles WHERE {PUBLISHED}")
        return int(row.fetchone()[0])

    def latest_change(self) -> datetime | None:
        """The newest ``last_changed`` of any article, duplicates included."""
        row = self.db.execute("SELECT MAX(last_changed) FROM articles").fetchone()
        return dt(row[0]) if row and row[0] else None

    # -- cross-document boilerplate memory -------------------------------------------------

    def record_boilerplate(
        self, group: str, doc: str, keys: Iterable[str], *, first: bool = False
    ) -> None:
        """Remember which line keys document ``doc`` of ``group`` contains (replacing old ones).

        ``first`` says the store has never recorded ``doc``: there is nothing to replace.
        """
        if not first:
            # Scans the group's rows (the key is ordered by line key, not document): cheap for
            # one changed file, but a cold build of a large site must not pay it per file.
            self.db.execute("DELETE FROM boilerplate WHERE grp = ? AND doc = ?", (group, doc))
        # One statement for all the keys, handed over as one JSON array: binding and stepping
        # a statement per key cost a cold build's parent more than SQLite's inserting does.
        self.db.execute(
            "INSERT OR IGNORE INTO boilerplate (grp, key, doc) "
            "SELECT ?, value, ? FROM json_each(?)",
            (group, doc, json.dumps(list(keys))),
        )

    def recurring_keys(self, group: str, *, min_docs: int = 2) -> dict[str, int]:
        """Keys seen in at least ``min_docs`` documents of ``group``, with their counts."""
        rows = self.db.execute(
            "SELECT key, COUNT(*) FROM boilerplate WHERE grp = ? GROUP BY key HAVING COUNT(*) >= ?",
            (group, min_docs),
        )
        return {key: count for key, count in rows}

    # -- keyword document frequencies --------------------------------------------------------

    def set_term_counts(self, counts: Iterable[tuple[str, int]]) -> None:
        """Store how many documents contain each term (see TermCounts, which counts them)."""
        self.db.executemany(
            "INSERT INTO terms (term, docs) VALUES (?, ?) "
            "ON CONFLICT (term) DO UPDATE SET docs = excluded.docs",
            counts,
        )

    def term_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """How many documents contain each of ``terms`` (terms never counted are left out)."""
        result: dict[str, int] = {}
        for chunk, marks in in_chunks(terms):
            for row in self.db.execute(
                f"SELECT term, docs FROM terms WHERE term IN ({marks})", chunk
            ):
                result[row["term"]] = row["docs"]
        return result


class TermCounts:
    """The keyword terms' document frequencies while a batch of articles is saved: each term
    is read from the store once, counted here and written back by ``flush``.

    An upsert and a look-up per term of every saved article cost the saving of a cold build
    more than anything else; most terms recur from article to article. At most ``limit``
    terms are held: past that, ``add`` writes them back and forgets them.
    """

    def __init__(self, store: ArticleTables, *, limit: int = 50_000) -> None:
        self.store, self.limit = store, limit
        # Every term read or counted since the last flush; None for one the store lacks.
        self.counts: dict[str, int | None] = {}
        self.changed: dict[str, int] = {}  # the counts to write back

    def add(self, terms: Iterable[str], delta: int = 1) -> dict[str, int]:
        """Count one more (or, with delta=-1, one fewer) document containing each term;
        return the terms' new counts.

        A count never drops below 0, except that of a term never counted, which becomes
        ``delta``: the rule the store's terms table has always followed.
        """
        if len(self.counts) > self.limit:
            self.flush()
        distinct = set(terms)
        counts = self._load(distinct)
        added = {
            term: delta if (count := counts[term]) is None else max(0, count + delta)
            for term in distinct
        }
        counts.update(added)
        self.changed.update(added)
        return added

    def flush(self) -> None:
        """Write the changed counts to the store (in term order: its key order) and forget
        every term read."""
        self.store.set_term_counts(sorted(self.changed.items()))
        self.counts.clear()
        self.changed.clear()

    def _load(self, terms: set[str]) -> dict[str, int | None]:
        missing = [term for term in terms if term not in self.counts]
        if missing:
            stored = self.store.term_frequencies(missing)
            self.counts.update((term, stored.get(term)) for term in missing)
        return self.counts


# The values of ArticleRow's fields, in order.
_Columns = tuple[
    str,
    str,
    str,
    str,
    str,
    str,
    str,
    datetime,
    datetime,
    datetime,
    str | None,
    str | None,
    str | None,
]


def _columns(row: sqlite3.Row) -> _Columns:
    """The values of ArticleRow's fields in a row selected as ``_COLUMNS``."""
    return (
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        row[6],
        dt(row[7]),
        dt(row[8]),
        dt(row[9]),
        row[10],
        row[11],
        row[12],
    )


def _record(row: sqlite3.Row) -> ArticleRecord:
    return ArticleRecord(*_columns(row), data=row[13])


def _listing(row: sqlite3.Row) -> ArticleListing:
    return ArticleListing(*_columns(row), listing=Listing.decode(row[13]))
