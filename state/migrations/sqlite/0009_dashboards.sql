-- Custom dashboards (apps/api/src/dashboards/dashboards.repository.ts): one row per dashboard, owned
-- by the user who created it (owner_id: users_user.id of the operational database, not a foreign
-- key: that database is another one). layout and widgets hold the validated JSON of the API
-- (dto/dashboard.ts checks every widget's type, source, filters and position before a write), so a
-- new widget type or source needs no migration. is_default marks the dashboard the service gave its
-- owner (the guide's overview); refresh_seconds is its automatic refresh.
CREATE TABLE dashboards (
  id              TEXT    NOT NULL PRIMARY KEY,
  owner_id        INTEGER NOT NULL,
  name            TEXT    NOT NULL,
  is_default      INTEGER NOT NULL CHECK (is_default IN (0, 1)),
  refresh_seconds INTEGER NOT NULL,
  layout          TEXT    NOT NULL,
  widgets         TEXT    NOT NULL,
  created_at      TEXT    NOT NULL,
  updated_at      TEXT    NOT NULL
) STRICT
