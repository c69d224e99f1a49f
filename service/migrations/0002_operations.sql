-- Operations: work items, durable timers, the delivery outbox.

-- The lead's latest decision (after overrides, reprocessing, SLA breaches),
-- every rep who has held it (JSON array), and its first contact.
ALTER TABLE leads ADD COLUMN current TEXT;
ALTER TABLE leads ADD COLUMN holders TEXT;

-- Counters given under the state lock.
ALTER TABLE service_state ADD COLUMN item_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE service_state ADD COLUMN timer_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE service_state ADD COLUMN outbox_seq BIGINT NOT NULL DEFAULT 0;

-- A queued lead or handled exception that a person works.
CREATE TABLE work_items (
    id          BIGINT PRIMARY KEY,
    lead_key    TEXT NOT NULL,
    lead_id     TEXT NOT NULL,
    queue       TEXT NOT NULL,
    owner       TEXT,
    tier        TEXT,
    priority    BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL,
    claimed_by  TEXT,
    due_at      BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    resolved_at BIGINT,
    note        TEXT,
    detail      TEXT,
    history     TEXT NOT NULL
);
CREATE INDEX work_items_open ON work_items (status, due_at);
CREATE INDEX work_items_lead ON work_items (lead_key);

-- Durable due times: an assignment's SLA, a reminder before it, a queue item's SLA.
CREATE TABLE timers (
    id         BIGINT PRIMARY KEY,
    lead_key   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    item_id    BIGINT,
    rep        TEXT,
    due_at     BIGINT NOT NULL,
    fired_at   BIGINT,
    outcome    TEXT
);
CREATE INDEX timers_due ON timers (fired_at, due_at);
CREATE INDEX timers_lead ON timers (lead_key);

-- Deliveries written in the decision's transaction, delivered at least once
-- with a stable id (so the receiver sees each once in effect).
CREATE TABLE outbox (
    id            BIGINT PRIMARY KEY,
    lead_key      TEXT,
    lead_id       TEXT,
    destination   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      BIGINT NOT NULL,
    next_at       BIGINT NOT NULL,
    claimed_until BIGINT,
    last_error    TEXT,
    last_status   BIGINT,
    created_at    BIGINT NOT NULL,
    delivered_at  BIGINT
);
CREATE INDEX outbox_pending ON outbox (status, next_at);
CREATE INDEX outbox_lead ON outbox (lead_key);
