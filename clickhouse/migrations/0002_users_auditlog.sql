-- Security audit trail: logins, failures, OTP steps. Ordered by id: rows are appended, rarely changed.
CREATE TABLE IF NOT EXISTS users_auditlog (
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
    _deleted UInt8
) ENGINE = ReplacingMergeTree(_version, _deleted)
ORDER BY id
