-- 006_tls.sql - a wss:// channel names its certificate chain and private key:
-- paths to PEM files on the server, read by it (the key is never stored here,
-- only its path). "" (the default) for ws:// channels.
-- Same dialect rules as 001 (SQLite and PostgreSQL).

ALTER TABLE channel ADD COLUMN tls_cert TEXT NOT NULL DEFAULT '';
ALTER TABLE channel ADD COLUMN tls_key TEXT NOT NULL DEFAULT '';
