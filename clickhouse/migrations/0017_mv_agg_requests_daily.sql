-- Feeds agg_requests_daily. "timed" = completed with both instants set (response/completion times);
-- "urgent" = urgency_level urgent or sos, or the frontend's is_urgent flag (metrics.md, decided).
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_agg_requests_daily TO agg_requests_daily AS
SELECT
    toDate(created_at, 'UTC') AS day,
    status,
    specialty_needed,
    city,
    toUInt8(urgency_level IN ('urgent', 'sos') OR is_urgent) AS urgent,
    sum(toInt64(sign)) AS requests,
    sum(toInt64(sign) * (status = 'completed' AND assigned_at IS NOT NULL AND completed_at IS NOT NULL)) AS timed,
    sum(if(status = 'completed' AND assigned_at IS NOT NULL AND completed_at IS NOT NULL,
        toInt128(sign) * (toUnixTimestamp64Micro(assumeNotNull(assigned_at)) - toUnixTimestamp64Micro(created_at)), 0)) AS response_us,
    sum(if(status = 'completed' AND assigned_at IS NOT NULL AND completed_at IS NOT NULL,
        toInt128(sign) * (toUnixTimestamp64Micro(assumeNotNull(completed_at)) - toUnixTimestamp64Micro(assumeNotNull(assigned_at))), 0)) AS completion_us,
    sum(toInt64(sign) * (final_price IS NOT NULL)) AS priced,
    sum(toDecimal128(sign, 0) * ifNull(final_price, toDecimal64(0, 2))) AS price_sum
FROM depannage_repairrequest_signed
GROUP BY day, status, specialty_needed, city, urgent
