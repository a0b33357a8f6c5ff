CREATE MATERIALIZED VIEW IF NOT EXISTS mv_agg_reviews_daily TO agg_reviews_daily AS
SELECT toDate(created_at, 'UTC') AS day, toUInt8(is_visible AND moderation_status = 'approved') AS counted,
       rating, toUInt8(would_recommend) AS would_recommend, sum(toInt64(sign)) AS reviews
FROM depannage_review_signed
GROUP BY day, counted, rating, would_recommend
