-- Inkstone schema, version 4: friend links, notifications, page-view statistics.

-- `url_key` is the URL compared for duplicates (host lower-cased without `www.`, no
-- scheme, no trailing slash; see inkstone_core::links::url_key). `applied`: came through
-- the public form; pending review while also hidden.
CREATE TABLE friend_links (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    url_key     TEXT    NOT NULL UNIQUE,
    image       TEXT,
    description TEXT,
    visible     INTEGER NOT NULL DEFAULT 1,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    applied     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX friend_links_order ON friend_links (visible, sort_order, created_at, id);

-- One row per recipient. `data` is a JSON object (an event's summary).
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    link       TEXT,
    subject_id INTEGER,
    data       TEXT    NOT NULL DEFAULT '{}',
    read_at    INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- Page-view counters per day (`YYYY-MM-DD` in the site's time zone). UV counts distinct
-- visitor hashes of that day.
CREATE TABLE stats_daily (
    day TEXT    PRIMARY KEY,
    pv  INTEGER NOT NULL DEFAULT 0,
    uv  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE stats_pages (
    day  TEXT    NOT NULL,
    path TEXT    NOT NULL,
    pv   INTEGER NOT NULL DEFAULT 0,
    uv   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, path)
) WITHOUT ROWID;
CREATE INDEX stats_pages_path ON stats_pages (path);

-- The random salt of the current day and the salted visitor hashes seen that day. Both
-- are deleted once the day is over; addresses are never stored.
CREATE TABLE stats_salts (
    day  TEXT PRIMARY KEY,
    salt TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE stats_visitors (
    day     TEXT NOT NULL,
    visitor TEXT NOT NULL,
    PRIMARY KEY (day, visitor)
) WITHOUT ROWID;

CREATE TABLE stats_page_visitors (
    day     TEXT NOT NULL,
    path    TEXT NOT NULL,
    visitor TEXT NOT NULL,
    PRIMARY KEY (day, path, visitor)
) WITHOUT ROWID;
