-- Incident roles: who holds which role of the response team on an incident (a person with
-- an account, or an external contact without one), kept after they hand it on, and the
-- catalogue of external contacts (vendors' people).

CREATE TABLE external_contacts (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    organisation TEXT    NOT NULL,
    email        TEXT,
    phone        TEXT,
    locale       TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);

-- holder_kind 'user' (holder_id a user id) or 'contact' (an external contact's id). A row
-- is unassigned by setting unassigned_at; the history stays.
CREATE TABLE incident_roles (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id   TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    holder_kind   TEXT    NOT NULL,
    holder_id     TEXT    NOT NULL,
    assigned_at   INTEGER NOT NULL,
    assigned_by   TEXT    NOT NULL,
    unassigned_at INTEGER,
    unassigned_by TEXT
);
CREATE INDEX incident_roles_incident ON incident_roles (incident_id, id);
CREATE INDEX incident_roles_holder ON incident_roles (holder_kind, holder_id);
CREATE UNIQUE INDEX incident_roles_held ON incident_roles (incident_id, role, holder_kind, holder_id)
    WHERE unassigned_at IS NULL;
