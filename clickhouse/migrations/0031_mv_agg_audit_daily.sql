CREATE MATERIALIZED VIEW IF NOT EXISTS mv_agg_audit_daily TO agg_audit_daily AS
SELECT toDate(timestamp, 'UTC') AS day, event_type, status, sum(toInt64(sign)) AS events
FROM users_auditlog_signed
GROUP BY day, event_type, status
