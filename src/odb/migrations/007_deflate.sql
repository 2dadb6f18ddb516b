-- 007_deflate.sql - a channel may offer permessage-deflate (RFC 7692) to the
-- clients that ask for it: 1 on, 0 (the default, and every existing channel) off;
-- deflate_max_window_bits caps the LZ77 windows (9..15; 0, the default: no cap).
-- Same dialect rules as 001 (SQLite and PostgreSQL).

ALTER TABLE channel ADD COLUMN permessage_deflate INTEGER NOT NULL DEFAULT 0 CHECK (permessage_deflate IN (0, 1));
ALTER TABLE channel ADD COLUMN deflate_max_window_bits INTEGER NOT NULL DEFAULT 0 CHECK (deflate_max_window_bits = 0 OR deflate_max_window_bits BETWEEN 9 AND 15);
