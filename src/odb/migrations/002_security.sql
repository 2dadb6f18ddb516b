-- 002_security.sql - security definitions (what a client logs in with), the
-- channel's key to its definition, and two channel fields: hook_service and
-- gateway_services. Same dialect rules as 001 (SQLite and PostgreSQL).
--
-- A password or API key is stored as an Argon2id string (password_hash); a JWT
-- secret, needed in clear to check signatures, is stored encrypted with the
-- server's key (secret_sealed, see src/security/security.c). Nothing here is a
-- secret in clear.

CREATE TABLE security_definition (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cluster_id INTEGER NOT NULL REFERENCES cluster (id),
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('basic_auth', 'jwt', 'apikey')),
    username TEXT,
    password_hash TEXT,
    secret_sealed TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (cluster_id, name),
    CHECK (type <> 'basic_auth' OR (username IS NOT NULL AND password_hash IS NOT NULL)),
    CHECK (type <> 'apikey' OR (username IS NULL AND password_hash IS NOT NULL)),
    CHECK (type <> 'jwt' OR (secret_sealed IS NOT NULL AND password_hash IS NULL)),
    CHECK (type = 'jwt' OR secret_sealed IS NULL)
);

-- The channel points at its definition by id, so renaming a definition keeps its
-- channels; the key refuses to delete a definition a channel still uses.
ALTER TABLE channel ADD COLUMN security_id BIGINT REFERENCES security_definition (id);
CREATE INDEX channel_security ON channel (security_id);

-- security_name held a definition's name before definitions existed; the API
-- refused every non-empty value, so only a hand-edited ODB has one. No definition
-- can match it, and opening such a channel without a login check would quietly
-- drop the protection its owner asked for: it is made inactive instead.
UPDATE channel SET is_active = 0 WHERE security_name IS NOT NULL;
ALTER TABLE channel DROP COLUMN security_name;

-- hook_service: NULL for none. gateway_services: the allow-list of
-- helpers.web-sockets-gateway, service names separated by single spaces.
ALTER TABLE channel ADD COLUMN hook_service TEXT;
ALTER TABLE channel ADD COLUMN gateway_services TEXT NOT NULL DEFAULT '';
