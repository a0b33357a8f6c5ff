-- Runs of scheduled reports: one row per due time of a schedule (origin 'cron') or per "run now"
-- (origin 'manual'). UNIQUE (schedule_id, due_at) makes the claim: every replica whose cron fires
-- inserts the row with ON CONFLICT DO NOTHING, and only the one whose insert took effect runs it.
-- The runner renews lease_expires_at while it works; a run whose lease expired (its process died)
-- is recorded failed by any replica, never left running. delivered_email is a JSON array of the
-- addresses the mail server accepted. Deleting a schedule deletes its runs.
CREATE TABLE report_runs (
  id                TEXT    NOT NULL PRIMARY KEY,
  schedule_id       TEXT    NOT NULL REFERENCES report_schedules (id) ON DELETE CASCADE,
  due_at            TEXT    NOT NULL,
  origin            TEXT    NOT NULL CHECK (origin IN ('cron', 'manual')),
  status            TEXT    NOT NULL CHECK (status IN ('running', 'delivered', 'failed')),
  attempts          INTEGER NOT NULL DEFAULT 0,
  export_id         TEXT,
  error             TEXT,
  delivered_email   TEXT    NOT NULL DEFAULT '[]',
  delivered_webhook INTEGER NOT NULL DEFAULT 0 CHECK (delivered_webhook IN (0, 1)),
  runner            TEXT,
  lease_expires_at  TEXT,
  started_at        TEXT    NOT NULL,
  finished_at       TEXT,
  UNIQUE (schedule_id, due_at)
) STRICT
