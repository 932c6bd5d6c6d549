-- Published items in publication order, per kind: month pages, counts within a time range
-- and the previous/next post read this index alone. Without it those queries had to read
-- `published_at` from the rows, which lies behind the body and the HTML and so walks every
-- overflow page of every post (about 20 ms for a post page's neighbours at 2,000 posts).
CREATE INDEX items_publication_order ON items (kind, status, published_at);

-- Covered by the index above (its first two columns are fixed by equality).
DROP INDEX items_published_posts;
