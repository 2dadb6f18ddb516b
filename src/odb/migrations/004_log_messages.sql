-- 004_log_messages.sql - a channel may log the traffic of its connections: the
-- first log_messages bytes of each message in and out, 0 (the default) for none.
-- Same dialect rules as 001 (SQLite and PostgreSQL).

ALTER TABLE channel ADD COLUMN log_messages BIGINT NOT NULL DEFAULT 0 CHECK (log_messages >= 0);
