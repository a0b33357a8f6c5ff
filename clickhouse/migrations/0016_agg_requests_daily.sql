-- Requests per UTC creation day and (status, specialty, city, urgency): counts and sums that the
-- request, specialty and geography metrics add up. Sign-weighted, so exact under updates/deletes.
CREATE TABLE IF NOT EXISTS agg_requests_daily (
    day Date,
    status LowCardinality(String),
    specialty_needed LowCardinality(String),
    city String,
    urgent UInt8,
    requests Int64,
    timed Int64,
    response_us Int128,
    completion_us Int128,
    priced Int64,
    price_sum Decimal(38, 2)
) ENGINE = SummingMergeTree
ORDER BY (day, status, specialty_needed, city, urgent)
