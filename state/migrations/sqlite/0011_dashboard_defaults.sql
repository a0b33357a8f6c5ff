-- The users who were given the default dashboard (on their first list of dashboards): one row each,
-- kept after they delete or rename it, so that the service gives it once and never brings it back.
-- The primary key makes the gift once-only when two replicas or two requests race (ON CONFLICT DO NOTHING).
CREATE TABLE dashboard_defaults (
  owner_id   INTEGER NOT NULL PRIMARY KEY,
  given_at   TEXT    NOT NULL
) STRICT
