-- Playbooks on incidents: the checklist items copied from the playbooks that applied (with
-- their texts, so a later change of the settings rewrites no history, and their due
-- instants), and the incidents' reminder timers.

CREATE TABLE incident_checklist (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id      TEXT    NOT NULL,
    playbook         TEXT    NOT NULL,
    playbook_name_ja TEXT    NOT NULL,
    playbook_name_en TEXT    NOT NULL,
    phase            INTEGER NOT NULL,
    phase_name_ja    TEXT    NOT NULL,
    phase_name_en    TEXT    NOT NULL,
    position         INTEGER NOT NULL,
    text_ja          TEXT    NOT NULL,
    text_en          TEXT    NOT NULL,
    role             TEXT,
    assignee         TEXT,
    due_at           INTEGER NOT NULL,
    checked_at       INTEGER,
    checked_by       TEXT,
    created_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX incident_checklist_item ON incident_checklist (incident_id, playbook, phase, position);

-- Timers of incidents, one row per thing to remind of: kind names what (checklist_overdue,
-- subject the item's id) and the worker that claims due rows decides by it. due_at is
-- cleared once the reminder is sent or no longer needed.
CREATE TABLE incident_reminders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    due_at      INTEGER,
    fired_at    INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX incident_reminders_subject ON incident_reminders (kind, subject);
CREATE INDEX incident_reminders_due ON incident_reminders (due_at) WHERE due_at IS NOT NULL;
