-- server-only
-- The role analysts' users get (see clickhouse/README.md for the CREATE USER an operator runs).
CREATE ROLE IF NOT EXISTS analyst_readonly SETTINGS PROFILE 'analyst_readonly'
