-- The alert pipeline: alerts, silences, groups and their timers, the notification log,
-- the outbox with its delivery log, integration keys, change events and the event log.
-- Instants are UTC epoch milliseconds; booleans are 0/1; JSON is stored as text.

-- An alert is two rows: what it is (labels, annotations, link, dedup key), written when
-- it first arrives or changes, and its times, rewritten on every re-post. Keeping the times
-- in a narrow table of their own makes a re-post touch a few bytes instead of the whole
-- alert, which is most of what an alert storm writes.
CREATE TABLE alerts (
    fingerprint   INTEGER PRIMARY KEY,
    labels        TEXT    NOT NULL,
    annotations   TEXT    NOT NULL,
    generator_url TEXT    NOT NULL,
    dedup         TEXT
);
CREATE INDEX alerts_dedup ON alerts (dedup) WHERE dedup IS NOT NULL;

CREATE TABLE alert_times (
    fingerprint INTEGER PRIMARY KEY,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    timeout     INTEGER NOT NULL
);

CREATE TABLE silences (
    id         TEXT    PRIMARY KEY,
    matchers   TEXT    NOT NULL,
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    comment    TEXT    NOT NULL
);

CREATE TABLE alert_groups (
    group_key     TEXT    PRIMARY KEY,
    route_id      TEXT    NOT NULL,
    receiver      TEXT    NOT NULL,
    group_labels  TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    next_flush_at INTEGER NOT NULL,
    flushed       INTEGER NOT NULL
);
CREATE INDEX alert_groups_due ON alert_groups (next_flush_at);

CREATE TABLE group_alerts (
    group_key   TEXT    NOT NULL,
    fingerprint INTEGER NOT NULL,
    PRIMARY KEY (group_key, fingerprint)
);
CREATE INDEX group_alerts_fingerprint ON group_alerts (fingerprint);

CREATE TABLE notify_log (
    group_key   TEXT    NOT NULL,
    receiver    TEXT    NOT NULL,
    integration INTEGER NOT NULL,
    firing      TEXT    NOT NULL,
    resolved    TEXT    NOT NULL,
    sent_at     INTEGER NOT NULL,
    PRIMARY KEY (group_key, receiver, integration)
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT    NOT NULL UNIQUE,
    group_key       TEXT    NOT NULL,
    receiver        TEXT    NOT NULL,
    integration     INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER
);
CREATE INDEX outbox_pending ON outbox (due_at) WHERE state = 'pending';

CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id   INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    status_code INTEGER,
    error       TEXT,
    instance    TEXT    NOT NULL
);
CREATE INDEX deliveries_outbox ON deliveries (outbox_id);

CREATE TABLE integrations (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL,
    key_hash   TEXT    NOT NULL UNIQUE,
    labels     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE changes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    integration    TEXT    NOT NULL,
    summary        TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    at             INTEGER NOT NULL,
    custom_details TEXT    NOT NULL,
    links          TEXT    NOT NULL,
    received_at    INTEGER NOT NULL
);

CREATE TABLE events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    data    TEXT    NOT NULL
);
CREATE INDEX events_subject ON events (subject, at);
