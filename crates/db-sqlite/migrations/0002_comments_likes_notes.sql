-- Inkstone schema, version 2: comments, likes, notes.
--
-- Counters (`items.comment_count`, `items.like_count`, `comments.like_count`,
-- `notes.like_count`) are kept by the repository in the same transaction as the row that
-- changes them. `items.comment_count` counts approved comments only.

-- The last comment number handed out on an item. Bumped in the insert transaction and
-- never lowered, so a number is never reused, even after a delete.
ALTER TABLE items ADD COLUMN comment_seq INTEGER NOT NULL DEFAULT 0;

-- A reply's parent is on the same item (checked in the insert transaction). Deleting a
-- comment for good keeps its replies: their `parent_id` becomes NULL. `user_id` is set for
-- a signed-in commenter; `author_name` is what readers see (a user's display name at the
-- time, or the guest's name). `ip` and `user_agent` are shown only to moderators.
CREATE TABLE comments (
    id            INTEGER PRIMARY KEY,
    item_id       INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    parent_id     INTEGER REFERENCES comments (id) ON DELETE SET NULL,
    number        INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('approved', 'pending', 'spam', 'hidden', 'trashed')),
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    like_count    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    edited_at     INTEGER,
    hidden_at     INTEGER,
    author_name   TEXT    NOT NULL,
    author_email  TEXT,
    author_url    TEXT,
    author_avatar TEXT,
    ip            TEXT,
    user_agent    TEXT,
    body          TEXT    NOT NULL,
    html          TEXT    NOT NULL
);
CREATE UNIQUE INDEX comments_item_number ON comments (item_id, number);
CREATE INDEX comments_item_status ON comments (item_id, status, number);
CREATE INDEX comments_status ON comments (status, created_at DESC, id DESC);
CREATE INDEX comments_parent ON comments (parent_id);
CREATE INDEX comments_user ON comments (user_id);

-- Short notes. `values_json` is a JSON object (at most 16 KiB).
CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    author_id   INTEGER NOT NULL REFERENCES users (id),
    private     INTEGER NOT NULL DEFAULT 0,
    origin      TEXT    NOT NULL,
    like_count  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    values_json TEXT    NOT NULL DEFAULT '{}',
    body        TEXT    NOT NULL,
    html        TEXT    NOT NULL
);
CREATE INDEX notes_listing ON notes (created_at DESC, id DESC);
CREATE INDEX notes_author ON notes (author_id, created_at DESC);

-- A note's free-form tags, in the order given; matched case-insensitively.
CREATE TABLE note_tags (
    note_id  INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    tag      TEXT    NOT NULL COLLATE NOCASE,
    position INTEGER NOT NULL,
    PRIMARY KEY (note_id, tag)
) WITHOUT ROWID;
CREATE INDEX note_tags_tag ON note_tags (tag, note_id);

-- Likes on items, comments and notes. `liker` is `u:<user id>` for a user, or for an
-- anonymous visitor `v:<keyed hash of the visitor cookie>` or `ip:<keyed hash of the
-- address>` (never a raw address). One like per target and liker.
CREATE TABLE likes (
    id          INTEGER PRIMARY KEY,
    target_kind TEXT    NOT NULL CHECK (target_kind IN ('item', 'comment', 'note')),
    target_id   INTEGER NOT NULL,
    liker       TEXT    NOT NULL,
    user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX likes_target_liker ON likes (target_kind, target_id, liker);
CREATE INDEX likes_target_users ON likes (target_kind, target_id, user_id, id);

-- Likes go with their target, however it is deleted (including comments removed by the
-- cascade from their item).
CREATE TRIGGER items_delete_likes AFTER DELETE ON items BEGIN
    DELETE FROM likes WHERE target_kind = 'item' AND target_id = OLD.id;
END;
CREATE TRIGGER comments_delete_likes AFTER DELETE ON comments BEGIN
    DELETE FROM likes WHERE target_kind = 'comment' AND target_id = OLD.id;
END;
CREATE TRIGGER notes_delete_likes AFTER DELETE ON notes BEGIN
    DELETE FROM likes WHERE target_kind = 'note' AND target_id = OLD.id;
END;
