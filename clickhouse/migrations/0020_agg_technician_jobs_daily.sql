-- Completed requests per technician and UTC creation day (top_technicians jobs and earnings).
CREATE TABLE IF NOT EXISTS agg_technician_jobs_daily (
    day Date,
    technician_id Int64,
    jobs Int64,
    earnings Decimal(38, 2)
) ENGINE = SummingMergeTree
ORDER BY (day, technician_id)
