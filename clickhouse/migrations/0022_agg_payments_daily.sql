-- Payments per UTC creation day and (status, type, method): financial metrics and revenue trends.
CREATE TABLE IF NOT EXISTS agg_payments_daily (
    day Date,
    status LowCardinality(String),
    payment_type LowCardinality(String),
    method LowCardinality(String),
    payments Int64,
    amount Decimal(38, 2)
) ENGINE = SummingMergeTree
ORDER BY (day, status, payment_type, method)
