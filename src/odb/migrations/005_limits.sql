-- 005_limits.sql - per-channel limits: how many upgraded connections a channel
-- takes at once (0, the default: no limit), and what happens to a client whose
-- unsent output stays above write_queue_high_water bytes: "close" (1008 after
-- slow_consumer_seconds, the default) or "drop" (new messages to it are dropped).
-- Same dialect rules as 001 (SQLite and PostgreSQL).

ALTER TABLE channel ADD COLUMN max_connections BIGINT NOT NULL DEFAULT 0 CHECK (max_connections >= 0);
ALTER TABLE channel ADD COLUMN slow_consumer_policy TEXT NOT NULL DEFAULT 'close' CHECK (slow_consumer_policy IN ('close', 'drop'));
ALTER TABLE channel ADD COLUMN slow_consumer_seconds BIGINT NOT NULL DEFAULT 10 CHECK (slow_consumer_seconds >= 1);
ALTER TABLE channel ADD COLUMN write_queue_high_water BIGINT NOT NULL DEFAULT 4194304 CHECK (write_queue_high_water >= 1024);
