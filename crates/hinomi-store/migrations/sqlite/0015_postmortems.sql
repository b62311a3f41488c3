-- After an incident: its recovery checks, its business-impact record, the postmortem
-- drafted from it (one editable Markdown body per section) and the action items it
-- commits to. The downtime is not stored: it is computed from the incident's milestones.

CREATE TABLE incident_recovery_checks (
    incident_id TEXT    NOT NULL,
    check_name  TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    note        TEXT    NOT NULL,
    checked_by  TEXT    NOT NULL,
    checked_at  INTEGER NOT NULL,
    PRIMARY KEY (incident_id, check_name)
);

CREATE TABLE incident_impact_records (
    incident_id             TEXT    PRIMARY KEY,
    data_loss               TEXT    NOT NULL,
    business_delay          TEXT    NOT NULL,
    customers_handled       TEXT    NOT NULL,
    customers_handled_count INTEGER,
    updated_by              TEXT    NOT NULL,
    updated_at              INTEGER NOT NULL
);

CREATE TABLE postmortems (
    incident_id TEXT    PRIMARY KEY,
    language    TEXT    NOT NULL,
    time_zone   TEXT    NOT NULL,
    drafted_by  TEXT    NOT NULL,
    drafted_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- edited_at is set once a person changes the body: a new draft keeps such sections.
CREATE TABLE postmortem_sections (
    incident_id TEXT    NOT NULL,
    section     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    edited_by   TEXT,
    edited_at   INTEGER,
    PRIMARY KEY (incident_id, section)
);

-- due_on is a calendar date (YYYY-MM-DD): the index lets a chaser find the open items
-- past their date.
CREATE TABLE action_items (
    id          TEXT    PRIMARY KEY,
    incident_id TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    horizon     TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    owner_id    TEXT,
    due_on      TEXT,
    status      TEXT    NOT NULL,
    ticket_url  TEXT,
    source      TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX action_items_incident ON action_items (incident_id, created_at);
CREATE INDEX action_items_due ON action_items (status, due_on);
