-- Signed change log of repair requests, for aggregates that stay exact under updates and deletes.
-- Ingest writes, for every change, the previous image with sign = -1 and the new image with
-- sign = +1 (a delete writes only the -1). sum(sign * x) over any filter is then the value over the
-- current rows, without FINAL; pairs cancel out on merges (CollapsingMergeTree). Ordered by time so
-- that the partial first day of a rolling window is a range scan.
CREATE TABLE IF NOT EXISTS depannage_repairrequest_signed (
    id Int64,
    created_at DateTime64(6, 'UTC'),
    status LowCardinality(String),
    specialty_needed LowCardinality(String),
    priority LowCardinality(String),
    urgency_level LowCardinality(String),
    is_urgent Bool,
    city String,
    latitude Nullable(Float64),
    longitude Nullable(Float64),
    assigned_at Nullable(DateTime64(6, 'UTC')),
    started_at Nullable(DateTime64(6, 'UTC')),
    completed_at Nullable(DateTime64(6, 'UTC')),
    estimated_price Nullable(Decimal(18, 2)),
    final_price Nullable(Decimal(18, 2)),
    client_id Int64,
    technician_id Nullable(Int64),
    _version UInt64,
    sign Int8,
    INDEX completed_at_minmax completed_at TYPE minmax GRANULARITY 1
) ENGINE = CollapsingMergeTree(sign)
ORDER BY (created_at, id)
