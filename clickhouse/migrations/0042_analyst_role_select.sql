-- server-only
-- SELECT on the tables of the current database (CLICKHOUSE_DATABASE) only: no file, url, remote
-- or other table function, which need grants this role does not have.
GRANT SELECT ON * TO analyst_readonly
