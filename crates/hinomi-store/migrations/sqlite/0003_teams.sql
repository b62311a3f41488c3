-- Teams: a team has members, each with a team role (viewer or responder), and may own
-- silences and integrations. A resource with no team belongs to the whole installation.

CREATE TABLE teams (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id  TEXT    NOT NULL,
    user_id  TEXT    NOT NULL,
    role     TEXT    NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

ALTER TABLE silences ADD COLUMN team_id TEXT;
ALTER TABLE integrations ADD COLUMN team_id TEXT;
