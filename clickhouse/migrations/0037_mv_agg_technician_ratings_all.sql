CREATE MATERIALIZED VIEW IF NOT EXISTS mv_agg_technician_ratings_all TO agg_technician_ratings_all AS
SELECT technician_id, sum(toInt64(sign)) AS reviews, sum(toInt64(sign) * rating) AS rating_sum
FROM depannage_review_signed
WHERE is_visible AND moderation_status = 'approved'
GROUP BY technician_id
