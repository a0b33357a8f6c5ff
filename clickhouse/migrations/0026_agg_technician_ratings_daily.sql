-- Visible, approved reviews per technician and UTC creation day (top_technicians avg_rating).
CREATE TABLE IF NOT EXISTS agg_technician_ratings_daily (
    day Date,
    technician_id Int64,
    reviews Int64,
    rating_sum Int64
) ENGINE = SummingMergeTree
ORDER BY (day, technician_id)
