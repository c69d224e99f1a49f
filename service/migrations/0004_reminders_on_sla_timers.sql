-- A reminder is a column of its SLA timer rather than a row of its own:
-- one row per assignment.
ALTER TABLE timers ADD COLUMN remind_at BIGINT;
ALTER TABLE timers ADD COLUMN reminded_at BIGINT;
CREATE INDEX timers_remind ON timers (remind_at) WHERE reminded_at IS NULL AND remind_at IS NOT NULL;
