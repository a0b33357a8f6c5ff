CREATE MATERIALIZED VIEW IF NOT EXISTS mv_agg_technician_jobs_all TO agg_technician_jobs_all AS
SELECT assumeNotNull(technician_id) AS technician_id,
       sum(toInt64(sign)) AS jobs,
       sum(toDecimal128(sign, 0) * ifNull(final_price, toDecimal64(0, 2))) AS earnings
FROM depannage_repairrequest_signed
WHERE status = 'completed' AND technician_id IS NOT NULL
GROUP BY technician_id
