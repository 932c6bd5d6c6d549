-- Inkstone schema, version 5: webhooks.

SELECT 1;
