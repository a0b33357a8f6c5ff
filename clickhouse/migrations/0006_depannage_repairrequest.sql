-- Repair requests, the largest table. Money is Decimal in XOF, never Float.
CREATE TABLE IF NOT EXISTS depannage_repairrequest (
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
    _deleted UInt8
) ENGINE = ReplacingMergeTree(_version, _deleted)
ORDER BY id
