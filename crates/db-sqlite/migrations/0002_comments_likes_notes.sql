-- Inkstone schema, version 2: comments, likes, notes.

SELECT 1;
