-- Rollouts: a candidate version in shadow (decides beside the active one on
-- its own copy of rep state, commits nothing real) or canary (decides a
-- stable share of the leads on the real state), with guardrails.
CREATE TABLE rollouts (
    id           BIGINT PRIMARY KEY,
    candidate    TEXT NOT NULL,
    base         TEXT NOT NULL,
    mode         TEXT NOT NULL,
    percent      BIGINT NOT NULL,
    guardrails   TEXT NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT,
    started_at   BIGINT NOT NULL,
    ended_at     BIGINT,
    shadow_state TEXT,
    stats        TEXT NOT NULL
);

-- Shadow disagreements: where the active version sent a lead, where the candidate would have.
CREATE TABLE rollout_diffs (
    rollout_id BIGINT NOT NULL,
    lead_key   TEXT NOT NULL,
    lead_id    TEXT NOT NULL,
    old_dest   TEXT NOT NULL,
    new_dest   TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX rollout_diffs_pairs ON rollout_diffs (rollout_id, old_dest, new_dest);

-- The running rollout, read with the state lock.
ALTER TABLE service_state ADD COLUMN rollout_id BIGINT;
