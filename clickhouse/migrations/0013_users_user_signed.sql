-- Signed change log of users (see depannage_repairrequest_signed).
CREATE TABLE IF NOT EXISTS users_user_signed (
    id Int64,
    username String,
    first_name String,
    last_name String,
    is_staff Bool,
    is_active Bool,
    is_superuser Bool,
    user_type LowCardinality(String),
    last_login Nullable(DateTime64(6, 'UTC')),
    date_joined DateTime64(6, 'UTC'),
    created_at DateTime64(6, 'UTC'),
    _version UInt64,
    sign Int8
) ENGINE = CollapsingMergeTree(sign)
ORDER BY (created_at, id)
