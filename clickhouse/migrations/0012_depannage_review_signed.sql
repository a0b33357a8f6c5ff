-- Signed change log of reviews (see depannage_repairrequest_signed).
CREATE TABLE IF NOT EXISTS depannage_review_signed (
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
    sign Int8
) ENGINE = CollapsingMergeTree(sign)
ORDER BY (created_at, id)
