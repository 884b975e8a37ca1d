"""The tables of what the build read and made: input files, articles, the cross-document
boilerplate memory and the keyword terms' document frequencies."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from .database import Database, dt, in_chunks, ts
from .payload import FINGERPRINT_DATA, LISTING_DATA, ArticleListing, ArticleRecord, Listing

# The condition of a published article: neither a copy of another nor unpublished.
PUBLISHED = "duplicate_of IS NULL AND removed IS NULL"
# The articles of a month ("YYYY-MM"), as a range of publication times (stored text starts
# "YYYY-MM-", and "." sorts right after "-"): the index of the newest serves it, read
# backwards for a month's order (oldest first), so no index of months is kept.
_IN_MONTH = "published >= ? AND published < ?"


def _month_range(month: str) -> tuple[str, str]:
    """The bounds of ``_IN_MONTH`` for ``month``."""
    return f"{month}-", f"{month}."


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

    def set_duplicate(self, article_id: str, original: str | None, changed: datetime) -> None:
        """Make an article a copy of ``original`` (or, with None, an original itself), changed
        at ``changed``; its page is rendered (or removed) again."""
        self.db.execute(
            "UPDATE articles SET duplicate_of = ?, last_changed = ?, rendered = 0 WHERE id = ?",
            (original, ts(changed), article_id),
        )

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

    def has_unrendered(self) -> bool:
        """Whether an article was saved since its archive page was last written."""
        row = self.db.execute("SELECT EXISTS (SELECT 1 FROM articles WHERE rendered = 0)")
        return bool(row.fetchone()[0])

    def unrendered_count(self) -> int:
        """How many published articles were saved since their page was last written."""
        row = self.db.execute(f"SELECT COUNT(*) FROM articles WHERE rendered = 0 AND {PUBLISHED}")
        return int(row.fetchone()[0])

    def unrendered_ids(self, *, also: Iterable[str] = ()) -> Iterator[str]:
        """The ids of the published articles saved since their page was last written, and
        of ``also``, in id order, read as they are wanted."""
        rows = self.db.execute(
            f"SELECT id FROM articles WHERE rendered = 0 AND {PUBLISHED} "
            "UNION SELECT value FROM json_each(?) ORDER BY 1",
            (json.dumps(sorted(also)),),
        )
        for row in rows:
            yield row[0]

    def published_ids(self) -> Iterator[str]:
        """The ids of every published article, in id order, read as they are wanted."""
        for row in self.db.execute(f"SELECT id FROM articles WHERE {PUBLISHED} ORDER BY id"):
            yield row[0]

    def unrendered_copies(self) -> set[str]:
        """The slugs of articles that became copies of another since the last render: a page
        written before then goes."""
        # The articles waiting for their page are few; copies can be many.
        rows = self.db.execute(
            "SELECT slug FROM articles INDEXED BY articles_unrendered WHERE rendered = 0 "
            "AND duplicate_of IS NOT NULL AND removed IS NULL"
        )
        return {row[0] for row in rows}

    def mark_rendered(self) -> None:
        """Record that the pages of every article saved are written."""
        with self.transaction():
            self.db.execute("UPDATE articles SET rendered = 1 WHERE rendered = 0")

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
            # "+": not by the index of rounds (then sorted, all of them), but in the order of
            # the newest, where those not yet in the mail stream are.
            where.append("+round IS NULL")
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

    def month_order(self, month: str, *, offset: int = 0) -> Iterator[tuple[str, str]]:
        """(id, last change) of each published article of ``month``, oldest first: the
        exact reverse of the newest-first order of :meth:`light_articles`; from the
        ``offset``-th on (the articles before it are skipped inside SQLite), read as they
        are wanted."""
        rows = self.db.execute(
            "SELECT id, last_changed FROM articles "
            f"WHERE {PUBLISHED} AND {_IN_MONTH} "
            "ORDER BY published, last_changed, id DESC LIMIT -1 OFFSET ?",
            (*_month_range(month), offset),
        )
        yield from ((article_id, changed) for article_id, changed in rows)

    def month_position(self, month: str, published: str) -> int:
        """How many published articles of ``month`` were published before ``published`` (a
        stored time): the articles that come before it in the month's order."""
        row = self.db.execute(
            f"SELECT COUNT(*) FROM articles WHERE {PUBLISHED} AND {_IN_MONTH} AND published < ?",
            (*_month_range(month), published),
        ).fetchone()
        return int(row[0])

    def months(self) -> dict[str, tuple[int, int, str | None]]:
        """Each month with published articles ("YYYY-MM"): (article count, version, dirty).

        Kept up to date by triggers on every write of an article (see the 10 -> 11 migration):
        the version changes whenever an article enters, leaves or changes in the month, and
        ``dirty`` is the earliest publication time (stored text) among the articles that did
        since ``clean_months`` (None: none did). So the months' pages that may have changed
        are known without reading a record.
        """
        return {
            month: (count, version, dirty)
            for month, count, version, dirty in self.db.execute(
                "SELECT month, articles, version, dirty FROM archive_months "
                "WHERE articles > 0 ORDER BY month"
            )
        }

    def clean_months(self) -> None:
        """Record that every month's pages are rendered (see ``months``)."""
        self.db.execute("UPDATE archive_months SET dirty = NULL WHERE dirty IS NOT NULL")

    def undigested_latest_change(self) -> datetime | None:
        """The newest change among articles not yet in the mail stream (in no mail round)."""
        # The partial index of their change times: one look at its end.
        row = self.db.execute(
            "SELECT MAX(last_changed) FROM articles INDEXED BY articles_unsent_changed "
            f"WHERE round IS NULL AND {PUBLISHED}"
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

    def undigested_count(self) -> int:
        """How many published articles are not yet in the mail stream (in no mail round)."""
        # Counted in the partial index of exactly these rows (the planner would take the
        # index of rounds and read each row to check it is published).
        row = self.db.execute(
            "SELECT COUNT(*) FROM articles INDEXED BY articles_unsent_changed "
            f"WHERE round IS NULL AND {PUBLISHED}"
        ).fetchone()
        return int(row[0])

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
        """A version of the stored data that outputs show: it changes whenever an article or
        a digest issue is added, removed or changed (triggers count every such write; see
        the 10 -> 11 migration), without reading any row. Marking articles rendered does not
        change it: articles waiting for their page (``unrendered``) are checked apart.
        """
        row = self.db.execute("SELECT version FROM data_version").fetchone()
        return str(row[0])

    def article_count(self) -> int:
        """How many articles are published (duplicates of another are not)."""
        row = self.db.execute("SELECT ifnull(SUM(articles), 0) FROM archive_months")
        return int(row.fetchone()[0])

    def latest_change(self) -> datetime | None:
        """The newest ``last_changed`` of any article, duplicates included."""
        row = self.db.execute("SELECT MAX(last_changed) FROM articles").fetchone()
        return dt(row[0]) if row and row[0] else None

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
