-- Access: people, their sessions and API tokens, and the audit log of what they did.
-- Secrets are never stored: passwords as argon2 hashes, session ids and tokens as SHA-256.

CREATE TABLE users (
    id                   TEXT    PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL,
    email                TEXT,
    password_hash        TEXT,
    role                 TEXT    NOT NULL,
    locale               TEXT,
    time_zone            TEXT,
    oidc_subject         TEXT    UNIQUE,
    must_change_password INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    disabled_at          INTEGER
);

CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    source     TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           TEXT    PRIMARY KEY,
    user_id      TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    role         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    actor_kind TEXT    NOT NULL,
    actor_id   TEXT    NOT NULL,
    actor_name TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    source     TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Append-only: the database refuses to change or remove an entry.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
