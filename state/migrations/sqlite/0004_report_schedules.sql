-- Scheduled reports (apps/api/src/exports/schedules/report-schedules.repository.ts): one row per
-- schedule, owned by the user who created it. request holds the validated export request as JSON
-- (type, filters with a named period resolved at each run, sections, raw); recipients a JSON array
-- of e-mail addresses. cron is 5 or 6 fields, read in the IANA time zone `timezone`.
CREATE TABLE report_schedules (
  id          TEXT    NOT NULL PRIMARY KEY,
  owner_id    INTEGER NOT NULL,
  name        TEXT    NOT NULL,
  cron        TEXT    NOT NULL,
  timezone    TEXT    NOT NULL,
  request     TEXT    NOT NULL,
  recipients  TEXT    NOT NULL,
  webhook_url TEXT,
  enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL
) STRICT
