-- Every HTTP request the API answered, measured by the API itself (technical KPIs: response time
-- quantiles, error rates). Appended in batches, read by time range; kept 90 days.
CREATE TABLE IF NOT EXISTS api_requests (
    at DateTime64(3, 'UTC'),
    instance LowCardinality(String),
    method LowCardinality(String),
    route LowCardinality(String),
    status UInt16,
    duration_us UInt32
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY at
TTL toDateTime(at) + INTERVAL 90 DAY
