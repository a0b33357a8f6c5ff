CREATE MATERIALIZED VIEW IF NOT EXISTS mv_agg_request_completions_daily TO agg_request_completions_daily AS
SELECT toDate(assumeNotNull(completed_at), 'UTC') AS day, sum(toInt64(sign)) AS completed
FROM depannage_repairrequest_signed
WHERE status = 'completed' AND completed_at IS NOT NULL
GROUP BY day
