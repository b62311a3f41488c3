-- OpenID Connect sign-ins in progress: what the callback needs to finish the flow, kept in
-- the database so that any instance can receive the callback. A row is taken (deleted) by
-- the callback that uses it, so a state works once; rows expire after a few minutes.

CREATE TABLE oidc_flows (
    state_hash    TEXT    PRIMARY KEY,
    -- SHA-256 of the random value in the browser's flow cookie: the callback must come
    -- from the browser that started the sign-in.
    browser_hash  TEXT    NOT NULL,
    nonce         TEXT    NOT NULL,
    pkce_verifier TEXT    NOT NULL,
    next_path     TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX oidc_flows_expires ON oidc_flows (expires_at);
