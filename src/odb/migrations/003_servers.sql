-- 003_servers.sql - what a cluster needs to know of each server: the host it binds
-- its channels on (--bind-host; NULL: each channel's own host), when it started,
-- and when it left on purpose (NULL while it runs or after a crash: only the
-- heartbeat tells those apart). Same dialect rules as 001 (SQLite and PostgreSQL).

ALTER TABLE server ADD COLUMN bind_host TEXT;
ALTER TABLE server ADD COLUMN started_at TEXT;
ALTER TABLE server ADD COLUMN left_at TEXT;

-- rows from before: the earliest time known of them
UPDATE server SET started_at = last_heartbeat;

