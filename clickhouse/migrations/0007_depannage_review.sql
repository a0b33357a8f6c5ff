-- Client reviews; only is_visible AND moderation_status = 'approved' count in satisfaction metrics.
CREATE TABLE IF NOT EXISTS depannage_review (
    id Int64,
    created_at DateTime64(6, 'UTC'),
    rating Int16,
    would_recommend Bool,
    is_visible Bool,
    moderation_status LowCardinality(String),
    client_id Int64,
    request_id Int64,
    technician_id Int64,
    _version UInt64,
    _deleted UInt8
) ENGINE = ReplacingMergeTree(_version, _deleted)
ORDER BY id
