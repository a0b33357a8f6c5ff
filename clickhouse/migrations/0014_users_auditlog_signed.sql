-- Signed change log of the audit trail (see depannage_repairrequest_signed).
CREATE TABLE IF NOT EXISTS users_auditlog_signed (
    id Int64,
    ip_address String,
    event_type LowCardinality(String),
    status LowCardinality(String),
    timestamp DateTime64(6, 'UTC'),
    geo_country String,
    geo_city String,
    risk_score Int32,
    user_id Nullable(Int64),
    _version UInt64,
    sign Int8
) ENGINE = CollapsingMergeTree(sign)
ORDER BY (timestamp, id)
