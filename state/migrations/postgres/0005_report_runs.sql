-- Runs of scheduled reports: one row per due time of a schedule (origin 'cron') or per "run now"
-- (origin 'manual'). UNIQUE (schedule_id, due_at) makes the claim: every replica whose cron fires
-- inserts the row with ON CONFLICT DO NOTHING, and only the one whose insert took effect runs it.
-- The runner renews lease_expires_at while it works; a run whose lease expired (its process died)
-- is recorded failed by any replica, never left running. delivered_email is a JSON array of the
-- addresses the mail server accepted. Deleting a schedule deletes its runs.
CREATE TABLE report_runs (
  id                text     NOT NULL PRIMARY KEY,
  schedule_id       text     NOT NULL REFERENCES report_schedules (id) ON DELETE CASCADE,
  due_at            text     NOT NULL,
  origin            text     NOT NULL CHECK (origin IN ('cron', 'manual')),
  status            text     NOT NULL CHECK (status IN ('running', 'delivered', 'failed')),
  attempts          integer  NOT NULL DEFAULT 0,
  export_id         text,
  error             text,
  delivered_email   text     NOT NULL DEFAULT '[]',
  delivered_webhook smallint NOT NULL DEFAULT 0 CHECK (delivered_webhook IN (0, 1)),
  runner            text,
  lease_expires_at  text,
  started_at        text     NOT NULL,
  finished_at       text,
  UNIQUE (schedule_id, due_at)
)
