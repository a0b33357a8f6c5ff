-- Export jobs (apps/api/src/exports/export-jobs.repository.ts): one row per requested file. The file
-- itself lives under EXPORT_DIR as stored_name (chosen by the service, never from user input).
-- request holds the validated request as JSON (filters, sections, raw). A running job is held by
-- one replica (runner) until lease_expires_at, renewed while it runs: a job whose holder died is
-- found by the lease and run again (attempts) or failed, never left running.
-- Times are ISO-8601 UTC text, as everywhere in the state store (libs/state/src/store.ts).
CREATE TABLE export_jobs (
  id               text NOT NULL PRIMARY KEY,
  owner_id         integer NOT NULL,
  type             text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
  progress         integer NOT NULL DEFAULT 0,
  request          text NOT NULL,
  schedule_id      text,
  file_name        text,
  stored_name      text,
  content_type     text,
  file_size        integer,
  error            text,
  attempts         integer NOT NULL DEFAULT 0,
  runner           text,
  lease_expires_at text,
  created_at       text NOT NULL,
  started_at       text,
  completed_at     text,
  expires_at       text NOT NULL
)
