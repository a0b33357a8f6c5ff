-- Client profiles: maps depannage_client.id to users_user.id.
CREATE TABLE IF NOT EXISTS depannage_client (
    id Int64,
    user_id Int64,
    is_active Bool,
    created_at DateTime64(6, 'UTC'),
    _version UInt64,
    _deleted UInt8
) ENGINE = ReplacingMergeTree(_version, _deleted)
ORDER BY id
