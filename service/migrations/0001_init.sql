-- The routing service's tables. The same file runs on SQLite and PostgreSQL:
-- only types both understand (TEXT, BIGINT), times as milliseconds since the
-- epoch, JSON documents as TEXT.

-- Every policy version ever stored, by content hash.
CREATE TABLE policy_versions (
    version    TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    ir         TEXT NOT NULL,
    author     TEXT,
    message    TEXT,
    created_at BIGINT NOT NULL
);

-- One row (id = 1): the state clock. Its row lock is the state lock.
-- seq: bumps with every committed change of rep or team state;
-- audit_seq: the last audit entry; batch_seq: the last decision batch.
CREATE TABLE service_state (
    id             BIGINT PRIMARY KEY,
    seq            BIGINT NOT NULL,
    audit_seq      BIGINT NOT NULL,
    batch_seq      BIGINT NOT NULL,
    active_version TEXT
);
INSERT INTO service_state (id, seq, audit_seq, batch_seq, active_version) VALUES (1, 0, 0, 0, NULL);

-- Rep state by rep id (kept across policy versions).
CREATE TABLE rep_state (
    rep_id              TEXT PRIMARY KEY,
    active              BIGINT NOT NULL,
    out_of_office_until BIGINT,
    open_load           BIGINT NOT NULL,
    assigned_today      BIGINT NOT NULL,
    day                 TEXT,
    max_open            BIGINT,
    max_per_day         BIGINT,
    changed_seq         BIGINT NOT NULL
);
CREATE INDEX rep_state_changed ON rep_state (changed_seq);

-- Team rotation state by team name; weights by member rep id (JSON object).
CREATE TABLE team_state (
    team_id     TEXT PRIMARY KEY,
    rr_cursor   BIGINT,
    weights     TEXT NOT NULL,
    changed_seq BIGINT NOT NULL
);
CREATE INDEX team_state_changed ON team_state (changed_seq);

-- One row per decision batch (one transaction): the state before it, so a
-- trace can be re-derived by replaying the batch's leads in order.
CREATE TABLE batches (
    id         BIGINT PRIMARY KEY,
    version    TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    state      TEXT NOT NULL
);

-- Decided leads by idempotency key (the lead id, or the Idempotency-Key header).
CREATE TABLE leads (
    idem_key     TEXT PRIMARY KEY,
    lead_id      TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    lead         TEXT NOT NULL,
    decision     TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    rep          TEXT,
    version      TEXT NOT NULL,
    decided_at   BIGINT NOT NULL,
    batch_id     BIGINT NOT NULL,
    position     BIGINT NOT NULL,
    audit_seq    BIGINT NOT NULL,
    released_at  BIGINT,
    contacted_at BIGINT
);
CREATE INDEX leads_lead_id ON leads (lead_id);
CREATE INDEX leads_batch ON leads (batch_id, position);

-- The append-only audit log, in commit order (seq is given under the state lock).
CREATE TABLE audit (
    seq     BIGINT PRIMARY KEY,
    at      BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    lead_id TEXT,
    entry   TEXT NOT NULL
);
CREATE INDEX audit_kind ON audit (kind, seq);
