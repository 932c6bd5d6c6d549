-- The public site: slugs an item was known by before, so old links redirect to its
-- current URL. A trigger keeps it in the transaction that changes the slug, whichever code
-- path does it; the current slug never stays in the history.
CREATE TABLE item_former_slugs (
    kind       TEXT    NOT NULL,
    slug       TEXT    NOT NULL,
    item_id    INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (kind, slug)
);
CREATE INDEX item_former_slugs_item ON item_former_slugs (item_id);

CREATE TRIGGER items_former_slug AFTER UPDATE OF slug ON items
WHEN OLD.slug <> NEW.slug
BEGIN
    INSERT OR REPLACE INTO item_former_slugs (kind, slug, item_id, changed_at)
        VALUES (OLD.kind, OLD.slug, OLD.id, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
    DELETE FROM item_former_slugs WHERE kind = NEW.kind AND slug = NEW.slug;
END;

-- Month archives read publication times of published posts only.
CREATE INDEX items_published_posts ON items (published_at) WHERE status = 'published' AND kind = 'post';
