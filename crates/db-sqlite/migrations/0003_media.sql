-- Inkstone schema, version 3: media.
--
-- A blob is one stored file, found by the SHA-256 of its bytes: uploads of the same bytes
-- share it. Its storage key is chosen by the server and never reused, so the bytes behind a
-- key never change. The blob row (and its files) goes when the last media row using it is
-- deleted, in the same transaction as that row.

CREATE TABLE media_blobs (
    id           INTEGER PRIMARY KEY,
    sha256       TEXT    NOT NULL UNIQUE,
    storage_key  TEXT    NOT NULL UNIQUE,
    mime         TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    width        INTEGER,
    height       INTEGER,
    thumb_key    TEXT    UNIQUE,
    thumb_mime   TEXT,
    thumb_size   INTEGER,
    thumb_width  INTEGER,
    thumb_height INTEGER,
    created_at   INTEGER NOT NULL
);

CREATE TABLE media_groups (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX media_groups_name ON media_groups (name COLLATE NOCASE);

CREATE TABLE media (
    id            INTEGER PRIMARY KEY,
    blob_id       INTEGER NOT NULL REFERENCES media_blobs (id),
    original_name TEXT    NOT NULL,
    group_id      INTEGER REFERENCES media_groups (id) ON DELETE SET NULL,
    origin        TEXT    NOT NULL,
    uploader_id   INTEGER NOT NULL REFERENCES users (id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX media_blob ON media (blob_id);
CREATE INDEX media_group ON media (group_id, id);
CREATE INDEX media_uploader ON media (uploader_id, id);
