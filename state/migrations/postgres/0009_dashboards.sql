-- Custom dashboards (apps/api/src/dashboards/dashboards.repository.ts): one row per dashboard, owned
-- by the user who created it (owner_id: users_user.id of the operational database, not a foreign
-- key: that database is another one). layout and widgets hold the validated JSON of the API
-- (dto/dashboard.ts checks every widget's type, source, filters and position before a write), so a
-- new widget type or source needs no migration. is_default marks the dashboard the service gave its
-- owner (the guide's overview); refresh_seconds is its automatic refresh.
-- Booleans are 0/1 and times ISO-8601 UTC text, as everywhere in the state store (libs/state/src/store.ts).
CREATE TABLE dashboards (
  id              text     NOT NULL PRIMARY KEY,
  owner_id        integer  NOT NULL,
  name            text     NOT NULL,
  is_default      smallint NOT NULL CHECK (is_default IN (0, 1)),
  refresh_seconds integer  NOT NULL,
  layout          text     NOT NULL,
  widgets         text     NOT NULL,
  created_at      text     NOT NULL,
  updated_at      text     NOT NULL
)
