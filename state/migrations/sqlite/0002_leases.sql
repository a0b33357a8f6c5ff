-- Named leases: at most one holder at a time (e.g. the one replica that evaluates alerts), until
-- expires_at (ISO-8601 UTC text, from the database's clock). See libs/state/src/leases.ts.
CREATE TABLE leases (
  name       TEXT NOT NULL PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at TEXT NOT NULL
) STRICT
