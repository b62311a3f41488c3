-- The public status page: its components, and its own public incidents and scheduled
-- maintenances ("status incidents", apart from the incidents responders work on) with the
-- updates posted on them. An update keeps the components it changed, each with its state
-- before and after, as JSON (`[{"component_id","name","old_state","new_state"}]`).

CREATE TABLE status_components (
    id                    TEXT    PRIMARY KEY,
    name                  TEXT    NOT NULL UNIQUE,
    description           TEXT    NOT NULL,
    group_name            TEXT    NOT NULL,
    position              INTEGER NOT NULL,
    state                 TEXT    NOT NULL,
    showcase              INTEGER NOT NULL,
    only_show_if_degraded INTEGER NOT NULL,
    start_date            TEXT,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

CREATE TABLE status_incidents (
    id              TEXT    PRIMARY KEY,
    kind            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    impact          TEXT    NOT NULL,
    progress        TEXT    NOT NULL,
    scheduled_for   INTEGER,
    scheduled_until INTEGER,
    auto_transition INTEGER NOT NULL,
    -- JSON list of the component ids its updates named, in order.
    component_ids   TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    monitoring_at   INTEGER,
    resolved_at     INTEGER
);
CREATE INDEX status_incidents_created ON status_incidents (created_at);

CREATE TABLE status_updates (
    id          TEXT    PRIMARY KEY,
    incident_id TEXT    NOT NULL REFERENCES status_incidents (id) ON DELETE CASCADE,
    progress    TEXT    NOT NULL,
    body_ja     TEXT    NOT NULL,
    body_en     TEXT    NOT NULL,
    affected    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX status_updates_incident ON status_updates (incident_id, created_at);
