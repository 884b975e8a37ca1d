"""The state database's first nine schema steps (versions 0 to 9), as released: the
articles, delivery states, unpublished articles, the fetcher's tables, facets and history
months. ``schema.MIGRATIONS`` continues them; a released step is never edited.
"""

from __future__ import annotations

EARLY_MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: the first schema.
    """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        source_key TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        grp TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime REAL NOT NULL,
        content_hash TEXT NOT NULL,
        body_hash TEXT NOT NULL,
        slug TEXT NOT NULL UNIQUE,
        first_seen TEXT NOT NULL,
        last_changed TEXT NOT NULL,
        published TEXT NOT NULL,
        duplicate_of TEXT,
        story TEXT,
        digest_id TEXT,
        rendered INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL
    );
    CREATE INDEX articles_order ON articles (published DESC, id);
    CREATE INDEX articles_body ON articles (body_hash);
    CREATE INDEX articles_undigested ON articles (digest_id) WHERE digest_id IS NULL;
    CREATE TABLE rejects (
        source_key TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime REAL NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE TABLE boilerplate (
        grp TEXT NOT NULL,
        key TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (grp, key, doc)
    ) WITHOUT ROWID;
    CREATE TABLE terms (
        term TEXT PRIMARY KEY,
        docs INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE digests (
        id TEXT PRIMARY KEY,
        created TEXT NOT NULL,
        subject TEXT NOT NULL,
        entry_ids TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,
        message BLOB NOT NULL
    );
    CREATE TABLE subscribers (
        address TEXT PRIMARY KEY,
        name TEXT,
        status TEXT NOT NULL CHECK (status IN ('active', 'unsubscribed')),
        added TEXT NOT NULL,
        changed TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        digest_id TEXT NOT NULL REFERENCES digests (id),
        address TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        updated TEXT NOT NULL,
        PRIMARY KEY (digest_id, address)
    );
    CREATE TABLE jobs (
        name TEXT PRIMARY KEY,
        last_run TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT
    );
    """,
    # 1 -> 2: small named values a run keeps for the next (the last render's signature).
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 2 -> 3: the followers of a story are looked up by their leader for every article page
    # rendered (a scan of the whole table each time, without it).
    """
    CREATE INDEX articles_story ON articles (story) WHERE story IS NOT NULL;
    """,
    # 3 -> 4: when a recipient was queued for an issue, to give up on it after days of
    # temporary refusals. For older rows the last attempt stands in (it can only be later).
    """
    ALTER TABLE deliveries ADD COLUMN queued TEXT;
    UPDATE deliveries SET queued = updated;
    """,
    # 4 -> 5: two more delivery states. "sending": the message is being handed over (written
    # before DATA, so a run killed after it leaves a trace); "unknown": it may or may not
    # have been accepted (killed, or disconnected after the final dot), so it is not sent
    # again unless the operator asks. SQLite cannot change a CHECK: the table is rebuilt.
    """
    CREATE TABLE deliveries_new (
        digest_id TEXT NOT NULL REFERENCES digests (id),
        address TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unknown')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        updated TEXT NOT NULL,
        queued TEXT NOT NULL,
        PRIMARY KEY (digest_id, address)
    );
    INSERT INTO deliveries_new
        SELECT digest_id, address, status, attempts, last_error, updated,
            COALESCE(queued, updated)
        FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_new RENAME TO deliveries;
    """,
    # 5 -> 6: unpublished articles (``publisher unpublish``): when they were taken down. The
    # row stays, a tombstone, so that the article is never published again.
    """
    ALTER TABLE articles ADD COLUMN removed TEXT;
    """,
    # 6 -> 7: how many times an address subscribed again after unsubscribing. Its
    # unsubscribe links are signed with it, so that a link from before it subscribed again
    # no longer works (0: the links signed before the column existed keep working).
    """
    ALTER TABLE subscribers ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
    """,
    # 7 -> 8: the fetcher's state (store/fetch.py): sources and their health, validators per
    # URL, the documents fetched (their bytes are files named by hash beside the database),
    # other names of a document, and per host robots.txt and how long it asked us to wait.
    """
    CREATE TABLE web_sources (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        url TEXT NOT NULL,
        parent TEXT,
        state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'ok', 'failing', 'gone')),
        since TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        last_success TEXT,
        last_poll TEXT,
        next_poll TEXT
    );
    CREATE TABLE web_validators (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT
    ) WITHOUT ROWID;
    CREATE TABLE web_documents (
        key TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        url TEXT NOT NULL,
        feed_blob TEXT,
        page_blob TEXT,
        charset TEXT,
        title TEXT,
        published TEXT,
        author TEXT,
        site TEXT,
        updated TEXT,
        page_for TEXT,
        wants_page INTEGER NOT NULL,
        ready INTEGER NOT NULL,
        error TEXT,
        size INTEGER NOT NULL DEFAULT 0,
        changed REAL NOT NULL
    );
    CREATE INDEX web_documents_source ON web_documents (source);
    CREATE TABLE web_aliases (
        alias TEXT PRIMARY KEY,
        key TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE web_robots (
        origin TEXT PRIMARY KEY,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        fetched TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE web_hosts (
        host TEXT PRIMARY KEY,
        not_before TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 8 -> 9: what the topic and site feeds are made of, and the month of the feed's history
    # (RFC 5005 archive documents, sitemaps) each article was filed in, once for good.
    # Triggers keep the facets in step with every write of an article's payload; the site of
    # an article is the one its page names, else its input group.
    """
    CREATE TABLE facets (
        kind TEXT NOT NULL CHECK (kind IN ('topic', 'site')),
        name TEXT NOT NULL,
        article TEXT NOT NULL,
        PRIMARY KEY (kind, name, article)
    ) WITHOUT ROWID;
    CREATE INDEX facets_article ON facets (article);
    CREATE TRIGGER facets_insert AFTER INSERT ON articles BEGIN
        INSERT OR IGNORE INTO facets (kind, name, article)
            SELECT 'topic', value, NEW.id FROM json_each(NEW.data, '$.keywords');
        INSERT OR IGNORE INTO facets (kind, name, article) VALUES ('site',
            COALESCE(NULLIF(json_extract(NEW.data, '$.article.site'), ''), NEW.grp), NEW.id);
    END;
    CREATE TRIGGER facets_update AFTER UPDATE OF data, grp ON articles BEGIN
        DELETE FROM facets WHERE article = NEW.id;
        INSERT OR IGNORE INTO facets (kind, name, article)
            SELECT 'topic', value, NEW.id FROM json_each(NEW.data, '$.keywords');
        INSERT OR IGNORE INTO facets (kind, name, article) VALUES ('site',
            COALESCE(NULLIF(json_extract(NEW.data, '$.article.site'), ''), NEW.grp), NEW.id);
    END;
    INSERT OR IGNORE INTO facets (kind, name, article)
        SELECT 'topic', keyword.value, articles.id
        FROM articles, json_each(articles.data, '$.keywords') AS keyword;
    INSERT OR IGNORE INTO facets (kind, name, article)
        SELECT 'site', COALESCE(NULLIF(json_extract(data, '$.article.site'), ''), grp), id
        FROM articles;
    ALTER TABLE articles ADD COLUMN archive_month TEXT;
    CREATE INDEX articles_archive ON articles (archive_month, first_seen, id);
    """,
)
