-- Current state of users_user (one row per id after FINAL). _version is the WAL position of the
-- change (0 for snapshot rows); _deleted = 1 marks a row deleted upstream, dropped by FINAL.
-- Passwords, e-mails and other personal columns are deliberately not replicated.
CREATE TABLE IF NOT EXISTS users_user (
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
    _deleted UInt8
) ENGINE = ReplacingMergeTree(_version, _deleted)
ORDER BY id
