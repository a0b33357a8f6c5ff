-- Security e-mails per UTC day (security_alerts).
CREATE TABLE IF NOT EXISTS agg_security_daily (
    day Date,
    notifications Int64
) ENGINE = SummingMergeTree
ORDER BY day
