-- Duplicate leads: each decided lead's duplicate key (the deciding policy's
-- `on duplicate` key, trimmed and lower-cased; NULL when that version has no
-- duplicate handler or the lead no key), so a new lead finds the most recent
-- earlier lead with the same key inside the decision's transaction.
ALTER TABLE leads ADD COLUMN dup_key TEXT;
CREATE INDEX leads_dup_key ON leads (dup_key, decided_at);
