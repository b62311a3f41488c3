-- On-call schedules. A schedule's zone and layers are stored as its definition (JSON text,
-- hinomi_core::oncall::LayerDef: participants by user id, RFC 3339 start, HH:MM handoff,
-- restriction windows); a layer's restriction refers to holiday calendars by a flag (the
-- Japanese public holidays, computed) and by id (the company calendars below). Overrides
-- and shift swaps are rows of their own; of overlapping ones the newest wins.

CREATE TABLE schedules (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL,
    -- The team whose responders may change it; NULL: admins only.
    team_id     TEXT,
    time_zone   TEXT    NOT NULL,
    layers      TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX schedules_team ON schedules (team_id);

-- kind 'override': user_id on call for [start_at, end_at); kind 'swap': the same, handed
-- over by swapped_from (whose shift it was).
CREATE TABLE schedule_overrides (
    id           TEXT    PRIMARY KEY,
    schedule_id  TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    start_at     BIGINT NOT NULL,
    end_at       BIGINT NOT NULL,
    kind         TEXT    NOT NULL,
    swapped_from TEXT,
    note         TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX schedule_overrides_schedule ON schedule_overrides (schedule_id, created_at);

-- A company's own days off (a year-end closure, a founding day), one row per date.
CREATE TABLE holiday_calendars (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE holiday_days (
    calendar_id TEXT NOT NULL,
    -- YYYY-MM-DD
    day         TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (calendar_id, day)
);

-- Secrets the server makes for itself at first start (the iCal feeds' signing key).
CREATE TABLE server_secrets (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    created_at BIGINT NOT NULL
);

-- Each user's iCal subscription: the version signed into its URL; rotating the URL bumps
-- it, so every earlier URL stops working.
CREATE TABLE ical_feeds (
    user_id    TEXT    PRIMARY KEY,
    version    BIGINT NOT NULL,
    rotated_at BIGINT NOT NULL
);
