-- Named leases: at most one holder at a time (e.g. the one replica that evaluates alerts), until
-- expires_at (ISO-8601 UTC text, from the database's clock). See libs/state/src/leases.ts.
CREATE TABLE leases (
  name       text NOT NULL PRIMARY KEY,
  holder     text NOT NULL,
  expires_at text NOT NULL
)
