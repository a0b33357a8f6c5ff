-- Reviews per UTC creation day. counted = visible and approved (V*, the satisfaction metrics).
CREATE TABLE IF NOT EXISTS agg_reviews_daily (
    day Date,
    counted UInt8,
    rating Int16,
    would_recommend UInt8,
    reviews Int64
) ENGINE = SummingMergeTree
ORDER BY (day, counted, rating, would_recommend)
