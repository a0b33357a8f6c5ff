-- Alert rules: one row per AlertRule of libs/metrics/src/alerts.ts (the wire contract; its lists of
-- metrics, kinds… are checked by the API, not here, so a new metric needs no migration).
-- time_window holds AlertRule.window (WINDOW is reserved in Postgres; same name on both dialects).
-- Default rules (source 'default') have stable ids: edited = 1 once changed through the API, after
-- which the environment's threshold no longer applies; a deleted default keeps its row with
-- deleted_at set, so that the next start does not create it again.
CREATE TABLE alert_rules (
  id               TEXT    NOT NULL PRIMARY KEY,
  name             TEXT    NOT NULL,
  kind             TEXT    NOT NULL,
  metric           TEXT    NOT NULL,
  comparison       TEXT,
  threshold        REAL,
  time_window      TEXT    NOT NULL,
  group_by         TEXT,
  sensitivity      REAL,
  history_weeks    INTEGER,
  severity         TEXT    NOT NULL,
  cooldown_seconds INTEGER NOT NULL,
  scope_city       TEXT,
  scope_specialty  TEXT,
  enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  source           TEXT    NOT NULL CHECK (source IN ('default', 'user')),
  edited           INTEGER NOT NULL DEFAULT 0 CHECK (edited IN (0, 1)),
  created_at       TEXT    NOT NULL,
  updated_at       TEXT    NOT NULL,
  deleted_at       TEXT
) STRICT
