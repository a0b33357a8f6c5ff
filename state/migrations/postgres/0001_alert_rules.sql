-- Alert rules: one row per AlertRule of libs/metrics/src/alerts.ts (the wire contract; its lists of
-- metrics, kinds… are checked by the API, not here, so a new metric needs no migration).
-- time_window holds AlertRule.window (WINDOW is reserved in Postgres; same name on both dialects).
-- Default rules (source 'default') have stable ids: edited = 1 once changed through the API, after
-- which the environment's threshold no longer applies; a deleted default keeps its row with
-- deleted_at set, so that the next start does not create it again.
-- Booleans are 0/1 and times ISO-8601 UTC text, as on SQLite (libs/state/src/store.ts).
CREATE TABLE alert_rules (
  id               text             NOT NULL PRIMARY KEY,
  name             text             NOT NULL,
  kind             text             NOT NULL,
  metric           text             NOT NULL,
  comparison       text,
  threshold        double precision,
  time_window      text             NOT NULL,
  group_by         text,
  sensitivity      double precision,
  history_weeks    integer,
  severity         text             NOT NULL,
  cooldown_seconds integer          NOT NULL,
  scope_city       text,
  scope_specialty  text,
  enabled          smallint         NOT NULL CHECK (enabled IN (0, 1)),
  source           text             NOT NULL CHECK (source IN ('default', 'user')),
  edited           smallint         NOT NULL DEFAULT 0 CHECK (edited IN (0, 1)),
  created_at       text             NOT NULL,
  updated_at       text             NOT NULL,
  deleted_at       text
)
