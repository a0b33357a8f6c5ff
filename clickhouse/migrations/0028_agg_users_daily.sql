-- Users per UTC creation day and type (user counts, new users, trends).
CREATE TABLE IF NOT EXISTS agg_users_daily (
    day Date,
    user_type LowCardinality(String),
    users Int64
) ENGINE = SummingMergeTree
ORDER BY (day, user_type)
