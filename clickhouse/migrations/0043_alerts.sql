-- Alert history: one row per alert and version (raised, re-evaluated, acknowledged, resolved); the
-- highest _version is the alert's current state (FINAL, or argMax). A few rows per alert episode,
-- so no partitioning; ordered by id for point lookups and by nothing else on purpose: reads are
-- whole-table scans of a small table. alert_key (rule id, plus the city or specialty of an
-- anomaly) is what "no duplicate while one is open" is checked on.
CREATE TABLE IF NOT EXISTS alerts (
    id String,
    rule_id String,
    alert_key String,
    kind LowCardinality(String),
    metric LowCardinality(String),
    scope_city Nullable(String),
    scope_specialty Nullable(String),
    severity LowCardinality(String),
    status LowCardinality(String),
    value Decimal(38, 2),
    comparison Nullable(String),
    threshold Nullable(Decimal(38, 2)),
    expected Nullable(Decimal(38, 2)),
    expected_low Nullable(Decimal(38, 2)),
    expected_high Nullable(Decimal(38, 2)),
    alert_window LowCardinality(String),
    message String,
    first_seen DateTime64(3, 'UTC'),
    last_seen DateTime64(3, 'UTC'),
    acknowledged_by Nullable(Int64),
    acknowledged_at Nullable(DateTime64(3, 'UTC')),
    resolved_at Nullable(DateTime64(3, 'UTC')),
    resolved_by Nullable(Int64),
    _version UInt64
) ENGINE = ReplacingMergeTree(_version)
ORDER BY id
