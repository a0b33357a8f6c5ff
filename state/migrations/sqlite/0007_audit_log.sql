-- Administrators' actions (rule changes, alert acknowledgements, cache purges, exports, report
-- schedules): who (user id; null for a download through a signed link), what, on which target,
-- when (ISO-8601 UTC text), from which address, and a small JSON detail. Append-only: the service
-- never updates or deletes a row. The integer id orders rows written in the same millisecond.
CREATE TABLE audit_log (
  id        INTEGER NOT NULL PRIMARY KEY,
  at        TEXT    NOT NULL,
  user_id   INTEGER,
  action    TEXT    NOT NULL,
  target_id TEXT,
  ip        TEXT,
  detail    TEXT    NOT NULL DEFAULT '{}'
) STRICT
