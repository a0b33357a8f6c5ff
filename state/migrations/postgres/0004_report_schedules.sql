-- Scheduled reports (apps/api/src/exports/schedules/report-schedules.repository.ts): one row per
-- schedule, owned by the user who created it. request holds the validated export request as JSON
-- (type, filters with a named period resolved at each run, sections, raw); recipients a JSON array
-- of e-mail addresses. cron is 5 or 6 fields, read in the IANA time zone `timezone`.
-- Booleans are 0/1 and times ISO-8601 UTC text, as everywhere in the state store (libs/state/src/store.ts).
CREATE TABLE report_schedules (
  id          text     NOT NULL PRIMARY KEY,
  owner_id    integer  NOT NULL,
  name        text     NOT NULL,
  cron        text     NOT NULL,
  timezone    text     NOT NULL,
  request     text     NOT NULL,
  recipients  text     NOT NULL,
  webhook_url text,
  enabled     smallint NOT NULL CHECK (enabled IN (0, 1)),
  created_at  text     NOT NULL,
  updated_at  text     NOT NULL
)
