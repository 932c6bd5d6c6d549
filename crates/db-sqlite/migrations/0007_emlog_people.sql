-- What a guest liker chose to show on public lists of likes (emlog `addlike`'s `name` and
-- `avatar`). NULL for signed-in likers (their profile shows) and for guests who gave none.
ALTER TABLE likes ADD COLUMN name TEXT;
ALTER TABLE likes ADD COLUMN avatar TEXT;
