-- Inkstone schema, version 3: media.

SELECT 1;
