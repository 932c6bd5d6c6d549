-- Favorites: a user's bookmarks of items (emlog's `collect` family). One row per user and
-- item; `items.favorite_count` moves in the same transaction as the row.
CREATE TABLE favorites (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, item_id)
) WITHOUT ROWID;
CREATE INDEX favorites_by_item ON favorites(item_id);
CREATE INDEX favorites_by_user_time ON favorites(user_id, created_at DESC);

ALTER TABLE items ADD COLUMN favorite_count INTEGER NOT NULL DEFAULT 0;
