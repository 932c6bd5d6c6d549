-- Inkstone schema, version 1. Times are Unix milliseconds (UTC). Booleans are 0/1.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    avatar        TEXT,
    bio           TEXT,
    role          TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER
);
CREATE UNIQUE INDEX users_username ON users (username COLLATE NOCASE);
CREATE UNIQUE INDEX users_email ON users (email COLLATE NOCASE);

CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_hash    TEXT    NOT NULL,
    remember     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Bearer tokens of every kind: personal (`pat_...`) and Flarum's `session`,
-- `session_remember` and `developer`. Scopes are space separated; NULL: whatever the owner
-- may.
CREATE TABLE access_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL,
    scopes       TEXT,
    expires_at   INTEGER,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    last_ip      TEXT
);
-- Also serves signing out, which deletes a user's tokens of the session kinds.
CREATE INDEX access_tokens_user ON access_tokens (user_id, kind);

-- The key is kept as a digest (to find it when sent as is) and sealed with the server key
-- (to check signed requests). `allowed_ips` is a JSON array of addresses and CIDR ranges;
-- empty: anywhere.
CREATE TABLE api_keys (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    key_hash        TEXT    NOT NULL UNIQUE,
    key_sealed      TEXT    NOT NULL,
    prefix          TEXT    NOT NULL,
    user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
    can_write_own   INTEGER NOT NULL DEFAULT 0,
    can_write_other INTEGER NOT NULL DEFAULT 0,
    can_delete      INTEGER NOT NULL DEFAULT 0 CHECK (can_delete BETWEEN 0 AND 2),
    allowed_ips     TEXT    NOT NULL DEFAULT '[]',
    enabled         INTEGER NOT NULL DEFAULT 1,
    created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER,
    last_ip         TEXT
);

-- Signatures accepted within their time window, so a replay inside it is refused.
CREATE TABLE used_signatures (
    key_id     INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    signature  TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key_id, signature)
) WITHOUT ROWID;
CREATE INDEX used_signatures_expiry ON used_signatures (expires_at);

-- An invitation is unused while `used_at` is NULL (`used_by` goes NULL if that user is
-- deleted, the invitation stays used).
CREATE TABLE invites (
    id         INTEGER PRIMARY KEY,
    code_hash  TEXT    NOT NULL UNIQUE,
    role       TEXT    NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    used_at    INTEGER
);

-- At most one pending reset per user.
CREATE TABLE password_resets (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);

-- Fixed-window counters shared by every process using the database.
CREATE TABLE rate_limits (
    key          TEXT    PRIMARY KEY,
    count        INTEGER NOT NULL,
    window_start INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rate_limits_start ON rate_limits (window_start);

CREATE TABLE captcha_challenges (
    id          TEXT    PRIMARY KEY,
    answer_hash TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX captcha_challenges_expiry ON captcha_challenges (expires_at);

-- Security events. `user_id` has no foreign key: the record outlives the user. `detail`
-- is a JSON object.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    event      TEXT    NOT NULL,
    user_id    INTEGER,
    credential TEXT,
    ip         TEXT,
    target     TEXT,
    detail     TEXT    NOT NULL DEFAULT '{}'
);
-- Newest first, unfiltered, by event (exact or a prefix range) and by user.
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_event ON audit_log (event, at DESC, id DESC);
CREATE INDEX audit_log_user ON audit_log (user_id, at DESC, id DESC);

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    slug        TEXT    NOT NULL UNIQUE,
    description TEXT,
    parent_id   INTEGER REFERENCES categories (id) ON DELETE SET NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    template    TEXT,
    cover       TEXT
);

CREATE TABLE tags (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    color       TEXT,
    description TEXT
);
CREATE UNIQUE INDEX tags_name ON tags (name COLLATE NOCASE);

-- Small columns first and the large text columns last: SQLite reads a row's columns in
-- order, so filters and sort keys never walk through bodies on overflow pages.
CREATE TABLE items (
    id                   INTEGER PRIMARY KEY,
    kind                 TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    status_before_trash  TEXT,
    published_at         INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    pinned               INTEGER NOT NULL DEFAULT 0,
    pinned_in_category   INTEGER NOT NULL DEFAULT 0,
    comments_allowed     INTEGER NOT NULL DEFAULT 1,
    author_id            INTEGER NOT NULL REFERENCES users (id),
    origin               TEXT    NOT NULL,
    view_count           INTEGER NOT NULL DEFAULT 0,
    like_count           INTEGER NOT NULL DEFAULT 0,
    comment_count        INTEGER NOT NULL DEFAULT 0,
    head_revision_id     INTEGER NOT NULL DEFAULT 0,
    released_revision_id INTEGER,
    version              INTEGER NOT NULL DEFAULT 1,
    format               TEXT    NOT NULL,
    slug                 TEXT    NOT NULL,
    title                TEXT    NOT NULL,
    password             TEXT,
    redirect_url         TEXT,
    template             TEXT,
    cover                TEXT,
    cover_text           TEXT,
    import_key           TEXT UNIQUE,
    excerpt_manual       TEXT,
    excerpt              TEXT    NOT NULL,
    body                 TEXT    NOT NULL,
    html                 TEXT    NOT NULL
);
CREATE UNIQUE INDEX items_kind_slug ON items (kind, slug);
-- The default listing order (pinned first, newest first) straight from an index.
CREATE INDEX items_listing ON items (status, pinned DESC, COALESCE(published_at, created_at) DESC, id DESC);
CREATE INDEX items_kind_listing ON items (kind, status, pinned DESC, COALESCE(published_at, created_at) DESC, id DESC);
CREATE INDEX items_author ON items (author_id, status);
CREATE INDEX items_due ON items (published_at) WHERE status = 'scheduled';

CREATE TABLE revisions (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL,
    format     TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    html       TEXT    NOT NULL,
    author_id  INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX revisions_item ON revisions (item_id, id);

CREATE TABLE item_categories (
    item_id     INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    category_id INTEGER NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (item_id, category_id)
) WITHOUT ROWID;
CREATE INDEX item_categories_category ON item_categories (category_id, item_id);

CREATE TABLE item_tags (
    item_id  INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    tag_id   INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (item_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX item_tags_tag ON item_tags (tag_id, item_id);

CREATE TABLE item_fields (
    item_id  INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (item_id, position)
) WITHOUT ROWID;

-- Terms are segmented by the application (jieba cut_for_search) and joined by spaces, so
-- unicode61 only has to split on them. rowid = items.id.
CREATE VIRTUAL TABLE item_search USING fts5 (title, body, tokenize = 'unicode61 remove_diacritics 2');

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
