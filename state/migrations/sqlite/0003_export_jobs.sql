-- Export jobs (apps/api/src/exports/export-jobs.repository.ts): one row per requested file. The file
-- itself lives under EXPORT_DIR as stored_name (chosen by the service, never from user input).
-- request holds the validated request as JSON (filters, sections, raw). A running job is held by
-- one replica (runner) until lease_expires_at, renewed while it runs: a job whose holder died is
-- found by the lease and run again (attempts) or failed, never left running.
-- Times are ISO-8601 UTC text, as everywhere in the state store (libs/state/src/store.ts).
CREATE TABLE export_jobs (
  id               TEXT NOT NULL PRIMARY KEY,
  owner_id         INTEGER NOT NULL,
  type             TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
  progress         INTEGER NOT NULL DEFAULT 0,
  request          TEXT NOT NULL,
  schedule_id      TEXT,
  file_name        TEXT,
  stored_name      TEXT,
  content_type     TEXT,
  file_size        INTEGER,
  error            TEXT,
  attempts         INTEGER NOT NULL DEFAULT 0,
  runner           TEXT,
  lease_expires_at TEXT,
  created_at       TEXT NOT NULL,
  started_at       TEXT,
  completed_at     TEXT,
  expires_at       TEXT NOT NULL
) STRICT
