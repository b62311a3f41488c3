-- Paging: how people are reached (contact methods, notification rules), what makes them
-- targets (skills) and who backs them up; escalation policies and what they are bound to;
-- pages (an alert group's paging record, whose `next_at` is its escalation timer) with the
-- one-time action tokens their messages carry; heartbeat monitors, whose `due_at` is the
-- timer of a missed beat. Secrets (verification codes, action and heartbeat tokens) are
-- stored as SHA-256 only.

CREATE TABLE contact_methods (
    id              TEXT    PRIMARY KEY,
    user_id         TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    address         TEXT    NOT NULL,
    label           TEXT    NOT NULL,
    created_at      BIGINT NOT NULL,
    verified_at     BIGINT,
    -- The code the last test message carried, until it is confirmed or expires.
    code_hash       TEXT,
    code_expires_at BIGINT,
    code_attempts   BIGINT NOT NULL,
    UNIQUE (user_id, kind, address)
);
CREATE INDEX contact_methods_user ON contact_methods (user_id);

CREATE TABLE notification_rules (
    id                TEXT    PRIMARY KEY,
    user_id           TEXT    NOT NULL,
    contact_method_id TEXT    NOT NULL,
    delay_minutes     BIGINT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX notification_rules_user ON notification_rules (user_id);

CREATE TABLE user_skills (
    user_id TEXT NOT NULL,
    skill   TEXT NOT NULL,
    PRIMARY KEY (user_id, skill)
);
CREATE INDEX user_skills_skill ON user_skills (skill);

-- A user's backup responder, paged with them by every step that pages them.
CREATE TABLE backup_responders (
    user_id   TEXT PRIMARY KEY,
    backup_id TEXT NOT NULL
);

CREATE TABLE escalation_policies (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL,
    team_id     TEXT,
    steps       TEXT    NOT NULL,
    repeats     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- A receiver (by name) or an integration (by id) is paged by one policy at most.
CREATE TABLE policy_bindings (
    kind       TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    policy_id  TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, target)
);
CREATE INDEX policy_bindings_policy ON policy_bindings (policy_id);

-- How many times a policy's step has paged a team in turn (round-robin).
CREATE TABLE escalation_cursors (
    policy_id TEXT    NOT NULL,
    step      BIGINT NOT NULL,
    team_id   TEXT    NOT NULL,
    turns     BIGINT NOT NULL,
    PRIMARY KEY (policy_id, step, team_id)
);

CREATE TABLE pages (
    id               TEXT    PRIMARY KEY,
    group_key        TEXT    NOT NULL,
    policy_id        TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    -- JSON array of the alert episodes (`fingerprint@starts_at`) the page was opened for or
    -- saw join: a group opens a new page only for an episode no page of it has covered.
    alerts           TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    round            BIGINT NOT NULL,
    step             BIGINT NOT NULL,
    -- The round the current run of the policy began at (a snooze's end starts a new run).
    first_round      BIGINT NOT NULL,
    next_at          BIGINT,
    -- JSON array of the user ids the page is with.
    assigned_to      TEXT    NOT NULL,
    snoozed_until    BIGINT,
    acknowledged_by  TEXT,
    acknowledged_how TEXT,
    acknowledged_at  BIGINT,
    resolved_by      TEXT,
    resolved_how     TEXT,
    created_at       BIGINT NOT NULL,
    resolved_at      BIGINT
);
CREATE INDEX pages_due ON pages (next_at) WHERE next_at IS NOT NULL;
CREATE UNIQUE INDEX pages_open_group ON pages (group_key) WHERE state <> 'resolved';
CREATE INDEX pages_created ON pages (created_at);

CREATE TABLE page_actions (
    token_hash TEXT    PRIMARY KEY,
    page_id    TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    used_how   TEXT
);
CREATE INDEX page_actions_page ON page_actions (page_id);

-- Paging's outbox rows are found by their page when an acknowledgement cancels them.
CREATE INDEX outbox_receiver ON outbox (receiver) WHERE state = 'pending';

CREATE TABLE heartbeats (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    token_hash    TEXT    NOT NULL UNIQUE,
    period_ms     BIGINT NOT NULL,
    grace_ms      BIGINT NOT NULL,
    labels        TEXT    NOT NULL,
    created_at    BIGINT NOT NULL,
    last_beat_at  BIGINT,
    -- When the next beat is overdue; NULL while the beat is missing (its alert fires).
    due_at        BIGINT,
    missing_since BIGINT
);
CREATE INDEX heartbeats_due ON heartbeats (due_at) WHERE due_at IS NOT NULL;
