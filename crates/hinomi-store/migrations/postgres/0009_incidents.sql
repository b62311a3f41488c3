-- Incidents: the service catalogue, incidents with their impact and milestones, the alert
-- groups they came from, every milestone edit, and the timeline (append-only: a correction
-- is a new entry pointing at the one it corrects).

CREATE TABLE services (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL,
    team_id     TEXT,
    created_at  BIGINT NOT NULL
);

-- Named counters. A declaration takes its incident's number with
-- UPDATE ... RETURNING inside its transaction: the row lock (PostgreSQL) or the one writer
-- (SQLite) hands out each number once, with no gap unless the transaction rolls back.
CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('incident', 0);

CREATE TABLE incidents (
    id                 TEXT    PRIMARY KEY,
    number             BIGINT NOT NULL UNIQUE,
    title              TEXT    NOT NULL,
    summary            TEXT    NOT NULL,
    severity           BIGINT NOT NULL,
    status             TEXT    NOT NULL,
    people_affected    BIGINT,
    revenue_per_day    BIGINT,
    currency           TEXT,
    customers_affected BIGINT,
    reputational_risk  TEXT,
    started_at         BIGINT,
    detected_at        BIGINT,
    declared_at        BIGINT NOT NULL,
    acknowledged_at    BIGINT,
    mitigated_at       BIGINT,
    resolved_at        BIGINT,
    declared_by        TEXT    NOT NULL,
    updated_at         BIGINT NOT NULL
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
    linked_at   BIGINT NOT NULL,
    PRIMARY KEY (incident_id, group_key)
);
CREATE INDEX incident_alert_groups_key ON incident_alert_groups (group_key);

CREATE TABLE incident_milestone_edits (
    id          BIGSERIAL PRIMARY KEY,
    incident_id TEXT    NOT NULL,
    milestone   TEXT    NOT NULL,
    previous_at BIGINT,
    new_at      BIGINT,
    reason      TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX incident_milestone_edits_incident ON incident_milestone_edits (incident_id, id);

CREATE TABLE incident_timeline (
    id          BIGSERIAL PRIMARY KEY,
    incident_id TEXT    NOT NULL,
    at          BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    kind        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    verdict     TEXT,
    data        TEXT    NOT NULL,
    corrects    BIGINT
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, at, id);
CREATE UNIQUE INDEX incident_timeline_corrects ON incident_timeline (corrects);

CREATE FUNCTION incident_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the incident timeline and milestone edits are append-only';
END;
$$;
CREATE TRIGGER incident_timeline_no_change BEFORE UPDATE OR DELETE ON incident_timeline
FOR EACH ROW EXECUTE FUNCTION incident_records_append_only();
CREATE TRIGGER incident_milestone_edits_no_change BEFORE UPDATE OR DELETE ON incident_milestone_edits
FOR EACH ROW EXECUTE FUNCTION incident_records_append_only();
