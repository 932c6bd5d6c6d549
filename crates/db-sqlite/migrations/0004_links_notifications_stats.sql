-- Inkstone schema, version 4: links, notifications, stats.

SELECT 1;
