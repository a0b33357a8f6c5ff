-- Audit events per UTC day, type and status (logins, failed logins).
CREATE TABLE IF NOT EXISTS agg_audit_daily (
    day Date,
    event_type LowCardinality(String),
    status LowCardinality(String),
    events Int64
) ENGINE = SummingMergeTree
ORDER BY (day, event_type, status)
