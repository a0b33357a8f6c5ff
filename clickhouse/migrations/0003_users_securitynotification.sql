-- Security e-mails sent to users, counted as "security alerts".
CREATE TABLE IF NOT EXISTS users_securitynotification (
    id Int64,
    sent_at DateTime64(6, 'UTC'),
    event_type Nullable(String),
    user_id Int64,
    _version UInt64,
    _deleted UInt8
) ENGINE = ReplacingMergeTree(_version, _deleted)
ORDER BY id
