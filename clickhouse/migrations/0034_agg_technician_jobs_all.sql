-- Completed requests per technician over all time: the top 10 for period=all without summing
-- one row per technician and day (with thousands of technicians that is close to one row per job).
CREATE TABLE IF NOT EXISTS agg_technician_jobs_all (
    technician_id Int64,
    jobs Int64,
    earnings Decimal(38, 2)
) ENGINE = SummingMergeTree
ORDER BY technician_id
