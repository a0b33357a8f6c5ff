CREATE MATERIALIZED VIEW IF NOT EXISTS mv_agg_security_daily TO agg_security_daily AS
SELECT toDate(sent_at, 'UTC') AS day, sum(toInt64(sign)) AS notifications
FROM users_securitynotification_signed
GROUP BY day
