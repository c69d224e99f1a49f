-- The workbench: a version's `.route` sources (JSON object file name -> text,
-- NULL for a version stored as built IR), so traces link to source lines.
ALTER TABLE policy_versions ADD COLUMN sources TEXT;

-- The dashboard reads leads by decision time (outcomes over time, speed to lead).
CREATE INDEX leads_decided ON leads (decided_at);
