-- Incidents: the service catalogue, incidents with their impact and milestones, the alert
-- groups they came from, every milestone edit, and the timeline (append-only: a correction
-- is a new entry pointing at the one it corrects).

CREATE TABLE services (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL,
    team_id     TEXT,
    created_at  INTEGER NOT NULL
);

-- Named counters. A declaration takes its incident's number with
-- UPDATE ... RETURNING inside its transaction: the row lock (PostgreSQL) or the one writer
-- (SQLite) hands out each number once, with no gap unless the transaction rolls back.
CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('incident', 0);

CREATE TABLE incidents (
    id                 TEXT    PRIMARY KEY,
    number             INTEGER NOT NULL UNIQUE,
    title              TEXT    NOT NULL,
    summary            TEXT    NOT NULL,
    severity           INTEGER NOT NULL,
    status             TEXT    NOT NULL,
    people_affected    INTEGER,
    revenue_per_day    INTEGER,
    currency           TEXT,
    customers_affected INTEGER,
    reputational_risk  TEXT,
    started_at         INTEGER,
    detected_at        INTEGER,
    declared_at        INTEGER NOT NULL,
    acknowledged_at    INTEGER,
    mitigated_at       INTEGER,
    resolved_at        INTEGER,
    declared_by        TEXT    NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX incidents_status ON incidents (status, number);

CREATE TABLE incident_services (
    incident_id TEXT NOT NULL,
    service_id  TEXT NOT NULL,
    PRIMARY KEY (incident_id, service_id)
);
CREATE INDEX incident_services_service ON incident_services (service_id);

CREATE TABLE incident_alert_groups (
    incident_id TEXT    NOT NULL,
    group_key   TEXT    NOT NULL,
    linked_at   INTEGER NOT NULL,
    PRIMARY KEY (incident_id, group_key)
);
CREATE INDEX incident_alert_groups_key ON incident_alert_groups (group_key);

CREATE TABLE incident_milestone_edits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT    NOT NULL,
    milestone   TEXT    NOT NULL,
    previous_at INTEGER,
    new_at      INTEGER,
    reason      TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX incident_milestone_edits_incident ON incident_milestone_edits (incident_id, id);

CREATE TABLE incident_timeline (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    verdict     TEXT,
    data        TEXT    NOT NULL,
    corrects    INTEGER
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, at, id);
CREATE UNIQUE INDEX incident_timeline_corrects ON incident_timeline (corrects);

CREATE TRIGGER incident_timeline_no_update BEFORE UPDATE ON incident_timeline
BEGIN SELECT RAISE(ABORT, 'the incident timeline is append-only'); END;
CREATE TRIGGER incident_timeline_no_delete BEFORE DELETE ON incident_timeline
BEGIN SELECT RAISE(ABORT, 'the incident timeline is append-only'); END;
CREATE TRIGGER incident_milestone_edits_no_update BEFORE UPDATE ON incident_milestone_edits
BEGIN SELECT RAISE(ABORT, 'milestone edits are append-only'); END;
CREATE TRIGGER incident_milestone_edits_no_delete BEFORE DELETE ON incident_milestone_edits
BEGIN SELECT RAISE(ABORT, 'milestone edits are append-only'); END;
