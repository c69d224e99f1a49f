-- Every decision writes an audit entry: one index fewer on that hot path.
-- `?kind=` reads scan in seq order (one pass over the log at most).
DROP INDEX audit_kind;
