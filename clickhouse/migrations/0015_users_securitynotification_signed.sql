-- Signed change log of security e-mails (see depannage_repairrequest_signed).
CREATE TABLE IF NOT EXISTS users_securitynotification_signed (
    id Int64,
    sent_at DateTime64(6, 'UTC'),
    event_type Nullable(String),
    user_id Int64,
    _version UInt64,
    sign Int8
) ENGINE = CollapsingMergeTree(sign)
ORDER BY (sent_at, id)
