-- Visible, approved reviews per technician over all time (top_technicians avg_rating, period=all).
CREATE TABLE IF NOT EXISTS agg_technician_ratings_all (
    technician_id Int64,
    reviews Int64,
    rating_sum Int64
) ENGINE = SummingMergeTree
ORDER BY technician_id
