CREATE MATERIALIZED VIEW IF NOT EXISTS mv_agg_users_daily TO agg_users_daily AS
SELECT toDate(created_at, 'UTC') AS day, user_type, sum(toInt64(sign)) AS users
FROM users_user_signed
GROUP BY day, user_type
