-- Retention: when `closed_case_retention_days` is set, a closed case's photos, cached posters and
-- personal fields are erased that many days after it closed. The case keeps its number, type, dates,
-- outcome and audit trail, and says when it was erased.
ALTER TABLE cases ADD COLUMN erased_at TEXT;
CREATE INDEX cases_closed_unerased ON cases (status, updated_at) WHERE erased_at IS NULL;
