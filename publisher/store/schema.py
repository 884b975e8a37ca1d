"""The state database's schema: ``MIGRATIONS[n]`` takes schema version n to n + 1.

The version is SQLite's ``PRAGMA user_version``; ``Database.open`` applies the missing steps,
each in its own transaction. A step, once released, is never edited: add another.
"""

from __future__ import annotations

from .schema_early import EARLY_MIGRATIONS


def _micros(column: str) -> str:
    """SQL for a stored time (``database.ts``: YYYY-MM-DDTHH:MM:SS.ffffff+00:00) in whole
    microseconds since 1970: the seconds taken without their fraction (SQLite would round it
    to milliseconds), the fraction added as an integer."""
    return (
        f"(1000000 * unixepoch(substr({column}, 1, 19)) + CAST(substr({column}, 21, 6) AS INTEGER))"
    )


def _site(row: str) -> str:
    """SQL for the site facet of an article row (``NEW`` or ``OLD``): the site its page
    names, else its input group."""
    return f"COALESCE(NULLIF(json_extract({row}.data, '$.article.site'), ''), {row}.grp)"


MIGRATIONS: tuple[str, ...] = (
    *EARLY_MIGRATIONS,
    # 9 -> 10: readers who manage their own subscription (issue 23).
    # subscribers: a third status, "suspended" (its mail bounced), and why (``reason``); the
    # reader's preferences (JSON; NULL: the defaults); ``position``, the mail round up to
    # which the reader has been considered, and ``considered``, when that last happened.
    # articles.round: the mail round in which an article entered the mail stream (NULL: not
    # yet; the articles already in an issue entered before any round).
    # issue_entries: which articles each issue holds, to know which stories a reader had.
    # signups: the confirmation mails asked for on the signup form (their rate limits too).
    # bounces: each bounce or complaint read back, once per message.
    # erased: keyed hashes of the addresses whose owners deleted their data, so that no
    # import adds them again.
    """
    CREATE TABLE subscribers_new (
        address TEXT PRIMARY KEY,
        name TEXT,
        status TEXT NOT NULL CHECK (status IN ('active', 'unsubscribed', 'suspended')),
        added TEXT NOT NULL,
        changed TEXT NOT NULL,
        epoch INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        preferences TEXT,
        position INTEGER NOT NULL DEFAULT 0,
        considered TEXT
    );
    INSERT INTO subscribers_new (address, name, status, added, changed, epoch)
        SELECT address, name, status, added, changed, epoch FROM subscribers;
    DROP TABLE subscribers;
    ALTER TABLE subscribers_new RENAME TO subscribers;
    ALTER TABLE articles ADD COLUMN round INTEGER;
    UPDATE articles SET round = 0 WHERE digest_id IS NOT NULL;
    CREATE INDEX articles_round ON articles (round);
    CREATE TABLE issue_entries (
        entry_id TEXT NOT NULL,
        digest_id TEXT NOT NULL REFERENCES digests (id),
        PRIMARY KEY (entry_id, digest_id)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO issue_entries (entry_id, digest_id)
        SELECT entry.value, digests.id FROM digests, json_each(digests.entry_ids) AS entry;
    CREATE INDEX deliveries_address ON deliveries (address);
    CREATE TABLE signups (
        id INTEGER PRIMARY KEY,
        address TEXT NOT NULL,
        domain TEXT NOT NULL,
        client TEXT NOT NULL,
        requested TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    CREATE INDEX signups_requested ON signups (requested);
    CREATE INDEX signups_address ON signups (address);
    CREATE TABLE bounces (
        message TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        received TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
        detail TEXT NOT NULL
    );
    CREATE INDEX bounces_address ON bounces (address, received);
    CREATE TABLE erased (
        digest TEXT PRIMARY KEY,
        erased TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 10 -> 11: a build's cost independent of the archive's size, and bounded state (issue 24).
    # Every query a build runs is served by an index (tests/test_query_plans.py); what a
    # build used to count or list over the whole archive is kept up to date by triggers:
    # the published articles and a version of each month (archive_months, with the earliest
    # publication time changed since its pages were rendered), and one version of all that
    # the outputs show (data_version). The boilerplate memory becomes a window per site: the
    # line keys of its last documents (boilerplate_docs), counted per key
    # (boilerplate_keys, with the documents that left the window for keys that recurred),
    # see store/boilerplate.py. What a killed build left to finish is rows, not a JSON list
    # (pending_trims, pending_hashes); input directories are remembered with their mtime
    # (input_dirs), so an unchanged directory is not listed; fetched documents are numbered
    # as they change, so a build reads only those changed since the last one.
    """
    CREATE INDEX articles_month
        ON articles (substr(published, 1, 7), published, last_changed, id DESC)
        WHERE duplicate_of IS NULL AND removed IS NULL;
    CREATE INDEX articles_newest ON articles (published DESC, last_changed DESC, id)
        WHERE duplicate_of IS NULL AND removed IS NULL;
    DROP INDEX articles_order;
    CREATE INDEX articles_changed ON articles (last_changed);
    CREATE INDEX articles_mtime ON articles (mtime);
    CREATE INDEX articles_unrendered ON articles (id) WHERE rendered = 0;
    CREATE INDEX articles_unsent_changed ON articles (last_changed)
        WHERE round IS NULL AND duplicate_of IS NULL AND removed IS NULL;
    CREATE INDEX articles_removed ON articles (slug)
        WHERE removed IS NOT NULL AND duplicate_of IS NULL;
    CREATE INDEX articles_copies ON articles (slug)
        WHERE duplicate_of IS NOT NULL AND removed IS NULL;
    CREATE INDEX articles_removed_months ON articles (id, archive_month)
        WHERE removed IS NOT NULL;
    CREATE INDEX rejects_mtime ON rejects (mtime);
    CREATE INDEX digests_created ON digests (created DESC, id DESC);

    CREATE TABLE archive_months (
        month TEXT PRIMARY KEY,
        articles INTEGER NOT NULL,
        version INTEGER NOT NULL,
        dirty TEXT
    ) WITHOUT ROWID;
    INSERT INTO archive_months (month, articles, version, dirty)
        SELECT substr(published, 1, 7), COUNT(*), 0, NULL FROM articles
        WHERE duplicate_of IS NULL AND removed IS NULL GROUP BY 1;
    CREATE TABLE data_version (
        only INTEGER PRIMARY KEY CHECK (only = 0),
        version INTEGER NOT NULL
    );
    INSERT INTO data_version (only, version) VALUES (0, 0);
    CREATE TRIGGER articles_insert_shown AFTER INSERT ON articles BEGIN
        UPDATE data_version SET version = version + 1;
        INSERT INTO archive_months (month, articles, version, dirty)
            SELECT substr(NEW.published, 1, 7), 1, 1, NEW.published
            WHERE NEW.duplicate_of IS NULL AND NEW.removed IS NULL
            ON CONFLICT (month) DO UPDATE SET articles = articles + 1, version = version + 1,
                dirty = min(ifnull(dirty, excluded.dirty), excluded.dirty);
    END;
    CREATE TRIGGER articles_update_shown AFTER UPDATE OF
        published, last_changed, duplicate_of, removed, data, slug, story, digest_id, round
        ON articles BEGIN
        UPDATE data_version SET version = version + 1;
    END;
    CREATE TRIGGER articles_update_month AFTER UPDATE OF
        published, last_changed, duplicate_of, removed, data, slug, story ON articles BEGIN
        UPDATE archive_months SET articles = articles - 1, version = version + 1,
            dirty = min(ifnull(dirty, OLD.published), OLD.published)
            WHERE month = substr(OLD.published, 1, 7)
            AND OLD.duplicate_of IS NULL AND OLD.removed IS NULL;
        INSERT INTO archive_months (month, articles, version, dirty)
            SELECT substr(NEW.published, 1, 7), 1, 1, NEW.published
            WHERE NEW.duplicate_of IS NULL AND NEW.removed IS NULL
            ON CONFLICT (month) DO UPDATE SET articles = articles + 1, version = version + 1,
                dirty = min(ifnull(dirty, excluded.dirty), excluded.dirty);
    END;
    CREATE TRIGGER articles_delete_shown AFTER DELETE ON articles BEGIN
        UPDATE data_version SET version = version + 1;
        UPDATE archive_months SET articles = articles - 1, version = version + 1,
            dirty = min(ifnull(dirty, OLD.published), OLD.published)
            WHERE month = substr(OLD.published, 1, 7)
            AND OLD.duplicate_of IS NULL AND OLD.removed IS NULL;
    END;
    CREATE TRIGGER digests_insert_shown AFTER INSERT ON digests BEGIN
        UPDATE data_version SET version = version + 1;
    END;
    CREATE TRIGGER digests_update_shown AFTER UPDATE ON digests BEGIN
        UPDATE data_version SET version = version + 1;
    END;
    CREATE TRIGGER digests_delete_shown AFTER DELETE ON digests BEGIN
        UPDATE data_version SET version = version + 1;
    END;

    CREATE TABLE boilerplate_docs (
        doc TEXT PRIMARY KEY,
        grp TEXT NOT NULL,
        seq INTEGER NOT NULL,
        keys TEXT NOT NULL
    );
    CREATE UNIQUE INDEX boilerplate_docs_order ON boilerplate_docs (grp, seq);
    CREATE TABLE boilerplate_keys (
        grp TEXT NOT NULL,
        key TEXT NOT NULL,
        docs INTEGER NOT NULL,
        past INTEGER NOT NULL DEFAULT 0,
        seen INTEGER NOT NULL,
        PRIMARY KEY (grp, key)
    ) WITHOUT ROWID;
    CREATE INDEX boilerplate_recurring ON boilerplate_keys (grp, key, docs, past)
        WHERE docs + past >= 2;
    CREATE INDEX boilerplate_absent ON boilerplate_keys (grp, seen) WHERE docs = 0;
    CREATE TABLE boilerplate_groups (
        grp TEXT PRIMARY KEY,
        docs INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO boilerplate_docs (doc, grp, seq, keys)
        SELECT doc, grp,
            ROW_NUMBER() OVER (PARTITION BY grp
                ORDER BY (SELECT last_changed FROM articles WHERE source_key = doc), doc),
            json_group_array(key)
        FROM boilerplate GROUP BY grp, doc;
    INSERT INTO boilerplate_keys (grp, key, docs, past, seen)
        SELECT b.grp, b.key, COUNT(*), 0, MAX(d.seq)
        FROM boilerplate AS b JOIN boilerplate_docs AS d ON d.doc = b.doc
        GROUP BY b.grp, b.key;
    INSERT INTO boilerplate_groups (grp, docs)
        SELECT grp, MAX(seq) FROM boilerplate_docs GROUP BY grp;
    DROP TABLE boilerplate;
    CREATE TRIGGER boilerplate_docs_counted AFTER INSERT ON boilerplate_docs BEGIN
        INSERT INTO boilerplate_groups (grp, docs) VALUES (NEW.grp, NEW.seq)
            ON CONFLICT (grp) DO UPDATE SET docs = max(docs, excluded.docs);
        INSERT INTO boilerplate_keys (grp, key, docs, past, seen)
            SELECT NEW.grp, value, 1, 0, NEW.seq FROM json_each(NEW.keys) WHERE true
            ON CONFLICT (grp, key) DO UPDATE SET docs = docs + 1, seen = excluded.seen;
    END;

    CREATE TABLE pending_trims (
        id TEXT PRIMARY KEY,
        grp TEXT NOT NULL,
        keys TEXT
    );
    CREATE INDEX pending_trims_group ON pending_trims (grp, id);
    CREATE TABLE pending_hashes (hash TEXT PRIMARY KEY) WITHOUT ROWID;
    INSERT OR IGNORE INTO pending_trims (id, grp, keys)
        SELECT a.id, a.grp, NULL
        FROM json_each(ifnull((SELECT value FROM meta WHERE key = 'unfinished'), '[]')) AS j
        JOIN articles AS a ON a.id = j.value;
    INSERT OR IGNORE INTO pending_hashes (hash)
        SELECT value
        FROM json_each(ifnull((SELECT value FROM meta WHERE key = 'unfinished-hashes'), '[]'));
    DELETE FROM meta WHERE key IN ('unfinished', 'unfinished-hashes');

    CREATE TABLE input_dirs (
        key TEXT PRIMARY KEY,
        inode INTEGER NOT NULL,
        mtime_ns INTEGER,
        files INTEGER NOT NULL
    ) WITHOUT ROWID;

    ALTER TABLE web_documents ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
    UPDATE web_documents SET seq = rowid;
    CREATE INDEX web_documents_seq ON web_documents (seq);
    CREATE TRIGGER web_documents_numbered AFTER INSERT ON web_documents BEGIN
        UPDATE web_documents SET seq = (SELECT ifnull(MAX(seq), 0) + 1 FROM web_documents)
            WHERE key = NEW.key;
    END;
    """,
    # 11 -> 12: the feed's history months kept by triggers (issue 24, second round), as the
    # archive's months are: how many articles each holds (duplicates too), a version, and
    # the earliest first_seen among its articles changed since its sitemaps were written
    # (``dirty``), so that a build reads neither every filed article to list the months nor
    # a whole month to write its newest sitemap. The topics' and sites' counts likewise
    # (facet_counts: facet rows, those of published articles, a version bumped by any change
    # of one of its articles), so that ranking topics and telling which facets changed
    # reads no article either; and each facet row carries its article's publication and
    # change times (kept by triggers), so that a facet's newest articles come from an index
    # in order instead of every article of the facet read and sorted.
    """
    CREATE TABLE history_months (
        month TEXT PRIMARY KEY,
        articles INTEGER NOT NULL,
        version INTEGER NOT NULL,
        dirty TEXT
    ) WITHOUT ROWID;
    INSERT INTO history_months (month, articles, version, dirty)
        SELECT archive_month, COUNT(*), 0, NULL FROM articles
        WHERE archive_month IS NOT NULL GROUP BY 1;
    CREATE TRIGGER articles_history_filed AFTER UPDATE OF archive_month ON articles BEGIN
        UPDATE history_months SET articles = articles - 1, version = version + 1,
            dirty = min(ifnull(dirty, OLD.first_seen), OLD.first_seen)
            WHERE month = OLD.archive_month;
        INSERT INTO history_months (month, articles, version, dirty)
            SELECT NEW.archive_month, 1, 1, NEW.first_seen WHERE NEW.archive_month IS NOT NULL
            ON CONFLICT (month) DO UPDATE SET articles = articles + 1, version = version + 1,
                dirty = min(ifnull(dirty, excluded.dirty), excluded.dirty);
    END;
    CREATE TRIGGER articles_history_changed AFTER UPDATE OF
        slug, first_seen, last_changed, duplicate_of, removed ON articles
        WHEN NEW.archive_month IS NOT NULL BEGIN
        UPDATE history_months SET version = version + 1,
            dirty = min(ifnull(dirty, OLD.first_seen), OLD.first_seen, NEW.first_seen)
            WHERE month = NEW.archive_month;
    END;
    CREATE TRIGGER articles_history_deleted AFTER DELETE ON articles
        WHEN OLD.archive_month IS NOT NULL BEGIN
        UPDATE history_months SET articles = articles - 1, version = version + 1,
            dirty = min(ifnull(dirty, OLD.first_seen), OLD.first_seen)
            WHERE month = OLD.archive_month;
    END;

    CREATE TABLE facet_counts (
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        total INTEGER NOT NULL,
        shown INTEGER NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (kind, name)
    ) WITHOUT ROWID;
    CREATE INDEX facet_counts_ranked ON facet_counts (kind, total DESC, name);
    INSERT INTO facet_counts (kind, name, total, shown, version)
        SELECT f.kind, f.name, COUNT(*),
            SUM(a.id IS NOT NULL AND a.duplicate_of IS NULL AND a.removed IS NULL), 0
        FROM facets AS f LEFT JOIN articles AS a ON a.id = f.article GROUP BY 1, 2;
    CREATE TRIGGER facets_counted AFTER INSERT ON facets BEGIN
        INSERT INTO facet_counts (kind, name, total, shown, version)
            SELECT NEW.kind, NEW.name, 1, ifnull((SELECT duplicate_of IS NULL AND removed IS NULL
                FROM articles WHERE id = NEW.article), 0), 1
            ON CONFLICT (kind, name) DO UPDATE SET total = total + 1,
                shown = shown + excluded.shown, version = version + 1;
    END;
    CREATE TRIGGER facets_uncounted AFTER DELETE ON facets BEGIN
        UPDATE facet_counts SET total = total - 1, version = version + 1,
            shown = shown - ifnull((SELECT duplicate_of IS NULL AND removed IS NULL
                FROM articles WHERE id = OLD.article), 0)
            WHERE kind = OLD.kind AND name = OLD.name;
    END;
    -- BEFORE: the article's facets are still those counted under its old state (an update
    -- of its payload replaces them after, counted under the new one).
    CREATE TRIGGER facets_shown BEFORE UPDATE OF duplicate_of, removed ON articles
        WHEN (OLD.duplicate_of IS NULL AND OLD.removed IS NULL)
            != (NEW.duplicate_of IS NULL AND NEW.removed IS NULL) BEGIN
        UPDATE facet_counts SET version = version + 1,
            shown = shown + (NEW.duplicate_of IS NULL AND NEW.removed IS NULL)
                - (OLD.duplicate_of IS NULL AND OLD.removed IS NULL)
            WHERE (kind, name) IN (SELECT kind, name FROM facets WHERE article = OLD.id);
    END;
    CREATE TRIGGER facets_changed AFTER UPDATE OF last_changed ON articles BEGIN
        UPDATE facet_counts SET version = version + 1
            WHERE (kind, name) IN (SELECT kind, name FROM facets WHERE article = NEW.id);
    END;

    ALTER TABLE facets ADD COLUMN published TEXT;
    ALTER TABLE facets ADD COLUMN last_changed TEXT;
    UPDATE facets SET (published, last_changed) =
        (SELECT published, last_changed FROM articles WHERE id = facets.article);
    CREATE INDEX facets_newest ON facets (kind, name, published DESC, last_changed DESC, article);
    DROP TRIGGER facets_insert;
    DROP TRIGGER facets_update;
    CREATE TRIGGER facets_insert AFTER INSERT ON articles BEGIN
        INSERT OR IGNORE INTO facets (kind, name, article, published, last_changed)
            SELECT 'topic', value, NEW.id, NEW.published, NEW.last_changed
            FROM json_each(NEW.data, '$.keywords');
        INSERT OR IGNORE INTO facets (kind, name, article, published, last_changed)
            VALUES ('site', COALESCE(NULLIF(json_extract(NEW.data, '$.article.site'), ''),
                NEW.grp), NEW.id, NEW.published, NEW.last_changed);
    END;
    CREATE TRIGGER facets_update AFTER UPDATE OF data, grp ON articles BEGIN
        DELETE FROM facets WHERE article = NEW.id;
        INSERT OR IGNORE INTO facets (kind, name, article, published, last_changed)
            SELECT 'topic', value, NEW.id, NEW.published, NEW.last_changed
            FROM json_each(NEW.data, '$.keywords');
        INSERT OR IGNORE INTO facets (kind, name, article, published, last_changed)
            VALUES ('site', COALESCE(NULLIF(json_extract(NEW.data, '$.article.site'), ''),
                NEW.grp), NEW.id, NEW.published, NEW.last_changed);
    END;
    CREATE TRIGGER facets_ordered AFTER UPDATE OF published, last_changed ON articles BEGIN
        UPDATE facets SET published = NEW.published, last_changed = NEW.last_changed
            WHERE article = NEW.id;
    END;
    """,
    # 12 -> 13: bounded state (issue 24, item 2). The facet rows were the state's largest
    # cost per article after its own row (about 1.6 KB: six rows, each stored twice with two
    # 32-character times, once in the table and once in the index ordering a facet's
    # newest, and a third time in the index by article). The table is now that order
    # itself (its primary key: a facet, newest first), the two times are whole
    # microseconds since 1970 (``ts`` writes every time in one UTC form, so their order is
    # the text's), and there is no index by article: an article's facet rows are those its
    # payload and group name, with its times, which is how the triggers find them (an
    # update replaces them whole, a change of visibility recounts those of the old row).
    # A facet's newest still come from an index in order, at about 0.35 KB an article.
    # A month's articles are a range of the index of the newest (read backwards for the
    # month's order): the index of months goes, and so does that of articles without a
    # digest, which no query uses since mail rounds (``round``) replaced it.
    f"""
    DROP INDEX articles_month;
    DROP INDEX articles_undigested;
    DROP TRIGGER facets_insert;
    DROP TRIGGER facets_update;
    DROP TRIGGER facets_ordered;
    DROP TRIGGER facets_shown;
    DROP TRIGGER facets_changed;
    CREATE TABLE facets_new (
        kind TEXT NOT NULL CHECK (kind IN ('topic', 'site')),
        name TEXT NOT NULL,
        published INTEGER NOT NULL,
        last_changed INTEGER NOT NULL,
        article TEXT NOT NULL,
        PRIMARY KEY (kind, name, published DESC, last_changed DESC, article)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO facets_new (kind, name, published, last_changed, article)
        SELECT kind, name, {_micros("published")}, {_micros("last_changed")}, article
        FROM facets;
    DROP TABLE facets;
    ALTER TABLE facets_new RENAME TO facets;
    CREATE TRIGGER facets_counted AFTER INSERT ON facets BEGIN
        INSERT INTO facet_counts (kind, name, total, shown, version)
            SELECT NEW.kind, NEW.name, 1, ifnull((SELECT duplicate_of IS NULL AND removed IS NULL
                FROM articles WHERE id = NEW.article), 0), 1
            ON CONFLICT (kind, name) DO UPDATE SET total = total + 1,
                shown = shown + excluded.shown, version = version + 1;
    END;
    CREATE TRIGGER facets_uncounted AFTER DELETE ON facets BEGIN
        UPDATE facet_counts SET total = total - 1, version = version + 1,
            shown = shown - ifnull((SELECT duplicate_of IS NULL AND removed IS NULL
                FROM articles WHERE id = OLD.article), 0)
            WHERE kind = OLD.kind AND name = OLD.name;
    END;
    CREATE TRIGGER facets_shown BEFORE UPDATE OF duplicate_of, removed ON articles
        WHEN (OLD.duplicate_of IS NULL AND OLD.removed IS NULL)
            != (NEW.duplicate_of IS NULL AND NEW.removed IS NULL) BEGIN
        UPDATE facet_counts SET version = version + 1,
            shown = shown + (NEW.duplicate_of IS NULL AND NEW.removed IS NULL)
                - (OLD.duplicate_of IS NULL AND OLD.removed IS NULL)
            WHERE kind = 'topic' AND name IN (SELECT value FROM json_each(OLD.data, '$.keywords'));
        UPDATE facet_counts SET version = version + 1,
            shown = shown + (NEW.duplicate_of IS NULL AND NEW.removed IS NULL)
                - (OLD.duplicate_of IS NULL AND OLD.removed IS NULL)
            WHERE kind = 'site' AND name = {_site("OLD")};
    END;
    CREATE TRIGGER facets_insert AFTER INSERT ON articles BEGIN
        INSERT OR IGNORE INTO facets (kind, name, published, last_changed, article)
            SELECT 'topic', value, {_micros("NEW.published")},
                {_micros("NEW.last_changed")}, NEW.id
            FROM json_each(NEW.data, '$.keywords');
        INSERT OR IGNORE INTO facets (kind, name, published, last_changed, article)
            VALUES ('site', {_site("NEW")}, {_micros("NEW.published")},
                {_micros("NEW.last_changed")}, NEW.id);
    END;
    -- Any change of what a facet row holds or is found by replaces the article's rows (the
    -- counts' triggers bump each facet's version, which a change of last_changed must).
    CREATE TRIGGER facets_update AFTER UPDATE OF data, grp, published, last_changed
        ON articles BEGIN
        DELETE FROM facets WHERE kind = 'topic'
            AND name IN (SELECT value FROM json_each(OLD.data, '$.keywords'))
            AND published = {_micros("OLD.published")}
            AND last_changed = {_micros("OLD.last_changed")} AND article = OLD.id;
        DELETE FROM facets WHERE kind = 'site' AND name = {_site("OLD")}
            AND published = {_micros("OLD.published")}
            AND last_changed = {_micros("OLD.last_changed")} AND article = OLD.id;
        INSERT OR IGNORE INTO facets (kind, name, published, last_changed, article)
            SELECT 'topic', value, {_micros("NEW.published")},
                {_micros("NEW.last_changed")}, NEW.id
            FROM json_each(NEW.data, '$.keywords');
        INSERT OR IGNORE INTO facets (kind, name, published, last_changed, article)
            VALUES ('site', {_site("NEW")}, {_micros("NEW.published")},
                {_micros("NEW.last_changed")}, NEW.id);
    END;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
