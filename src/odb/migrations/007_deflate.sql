-- 007_deflate.sql - a channel may offer permessage-deflate (RFC 7692) to the
-- clients that ask for it: 1 on, 0 (the default, and every existing channel) off.
-- Same dialect rules as 001 (SQLite and PostgreSQL).

ALTER TABLE channel ADD COLUMN permessage_deflate INTEGER NOT NULL DEFAULT 0 CHECK (permessage_deflate IN (0, 1));
