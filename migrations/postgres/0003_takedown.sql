-- Takedowns: when a case's takedown was planned and when its last recipient confirmed it, so the
-- time to take a poster down everywhere is measured and a closed case shows who has yet to confirm.
ALTER TABLE distributions ADD COLUMN taken_down_at TEXT;
ALTER TABLE distributions ADD COLUMN takedown_done_at TEXT;
