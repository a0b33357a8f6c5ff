-- Technician profiles: specialty is the raw stored string (unknown values kept as they are).
CREATE TABLE IF NOT EXISTS depannage_technician (
    id Int64,
    user_id Int64,
    specialty LowCardinality(String),
    is_available Bool,
    is_verified Bool,
    created_at DateTime64(6, 'UTC'),
    _version UInt64,
    _deleted UInt8
) ENGINE = ReplacingMergeTree(_version, _deleted)
ORDER BY id
