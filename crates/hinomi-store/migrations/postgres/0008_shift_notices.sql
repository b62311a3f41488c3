-- Shift start and end notices. Each schedule keeps a timer: notices_at is the next handoff
-- to tell people about (a schedule's or calendar's change sets it to the change's time, so
-- it is worked out again), noticed_until the instant up to which handoffs were told.
ALTER TABLE schedules ADD COLUMN notices_at BIGINT;
ALTER TABLE schedules ADD COLUMN noticed_until BIGINT;
UPDATE schedules SET notices_at = 0;
CREATE INDEX schedules_notices ON schedules (notices_at);

-- Which shift notices a person wants ('both', 'start' or 'never'); no row: 'both'.
CREATE TABLE shift_notice_prefs (
    user_id TEXT PRIMARY KEY,
    notify  TEXT NOT NULL
);
