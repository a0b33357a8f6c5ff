-- Completed requests per UTC day of completion (trends.completed, real_time completed_requests).
CREATE TABLE IF NOT EXISTS agg_request_completions_daily (
    day Date,
    completed Int64
) ENGINE = SummingMergeTree
ORDER BY day
